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

/// Mostly a real stint of volunteering in quarter hours; now and then zero or an odd number
/// of minutes (refused: hours are quarter hours).
fn minutes() -> impl Strategy<Value = u32> {
    prop_oneof![12 => (1..=20u32).prop_map(|q| q * 15), 1 => Just(0u32), 1 => 1..=600u32]
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

/// Reversible requests for the reversal property: an earning or a redemption.
#[derive(Clone, Debug)]
enum Reversible {
    Earn {
        who: usize,
        quarters: u32,
    },
    Redeem {
        who: usize,
        lines: Vec<(usize, u32)>,
    },
}

fn reversible() -> impl Strategy<Value = Reversible> {
    prop_oneof![
        (0..RESIDENTS, 1..=12u32).prop_map(|(who, quarters)| Reversible::Earn { who, quarters }),
        (
            0..RESIDENTS,
            prop::collection::vec((0..ITEMS.len(), 1..=2u32), 1..=3)
        )
            .prop_map(|(who, lines)| Reversible::Redeem { who, lines }),
    ]
}

/// Rows of one table of a projection dump.
fn rows<'a>(dump: &'a Dump, table: &str) -> &'a Vec<Vec<pointsdesk::store::cell::Cell>> {
    &dump.iter().find(|(t, _)| *t == table).unwrap().1
}

/// Rows of a table of counters (balances, stock, monthly use, month totals) that hold
/// something: a balance brought back to zero is no balance, whether its row stays or not.
fn counting_rows(dump: &Dump, table: &str) -> Vec<Vec<pointsdesk::store::cell::Cell>> {
    use pointsdesk::store::cell::Cell;
    let spec = pointsdesk::store::projection::TABLES
        .iter()
        .find(|t| t.name == table)
        .unwrap();
    rows(dump, table)
        .iter()
        .filter(|row| row[spec.keys.len()..].iter().any(|c| *c != Cell::Int(0)))
        .cloned()
        .collect()
}

/// The sum of each account's postings.
fn posting_sums(dump: &Dump) -> std::collections::BTreeMap<String, i64> {
    let mut sums = std::collections::BTreeMap::new();
    for row in rows(dump, "postings") {
        if let (pointsdesk::store::cell::Cell::Text(account), points) = (&row[0], &row[2]) {
            *sums.entry(account.clone()).or_insert(0) += points.as_int();
        }
    }
    sums.retain(|_, v| *v != 0);
    sums
}

/// Tables a reversal leaves as they were before the txn it reverses: everything but the log's
/// own bookkeeping (postings rows, the series head, the reversed-txn mark) and the daily
/// totals, where a reversal is counted on the day it is made so that a closed day never
/// changes. With `hours_between` > 0 the month may change too: then the month totals count
/// the reversal in its own month, and only the balances, stock and monthly use are compared.
fn reversal_restores(
    ops: &[Op],
    request: &Reversible,
    hours_between: i64,
) -> Result<(), TestCaseError> {
    let (_dir, mut ledger, admin, volunteer, now) = new_home_with(|ledger| {
        ledger
            .connection()
            .pragma_update(None, "synchronous", "OFF")
            .unwrap()
    });
    let mut scans = Vec::new();
    for name in ["张三明", "李秀英", "王建国"] {
        let (_, issued) = resident_with_passbook(&mut ledger, &volunteer, name);
        ledger
            .adjust(&admin, &issued.passbook, 200, "期初余额", None)
            .unwrap();
        scans.push(issued.token.as_str().to_string());
    }
    // Some history first, whatever of it is refused.
    for op in ops {
        let _ = match op {
            Op::Earn { who, minutes, .. } => ledger
                .earn(&volunteer, &earn_request(&scans[*who], *minutes))
                .map(drop),
            Op::Redeem { who, lines, .. } => {
                let lines: Vec<(&str, u32)> = lines.iter().map(|(i, q)| (ITEMS[*i], *q)).collect();
                redeem(&mut ledger, &volunteer, &scans[*who], &lines).map(drop)
            }
            Op::Restock { item, qty } => ledger
                .restock(&volunteer, ITEMS[*item], *qty, None)
                .map(drop),
            Op::Tick { hours } => {
                advance(&now, Duration::hours(*hours));
                Ok(())
            }
            _ => Ok(()),
        };
    }
    let before = dump_projections(ledger.connection());
    let done = match request {
        Reversible::Earn { who, quarters } => {
            ledger.earn(&volunteer, &earn_request(&scans[*who], quarters * 15))
        }
        Reversible::Redeem { who, lines } => {
            let lines: Vec<(&str, u32)> = lines.iter().map(|(i, q)| (ITEMS[*i], *q)).collect();
            redeem(&mut ledger, &volunteer, &scans[*who], &lines)
        }
    };
    let Ok(receipt) = done else {
        return Ok(()); // refused (stock, limit): nothing to reverse
    };
    advance(&now, Duration::hours(hours_between));
    ledger
        .reverse(&admin, &receipt.txn, "原样退回", None)
        .unwrap();
    let after = dump_projections(ledger.connection());
    let compared: &[&str] = if hours_between == 0 {
        &[
            "balances",
            "stock",
            "usage",
            "month_totals",
            "operators",
            "residents",
            "passbooks",
            "passbook_tokens",
            "activities",
            "items",
        ]
    } else {
        &["balances", "stock", "usage"]
    };
    for table in compared {
        prop_assert_eq!(
            counting_rows(&before, table),
            counting_rows(&after, table),
            "table {} after the reversal",
            table
        );
    }
    prop_assert_eq!(
        posting_sums(&before),
        posting_sums(&after),
        "the postings net out"
    );
    prop_assert!(
        rows(&after, "reversed_txns")
            .iter()
            .any(|r| r[1] == pointsdesk::store::cell::Cell::text(&receipt.txn)),
        "the txn is marked reversed"
    );
    prop_assert!(ledger.verify().unwrap().ok);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    })]

    #[test]
    fn reversing_an_earning_or_a_redemption_restores_every_projection_it_changed(
        ops in prop::collection::vec(op(), 0..=15),
        request in reversible(),
        hours_between in prop_oneof![2 => Just(0i64), 1 => 1..=24 * 45i64],
    ) {
        reversal_restores(&ops, &request, hours_between)?;
    }
}
