//! Report benchmarks over ledgers whose entries span a whole month (November 2026, local time):
//!
//! - the counter: one counter's ledger of 1 M entries (2,000 passbooks, earnings and 3-line
//!   redemptions spread evenly over the month); each report built in process (the figures read
//!   from the ledger, the report made), and `pointsdesk report month --xlsx` as a process,
//!   which is what a community worker waits for;
//! - the hub: 20 counters of 50,000 entries each pushed to a hub (its own process, SQLite and
//!   PostgreSQL); `pointsdesk hub report month --xlsx` for the district as a process, and the
//!   web pages' time as a browser on loopback sees it (login once, then each page 200 times).
//!
//! Run: `cargo bench --bench reports` (sizes: `POINTSDESK_BENCH_REPORT_ENTRIES=1000000`; only one
//! store: `POINTSDESK_BENCH_STORES=sqlite`). The seeded ledgers are cached in
//! `target/bench-data/reports-*`.

#[path = "seed.rs"]
mod seed;

#[path = "hub_process.rs"]
mod hub_process;

#[allow(unused_imports)]
#[path = "../hub/mod.rs"]
mod hub;

use chrono::{DateTime, TimeZone, Utc};
use hub::copy_dir;
use hub_process::{HubProcess, enrol_again, own_series_bodies};
use pointsdesk::home::Home;
use pointsdesk::hub::HubHome;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{Clock, EarnRequest, InitRequest, Ledger, Session};
use pointsdesk::report::Request;
use pointsdesk::sync::client::HubClient;
use seed::{PIN, bench_dir, ledger_entries, percentile};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

const MONTH: &str = "2026-11";
const DISTRICT_COUNTERS: usize = 20;
const PAGE_REQUESTS: usize = 200;
const ADMIN: &str = "街道王芳";
const PASSWORD: &str = "bench-password-2026";

fn size() -> u64 {
    std::env::var("POINTSDESK_BENCH_REPORT_ENTRIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

/// 2026-11-01 00:00 in the counters' time zone (UTC+8).
fn month_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0).unwrap()
}

/// A clock the seeding sets: entries are booked at the times it chooses.
#[derive(Clone)]
struct SetClock(Arc<AtomicI64>);

impl SetClock {
    fn new(at: DateTime<Utc>) -> SetClock {
        SetClock(Arc::new(AtomicI64::new(at.timestamp_millis())))
    }

    fn set(&self, at: DateTime<Utc>) {
        self.0.store(at.timestamp_millis(), Ordering::Relaxed);
    }

    fn clock(&self) -> Clock {
        let at = Arc::clone(&self.0);
        Box::new(move || {
            Utc.timestamp_millis_opt(at.load(Ordering::Relaxed))
                .unwrap()
        })
    }
}

/// Fills `ledger` up to `entries`: the set-up of [`seed::fill`] on the month's first day, then
/// alternating earnings and 3-line redemptions spread evenly over the month.
fn fill_month(ledger: &mut Ledger, admin: &Session, clock: &SetClock, entries: u64) {
    clock.set(month_start());
    let scans = seed::fill(ledger, admin, 0, Instant::now());
    let have = ledger_entries(ledger.connection());
    let pairs = entries.saturating_sub(have) / 2;
    let step_ms = (29 * 86_400_000 + 80_000_000) / pairs.max(1) as i64;
    let started = Instant::now();
    for i in 0..pairs as usize {
        clock.set(month_start() + chrono::Duration::milliseconds(60_000 + step_ms * i as i64));
        if i.is_multiple_of(50_000) {
            for item in ["G001", "G002", "G003"] {
                ledger
                    .restock(admin, item, 1_000_000, Some("区慈善超市"))
                    .unwrap();
            }
        }
        let scan = &scans[i % scans.len()];
        ledger
            .earn(
                admin,
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
        seed::redeem3(ledger, admin, scan);
        if (i + 1).is_multiple_of(100_000) {
            eprintln!("  {} pairs in {:.0?}", i + 1, started.elapsed());
        }
    }
    ledger
        .connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
}

fn init_request(community: &str, prefix: &str, counter: &str, code: &str) -> InitRequest {
    InitRequest {
        community: community.into(),
        prefix: prefix.into(),
        counter: counter.into(),
        admin_name: "管理员".into(),
        admin_pin: PIN.into(),
        utc_offset_minutes: 480,
        code: code.into(),
    }
}

/// One counter's ledger of `entries` entries over the month.
fn seeded_counter(entries: u64) -> PathBuf {
    let dir = bench_dir().join(format!("reports-counter-{entries}"));
    let done = dir.join("seeded");
    if done.exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let started = Instant::now();
    let clock = SetClock::new(month_start());
    let (mut ledger, admin) = Home { dir: dir.clone() }
        .init(
            init_request("三桥社区", "SQ", "三桥爱心超市", "A"),
            Lang::ZhCn,
            clock.clock(),
        )
        .unwrap();
    fill_month(&mut ledger, &admin, &clock, entries);
    std::fs::write(&done, "").unwrap();
    eprintln!(
        "seeded a counter of {} entries in {:.0?}",
        ledger_entries(ledger.connection()),
        started.elapsed()
    );
    dir
}

/// Twenty counters of `entries / 20` entries each, enrolled with one street office.
fn seeded_district(entries: u64) -> PathBuf {
    let root = bench_dir().join(format!("reports-district-{entries}"));
    let done = root.join("seeded");
    if done.exists() {
        return root;
    }
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let started = Instant::now();
    let before = month_start() - chrono::Duration::days(2);
    let office = HubHome {
        dir: root.join("street-office"),
    };
    office.init("桥西街道", before).unwrap();
    for index in 0..DISTRICT_COUNTERS {
        let (community, prefix, name) = hub::setup(index);
        let enrolment = office
            .open()
            .unwrap()
            .enroll(&name, None, 14, before)
            .unwrap();
        let clock = SetClock::new(month_start());
        let (mut ledger, admin) = Home {
            dir: root.join(format!("counter-{index}")),
        }
        .init(
            init_request(&community, &prefix, &name, &enrolment.code),
            Lang::ZhCn,
            clock.clock(),
        )
        .unwrap();
        ledger.enroll(&admin, &enrolment.file).unwrap();
        fill_month(
            &mut ledger,
            &admin,
            &clock,
            entries / DISTRICT_COUNTERS as u64,
        );
        eprintln!("  counter {index} ({name}) in {:.0?}", started.elapsed());
    }
    std::fs::write(&done, "").unwrap();
    eprintln!("seeded the district in {:.0?}", started.elapsed());
    root
}

/// (p50, max) in ms.
fn p50_max(samples: &mut [Duration]) -> (f64, f64) {
    let p50 = percentile(samples, 0.5);
    let max = *samples.iter().max().unwrap();
    (ms(p50), ms(max))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Wall time of a command, which must succeed.
fn timed(mut command: Command) -> Duration {
    let started = Instant::now();
    let out = command.output().unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn counter_bench(entries: u64) {
    let dir = seeded_counter(entries);
    let home = Home { dir: dir.clone() };
    let ledger = home.open().unwrap();
    let total = ledger_entries(ledger.connection());
    let (first, last): (String, String) = ledger
        .connection()
        .query_row(
            "SELECT MIN(recorded_at), MAX(recorded_at) FROM entries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    println!("[counter] {total} entries, booked {first} … {last}");
    let requests = [
        Request::Month(MONTH.into()),
        Request::Items(MONTH.into()),
        Request::Activities(MONTH.into()),
        Request::Day("2026-11-15".into()),
    ];
    for request in &requests {
        let mut samples = Vec::new();
        let mut rows = 0;
        let mut report_total = None;
        for _ in 0..9 {
            let started = Instant::now();
            let figures = ledger
                .report_figures(&request.days(), false, Lang::ZhCn)
                .unwrap();
            let report = request.build(&figures, Lang::ZhCn, false).unwrap();
            samples.push(started.elapsed());
            rows = figures.tallies.len() + figures.visits.len();
            report_total = report.sections[0]
                .total
                .as_ref()
                .map(|t| t.iter().map(|c| c.shown()).collect::<Vec<_>>().join(" "));
        }
        let (p50, max) = p50_max(&mut samples);
        println!(
            "  {request:?}: built in p50 {p50:.1} ms, max {max:.1} ms ({rows} tally and visit rows read)"
        );
        if let Some(total) = &report_total {
            println!("    total: {total}");
        }
    }
    drop(ledger);
    let xlsx = tempfile::tempdir().unwrap();
    let mut samples = Vec::new();
    for i in 0..5 {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pointsdesk"));
        command
            .args(["report", "month", "--month", MONTH, "--xlsx"])
            .arg(xlsx.path().join(format!("month-{i}.xlsx")))
            .env("POINTSDESK_HOME", &dir)
            .env("POINTSDESK_OPERATOR", "001")
            .env("POINTSDESK_PIN", PIN);
        samples.push(timed(command));
    }
    let (p50, max) = p50_max(&mut samples);
    println!(
        "  `pointsdesk report month --xlsx` (a process: open, read, build, print, write the workbook): p50 {p50:.0} ms, max {max:.0} ms (goal ≤ 1 s)"
    );
}

/// Enrols every seeded counter with the hub at `url`, whose store (`store` of the street office
/// `office`) is fresh and holds none of the seed's grants.
fn enrol_all(root: &Path, office: &Path, store: Option<&str>, url: &str) {
    let client = HubClient::new(url, None).unwrap();
    for index in 0..DISTRICT_COUNTERS {
        let mut ledger = Home {
            dir: root.join(format!("counter-{index}")),
        }
        .open()
        .unwrap();
        let admin = ledger.login("001", PIN).unwrap();
        enrol_again(&mut ledger, &admin, office, store, &client);
    }
}

/// Pushes every counter's own series to the hub, as their nightly syncs would.
fn push_all(root: &Path, url: &str) -> u64 {
    let client = HubClient::new(url, None).unwrap();
    let mut pushed = 0;
    for index in 0..DISTRICT_COUNTERS {
        let mut ledger = Home {
            dir: root.join(format!("counter-{index}")),
        }
        .open()
        .unwrap();
        for body in own_series_bodies(&mut ledger) {
            let answer = client.push(ledger.device(), &body).unwrap();
            pushed += answer.count(pointsdesk::district::protocol::Taken::New) as u64;
        }
    }
    pushed
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn hub_bench(store_name: &str, store: Option<String>, root: &Path) {
    let work = tempfile::tempdir().unwrap();
    let office = work.path().join("street-office");
    copy_dir(&root.join("street-office"), &office);
    let _ = std::fs::remove_file(office.join("hub.db"));
    let office_home = HubHome {
        dir: office.clone(),
    };
    office_home
        .open_at(store.as_deref())
        .unwrap()
        .set_admin(ADMIN, PASSWORD, Utc::now())
        .unwrap();
    let hub = HubProcess::start(&office, store.as_deref());
    enrol_all(root, &office, store.as_deref(), &hub.url);
    let started = Instant::now();
    let pushed = push_all(root, &hub.url);
    println!(
        "[hub, {store_name}] {pushed} entries of {DISTRICT_COUNTERS} counters pushed in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let xlsx = tempfile::tempdir().unwrap();
    let mut samples = Vec::new();
    for i in 0..5 {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pointsdesk"));
        command
            .args(["--home", office.to_str().unwrap(), "hub", "report", "month"])
            .args(["--month", MONTH, "--xlsx"])
            .arg(xlsx.path().join(format!("district-{i}.xlsx")));
        if let Some(store) = &store {
            command.args(["--store", store]);
        }
        samples.push(timed(command));
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_pointsdesk"));
    command.args([
        "--json",
        "--home",
        office.to_str().unwrap(),
        "hub",
        "report",
        "month",
    ]);
    command.args(["--month", MONTH]);
    if let Some(store) = &store {
        command.args(["--store", store]);
    }
    let json: serde_json::Value =
        serde_json::from_slice(&command.output().unwrap().stdout).unwrap();
    println!(
        "  the month's total (earned, spent, adjusted, resident visits, units): {}; {} counters",
        json["sections"][0]["total"],
        json["sections"][1]["rows"].as_array().map_or(0, Vec::len)
    );
    let (p50, max) = p50_max(&mut samples);
    println!(
        "  `pointsdesk hub report month --xlsx` for the district (a process): p50 {p50:.0} ms, max {max:.0} ms (goal ≤ 2 s)"
    );

    // The web pages as a browser asks for them, with a session.
    let login = agent()
        .post(format!("{}/web/login", hub.url))
        .send_form([("name", ADMIN), ("password", PASSWORD), ("next", "/web/")])
        .unwrap();
    assert_eq!(login.status().as_u16(), 303, "the login");
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("pd_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let passbook: String = Home {
        dir: root.join("counter-0"),
    }
    .open()
    .unwrap()
    .connection()
    .query_row("SELECT MIN(passbook) FROM passbooks", [], |r| r.get(0))
    .unwrap();
    let pages = [
        "/web/".to_string(),
        "/web/overdrafts".to_string(),
        format!("/web/reports?kind=month&period={MONTH}"),
        format!("/web/reports?kind=items&period={MONTH}"),
        format!("/web/reports?kind=activities&period={MONTH}"),
        "/web/reports?kind=day&period=2026-11-15".to_string(),
        format!("/web/resident?passbook={passbook}"),
    ];
    let agent = agent();
    for page in &pages {
        let mut samples = Vec::new();
        let mut bytes = 0;
        for _ in 0..PAGE_REQUESTS {
            let started = Instant::now();
            let mut response = agent
                .get(format!("{}{page}", hub.url))
                .header("Cookie", &cookie)
                .call()
                .unwrap();
            let body = response.body_mut().read_to_vec().unwrap();
            samples.push(started.elapsed());
            assert_eq!(response.status().as_u16(), 200, "{page}");
            bytes = body.len();
        }
        let p50 = percentile(&mut samples, 0.5);
        let p99 = percentile(&mut samples, 0.99);
        println!(
            "  {page}: p50 {:.1} ms, p99 {:.1} ms over {PAGE_REQUESTS} requests ({} KB) (goal p99 ≤ 50 ms)",
            ms(p50),
            ms(p99),
            bytes / 1024
        );
    }
    let (peak, now) = hub.memory_mib();
    println!("  hub memory: peak {peak:.0} MiB, now {now:.0} MiB");
}

fn main() {
    let entries = size();
    if std::env::var("POINTSDESK_BENCH_SKIP_COUNTER").is_err() {
        counter_bench(entries);
    }
    let root = seeded_district(entries);
    let stores =
        std::env::var("POINTSDESK_BENCH_STORES").unwrap_or_else(|_| "sqlite,postgres".into());
    for store in stores.split(',') {
        let url = match store.trim() {
            "sqlite" => None,
            "postgres" => Some(hub::pg().database()),
            other => panic!("unknown store {other}"),
        };
        hub_bench(store.trim(), url, &root);
    }
}
