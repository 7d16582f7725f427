//! What only one entry of the district may claim, through a counter's life: a reversal or a
//! check-in booked again by a counter restored from an old backup, a txn id used at two
//! counters, an overdraft settled at two counters. Each counts once at every replica,
//! whatever order the entries arrive in, and the second one is listed everywhere.

mod district;
mod hub;

use district::{District, assert_converged};
use pointsdesk::ledger::EarnRequest;

/// Counter `at` loses its disk: `backup` goes back and it goes on in a new series.
fn restore(d: &mut District, at: usize, backup: &std::path::Path) {
    let home = d.counters[at].home.dir.clone();
    let restoring = pointsdesk::home::Home { dir: home.clone() };
    let plan = restoring.plan_restore(backup).unwrap();
    assert!(plan.new_series);
    restoring.restore(plan, "001", district::ADMIN_PIN).unwrap();
    let clock = std::sync::Arc::clone(&d.now);
    let mut restored = pointsdesk::home::Home { dir: home }.open().unwrap();
    restored.set_clock(Box::new(move || *clock.lock().unwrap()));
    d.counters[at].ledger = restored;
    d.counters[at].admin = d.counters[at]
        .ledger
        .login("001", district::ADMIN_PIN)
        .unwrap();
}

/// An administrator at `at` credits `minutes` of A01 to `scan`, for `event` if given.
fn earn_at(
    d: &mut District,
    at: usize,
    scan: &str,
    minutes: u32,
    event: Option<&str>,
) -> Result<pointsdesk::ledger::Receipt, pointsdesk::ledger::LedgerError> {
    let admin = d.admin(at);
    d.ledger(at).earn(
        &admin,
        &EarnRequest {
            scan: scan.into(),
            activity: "A01".into(),
            minutes,
            event: event.map(str::to_string),
            txn: None,
            confirmed_by: None,
        },
    )
}

fn check_in(d: &mut District, at: usize, scan: &str, event: &str) {
    earn_at(d, at, scan, 120, Some(event)).unwrap();
}

/// The duplicates listed at counter `at`: (kind, subject).
fn listed(d: &mut District, at: usize) -> Vec<(String, String)> {
    d.ledger(at)
        .sync_status()
        .unwrap()
        .duplicates
        .into_iter()
        .map(|x| (x.kind, x.subject))
        .collect()
}

#[test]
fn a_reversal_booked_again_after_a_restore_counts_once_in_any_arrival_order() {
    let mut d = District::new(3);
    let (_r, passbook, scan) = d.resident(0, "李秀英");
    let earned = d.earn(0, &scan, 600); // 100 points
    let backup = d.dir.path().join("a-before-the-reversal.db");
    d.ledger(0).backup(&backup).unwrap();
    let admin = d.admin(0);
    d.ledger(0)
        .reverse(&admin, &earned.txn, "记错了人", None)
        .unwrap();
    d.send(0, 1); // B holds the earning and its reversal
    restore(&mut d, 0, &backup);
    // A no longer knows the reversal and accepts it again, in its new series.
    let admin = d.admin(0);
    d.ledger(0)
        .reverse(&admin, &earned.txn, "记错了人", None)
        .unwrap();
    assert_eq!(d.balance(0, &passbook), 0);
    // C gets the second reversal first, then the first one (which displaces it).
    let to_c = d.send(0, 2);
    assert!(to_c.refused.is_empty() && to_c.forks.is_empty(), "{to_c:?}");
    assert_eq!(d.balance(2, &passbook), 0);
    let from_b = d.send(1, 2);
    assert_eq!(from_b.duplicates.len(), 1, "{from_b:?}");
    d.exchange_all();
    let txn = earned.txn.clone();
    for at in 0..3 {
        // 100 earned, reversed once: 0, never -100.
        assert_eq!(d.balance(at, &passbook), 0, "counter {at}");
        assert_eq!(
            listed(&mut d, at),
            vec![("reversal".to_string(), txn.clone())],
            "counter {at}"
        );
        d.assert_verifies(at);
        let verified = d.ledger(at).verify().unwrap();
        assert_eq!(verified.duplicates.len(), 1);
    }
    assert_converged(&d);
    // A rebuild from the log counts the same.
    d.ledger(2).rebuild().unwrap();
    assert_converged(&d);
}

#[test]
fn a_check_in_booked_again_after_a_restore_counts_once() {
    let mut d = District::new(2);
    let (_r, passbook, scan) = d.resident(0, "周桂兰");
    let backup = d.dir.path().join("a-before-the-event.db");
    d.ledger(0).backup(&backup).unwrap();
    check_in(&mut d, 0, &scan, "重阳节清洁日");
    let once = d.balance(0, &passbook);
    assert!(once > 0);
    d.send(0, 1);
    restore(&mut d, 0, &backup);
    check_in(&mut d, 0, &scan, "重阳节清洁日");
    d.exchange_all();
    for at in 0..2 {
        assert_eq!(
            d.balance(at, &passbook),
            once,
            "counter {at}: credited twice"
        );
        assert_eq!(listed(&mut d, at).len(), 1, "counter {at}");
        assert_eq!(listed(&mut d, at)[0].0, "txn");
        d.assert_verifies(at);
    }
    assert_converged(&d);
}

#[test]
fn a_txn_id_of_one_counter_never_names_another_counters_booking() {
    let mut d = District::new(2);
    let (_ra, pa, scan_a) = d.resident(0, "甲居民");
    let (_rb, pb, scan_b) = d.resident(1, "乙居民");
    d.exchange_all();
    // A client that makes its own txn ids used the same one at both counters, offline.
    let txn = uuid::Uuid::now_v7();
    for (at, scan) in [(0, &scan_a), (1, &scan_b)] {
        let admin = d.admin(at);
        d.ledger(at)
            .earn(
                &admin,
                &EarnRequest {
                    scan: scan.to_string(),
                    activity: "A01".into(),
                    minutes: 60,
                    event: None,
                    txn: Some(txn),
                    confirmed_by: None,
                },
            )
            .unwrap();
    }
    let admin = d.admin(0);
    d.ledger(0)
        .reverse(&admin, &txn.to_string(), "录错", None)
        .unwrap();
    d.exchange_all();
    // B's booking is B's own: not reversed, and B may reverse it.
    assert_eq!(d.balance(1, &pb), 10);
    let receipt = d.ledger(1).receipt(&txn.to_string()).unwrap();
    assert!(receipt.reversed.is_none(), "{receipt:?}");
    assert_eq!(receipt.passbook, pb);
    let admin = d.admin(1);
    d.ledger(1)
        .reverse(&admin, &txn.to_string(), "也录错了", None)
        .unwrap();
    d.exchange_all();
    for at in 0..2 {
        assert_eq!(d.balance(at, &pa), 0);
        assert_eq!(d.balance(at, &pb), 0);
        assert!(listed(&mut d, at).is_empty());
        d.assert_verifies(at);
    }
    assert_converged(&d);
}

#[test]
fn an_overdraft_settled_at_two_counters_is_settled_once_and_listed() {
    let mut d = District::new(2);
    let (_resident, passbook, scan) = d.resident(0, "王五");
    d.earn(0, &scan, 180); // 30 points
    d.send(0, 1);
    d.redeem(0, &scan, &[("S01", 1)]).unwrap();
    d.redeem(1, &scan, &[("S01", 1)]).unwrap();
    d.exchange_all();
    assert_eq!(d.balance(0, &passbook), -10);
    // Both administrators read "frozen, adjust +10" and do it before the next sync.
    for at in 0..2 {
        let admin = d.admin(at);
        d.ledger(at)
            .adjust(&admin, &passbook, 10, "补交", None)
            .unwrap();
        assert_eq!(d.balance(at, &passbook), 0);
    }
    d.exchange_all();
    for at in 0..2 {
        assert_eq!(d.balance(at, &passbook), 0, "counter {at}: settled twice");
        let listed = listed(&mut d, at);
        assert_eq!(listed.len(), 1, "counter {at}: {listed:?}");
        assert_eq!(listed[0].0, "settlement");
        d.assert_verifies(at);
    }
    assert_converged(&d);
}

/// The points a scan may book at counter `at` now: the refusal's message when it is frozen.
fn earn_refused(d: &mut District, at: usize, scan: &str) -> Option<String> {
    earn_at(d, at, scan, 60, None)
        .err()
        .map(|e| e.message(pointsdesk::i18n::Lang::ZhCn))
}

#[test]
fn a_number_handed_out_twice_is_one_conflict_everywhere_frozen_until_its_counter_resolves_it() {
    let mut d = District::new(3);
    let (_, _, scan_first) = d.resident(0, "张三");
    let backup = d.dir.path().join("a-backup.db");
    d.ledger(0).backup(&backup).unwrap();
    d.earn(0, &scan_first, 60);
    // A is restored (a new series, numbering in block 1), registers 王五, who earns 20; the
    // entries reach B in a bundle. Then A's PC is lost before any hub saw that series.
    restore(&mut d, 0, &backup);
    let (resident, passbook, scan_x) = d.resident(0, "王五");
    d.earn(0, &scan_x, 120);
    d.send(0, 1);
    // The new PC restores the same backup: nothing tells it of the lost series, so it numbers
    // in block 1 again, and 赵六 gets 王五's numbers.
    restore(&mut d, 0, &backup);
    let (again, passbook_again, scan_y) = d.resident(0, "赵六");
    assert_eq!((&again, &passbook_again), (&resident, &passbook));
    d.earn(0, &scan_y, 60);
    // C hears of the new PC's registration first, then of the earlier one (which displaces it).
    d.send(0, 2);
    let from_b = d.send(1, 2);
    assert!(
        from_b.refused.is_empty() && from_b.forks.is_empty(),
        "{from_b:?}"
    );
    d.exchange_all();
    assert_converged(&d);
    for at in 0..3 {
        // One conflict, the same at every counter, listed with the duplicates.
        let conflicts = d.ledger(at).registration_conflicts().unwrap();
        assert_eq!(conflicts.len(), 1, "counter {at}: {conflicts:?}");
        let c = &conflicts[0];
        assert_eq!(
            (c.resident.as_str(), c.resolved),
            (resident.as_str(), false)
        );
        assert_eq!(c.registrations.len(), 2);
        assert!(c.registrations[0].holds && !c.registrations[1].holds);
        assert_eq!(c.registrations[0].points, 20, "{c:?}");
        assert_eq!(c.registrations[1].points, 10, "{c:?}");
        assert!(
            listed(&mut d, at).contains(&("resident".to_string(), resident.clone())),
            "counter {at}"
        );
        // Neither person's passbook earns, redeems or shows a balance that may be another's.
        for scan in [&scan_x, &scan_y] {
            let refused = earn_refused(&mut d, at, scan).expect("frozen");
            assert!(refused.contains("被登记给了两个人"), "{refused}");
            assert!(d.ledger(at).account(scan, 5).is_err());
            assert!(d.redeem(at, scan, &[("S01", 1)]).is_err());
        }
        d.assert_verifies(at);
    }
    assert_eq!(d.balance(1, &passbook), 30);
    // Only the number's home resolves it.
    let admin_b = d.admin(1);
    assert!(
        d.ledger(1)
            .resolve_registrations(&admin_b, &resident, None, "核实")
            .is_err()
    );
    // No passbook is issued or reissued for the number until it is resolved: it would be one
    // of two people's, and the resolution revokes what the losing series issued.
    let admin = d.admin(0);
    let issue = d.ledger(0).issue_passbook(&admin, &resident).unwrap_err();
    let reissue = d
        .ledger(0)
        .reissue_passbook(&admin, &passbook, "丢失")
        .unwrap_err();
    for refused in [issue, reissue] {
        assert!(
            matches!(&refused, pointsdesk::ledger::LedgerError::IssueWhileRegisteredTwice(r) if *r == resident),
            "{refused:?}"
        );
        assert!(
            refused
                .message(pointsdesk::i18n::Lang::ZhCn)
                .contains("处理之前不能为这个号码发存折")
        );
    }
    // At A: 赵六 is registered anew and gets a passbook, and the 10 points the new PC booked
    // for them move there.
    let (_new_resident, new_passbook, new_scan) = d.resident(0, "赵六");
    let admin = d.admin(0);
    let resolved = d
        .ledger(0)
        .resolve_registrations(
            &admin,
            &resident,
            Some(pointsdesk::ledger::conflicts::Move {
                to_passbook: new_passbook.clone(),
                points: 10,
            }),
            "核实后处理",
        )
        .unwrap();
    assert_eq!(resolved.revoked.len(), 1);
    assert!(
        d.ledger(0)
            .resolve_registrations(&admin, &resident, None, "again")
            .is_err()
    );
    d.exchange_all();
    assert_converged(&d);
    for at in 0..3 {
        assert_eq!(d.balance(at, &passbook), 20, "counter {at}");
        assert_eq!(d.balance(at, &new_passbook), 10, "counter {at}");
        assert!(d.ledger(at).registration_conflicts().unwrap()[0].resolved);
        // 王五's passbook spends again; 赵六's old QR no longer opens it.
        let refused = earn_refused(&mut d, at, &scan_y).expect("revoked");
        assert!(refused.contains("作废"), "{refused}");
        d.assert_verifies(at);
    }
    assert!(earn_refused(&mut d, 1, &scan_x).is_none());
    assert!(earn_refused(&mut d, 2, &new_scan).is_none());
}

#[test]
fn a_passbook_number_issued_to_two_people_is_frozen_everywhere_until_its_counter_reissues_it() {
    passbook_issued_to_two_people(hub::StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn a_passbook_number_issued_to_two_people_is_listed_by_a_hub_on_postgresql() {
    passbook_issued_to_two_people(hub::StoreKind::Postgres);
}

fn passbook_issued_to_two_people(kind: hub::StoreKind) {
    let store = match kind {
        hub::StoreKind::Sqlite => None,
        hub::StoreKind::Postgres => Some(hub::pg().database()),
    };
    let mut d = District::starting_on(3, chrono::Utc::now(), store.clone());
    let (_, _, scan_first) = d.resident(0, "张三");
    let backup = d.dir.path().join("a-backup.db");
    d.ledger(0).backup(&backup).unwrap();
    d.earn(0, &scan_first, 60);
    // A is restored (a new series, numbering in block 1) and registers 王五 with a passbook,
    // who earns 20; the entries reach B in a bundle; then A's PC is lost.
    restore(&mut d, 0, &backup);
    let (wang, passbook, scan_wang) = d.resident(0, "王五");
    d.earn(0, &scan_wang, 120);
    d.send(0, 1);
    // A day later the new PC numbers in block 1 again: 赵六 gets 王五's resident number, but
    // no passbook yet; 孙八, registered next, gets 王五's passbook number under another resident
    // number. The passbook's row (its latest issue) is 孙八's, whose number is nobody else's.
    d.advance(chrono::Duration::days(1));
    restore(&mut d, 0, &backup);
    let zhao = d.register(0, "赵六");
    assert_eq!(zhao, wang);
    let sun = d.register(0, "孙八");
    let admin = d.admin(0);
    let issued = d.ledger(0).issue_passbook(&admin, &sun).unwrap();
    assert_eq!(issued.passbook, passbook);
    let scan_sun = issued.token.as_str().to_string();
    d.earn(0, &scan_sun, 60);
    // C hears of the new PC first, then of the lost one; then everyone of everything.
    d.send(0, 2);
    d.send(1, 2);
    d.exchange_all();
    assert_converged(&d);
    for at in 0..3 {
        // The number is one listing everywhere, and neither QR earns, redeems or shows a
        // balance: nobody can tell whose of the 30 points are whose.
        let shared = d.ledger(at).shared_passbooks().unwrap();
        assert_eq!(shared.len(), 1, "counter {at}: {shared:?}");
        assert_eq!(shared[0].passbook, passbook);
        let mut residents: Vec<&str> = shared[0]
            .issues
            .iter()
            .map(|i| i.resident.as_str())
            .collect();
        residents.sort();
        let mut expected = vec![wang.as_str(), sun.as_str()];
        expected.sort();
        assert_eq!(residents, expected, "counter {at}");
        for scan in [&scan_wang, &scan_sun] {
            let refused = earn_refused(&mut d, at, scan).expect("frozen");
            assert!(refused.contains("发给了 2 个人"), "{refused}");
            assert!(d.ledger(at).account(scan, 5).is_err());
            assert!(d.redeem(at, scan, &[("S01", 1)]).is_err());
        }
        d.assert_verifies(at);
    }
    // The street office's hub, given everything by C's nightly sync, lists it the same way.
    let office = hub::TestHub::on_store(
        pointsdesk::hub::HubHome {
            dir: d.hub.dir.clone(),
        },
        store,
    );
    let client = pointsdesk::sync::client::HubClient::new(&office.url, None).unwrap();
    // C was enrolled with a file: its certificate goes to the hub as `sync enroll` sends it.
    client
        .register_certificate(&d.ledger(2).own_certificate().unwrap().unwrap())
        .unwrap();
    let hub_lists = |d: &mut District| {
        let c = &mut d.counters[2];
        let summary =
            pointsdesk::sync::nightly::sync(&c.home, &mut c.ledger, &client, 3, &mut |_| {})
                .unwrap();
        assert!(summary.push_refusals.is_empty(), "{summary:?}");
        office.hub().report().unwrap().shared_passbooks
    };
    let listed = hub_lists(&mut d);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].passbook.as_str(), listed[0].counter.as_str()),
        (passbook.as_str(), "三桥爱心超市")
    );
    let mut both = vec![wang.clone(), sun.clone()];
    both.sort();
    assert_eq!(listed[0].residents, both);
    // At A, the number stays with the person its row names; every old QR code goes, the other
    // person gets a passbook of their own and their 20 points.
    let keeps = d.ledger(0).shared_passbooks().unwrap()[0].resident.clone();
    assert_eq!(keeps, sun);
    let (other, other_scan) = (wang.clone(), scan_wang.clone());
    let reissued = d
        .ledger(0)
        .reissue_passbook(&admin, &passbook, "号码重复")
        .unwrap();
    assert_eq!(reissued.resident, keeps);
    // 王五's resident number was registered to 赵六 too: that conflict is resolved first (王五
    // registered first and keeps it), then 王五 gets a passbook of their own.
    d.ledger(0)
        .resolve_registrations(&admin, &wang, None, "核实")
        .unwrap();
    let fresh = d.ledger(0).issue_passbook(&admin, &other).unwrap();
    d.exchange_all();
    assert_converged(&d);
    for at in 0..3 {
        assert!(
            d.ledger(at).shared_passbooks().unwrap().is_empty(),
            "counter {at}"
        );
        assert!(
            earn_refused(&mut d, at, &other_scan)
                .expect("revoked")
                .contains("作废")
        );
        assert!(earn_refused(&mut d, at, &scan_wang).is_some());
        assert!(earn_refused(&mut d, at, &scan_sun).is_some());
        d.assert_verifies(at);
    }
    assert!(earn_refused(&mut d, 1, reissued.token.as_str()).is_none());
    assert!(earn_refused(&mut d, 2, fresh.token.as_str()).is_none());
    assert!(hub_lists(&mut d).is_empty());
}
