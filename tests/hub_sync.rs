//! The nightly sync through a real hub on a loopback port, one story run on both stores
//! (SQLite, and PostgreSQL in a throwaway cluster): enrolment by one-time code, points that
//! move between counters through the hub, overdrafts the district sees, forks and tampered
//! entries kept as evidence, and every kind of bad request refused with its reason in the
//! metrics, nothing written.

mod hub;

use hub::{Counter, StoreKind, TestHub, copy_dir, hub_heads};
use pointsdesk::district::auth;
use pointsdesk::district::protocol::{
    HEADER_NONCE, HEADER_PROTOCOL, HEADER_SERIES, HEADER_SIGNATURE, HEADER_TIME, PROTOCOL_VERSION,
    Refusal, RefusalBody, Taken,
};
use pointsdesk::keys::Device;
use pointsdesk::sync::client::ClientError;

/// A raw signed request, as a counter's client makes it, with what a test wants to change.
struct Raw<'a> {
    device: &'a Device,
    method: &'a str,
    path: &'a str,
    body: Vec<u8>,
    time_ms: i64,
    nonce: String,
    protocol: u32,
    tamper_signature: bool,
}

impl<'a> Raw<'a> {
    fn new(device: &'a Device, method: &'a str, path: &'a str) -> Raw<'a> {
        Raw {
            device,
            method,
            path,
            body: Vec::new(),
            time_ms: chrono::Utc::now().timestamp_millis(),
            nonce: hex::encode(rand_bytes()),
            protocol: PROTOCOL_VERSION,
            tamper_signature: false,
        }
    }

    /// Sends it; the status and the body.
    fn send(&self, url: &str) -> (u16, Vec<u8>) {
        let text = auth::canonical(
            self.method,
            self.path,
            &self.body,
            self.time_ms,
            &self.nonce,
        );
        let mut signature = self.device.sign_bytes(&text).to_bytes();
        if self.tamper_signature {
            signature[10] ^= 1;
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let full = format!("{url}{}", self.path);
        let request = |r: ureq::RequestBuilder<ureq::typestate::WithoutBody>| {
            r.header(HEADER_PROTOCOL, self.protocol.to_string())
                .header(HEADER_SERIES, self.device.series_id.to_string())
                .header(HEADER_TIME, self.time_ms.to_string())
                .header(HEADER_NONCE, &self.nonce)
                .header(HEADER_SIGNATURE, hex::encode(signature))
        };
        let mut response = if self.method == "GET" {
            request(agent.get(&full)).call().unwrap()
        } else {
            let r = agent
                .post(&full)
                .header(HEADER_PROTOCOL, self.protocol.to_string())
                .header(HEADER_SERIES, self.device.series_id.to_string())
                .header(HEADER_TIME, self.time_ms.to_string())
                .header(HEADER_NONCE, &self.nonce)
                .header(HEADER_SIGNATURE, hex::encode(signature));
            r.send(&self.body[..]).unwrap()
        };
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_vec().unwrap())
    }
}

fn rand_bytes() -> [u8; 16] {
    pointsdesk::keys::random_bytes::<16>().unwrap()
}

fn refusal(body: &[u8]) -> RefusalBody {
    serde_json::from_slice(body).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(body)))
}

fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(url).call().unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

fn story(kind: StoreKind) {
    let hub = TestHub::start(kind);
    let mut a = Counter::enrolled(&hub, 0);
    let mut b = Counter::enrolled(&hub, 1);

    // Points earned at A are spendable at B after both synced, and the balance agrees.
    let (passbook, scan) = a.resident("张三明");
    a.earn(&scan, 180);
    let first = a.sync(&hub);
    assert!(
        first.pushed_new >= 6 && first.push_refusals.is_empty(),
        "{first:?}"
    );
    assert!(first.backup.as_ref().unwrap().exists());
    let pulled = b.sync(&hub);
    assert!(pulled.pulled_new >= 6, "{pulled:?}");
    assert_eq!(b.balance(&passbook), 30);
    b.redeem(&scan, "S01").unwrap();
    b.sync(&hub);
    a.sync(&hub);
    assert_eq!(a.balance(&passbook), 10);
    // Once more changes nothing: the same entries are present on every side.
    let again = a.sync(&hub);
    assert_eq!((again.pushed_new, again.pulled_new), (0, 0), "{again:?}");
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.heads(), hub_heads(&hub));
    a.assert_verifies();
    b.assert_verifies();

    // Spent at both counters offline: an overdraft, seen everywhere after the sync.
    let (owed, owed_scan) = a.resident("王五");
    a.earn(&owed_scan, 180);
    a.sync(&hub);
    b.sync(&hub);
    a.redeem(&owed_scan, "S01").unwrap();
    b.redeem(&owed_scan, "S01").unwrap();
    a.sync(&hub);
    let found = b.sync(&hub);
    assert_eq!(found.overdrafts.len(), 1, "{found:?}");
    assert_eq!(found.overdrafts[0].passbook, owed);
    assert!(found.warnings());
    let seen = a.sync(&hub);
    assert_eq!(seen.overdrafts.len(), 1);
    let report = hub.hub().report().unwrap();
    assert_eq!(report.overdrafts.len(), 1, "{report:?}");
    assert_eq!(report.overdrafts[0].points, -10);
    assert_eq!(report.overdrafts[0].resident_name, "王*");
    assert_eq!(report.counters.len(), 2);

    // Enrolment codes: once, for their counter, before they expire.
    let code = hub.code("二桥活动点");
    let client = hub.client();
    let request = |code: &str, counter: &str| pointsdesk::district::protocol::EnrollRequest {
        code: code.into(),
        counter: Some(counter.into()),
    };
    assert!(matches!(
        client.enroll(&request(&code, "三桥爱心超市")),
        Err(ClientError::Refused(RefusalBody {
            refusal: Refusal::OtherCounter,
            ..
        }))
    ));
    assert!(client.enroll(&request(&code, "二桥活动点")).is_ok());
    assert!(matches!(
        client.enroll(&request(&code, "二桥活动点")),
        Err(ClientError::Refused(RefusalBody {
            refusal: Refusal::UsedCode,
            ..
        }))
    ));
    assert!(matches!(
        client.enroll(&request("ABCD-EFGH-JKMN", "二桥活动点")),
        Err(ClientError::Refused(RefusalBody {
            refusal: Refusal::BadCode,
            ..
        }))
    ));
    let stale = hub
        .hub()
        .enrol_code(
            "北街爱心超市",
            None,
            1,
            chrono::Utc::now() - chrono::Duration::hours(2),
        )
        .unwrap()
        .one_time_code;
    assert!(matches!(
        client.enroll(&request(&stale, "北街爱心超市")),
        Err(ClientError::Refused(RefusalBody {
            refusal: Refusal::ExpiredCode,
            ..
        }))
    ));

    // Bad requests: refused with the reason, counted, nothing written.
    let entries_before = hub_heads(&hub);
    let device = a.ledger.device().clone();
    let stranger = Device::from_seed(uuid::Uuid::now_v7(), [9; 32]);
    let (status, body) = Raw::new(&stranger, "GET", "/v1/heads").send(&hub.url);
    assert_eq!(
        (status, refusal(&body).refusal),
        (401, Refusal::UnknownDevice)
    );
    let mut tampered = Raw::new(&device, "GET", "/v1/heads");
    tampered.tamper_signature = true;
    let (status, body) = tampered.send(&hub.url);
    assert_eq!(
        (status, refusal(&body).refusal),
        (401, Refusal::BadSignature)
    );
    let once = Raw::new(&device, "GET", "/v1/heads");
    assert_eq!(once.send(&hub.url).0, 200);
    let (status, body) = once.send(&hub.url);
    assert_eq!((status, refusal(&body).refusal), (401, Refusal::Replayed));
    let mut late = Raw::new(&device, "GET", "/v1/heads");
    late.time_ms -= 10 * 60_000;
    let (status, body) = late.send(&hub.url);
    let clock = refusal(&body);
    assert_eq!((status, &clock.refusal), (401, &Refusal::Clock));
    assert!(clock.clock_offset_ms.unwrap() >= 10 * 60_000);
    assert!(
        clock.message_zh.contains("慢了约 10 分钟"),
        "{}",
        clock.message_zh
    );
    // A counter one protocol version older is told to update.
    let mut old = Raw::new(&device, "GET", "/v1/heads");
    old.protocol = pointsdesk::district::protocol::PROTOCOL_VERSION_MIN - 1;
    let (status, body) = old.send(&hub.url);
    let update = refusal(&body);
    assert_eq!((status, &update.refusal), (426, &Refusal::Protocol));
    assert!(
        update.message_zh.contains("请更新 pointsdesk"),
        "{}",
        update.message_zh
    );
    // A replayed push changes nothing either.
    let (_, page) =
        pointsdesk::sync::export_bundle(&mut a.ledger, &[], "replay", Vec::new()).unwrap();
    let mut push = Raw::new(&device, "POST", "/v1/push");
    push.body = page;
    let (status, _) = push.send(&hub.url);
    assert!(status == 200 || status == 413, "{status}");
    let (status, body) = push.send(&hub.url);
    assert_eq!((status, refusal(&body).refusal), (401, Refusal::Replayed));
    assert_eq!(hub_heads(&hub), entries_before);
    let (_, metrics) = get(&format!("{}/metrics", hub.url));
    for reason in [
        "unknown_device",
        "bad_signature",
        "replayed",
        "clock",
        "protocol",
        "used_code",
        "bad_code",
        "expired_code",
    ] {
        assert!(
            metrics.contains(&format!(
                "pointsdesk_hub_refusals_total{{reason=\"{reason}\"}}"
            )),
            "{reason} not counted:\n{metrics}"
        );
    }
    assert!(metrics.contains("pointsdesk_hub_entries_ingested_total"));
    assert!(metrics.contains("pointsdesk_hub_request_seconds_bucket{route=\"push\""));

    // A tampered entry refuses itself and the rest of its series, and is kept as evidence;
    // another series in the same push is taken. B's new entries reach A by a bundle file, so
    // A holds two series the hub lacks.
    b.earn(&scan, 60);
    let (_, from_b) =
        pointsdesk::sync::export_bundle(&mut b.ledger, &hub_heads(&hub), "b", Vec::new()).unwrap();
    pointsdesk::sync::import_bundle(&mut a.ledger, "b", from_b.as_slice()).unwrap();
    a.earn(&scan, 60);
    a.earn(&scan, 30);
    let own = device.series_id;
    let bundle = bundle_with(&mut a.ledger, &hub_heads(&hub), |page| {
        if page.series_id == own
            && let Some(first) = page.entries.first_mut()
        {
            first.signature[3] ^= 1;
        }
    });
    let response = hub.client().push(&device, &bundle).unwrap();
    let refused: Vec<_> = response
        .outcomes
        .iter()
        .filter(|o| o.taken == Taken::Refused)
        .collect();
    assert_eq!(refused.len(), 2, "{response:?}");
    assert_eq!(refused[0].reason.as_deref(), Some("bad_signature"));
    assert_eq!(refused[1].reason.as_deref(), Some("after_refused"));
    assert!(refused.iter().all(|o| o.series_id == own));
    assert!(
        response.count(Taken::New) >= 1,
        "B's entry is taken: {response:?}"
    );
    let report = hub.hub().report().unwrap();
    assert!(
        report.evidence.iter().any(|e| e.reason == "bad_signature"),
        "{:?}",
        report.evidence
    );
    // It names where it came from by the pushing counter's name and code, not an id's start.
    assert!(
        report
            .evidence
            .iter()
            .all(|e| e.source == format!("{} A", a.name)),
        "{:?}",
        report.evidence
    );
    // The counter's own next sync sends its real entries.
    let healed = a.sync(&hub);
    assert!(healed.push_refusals.is_empty(), "{healed:?}");
    b.sync(&hub);
    assert_eq!(a.heads(), b.heads());

    // A fork: the same counter copied onto a second PC, both writing.
    let copy = tempfile::TempDir::new().unwrap();
    copy_dir(&a.home.dir, &copy.path().join("home"));
    let twin_ledger = pointsdesk::home::Home {
        dir: copy.path().join("home"),
    }
    .open()
    .unwrap();
    let mut twin_ledger = twin_ledger;
    let twin_admin = twin_ledger.login("001", hub::ADMIN_PIN).unwrap();
    let mut twin = Counter {
        home: pointsdesk::home::Home {
            dir: copy.path().join("home"),
        },
        ledger: twin_ledger,
        admin: twin_admin,
        name: "twin".into(),
        dir: copy,
    };
    a.earn(&scan, 30);
    twin.earn(&scan, 45);
    a.sync(&hub);
    let forked = twin.sync(&hub);
    assert!(
        forked.push_refusals.iter().any(|r| r.reason == "fork"),
        "{forked:?}"
    );
    let report = hub.hub().report().unwrap();
    assert!(
        report.evidence.iter().any(|e| e.reason == "fork"),
        "{:?}",
        report.evidence
    );
    let row = report
        .counters
        .iter()
        .find(|c| c.counter == a.name)
        .unwrap();
    assert!(row.forks >= 1, "{row:?}");
    // A, B and the hub still agree; the fork was never merged.
    b.sync(&hub);
    a.sync(&hub);
    assert_eq!(a.heads(), hub_heads(&hub));
    assert_eq!(b.heads(), hub_heads(&hub));
    a.assert_verifies();
    b.assert_verifies();

    // The endpoints for people and machines.
    assert_eq!(get(&format!("{}/healthz", hub.url)).0, 200);
    let (status, openapi) = get(&format!("{}/v1/openapi.json", hub.url));
    assert_eq!(status, 200);
    let openapi: serde_json::Value = serde_json::from_str(&openapi).unwrap();
    for route in pointsdesk::hub::openapi::ROUTES {
        assert!(
            openapi["paths"][route.path][route.method].is_object(),
            "{}",
            route.path
        );
        if route.path != "/healthz" && route.path != "/metrics" {
            // Every described route is served (not 404).
            let (status, _) = if route.method == "get" {
                get(&format!("{}{}", hub.url, route.path))
            } else {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut r = agent
                    .post(format!("{}{}", hub.url, route.path))
                    .send(&b"{}"[..])
                    .unwrap();
                (
                    r.status().as_u16(),
                    r.body_mut().read_to_string().unwrap_or_default(),
                )
            };
            assert_ne!(status, 404, "{}", route.path);
        }
    }
}

/// A bundle of what `ledger` holds beyond `since`, each page passed through `change` before it
/// is written: entries that no longer hold, in frames that do.
fn bundle_with(
    ledger: &mut pointsdesk::ledger::Ledger,
    since: &[pointsdesk::district::Head],
    mut change: impl FnMut(&mut pointsdesk::district::Page),
) -> Vec<u8> {
    use pointsdesk::ledger::district::ExportPart;
    let mut parts = Vec::new();
    ledger
        .export(since, "tampered", &mut |part| {
            parts.push(part);
            Ok(())
        })
        .unwrap();
    let mut writer = pointsdesk::sync::bundle::BundleWriter::new(Vec::new()).unwrap();
    for part in parts {
        match part {
            ExportPart::Header(h) => writer.header(&h),
            ExportPart::Certificates(c) => writer.certificates(&c),
            ExportPart::Keys(k) => writer.keys(&k),
            ExportPart::Page(mut page) => {
                change(&mut page);
                writer.page(&page)
            }
        }
        .unwrap();
    }
    writer.finish(ledger.device()).unwrap()
}

#[test]
fn the_nightly_sync_story_on_sqlite() {
    story(StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn the_nightly_sync_story_on_postgresql() {
    story(StoreKind::Postgres);
}
