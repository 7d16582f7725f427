//! kill -9 at any point of a redemption: hundreds of redemptions, each its own CLI process with
//! its own txn id, a deterministic subset of them killed with SIGKILL after a random delay.
//! Whatever a process reported as done is in the log exactly once, whatever it refused is not
//! there at all, a killed one is there at most once, and the ledger still verifies and adds up.

mod support;

use std::time::{Duration, Instant};
use support::{Desk, Out, RUN_TIMEOUT, Running, SplitMix64};
use uuid::Uuid;

/// Redemptions in a run: the hermetic tier's share of its five minutes, the system tier's
/// full count.
const REDEMPTIONS: usize = if cfg!(feature = "system-tests") {
    500
} else {
    150
};
/// Fewer points than redemptions, so that the end of the run is refused for lack of points.
const OPENING_POINTS: i64 = REDEMPTIONS as i64 * 7 / 10;
const OPENING_STOCK: i64 = 1_000;
/// Killed processes are 3 to 5 apart.
const KILL_GAP: (u64, u64) = (3, 5);
/// The shortest window of kill delays, in milliseconds.
const KILL_DELAY_MS_MIN_WINDOW: u64 = 40;
/// A fixed seed: a failure can be replayed exactly. Override with POINTSDESK_CRASH_SEED.
const DEFAULT_SEED: u64 = 0x5EED_2026_0001;

#[derive(Debug, PartialEq, Eq)]
enum Fate {
    /// Exit 0: the redemption was reported done.
    Done,
    /// Exit 1: refused (not enough points).
    Refused,
    /// Ended by SIGKILL before it could say anything.
    Killed,
}

struct Attempt {
    txn: String,
    fate: Fate,
    out: Out,
}

/// A passbook with `OPENING_POINTS` and an item worth 1 point with plenty of stock.
fn prepared_desk() -> (Desk, String) {
    let desk = Desk::init();
    desk.add_resident("张三明", "13812345678");
    let (passbook, scan) = desk.issue("SQ-RA00001");
    desk.ok(&["catalog", "add", "P001", "--name", "纸巾", "--points", "1"]);
    desk.ok(&[
        "catalog",
        "restock",
        "P001",
        "--qty",
        &OPENING_STOCK.to_string(),
        "--donor",
        "爱心企业",
    ]);
    desk.ok(&[
        "adjust",
        "--passbook",
        &passbook,
        "--points",
        &OPENING_POINTS.to_string(),
        "--reason",
        "期初积分",
    ]);
    assert_eq!(desk.balance(&scan), OPENING_POINTS);
    (desk, scan)
}

fn redeem_command(desk: &Desk, scan: &str, txn: &str) -> std::process::Command {
    desk.command(&[
        "--lang",
        "en",
        "--json",
        "redeem",
        "--passbook",
        scan,
        "--item",
        "P001",
        "--txn",
        txn,
    ])
}

/// Median wall time of an uncontended redemption, so kill delays cover a whole run, commit
/// included, and not only its start. The calibration redemptions are booked like any other.
fn calibrate(desk: &Desk, scan: &str) -> (Duration, Vec<String>) {
    let mut times = Vec::new();
    let mut txns = Vec::new();
    for _ in 0..5 {
        let txn = Uuid::now_v7().to_string();
        let started = Instant::now();
        desk.run_command(redeem_command(desk, scan, &txn))
            .expect_code(0);
        times.push(started.elapsed());
        txns.push(txn);
    }
    times.sort();
    (times[2], txns)
}

fn count(conn: &rusqlite::Connection, sql: &str, param: &str) -> i64 {
    conn.query_row(sql, [param], |r| r.get(0)).expect("count")
}

#[test]
fn redemptions_killed_at_random_points_are_never_lost_nor_counted_twice() {
    let seed = std::env::var("POINTSDESK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let mut rng = SplitMix64(seed);
    let (desk, scan) = prepared_desk();
    let (typical, calibration_txns) = calibrate(&desk, &scan);
    let typical_ms = typical.as_millis() as u64;
    let window_ms = (typical_ms * 6 / 5).max(KILL_DELAY_MS_MIN_WINDOW);

    let started = Instant::now();
    let mut attempts = Vec::with_capacity(REDEMPTIONS);
    let mut next_kill = rng.between(KILL_GAP.0, KILL_GAP.1) as usize;
    let mut targeted = 0;
    for i in 0..REDEMPTIONS {
        let txn = Uuid::now_v7().to_string();
        let mut running = Running::spawn(redeem_command(&desk, &scan, &txn));
        if i == next_kill {
            next_kill += rng.between(KILL_GAP.0, KILL_GAP.1) as usize;
            targeted += 1;
            // Half anywhere in the run, half near its end, where the commit happens.
            let delay_ms = if rng.next_u64().is_multiple_of(2) {
                rng.between(0, window_ms)
            } else {
                rng.between(typical_ms * 7 / 10, typical_ms * 11 / 10)
            };
            std::thread::sleep(Duration::from_millis(delay_ms));
            running.kill();
        }
        let out = running.finish(RUN_TIMEOUT);
        let fate = match out.code() {
            Some(0) => Fate::Done,
            Some(1) => Fate::Refused,
            None => Fate::Killed,
            Some(other) => panic!(
                "redemption {i} exited with {other}\nstdout:\n{}\nstderr:\n{}",
                out.stdout, out.stderr
            ),
        };
        attempts.push(Attempt { txn, fate, out });
    }
    let elapsed = started.elapsed();

    // The ledger verifies: chain, signatures, gapless seqs, projections, postings.
    desk.verify();

    let conn = desk.db();
    let by_txn = "SELECT COUNT(*) FROM entries WHERE txn = ?1";
    let mut done = 0;
    let mut refused = 0;
    let mut killed = 0;
    let mut killed_after_commit = 0;
    let mut balances_after = Vec::new();
    for (i, attempt) in attempts.iter().enumerate() {
        let booked = count(&conn, by_txn, &attempt.txn);
        match attempt.fate {
            Fate::Done => {
                done += 1;
                assert_eq!(booked, 1, "redemption {i} reported done: booked once");
                let receipt = attempt.out.json();
                assert_eq!(receipt["txn"], attempt.txn.as_str());
                assert_eq!(receipt["replayed"], false);
                balances_after.push(receipt["balance_after"].as_i64().unwrap());
            }
            Fate::Refused => {
                refused += 1;
                assert_eq!(booked, 0, "redemption {i} was refused: nothing booked");
                let error = attempt.out.json();
                assert_eq!(error["ok"], false);
                assert!(
                    error["message"]
                        .as_str()
                        .unwrap()
                        .contains("Not enough points"),
                    "redemption {i} refused for the right reason: {error}"
                );
            }
            Fate::Killed => {
                killed += 1;
                assert!(booked <= 1, "killed redemption {i} booked at most once");
                killed_after_commit += booked;
            }
        }
    }
    let redeemed = count(
        &conn,
        "SELECT COUNT(*) FROM entries WHERE kind = ?1",
        "points_redeemed",
    );
    let calibration = calibration_txns.len() as i64;
    assert_eq!(redeemed, calibration + done + killed_after_commit);
    assert_eq!(desk.balance(&scan), OPENING_POINTS - redeemed);
    assert!(refused > 0, "the run ended by running out of points");
    assert_eq!(
        desk.balance(&scan),
        0,
        "every point was spent exactly once despite the kills"
    );
    // Every reported balance is distinct: no two redemptions saw the same balance.
    balances_after.sort_unstable();
    balances_after.dedup();
    assert_eq!(balances_after.len() as i64, done);

    let stock = desk
        .json(&["catalog", "list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "P001")
        .unwrap()["stock"]
        .as_i64()
        .unwrap();
    assert_eq!(stock, OPENING_STOCK - redeemed);

    // A killed redemption retried with its txn id: replayed if it had committed, else a new
    // attempt (refused now: the points are gone). Either way never booked twice.
    for attempt in attempts.iter().filter(|a| a.fate == Fate::Killed) {
        let before = count(&conn, by_txn, &attempt.txn);
        let retry = desk.run_command(redeem_command(&desk, &scan, &attempt.txn));
        let after = count(&conn, by_txn, &attempt.txn);
        match (before, retry.code()) {
            (1, Some(0)) => {
                assert_eq!(retry.json()["replayed"], true);
                assert_eq!(after, 1);
            }
            (0, Some(1)) => assert_eq!(after, 0),
            (0, Some(0)) => {
                assert_eq!(retry.json()["replayed"], false);
                assert_eq!(after, 1);
            }
            other => panic!("retry of a killed redemption: {other:?} {retry:?}"),
        }
    }
    desk.verify();
    assert_eq!(
        desk.balance(&scan),
        OPENING_POINTS - desk.entries_of_kind("points_redeemed")
    );

    eprintln!(
        "seed {seed:#x}: {REDEMPTIONS} redemptions in {elapsed:.1?} (typical {typical:?}, kill \
         window {window_ms} ms): {done} done, {refused} refused, {killed} killed \
         ({killed_after_commit} of them after commit, {targeted} sent SIGKILL)"
    );
    // About a quarter are sent SIGKILL; those that finished first count as done or refused.
    assert!(
        killed >= targeted / 4,
        "enough processes died by SIGKILL: {killed} of {targeted}"
    );
}
