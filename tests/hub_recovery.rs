//! A new PC for an existing counter, its old disk lost: enrolled again with a one-time code, it
//! takes the counter's ledger back from the hub. With the old key (from the administrator's
//! backup) it goes on with its own series and makes no fork; without it, it starts a new
//! series that the district admits as the same counter.

mod hub;

use hub::{ADMIN_PIN, Counter, StoreKind, TestHub, hub_heads};
use pointsdesk::district::protocol::Refusal;
use pointsdesk::home::Home;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{EarnRequest, LedgerError, NewResident};
use pointsdesk::sync::client::ClientError;
use pointsdesk::sync::nightly::SyncError;
use pointsdesk::sync::recover::recover;

const NEW_PIN: &str = "5678";

/// A district of two counters; counter 0 has residents and points, both synced.
fn district() -> (TestHub, Counter, Counter, Vec<(String, String)>) {
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut a = Counter::enrolled(&hub, 0);
    let mut b = Counter::enrolled(&hub, 1);
    let books: Vec<(String, String)> = (0..3).map(|n| a.resident(&format!("居民{n}"))).collect();
    for (_, scan) in &books {
        a.earn(scan, 120);
    }
    a.sync(&hub);
    b.sync(&hub);
    (hub, a, b, books)
}

/// A recovery into `home` with the one-time `code`, administrator 001 given [`NEW_PIN`].
fn recover_as_admin(
    home: &Home,
    client: &pointsdesk::sync::client::HubClient,
    code: &str,
    key: Option<&std::path::Path>,
) -> Result<pointsdesk::sync::recover::Recovered, SyncError> {
    recover(
        home,
        client,
        code,
        key,
        "001",
        NEW_PIN,
        None,
        Lang::ZhCn,
        &mut |_| {},
    )
}

fn earn(
    ledger: &mut pointsdesk::ledger::Ledger,
    session: &pointsdesk::ledger::Session,
    scan: &str,
) {
    ledger
        .earn(
            session,
            &EarnRequest {
                scan: scan.into(),
                activity: "A01".into(),
                minutes: 60,
                event: None,
                txn: None,
                confirmed_by: None,
            },
        )
        .unwrap();
}

#[test]
fn a_new_pc_with_the_old_key_goes_on_in_a_new_series_and_never_signs_what_another_counter_holds() {
    let (hub, mut a, mut b, books) = district();
    let own = a.ledger.device().series_id;
    let head = hub_heads(&hub)
        .into_iter()
        .find(|h| h.series_id == own)
        .unwrap();
    // The old PC's newest entries never reached the hub, only counter B, in a bundle: a
    // resident, a passbook and 20 points.
    let (lost_passbook, lost_scan) = a.resident("遗失前的居民");
    a.earn(&lost_scan, 120);
    let (_, bundle) = pointsdesk::sync::export_bundle(
        &mut a.ledger,
        &b.ledger.heads().unwrap(),
        "relay",
        Vec::new(),
    )
    .unwrap();
    pointsdesk::sync::import_bundle(&mut b.ledger, "relay", bundle.as_slice()).unwrap();
    // The administrator kept the key; the disk is gone.
    let saved = tempfile::TempDir::new().unwrap();
    let key = saved.path().join("device.key");
    std::fs::copy(a.home.key_path(), &key).unwrap();
    let name = a.name.clone();
    drop(a);
    let new_pc = tempfile::TempDir::new().unwrap();
    let home = Home {
        dir: new_pc.path().join("home"),
    };
    let recovered = recover_as_admin(&home, &hub.client(), &hub.code(&name), Some(&key)).unwrap();
    assert!(recovered.endorsed);
    assert_eq!(recovered.head, head.seq);
    let mut ledger = home.open().unwrap();
    // A new series of the same counter: the old key never signs again, and is kept retired.
    assert_ne!(ledger.device().series_id, own);
    assert!(home.retired_device(&own).is_some());
    let report = ledger.verify().unwrap();
    assert!(report.ok, "{report:?}");
    // The administrator logs in with the new PIN; the old one is gone with the old PC.
    assert!(ledger.login("001", ADMIN_PIN).is_err());
    let admin = ledger.login("001", NEW_PIN).unwrap();
    assert_eq!(ledger.account(&books[0].1, 0).unwrap().balance.0, 20);
    // It numbers where the lost PC never did: the relayed resident's numbers stay theirs.
    let next = ledger
        .add_resident(
            &admin,
            &NewResident {
                name: "新居民".into(),
                ..NewResident::default()
            },
        )
        .unwrap();
    let issued = ledger.issue_passbook(&admin, &next.resident).unwrap();
    assert_ne!(issued.passbook, lost_passbook);
    earn(&mut ledger, &admin, &books[0].1);
    let mut again = Counter {
        dir: new_pc,
        home,
        ledger,
        admin,
        name,
    };
    let summary = again.sync(&hub);
    assert!(summary.push_refusals.is_empty(), "{summary:?}");
    // B's relayed entries (the old series, after the hub's head) reach the hub and the new PC
    // without a fork anywhere: nothing else was ever signed at those seqs.
    let taken = b.sync(&hub);
    assert!(
        taken.push_refusals.is_empty() && taken.pull_refusals.is_empty(),
        "{taken:?}"
    );
    again.sync(&hub);
    assert_eq!(b.balance(&books[0].0), 30);
    assert_eq!(again.balance(&lost_passbook), 20);
    assert_eq!(b.balance(&lost_passbook), 20);
    assert_eq!(again.heads(), hub_heads(&hub));
    assert_eq!(b.heads(), hub_heads(&hub));
    again.assert_verifies();
    b.assert_verifies();
    assert!(hub.hub().report().unwrap().evidence.is_empty());
    assert!(again.ledger.registration_conflicts().unwrap().is_empty());
}

#[test]
fn a_new_pc_without_the_key_starts_a_new_series_of_the_same_counter() {
    let (hub, mut a, mut b, books) = district();
    let old = a.ledger.device().series_id;
    // The old PC's newest entries never reached the hub, only counter B, in a bundle: a
    // resident, a passbook and 20 points.
    let (lost_passbook, lost_scan) = a.resident("遗失前的居民");
    a.earn(&lost_scan, 120);
    let (_, bundle) = pointsdesk::sync::export_bundle(
        &mut a.ledger,
        &b.ledger.heads().unwrap(),
        "relay",
        Vec::new(),
    )
    .unwrap();
    pointsdesk::sync::import_bundle(&mut b.ledger, "relay", bundle.as_slice()).unwrap();
    let name = a.name.clone();
    drop(a);
    let new_pc = tempfile::TempDir::new().unwrap();
    let home = Home {
        dir: new_pc.path().join("home"),
    };
    let recovered = recover_as_admin(&home, &hub.client(), &hub.code(&name), None).unwrap();
    assert!(!recovered.endorsed);
    let mut ledger = home.open().unwrap();
    assert_ne!(ledger.device().series_id, old);
    assert!(ledger.verify().unwrap().ok);
    let admin = ledger.login("001", NEW_PIN).unwrap();
    // The same counter: its residents are its own (it may correct them), and its numbers go on
    // after the old PC's.
    ledger
        .update_resident(
            &admin,
            "SQ-RA00001",
            &pointsdesk::ledger::ResidentPatch {
                phone: Some("13900001111".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let next = ledger
        .add_resident(
            &admin,
            &NewResident {
                name: "新居民".into(),
                ..NewResident::default()
            },
        )
        .unwrap();
    // Its numbers come from a block no earlier series of the counter used: the lost PC's
    // SQ-RA00004 (which B holds) is never handed out again.
    assert_eq!(next.resident, "SQ-RA10001");
    let issued = ledger.issue_passbook(&admin, &next.resident).unwrap();
    assert_eq!(issued.passbook, "SQ-A100001");
    assert_ne!(issued.passbook, lost_passbook);
    earn(&mut ledger, &admin, &books[1].1);
    let mut again = Counter {
        dir: new_pc,
        home,
        ledger,
        admin,
        name,
    };
    let summary = again.sync(&hub);
    assert!(summary.push_refusals.is_empty(), "{summary:?}");
    let taken = b.sync(&hub);
    assert!(taken.pull_refusals.is_empty(), "{taken:?}");
    assert_eq!(b.balance(&books[1].0), 30);
    // B's relayed entries reach the hub and the new PC: two people, two accounts.
    b.sync(&hub);
    again.sync(&hub);
    assert_eq!(again.balance(&lost_passbook), 20);
    assert_eq!(b.balance(&lost_passbook), 20);
    assert_eq!(again.balance(&issued.passbook), 0);
    assert_eq!(again.heads(), hub_heads(&hub));
    again.assert_verifies();
    b.assert_verifies();
}

#[test]
fn a_recovery_the_network_cuts_leaves_the_folder_as_it_was_and_a_new_code_takes_the_counter_back() {
    let (hub, mut a, mut b, books) = district();
    let saved = tempfile::TempDir::new().unwrap();
    let key = saved.path().join("device.key");
    std::fs::copy(a.home.key_path(), &key).unwrap();
    let name = a.name.clone();
    a.earn(&books[0].1, 60);
    a.sync(&hub);
    drop(a);
    let new_pc = tempfile::TempDir::new().unwrap();
    let home = Home {
        dir: new_pc.path().join("home"),
    };
    let upstream: std::net::SocketAddr = hub.url.trim_start_matches("http://").parse().unwrap();
    // The network goes away once the code (1), the certificate (2) or the heads (3) passed:
    // the new PC has its folder, config, database and keys by then.
    for passed in 1..=3 {
        let proxy = hub::proxy::Proxy::breaking_after(upstream, passed);
        let code = hub.code(&name);
        let cut = recover_as_admin(
            &home,
            &pointsdesk::sync::client::HubClient::new(&proxy.url, None).unwrap(),
            &code,
            Some(&key),
        );
        assert!(
            matches!(cut, Err(SyncError::Client(_))),
            "{passed}: {cut:?}"
        );
        assert!(!home.dir.exists(), "{passed}: the folder is left as it was");
        assert!(key.exists(), "the administrator's key stays");
        // The hub took the code: the same one again says so (ask for a new one).
        let again = recover_as_admin(&home, &hub.client(), &code, None);
        assert!(
            matches!(&again, Err(SyncError::Client(ClientError::Refused(body)))
                if body.refusal == Refusal::UsedCode),
            "{again:?}"
        );
        assert!(!home.dir.exists());
    }
    let recovered = recover_as_admin(&home, &hub.client(), &hub.code(&name), Some(&key)).unwrap();
    assert!(recovered.endorsed);
    let mut ledger = home.open().unwrap();
    let admin = ledger.login("001", NEW_PIN).unwrap();
    earn(&mut ledger, &admin, &books[0].1);
    let mut again = Counter {
        dir: new_pc,
        home,
        ledger,
        admin,
        name,
    };
    let summary = again.sync(&hub);
    assert!(summary.push_refusals.is_empty(), "{summary:?}");
    b.sync(&hub);
    // 20 to begin with, 10 on the old PC before it was lost, 10 on the new one.
    assert_eq!(again.balance(&books[0].0), 40);
    assert_eq!(b.balance(&books[0].0), 40);
    assert_eq!(again.heads(), hub_heads(&hub));
    again.assert_verifies();
    b.assert_verifies();
    assert!(hub.hub().report().unwrap().evidence.is_empty());
}

#[test]
fn a_key_of_another_series_or_a_counter_the_hub_never_saw_is_refused_and_nothing_is_made() {
    let (hub, a, _b, _) = district();
    let new_pc = tempfile::TempDir::new().unwrap();
    let home = Home {
        dir: new_pc.path().join("home"),
    };
    let stranger = new_pc.path().join("stranger.key");
    pointsdesk::keys::Device::generate()
        .unwrap()
        .save_new(&stranger)
        .unwrap();
    let code = hub.code(&a.name);
    let wrong = recover_as_admin(&home, &hub.client(), &code, Some(&stranger));
    assert!(
        matches!(
            wrong,
            Err(SyncError::Ledger(LedgerError::KeyOfOtherSeries { .. }))
        ),
        "{wrong:?}"
    );
    assert!(!home.dir.exists());
    // The hub took the code before the key could be checked: the message asks for a new one.
    let Err(SyncError::Ledger(refused)) = wrong else {
        unreachable!()
    };
    let said = refused.message(Lang::En);
    assert!(
        said.contains("ask the street office for a new one"),
        "{said}"
    );
    let again = recover_as_admin(&home, &hub.client(), &code, None);
    assert!(
        matches!(&again, Err(SyncError::Client(ClientError::Refused(body)))
            if body.refusal == Refusal::UsedCode),
        "{again:?}"
    );
    let unknown = recover_as_admin(&home, &hub.client(), &hub.code("从未同步的服务点"), None);
    assert!(
        matches!(
            unknown,
            Err(SyncError::Ledger(LedgerError::NothingToRecover { .. }))
        ),
        "{unknown:?}"
    );
    assert!(!home.dir.exists());
}

#[test]
fn a_counter_restored_from_an_old_backup_goes_on_syncing_introduced_by_its_earlier_key() {
    let (hub, mut a, mut b, books) = district();
    let backup = a.dir.path().join("before.db");
    a.ledger.backup(&backup).unwrap();
    // After the backup A books and syncs; then its disk fails and the backup goes back.
    a.earn(&books[1].1, 60);
    a.sync(&hub);
    let restoring = Home {
        dir: a.home.dir.clone(),
    };
    let plan = restoring.plan_restore(&backup).unwrap();
    assert!(plan.new_series);
    restoring.restore(plan, "001", ADMIN_PIN).unwrap();
    a.ledger = restoring.open().unwrap();
    a.admin = a.ledger.login("001", ADMIN_PIN).unwrap();
    let new_series = a.ledger.device().series_id;
    a.earn(&books[0].1, 60);
    // The hub has never seen the new key: the series it continues introduces it, that night
    // and every night after.
    for night in 0..2 {
        let summary = a
            .sync_with(&hub.url)
            .unwrap_or_else(|e| panic!("night {night}: {e}"));
        assert!(summary.push_refusals.is_empty(), "{summary:?}");
        assert!(summary.pull_refusals.is_empty(), "{summary:?}");
    }
    assert!(hub_heads(&hub).iter().any(|h| h.series_id == new_series));
    b.sync(&hub);
    // 20 + 10 before the restore (one synced after the backup, back from the hub), 10 after.
    assert_eq!(a.balance(&books[0].0), 30);
    assert_eq!(b.balance(&books[0].0), 30);
    assert_eq!(b.balance(&books[1].0), 30);
    assert_eq!(a.heads(), hub_heads(&hub));
    assert_eq!(b.heads(), hub_heads(&hub));
    a.assert_verifies();
    b.assert_verifies();
    assert!(hub.hub().report().unwrap().evidence.is_empty());
}

/// The kiosk guide's way to change PCs: the newest backup and the `keys/` folder copied to the
/// new PC (`keys/device.key` alone unless `retired_too`), then `pointsdesk restore`.
fn restore_on_a_new_pc(
    a: &Counter,
    backup: &std::path::Path,
    retired_too: bool,
) -> (tempfile::TempDir, Home, String) {
    let new_pc = tempfile::TempDir::new().unwrap();
    let home = Home {
        dir: new_pc.path().join("home"),
    };
    hub::copy_keys(&a.home, &home, retired_too);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pointsdesk"))
        .args(["restore", "--yes", backup.to_str().unwrap()])
        .env("POINTSDESK_HOME", &home.dir)
        .env("POINTSDESK_OPERATOR", "001")
        .env("POINTSDESK_PIN", ADMIN_PIN)
        .env_remove("INVOCATION_ID")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    (new_pc, home, text)
}

#[test]
fn changing_pcs_by_the_guide_after_the_old_pc_synced_past_the_backup_makes_no_fork() {
    let (hub, mut a, mut b, books) = district();
    let backup = a.dir.path().join("newest-backup.db");
    a.ledger.backup(&backup).unwrap();
    // The old PC syncs once more after the backup was taken.
    a.earn(&books[2].1, 60);
    a.sync(&hub);
    let (new_pc, home, said) = restore_on_a_new_pc(&a, &backup, false);
    assert!(said.contains("新序列"), "{said}");
    let name = a.name.clone();
    drop(a);
    // The restore synced at once: before it books again, the new PC knows what the old one
    // synced after the backup.
    assert!(said.contains("已与街道中心同步"), "{said}");
    let mut ledger = home.open().unwrap();
    assert_eq!(ledger.account(&books[2].1, 0).unwrap().balance.0, 30);
    let admin = ledger.login("001", ADMIN_PIN).unwrap();
    earn(&mut ledger, &admin, &books[0].1);
    let mut again = Counter {
        dir: new_pc,
        home,
        ledger,
        admin,
        name,
    };
    let summary = again.sync(&hub);
    assert!(summary.push_refusals.is_empty(), "{summary:?}");
    assert!(summary.pull_forks.is_empty(), "{summary:?}");
    b.sync(&hub);
    again.sync(&hub);
    // 20 each to begin with; the old PC's last 10 came back from the hub; 10 on the new PC.
    assert_eq!(again.balance(&books[2].0), 30);
    assert_eq!(again.balance(&books[0].0), 30);
    assert_eq!(b.balance(&books[0].0), 30);
    assert_eq!(again.heads(), hub_heads(&hub));
    assert_eq!(b.heads(), hub_heads(&hub));
    again.assert_verifies();
    b.assert_verifies();
    let report = hub.hub().report().unwrap();
    assert!(report.evidence.is_empty(), "{:?}", report.evidence);
}

#[test]
fn a_new_pc_set_up_by_the_guide_introduces_a_series_the_hub_never_saw_with_the_old_keys_folder() {
    for retired_too in [true, false] {
        let (hub, mut a, mut b, books) = district();
        let before = a.dir.path().join("before.db");
        a.ledger.backup(&before).unwrap();
        a.earn(&books[1].1, 60);
        // A's disk fails; the backup goes back, in a new series that never reaches the hub
        // (no network that night), and A books 10 points in it.
        let restoring = Home {
            dir: a.home.dir.clone(),
        };
        let plan = restoring.plan_restore(&before).unwrap();
        restoring.restore(plan, "001", ADMIN_PIN).unwrap();
        a.ledger = restoring.open().unwrap();
        a.admin = a.ledger.login("001", ADMIN_PIN).unwrap();
        a.earn(&books[0].1, 60);
        // Then it moves to a new PC by the guide, before any sync reached the hub.
        let newest = a.dir.path().join("newest.db");
        a.ledger.backup(&newest).unwrap();
        let (new_pc, home, said) = restore_on_a_new_pc(&a, &newest, retired_too);
        let name = a.name.clone();
        drop(a);
        let mut ledger = home.open().unwrap();
        let admin = ledger.login("001", ADMIN_PIN).unwrap();
        let mut again = Counter {
            dir: new_pc,
            home,
            ledger,
            admin,
            name,
        };
        if retired_too {
            // The earlier series' key, kept in keys/retired/, introduces the new series.
            assert!(said.contains("已与街道中心同步"), "{said}");
        } else {
            // The key that would introduce it stayed on the old PC: the sync says to enrol
            // again with a code, and that works.
            let refused = again.sync_with(&hub.url).unwrap_err();
            assert!(
                matches!(&refused, SyncError::Client(ClientError::Refused(r))
                    if r.refusal == Refusal::UnknownDevice),
                "{refused:?}"
            );
            assert!(refused.to_string().contains("enrol"), "{refused}");
            pointsdesk::sync::nightly::enroll(
                &mut again.ledger,
                &again.admin,
                &hub.client(),
                &hub.code(&again.name),
                None,
            )
            .unwrap();
        }
        let summary = again.sync(&hub);
        assert!(summary.push_refusals.is_empty(), "{summary:?}");
        b.sync(&hub);
        again.sync(&hub);
        // 20 to begin with, 10 in the series the hub never saw; books[1]'s 10 after the
        // backup was synced by no one and is gone with the old disk.
        assert_eq!(again.balance(&books[0].0), 30, "retired_too: {retired_too}");
        assert_eq!(b.balance(&books[0].0), 30);
        assert_eq!(b.balance(&books[1].0), 20);
        assert_eq!(again.heads(), hub_heads(&hub));
        assert_eq!(b.heads(), hub_heads(&hub));
        again.assert_verifies();
        b.assert_verifies();
        assert!(hub.hub().report().unwrap().evidence.is_empty());
    }
}
