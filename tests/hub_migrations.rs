//! A district made by the pointsdesk of before a series was named `series_id` and a counter's
//! lasting id its `origin` (counter schema 10, hub schema 5, protocol 1; tests/fixtures/
//! district-before-origin): today's code carries the counters' and the hub's databases over
//! when it first opens them, reads the certificates and series links signed with the old
//! names, and the district syncs on as before.

mod hub;

use hub::{Counter, TestHub, copy_dir, hub_heads};
use pointsdesk::home::Home;
use pointsdesk::hub::HubHome;
use pointsdesk::hub::store::Store;
use pointsdesk::ledger::{LedgerError, Record, ResidentPatch};
use std::path::PathBuf;
use tempfile::TempDir;

const A: &str = "三桥爱心超市";
const B: &str = "二桥爱心超市";
/// The scan of the fixture's passbook SQ-A000001 (its README lists them all).
const A1: &str = "PD1ILC6YQ2VGIVENK2C727GYQHAEMY";

fn fixture(part: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/district-before-origin")
        .join(part)
}

/// A copy of the fixture's counter `part`, opened with today's code.
fn counter(part: &str, name: &str) -> Counter {
    let dir = TempDir::new().unwrap();
    copy_dir(&fixture(part), &dir.path().join("home"));
    Counter::opened(dir, name)
}

/// What every replica of the district must hold for the passbooks: (passbook, balance, the
/// counter that issued it).
fn assert_balances(counters: &[&Counter], hub: &TestHub, expected: &[(&str, i64, &str)]) {
    for (passbook, balance, issuer) in expected {
        for c in counters {
            assert_eq!(c.balance(passbook), *balance, "{passbook} at {}", c.name);
        }
        let row = hub
            .hub()
            .block_on(hub.service.store.passbook(passbook))
            .unwrap()
            .unwrap_or_else(|| panic!("the hub holds {passbook}"));
        assert_eq!((row.points, row.counter.as_str()), (*balance, *issuer));
    }
}

#[test]
fn a_district_made_before_series_and_origins_had_their_names_syncs_on_after_the_update() {
    let office = TempDir::new().unwrap();
    let office_home = office.path().join("office");
    copy_dir(&fixture("office"), &office_home);
    let hub = TestHub::on_store(HubHome { dir: office_home }, None);
    let mut a = counter("a", A);
    let mut b = counter("b", B);

    // Opened with today's code, each counter's log and projections agree, and each passbook
    // has the balance the old code left, at both counters and at the hub.
    a.assert_verifies();
    b.assert_verifies();
    let before = [
        ("SQ-A000001", 30, A),
        ("SQ-A000002", 30, A),
        ("EQ-B000001", 20, B),
    ];
    assert_balances(&[&a, &b], &hub, &before);
    // The hub still knows counter A, restored once, as one counter of two series.
    let rows = hub.hub().counters().unwrap();
    let row_a = rows.iter().find(|r| r.counter == A).unwrap();
    assert_eq!((rows.len(), row_a.series, row_a.refused), (2, 2, 0));

    // Both sync with nothing new and nothing to say, and hold what the hub holds.
    for c in [&mut a, &mut b] {
        let summary = c.sync(&hub);
        assert!(!summary.warnings(), "{}: {summary:?}", c.name);
        assert_eq!((summary.pushed_new, summary.pulled_new), (0, 0));
        assert_eq!(c.heads(), hub_heads(&hub), "{}", c.name);
    }

    // Bookings after the update travel both ways.
    b.redeem(A1, "G001").unwrap();
    a.earn(A1, 60);
    b.sync(&hub);
    a.sync(&hub);
    b.sync(&hub);
    let after = [("SQ-A000001", 30 - 5 + 10, A)];
    assert_balances(&[&a, &b], &hub, &after);

    // Counter A, in the series its restore started under the old code, still keeps what its
    // first series registered; B is refused and told so.
    let patch = ResidentPatch {
        phone: Some("13900000000".into()),
        ..Default::default()
    };
    a.ledger
        .update_resident(&a.admin, "SQ-RA00001", &patch)
        .unwrap();
    let refused = b
        .ledger
        .update_resident(&b.admin, "SQ-RA00002", &patch)
        .unwrap_err();
    assert!(
        matches!(&refused, LedgerError::KeptElsewhere { record: Record::Resident, counter, .. } if counter == A),
        "{refused:?}"
    );

    // A restore under today's code, of a backup from before a booking that reached the hub:
    // the new series' link names A's origin under its new name, and B, taking it in, files
    // what it registers under A as before.
    let backup = a.dir.path().join("a-today.db");
    a.ledger.backup(&backup).unwrap();
    a.earn(A1, 60);
    a.sync(&hub);
    let home = Home {
        dir: a.home.dir.clone(),
    };
    let plan = home.plan_restore(&backup).unwrap();
    home.restore(plan, "001", hub::ADMIN_PIN).unwrap();
    a.ledger = home.open().unwrap();
    a.admin = a.ledger.login("001", hub::ADMIN_PIN).unwrap();
    let (passbook, scan) = a.resident("赵六");
    a.earn(&scan, 120);
    for at in [0, 1, 0] {
        let c = if at == 0 { &mut a } else { &mut b };
        let summary = c.sync(&hub);
        assert!(!summary.warnings(), "{}: {summary:?}", c.name);
    }
    assert_balances(
        &[&a, &b],
        &hub,
        &[
            (passbook.as_str(), 20, A),
            ("SQ-A000001", 30 - 5 + 10 + 10, A),
        ],
    );
    // B holds both links as they were signed: the old one naming `home`, the new one `origin`.
    let links_naming = |word: &str| -> i64 {
        b.ledger
            .connection()
            .query_row(
                "SELECT COUNT(*) FROM entries WHERE CAST(body AS TEXT) LIKE ?1",
                [format!("%\"continues\":{{%\"{word}\":%")],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!((links_naming("home"), links_naming("origin")), (1, 1));
    let refused = b
        .ledger
        .reissue_passbook(&b.admin, &passbook, "遗失")
        .unwrap_err();
    assert!(
        matches!(&refused, LedgerError::KeptElsewhere { record: Record::Passbook, counter, .. } if counter == A),
        "{refused:?}"
    );
    let rows = hub.hub().counters().unwrap();
    let row_a = rows.iter().find(|r| r.counter == A).unwrap();
    assert_eq!((rows.len(), row_a.series, row_a.refused), (2, 3, 0));
    for c in [&mut a, &mut b] {
        c.assert_verifies();
        assert_eq!(c.heads(), hub_heads(&hub), "{}", c.name);
    }
}
