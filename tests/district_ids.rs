//! Identifiers handed out without asking anyone: counters set up separately and working
//! offline never hand out the same resident, passbook, event check-in or txn identifier, and
//! human numbers keep the community prefix first within ten characters. A home made before
//! counter codes keeps working.

mod district;

use district::District;
use pointsdesk::ledger::{EarnRequest, NewResident};
use proptest::prelude::*;
use std::collections::HashSet;

proptest! {
    // One case in the hermetic tier (each is a district of 3 to 7 counters), five in the
    // system tier.
    #![proptest_config(ProptestConfig {
        cases: if cfg!(feature = "system-tests") { 5 } else { 1 },
        .. ProptestConfig::default()
    })]

    #[test]
    fn counters_never_hand_out_the_same_identifier(
        registrations in proptest::collection::vec(200usize..700, 3..=7),
        passbooks_per_counter in 5usize..40,
        check_ins in 1usize..6,
    ) {
        let mut d = District::new(registrations.len());
        for counter in &d.counters {
            // Only the speed of the test: identifiers do not depend on durability.
            counter.ledger.connection().pragma_update(None, "synchronous", "OFF").unwrap();
        }
        let mut residents: Vec<(usize, String)> = Vec::new();
        let mut books: Vec<(usize, String, String)> = Vec::new();
        for (at, count) in registrations.iter().enumerate() {
            let admin = d.admin(at);
            let rows: Vec<(usize, NewResident)> = (0..*count)
                .map(|i| (i + 2, NewResident { name: format!("居民{at}-{i}"), ..NewResident::default() }))
                .collect();
            let numbers = d.ledger(at).import_residents(&admin, &rows).unwrap();
            for resident in numbers.iter().take(passbooks_per_counter) {
                let issued = d.ledger(at).issue_passbook(&admin, resident).unwrap();
                books.push((at, issued.passbook, issued.token.as_str().to_string()));
            }
            residents.extend(numbers.into_iter().map(|n| (at, n)));
        }
        d.exchange_all();
        // The same event, the same passbooks, checked in at every counter.
        for at in 0..d.counters.len() {
            let admin = d.admin(at);
            for (_, _, scan) in books.iter().take(check_ins) {
                d.ledger(at).earn(&admin, &EarnRequest {
                    scan: scan.clone(),
                    activity: "A01".into(),
                    minutes: 60,
                    event: Some("重阳节志愿服务".into()),
                    txn: None,
                    confirmed_by: None,
                }).unwrap();
            }
        }
        d.exchange_all();
        let total: usize = registrations.iter().sum();
        let unique: HashSet<&String> = residents.iter().map(|(_, r)| r).collect();
        prop_assert_eq!(unique.len(), total);
        let unique_books: HashSet<&String> = books.iter().map(|(_, b, _)| b).collect();
        prop_assert_eq!(unique_books.len(), books.len());
        for (at, number) in residents.iter().map(|(a, n)| (*a, n)).chain(books.iter().map(|(a, b, _)| (*a, b))) {
            let numbering = d.counters[at].ledger.numbering().clone();
            prop_assert!(number.len() <= 10, "{number}");
            let prefix_code = format!("{}-", numbering.prefix);
            prop_assert!(number.starts_with(&prefix_code), "{number}");
            prop_assert!(number.contains(numbering.code.as_deref().unwrap()), "{number}");
        }
        // One merged replica: every registration a row of its own, every txn one counter's.
        let conn = d.counters[0].ledger.connection();
        let rows: i64 = conn.query_row("SELECT COUNT(*) FROM residents", [], |r| r.get(0)).unwrap();
        prop_assert_eq!(rows as usize, total);
        let shared: i64 = conn.query_row(
            "SELECT COUNT(*) FROM (SELECT txn FROM entries WHERE txn IS NOT NULL
             GROUP BY txn HAVING COUNT(DISTINCT series_id) > 1)", [], |r| r.get(0)).unwrap();
        prop_assert_eq!(shared, 0);
        let check_in_txns: i64 = conn.query_row(
            "SELECT COUNT(DISTINCT txn) FROM entries WHERE kind = 'points_earned'", [], |r| r.get(0)).unwrap();
        prop_assert_eq!(check_in_txns as usize, check_ins.min(books.len()) * d.counters.len());
    }
}

/// A copy of the home made by the pointsdesk of before counter codes (tests/fixtures).
fn legacy_home() -> (tempfile::TempDir, pointsdesk::home::Home) {
    let dir = tempfile::TempDir::new().unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-home");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join("keys")).unwrap();
    for file in [
        "ledger.db",
        "ledger.head",
        "config.toml",
        "erasures",
        "keys/device.key",
    ] {
        std::fs::copy(fixture.join(file), home.join(file)).unwrap();
    }
    (dir, pointsdesk::home::Home { dir: home })
}

#[test]
fn a_home_made_before_counter_codes_keeps_its_numbers_and_joins_a_district() {
    let (_dir, home) = legacy_home();
    let mut ledger = home.open().unwrap();
    let report = ledger.verify().unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.entries, 22);
    let admin = ledger.login("001", "1234").unwrap();
    assert_eq!(ledger.passbook("SQ-000001").unwrap().balance.0, 10);
    assert_eq!(ledger.passbook("SQ-000002").unwrap().balance.0, 20);
    assert_eq!(ledger.passbook("SQ-000003").unwrap().balance.0, 15);
    assert_eq!(ledger.passbook("SQ-000003").unwrap().status, "active");
    assert!(ledger.resident("SQ-R000002", false).unwrap().erased);
    assert_eq!(ledger.item("G001").unwrap().stock, Some(16));
    // Its old scans still work, the revoked one still does not.
    assert_eq!(
        ledger
            .account("PD1FHF6OMF7TJ6MACPRR4IGBSAHR4U", 1)
            .unwrap()
            .balance
            .0,
        10
    );
    assert!(ledger.account("PD1TZNNUTYXION4KBLZOIO5YK6LWYP", 1).is_err());
    // An event check-in made before is still recognised.
    let again = ledger.earn(
        &admin,
        &EarnRequest {
            scan: "PD1FHF6OMF7TJ6MACPRR4IGBSAHR4U".into(),
            activity: "A01".into(),
            minutes: 60,
            event: Some("植树节".into()),
            txn: None,
            confirmed_by: None,
        },
    );
    assert!(
        matches!(
            again,
            Err(pointsdesk::ledger::LedgerError::AlreadyCheckedIn { .. })
        ),
        "{again:?}"
    );
    // Alone, it goes on numbering as before.
    let next = ledger
        .add_resident(
            &admin,
            &NewResident {
                name: "赵六".into(),
                ..NewResident::default()
            },
        )
        .unwrap();
    assert_eq!(next.resident, "SQ-R000004");
    // Enrolled, its new numbers carry the code the street office gave it.
    let mut d = District::new(0);
    d.add_counter(2);
    let mut hub = d.hub.open().unwrap();
    let enrolment = hub
        .enroll("三桥爱心超市", None, 14, chrono::Utc::now())
        .unwrap();
    assert_eq!(enrolment.code, "B");
    ledger.enroll(&admin, &enrolment.file).unwrap();
    let coded = ledger
        .add_resident(
            &admin,
            &NewResident {
                name: "钱七".into(),
                ..NewResident::default()
            },
        )
        .unwrap();
    assert_eq!(coded.resident, "SQ-RB00001");
    assert_eq!(
        ledger
            .issue_passbook(&admin, &coded.resident)
            .unwrap()
            .passbook,
        "SQ-B000001"
    );
    // Its old and new entries travel to another counter of the district and verify there.
    let (_, bundle) =
        pointsdesk::sync::export_bundle(&mut ledger, &[], "legacy", Vec::new()).unwrap();
    let report = d.import(0, &bundle);
    assert!(report.refused.is_empty(), "{report:?}");
    assert_eq!(d.balance(0, "SQ-000001"), 10);
    d.assert_verifies(0);
    assert!(ledger.verify().unwrap().ok);
}
