//! Hub benchmarks, on SQLite and on PostgreSQL (a throwaway cluster), with the hub in its own
//! process (`pointsdesk hub serve`, the release binary) so its memory is its own:
//!
//! - ingest: the district's five counters (200,000 entries each, from the `district` bench's
//!   cache) push everything at once, in pages of 1,000, every signature checked; entries per
//!   second, against the bare Ed25519 batch-verification rate measured in the same run;
//! - bootstrap: a new counter of the district takes all of it (every signature checked again,
//!   every projection built);
//! - nightly delta: that counter books 2,000 entries while another pushes 2,000; one sync pushes
//!   its 2,000 and pulls the other's;
//! - 200 counters syncing at once (a load generator of threads): all complete, nothing lost;
//! - the hub's peak and current memory after each step;
//! - under attack: 250 web logins from 250 addresses and 200 unsigned 16 MiB pushes at once,
//!   the hub's peak memory, its memory a minute later, and `/healthz` latency meanwhile.
//!
//! Run: `cargo bench --bench hub` (size: `POINTSDESK_BENCH_DISTRICT=1000000`; only one store:
//! `POINTSDESK_BENCH_STORES=sqlite`; only the attack: `POINTSDESK_BENCH_HUB=attack`; all but
//! the attack: `POINTSDESK_BENCH_HUB=district`; stop after the ingest or after the nightly delta:
//! `POINTSDESK_BENCH_INGEST_ONLY=1`, `POINTSDESK_BENCH_UNTIL_DELTA=1`; N more nightly deltas
//! after the first, each timed step by step, for comparing two builds on the delta with less
//! noise: `POINTSDESK_BENCH_DELTA_ROUNDS=N`).

#[path = "seed.rs"]
mod seed;

#[path = "district_seed.rs"]
mod district_seed;

#[path = "hub_process.rs"]
mod hub_process;

#[path = "hub_attack.rs"]
mod hub_attack;

#[allow(unused_imports)]
#[path = "../hub/mod.rs"]
mod hub;

use district_seed::{SERIES, bare_rate, seeded, size};
use hub::copy_dir;
use hub_process::{HubProcess, enrol_again, one_time_code, own_series_bodies};
use pointsdesk::home::Home;
use pointsdesk::hub::HubHome;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{EarnRequest, InitRequest};
use pointsdesk::sync::client::HubClient;
use pointsdesk::sync::nightly::{self, Step};
use std::path::Path;
use std::time::{Duration, Instant};

const DELTA_ENTRIES: usize = 2_000;
const LOAD_COUNTERS: usize = 200;
/// Entries each counter of the load generator books before it syncs.
const LOAD_ENTRIES_EACH: usize = 10;

/// A new counter in `dir`, enrolled with the hub at `url` by a one-time code.
fn new_counter(
    dir: &Path,
    office: &Path,
    store: Option<&str>,
    url: &str,
    name: &str,
    community: &str,
    prefix: &str,
) -> (
    Home,
    pointsdesk::ledger::Ledger,
    pointsdesk::ledger::Session,
) {
    let home = Home {
        dir: dir.to_path_buf(),
    };
    let (mut ledger, admin) = home
        .init(
            InitRequest {
                community: community.into(),
                prefix: prefix.into(),
                counter: name.into(),
                admin_name: "管理员".into(),
                admin_pin: seed::PIN.into(),
                utc_offset_minutes: 480,
                code: "A".into(),
            },
            Lang::ZhCn,
            Box::new(chrono::Utc::now),
        )
        .unwrap();
    let client = HubClient::new(url, None).unwrap();
    nightly::enroll(
        &mut ledger,
        &admin,
        &client,
        &one_time_code(office, store, None, name, None),
        None,
    )
    .unwrap();
    (home, ledger, admin)
}

struct Figures {
    store: String,
    ingested: u64,
    ingest: Duration,
    ingest_cpu: f64,
    bootstrap_entries: u64,
    bootstrap: Duration,
    delta_sync: Duration,
    delta_backup: Duration,
    load: Duration,
    load_second: Duration,
    load_entries: i64,
    load_written: i64,
    memory: Vec<(&'static str, (f64, f64))>,
}

fn run(store_name: &str, store: Option<String>, root: &Path) -> Figures {
    let work = tempfile::tempdir().unwrap();
    let office = work.path().join("street-office");
    copy_dir(&root.join("street-office"), &office);
    // A fresh store, made by this build: the seeded counters enrol with it below, as a
    // district's counters enrol with a new hub.
    let _ = std::fs::remove_file(office.join("hub.db"));
    let hub = HubProcess::start(&office, store.as_deref());
    let store = store.as_deref();
    let mut memory = vec![("started", hub.memory_mib())];

    // Every counter enrolled with this store, and its own series as push bodies of 1,000
    // entries, made before the clock runs.
    let client = HubClient::new(&hub.url, None).unwrap();
    let mut pushers = Vec::new();
    for index in 0..SERIES {
        let home = Home {
            dir: root.join(format!("counter-{index}")),
        };
        let mut ledger = home.open().unwrap();
        let admin = ledger.login("001", seed::PIN).unwrap();
        enrol_again(&mut ledger, &admin, &office, store, &client);
        let bodies = own_series_bodies(&mut ledger);
        pushers.push((ledger.device().clone(), bodies));
    }
    let cpu_before = hub.cpu_s();
    let busy_before = machine_busy_s();
    let started = Instant::now();
    let ingested: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = pushers
            .iter()
            .map(|(device, bodies)| {
                let client = HubClient::new(&hub.url, None).unwrap();
                scope.spawn(move || {
                    let mut new = 0;
                    for body in bodies {
                        let answer = client.push(device, body).unwrap();
                        new += answer.count(pointsdesk::district::protocol::Taken::New);
                    }
                    new
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let ingest = started.elapsed();
    let ingest_cpu = hub.cpu_s() - cpu_before;
    let busy = machine_busy_s() - busy_before;
    memory.push(("after ingest", hub.memory_mib()));
    if std::env::var("POINTSDESK_BENCH_INGEST_ONLY").is_ok() {
        println!(
            "ingest only: {ingested} entries in {:.1} s, {:.1} s of the hub's CPU, {:.1} s busy",
            ingest.as_secs_f64(),
            ingest_cpu,
            busy
        );
        // `exit` runs no destructors: the hub process and the temp dir go first.
        drop(hub);
        drop(work);
        std::process::exit(0);
    }

    // A new counter of the district takes everything.
    let (home, mut fresh, admin) = new_counter(
        &work.path().join("fresh"),
        &office,
        store,
        &hub.url,
        "新柜台",
        "三桥社区",
        "XQ",
    );
    let started = Instant::now();
    let summary = nightly::sync(&home, &mut fresh, &client, 3, &mut |_| {}).unwrap();
    let bootstrap = started.elapsed();
    let bootstrap_entries = summary.pulled_new;
    memory.push(("after bootstrap", hub.memory_mib()));

    // The nightly delta: 2,000 entries here, 2,000 pushed by another counter meanwhile.
    let scan = {
        let resident = fresh
            .add_resident(
                &admin,
                &pointsdesk::ledger::NewResident {
                    name: "居民".into(),
                    ..Default::default()
                },
            )
            .unwrap()
            .resident;
        fresh
            .define_activity(&admin, "A01", "垃圾分类", 10)
            .unwrap();
        fresh
            .issue_passbook(&admin, &resident)
            .unwrap()
            .token
            .as_str()
            .to_string()
    };
    fresh
        .connection()
        .execute_batch("PRAGMA synchronous = OFF")
        .unwrap();
    let booked = 3;
    earn_times(&mut fresh, &admin, &scan, DELTA_ENTRIES - booked);
    let (other_home, mut other, other_admin) = new_counter(
        &work.path().join("other"),
        &office,
        store,
        &hub.url,
        "另一柜台",
        "二桥社区",
        "YQ",
    );
    other
        .define_activity(&other_admin, "A01", "垃圾分类", 10)
        .unwrap();
    other
        .connection()
        .execute_batch("PRAGMA synchronous = OFF")
        .unwrap();
    let other_scan = {
        let resident = other
            .add_resident(
                &other_admin,
                &pointsdesk::ledger::NewResident {
                    name: "居民".into(),
                    ..Default::default()
                },
            )
            .unwrap()
            .resident;
        other
            .issue_passbook(&other_admin, &resident)
            .unwrap()
            .token
            .as_str()
            .to_string()
    };
    earn_times(&mut other, &other_admin, &other_scan, DELTA_ENTRIES);
    nightly::sync(&other_home, &mut other, &client, 3, &mut |_| {}).unwrap();
    let started = Instant::now();
    // When each step of the sync ended: backed up, planned, pushed, pulled.
    let mut steps = [Duration::ZERO; 4];
    let delta = nightly::sync(&home, &mut fresh, &client, 3, &mut |step| {
        let at = started.elapsed();
        match step {
            Step::BackedUp(_) => steps[0] = at,
            Step::Planned { .. } => steps[1] = at,
            Step::Pushed { .. } => steps[2] = at,
            Step::Pulled { .. } => steps[3] = at,
            _ => {}
        }
    })
    .unwrap();
    let delta_total = started.elapsed();
    let backed_up = steps[0];
    eprintln!(
        "  delta steps: backup {:.2} s, plan {:.2} s, push {:.2} s, pull {:.2} s, end {:.2} s",
        steps[0].as_secs_f64(),
        (steps[1] - steps[0]).as_secs_f64(),
        (steps[2].max(steps[1]) - steps[1]).as_secs_f64(),
        (steps[3].max(steps[2]) - steps[2].max(steps[1])).as_secs_f64(),
        (delta_total - steps[3].max(steps[2])).as_secs_f64(),
    );
    let rounds: usize = std::env::var("POINTSDESK_BENCH_DELTA_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // Each round: both counters book another delta, the other one syncs, this one syncs timed.
    for round in 0..rounds {
        earn_times(&mut fresh, &admin, &scan, DELTA_ENTRIES);
        earn_times(&mut other, &other_admin, &other_scan, DELTA_ENTRIES);
        nightly::sync(&other_home, &mut other, &client, 3, &mut |_| {}).unwrap();
        let started = Instant::now();
        let mut steps = [Duration::ZERO; 4];
        let cpu0 = hub.cpu_s();
        let mut cpu_push = 0.0;
        let mut busy = [0.0; 2];
        nightly::sync(&home, &mut fresh, &client, 3, &mut |step| {
            let at = started.elapsed();
            match step {
                Step::BackedUp(_) => steps[0] = at,
                Step::Planned { .. } => {
                    steps[1] = at;
                    busy[0] = machine_busy_s();
                }
                Step::Pushed { .. } => {
                    steps[2] = at;
                    cpu_push = hub.cpu_s() - cpu0;
                    busy[1] = machine_busy_s();
                }
                Step::Pulled { .. } => steps[3] = at,
                _ => {}
            }
        })
        .unwrap();
        let total = started.elapsed();
        println!(
            "round {round}: plan {:.3} s, push {:.3} s, pull {:.3} s, end {:.3} s; hub cpu through push {:.3} s; machine busy in push {:.3} s",
            (steps[1] - steps[0]).as_secs_f64(),
            (steps[2].max(steps[1]) - steps[1]).as_secs_f64(),
            (steps[3].max(steps[2]) - steps[2].max(steps[1])).as_secs_f64(),
            (total - steps[3].max(steps[2])).as_secs_f64(),
            cpu_push,
            busy[1] - busy[0],
        );
    }
    if std::env::var("POINTSDESK_BENCH_UNTIL_DELTA").is_ok() {
        println!(
            "delta only: {:.2} s after a backup of {:.1} s; bootstrap {:.1} s; ingest {:.1} s, {:.1} s busy",
            (delta_total - backed_up).as_secs_f64(),
            backed_up.as_secs_f64(),
            bootstrap.as_secs_f64(),
            ingest.as_secs_f64(),
            busy
        );
        drop(hub);
        drop(work);
        std::process::exit(0);
    }
    assert!(delta.pushed_new as usize >= DELTA_ENTRIES - 10, "{delta:?}");
    assert!(delta.pulled_new as usize >= DELTA_ENTRIES - 10, "{delta:?}");

    drop(hub);

    // 200 counters syncing at once, on a hub of their own: each pushes what it booked and
    // pulls what the others pushed; a second round brings everyone level.
    let load_office = work.path().join("load-office");
    copy_dir(&root.join("street-office"), &load_office);
    let _ = std::fs::remove_file(load_office.join("hub.db"));
    let load_store = store.map(|_| hub::pg().database());
    let load_store = load_store.as_deref();
    let load_hub = HubProcess::start(&load_office, load_store);
    let load_dir = work.path().join("load");
    let counters: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..LOAD_COUNTERS)
            .map(|i| {
                let (load_dir, load_office, url) = (&load_dir, &load_office, &load_hub.url);
                scope.spawn(move || {
                    let (home, mut ledger, admin) = new_counter(
                        &load_dir.join(i.to_string()),
                        load_office,
                        load_store,
                        url,
                        &format!("负载柜台{i}"),
                        "负载社区",
                        &format!("L{}", (b'A' + (i % 26) as u8) as char),
                    );
                    for n in 0..LOAD_ENTRIES_EACH {
                        ledger
                            .define_activity(&admin, &format!("B{n:02}"), "清洁", 10)
                            .unwrap();
                    }
                    (home, ledger)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut counters = counters;
    let mut load_rounds = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        std::thread::scope(|scope| {
            for (home, ledger) in counters.iter_mut() {
                let url = load_hub.url.clone();
                scope.spawn(move || {
                    let client = HubClient::new(&url, None).unwrap();
                    let summary = nightly::sync(home, ledger, &client, 1, &mut |_| {}).unwrap();
                    assert!(summary.push_refusals.is_empty() && summary.pull_refusals.is_empty());
                });
            }
        });
        load_rounds.push(started.elapsed());
    }
    let load_entries = hub_entries(&load_office, load_store);
    let load_written: i64 = counters
        .iter()
        .map(|(_, l)| {
            let own = l.device().series_id;
            l.heads()
                .unwrap()
                .into_iter()
                .find(|h| h.series_id == own)
                .unwrap()
                .seq
        })
        .sum();
    for (_, ledger) in &counters {
        let held: i64 = ledger.heads().unwrap().iter().map(|h| h.seq).sum();
        assert_eq!(held, load_entries, "every counter holds every entry");
    }
    memory.push(("after 200 counters synced twice", load_hub.memory_mib()));
    let load = load_rounds[0];
    let load_second = load_rounds[1];
    Figures {
        store: store_name.to_string(),
        ingested,
        ingest,
        ingest_cpu,
        bootstrap_entries,
        bootstrap,
        delta_sync: delta_total - backed_up,
        delta_backup: backed_up,
        load,
        load_second,
        load_entries,
        load_written,
        memory,
    }
}

/// `n` earnings of 15 minutes on the passbook `scan`, booked by `admin`.
fn earn_times(
    ledger: &mut pointsdesk::ledger::Ledger,
    admin: &pointsdesk::ledger::Session,
    scan: &str,
    n: usize,
) {
    for _ in 0..n {
        ledger
            .earn(
                admin,
                &EarnRequest {
                    scan: scan.to_string(),
                    activity: "A01".into(),
                    minutes: 15,
                    event: None,
                    txn: None,
                    confirmed_by: None,
                },
            )
            .unwrap();
    }
}

fn hub_entries(office: &Path, store: Option<&str>) -> i64 {
    let home = HubHome {
        dir: office.to_path_buf(),
    };
    let hub = home.open_at(store).unwrap();
    hub.report().unwrap().entries
}

fn main() {
    let stores =
        std::env::var("POINTSDESK_BENCH_STORES").unwrap_or_else(|_| "sqlite,postgres".into());
    let store_url = |store: &str| match store.trim() {
        "sqlite" => None,
        "postgres" => Some(hub::pg().database()),
        other => panic!("unknown store {other}"),
    };
    let only = std::env::var("POINTSDESK_BENCH_HUB").unwrap_or_default();
    if only != "attack" {
        district(&stores, &store_url);
    }
    if only == "district" {
        return;
    }
    for store in stores.split(',') {
        let f = hub_attack::run(store_url(store).as_deref());
        println!(
            "[{}] under attack: {} logins from {} addresses and {} unsigned pushes of {} MiB at once, {:.1} s",
            store.trim(),
            hub_attack::LOGINS,
            hub_attack::LOGINS,
            hub_attack::BODIES,
            hub_attack::BODY_BYTES >> 20,
            f.attack.as_secs_f64()
        );
        println!(
            "  hub memory: idle {:.1} MiB, peak {:.1} MiB (goal ≤ 256), {} s later {:.1} MiB ({:.2}× idle, goal ≤ 2×)",
            f.idle_mib,
            f.peak_mib,
            hub_attack::SETTLE.as_secs(),
            f.settled_mib,
            f.settled_mib / f.idle_mib
        );
        println!(
            "  /healthz meanwhile: {} answers, p50 {:.1} ms, p99 {:.1} ms (goal ≤ 100), max {:.1} ms",
            f.healthz_count,
            f.healthz_p50.as_secs_f64() * 1e3,
            f.healthz_p99.as_secs_f64() * 1e3,
            f.healthz_max.as_secs_f64() * 1e3
        );
        println!("  answers: logins {:?}, pushes {:?}", f.logins, f.bodies);
    }
}

/// The district's ingest, bootstrap, delta and load on every store.
fn district(stores: &str, store_url: &dyn Fn(&str) -> Option<String>) {
    let entries = size();
    let (root, _) = seeded(entries);
    let bare_1 = bare_rate(1);
    let bare_2 = bare_rate(2);
    let mut figures = Vec::new();
    for store in stores.split(',') {
        figures.push(run(store.trim(), store_url(store), &root));
    }
    println!(
        "hub benchmark, {entries} entries in {SERIES} series; bare Ed25519 batch verification {bare_1:.0}/s on 1 thread, {bare_2:.0}/s on 2"
    );
    for f in &figures {
        let rate = f.ingested as f64 / f.ingest.as_secs_f64();
        println!("[{}]", f.store);
        println!(
            "  ingest: {} entries in {:.1} s = {:.0} entries/s ({:.0}% of the 2-thread bare rate); the hub used {:.1} s of CPU ({:.1} µs an entry)",
            f.ingested,
            f.ingest.as_secs_f64(),
            rate,
            100.0 * rate / bare_2,
            f.ingest_cpu,
            1e6 * f.ingest_cpu / f.ingested as f64
        );
        println!(
            "  bootstrap of a new counter: {} entries in {:.1} s (budget ≤ 30 s)",
            f.bootstrap_entries,
            f.bootstrap.as_secs_f64()
        );
        println!(
            "  nightly delta of {DELTA_ENTRIES} pushed and {DELTA_ENTRIES} pulled: {:.2} s (budget ≤ 1 s), after a backup of the 1 M-entry ledger that took {:.1} s",
            f.delta_sync.as_secs_f64(),
            f.delta_backup.as_secs_f64()
        );
        println!(
            "  {LOAD_COUNTERS} counters syncing at once: {:.1} s, then again {:.1} s; the hub holds {} entries (written {}), every counter all of them",
            f.load.as_secs_f64(),
            f.load_second.as_secs_f64(),
            f.load_entries,
            f.load_written
        );
        for (when, (peak, now)) in &f.memory {
            println!("  hub memory {when}: peak {peak:.1} MiB, now {now:.1} MiB");
        }
    }
}

/// CPU seconds the whole machine was busy (hub, database, clients), from /proc/stat.
fn machine_busy_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap();
    let f: Vec<f64> = stat
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100.0
}
