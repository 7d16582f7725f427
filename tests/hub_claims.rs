//! Claims through the hub, on both stores: one overdraft settled at two counters counts once
//! at the hub and at every counter, also when the later settlement reaches the hub first (the
//! hub then takes back what it had counted), and the hub lists the second one as the
//! counters do.

mod hub;

use hub::{Counter, StoreKind, TestHub};
use pointsdesk::hub::store::Store;

fn hub_balance(hub: &TestHub, passbook: &str) -> i64 {
    let postings = hub
        .hub()
        .block_on(hub.service.store.postings(&format!("passbook:{passbook}")))
        .unwrap();
    assert!(
        postings.iter().all(|p| p.points != 0),
        "a movement of nothing is no statement line: {postings:?}"
    );
    postings.iter().map(|p| p.points).sum()
}

fn settled_twice(kind: StoreKind) {
    let hub = TestHub::start(kind);
    let mut a = Counter::enrolled(&hub, 0);
    let mut b = Counter::enrolled(&hub, 1);
    let (passbook, scan) = a.resident("王五");
    a.earn(&scan, 180); // 30 points
    a.sync(&hub);
    b.sync(&hub);
    // Offline, each counter lets the resident spend 20 of the 30.
    a.redeem(&scan, "S01").unwrap();
    b.redeem(&scan, "S01").unwrap();
    a.sync(&hub);
    b.sync(&hub);
    a.sync(&hub);
    assert_eq!(a.balance(&passbook), -10);
    assert_eq!(b.balance(&passbook), -10);
    assert_eq!(hub_balance(&hub, &passbook), -10);
    // Both administrators settle it, A first; B's settlement reaches the hub first.
    for counter in [&mut a, &mut b] {
        let admin = counter.admin.clone();
        counter
            .ledger
            .adjust(&admin, &passbook, 10, "补交", None)
            .unwrap();
    }
    b.sync(&hub);
    assert_eq!(hub_balance(&hub, &passbook), 0);
    a.sync(&hub);
    b.sync(&hub);
    assert_eq!(hub_balance(&hub, &passbook), 0, "settled twice at the hub");
    for counter in [&mut a, &mut b] {
        assert_eq!(counter.balance(&passbook), 0, "{}", counter.name);
        counter.assert_verifies();
        let listed = counter.ledger.sync_status().unwrap().duplicates;
        assert_eq!(listed.len(), 1, "{}: {listed:?}", counter.name);
        assert_eq!(listed[0].kind, "settlement");
    }
    let report = hub.hub().report().unwrap();
    assert_eq!(report.duplicates.len(), 1, "{report:?}");
    let at_b = b.ledger.sync_status().unwrap().duplicates;
    assert_eq!(report.duplicates[0].seq, at_b[0].seq);
    assert_eq!(report.duplicates[0].subject, at_b[0].subject);
    assert_eq!(report.duplicates[0].kind, "settlement");
    assert!(report.overdrafts.is_empty());
    // The street office's web overview lists it too.
    let page = pointsdesk::hub::pages::overview(pointsdesk::i18n::Lang::ZhCn, &report);
    assert!(
        page.contains("重复的记录") && page.contains("再次补平存折"),
        "{page}"
    );
}

#[test]
fn an_overdraft_settled_at_two_counters_counts_once_at_the_hub_on_sqlite() {
    settled_twice(StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn an_overdraft_settled_at_two_counters_counts_once_at_the_hub_on_postgresql() {
    settled_twice(StoreKind::Postgres);
}

/// A counter restored from the backup its last sync made books a txn again that its earlier
/// series had synced (a client retrying with the txn it made): the entry is kept but moves
/// nothing, at the hub and at the counter. On PostgreSQL the hub writes no txn claims for a
/// counter with one series, so this is also the moment its txns are first claimed.
fn txn_booked_again_after_a_restore(kind: StoreKind) {
    use pointsdesk::ledger::EarnRequest;
    let hub = TestHub::start(kind);
    let mut a = Counter::enrolled(&hub, 0);
    let (passbook, scan) = a.resident("赵六");
    a.earn(&scan, 60); // 10 points
    let backup = a.sync(&hub).backup.expect("the sync backs up first");
    let again = EarnRequest {
        scan: scan.clone(),
        activity: "A01".into(),
        minutes: 60,
        event: None,
        txn: Some(uuid::Uuid::now_v7()),
        confirmed_by: None,
    };
    let admin = a.admin.clone();
    a.ledger.earn(&admin, &again).unwrap();
    a.earn(&scan, 30); // 5 more, a txn of its own
    a.sync(&hub);
    assert_eq!(hub_balance(&hub, &passbook), 25);
    // The PC is restored from the backup made before that sync, offline, and the client
    // books its txn again: the new series does not know the old one booked it.
    let home = pointsdesk::home::Home {
        dir: a.home.dir.clone(),
    };
    let plan = home.plan_restore(&backup).unwrap();
    home.restore(plan, "001", hub::ADMIN_PIN).unwrap();
    a.ledger = home.open().unwrap();
    a.admin = a.ledger.login("001", hub::ADMIN_PIN).unwrap();
    let admin = a.admin.clone();
    a.ledger.earn(&admin, &again).unwrap();
    a.earn(&scan, 120); // 20 new points
    a.sync(&hub);
    a.sync(&hub);
    // 10 + 10 (once) + 5 + 20.
    assert_eq!(
        hub_balance(&hub, &passbook),
        45,
        "the txn counts once at the hub"
    );
    assert_eq!(a.balance(&passbook), 45, "and at the counter");
    a.assert_verifies();
    let report = hub.hub().report().unwrap();
    assert_eq!(report.duplicates.len(), 1, "{report:?}");
    assert_eq!(report.duplicates[0].kind, "txn");
    let listed = a.ledger.sync_status().unwrap().duplicates;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].seq, report.duplicates[0].seq);
}

#[test]
fn a_txn_booked_again_after_a_restore_counts_once_at_the_hub_on_sqlite() {
    txn_booked_again_after_a_restore(StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn a_txn_booked_again_after_a_restore_counts_once_at_the_hub_on_postgresql() {
    txn_booked_again_after_a_restore(StoreKind::Postgres);
}
