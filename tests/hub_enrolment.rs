//! Enrolment tried as an attacker would: a grant registers one counter's key, once, before it
//! expires (through a real `hub serve` on loopback, SQLite and PostgreSQL); a revoked counter
//! signs nothing; the hub knows a counter by community and code, not by name; a series'
//! certificate comes only from its own counter; a resident's key only opens what it should;
//! `hub rekey` keeps a leaked enrolment file from opening new residents' data; a revoked
//! counter's entries and the series its key endorses are refused whoever relays them; a
//! certificate the hub refuses leaves the counter not enrolled.

mod hub;
mod support;

use hub::{ADMIN_PIN, Counter, StoreKind, TestHub, hub_heads};
use pointsdesk::district::protocol::Refusal;
use pointsdesk::district::trust::{CertificateBody, TRUST_VERSION};
use pointsdesk::district::{EnrolmentFile, SealedResidentKey};
use pointsdesk::home::Home;
use pointsdesk::hub::store::Store;
use pointsdesk::keys::Device;
use pointsdesk::ledger::NewResident;
use pointsdesk::ledger::district::ExportPart;
use pointsdesk::sync::bundle::BundleWriter;
use pointsdesk::sync::client::{ClientError, HubClient};
use pointsdesk::sync::nightly::{self, SyncError};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::Desk;

/// `hub serve` at `office` on a free loopback port.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(office: &Desk, store: &[&str]) -> Served {
    let mut command = Command::new(support::bin());
    command
        .args(["--home", office.home.to_str().unwrap(), "hub", "serve"])
        .args(["--listen", "127.0.0.1:0"])
        .args(store)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = line_tx.send(line);
    });
    let line = line_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("hub serve says where it listens");
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    Served {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// A device of its own and the certificate `file`'s grant makes for it.
fn certified_device(
    file: &EnrolmentFile,
    community: &str,
) -> (Device, pointsdesk::district::Certificate) {
    let (_, grant) = file.open().unwrap();
    let device = Device::generate().unwrap();
    let body = CertificateBody {
        v: TRUST_VERSION,
        series_id: device.series_id.to_string(),
        public_key: hex::encode(device.public_key().to_bytes()),
        community: community.into(),
        prefix: "SQ".into(),
        code: grant.code.clone(),
        counter: grant.counter.clone(),
        origin: Some(device.series_id.to_string()),
    };
    (device, file.certify(&body).unwrap())
}

fn refusal_of(result: Result<impl std::fmt::Debug, ClientError>) -> Refusal {
    match result {
        Err(ClientError::Refused(body)) => body.refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn enrolment_file(office: &Desk, store: &[&str], counter: &str, community: &str) -> EnrolmentFile {
    let out = office.path(&format!("{counter}.enrol"));
    let mut args = vec![
        "hub",
        "enroll",
        "--counter",
        counter,
        "--community",
        community,
        "--out",
        out.to_str().unwrap(),
        "--valid-days",
        "1",
    ];
    args.extend_from_slice(store);
    office.ok(&args);
    EnrolmentFile::parse(&std::fs::read(&out).unwrap()).unwrap()
}

/// Moves a grant's end into the past, as if the hub's clock had moved 400 days on.
fn expire(kind: StoreKind, office: &Desk, store_url: Option<&str>, grant_id: &str) {
    let sql = "UPDATE enrolments SET expires_at = '2000-01-01T00:00:00.000Z' WHERE grant_id = ";
    match (kind, store_url) {
        (StoreKind::Sqlite, _) => {
            let conn = rusqlite::Connection::open(office.home.join("hub.db")).unwrap();
            assert_eq!(conn.execute(&format!("{sql}?1"), [grant_id]).unwrap(), 1);
        }
        (StoreKind::Postgres, Some(url)) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(connection);
                let n = client
                    .execute(&format!("{sql}$1"), &[&grant_id])
                    .await
                    .unwrap();
                assert_eq!(n, 1);
            });
        }
        (StoreKind::Postgres, None) => unreachable!(),
    }
}

fn counter_row(office: &Desk, store: &[&str], code: &str) -> serde_json::Value {
    let mut args = vec!["--json", "hub", "counters"];
    args.extend_from_slice(store);
    let out = office.run(&args);
    let rows = out.json();
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("no counter {code} in {rows}"))
}

fn a_grant_registers_one_key_once_before_it_expires_and_a_revoked_counter_signs_nothing(
    kind: StoreKind,
) {
    let office = Desk::new();
    office.ok(&["hub", "init", "--district", hub::DISTRICT]);
    let store_url = (kind == StoreKind::Postgres).then(|| hub::pg().database());
    let store: Vec<&str> = match &store_url {
        Some(url) => vec!["--store", url.as_str()],
        None => vec![],
    };
    let served = serve(&office, &store);
    let client = HubClient::new(&served.url, None).unwrap();

    let file = enrolment_file(&office, &store, "爱心超市", "三桥社区");
    let (_, grant) = file.open().unwrap();
    let (first, first_certificate) = certified_device(&file, "三桥社区");
    client.register_certificate(&first_certificate).unwrap();
    // The same certificate again (an answer lost on the way) is no second use.
    client.register_certificate(&first_certificate).unwrap();
    for _ in 0..2 {
        let (_, other) = certified_device(&file, "三桥社区");
        assert_eq!(
            refusal_of(client.register_certificate(&other)),
            Refusal::GrantUsed
        );
    }
    client.heads(&first).unwrap();

    let late = enrolment_file(&office, &store, "二桥爱心超市", "二桥社区");
    let (_, late_grant) = late.open().unwrap();
    expire(kind, &office, store_url.as_deref(), &late_grant.grant_id);
    let (late_device, late_certificate) = certified_device(&late, "二桥社区");
    assert_eq!(
        refusal_of(client.register_certificate(&late_certificate)),
        Refusal::GrantExpired
    );
    assert_eq!(
        refusal_of(client.heads(&late_device)),
        Refusal::UnknownDevice
    );

    let row = counter_row(&office, &store, &grant.code);
    assert_eq!(row["community"], "三桥社区");
    assert_eq!(row["enrolment_refusals"], 2, "{row}");
    assert_eq!(row["last_enrolment_refusal"][0], "grant_used", "{row}");
    let late_row = counter_row(&office, &store, &late_grant.code);
    assert_eq!(late_row["last_enrolment_refusal"][0], "grant_expired");

    let mut revoke = vec!["hub", "counters", "revoke", grant.code.as_str()];
    revoke.extend_from_slice(&store);
    office.ok(&revoke);
    assert_ne!(
        client
            .heads(&first)
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
        Ok(())
    );
    assert_eq!(refusal_of(client.heads(&first)), Refusal::UnknownDevice);
    assert_eq!(counter_row(&office, &store, &grant.code)["revoked"], true);
}

#[test]
fn a_grant_registers_one_key_once_before_it_expires_through_hub_serve_on_sqlite() {
    a_grant_registers_one_key_once_before_it_expires_and_a_revoked_counter_signs_nothing(
        StoreKind::Sqlite,
    );
}

#[cfg(feature = "system-tests")]
#[test]
fn a_grant_registers_one_key_once_before_it_expires_through_hub_serve_on_postgres() {
    a_grant_registers_one_key_once_before_it_expires_and_a_revoked_counter_signs_nothing(
        StoreKind::Postgres,
    );
}

#[test]
fn two_communities_with_one_counter_name_are_two_counters_and_the_name_alone_is_ambiguous() {
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut h = hub.hub();
    let now = chrono::Utc::now();
    let one = h
        .enroll_in(Some("三桥社区"), "爱心超市", None, 14, now)
        .unwrap();
    let two = h
        .enroll_in(Some("二桥社区"), "爱心超市", None, 14, now)
        .unwrap();
    assert_ne!(one.code, two.code);
    let again = h
        .enroll_in(Some("二桥社区"), "爱心超市", None, 14, now)
        .unwrap();
    assert_eq!(again.code, two.code);
    let ambiguous = h.enroll("爱心超市", None, 14, now).unwrap_err();
    let message = ambiguous.message(pointsdesk::i18n::Lang::ZhCn);
    assert!(
        message.contains("三桥社区")
            && message.contains("二桥社区")
            && message.contains("--community"),
        "{message}"
    );
    // The file names the community: the other community's counter of that name refuses it.
    let (_, grant) = two.file.open().unwrap();
    assert_eq!(grant.community.as_deref(), Some("二桥社区"));
}

#[test]
fn a_second_pc_for_a_taken_code_is_refused_at_enrolment_and_refusals_are_counted() {
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut first = Counter::enrolled(&hub, 0);
    first.resident("张三");
    first.sync(&hub);
    // A second PC set up with the same name in the same community.
    let (community, _, name) = hub::setup(0);
    let file = hub
        .hub()
        .enroll(&name, None, 14, chrono::Utc::now())
        .unwrap();
    let (_, certificate) = certified_device(&file.file, &community);
    let refused = hub
        .service
        .register_certificate(&certificate, chrono::Utc::now());
    assert_eq!(hub.hub().block_on(refused), Err(Refusal::CodeInUse));
    let body = Refusal::CodeInUse.body(None);
    assert!(body.message_zh.contains("revoke"), "{}", body.message_zh);
    let row = hub
        .hub()
        .counters()
        .unwrap()
        .into_iter()
        .find(|c| c.code == file.code)
        .unwrap();
    assert_eq!(row.enrolment_refusals, 1);
    assert_eq!(row.community, community);
}

#[test]
fn a_certificate_for_a_series_the_hub_holds_must_carry_that_series_key() {
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut victim = Counter::enrolled(&hub, 0);
    victim.resident("张三");
    victim.sync(&hub);
    let series = victim.ledger.device().series_id;
    // As when the series reached the hub relayed by another counter, before its certificate.
    let conn = rusqlite::Connection::open(hub.home.dir.join("hub.db")).unwrap();
    conn.execute("DELETE FROM certificates", []).unwrap();
    drop(conn);
    // Anyone with a valid, unused grant for that very counter, but another key.
    let (community, _, name) = hub::setup(0);
    let file = hub
        .hub()
        .enroll(&name, None, 14, chrono::Utc::now())
        .unwrap();
    let attacker = Device::from_seed(series, [7; 32]);
    let (_, grant) = file.file.open().unwrap();
    let body = CertificateBody {
        v: TRUST_VERSION,
        series_id: series.to_string(),
        public_key: hex::encode(attacker.public_key().to_bytes()),
        community,
        prefix: "SQ".into(),
        code: grant.code,
        counter: name,
        origin: Some(series.to_string()),
    };
    let certificate = file.file.certify(&body).unwrap();
    assert_eq!(
        refusal_of(hub.client().register_certificate(&certificate)),
        Refusal::NotOwnSeries
    );
    assert_eq!(
        refusal_of(hub.client().heads(&attacker)),
        Refusal::BadSignature
    );
    // The real counter goes on syncing.
    victim.resident("李四");
    victim.sync(&hub);
}

#[test]
fn a_garbage_resident_key_pushed_by_another_counter_is_not_kept_and_the_name_stays_readable() {
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut home = Counter::enrolled(&hub, 0);
    let mut other = Counter::enrolled(&hub, 1);
    // The other counter pushes a key for the home's next resident, before the home has them.
    let key = &hub.service.key;
    let garbage = SealedResidentKey::seal(
        &key.data_key,
        &key.district_id.to_string(),
        "SQ-RA00001",
        &[7; 32],
        [1; 12],
    );
    let mut parts = Vec::new();
    other
        .ledger
        .export(&[], "push", &mut |part| {
            parts.push(part);
            Ok(())
        })
        .unwrap();
    let mut writer = BundleWriter::new(Vec::new()).unwrap();
    let mut keys = vec![garbage];
    for part in &parts {
        match part {
            ExportPart::Header(h) => writer.header(h).unwrap(),
            ExportPart::Certificates(c) => writer.certificates(c).unwrap(),
            ExportPart::Keys(k) => keys.extend(k.iter().cloned()),
            ExportPart::Page(_) => {}
        }
    }
    writer.keys(&keys).unwrap();
    for part in &parts {
        if let ExportPart::Page(p) = part {
            writer.page(p).unwrap();
        }
    }
    let bytes = writer.finish(other.ledger.device()).unwrap();
    hub.client().push(other.ledger.device(), &bytes).unwrap();

    let resident = home
        .ledger
        .add_resident(
            &home.admin,
            &NewResident {
                name: "张三".into(),
                ..NewResident::default()
            },
        )
        .unwrap()
        .resident;
    assert_eq!(
        resident, "SQ-RA00001",
        "the garbage key was pushed for this number"
    );
    home.sync(&hub);
    other.sync(&hub);
    assert_eq!(other.ledger.resident(&resident, true).unwrap().name, "张三");
    let held = hub
        .hub()
        .block_on(
            hub.service
                .store
                .resident_keys(std::slice::from_ref(&resident)),
        )
        .unwrap();
    let opened = key.open_resident_key(&held[0], &key.district_id.to_string());
    assert_ne!(opened, Some([7; 32]));
}

fn add_resident(counter: &mut Counter, name: &str) -> String {
    counter
        .ledger
        .add_resident(
            &counter.admin,
            &NewResident {
                name: name.into(),
                ..NewResident::default()
            },
        )
        .unwrap()
        .resident
}

fn district_data_key(counter: &Counter) -> [u8; 32] {
    counter
        .ledger
        .connection()
        .query_row("SELECT data_key FROM district", [], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .unwrap()
        .try_into()
        .unwrap()
}

fn a_rekey_keeps_a_leaked_enrolment_file_from_opening_residents_registered_after_it(
    kind: StoreKind,
) {
    let hub = TestHub::start(kind);
    let mut a = Counter::enrolled(&hub, 0);
    let mut b = Counter::enrolled(&hub, 1);
    let mut lost = Counter::enrolled(&hub, 2);
    let before = add_resident(&mut a, "张三");
    for counter in [&mut a, &mut b, &mut lost] {
        counter.sync(&hub);
    }
    // An enrolment file made before the rekey leaked: it holds the district's data key.
    let (_, _, unused) = hub::setup(3);
    let leaked = hub
        .hub()
        .enroll(&unused, None, 14, chrono::Utc::now())
        .unwrap()
        .file;
    let old_key = leaked.data_key().unwrap();
    let district_id = hub.service.key.district_id.to_string();
    let lost_code = lost.ledger.district().unwrap().unwrap().code.unwrap();
    hub.hub().revoke(&lost_code, chrono::Utc::now()).unwrap();
    hub.home.rekey().unwrap();
    // hub serve restarted on the same home and store.
    let hub = hub.another();
    assert_ne!(hub.service.key.data_key, old_key);

    a.sync(&hub);
    b.sync(&hub);
    let after = add_resident(&mut a, "李四");
    a.sync(&hub);
    b.sync(&hub);
    for counter in [&a, &b] {
        assert_eq!(counter.ledger.resident(&after, true).unwrap().name, "李四");
        assert_eq!(counter.ledger.resident(&before, true).unwrap().name, "张三");
    }
    let held = hub
        .hub()
        .block_on(
            hub.service
                .store
                .resident_keys(&[before.clone(), after.clone()]),
        )
        .unwrap();
    let held_after = held.iter().find(|k| k.resident == after).unwrap();
    assert_eq!(
        held_after.open(&old_key, &district_id),
        None,
        "the old data key opens a resident key registered after the rekey"
    );
    assert!(
        hub.service
            .key
            .open_resident_key(held_after, &district_id)
            .is_some()
    );
    // A counter enrolled after the rekey reads residents from before it and after it.
    let mut c = Counter::enrolled(&hub, 4);
    c.sync(&hub);
    assert_eq!(c.ledger.resident(&before, true).unwrap().name, "张三");
    assert_eq!(c.ledger.resident(&after, true).unwrap().name, "李四");
    // The revoked counter never learns the new key.
    assert!(lost.sync_with(&hub.url).is_err());
    assert_eq!(district_data_key(&lost), old_key);
    assert_eq!(district_data_key(&a), hub.service.key.data_key);
}

#[test]
fn a_rekey_keeps_a_leaked_enrolment_file_from_opening_new_residents_on_sqlite() {
    a_rekey_keeps_a_leaked_enrolment_file_from_opening_residents_registered_after_it(
        StoreKind::Sqlite,
    );
}

#[cfg(feature = "system-tests")]
#[test]
fn a_rekey_keeps_a_leaked_enrolment_file_from_opening_new_residents_on_postgres() {
    a_rekey_keeps_a_leaked_enrolment_file_from_opening_residents_registered_after_it(
        StoreKind::Postgres,
    );
}

/// Moves every entry `from` holds beyond what `to` holds into `to`, as a bundle on a stick.
fn carry(from: &mut Counter, to: &mut Counter) {
    let since = to.ledger.heads().unwrap();
    let (_, bundle) =
        pointsdesk::sync::export_bundle(&mut from.ledger, &since, "stick", Vec::new()).unwrap();
    pointsdesk::sync::import_bundle(&mut to.ledger, "stick", bundle.as_slice()).unwrap();
}

fn revoked_refusals(summary: &pointsdesk::sync::nightly::Summary, series: uuid::Uuid) -> bool {
    summary
        .push_refusals
        .iter()
        .any(|r| r.series_id == series && r.reason == "revoked")
}

#[test]
fn a_revoked_counters_entries_and_the_series_its_key_endorses_are_refused_whoever_relays_them() {
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut lost = Counter::enrolled(&hub, 0);
    let mut other = Counter::enrolled(&hub, 1);
    add_resident(&mut lost, "张三");
    lost.sync(&hub);
    other.sync(&hub);
    let series = lost.ledger.device().series_id;
    let held = hub_heads(&hub)
        .into_iter()
        .find(|h| h.series_id == series)
        .unwrap();
    let backup = lost.dir.path().join("before.db");
    lost.ledger.backup(&backup).unwrap();
    // The PC is stolen; the street office revokes it. The thief books on and hands the
    // entries to another counter on a stick.
    add_resident(&mut lost, "李四");
    let code = lost.ledger.district().unwrap().unwrap().code.unwrap();
    hub.hub().revoke(&code, chrono::Utc::now()).unwrap();
    carry(&mut lost, &mut other);
    let summary = other.sync(&hub);
    assert!(revoked_refusals(&summary, series), "{summary:?}");

    // The thief restores a backup: a new series, endorsed by the revoked key.
    let restoring = Home {
        dir: lost.home.dir.clone(),
    };
    let plan = restoring.plan_restore(&backup).unwrap();
    assert!(plan.new_series);
    restoring.restore(plan, "001", ADMIN_PIN).unwrap();
    lost.ledger = restoring.open().unwrap();
    lost.admin = lost.ledger.login("001", ADMIN_PIN).unwrap();
    let thief = lost.ledger.device().series_id;
    add_resident(&mut lost, "王五");
    assert!(lost.sync_with(&hub.url).is_err());
    carry(&mut lost, &mut other);
    let summary = other.sync(&hub);
    assert!(revoked_refusals(&summary, thief), "{summary:?}");

    // What the hub held before the revocation stays; nothing after it came in.
    let heads = hub_heads(&hub);
    assert_eq!(
        heads.iter().find(|h| h.series_id == series),
        Some(&held),
        "{heads:?}"
    );
    assert!(!heads.iter().any(|h| h.series_id == thief), "{heads:?}");
    assert_eq!(
        refusal_of(hub.client().heads(lost.ledger.device())),
        Refusal::UnknownDevice
    );
    // Counted and shown: the relaying counter's refusals, and the evidence with its reason.
    let report = hub.hub().report().unwrap();
    let relay = report
        .counters
        .iter()
        .find(|c| c.counter == other.name)
        .unwrap();
    assert!(relay.refused >= 2, "{relay:?}");
    assert!(
        report
            .evidence
            .iter()
            .any(|e| e.reason == "revoked" && e.series_id == thief),
        "{:?}",
        report.evidence
    );
    let text = Command::new(support::bin())
        .args(["--lang", "zh-CN", "--home", hub::path_str(&hub.home.dir)])
        .args(["hub", "report"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    let refused = format!("上传的记录被拒收 {} 条", relay.refused);
    assert!(
        text.lines()
            .any(|l| l.contains(&other.name) && l.contains(&refused)),
        "{text}"
    );
    assert!(text.contains("已停用"), "{text}");
    assert!(!text.contains("没有分叉或被拒收的记录"), "{text}");
}

#[test]
fn a_certificate_the_hub_refuses_leaves_the_counter_not_enrolled_and_a_retry_works() {
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut first = Counter::enrolled(&hub, 0);
    add_resident(&mut first, "张三");
    first.sync(&hub);
    // A second PC set up with the same name in the same community: the hub refuses it.
    let mut second = Counter::unenrolled(0);
    let code = hub.code(&second.name);
    let refused = nightly::enroll(
        &mut second.ledger,
        &second.admin,
        &hub.client(),
        &code,
        None,
    );
    assert!(
        matches!(&refused, Err(SyncError::Client(ClientError::Refused(body))) if body.refusal == Refusal::CodeInUse),
        "{refused:?}"
    );
    assert!(second.ledger.district().unwrap().is_none());
    assert!(second.ledger.own_certificate().unwrap().is_none());
    assert!(second.ledger.hub_address().unwrap().is_none());
    // The first PC was lost after all: once it is revoked, a new code enrols the second.
    let taken = first.ledger.district().unwrap().unwrap().code.unwrap();
    hub.hub().revoke(&taken, chrono::Utc::now()).unwrap();
    let code = hub.code(&second.name);
    nightly::enroll(
        &mut second.ledger,
        &second.admin,
        &hub.client(),
        &code,
        None,
    )
    .unwrap();
    assert!(second.ledger.district().unwrap().is_some());
    add_resident(&mut second, "李四");
    second.sync(&hub);
}
