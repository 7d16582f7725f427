//! Random counter days: whatever sequence of earnings, redemptions, reversals, adjustments,
//! stock movements and passbook changes happens (refusals included), the books balance, nothing
//! goes below zero, the log verifies, and a rebuild from the log changes no projection row.

mod common;

use chrono::Duration;
use common::*;
use pointsdesk::ledger::{ErrorKind, LedgerError, Receipt};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use uuid::Uuid;

const RESIDENTS: usize = 3;
/// Item codes and a barcode (the same soap as G001, so that lines merge across spellings).
const ITEMS: [&str; 4] = ["G001", "G002", "S001", SOAP_BARCODE];

#[derive(Clone, Debug)]
enum Op {
    /// `stale`: scan the resident's first token, which may have been revoked since.
    Earn {
        who: usize,
        minutes: u32,
        stale: bool,
    },
    Redeem {
        who: usize,
        lines: Vec<(usize, u32)>,
        stale: bool,
    },
    /// Reverses the `pick`-th txn made so far (modulo): repeats reverse twice, reversals and
    /// adjustments are not reversible; with no txn yet, an unknown one.
    Reverse {
        pick: usize,
    },
    Adjust {
        who: usize,
        points: i64,
    },
    Restock {
        item: usize,
        qty: i64,
    },
    Count {
        item: usize,
        counted: i64,
    },
    Issue {
        who: usize,
    },
    Reissue {
        who: usize,
    },
    Revoke {
        who: usize,
    },
    /// The clock moves on (crossing days and months: limits, daily totals).
    Tick {
        hours: i64,
    },
}

/// Mostly a real stint of volunteering; now and then zero (refused).
fn minutes() -> impl Strategy<Value = u32> {
    prop_oneof![12 => 30..=300u32, 1 => Just(0u32)]
}

/// Mostly one to three; now and then zero (refused) or more than the shelf or the limit holds.
fn quantity() -> impl Strategy<Value = u32> {
    prop_oneof![12 => 1..=3u32, 1 => Just(0u32), 2 => 4..=12u32]
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..RESIDENTS;
    prop_oneof![
        3 => (who.clone(), minutes(), prop::bool::weighted(0.1))
            .prop_map(|(who, minutes, stale)| Op::Earn { who, minutes, stale }),
        6 => (
            who.clone(),
            prop::collection::vec((0..ITEMS.len(), quantity()), 1..=3),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(who, lines, stale)| Op::Redeem { who, lines, stale }),
        2 => (0..12usize).prop_map(|pick| Op::Reverse { pick }),
        2 => (who.clone(), -40..=40i64).prop_map(|(who, points)| Op::Adjust { who, points }),
        1 => (0..3usize, 0..=20i64).prop_map(|(item, qty)| Op::Restock { item, qty }),
        1 => (0..3usize, 0..=15i64).prop_map(|(item, counted)| Op::Count { item, counted }),
        1 => who.clone().prop_map(|who| Op::Issue { who }),
        1 => who.clone().prop_map(|who| Op::Reissue { who }),
        1 => who.prop_map(|who| Op::Revoke { who }),
        1 => (1..=24 * 20i64).prop_map(|hours| Op::Tick { hours }),
    ]
}

struct Resident {
    id: String,
    passbook: String,
    first_scan: String,
    scan: String,
}

impl Resident {
    fn scan(&self, stale: bool) -> &str {
        if stale { &self.first_scan } else { &self.scan }
    }
}

/// A refusal is fine; a system fault (database, keys, disk) never is.
fn refused(op: &Op, error: &LedgerError) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        error.kind(),
        ErrorKind::Refused,
        "{:?} failed with a fault: {:?}",
        op,
        error
    );
    Ok(())
}

fn single_i64(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    // Durability is not what this test is about (tests/crash.rs is): with synchronous=FULL
    // every one of the ~50 commits of a case waits for an fsync, which would make the fsyncs
    // most of the run time. The temporary home is thrown away after the case.
    let (_dir, mut ledger, admin, volunteer, now) = new_home_with(|ledger| {
        ledger
            .connection()
            .pragma_update(None, "synchronous", "OFF")
            .unwrap()
    });
    let mut residents: Vec<Resident> = (0..RESIDENTS)
        .map(|i| {
            let (id, issued) =
                resident_with_passbook(&mut ledger, &volunteer, ["张三明", "李秀英", "王建国"][i]);
            let scan = issued.token.as_str().to_string();
            Resident {
                id,
                passbook: issued.passbook,
                first_scan: scan.clone(),
                scan,
            }
        })
        .collect();
    // An opening balance, so that most redemptions can be afforded and some cannot.
    for resident in &residents {
        ledger
            .adjust(&admin, &resident.passbook, 120, "期初余额", None)
            .unwrap();
    }
    let mut txns: Vec<String> = Vec::new();

    for op in ops {
        let outcome: Result<Option<Receipt>, LedgerError> = match op {
            Op::Earn {
                who,
                minutes,
                stale,
            } => ledger
                .earn(
                    &volunteer,
                    &earn_request(residents[*who].scan(*stale), *minutes),
                )
                .map(Some),
            Op::Redeem { who, lines, stale } => {
                let lines: Vec<(&str, u32)> = lines.iter().map(|(i, q)| (ITEMS[*i], *q)).collect();
                redeem(
                    &mut ledger,
                    &volunteer,
                    residents[*who].scan(*stale),
                    &lines,
                )
                .map(Some)
            }
            Op::Reverse { pick } => {
                let of = match txns.len() {
                    0 => Uuid::now_v7().to_string(),
                    n => txns[pick % n].clone(),
                };
                ledger.reverse(&admin, &of, "测试冲正", None).map(Some)
            }
            Op::Adjust { who, points } => ledger
                .adjust(&admin, &residents[*who].passbook, *points, "盘点调整", None)
                .map(Some),
            Op::Restock { item, qty } => ledger
                .restock(&volunteer, ITEMS[*item], *qty, Some("捐赠人"))
                .map(|_| None),
            Op::Count { item, counted } => ledger
                .count_stock(&volunteer, ITEMS[*item], *counted)
                .map(|_| None),
            Op::Issue { who } => match ledger.issue_passbook(&volunteer, &residents[*who].id) {
                Ok(issued) => {
                    // A revoked passbook gets a new token on the same number.
                    prop_assert_eq!(&issued.passbook, &residents[*who].passbook);
                    residents[*who].scan = issued.token.as_str().to_string();
                    Ok(None)
                }
                Err(error) => Err(error),
            },
            Op::Reissue { who } => ledger
                .reissue_passbook(&admin, &residents[*who].passbook, "遗失")
                .map(|issued| {
                    residents[*who].scan = issued.token.as_str().to_string();
                    None
                }),
            Op::Revoke { who } => ledger
                .revoke_passbook(&admin, &residents[*who].passbook, "挂失")
                .map(|()| None),
            Op::Tick { hours } => {
                advance(&now, Duration::hours(*hours));
                Ok(None)
            }
        };
        match outcome {
            Ok(Some(receipt)) => {
                prop_assert!(!receipt.replayed);
                prop_assert_eq!(
                    balance(&ledger, &receipt.passbook),
                    receipt.balance_after.0,
                    "the receipt of {:?} agrees with the balance",
                    op
                );
                txns.push(receipt.txn);
            }
            Ok(None) => {}
            Err(error) => refused(op, &error)?,
        }
    }

    let conn = ledger.connection();
    prop_assert_eq!(
        single_i64(
            conn,
            "SELECT COUNT(*) FROM balances WHERE account LIKE 'passbook:%' AND points < 0"
        ),
        0,
        "a passbook below zero"
    );
    prop_assert_eq!(
        single_i64(conn, "SELECT COALESCE(SUM(points), 0) FROM balances"),
        0
    );
    prop_assert_eq!(
        single_i64(conn, "SELECT COALESCE(SUM(points), 0) FROM postings"),
        0
    );
    prop_assert_eq!(
        single_i64(
            conn,
            "SELECT COUNT(*) FROM balances b
             WHERE b.points != (SELECT COALESCE(SUM(p.points), 0) FROM postings p
                                WHERE p.account = b.account)"
        ),
        0,
        "every balance is the sum of its postings"
    );
    prop_assert_eq!(
        single_i64(
            conn,
            "SELECT COUNT(DISTINCT account) FROM postings
             WHERE account NOT IN (SELECT account FROM balances)"
        ),
        0,
        "every posted account has a balance"
    );
    prop_assert_eq!(
        single_i64(conn, "SELECT COUNT(*) FROM stock WHERE qty < 0"),
        0
    );
    prop_assert_eq!(
        single_i64(conn, "SELECT COUNT(*) FROM usage WHERE qty < 0"),
        0
    );
    let report = ledger.verify().unwrap();
    prop_assert!(report.ok, "{:?}", report);

    let before = dump_projections(ledger.connection());
    ledger.rebuild().unwrap();
    let after = dump_projections(ledger.connection());
    for ((table, rows_before), (_, rows_after)) in before.iter().zip(&after) {
        prop_assert_eq!(rows_before, rows_after, "table {} after rebuild", table);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_counter_day_keeps_the_books_balanced_and_rebuildable(
        ops in prop::collection::vec(op(), 1..=40)
    ) {
        run(&ops)?;
    }
}
