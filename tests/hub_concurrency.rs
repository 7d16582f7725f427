//! Several hub processes over one PostgreSQL, and many counters syncing at once: the hub keeps
//! no state of its own, so whichever process takes a push, nothing is lost or stored twice.

mod hub;

#[cfg(feature = "system-tests")]
use hub::{Counter, StoreKind, TestHub, hub_heads};

/// Counters syncing at once, alternating between the two hub processes.
#[cfg(feature = "system-tests")]
const COUNTERS: usize = 6;
/// Rounds of everyone syncing at once.
#[cfg(feature = "system-tests")]
const ROUNDS: usize = 3;
/// Earnings each counter books between rounds.
#[cfg(feature = "system-tests")]
const EARNINGS_PER_ROUND: usize = 40;

#[cfg(feature = "system-tests")]
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

/// Two pushes judged at once, both finding a reversal unclaimed (two hub processes, each with
/// a reversal of one txn): the first append takes the claim, the second is told the claim
/// moved and writes nothing, to be judged again (on both stores: on PostgreSQL the claim is
/// taken by an insert that skips what is held, not read and locked first). Reversals, because
/// a PostgreSQL hub writes no txn claims for a counter with one series (here: none).
#[test]
fn a_claim_taken_by_another_push_since_judging_sends_the_append_back_to_be_judged() {
    use pointsdesk::hub::store::{AnyStore, sqlite::SqliteStore};
    let dir = tempfile::tempdir().unwrap();
    claim_taken_since_judging(|_| {
        Ok(AnyStore::Sqlite(SqliteStore::open(
            &dir.path().join("hub.db"),
        )?))
    });
}

#[cfg(feature = "system-tests")]
#[test]
fn a_claim_taken_by_another_push_since_judging_sends_the_append_back_on_postgresql() {
    use pointsdesk::hub::store::{AnyStore, postgres::PgStore};
    claim_taken_since_judging(|rt| {
        Ok(AnyStore::Postgres(
            rt.block_on(PgStore::connect(&hub::pg().database()))?,
        ))
    });
}

fn claim_taken_since_judging(
    open: impl FnOnce(
        &tokio::runtime::Runtime,
    )
        -> Result<pointsdesk::hub::store::AnyStore, pointsdesk::hub::store::StoreError>,
) {
    use pointsdesk::hub::store::{Append, AppendOutcome, ClaimRow, Claimant, Store};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = open(&rt).unwrap();
    {
        let store = &store;
        let push = |id: u128, claims: &[(&str, Option<u128>)]| Append {
            claims: claims
                .iter()
                .map(|(claim, expected)| ClaimRow {
                    claim: claim.to_string(),
                    holder: Claimant {
                        id: uuid::Uuid::from_u128(id),
                        series_id: uuid::Uuid::from_u128(id + 100),
                        seq: 1,
                        counts: true,
                    },
                    expected: expected.map(uuid::Uuid::from_u128),
                })
                .collect(),
            series_id: uuid::Uuid::from_u128(id + 100),
            source: "test".into(),
            at: "2026-12-07T10:00:00Z".into(),
            ..Append::default()
        };
        let holder = |claim: &str| {
            rt.block_on(store.claimants(&[claim.to_string()]))
                .unwrap()
                .get(claim)
                .map(|c| c.id.as_u128())
        };
        let append = |a: Append| rt.block_on(store.append(a)).unwrap();
        assert_eq!(
            append(push(7, &[("reversal:o:a", None), ("reversal:o:b", None)])),
            AppendOutcome::Done
        );
        // Judged before that push was written: b and c unclaimed. Nothing of it is written.
        assert_eq!(
            append(push(3, &[("reversal:o:b", None), ("reversal:o:c", None)])),
            AppendOutcome::Moved
        );
        assert_eq!(holder("reversal:o:b"), Some(7));
        assert_eq!(holder("reversal:o:c"), None);
        // Judged again, it displaces the later booking's claim.
        assert_eq!(
            append(push(
                3,
                &[("reversal:o:b", Some(7)), ("reversal:o:c", None)]
            )),
            AppendOutcome::Done
        );
        assert_eq!(
            (holder("reversal:o:b"), holder("reversal:o:c")),
            (Some(3), Some(3))
        );
        // A displacement judged against a holder that changed since is sent back too.
        assert_eq!(
            append(push(
                1,
                &[("reversal:o:a", Some(7)), ("reversal:o:c", Some(9))]
            )),
            AppendOutcome::Moved
        );
        assert_eq!(
            (holder("reversal:o:a"), holder("reversal:o:c")),
            (Some(7), Some(3))
        );
    }
}
