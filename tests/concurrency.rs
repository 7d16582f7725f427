//! Several processes on one home at once: counters redeeming on the same passbook, a volunteer
//! crediting another, an administrator verifying, rebuilding or backing up. Nothing waits
//! forever, nobody sees "database is locked", and not a point is lost or counted twice.

mod support;

use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::Duration;
use support::{Desk, Out};
use uuid::Uuid;

const REDEEMERS: usize = 2;
/// Redemptions of each redeemer and earnings: the hermetic tier's share of its five minutes,
/// twice as many in the system tier.
const REDEMPTIONS_EACH: usize = if cfg!(feature = "system-tests") {
    60
} else {
    30
};
const EARNS: usize = REDEMPTIONS_EACH;
const OPENING_POINTS: i64 = 500;
const OPENING_STOCK: i64 = 1_000;
/// P001 costs 1 point; activity A01 gives 10 points an hour.
const EARN_POINTS: i64 = 10;

/// Two passbooks: A with `OPENING_POINTS` for redemptions, B empty for earnings.
struct Shop {
    desk: Arc<Desk>,
    spender: String,
    earner: String,
}

fn shop() -> Shop {
    let desk = Desk::init();
    desk.add_resident("张三明", "13812345678");
    desk.add_resident("李四", "13900000001");
    let (spender_no, spender) = desk.issue("SQ-RA00001");
    let (_, earner) = desk.issue("SQ-RA00002");
    desk.ok(&[
        "activity",
        "add",
        "A01",
        "--name",
        "垃圾分类",
        "--points-per-hour",
        &EARN_POINTS.to_string(),
    ]);
    desk.ok(&["catalog", "add", "P001", "--name", "纸巾", "--points", "1"]);
    desk.ok(&[
        "catalog",
        "restock",
        "P001",
        "--qty",
        &OPENING_STOCK.to_string(),
    ]);
    desk.ok(&[
        "adjust",
        "--passbook",
        &spender_no,
        "--points",
        &OPENING_POINTS.to_string(),
        "--reason",
        "期初积分",
    ]);
    Shop {
        desk: Arc::new(desk),
        spender,
        earner,
    }
}

/// A worker that runs `count` CLI commands one after another, starting with the others.
fn worker(
    desk: &Arc<Desk>,
    start: &Arc<Barrier>,
    count: usize,
    args: impl Fn(&str) -> Vec<String> + Send + 'static,
) -> JoinHandle<Vec<(String, Out)>> {
    let desk = Arc::clone(desk);
    let start = Arc::clone(start);
    std::thread::spawn(move || {
        start.wait();
        (0..count)
            .map(|_| {
                let txn = Uuid::now_v7().to_string();
                let args = args(&txn);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                (txn, desk.run(&args))
            })
            .collect()
    })
}

fn redeemer(shop: &Shop, start: &Arc<Barrier>) -> JoinHandle<Vec<(String, Out)>> {
    let scan = shop.spender.clone();
    worker(&shop.desk, start, REDEMPTIONS_EACH, move |txn| {
        [
            "--lang",
            "en",
            "--json",
            "redeem",
            "--passbook",
            &scan,
            "--item",
            "P001",
            "--txn",
            txn,
        ]
        .map(String::from)
        .to_vec()
    })
}

fn earner(shop: &Shop, start: &Arc<Barrier>) -> JoinHandle<Vec<(String, Out)>> {
    let scan = shop.earner.clone();
    worker(&shop.desk, start, EARNS, move |txn| {
        [
            "--lang",
            "en",
            "--json",
            "earn",
            "--passbook",
            &scan,
            "--activity",
            "A01",
            "--hours",
            "1",
            "--txn",
            txn,
        ]
        .map(String::from)
        .to_vec()
    })
}

/// Every run exited 0, said nothing about a lock, and is booked exactly once.
#[track_caller]
fn all_booked_once(desk: &Desk, what: &str, runs: &[(String, Out)]) {
    let conn = desk.db();
    for (i, (txn, out)) in runs.iter().enumerate() {
        assert!(
            !out.all().to_lowercase().contains("locked"),
            "{what} {i} met a lock:\n{}",
            out.all()
        );
        out.expect_code(0);
        let booked: i64 = conn
            .query_row("SELECT COUNT(*) FROM entries WHERE txn = ?1", [txn], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(booked, 1, "{what} {i} is booked once");
    }
}

fn stock_of(desk: &Desk, item: &str) -> i64 {
    desk.json(&["catalog", "list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == item)
        .unwrap()["stock"]
        .as_i64()
        .unwrap()
}

#[test]
fn two_counters_redeeming_and_a_volunteer_earning_at_once_lose_nothing() {
    let shop = shop();
    let start = Arc::new(Barrier::new(REDEEMERS + 1));
    let redeemers: Vec<_> = (0..REDEEMERS).map(|_| redeemer(&shop, &start)).collect();
    let earning = earner(&shop, &start);

    let mut redeemed = Vec::new();
    for handle in redeemers {
        redeemed.extend(handle.join().expect("redeemer thread"));
    }
    let earned = earning.join().expect("earner thread");

    let desk = &shop.desk;
    all_booked_once(desk, "redemption", &redeemed);
    all_booked_once(desk, "earning", &earned);

    let total = (REDEEMERS * REDEMPTIONS_EACH) as i64;
    assert_eq!(desk.balance(&shop.spender), OPENING_POINTS - total);
    assert_eq!(desk.balance(&shop.earner), EARN_POINTS * EARNS as i64);
    assert_eq!(stock_of(desk, "P001"), OPENING_STOCK - total);

    // Each redemption saw its own balance: no two read the same one.
    let mut after: Vec<i64> = redeemed
        .iter()
        .map(|(_, out)| out.json()["balance_after"].as_i64().unwrap())
        .collect();
    after.sort_unstable();
    let expected: Vec<i64> = (OPENING_POINTS - total..OPENING_POINTS).collect();
    assert_eq!(after, expected);
    desk.verify();
}

/// Runs `check` repeatedly from another thread while redemptions commit; returns its runs.
fn while_redeeming(shop: &Shop, args: &[&str], pause: Duration) -> Vec<Out> {
    let start = Arc::new(Barrier::new(REDEEMERS + 1));
    let redeemers: Vec<_> = (0..REDEEMERS).map(|_| redeemer(shop, &start)).collect();
    start.wait();
    let mut checks = Vec::new();
    while redeemers.iter().any(|h| !h.is_finished()) {
        checks.push(shop.desk.run(args));
        std::thread::sleep(pause);
    }
    let mut redeemed = Vec::new();
    for handle in redeemers {
        redeemed.extend(handle.join().expect("redeemer thread"));
    }
    all_booked_once(&shop.desk, "redemption", &redeemed);
    assert!(!checks.is_empty());
    checks
}

#[test]
fn ledger_verify_run_while_counters_redeem_always_passes() {
    let shop = shop();
    let checks = while_redeeming(&shop, &["--lang", "en", "ledger", "verify"], Duration::ZERO);
    let failed: Vec<&Out> = checks.iter().filter(|o| o.code() != Some(0)).collect();
    assert!(
        failed.is_empty(),
        "{} of {} verify runs failed on a healthy ledger; first:\n{}",
        failed.len(),
        checks.len(),
        failed.first().map(|o| o.all()).unwrap_or_default()
    );
    shop.desk.verify();
}

#[test]
fn balance_and_history_read_while_counters_redeem_never_fail() {
    let shop = shop();
    let args = ["--json", "history", "--passbook", &shop.spender];
    let checks = while_redeeming(&shop, &args, Duration::ZERO);
    let mut last = OPENING_POINTS;
    for out in &checks {
        out.expect_code(0);
        let balance = out.json()["balance"].as_i64().unwrap();
        assert!(
            balance <= last,
            "a balance never goes back up while spending"
        );
        last = balance;
    }
    shop.desk.verify();
}

#[test]
fn ledger_rebuild_run_while_counters_redeem_leaves_a_ledger_that_verifies() {
    let shop = shop();
    let checks = while_redeeming(
        &shop,
        &["--lang", "en", "ledger", "rebuild"],
        Duration::ZERO,
    );
    for out in &checks {
        out.expect_code(0);
    }
    let total = (REDEEMERS * REDEMPTIONS_EACH) as i64;
    let report = shop.desk.json(&["ledger", "verify"]);
    assert_eq!(
        report["ok"],
        true,
        "after {} rebuilds: {report}",
        checks.len()
    );
    assert_eq!(shop.desk.balance(&shop.spender), OPENING_POINTS - total);
}

#[test]
fn a_backup_taken_while_counters_redeem_is_a_consistent_ledger() {
    let shop = shop();
    let desk = &shop.desk;
    let backups = desk.path("backups");
    std::fs::create_dir(&backups).unwrap();
    let start = Arc::new(Barrier::new(REDEEMERS + 1));
    let redeemers: Vec<_> = (0..REDEEMERS).map(|_| redeemer(&shop, &start)).collect();
    start.wait();
    let mut files = Vec::new();
    while redeemers.iter().any(|h| !h.is_finished()) && files.len() < 20 {
        let file = backups.join(format!("b{}.db", files.len()));
        desk.ok(&["backup", "--out", file.to_str().unwrap()]);
        files.push(file);
        std::thread::sleep(Duration::from_millis(50));
    }
    for handle in redeemers {
        handle.join().expect("redeemer thread");
    }
    assert!(!files.is_empty());
    // Each backup, opened as this counter's home (same key), verifies on its own.
    for file in &files {
        let copy = desk.path("copy");
        let _ = std::fs::remove_dir_all(&copy);
        std::fs::create_dir_all(copy.join("keys")).unwrap();
        std::fs::copy(
            desk.home.join("keys").join("device.key"),
            copy.join("keys").join("device.key"),
        )
        .unwrap();
        std::fs::copy(file, copy.join("ledger.db")).unwrap();
        let mut command = desk.command(&["--json", "ledger", "verify"]);
        command.env("POINTSDESK_HOME", &copy);
        let out = desk.run_command(command);
        // A backup carries no head anchor (the home's own anchor is ahead of it, as it
        // should be): that is the only thing verify may find.
        let problems = out.json()["problems"].clone();
        assert_eq!(
            problems,
            serde_json::json!([{"problem": "anchor_missing"}]),
            "{} verifies but for its anchor",
            file.display()
        );
    }
    desk.verify();
}
