//! Seeded ledgers for the benchmarks, cached in `target/bench-data/` because building a million
//! signed entries takes minutes. Shared by `ledger.rs` and `counter.rs` through `#[path]`.
#![allow(dead_code)]

use pointsdesk::demo;
use pointsdesk::domain::ItemKind;
use pointsdesk::home::Home;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{
    EarnRequest, InitRequest, Ledger, NewItem, NewResident, RedeemRequest, Session,
};
use rusqlite::Connection;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const PASSBOOKS: usize = 2_000;
pub const PIN: &str = "1234";

pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-data")
}

/// A home with `entries` entries: 2,000 passbooks, goods with deep stock, and alternating
/// earnings and 3-line redemptions. Returns the home dir and the passbook scans.
pub fn seeded(entries: u64) -> (PathBuf, Vec<String>) {
    let dir = bench_dir().join(format!("ledger-{entries}"));
    let scans_file = dir.join("scans.txt");
    if scans_file.exists() {
        let scans = std::fs::read_to_string(&scans_file)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        return (dir, scans);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let started = Instant::now();
    let home = Home { dir: dir.clone() };
    let (mut ledger, admin) = home
        .init(
            InitRequest {
                community: "三桥社区".into(),
                prefix: "SQ".into(),
                counter: "三桥爱心超市".into(),
                admin_name: "王芳".into(),
                admin_pin: PIN.into(),
                utc_offset_minutes: 480,
                code: "A".into(),
            },
            Lang::ZhCn,
            Box::new(chrono::Utc::now),
        )
        .unwrap();
    let scans = fill(&mut ledger, &admin, entries, started);
    ledger
        .connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    std::fs::write(&scans_file, scans.join("\n")).unwrap();
    eprintln!("seeded {entries} entries in {:.1?}", started.elapsed());
    (dir, scans)
}

/// Fills a counter's ledger up to `entries` entries: an activity, three goods, 2,000 residents
/// with passbooks, then alternating earnings and 3-line redemptions, and a deep float on every
/// passbook. Returns the passbook scans.
pub fn fill(ledger: &mut Ledger, admin: &Session, entries: u64, started: Instant) -> Vec<String> {
    let admin = admin.clone();
    // Seeding only: no fsync per commit. Measurements reopen the ledger with synchronous=FULL.
    ledger
        .connection()
        .pragma_update(None, "synchronous", "OFF")
        .unwrap();
    ledger
        .define_activity(&admin, "A01", "垃圾分类督导", 10)
        .unwrap();
    for (code, name) in [("G001", "洗衣皂"), ("G002", "抽纸"), ("G003", "酱油")] {
        ledger
            .define_item(
                &admin,
                &NewItem {
                    item: code.into(),
                    name: name.into(),
                    kind: ItemKind::Goods,
                    points: 1,
                    barcode: None,
                    monthly_limit: None,
                },
            )
            .unwrap();
    }
    let rows: Vec<(usize, NewResident)> = (0..PASSBOOKS)
        .map(|i| (i + 2, demo::demo_resident(i)))
        .collect();
    let residents = ledger.import_residents(&admin, &rows).unwrap();
    let scans: Vec<String> = residents
        .iter()
        .map(|r| {
            ledger
                .issue_passbook(&admin, r)
                .unwrap()
                .token
                .as_str()
                .to_string()
        })
        .collect();
    let mut count = ledger_entries(ledger.connection());
    let mut i = 0usize;
    while count < entries {
        let scan = &scans[i % scans.len()];
        if i.is_multiple_of(50_000) {
            for item in ["G001", "G002", "G003"] {
                ledger
                    .restock(&admin, item, 1_000_000, Some("区慈善超市"))
                    .unwrap();
            }
            count += 3;
        }
        ledger
            .earn(
                &admin,
                &EarnRequest {
                    scan: scan.clone(),
                    activity: "A01".into(),
                    minutes: 60,
                    event: None,
                    txn: None,
                    confirmed_by: None,
                },
            )
            .unwrap();
        redeem3(ledger, &admin, scan);
        count += 2;
        i += 1;
        if i.is_multiple_of(100_000) {
            eprintln!("  seeded {count} entries in {:.0?}", started.elapsed());
        }
    }
    // Every passbook gets a deep balance for the measured redemptions.
    for scan in &scans {
        ledger
            .adjust(&admin, scan, 100_000, "benchmark float", None)
            .unwrap();
    }
    scans
}

pub fn redeem3(ledger: &mut Ledger, session: &Session, scan: &str) {
    ledger
        .redeem(
            session,
            &RedeemRequest {
                scan: scan.to_string(),
                lines: vec![("G001".into(), 1), ("G002".into(), 1), ("G003".into(), 1)],
                txn: None,
                confirmed_by: None,
            },
        )
        .unwrap();
}

pub fn ledger_entries(conn: &Connection) -> u64 {
    conn.query_row("SELECT COUNT(*) FROM entries", [], |r| r.get::<_, i64>(0))
        .unwrap() as u64
}
