//! Every way the ledger says no. Each refusal must be the right typed error, carry a message in
//! both languages, and leave the log and every projection exactly as they were.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::*;
use pointsdesk::domain::text::TextProblem;
use pointsdesk::domain::{Body, ItemKind, Role};
use pointsdesk::keys::Device;
use pointsdesk::ledger::{EarnRequest, ItemPatch, Ledger, LedgerError, NewItem, NewResident};
use pointsdesk::passbook::Token;
use pointsdesk::store::{
    self,
    log::{self, SeriesInfo, SqlKeys},
};
use uuid::Uuid;

// ----- balance, stock, limits -----

#[test]
fn redeeming_more_points_than_the_balance_is_refused() {
    let (_dir, mut ledger, _admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "张三明");
    let scan = book.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &scan, 60);

    let error = assert_refused(&mut ledger, |l| {
        redeem(l, &volunteer, &scan, &[("G002", 1)])
    });
    assert!(
        matches!(&error, LedgerError::InsufficientBalance { passbook, balance, needed }
            if *passbook == book.passbook && balance.0 == 10 && needed.0 == 40),
        "{error:?}"
    );
    assert_eq!(balance(&ledger, &book.passbook), 10);
    assert_eq!(stock(&ledger, "G002"), 2);

    // Spending exactly the whole balance is fine: the floor is zero, not one.
    earn(&mut ledger, &volunteer, &scan, 180);
    let receipt = redeem(&mut ledger, &volunteer, &scan, &[("G002", 1)]).unwrap();
    assert_eq!(receipt.balance_after.0, 0);
}

#[test]
fn redeeming_more_than_the_shelf_holds_is_refused() {
    let (_dir, mut ledger, _admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "李秀英");
    let scan = book.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &scan, 24 * 60);

    let error = assert_refused(&mut ledger, |l| {
        redeem(l, &volunteer, &scan, &[("G002", 3)])
    });
    assert!(
        matches!(&error, LedgerError::StockShort { item, available: 2, wanted: 3, .. } if item == "G002"),
        "{error:?}"
    );
    // Two lines of the same item count together.
    let error = assert_refused(&mut ledger, |l| {
        redeem(l, &volunteer, &scan, &[("G002", 2), ("g002", 1)])
    });
    assert!(
        matches!(error, LedgerError::StockShort { wanted: 3, .. }),
        "{error:?}"
    );
    assert_eq!(stock(&ledger, "G002"), 2);
    assert_eq!(balance(&ledger, &book.passbook), 240);
}

#[test]
fn the_monthly_limit_refuses_a_fourth_bar_of_soap_until_next_month() {
    let (_dir, mut ledger, _admin, volunteer, now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "王建国");
    let scan = book.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &scan, 24 * 60);
    redeem(&mut ledger, &volunteer, &scan, &[("G001", 2)]).unwrap();
    // By barcode, as the scanner types it: the same item, the same limit.
    redeem(&mut ledger, &volunteer, &scan, &[(SOAP_BARCODE, 1)]).unwrap();

    let error = assert_refused(&mut ledger, |l| {
        redeem(l, &volunteer, &scan, &[("G001", 1)])
    });
    assert!(
        matches!(&error, LedgerError::MonthlyLimit { item, limit: 3, used: 3, wanted: 1, .. } if item == "G001"),
        "{error:?}"
    );

    // 23:30 on 31 March at the counter (UTC+8): still March.
    set_now(&now, Utc.with_ymd_and_hms(2025, 3, 31, 15, 30, 0).unwrap());
    let error = assert_refused(&mut ledger, |l| {
        redeem(l, &volunteer, &scan, &[("G001", 1)])
    });
    assert!(
        matches!(error, LedgerError::MonthlyLimit { .. }),
        "{error:?}"
    );

    // 00:30 on 1 April at the counter, still 31 March in UTC: the limit starts again.
    set_now(&now, Utc.with_ymd_and_hms(2025, 3, 31, 16, 30, 0).unwrap());
    let receipt = redeem(&mut ledger, &volunteer, &scan, &[("G001", 3)]).unwrap();
    assert_eq!(receipt.points.0, -15);
    assert_eq!(stock(&ledger, "G001"), 4);
}

// ----- passbooks and scans -----

#[test]
fn a_revoked_passbook_never_debits() {
    let (_dir, mut ledger, admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "赵桂兰");
    let scan = book.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &scan, 120);
    ledger
        .revoke_passbook(&admin, &book.passbook, "居民报失")
        .unwrap();

    let error = assert_refused(&mut ledger, |l| {
        redeem(l, &volunteer, &scan, &[("G001", 1)])
    });
    assert!(
        matches!(&error, LedgerError::PassbookRevoked { passbook } if *passbook == book.passbook),
        "{error:?}"
    );
    let error = assert_refused(&mut ledger, |l| {
        l.earn(&volunteer, &earn_request(&scan, 60))
    });
    assert!(
        matches!(error, LedgerError::PassbookRevoked { .. }),
        "{error:?}"
    );
    let error = assert_refused(&mut ledger, |l| l.account(&scan, 10));
    assert!(
        matches!(error, LedgerError::PassbookRevoked { .. }),
        "{error:?}"
    );
    let error = assert_refused(&mut ledger, |l| {
        l.revoke_passbook(&admin, &book.passbook, "再次报失")
    });
    assert!(
        matches!(error, LedgerError::PassbookRevoked { .. }),
        "{error:?}"
    );
    assert_eq!(balance(&ledger, &book.passbook), 20);
}

#[test]
fn the_old_token_of_a_reissued_passbook_is_refused_and_the_new_one_keeps_the_balance() {
    let (_dir, mut ledger, admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "陈志强");
    let old_scan = book.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &old_scan, 120);
    let new = ledger
        .reissue_passbook(&admin, &book.passbook, "存折遗失")
        .unwrap();
    assert_eq!(new.passbook, book.passbook);
    assert_ne!(new.token, book.token);

    let error = assert_refused(&mut ledger, |l| {
        redeem(l, &volunteer, &old_scan, &[("G001", 1)])
    });
    assert!(
        matches!(error, LedgerError::PassbookRevoked { .. }),
        "{error:?}"
    );

    let receipt = redeem(&mut ledger, &volunteer, new.token.as_str(), &[("G001", 1)]).unwrap();
    assert_eq!(receipt.balance_before.0, 20);
    assert_eq!(receipt.balance_after.0, 15);
}

#[test]
fn a_well_formed_token_that_was_never_issued_is_an_unknown_passbook() {
    let (_dir, mut ledger, _admin, volunteer, _now) = new_home();
    resident_with_passbook(&mut ledger, &volunteer, "周玉兰");
    let stranger = Token::from_random([0xA5; 16]).as_str().to_string();

    let error = assert_refused(&mut ledger, |l| {
        redeem(l, &volunteer, &stranger, &[("G001", 1)])
    });
    assert!(matches!(error, LedgerError::PassbookUnknown), "{error:?}");
    let error = assert_refused(&mut ledger, |l| {
        l.earn(&volunteer, &earn_request(&stranger, 60))
    });
    assert!(matches!(error, LedgerError::PassbookUnknown), "{error:?}");
    let error = assert_refused(&mut ledger, |l| l.account(&stranger, 10));
    assert!(matches!(error, LedgerError::PassbookUnknown), "{error:?}");
}

#[test]
fn a_truncated_or_misread_scan_asks_to_scan_again() {
    let (_dir, mut ledger, _admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "吴明");
    let scan = book.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &scan, 60);

    let truncated = scan[..scan.len() - 1].to_string();
    let last = scan.chars().last().unwrap();
    let misread = format!(
        "{}{}",
        &scan[..scan.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    );
    for bad in [truncated, misread, scan[..12].to_string()] {
        let error = assert_refused(&mut ledger, |l| redeem(l, &volunteer, &bad, &[("G001", 1)]));
        assert!(
            matches!(error, LedgerError::ScanIncomplete),
            "{bad}: {error:?}"
        );
        let error = assert_refused(&mut ledger, |l| l.earn(&volunteer, &earn_request(&bad, 60)));
        assert!(
            matches!(error, LedgerError::ScanIncomplete),
            "{bad}: {error:?}"
        );
    }

    // Caps Lock and a trailing CR/LF are what scanners type; they are the same passbook.
    let sloppy = format!("  {}\r\n", scan.to_lowercase());
    redeem(&mut ledger, &volunteer, &sloppy, &[("G001", 1)]).unwrap();
    assert_eq!(balance(&ledger, &book.passbook), 5);
}

#[test]
fn a_product_barcode_scanned_as_a_passbook_is_not_a_passbook() {
    let (_dir, mut ledger, _admin, volunteer, _now) = new_home();
    for code in [SOAP_BARCODE, "https://weixin.qq.com/r/abc", "SQ-A000001"] {
        let error = assert_refused(&mut ledger, |l| redeem(l, &volunteer, code, &[("G001", 1)]));
        assert!(
            matches!(error, LedgerError::NotAPassbook),
            "{code}: {error:?}"
        );
    }
}

const OTHER_COMMUNITY: &str = "桥西社区";

/// Appends, as a sync would, another counter's series: its genesis (community 桥西社区) and the
/// entries `bodies`, through a second connection of the same database.
fn append_foreign_series(
    dir: &tempfile::TempDir,
    at: chrono::DateTime<Utc>,
    bodies: Vec<Body>,
) -> Device {
    let other = Device::from_seed(Uuid::now_v7(), [42; 32]);
    let genesis = Body::CounterInitialized {
        community: OTHER_COMMUNITY.into(),
        prefix: "QX".into(),
        counter: "桥西爱心超市".into(),
        public_key: hex::encode(other.public_key().to_bytes()),
        utc_offset_minutes: 8 * 60,
        code: Some("B".into()),
        continues: None,
        number_block: None,
    };
    let series = SeriesInfo::from_body(&other.series_id, &genesis).unwrap();
    let mut conn = store::open(&db_path(dir)).unwrap();
    let tx = conn.transaction().unwrap();
    log::append(&tx, &other, None, at, None, None, genesis, &SqlKeys(&tx)).unwrap();
    for body in bodies {
        let txn = Uuid::now_v7().to_string();
        log::append(
            &tx,
            &other,
            Some(&series),
            at,
            Some("001"),
            Some(&txn),
            body,
            &SqlKeys(&tx),
        )
        .unwrap();
    }
    tx.commit().unwrap();
    other
}

#[test]
fn a_passbook_of_another_counter_of_the_district_earns_and_redeems_here_but_is_reissued_at_home() {
    let (dir, mut ledger, admin, volunteer, _now) = new_home();
    let token = Token::from_random([0x3C; 16]);
    append_foreign_series(
        &dir,
        start_time() - Duration::days(30),
        vec![Body::PassbookIssued {
            passbook: "QX-B000001".into(),
            resident: "QX-RB00042".into(),
            token_sha256: token.sha256_hex(),
            community: OTHER_COMMUNITY.into(),
        }],
    );
    // 全区通存通兑: points earned here, spent here, on a passbook issued at 桥西.
    earn(&mut ledger, &volunteer, token.as_str(), 120);
    let receipt = redeem(&mut ledger, &volunteer, token.as_str(), &[("G001", 1)]).unwrap();
    assert_eq!(receipt.balance_after.0, 20 - 5);
    // Only its home gives a new one for it; the refusal names the home.
    let error = assert_refused(&mut ledger, |l| {
        l.reissue_passbook(&admin, "QX-B000001", "遗失")
    });
    assert!(
        matches!(&error, LedgerError::KeptElsewhere { counter, .. } if counter == "桥西爱心超市"),
        "{error:?}"
    );
    assert!(
        error
            .message(pointsdesk::i18n::Lang::ZhCn)
            .contains("桥西爱心超市")
    );
    // Any counter blocks a lost one.
    ledger
        .revoke_passbook(&admin, "QX-B000001", "遗失")
        .unwrap();
    let error = assert_refused(&mut ledger, |l| {
        redeem(l, &volunteer, token.as_str(), &[("G001", 1)])
    });
    assert!(
        matches!(error, LedgerError::PassbookRevoked { .. }),
        "{error:?}"
    );
}

#[test]
fn a_series_written_into_the_database_without_a_certificate_is_named_by_verify() {
    let (dir, ledger, _admin, _volunteer, _now) = new_home();
    assert!(ledger.verify().unwrap().ok);
    append_foreign_series(&dir, start_time() + Duration::hours(10), Vec::new());
    let report = ledger.verify().unwrap();
    assert!(!report.ok);
    assert!(
        report.problems.iter().any(|p| matches!(
            p,
            pointsdesk::store::verify::Problem::Uncertified { counter } if counter == "桥西爱心超市"
        )),
        "{report:?}"
    );
}

// ----- operators -----

#[test]
fn a_disabled_operator_cannot_log_in() {
    let (_dir, mut ledger, admin, _volunteer, _now) = new_home();
    let added = ledger
        .add_operator(&admin, "孙丽", Role::Volunteer, "5555")
        .unwrap();
    ledger
        .set_operator_enabled(&admin, &added.operator, false)
        .unwrap();
    let error = assert_refused(&mut ledger, |l| l.login(&added.operator, "5555"));
    assert!(
        matches!(&error, LedgerError::OperatorDisabled(op) if *op == added.operator),
        "{error:?}"
    );
    ledger
        .set_operator_enabled(&admin, &added.operator, true)
        .unwrap();
    assert_eq!(
        ledger.login(&added.operator, "5555").unwrap().operator(),
        added.operator
    );
}

#[test]
fn an_unknown_operator_number_is_refused() {
    let (_dir, mut ledger, _admin, _volunteer, _now) = new_home();
    let error = assert_refused(&mut ledger, |l| l.login("099", ADMIN_PIN));
    assert!(
        matches!(error, LedgerError::OperatorUnknown(_)),
        "{error:?}"
    );
}

#[test]
fn five_wrong_pins_lock_an_operator_for_five_minutes() {
    let (_dir, mut ledger, _admin, _volunteer, now) = new_home();
    for left in (1..=4).rev() {
        let error = assert_refused(&mut ledger, |l| l.login(VOLUNTEER, "0000"));
        assert!(
            matches!(error, LedgerError::WrongPin { failures_left } if failures_left == left),
            "{error:?}"
        );
    }
    // The fifth wrong PIN locks, and the lock is an entry of the log.
    let entries = entry_count(ledger.connection());
    let error = ledger.login(VOLUNTEER, "0000").unwrap_err();
    assert!(
        matches!(&error, LedgerError::OperatorLocked { operator, .. } if operator == VOLUNTEER),
        "{error:?}"
    );
    assert_messages(&error);
    assert_eq!(entry_count(ledger.connection()), entries + 1);
    assert_eq!(entries_of_kind(ledger.connection(), "operator_locked"), 1);
    let locked = ledger
        .operators()
        .unwrap()
        .into_iter()
        .find(|o| o.operator == VOLUNTEER)
        .unwrap();
    assert!(locked.locked_until.is_some(), "{locked:?}");

    // While locked even the right PIN is refused.
    let error = assert_refused(&mut ledger, |l| l.login(VOLUNTEER, VOLUNTEER_PIN));
    assert!(
        matches!(error, LedgerError::OperatorLocked { .. }),
        "{error:?}"
    );
    advance(&now, Duration::minutes(4));
    let error = assert_refused(&mut ledger, |l| l.login(VOLUNTEER, VOLUNTEER_PIN));
    assert!(
        matches!(error, LedgerError::OperatorLocked { .. }),
        "{error:?}"
    );

    advance(&now, Duration::minutes(2));
    let session = ledger.login(VOLUNTEER, VOLUNTEER_PIN).unwrap();
    assert_eq!(session.operator(), VOLUNTEER);
    // The count started again: one wrong PIN leaves four tries.
    let error = assert_refused(&mut ledger, |l| l.login(VOLUNTEER, "9999"));
    assert!(
        matches!(error, LedgerError::WrongPin { failures_left: 4 }),
        "{error:?}"
    );
    assert!(ledger.verify().unwrap().ok);
}

// ----- corrections -----

#[test]
fn a_txn_is_reversed_at_most_once() {
    let (_dir, mut ledger, admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "黄海燕");
    let scan = book.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &scan, 120);
    let redeemed = redeem(&mut ledger, &volunteer, &scan, &[("G001", 2)]).unwrap();
    let reversal = ledger
        .reverse(&admin, &redeemed.txn, "拿错商品", None)
        .unwrap();
    assert_eq!(reversal.balance_after.0, 20);
    assert_eq!(stock(&ledger, "G001"), 10);

    let error = assert_refused(&mut ledger, |l| {
        l.reverse(&admin, &redeemed.txn, "再冲一次", None)
    });
    assert!(
        matches!(&error, LedgerError::AlreadyReversed { txn, by_txn }
            if *txn == redeemed.txn && *by_txn == reversal.txn),
        "{error:?}"
    );
    // A reversal is not itself reversible.
    let error = assert_refused(&mut ledger, |l| {
        l.reverse(&admin, &reversal.txn, "冲正的冲正", None)
    });
    assert!(matches!(error, LedgerError::NotReversible(_)), "{error:?}");
    let error = assert_refused(&mut ledger, |l| {
        l.reverse(&admin, &Uuid::now_v7().to_string(), "不存在", None)
    });
    assert!(matches!(error, LedgerError::TxnUnknown(_)), "{error:?}");
}

#[test]
fn reversing_and_adjusting_need_an_administrator() {
    let (_dir, mut ledger, _admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "林德明");
    let earned = earn(&mut ledger, &volunteer, book.token.as_str(), 60);

    let error = assert_refused(&mut ledger, |l| {
        l.reverse(&volunteer, &earned.txn, "志愿者想冲正", None)
    });
    assert!(
        matches!(&error, LedgerError::NotAdmin(op) if op == VOLUNTEER),
        "{error:?}"
    );
    let error = assert_refused(&mut ledger, |l| {
        l.adjust(&volunteer, &book.passbook, 100, "志愿者想加分", None)
    });
    assert!(matches!(error, LedgerError::NotAdmin(_)), "{error:?}");
    let error = assert_refused(&mut ledger, |l| {
        l.define_activity(&volunteer, "A09", "自封活动", 1000)
    });
    assert!(matches!(error, LedgerError::NotAdmin(_)), "{error:?}");
    assert_eq!(balance(&ledger, &book.passbook), 10);
}

// ----- idempotency -----

#[test]
fn the_same_txn_with_different_content_is_a_conflict() {
    let (_dir, mut ledger, _admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "郑淑珍");
    let (_, other) = resident_with_passbook(&mut ledger, &volunteer, "梁春梅");
    let scan = book.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &scan, 600);
    earn(&mut ledger, &volunteer, other.token.as_str(), 600);
    let txn = Uuid::now_v7();
    let mut request = redeem_request(&scan, &[("G001", 1)]);
    request.txn = Some(txn);
    ledger.redeem(&volunteer, &request).unwrap();

    let variants = [
        redeem_request(&scan, &[("G001", 2)]),
        redeem_request(&scan, &[("S001", 1)]),
        redeem_request(other.token.as_str(), &[("G001", 1)]),
    ];
    for mut variant in variants {
        variant.txn = Some(txn);
        let error = assert_refused(&mut ledger, |l| l.redeem(&volunteer, &variant));
        assert!(
            matches!(&error, LedgerError::TxnConflict(t) if *t == txn.to_string()),
            "{error:?}"
        );
    }
    // The id of a redemption cannot be reused for an earning either.
    let mut earning = earn_request(&scan, 60);
    earning.txn = Some(txn);
    let error = assert_refused(&mut ledger, |l| l.earn(&volunteer, &earning));
    assert!(matches!(error, LedgerError::TxnConflict(_)), "{error:?}");
    assert_eq!(balance(&ledger, &book.passbook), 95);
}

#[test]
fn the_same_txn_with_the_same_content_returns_the_first_receipt_and_writes_nothing() {
    let (_dir, mut ledger, _admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "谢文彬");
    let scan = book.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &scan, 300);
    let txn = Uuid::now_v7();
    let mut request = redeem_request(&scan, &[("G001", 2), ("S001", 1)]);
    request.txn = Some(txn);
    let first = ledger.redeem(&volunteer, &request).unwrap();
    assert!(!first.replayed);
    // Life goes on between the first try and the retry.
    earn(&mut ledger, &volunteer, &scan, 60);
    let entries = entry_count(ledger.connection());

    // The retry arrives by barcode and lower case: the same request all the same.
    let mut retry = redeem_request(&scan.to_lowercase(), &[(SOAP_BARCODE, 2), ("s001", 1)]);
    retry.txn = Some(txn);
    let again = ledger.redeem(&volunteer, &retry).unwrap();
    assert!(again.replayed);
    assert_eq!(entry_count(ledger.connection()), entries);
    assert_eq!(again.txn, first.txn);
    assert_eq!(again.seq, first.seq);
    assert_eq!(again.lines, first.lines);
    assert_eq!(again.points, first.points);
    assert_eq!(again.balance_before, first.balance_before);
    assert_eq!(again.balance_after, first.balance_after);
    assert_eq!(again.recorded_at, first.recorded_at);
    assert_eq!(balance(&ledger, &book.passbook), 50 - 20 + 10);
    assert_eq!(stock(&ledger, "G001"), 8);
}

// ----- text -----

const HOSTILE_TEXTS: &[&str] = &[
    "张\u{1b}[31m三",          // terminal colour
    "\u{1b}]0;pwned\u{7}李四", // terminal title (OSC)
    "王\u{1b}@五",             // ESC @: printer reset
    "赵\u{1d}V\u{0}六",        // GS V: paper cut, and a NUL
    "钱\u{0}七",
    "孙\u{9b}2J八",         // C1 CSI
    "evil\u{202E}txt.exe",  // right-to-left override
    "\u{2066}周\u{2069}九", // isolates
];

fn assert_bad_text(error: &LedgerError, field: &str) {
    assert!(
        matches!(error, LedgerError::BadText { field: f, problem: TextProblem::ControlCharacter } if *f == field),
        "{error:?}"
    );
}

#[test]
fn escape_sequences_printer_commands_and_bidi_overrides_are_refused_everywhere() {
    let (_dir, mut ledger, admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "冯国华");
    let earned = earn(&mut ledger, &volunteer, book.token.as_str(), 120);
    for hostile in HOSTILE_TEXTS {
        let resident_with = |field: &str| {
            let mut raw = NewResident {
                name: "正常名字".into(),
                ..NewResident::default()
            };
            match field {
                "name" => raw.name = hostile.to_string(),
                "address" => raw.address = Some(hostile.to_string()),
                _ => raw.note = Some(hostile.to_string()),
            }
            raw
        };
        for field in ["name", "address", "note"] {
            let raw = resident_with(field);
            let error = assert_refused(&mut ledger, |l| l.add_resident(&volunteer, &raw));
            assert_bad_text(&error, field);
        }
        let error = assert_refused(&mut ledger, |l| {
            l.adjust(&admin, &book.passbook, 5, hostile, None)
        });
        assert_bad_text(&error, "reason");
        let error = assert_refused(&mut ledger, |l| {
            l.reverse(&admin, &earned.txn, hostile, None)
        });
        assert_bad_text(&error, "reason");
        let error = assert_refused(&mut ledger, |l| {
            l.revoke_passbook(&admin, &book.passbook, hostile)
        });
        assert_bad_text(&error, "reason");
        let error = assert_refused(&mut ledger, |l| {
            l.reissue_passbook(&admin, &book.passbook, hostile)
        });
        assert_bad_text(&error, "reason");
        let error = assert_refused(&mut ledger, |l| {
            l.define_item(
                &admin,
                &NewItem {
                    item: "G099".into(),
                    name: hostile.to_string(),
                    kind: ItemKind::Goods,
                    points: 1,
                    barcode: None,
                    monthly_limit: None,
                },
            )
        });
        assert_bad_text(&error, "name");
        let error = assert_refused(&mut ledger, |l| {
            l.update_item(
                &admin,
                "G001",
                &ItemPatch {
                    name: Some(hostile.to_string()),
                    ..ItemPatch::default()
                },
            )
        });
        assert_bad_text(&error, "name");
        let error = assert_refused(&mut ledger, |l| {
            l.define_activity(&admin, "A09", hostile, 5)
        });
        assert_bad_text(&error, "name");
        let error = assert_refused(&mut ledger, |l| {
            l.restock(&volunteer, "G001", 1, Some(hostile))
        });
        assert_bad_text(&error, "donor");
        let error = assert_refused(&mut ledger, |l| {
            l.add_operator(&admin, hostile, Role::Volunteer, "4321")
        });
        assert_bad_text(&error, "name");
        let event = EarnRequest {
            event: Some(hostile.to_string()),
            ..earn_request(book.token.as_str(), 60)
        };
        let error = assert_refused(&mut ledger, |l| l.earn(&volunteer, &event));
        assert_bad_text(&error, "event");
    }
    assert!(ledger.verify().unwrap().ok);
}

#[test]
fn sql_metacharacters_in_a_name_are_stored_verbatim_and_the_tables_survive() {
    let (_dir, mut ledger, admin, volunteer, _now) = new_home();
    let evil = "'); DROP TABLE entries;--";
    let entries = entry_count(ledger.connection());
    let view = ledger
        .add_resident(
            &volunteer,
            &NewResident {
                name: evil.into(),
                note: Some("\" OR 1=1; DELETE FROM balances; --".into()),
                ..NewResident::default()
            },
        )
        .unwrap();
    let full = ledger.resident_full(&admin, &view.resident).unwrap();
    assert_eq!(full.name, evil);
    assert_eq!(
        full.note.as_deref(),
        Some("\" OR 1=1; DELETE FROM balances; --")
    );
    assert_eq!(entry_count(ledger.connection()), entries + 1);
    let found = ledger.residents(Some("DROP TABLE"), 10).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].resident, view.resident);
    // A search is a search, not SQL.
    assert!(
        ledger
            .residents(Some("' OR '1'='1"), 10)
            .unwrap()
            .is_empty()
    );

    let item = ledger
        .define_item(
            &admin,
            &NewItem {
                item: "G100".into(),
                name: "Robert'); DROP TABLE items;--".into(),
                kind: ItemKind::Goods,
                points: 1,
                barcode: Some("1'OR'1'='1".into()),
                monthly_limit: None,
            },
        )
        .unwrap();
    assert_eq!(item.name, "Robert'); DROP TABLE items;--");
    assert_eq!(ledger.item("1'OR'1'='1").unwrap().item, "G100");
    assert_eq!(ledger.items().unwrap().len(), 4);
    assert!(ledger.verify().unwrap().ok);
}

// ----- events -----

#[test]
fn an_event_check_in_credits_a_passbook_once() {
    let (_dir, mut ledger, admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "曹秀兰");
    let (_, neighbour) = resident_with_passbook(&mut ledger, &volunteer, "邓军");
    let check_in = |scan: &str, minutes: u32| EarnRequest {
        event: Some("春季清洁日".into()),
        ..earn_request(scan, minutes)
    };
    let scan = book.token.as_str().to_string();
    let first = ledger.earn(&volunteer, &check_in(&scan, 120)).unwrap();
    assert_eq!(first.points.0, 20);
    let entries = entry_count(ledger.connection());

    // The same passbook scanned again at the same event: the first result, nothing more.
    match ledger.earn(&volunteer, &check_in(&scan, 120)) {
        Ok(again) => {
            assert!(again.replayed);
            assert_eq!(again.txn, first.txn);
        }
        Err(error) => assert!(
            matches!(error, LedgerError::AlreadyCheckedIn { .. }),
            "{error:?}"
        ),
    }
    assert_eq!(entry_count(ledger.connection()), entries);
    // Scanned again with other hours: a refusal that says why.
    let error = assert_refused(&mut ledger, |l| l.earn(&volunteer, &check_in(&scan, 180)));
    assert!(
        matches!(&error, LedgerError::AlreadyCheckedIn { passbook, event }
            if *passbook == book.passbook && event == "春季清洁日"),
        "{error:?}"
    );
    // A reissued passbook is the same passbook.
    let reissued = ledger
        .reissue_passbook(&admin, &book.passbook, "遗失")
        .unwrap();
    let error = assert_refused(&mut ledger, |l| {
        l.earn(&volunteer, &check_in(reissued.token.as_str(), 90))
    });
    assert!(
        matches!(error, LedgerError::AlreadyCheckedIn { .. }),
        "{error:?}"
    );
    assert_eq!(balance(&ledger, &book.passbook), 20);

    // Everyone else at the event, and the next event, still count.
    ledger
        .earn(&volunteer, &check_in(neighbour.token.as_str(), 120))
        .unwrap();
    assert_eq!(balance(&ledger, &neighbour.passbook), 20);
    let next = EarnRequest {
        event: Some("秋季清洁日".into()),
        ..earn_request(reissued.token.as_str(), 60)
    };
    ledger.earn(&volunteer, &next).unwrap();
    assert_eq!(balance(&ledger, &book.passbook), 30);
}

// ----- personal data -----

fn checkpointed_database_bytes(ledger: &Ledger, dir: &tempfile::TempDir) -> Vec<u8> {
    let (busy, _, _): (i64, i64, i64) = ledger
        .connection()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(busy, 0, "the checkpoint ran to the end");
    let mut bytes = read_or_empty(&db_path(dir));
    bytes.extend(read_or_empty(&dir.path().join("ledger.db-wal")));
    bytes
}

#[test]
fn an_erased_resident_leaves_no_trace_of_their_name_in_the_database_file() {
    let (dir, mut ledger, admin, volunteer, _now) = new_home();
    let name = "欧阳娜娜";
    let phone = "13912345678";
    let address = "幸福里 8 栋 302 室";
    let resident = ledger
        .add_resident(
            &volunteer,
            &NewResident {
                name: name.into(),
                phone: Some(phone.into()),
                address: Some(address.into()),
                note: Some("腿脚不便，需送货上门".into()),
            },
        )
        .unwrap()
        .resident;
    let book = ledger.issue_passbook(&volunteer, &resident).unwrap();
    earn(&mut ledger, &volunteer, book.token.as_str(), 60);
    // The check below can see a name when there is one.
    let before = checkpointed_database_bytes(&ledger, &dir);
    assert!(contains_bytes(&before, name.as_bytes()));

    let error = assert_refused(&mut ledger, |l| l.erase_resident(&volunteer, &resident));
    assert!(matches!(error, LedgerError::NotAdmin(_)), "{error:?}");
    ledger.erase_resident(&admin, &resident).unwrap();

    let view = ledger.resident(&resident, false).unwrap();
    assert!(view.erased);
    assert!(!view.name.contains("娜"), "{view:?}");
    assert_eq!(view.phone, None);
    let full = ledger.resident_full(&admin, &resident).unwrap();
    assert!(
        full.erased && full.address.is_none() && full.note.is_none(),
        "{full:?}"
    );
    assert!(ledger.residents(Some("欧阳"), 10).unwrap().is_empty());
    assert!(
        !ledger
            .passbook(&book.passbook)
            .unwrap()
            .resident_name
            .contains('娜')
    );
    // The points stay: the passbook still works, the history is intact.
    assert_eq!(balance(&ledger, &book.passbook), 10);

    let bytes = checkpointed_database_bytes(&ledger, &dir);
    for secret in [name, phone, address, "腿脚不便"] {
        assert!(
            !contains_bytes(&bytes, secret.as_bytes()),
            "{secret} is still in the database file"
        );
    }
    assert!(ledger.verify().unwrap().ok);

    ledger.rebuild().unwrap();
    assert!(ledger.resident(&resident, false).unwrap().erased);
    assert!(ledger.verify().unwrap().ok);
    let bytes = checkpointed_database_bytes(&ledger, &dir);
    assert!(!contains_bytes(&bytes, name.as_bytes()));

    let error = assert_refused(&mut ledger, |l| l.erase_resident(&admin, &resident));
    assert!(matches!(error, LedgerError::ResidentErased(_)), "{error:?}");
    let error = assert_refused(&mut ledger, |l| {
        l.reissue_passbook(&admin, &book.passbook, "遗失")
    });
    assert!(matches!(error, LedgerError::ResidentErased(_)), "{error:?}");
}

#[test]
fn names_are_masked_unless_an_administrator_asks_for_the_full_record() {
    let (_dir, mut ledger, admin, volunteer, _now) = new_home();
    let resident = ledger
        .add_resident(
            &volunteer,
            &NewResident {
                name: "张三明".into(),
                phone: Some("13812345678".into()),
                address: Some("三桥新村 8 栋 302 室".into()),
                note: None,
            },
        )
        .unwrap();
    assert_eq!(resident.name, "张*明");
    assert_eq!(resident.phone.as_deref(), Some("138****5678"));
    assert_eq!(resident.address, None);
    let book = ledger
        .issue_passbook(&volunteer, &resident.resident)
        .unwrap();
    let receipt = earn(&mut ledger, &volunteer, book.token.as_str(), 60);
    assert_eq!(receipt.resident_name, "张*明");
    assert_eq!(
        ledger.passbook(&book.passbook).unwrap().resident_name,
        "张*明"
    );
    assert_eq!(
        ledger
            .account(book.token.as_str(), 5)
            .unwrap()
            .resident_name,
        "张*明"
    );
    assert_eq!(ledger.residents(Some("张"), 10).unwrap()[0].name, "张*明");

    let full = ledger.resident_full(&admin, &resident.resident).unwrap();
    assert_eq!(full.name, "张三明");
    assert_eq!(full.phone.as_deref(), Some("13812345678"));
    assert_eq!(full.address.as_deref(), Some("三桥新村 8 栋 302 室"));

    let error = assert_refused(&mut ledger, |l| {
        l.resident_full(&volunteer, &resident.resident)
    });
    assert!(
        matches!(&error, LedgerError::NotAdmin(op) if op == VOLUNTEER),
        "{error:?}"
    );
}
