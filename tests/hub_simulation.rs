//! A seeded simulation of a district: five counters work for a few days, some days offline,
//! and sync through a faulty proxy that drops, cuts (requests and answers, so a sync dies at
//! any step of the protocol), duplicates, delays and replays. At the end, after the network
//! heals, every counter and the hub hold the same entries, none twice; every balance agrees
//! and adds up; every overdraft is flagged everywhere. A failure names its seed.
//!
//! `POINTSDESK_SIM_SEEDS=N` runs N seeds (default 200); `POINTSDESK_SIM_SEED=S` runs one.
//! One more test kills the real `pointsdesk sync` process (SIGKILL) at random moments.

mod hub;

use hub::proxy::{Dice, Fault, Proxy};
use hub::{Counter, StoreKind, TestHub, hub_heads};
use pointsdesk::ledger::{EarnRequest, RedeemRequest};
use std::collections::{BTreeMap, BTreeSet};

const SEEDS_DEFAULT: u64 = 200;
const COUNTERS: usize = 5;
const DAYS: usize = 4;
/// Percent of requests the proxy meets with a fault.
const FAULT_PERCENT: u64 = 20;
/// Percent of days a counter does not sync.
const OFFLINE_PERCENT: u64 = 30;
/// Rounds of everyone syncing after the network heals.
const HEALING_ROUNDS: usize = 3;
/// Seeds run side by side.
const SIMULATION_THREADS: usize = 2;

fn upstream(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

/// What a counter does in a day: register, earn, redeem (maybe another counter's passbook).
fn work(counter: &mut Counter, dice: &mut Dice, books: &mut Vec<(String, String)>) {
    for _ in 0..1 + dice.below(4) {
        match dice.below(5) {
            0 => {
                let n = books.len();
                books.push(counter.resident(&format!("居民{n}")));
            }
            1 | 2 if !books.is_empty() => {
                let (_, scan) = &books[dice.below(books.len() as u64) as usize];
                let _ = counter.ledger.earn(
                    &counter.admin,
                    &EarnRequest {
                        scan: scan.clone(),
                        activity: "A01".into(),
                        minutes: 60 * (1 + dice.below(3) as u32),
                        event: None,
                        txn: None,
                        confirmed_by: None,
                    },
                );
            }
            3 | 4 if !books.is_empty() => {
                let (_, scan) = &books[dice.below(books.len() as u64) as usize];
                let item = if dice.chance(50) { "S01" } else { "G001" };
                let _ = counter.ledger.redeem(
                    &counter.admin,
                    &RedeemRequest {
                        scan: scan.clone(),
                        lines: vec![(item.into(), 1 + dice.below(2) as u32)],
                        txn: None,
                        confirmed_by: None,
                    },
                );
            }
            _ => {}
        }
    }
}

fn balances(counter: &Counter) -> BTreeMap<String, i64> {
    let conn = counter.ledger.connection();
    let mut stmt = conn
        .prepare(
            "SELECT account, points FROM balances WHERE account LIKE 'passbook:%' AND points != 0",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn scenario(seed: u64) -> Vec<Fault> {
    let hub = TestHub::start(StoreKind::Sqlite);
    let proxy = Proxy::start(upstream(&hub.url), seed, FAULT_PERCENT);
    let mut dice = Dice::new(seed ^ 0x5eed);
    let mut counters: Vec<Counter> = (0..COUNTERS).map(|i| Counter::enrolled(&hub, i)).collect();
    let mut books: Vec<(String, String)> = Vec::new();
    for _day in 0..DAYS {
        for counter in counters.iter_mut() {
            work(counter, &mut dice, &mut books);
            if !dice.chance(OFFLINE_PERCENT) {
                // A sync cut at any step just fails; the next one picks up.
                let _ = counter.sync_with(&proxy.url);
            }
        }
    }
    proxy.heal();
    for _ in 0..HEALING_ROUNDS {
        for counter in counters.iter_mut() {
            counter.sync_with(&proxy.url).unwrap();
        }
    }
    let held = hub_heads(&hub);
    let total: i64 = held.iter().map(|h| h.seq).sum();
    let stored = hub
        .hub()
        .block_on(pointsdesk::hub::store::Store::entry_count(
            &hub.service.store,
        ))
        .unwrap();
    assert_eq!(stored, total, "the hub stores every entry once");
    let first = balances(&counters[0]);
    let overdrawn: BTreeSet<String> = first
        .iter()
        .filter(|(_, p)| **p < 0)
        .map(|(a, _)| a.trim_start_matches("passbook:").to_string())
        .collect();
    for counter in counters.iter_mut() {
        assert_eq!(
            counter.heads(),
            held,
            "{} holds what the hub holds",
            counter.name
        );
        let entries: i64 = counter
            .ledger
            .connection()
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(entries, total, "{} stores every entry once", counter.name);
        counter.assert_verifies();
        assert_eq!(balances(counter), first, "{}: balances agree", counter.name);
        let flagged: BTreeSet<String> = counter
            .ledger
            .overdrafts()
            .unwrap()
            .into_iter()
            .map(|o| o.passbook)
            .collect();
        assert_eq!(
            flagged, overdrawn,
            "{}: every overdraft is flagged",
            counter.name
        );
    }
    let at_hub: BTreeSet<String> = hub
        .hub()
        .report()
        .unwrap()
        .overdrafts
        .into_iter()
        .map(|o| o.passbook)
        .collect();
    assert_eq!(at_hub, overdrawn, "the hub lists every overdraft");
    proxy.faults()
}

#[test]
fn counters_syncing_through_a_faulty_network_end_with_the_same_ledger() {
    let seeds: Vec<u64> = match std::env::var("POINTSDESK_SIM_SEED") {
        Ok(one) => vec![one.parse().expect("a seed number")],
        Err(_) => {
            let n = std::env::var("POINTSDESK_SIM_SEEDS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(SEEDS_DEFAULT);
            (1..=n).collect()
        }
    };
    // Seeds run on two threads: much of a sync is waiting for the disk.
    let met = std::sync::Mutex::new(BTreeMap::<String, usize>::new());
    let failed = std::sync::Mutex::new(None::<u64>);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..SIMULATION_THREADS {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= seeds.len() || failed.lock().unwrap().is_some() {
                        return;
                    }
                    let seed = seeds[i];
                    match std::panic::catch_unwind(|| scenario(seed)) {
                        Ok(faults) => {
                            let mut met = met.lock().unwrap();
                            for fault in faults {
                                *met.entry(format!("{fault:?}")).or_default() += 1;
                            }
                        }
                        Err(_) => {
                            eprintln!(
                                "the simulation failed at seed {seed}: rerun with POINTSDESK_SIM_SEED={seed}"
                            );
                            *failed.lock().unwrap() = Some(seed);
                        }
                    }
                }
            });
        }
    });
    if let Some(seed) = failed.into_inner().unwrap() {
        panic!("the simulation failed at seed {seed} (POINTSDESK_SIM_SEED={seed})");
    }
    let met = met.into_inner().unwrap();
    eprintln!("faults met: {met:?}");
    // Every kind of fault was met at least once over the seeds (else the proxy did not work).
    if std::env::var("POINTSDESK_SIM_SEED").is_err() {
        for kind in [
            "Drop",
            "CutRequest",
            "CutResponse",
            "Duplicate",
            "Delay",
            "Keep",
        ] {
            assert!(met.contains_key(kind), "no {kind} fault was met: {met:?}");
        }
    }
}

/// Entries the killed counter has to push (several pages, so a kill lands mid-push).
const KILLED_ENTRIES: usize = 3_000;
/// Kills of `pointsdesk sync` in all.
const KILLS: u32 = 8;

fn sync_process(home: &std::path::Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_pointsdesk"))
        .args(["--home", home.to_str().unwrap(), "sync"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_sync_process_killed_at_random_moments_is_completed_by_the_next() {
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut a = Counter::enrolled(&hub, 0);
    let mut b = Counter::enrolled(&hub, 1);
    a.ledger
        .connection()
        .execute_batch("PRAGMA synchronous = OFF")
        .unwrap();
    let books: Vec<(String, String)> = (0..20).map(|n| a.resident(&format!("居民{n}"))).collect();
    for i in 0..KILLED_ENTRIES {
        a.earn(&books[i % books.len()].1, 15);
    }
    // Killed early, mid-push, late, mid-pull: each kill a little later than the one before.
    let mut dice = Dice::new(7);
    for round in 0..KILLS {
        for home in [&a.home.dir, &b.home.dir] {
            let mut child = sync_process(home);
            let delay = 20 + dice.below(400) + u64::from(round) * 40;
            std::thread::sleep(std::time::Duration::from_millis(delay));
            let _ = child.kill();
            let _ = child.wait();
        }
        let own = a.ledger.device().counter_id;
        let at_hub = hub_heads(&hub)
            .into_iter()
            .find(|h| h.counter_id == own)
            .map_or(0, |h| h.seq);
        eprintln!("after kill {round}: the hub holds #{at_hub} of the killed counter's series");
    }
    // Whatever the kills left, the next syncs complete it and every side agrees.
    for counter in [&mut a, &mut b] {
        counter.sync(&hub);
    }
    a.sync(&hub);
    assert_eq!(a.heads(), hub_heads(&hub));
    assert_eq!(b.heads(), hub_heads(&hub));
    a.assert_verifies();
    b.assert_verifies();
    for (passbook, _) in &books {
        assert_eq!(a.balance(passbook), b.balance(passbook));
    }
    let stored = hub
        .hub()
        .block_on(pointsdesk::hub::store::Store::entry_count(
            &hub.service.store,
        ))
        .unwrap();
    assert_eq!(stored, hub_heads(&hub).iter().map(|h| h.seq).sum::<i64>());
}
