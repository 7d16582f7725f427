//! Several hub processes over one PostgreSQL, and many counters syncing at once: the hub keeps
//! no state of its own, so whichever process takes a push, nothing is lost or stored twice.

mod hub;

use hub::{Counter, StoreKind, TestHub, hub_heads};

/// Counters syncing at once, alternating between the two hub processes.
const COUNTERS: usize = 6;
/// Rounds of everyone syncing at once.
const ROUNDS: usize = 3;
/// Earnings each counter books between rounds.
const EARNINGS_PER_ROUND: usize = 40;

#[test]
fn two_hub_processes_on_one_postgresql_ingesting_at_once_lose_and_double_nothing() {
    let first = TestHub::start(StoreKind::Postgres);
    let second = first.another();
    let hubs = [&first, &second];
    let mut counters: Vec<Counter> = (0..COUNTERS)
        .map(|i| Counter::enrolled(&first, i))
        .collect();
    let mut scans: Vec<Vec<(String, String)>> = counters
        .iter_mut()
        .map(|c| (0..3).map(|n| c.resident(&format!("居民{n}"))).collect())
        .collect();
    for round in 0..ROUNDS {
        for (counter, scans) in counters.iter_mut().zip(&mut scans) {
            for i in 0..EARNINGS_PER_ROUND {
                let (_, scan) = &scans[i % scans.len()];
                counter.earn(scan, 15);
            }
        }
        // Everyone at once, half of them to each hub process.
        std::thread::scope(|scope| {
            for (i, counter) in counters.iter_mut().enumerate() {
                let url = hubs[(i + round) % 2].url.clone();
                scope.spawn(move || {
                    let summary = counter.sync_with(&url).unwrap();
                    assert!(summary.push_refusals.is_empty(), "{summary:?}");
                    assert!(summary.pull_refusals.is_empty(), "{summary:?}");
                });
            }
        });
    }
    // One more quiet round each, so everyone holds what the others pushed last.
    for (i, counter) in counters.iter_mut().enumerate() {
        counter.sync(hubs[i % 2]);
    }
    for (i, counter) in counters.iter_mut().enumerate() {
        counter.sync(hubs[(i + 1) % 2]);
    }
    let held = hub_heads(&first);
    // Every series at the hub is exactly as long as its counter wrote it, no entry twice.
    for counter in &counters {
        let own = counter.ledger.device().series_id;
        let own_head = counter
            .heads()
            .into_iter()
            .find(|h| h.series_id == own)
            .unwrap();
        let at_hub = held.iter().find(|h| h.series_id == own).unwrap();
        assert_eq!(at_hub, &own_head, "{}", counter.name);
    }
    let total: i64 = held.iter().map(|h| h.seq).sum();
    let stored = first
        .hub()
        .block_on(pointsdesk::hub::store::Store::entry_count(
            &first.service.store,
        ))
        .unwrap();
    assert_eq!(stored, total);
    for counter in &mut counters {
        assert_eq!(counter.heads(), held, "{}", counter.name);
        counter.assert_verifies();
    }
    // Every balance agrees at every counter.
    for scans in &scans {
        for (passbook, _) in scans {
            let balances: Vec<i64> = counters.iter().map(|c| c.balance(passbook)).collect();
            assert!(
                balances.iter().all(|b| *b == balances[0]),
                "{passbook}: {balances:?}"
            );
        }
    }
}
