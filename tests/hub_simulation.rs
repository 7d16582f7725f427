//! A seeded simulation of a district: five counters work for a few days, some days offline,
//! and sync through a faulty proxy that drops, cuts (requests and answers, so a sync dies at
//! any step of the protocol), duplicates, delays and replays. Counters live a counter's life
//! meanwhile: they reverse and check passbooks into events, restore yesterday's backup (and
//! book a reversal or a check-in again that the backup does not know), reuse one client-made
//! txn id, and settle an overdraft at two counters. At the end, after the network heals,
//! every counter and the hub hold the same entries, none twice; every projection is identical;
//! every balance agrees and adds up; no reversal, check-in or settlement counts twice; every
//! overdraft and every duplicate is listed the same everywhere. A failure names its seed.
//!
//! `POINTSDESK_SIM_SEEDS=N` runs N seeds (default 200); `POINTSDESK_SIM_SEED=S` runs one.
//! One more test kills the real `pointsdesk sync` process (SIGKILL) at random moments.

mod hub;

use hub::proxy::{Dice, Proxy};
use hub::{Counter, StoreKind, TestHub, hub_heads};
use pointsdesk::home::Home;
use pointsdesk::ledger::{EarnRequest, RedeemRequest};
use std::collections::{BTreeMap, BTreeSet};

const SEEDS_DEFAULT: u64 = 200;
const COUNTERS: usize = 5;
const DAYS: usize = 4;
/// Percent of requests the proxy meets with a fault.
const FAULT_PERCENT: u64 = 20;
/// Percent of days a counter does not sync.
const OFFLINE_PERCENT: u64 = 30;
/// Percent of counter-days that begin by restoring yesterday's backup.
const RESTORE_PERCENT: u64 = 15;
/// The events passbooks are checked into.
const EVENTS: [&str; 2] = ["重阳节敬老", "社区清洁日"];
/// Rounds of everyone syncing after the network heals.
const HEALING_ROUNDS: usize = 3;
/// Seeds run side by side.
const SIMULATION_THREADS: usize = 2;

fn upstream(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

/// Reversals (the txns reversed) and check-ins (scan, event) since a backup.
type SinceBackup = (Vec<String>, Vec<(String, String)>);

/// What a counter's life brings besides booking, shared by all counters of a seed.
struct Life {
    /// Txns booked, by counter: what a reversal may take back.
    txns: Vec<Vec<String>>,
    /// Yesterday's backup of each counter.
    backups: Vec<Option<std::path::PathBuf>>,
    /// Reversals (the txn reversed) and check-ins (scan, event) each counter booked since its
    /// last backup: what a restore of it forgets.
    since_backup: Vec<SinceBackup>,
    /// One txn id a client uses at every counter.
    shared_txn: uuid::Uuid,
    day: usize,
}

/// Counter `at` loses its disk: yesterday's backup goes back, and it goes on in a new series.
fn restore(counter: &mut Counter, backup: &std::path::Path) {
    let home = Home {
        dir: counter.home.dir.clone(),
    };
    let plan = home.plan_restore(backup).unwrap();
    home.restore(plan, "001", hub::ADMIN_PIN).unwrap();
    counter.ledger = home.open().unwrap();
    counter.admin = counter.ledger.login("001", hub::ADMIN_PIN).unwrap();
}

/// What a counter does in a day: register, earn, redeem (maybe another counter's passbook),
/// reverse, check in, and now and then what a counter's life brings.
fn work(
    counter: &mut Counter,
    at: usize,
    dice: &mut Dice,
    books: &mut Vec<(String, String)>,
    life: &mut Life,
) {
    if dice.chance(RESTORE_PERCENT)
        && let Some(backup) = life.backups[at].clone()
    {
        restore(counter, &backup);
        // What the administrator remembers doing yesterday is done again: reversals and
        // check-ins the backup does not know.
        let (reversed, checked_in) = std::mem::take(&mut life.since_backup[at]);
        for txn in reversed {
            let _ = counter
                .ledger
                .reverse(&counter.admin, &txn, "模拟冲正", None);
        }
        for (scan, event) in checked_in {
            let _ = counter.ledger.earn(
                &counter.admin,
                &EarnRequest {
                    scan,
                    activity: "A01".into(),
                    minutes: 60,
                    event: Some(event),
                    txn: None,
                    confirmed_by: None,
                },
            );
        }
        if dice.chance(50) {
            let _ = counter.ledger.earn(
                &counter.admin,
                &EarnRequest {
                    scan: books.first().map(|b| b.1.clone()).unwrap_or_default(),
                    activity: "A01".into(),
                    minutes: 120,
                    event: None,
                    txn: Some(life.shared_txn),
                    confirmed_by: None,
                },
            );
        }
    }
    let backup = counter.dir.path().join(format!("day-{}.db", life.day));
    counter.ledger.backup(&backup).unwrap();
    life.backups[at] = Some(backup);
    life.since_backup[at] = Default::default();
    for _ in 0..1 + dice.below(6) {
        match dice.below(9) {
            5 if !life.txns[at].is_empty() => {
                let txns = &life.txns[at];
                let txn = txns[dice.below(txns.len() as u64) as usize].clone();
                if counter
                    .ledger
                    .reverse(&counter.admin, &txn, "模拟冲正", None)
                    .is_ok()
                {
                    life.since_backup[at].0.push(txn);
                }
            }
            6 if !books.is_empty() => {
                let (_, scan) = &books[dice.below(books.len() as u64) as usize];
                let event = EVENTS[dice.below(EVENTS.len() as u64) as usize].to_string();
                if let Ok(receipt) = counter.ledger.earn(
                    &counter.admin,
                    &EarnRequest {
                        scan: scan.clone(),
                        activity: "A01".into(),
                        minutes: 60,
                        event: Some(event.clone()),
                        txn: None,
                        confirmed_by: None,
                    },
                ) {
                    life.txns[at].push(receipt.txn);
                    life.since_backup[at].1.push((scan.clone(), event));
                }
            }
            7 if !books.is_empty() => {
                let (_, scan) = &books[dice.below(books.len() as u64) as usize];
                let _ = counter.ledger.earn(
                    &counter.admin,
                    &EarnRequest {
                        scan: scan.clone(),
                        activity: "A01".into(),
                        minutes: 60,
                        event: None,
                        txn: Some(life.shared_txn),
                        confirmed_by: None,
                    },
                );
            }
            8 => {
                // An overdraft this counter knows of is settled here (maybe at another too).
                if let Some(o) = counter.ledger.overdrafts().unwrap().first() {
                    let _ = counter.ledger.adjust(
                        &counter.admin,
                        &o.passbook,
                        -o.balance.0,
                        "补交",
                        None,
                    );
                }
            }
            roll => book(counter, roll, dice, books, &mut life.txns[at]),
        }
    }
}

/// An ordinary booking: register, earn, redeem.
fn book(
    counter: &mut Counter,
    roll: u64,
    dice: &mut Dice,
    books: &mut Vec<(String, String)>,
    txns: &mut Vec<String>,
) {
    {
        match roll {
            0 => {
                let n = books.len();
                books.push(counter.resident(&format!("居民{n}")));
            }
            1 | 2 if !books.is_empty() => {
                let (_, scan) = &books[dice.below(books.len() as u64) as usize];
                if let Ok(receipt) = counter.ledger.earn(
                    &counter.admin,
                    &EarnRequest {
                        scan: scan.clone(),
                        activity: "A01".into(),
                        minutes: 60 * (1 + dice.below(3) as u32),
                        event: None,
                        txn: None,
                        confirmed_by: None,
                    },
                ) {
                    txns.push(receipt.txn);
                }
            }
            3 | 4 if !books.is_empty() => {
                let (_, scan) = &books[dice.below(books.len() as u64) as usize];
                let item = if dice.chance(50) { "S01" } else { "G001" };
                if let Ok(receipt) = counter.ledger.redeem(
                    &counter.admin,
                    &RedeemRequest {
                        scan: scan.clone(),
                        lines: vec![(item.into(), 1 + dice.below(2) as u32)],
                        txn: None,
                        confirmed_by: None,
                    },
                ) {
                    txns.push(receipt.txn);
                }
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

/// What a seed met: the network's faults, and the duplicates its counters' lives made (by
/// kind: `duplicate txn`, `duplicate reversal`, `duplicate settlement`).
fn scenario(seed: u64) -> Vec<String> {
    let hub = TestHub::start(StoreKind::Sqlite);
    let proxy = Proxy::start(upstream(&hub.url), seed, FAULT_PERCENT);
    let mut dice = Dice::new(seed ^ 0x5eed);
    let mut counters: Vec<Counter> = (0..COUNTERS).map(|i| Counter::enrolled(&hub, i)).collect();
    let mut books: Vec<(String, String)> = Vec::new();
    let mut life = Life {
        txns: vec![Vec::new(); COUNTERS],
        backups: vec![None; COUNTERS],
        since_backup: vec![Default::default(); COUNTERS],
        shared_txn: uuid::Uuid::from_u128(u128::from(seed) << 64 | 0x7a),
        day: 0,
    };
    for day in 0..DAYS {
        life.day = day;
        for (at, counter) in counters.iter_mut().enumerate() {
            work(counter, at, &mut dice, &mut books, &mut life);
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
    // Identical projections everywhere, duplicates included, and listed the same at the hub.
    let digest =
        |c: &Counter| pointsdesk::store::projection::replica_digest(c.ledger.connection()).unwrap();
    let reference = digest(&counters[0]);
    let listed = |c: &Counter| -> BTreeSet<(String, i64, String, String)> {
        c.ledger
            .sync_status()
            .unwrap()
            .duplicates
            .into_iter()
            .map(|d| (d.series_id, d.seq, d.kind, d.subject))
            .collect()
    };
    let duplicates = listed(&counters[0]);
    for counter in &counters[1..] {
        for (a, b) in reference.iter().zip(digest(counter)) {
            assert_eq!(*a, b, "table {} differs at {}", a.0, counter.name);
        }
        assert_eq!(
            listed(counter),
            duplicates,
            "{} lists the duplicates",
            counter.name
        );
    }
    let hub_listed: BTreeSet<(String, i64, String, String)> = hub
        .hub()
        .report()
        .unwrap()
        .duplicates
        .into_iter()
        .map(|d| (d.series_id, d.seq, d.kind, d.subject))
        .collect();
    assert_eq!(hub_listed, duplicates, "the hub lists the duplicates");
    let mut met: Vec<String> = proxy.faults().iter().map(|f| format!("{f:?}")).collect();
    met.extend(duplicates.iter().map(|d| format!("duplicate {}", d.2)));
    // Of the entries that count, no txn of a counter moves twice (a check-in's txn is its
    // event and passbook) and no txn is reversed twice, whoever booked the second one.
    let counting = "FROM entries e JOIN series_heads s ON s.series_id = e.series_id
         WHERE NOT EXISTS (SELECT 1 FROM duplicates d WHERE d.series_id = e.series_id
                           AND d.seq = e.seq)";
    let conn = counters[0].ledger.connection();
    for (what, sql) in [
        (
            "a txn moved twice",
            format!(
                "SELECT COUNT(*) FROM (SELECT 1 {counting} AND e.kind IN
                 ('points_earned', 'points_redeemed', 'reversed', 'points_adjusted')
                 GROUP BY s.home, e.txn HAVING COUNT(*) > 1)"
            ),
        ),
        (
            "a txn reversed twice",
            format!(
                "SELECT COUNT(*) FROM (SELECT 1 {counting} AND e.kind = 'reversed'
                 GROUP BY s.home, json_extract(CAST(e.body AS TEXT), '$.body.reversed.of_txn')
                 HAVING COUNT(*) > 1)"
            ),
        ),
    ] {
        let found: i64 = conn.query_row(&sql, [], |r| r.get(0)).unwrap();
        assert_eq!(found, 0, "{what}");
    }
    met
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
                        Ok(things) => {
                            let mut met = met.lock().unwrap();
                            for thing in things {
                                *met.entry(thing).or_default() += 1;
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
    eprintln!("faults and duplicates met: {met:?}");
    // Every kind of fault was met at least once over the seeds (else the proxy did not work).
    if std::env::var("POINTSDESK_SIM_SEED").is_err() {
        for kind in [
            "Drop",
            "CutRequest",
            "CutResponse",
            "Duplicate",
            "Delay",
            "Keep",
            "duplicate txn",
            "duplicate reversal",
        ] {
            assert!(met.contains_key(kind), "no {kind} was met: {met:?}");
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
        let own = a.ledger.device().series_id;
        let at_hub = hub_heads(&hub)
            .into_iter()
            .find(|h| h.series_id == own)
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
