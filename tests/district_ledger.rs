//! Many counters, one district ledger, through the library: points that move across counters,
//! what only a record's home may change, overdrafts found by a merge, forks, cut bundles,
//! erasures that reach every copy, and a restore that reuses no seq.

mod district;

use district::{District, assert_converged, digest};
use pointsdesk::district::{Certificate, Page};
use pointsdesk::ledger::district::{BundleEnd, Refusal};
use pointsdesk::ledger::{LedgerError, Record};
use pointsdesk::sync::bundle::{BundleReader, BundleWriter, Frame};

#[test]
fn a_passbook_of_one_counter_earns_and_redeems_at_another_and_every_replica_agrees() {
    let mut d = District::new(3);
    let (resident, passbook, scan) = d.resident(0, "张三明");
    assert_eq!(
        (resident.as_str(), passbook.as_str()),
        ("SQ-RA00001", "SQ-A000001")
    );
    d.earn(0, &scan, 180);
    let report = d.send(0, 1);
    assert!(report.new > 0 && report.refused.is_empty(), "{report:?}");
    assert_eq!(report.end, Some(BundleEnd::Whole));
    assert_eq!(report.keys_installed, 1);
    // At B the resident shows (masked), with the balance earned at A.
    let account = d.ledger(1).account(&scan, 5).unwrap();
    assert_eq!(account.resident_name, "张*明");
    assert_eq!(account.balance.0, 30);
    let receipt = d.redeem(1, &scan, &[("G001", 2)]).unwrap();
    assert_eq!(receipt.balance_after.0, 20);
    // B's own stock moved, not A's.
    assert_eq!(d.ledger(1).item("G001").unwrap().stock, Some(998));
    d.exchange_all();
    for at in 0..3 {
        assert_eq!(d.balance(at, &passbook), 20, "counter {at}");
        d.assert_verifies(at);
    }
    assert_eq!(d.ledger(0).item("G001").unwrap().stock, Some(1000));
    assert_converged(&d);
    // A second import of the same changes nothing.
    let before = digest(&d.counters[2].ledger);
    let bytes = d.bundle(0, &[]);
    let again = d.import(2, &bytes);
    assert_eq!(again.new, 0);
    assert!(again.present > 0);
    assert_eq!(digest(&d.counters[2].ledger), before);
}

#[test]
fn only_the_counter_that_keeps_a_record_changes_it_and_the_refusal_names_it() {
    let mut d = District::new(2);
    let (resident, passbook, scan) = d.resident(0, "张三明");
    let admin_a = d.admin(0);
    d.ledger(0)
        .define_item(
            &admin_a,
            &pointsdesk::ledger::NewItem {
                item: "G777".into(),
                name: "大米".into(),
                kind: pointsdesk::domain::ItemKind::Goods,
                points: 40,
                barcode: None,
                monthly_limit: None,
            },
        )
        .unwrap();
    d.earn(0, &scan, 60);
    let txn = d.redeem(0, &scan, &[("G001", 1)]).unwrap().txn;
    d.send(0, 1);
    let admin = d.admin(1);
    let b = d.ledger(1);
    let kept_elsewhere = |error: LedgerError, record: Record| {
        assert!(
            matches!(&error, LedgerError::KeptElsewhere { record: r, counter, .. } if *r == record && counter == "三桥爱心超市"),
            "{error:?}"
        );
        assert!(
            error
                .message(pointsdesk::i18n::Lang::ZhCn)
                .contains("三桥爱心超市")
        );
        assert!(
            error
                .message(pointsdesk::i18n::Lang::En)
                .contains("三桥爱心超市")
        );
    };
    let patch = pointsdesk::ledger::ResidentPatch {
        phone: Some("13900000000".into()),
        ..Default::default()
    };
    kept_elsewhere(
        b.update_resident(&admin, &resident, &patch).unwrap_err(),
        Record::Resident,
    );
    kept_elsewhere(
        b.reissue_passbook(&admin, &passbook, "遗失").unwrap_err(),
        Record::Passbook,
    );
    kept_elsewhere(
        b.update_item(&admin, "G777", &Default::default())
            .unwrap_err(),
        Record::Item,
    );
    kept_elsewhere(
        b.reverse(&admin, &txn, "退货", None).unwrap_err(),
        Record::Txn,
    );
    // The catalogue shown at B is B's own.
    let codes: Vec<String> = b.items().unwrap().into_iter().map(|i| i.item).collect();
    assert_eq!(codes, ["G001", "S01"]);
    // Any counter blocks a lost passbook and erases personal data; both reach the home.
    b.revoke_passbook(&admin, &passbook, "遗失").unwrap();
    b.erase_resident(&admin, &resident).unwrap();
    d.send(1, 0);
    let a = d.ledger(0);
    assert_eq!(a.passbook(&passbook).unwrap().status, "revoked");
    assert!(a.resident(&resident, false).unwrap().erased);
    assert!(matches!(
        d.redeem(0, &scan, &[("G001", 1)]),
        Err(LedgerError::PassbookRevoked { .. })
    ));
    d.assert_verifies(0);
    d.assert_verifies(1);
}

#[test]
fn an_erasure_at_one_counter_destroys_the_key_at_the_others_after_the_next_import() {
    let mut d = District::new(3);
    let (resident, _passbook, scan) = d.resident(0, "李四");
    d.send(0, 1);
    d.send(0, 2);
    for at in 1..3 {
        assert_eq!(d.ledger(at).account(&scan, 1).unwrap().resident_name, "李*");
    }
    let admin = d.admin(1);
    d.ledger(1).erase_resident(&admin, &resident).unwrap();
    let report = d.send(1, 0);
    assert_eq!(report.erased, std::slice::from_ref(&resident));
    let key_left = |d: &mut District, at: usize| -> i64 {
        d.ledger(at)
            .connection()
            .query_row(
                "SELECT COUNT(*) FROM resident_keys WHERE resident = ?1",
                [&resident],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(key_left(&mut d, 0), 0);
    assert_eq!(key_left(&mut d, 2), 1, "C has not imported the erasure yet");
    // C hears of it from A, who never erased anything itself.
    d.send(0, 2);
    assert_eq!(key_left(&mut d, 2), 0);
    // A key still travelling in an old bundle is not taken back in.
    let old = d.bundle(0, &[]);
    d.import(1, &old);
    assert_eq!(key_left(&mut d, 1), 0);
    for at in 0..3 {
        let view = d.ledger(at).resident(&resident, false).unwrap();
        assert!(view.erased && view.name.is_empty(), "{at}: {view:?}");
        d.assert_verifies(at);
    }
    d.exchange_all();
    assert_converged(&d);
}

#[test]
fn an_overdraft_found_by_a_merge_freezes_the_passbook_until_an_adjustment_settles_it() {
    let mut d = District::new(2);
    let (_resident, passbook, scan) = d.resident(0, "王五");
    d.earn(0, &scan, 180); // 30 points
    d.send(0, 1);
    // Offline, each counter lets the resident spend 20 of the 30.
    d.redeem(0, &scan, &[("S01", 1)]).unwrap();
    d.redeem(1, &scan, &[("S01", 1)]).unwrap();
    let report = d.send(1, 0);
    assert_eq!(report.overdrafts.len(), 1, "{report:?}");
    assert_eq!(report.overdrafts[0].balance.0, -10);
    d.send(0, 1);
    for at in 0..2 {
        assert_eq!(d.balance(at, &passbook), -10);
        let error = d.redeem(at, &scan, &[("G001", 1)]).unwrap_err();
        assert!(
            matches!(&error, LedgerError::PassbookFrozen { balance, .. } if balance.0 == -10),
            "{error:?}"
        );
        assert!(error.message(pointsdesk::i18n::Lang::ZhCn).contains("冻结"));
        let status = d.ledger(at).sync_status().unwrap();
        assert_eq!(status.overdrafts.len(), 1);
        // The merge is not a fault of either database.
        let verified = d.ledger(at).verify().unwrap();
        assert!(verified.ok, "{verified:?}");
        assert_eq!(verified.overdrafts.len(), 1);
    }
    // Earning more is still possible; an administrator settles the rest.
    let admin = d.admin(0);
    d.ledger(0)
        .adjust(&admin, &passbook, 10, "两处同日兑换，居民已补交", None)
        .unwrap();
    assert_eq!(d.balance(0, &passbook), 0);
    assert!(d.ledger(0).overdrafts().unwrap().is_empty());
    d.send(0, 1);
    assert!(d.ledger(1).overdrafts().unwrap().is_empty());
    d.earn(1, &scan, 60);
    d.redeem(1, &scan, &[("G001", 1)]).unwrap();
    d.exchange_all();
    assert_converged(&d);
}

#[test]
fn a_passbook_of_another_counter_spends_at_most_the_daily_limit_here() {
    let mut d = District::new(2);
    let (_resident, _passbook, scan) = d.resident(0, "赵六");
    d.earn(0, &scan, 24 * 60); // 240 points
    d.earn(0, &scan, 6 * 60); // 300
    d.send(0, 1);
    // The default limit is 200 a day at a counter other than the passbook's home.
    for _ in 0..10 {
        d.redeem(1, &scan, &[("S01", 1)]).unwrap();
    }
    let error = d.redeem(1, &scan, &[("G001", 1)]).unwrap_err();
    assert!(
        matches!(
            &error,
            LedgerError::AwayDailyLimit {
                limit: 200,
                spent: 200,
                wanted: 5,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .message(pointsdesk::i18n::Lang::ZhCn)
            .contains("三桥爱心超市")
    );
    // At home there is no such limit; the next day the limit starts again.
    d.redeem(0, &scan, &[("S01", 1)]).unwrap();
    d.advance(chrono::Duration::days(1));
    d.redeem(1, &scan, &[("G001", 1)]).unwrap();
}

/// The frames of a bundle, read back.
fn frames(bytes: &[u8]) -> Vec<Frame> {
    let mut reader = BundleReader::new(bytes).unwrap();
    let mut out = Vec::new();
    while let Ok(Some(frame)) = reader.next_frame() {
        out.push(frame);
    }
    out
}

#[test]
fn a_series_without_a_certificate_of_this_district_is_refused_and_nothing_else() {
    let mut d = District::new(2);
    let (_r, _p, scan) = d.resident(0, "张三明");
    d.earn(0, &scan, 60);
    // A counter of another district, with entries of its own.
    let mut other = District::new(1);
    other.resident(0, "外来人");
    let foreign = other.bundle(0, &[]);
    // Its bundle as it is: refused whole, nothing changed.
    let before = digest(&d.counters[1].ledger);
    let error = pointsdesk::sync::import_bundle(d.ledger(1), "other.bundle", foreign.as_slice())
        .unwrap_err();
    assert!(
        matches!(&error, LedgerError::OtherDistrictBundle { .. }),
        "{error:?}"
    );
    assert_eq!(digest(&d.counters[1].ledger), before);
    // Its pages slipped into a bundle of this district, with and without its certificate:
    // its series is refused, A's entries in the same bundle are taken.
    let own = d.bundle(0, &[]);
    let foreign_pages: Vec<Page> = frames(&foreign)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Page(p) => Some(p),
            _ => None,
        })
        .collect();
    let foreign_certificates: Vec<Certificate> = frames(&foreign)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Certificates(c) => Some(c),
            _ => None,
        })
        .flatten()
        .collect();
    for with_certificate in [false, true] {
        let maker = pointsdesk::keys::Device::from_seed(uuid::Uuid::now_v7(), [9; 32]);
        let mut writer = BundleWriter::new(Vec::new()).unwrap();
        for frame in frames(&own) {
            match frame {
                Frame::Header(h) => writer.header(&h).unwrap(),
                Frame::Certificates(mut c) => {
                    if with_certificate {
                        c.extend(foreign_certificates.clone());
                    }
                    writer.certificates(&c).unwrap();
                }
                Frame::Keys(k) => writer.keys(&k).unwrap(),
                Frame::Page(p) => {
                    for foreign in &foreign_pages {
                        writer.page(foreign).unwrap();
                    }
                    writer.page(&p).unwrap();
                }
                Frame::End(_) => {}
            }
        }
        let mixed = writer.finish(&maker).unwrap();
        let report = d.import(1, &mixed);
        let refused: Vec<&Refusal> = report.refused.iter().map(|r| &r.refusal).collect();
        assert_eq!(refused, [&Refusal::Uncertified], "{report:?}");
        assert_eq!(report.refused[0].seq, 1);
        assert_eq!(
            report.refused_entries,
            foreign_pages
                .iter()
                .map(|p| p.entries.len() as u64)
                .sum::<u64>()
        );
        assert!(with_certificate || report.new > 0, "{report:?}");
        // The end is not the exporter's signature: said, and every entry was checked anyway.
        assert_eq!(report.end, Some(BundleEnd::BadSignature));
    }
    assert_eq!(d.ledger(1).account(&scan, 1).unwrap().balance.0, 10);
    d.assert_verifies(1);
}

#[test]
fn a_cut_bundle_imports_what_is_whole_says_what_is_missing_and_the_next_completes_it() {
    let mut d = District::new(2);
    // Enough entries for several pages (1,000 entries a page).
    let (_r, _p, scan) = d.resident(0, "张三明");
    let admin = d.admin(0);
    let rows: Vec<(usize, pointsdesk::ledger::NewResident)> = (0..2_400)
        .map(|i| {
            (
                i + 2,
                pointsdesk::ledger::NewResident {
                    name: format!("居民{i}"),
                    ..Default::default()
                },
            )
        })
        .collect();
    d.ledger(0).import_residents(&admin, &rows).unwrap();
    d.earn(0, &scan, 60);
    let bytes = d.bundle(0, &[]);
    let cut = &bytes[..bytes.len() * 6 / 10];
    let report = d.import(1, cut);
    assert_eq!(report.end, Some(BundleEnd::Truncated));
    assert!(report.new >= 1_000 && report.new < 2_000, "{report:?}");
    assert_eq!(report.missing.len(), 1, "{report:?}");
    let missing = &report.missing[0];
    assert_eq!(missing.counter, "三桥爱心超市");
    assert_eq!(missing.from, report.new as i64 + 1);
    assert!(report.refused.is_empty());
    d.assert_verifies(1);
    let second = d.import(1, &bytes);
    assert_eq!(second.end, Some(BundleEnd::Whole));
    assert_eq!(second.present, report.new);
    assert!(second.missing.is_empty());
    assert_eq!(d.ledger(1).account(&scan, 1).unwrap().balance.0, 10);
    d.exchange_all();
    assert_converged(&d);
}

/// A copy of a counter's home (a cloned PC, a backup put back by hand instead of `restore`):
/// both copies sign with the same key and, writing on, sign two entries at the same seqs.
fn clone_home(ledger: &pointsdesk::ledger::Ledger, from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to.join("keys")).unwrap();
    ledger.backup(&to.join("ledger.db")).unwrap();
    for file in ["ledger.head", "config.toml", "keys/device.key"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
}

#[test]
fn a_fork_is_refused_kept_as_evidence_reported_everywhere_and_the_rest_still_imports() {
    let mut d = District::new(3);
    let (_r, _p, scan) = d.resident(0, "张三明");
    d.earn(0, &scan, 60);
    d.send(0, 1);
    // A copy of counter C's home is made; both copies write on.
    let c_dir = d.counters[2].home.dir.clone();
    let twin_dir = d.dir.path().join("counter-2-twin");
    clone_home(&d.counters[2].ledger, &c_dir, &twin_dir);
    let (_r2, _p2, scan_c) = d.resident(2, "C 的居民");
    d.earn(2, &scan_c, 60);
    let twin_home = pointsdesk::home::Home { dir: twin_dir };
    let mut twin = twin_home.open().unwrap();
    let twin_admin = twin.login("001", district::ADMIN_PIN).unwrap();
    twin.add_resident(
        &twin_admin,
        &pointsdesk::ledger::NewResident {
            name: "另一台电脑的居民".into(),
            ..Default::default()
        },
    )
    .unwrap();
    // B takes C's entries first, then a bundle of the twin that also carries A's new entries.
    d.send(2, 1);
    d.earn(0, &scan, 30);
    let a_bundle = d.bundle_for(0, 1);
    d.import(1, &a_bundle);
    let (_, twin_bundle) =
        pointsdesk::sync::export_bundle(&mut twin, &[], "twin", Vec::new()).unwrap();
    let report = d.import(1, &twin_bundle);
    assert_eq!(report.forks.len(), 1, "{report:?}");
    let fork = &report.forks[0];
    assert_eq!(fork.counter, d.counters[2].name);
    assert!(fork.held_hash.is_some());
    assert!(report.new == 0 && report.present > 0);
    // Reported by sync status and ledger verify (the database itself is sound).
    let status = d.ledger(1).sync_status().unwrap();
    assert_eq!(status.forks.len(), 1);
    let verified = d.ledger(1).verify().unwrap();
    assert!(verified.ok, "{verified:?}");
    assert_eq!(verified.forks.len(), 1);
    // Never merged: B's view of C is C's own, and importing the twin again adds nothing.
    let again = d.import(1, &twin_bundle);
    assert!(again.forks.is_empty() && again.new == 0);
    assert_eq!(d.ledger(1).sync_status().unwrap().forks.len(), 1);
    // The rest of a bundle that carries the fork still imports: A's entries reach C through B.
    d.earn(0, &scan, 15);
    d.send(0, 1);
    let (_, mixed) = pointsdesk::sync::export_bundle(d.ledger(1), &[], "b", Vec::new()).unwrap();
    let to_twin = pointsdesk::sync::import_bundle(&mut twin, "b", mixed.as_slice()).unwrap();
    assert!(!to_twin.forks.is_empty(), "{to_twin:?}");
    assert!(to_twin.new > 0, "A's entries reach the twin: {to_twin:?}");
}

#[test]
fn a_restore_followed_by_new_entries_and_an_export_makes_no_fork() {
    let mut d = District::new(2);
    let (_r, passbook, scan) = d.resident(0, "张三明");
    d.earn(0, &scan, 120);
    let backup = d.dir.path().join("a-backup.db");
    d.ledger(0).backup(&backup).unwrap();
    // After the backup A writes on, and B receives it.
    d.redeem(0, &scan, &[("G001", 2)]).unwrap();
    let (_r2, _p2, _scan2) = d.resident(0, "备份后的居民");
    d.send(0, 1);
    // A's disk is replaced: the backup goes back, A goes on in a new series.
    let home = d.counters[0].home.dir.clone();
    let restoring = pointsdesk::home::Home { dir: home.clone() };
    let plan = restoring.plan_restore(&backup).unwrap();
    assert!(plan.new_series && plan.lacking > 0);
    let outcome = restoring.restore(plan, "001", district::ADMIN_PIN).unwrap();
    assert!(outcome.new_series.is_some());
    let clock = std::sync::Arc::clone(&d.now);
    let mut restored = pointsdesk::home::Home { dir: home }.open().unwrap();
    restored.set_clock(Box::new(move || *clock.lock().unwrap()));
    d.counters[0].ledger = restored;
    d.counters[0].admin = d.counters[0]
        .ledger
        .login("001", district::ADMIN_PIN)
        .unwrap();
    // New entries after the restore, then an export to B.
    d.earn(0, &scan, 60);
    let (_r3, p3, _scan3) = d.resident(0, "恢复后的居民");
    let to_b = d.send(0, 1);
    assert!(to_b.forks.is_empty(), "{to_b:?}");
    assert!(to_b.refused.is_empty(), "{to_b:?}");
    assert!(to_b.new >= 3, "{to_b:?}");
    // The number handed out after the restore is not one handed out before it and lost.
    assert_ne!(p3, _p2);
    // A takes back from B the entries it lost.
    let back = d.send(1, 0);
    assert!(back.forks.is_empty() && back.refused.is_empty(), "{back:?}");
    for at in 0..2 {
        // 20 earned, 10 spent before the restore (back from B), 10 earned after it.
        assert_eq!(d.balance(at, &passbook), 20, "{at}");
        d.assert_verifies(at);
    }
    assert_converged(&d);
}

#[test]
fn a_second_counter_numbering_with_the_same_code_is_refused_and_named() {
    // Two PCs set up under one name get one code from the street office's register.
    let mut d = District::new(1);
    let twin = d.add_counter(0);
    assert_eq!(
        d.counters[twin].ledger.numbering().code,
        d.counters[0].ledger.numbering().code
    );
    d.resident(twin, "张三明");
    let report = d.send(twin, 0);
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert!(
        matches!(&report.refused[0].refusal, Refusal::CodeTaken { counter } if counter == "三桥爱心超市"),
        "{report:?}"
    );
    let said = pointsdesk::present::sync::refusal_message(
        &report.refused[0],
        pointsdesk::i18n::Lang::ZhCn,
    );
    assert!(said.contains("代码"), "{said}");
    d.assert_verifies(0);
}

#[test]
fn the_counters_sync_screen_shows_every_series_the_overdraft_and_the_last_import() {
    use pointsdesk::counter::driver::Headless;
    use pointsdesk::counter::model::{Key, Screen};
    let mut d = District::new(2);
    let (_resident, passbook, scan) = d.resident(0, "王五");
    d.earn(0, &scan, 180);
    d.send(0, 1);
    d.redeem(0, &scan, &[("S01", 1)]).unwrap();
    d.redeem(1, &scan, &[("S01", 1)]).unwrap();
    d.send(1, 0);
    let mut ui = Headless::open(&d.counters[0].home, pointsdesk::i18n::Lang::ZhCn, None).unwrap();
    ui.type_text("001");
    ui.press(Key::Enter);
    ui.type_text(district::ADMIN_PIN);
    ui.press(Key::Enter);
    assert_eq!(ui.model.screen, Screen::Home);
    let home = ui.screen(120, 40);
    assert!(home.contains("同步发现透支存折 1 本、分叉 0 处"), "{home}");
    ui.press(Key::F(9));
    assert_eq!(ui.model.screen, Screen::Sync);
    let screen = ui.screen(120, 40);
    for expected in [
        "所属街道：桥西街道",
        "服务点代码 A",
        "三桥爱心超市（本机）",
        "三桥活动点",
        "最近导入：",
        passbook.as_str(),
        "王*",
        "-10 分",
        "没有分叉",
    ] {
        assert!(screen.contains(expected), "{expected} not in\n{screen}");
    }
    // The lock leaves no resident of the list on screen; the title bar keeps the sync time.
    ui.press(Key::Esc);
    ui.press(Key::F(10));
    assert_eq!(ui.model.screen, Screen::Login);
    assert!(ui.model.sync.is_none());
    assert!(!ui.screen(120, 40).contains(&passbook));
}
