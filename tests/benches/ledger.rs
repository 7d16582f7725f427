//! Ledger benchmarks: redeem commit latency against a bare SQLite commit with the same
//! durability (WAL, synchronous=FULL) measured in the same run, scan → resident data, and
//! `ledger verify`, at several ledger sizes.
//!
//! A custom harness rather than criterion: the budget is stated in tail percentiles (p50, p99)
//! relative to a baseline taken alternately in the same run, which criterion's mean/median
//! reports do not give. Seeded ledgers are cached in `target/bench-data/` because building a
//! million signed entries takes minutes.
//!
//! Run: `cargo bench --bench ledger` (sizes: `POINTSDESK_BENCH_SIZES=10000,1000000`).

use pointsdesk::home::Home;
use rusqlite::Connection;
use seed::{PIN, percentile, redeem3, seeded, us};
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "seed.rs"]
mod seed;

const REDEEM_SAMPLES: usize = 2_000;
const SCAN_SAMPLES: usize = 5_000;

/// A bare one-row commit with the same durability, in its own database beside the ledger.
struct Bare {
    conn: Connection,
    next: i64,
}

impl Bare {
    fn new(dir: &Path) -> Bare {
        let path = dir.join("bare.db");
        let _ = std::fs::remove_file(&path);
        let conn = pointsdesk::store::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)")
            .unwrap();
        Bare { conn, next: 0 }
    }

    fn commit(&mut self) -> Duration {
        self.next += 1;
        let started = Instant::now();
        self.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        self.conn
            .prepare_cached("INSERT INTO t (id, v) VALUES (?1, ?2)")
            .unwrap()
            .execute(rusqlite::params![self.next, vec![7u8; 200]])
            .unwrap();
        self.conn.execute_batch("COMMIT").unwrap();
        started.elapsed()
    }
}

struct SizeResult {
    entries: u64,
    redeem_p50: Duration,
    redeem_p99: Duration,
    bare_p50: Duration,
    bare_p99: Duration,
    cpu_p50: Duration,
    scan_p50: Duration,
    scan_p99: Duration,
    verify: Duration,
}

fn measure(entries: u64) -> SizeResult {
    let (dir, scans) = seeded(entries);
    let home = Home { dir: dir.clone() };
    let mut ledger = home.open().unwrap();
    let admin = ledger.login("001", PIN).unwrap();
    let mut bare = Bare::new(&dir);
    let (mut redeem, mut base) = (Vec::new(), Vec::new());
    // Warm both up, then alternate so that both see the same disk and cache conditions.
    for i in 0..50 {
        bare.commit();
        redeem3(&mut ledger, &admin, &scans[i % scans.len()]);
    }
    for i in 0..REDEEM_SAMPLES {
        base.push(bare.commit());
        let scan = &scans[(i * 7919) % scans.len()];
        let started = Instant::now();
        redeem3(&mut ledger, &admin, scan);
        redeem.push(started.elapsed());
    }
    let mut scan_times = Vec::new();
    for i in 0..SCAN_SAMPLES {
        let scan = &scans[(i * 104_729) % scans.len()];
        let started = Instant::now();
        let account = ledger.account(scan, 10).unwrap();
        scan_times.push(started.elapsed());
        assert!(!account.last.is_empty());
    }
    // The same redemptions without fsync: the CPU and page-writing part of a commit.
    ledger
        .connection()
        .pragma_update(None, "synchronous", "OFF")
        .unwrap();
    let mut cpu = Vec::new();
    for i in 0..REDEEM_SAMPLES {
        let scan = &scans[(i * 7919) % scans.len()];
        let started = Instant::now();
        redeem3(&mut ledger, &admin, scan);
        cpu.push(started.elapsed());
    }
    ledger
        .connection()
        .pragma_update(None, "synchronous", "FULL")
        .unwrap();
    let started = Instant::now();
    let report = ledger.verify().unwrap();
    let verify = started.elapsed();
    assert!(report.ok, "{:?}", report.problems);
    let _ = std::fs::remove_file(dir.join("bare.db"));
    SizeResult {
        entries: report.entries,
        redeem_p50: percentile(&mut redeem, 0.5),
        redeem_p99: percentile(&mut redeem, 0.99),
        bare_p50: percentile(&mut base, 0.5),
        bare_p99: percentile(&mut base, 0.99),
        cpu_p50: percentile(&mut cpu, 0.5),
        scan_p50: percentile(&mut scan_times.clone(), 0.5),
        scan_p99: percentile(&mut scan_times, 0.99),
        verify,
    }
}

fn main() {
    // `cargo test --benches` passes --bench-free args; only run when asked to bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let sizes: Vec<u64> = std::env::var("POINTSDESK_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let results: Vec<SizeResult> = sizes.iter().map(|&n| measure(n)).collect();
    println!(
        "\n| entries | redeem p50 µs | redeem p99 µs | bare commit p50 µs | bare commit p99 µs | p50 ratio | p99 ratio | scan→resident p50 µs | scan→resident p99 µs | verify s | redeem without fsync p50 µs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &results {
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2}× | {:.2}× | {:.0} | {:.0} | {:.2} | {:.0} |",
            r.entries,
            us(r.redeem_p50),
            us(r.redeem_p99),
            us(r.bare_p50),
            us(r.bare_p99),
            us(r.redeem_p50) / us(r.bare_p50),
            us(r.redeem_p99) / us(r.bare_p99),
            us(r.scan_p50),
            us(r.scan_p99),
            r.verify.as_secs_f64(),
            us(r.cpu_p50)
        );
    }
    if let (Some(first), Some(last)) = (results.first(), results.last()) {
        println!(
            "\nflatness {} → {} entries: redeem p50 {:.2}×, p99 {:.2}×",
            first.entries,
            last.entries,
            us(last.redeem_p50) / us(first.redeem_p50),
            us(last.redeem_p99) / us(first.redeem_p99)
        );
    }
}
