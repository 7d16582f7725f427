//! The hub tried as an attacker would, from its own network: a real `pointsdesk hub serve`
//! process on a loopback port, on SQLite and on PostgreSQL (a throwaway cluster). Idle
//! connections and a small file limit must not stop it; bodies nobody signed and a crowd of
//! logins must not take its memory; a login name nobody has locks like a real one; bad input is
//! a 400, not a 500 or a 503; every answer carries the security headers; TLS never turns itself
//! off; and the counter follows no redirect and prints no hub's escape codes.

mod hub;

use hub::{Counter, StoreKind};
use pointsdesk::district::protocol::{
    HEADER_NONCE, HEADER_PROTOCOL, HEADER_SERIES, HEADER_SIGNATURE, HEADER_TIME, PROTOCOL_VERSION,
    Refusal,
};
use pointsdesk::hub::HubHome;
use pointsdesk::hub::admins::{ADMIN_FAILURES_MAX, LOGIN_ATTEMPTS_PER_ADDRESS_MAX};
use pointsdesk::hub::server::HEADER_READ_TIMEOUT;
use pointsdesk::sync::client::{ClientError, HubClient};
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Longer than any answer of a hub on loopback should take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
/// What a closing connection or a hub freeing its files may take beyond the hub's timeout.
const MARGIN: Duration = Duration::from_secs(5);
const ADMIN: &str = "街道王芳";
const PASSWORD: &str = "qiao-2026-counter";
/// The memory the hub may reach under the attacks below (the debug build).
const RSS_BOUND_MIB: f64 = 256.0;

/// The street office's home on a store, with one web administrator.
struct Office {
    dir: TempDir,
    home: HubHome,
    store: Option<String>,
}

impl Office {
    fn new(kind: StoreKind) -> Office {
        let dir = TempDir::new().unwrap();
        let home = HubHome {
            dir: dir.path().join("street-office"),
        };
        home.init(hub::DISTRICT, chrono::Utc::now()).unwrap();
        let store = match kind {
            StoreKind::Sqlite => None,
            StoreKind::Postgres => Some(hub::pg().database()),
        };
        home.open_at(store.as_deref())
            .unwrap()
            .set_admin(ADMIN, PASSWORD, chrono::Utc::now())
            .unwrap();
        Office { dir, home, store }
    }

    fn code(&self, counter: &str) -> String {
        self.home
            .open_at(self.store.as_deref())
            .unwrap()
            .enrol_code(counter, None, 24, chrono::Utc::now())
            .unwrap()
            .one_time_code
    }

    /// A self-signed certificate for `localhost`: (certificate file, key file, its PEM).
    fn tls(&self) -> (PathBuf, PathBuf, String) {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert = self.dir.path().join("hub.crt");
        let key = self.dir.path().join("hub.key");
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        (cert, key, certified.cert.pem())
    }
}

/// `hub serve` as its own process, its log in a file.
struct Served {
    child: Child,
    addr: SocketAddr,
    url: String,
    log: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a hub is started.
#[derive(Default)]
struct Start<'a> {
    tls: Option<(&'a Path, &'a Path)>,
    /// Run with at most N open files (`ulimit -n N`).
    files_max: Option<u32>,
}

fn serve(office: &Office, start: Start) -> Served {
    let log = office
        .dir
        .path()
        .join(format!("hub-{}.log", hub::free_port()));
    let mut command = match start.files_max {
        // The shell's own ulimit, not util-linux's prlimit: any Linux has a POSIX sh.
        Some(n) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                .arg(env!("CARGO_BIN_EXE_pointsdesk"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_pointsdesk")),
    };
    command
        .args(["--home", office.home.dir.to_str().unwrap()])
        .args(["hub", "serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    if let Some(store) = &office.store {
        command.args(["--store", store]);
    }
    if let Some((cert, key)) = start.tls {
        command
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = line_tx.send(line);
    });
    let line = line_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("hub serve says where it listens");
    let port: u16 = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    let scheme = if start.tls.is_some() {
        "https://localhost"
    } else {
        "http://127.0.0.1"
    };
    Served {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        url: format!("{scheme}:{port}"),
        log,
    }
}

impl Served {
    /// (peak, now) resident memory of the hub process, MiB.
    fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .unwrap()
                / 1024.0
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// An HTTP answer read off a socket.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
        })
    }
}

fn parse_answer(bytes: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(bytes).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// One request on a new plain connection, read to its end.
fn exchange(addr: SocketAddr, request: &str) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    parse_answer(&bytes)
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    exchange(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
}

fn login(addr: SocketAddr, name: &str, password: &str, next: &str) -> Answer {
    let form = format!(
        "name={}&password={}&next={}",
        pointsdesk::hub::pages::url_encode(name),
        pointsdesk::hub::pages::url_encode(password),
        pointsdesk::hub::pages::url_encode(next)
    );
    exchange(
        addr,
        &format!(
            "POST /web/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    )
}

/// Waits until the hub closes `stream` (which sends nothing); how long that took from `opened`.
fn closed_by_the_hub(mut stream: TcpStream, opened: Instant) -> Duration {
    stream
        .set_read_timeout(Some(HEADER_READ_TIMEOUT + MARGIN * 2))
        .unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the idle connection was not closed: {other:?}"),
    }
    opened.elapsed()
}

fn idle_connections_are_closed_and_never_stop_the_hub(kind: StoreKind) {
    let office = Office::new(kind);
    let hub = serve(&office, Start::default());
    let opened = Instant::now();
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(hub.addr).unwrap())
        .collect();
    // Held open, they do not keep the hub from answering.
    let started = Instant::now();
    assert_eq!(get(hub.addr, "/healthz").status, 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    // A kept-alive connection that goes quiet after an answer is closed as well.
    let mut kept = TcpStream::connect(hub.addr).unwrap();
    kept.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", hub.addr).as_bytes())
        .unwrap();
    let mut answer = [0u8; 512];
    kept.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
    assert!(kept.read(&mut answer).unwrap() > 0);
    let answered = Instant::now();
    // The hub closes them all within its timeout, not when the client pleases.
    let mut waits = Vec::new();
    for stream in idle {
        waits.push(closed_by_the_hub(stream, opened));
    }
    let slowest = waits.into_iter().max().unwrap();
    assert!(
        slowest <= HEADER_READ_TIMEOUT + MARGIN,
        "an idle connection stayed open {slowest:?}"
    );
    let kept_for = closed_by_the_hub(kept, answered);
    assert!(kept_for <= HEADER_READ_TIMEOUT + MARGIN, "{kept_for:?}");
    assert_eq!(get(hub.addr, "/healthz").status, 200);
}

#[test]
fn idle_connections_are_closed_and_never_stop_the_hub_on_sqlite() {
    idle_connections_are_closed_and_never_stop_the_hub(StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn idle_connections_are_closed_and_never_stop_the_hub_on_postgres() {
    idle_connections_are_closed_and_never_stop_the_hub(StoreKind::Postgres);
}

fn tls_agent(ca_pem: &str) -> ureq::Agent {
    let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(ca_pem.as_bytes())
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    ureq::Agent::config_builder()
        .timeout_global(Some(HEADER_READ_TIMEOUT + MARGIN * 3))
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .build(),
        )
        .build()
        .into()
}

#[test]
fn a_tls_hub_allowed_256_files_outlives_300_idle_connections() {
    let office = Office::new(StoreKind::Sqlite);
    let (cert, key, pem) = office.tls();
    let mut hub = serve(
        &office,
        Start {
            tls: Some((&cert, &key)),
            files_max: Some(256),
        },
    );
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(hub.addr).unwrap())
        .collect();
    // More connections than the hub may hold files: it serves the ones it can, closes the idle
    // ones after its timeout, and answers again, never giving up.
    let started = Instant::now();
    let answer = tls_agent(&pem)
        .get(format!("{}/healthz", hub.url))
        .call()
        .expect("the hub answers over TLS while 300 idle connections are held");
    assert_eq!(answer.status().as_u16(), 200);
    assert!(
        started.elapsed() <= HEADER_READ_TIMEOUT + MARGIN * 2,
        "{:?}",
        started.elapsed()
    );
    assert!(hub.alive(), "the hub ended: {}", hub.log_text());
    drop(idle);
    assert!(hub.alive());
}

/// The headers of an unsigned push that says it carries `bytes` bytes.
fn unsigned_push_head(addr: SocketAddr, bytes: usize) -> String {
    format!(
        "POST /v1/push HTTP/1.1\r\nHost: {addr}\r\n{HEADER_PROTOCOL}: {PROTOCOL_VERSION}\r\n\
         {HEADER_SERIES}: {}\r\n{HEADER_TIME}: {}\r\n{HEADER_NONCE}: {}\r\n\
         {HEADER_SIGNATURE}: {}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {bytes}\r\n\r\n",
        uuid::Uuid::now_v7(),
        chrono::Utc::now().timestamp_millis(),
        "ab".repeat(16),
        "cd".repeat(64),
    )
}

const BODY_BYTES: usize = 16 << 20;

/// Sends an unsigned push of [`BODY_BYTES`] bytes and reads the answer.
fn unsigned_push(addr: SocketAddr) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(ANSWER_TIMEOUT)).unwrap();
    stream
        .write_all(unsigned_push_head(addr, BODY_BYTES).as_bytes())
        .ok()?;
    let chunk = vec![b'x'; 64 << 10];
    for _ in 0..BODY_BYTES / chunk.len() {
        if stream.write_all(&chunk).is_err() {
            break;
        }
    }
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    (!bytes.is_empty()).then(|| parse_answer(&bytes).status)
}

fn unsigned_bodies_are_refused_unread(kind: StoreKind) {
    let office = Office::new(kind);
    let hub = serve(&office, Start::default());
    // The answer comes after the headers alone: not a byte of the body was sent.
    let mut stream = TcpStream::connect(hub.addr).unwrap();
    stream.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
    stream
        .write_all(unsigned_push_head(hub.addr, BODY_BYTES).as_bytes())
        .unwrap();
    let mut bytes = vec![0u8; 4096];
    let n = stream
        .read(&mut bytes)
        .expect("the hub answers before the body is sent");
    let answer = parse_answer(&bytes[..n]);
    assert_eq!(answer.status, 401, "{}", answer.head);
    // 200 of them at once, sending their bodies: the hub reads none and keeps its memory.
    let statuses: Vec<Option<u16>> = std::thread::scope(|s| {
        let senders: Vec<_> = (0..200)
            .map(|_| s.spawn(|| unsigned_push(hub.addr)))
            .collect();
        senders.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(statuses.iter().flatten().all(|s| *s == 401), "{statuses:?}");
    let (peak, _) = hub.memory_mib();
    assert!(
        peak < RSS_BOUND_MIB,
        "the hub took {peak:.0} MiB for bodies nobody signed"
    );
    assert_eq!(get(hub.addr, "/healthz").status, 200);
}

#[test]
fn unsigned_bodies_are_refused_unread_on_sqlite() {
    unsigned_bodies_are_refused_unread(StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn unsigned_bodies_are_refused_unread_on_postgres() {
    unsigned_bodies_are_refused_unread(StoreKind::Postgres);
}

/// Tries `name` with a wrong password until locked; the statuses.
fn wrong_until_locked(addr: SocketAddr, name: &str) -> (Vec<u16>, Answer, Duration) {
    let mut statuses = Vec::new();
    let mut took = Duration::ZERO;
    for _ in 0..ADMIN_FAILURES_MAX {
        let started = Instant::now();
        statuses.push(login(addr, name, "wrong-password-1", "/web/").status);
        took += started.elapsed();
    }
    let locked = login(addr, name, "wrong-password-1", "/web/");
    (statuses, locked, took / ADMIN_FAILURES_MAX as u32)
}

fn unknown_names_lock_like_known_ones(kind: StoreKind) {
    let office = Office::new(kind);
    let hub = serve(&office, Start::default());
    let (known, known_locked, known_took) = wrong_until_locked(hub.addr, ADMIN);
    let (unknown, unknown_locked, unknown_took) = wrong_until_locked(hub.addr, "nobody-here");
    assert_eq!(known, vec![401; ADMIN_FAILURES_MAX as usize]);
    assert_eq!(unknown, known);
    assert_eq!(known_locked.status, 429);
    assert_eq!(unknown_locked.status, 429);
    let words = |a: &Answer| a.body.split("锁定到").nth(1).map(|_| ());
    assert!(words(&known_locked).is_some(), "{}", known_locked.body);
    assert!(words(&unknown_locked).is_some(), "{}", unknown_locked.body);
    // An unknown name costs the same password check as a known one.
    assert!(
        unknown_took * 3 >= known_took,
        "unknown {unknown_took:?}, known {known_took:?}"
    );
    // Even the right password waits out the lock.
    assert_eq!(login(hub.addr, ADMIN, PASSWORD, "/web/").status, 429);

    // A name with a line break stays on its line of the log.
    let forged = "x\nFORGED web login admin=\"root\"";
    assert_eq!(
        login(hub.addr, forged, "wrong-password-1", "/web/").status,
        401
    );
    let log = hub.log_text();
    assert!(log.contains("FORGED"), "{log}");
    assert!(
        !log.lines().any(|l| l.starts_with("FORGED")),
        "a forged log line: {log}"
    );

    // One address trying more often than allowed is told to wait, its passwords unchecked.
    let mut too_fast = None;
    for i in 0..=LOGIN_ATTEMPTS_PER_ADDRESS_MAX {
        let answer = login(hub.addr, &format!("guess-{i}"), "wrong-password-1", "/web/");
        if answer.status == 429 {
            too_fast = Some(answer);
            break;
        }
    }
    let too_fast = too_fast.expect("the address is limited");
    assert!(too_fast.body.contains("太频繁"), "{}", too_fast.body);
}

#[test]
fn unknown_login_names_lock_like_known_ones_on_sqlite() {
    unknown_names_lock_like_known_ones(StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn unknown_login_names_lock_like_known_ones_on_postgres() {
    unknown_names_lock_like_known_ones(StoreKind::Postgres);
}

/// A push whose last entry's text holds an escaped NUL, signed by the counter.
fn push_with_nul(counter: &mut Counter) -> Vec<u8> {
    use pointsdesk::ledger::district::ExportPart;
    use pointsdesk::sync::bundle::BundleWriter;
    let own = counter.ledger.device().series_id;
    let head = counter
        .ledger
        .heads()
        .unwrap()
        .into_iter()
        .find(|h| h.series_id == own)
        .unwrap();
    let mut parts = Vec::new();
    counter
        .ledger
        .export_ranges(
            &[pointsdesk::district::Range {
                series_id: own,
                from: 1,
                to: head.seq,
            }],
            "nul",
            &mut |part| {
                parts.push(part);
                Ok(())
            },
        )
        .unwrap();
    let mut writer = BundleWriter::new(Vec::new()).unwrap();
    for part in parts {
        match part {
            ExportPart::Header(h) => writer.header(&h),
            ExportPart::Certificates(c) => writer.certificates(&c),
            ExportPart::Keys(k) => writer.keys(&k),
            ExportPart::Page(mut page) => {
                let body = &mut page.entries.last_mut().unwrap().body;
                assert_eq!(body.pop(), Some(b'}'));
                body.extend_from_slice(br#","note":"a\u0000b"}"#);
                writer.page(&page)
            }
        }
        .unwrap();
    }
    writer.finish(counter.ledger.device()).unwrap()
}

fn bad_input_is_a_400(kind: StoreKind) {
    let office = Office::new(kind);
    let hub = serve(&office, Start::default());
    // A `next` with CR/LF, asked for and posted.
    let asked = get(hub.addr, "/web/login?next=/web/%0d%0aSet-Cookie:%20x=1");
    assert_eq!(asked.status, 400, "{}", asked.head);
    assert!(asked.header("set-cookie").is_none());
    let posted = login(hub.addr, ADMIN, PASSWORD, "/web/\r\nSet-Cookie: x=1");
    assert_eq!(posted.status, 400, "{}", posted.head);

    // A NUL in pushed text is refused as a whole, as bad input, the same on both stores.
    let mut counter = Counter::enrolled_at(&hub.url, &office.code(&hub::setup(0).2), 0);
    let (_, scan) = counter.resident("王小明");
    counter.earn(&scan, 60);
    let client = HubClient::new(&hub.url, None).unwrap();
    client
        .register_certificate(&counter.ledger.own_certificate().unwrap().unwrap())
        .unwrap();
    let bundle = push_with_nul(&mut counter);
    match client.push(counter.ledger.device(), &bundle) {
        Err(ClientError::Refused(body)) => assert_eq!(body.refusal, Refusal::NulText),
        other => panic!("a push with a NUL: {other:?}"),
    }
    // Nothing of it was taken, and the counter's real entries sync as ever.
    let summary = counter.sync_with(&hub.url).expect("the sync after it");
    assert!(
        summary.pushed_new > 0 && summary.push_refusals.is_empty(),
        "{summary:?}"
    );
    let held = office.home.open_at(office.store.as_deref()).unwrap();
    let mut heads = held
        .block_on(pointsdesk::hub::store::Store::heads(&held.service.store))
        .unwrap();
    heads.sort_by_key(|h| h.series_id);
    assert_eq!(heads, counter.heads());
}

#[test]
fn bad_input_is_a_400_on_sqlite() {
    bad_input_is_a_400(StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn bad_input_is_a_400_on_postgres() {
    bad_input_is_a_400(StoreKind::Postgres);
}

fn assert_secured(what: &str, headers: &dyn Fn(&str) -> Option<String>) {
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(headers(name).as_deref(), Some(value), "{what}: {name}");
    }
    assert!(
        headers("content-security-policy").is_some_and(|v| v.contains("frame-ancestors 'none'")),
        "{what}"
    );
}

#[test]
fn every_answer_carries_the_security_headers_and_tls_adds_hsts() {
    let office = Office::new(StoreKind::Sqlite);
    let hub = serve(&office, Start::default());
    let unsigned = exchange(
        hub.addr,
        &format!(
            "GET /v1/heads HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{HEADER_PROTOCOL}: {PROTOCOL_VERSION}\r\n\r\n",
            hub.addr
        ),
    );
    assert_eq!(unsigned.status, 401);
    for (what, answer) in [
        ("/healthz", get(hub.addr, "/healthz")),
        ("a 404", get(hub.addr, "/no-such-page")),
        ("a redirect", get(hub.addr, "/")),
        ("/metrics", get(hub.addr, "/metrics")),
        ("/v1/openapi.json", get(hub.addr, "/v1/openapi.json")),
        ("a refused /v1 request", unsigned),
        ("the login form", get(hub.addr, "/web/login")),
    ] {
        assert_secured(what, &|name| answer.header(name));
        assert!(
            answer.header("strict-transport-security").is_none(),
            "{what}"
        );
    }
    drop(hub);

    let (cert, key, pem) = office.tls();
    let hub = serve(
        &office,
        Start {
            tls: Some((&cert, &key)),
            files_max: None,
        },
    );
    let agent = tls_agent(&pem);
    for path in ["/healthz", "/no-such-page", "/", "/web/login"] {
        let answer = agent.get(format!("{}{path}", hub.url)).call().unwrap();
        let headers = answer.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_secured(path, &header);
        assert!(
            header("strict-transport-security").is_some_and(|v| v.starts_with("max-age=")),
            "{path}"
        );
    }
}

/// The output of `command`, which must end within `timeout` (a hub that serves instead of
/// stopping is killed, and the test fails).
fn output_within(mut command: Command, timeout: Duration) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > timeout {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {timeout:?}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_tls_certificate_without_its_key_stops_the_hub_with_a_message() {
    let office = Office::new(StoreKind::Sqlite);
    let (cert, _, _) = office.tls();
    std::fs::write(
        office.home.config_path(),
        format!("tls_cert = {:?}\n", cert.to_str().unwrap()),
    )
    .unwrap();
    for (lang, words) in [
        ("zh-CN", "写了 tls_cert 却没有 tls_key"),
        ("en", "tls_cert is set without tls_key"),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pointsdesk"));
        command
            .args(["--lang", lang, "--home", office.home.dir.to_str().unwrap()])
            .args(["hub", "serve", "--listen", "127.0.0.1:0"]);
        let out = output_within(command, ANSWER_TIMEOUT);
        assert!(!out.status.success());
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(words), "{said}");
        assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    }
}

/// A fake hub on a loopback port that answers every connection with `answer`; the number of
/// connections it took is sent on the channel as they come.
fn fake_hub(answer: Vec<u8>) -> (SocketAddr, std::sync::mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = tx.send(());
            stream.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(&answer);
        }
    });
    (addr, rx)
}

fn enroll(hub: &str, extra: &[&str]) -> std::process::Output {
    let home = TempDir::new().unwrap();
    Command::new(env!("CARGO_BIN_EXE_pointsdesk"))
        .args(["--home", home.path().to_str().unwrap()])
        .args(["--operator", "001"])
        .args(["sync", "enroll", "--hub", hub, "--code", "K7QM-2XHD-9PFA"])
        .args(extra)
        .env("POINTSDESK_NEW_PIN", "2468")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn the_counter_follows_no_redirect_and_prints_no_escape_codes_of_a_hub() {
    // A redirect elsewhere: the counter says where it pointed and never goes there.
    let (elsewhere, visits) = fake_hub(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec());
    let (redirecting, _) = fake_hub(
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{elsewhere}/v1/enroll\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .into_bytes(),
    );
    let out = enroll(&format!("http://{redirecting}"), &[]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&elsewhere.to_string()), "{said}");
    assert!(said.contains("不跟随转址"), "{said}");
    assert!(
        visits.try_recv().is_err(),
        "the counter followed the redirect"
    );

    // A proxy's answer full of escape codes is shown without them.
    let body = "\x1b]0;pwned\x07\x1b[2Jproxy down \x1b[31mhere\r\n";
    let (garbled, _) = fake_hub(
        format!(
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    let out = enroll(&format!("http://{garbled}"), &[]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("proxy down"), "{said}");
    assert!(!said.contains('\x1b') && !said.contains('\x07'), "{said:?}");

    // Plain HTTP to another computer is refused before anything is sent, unless allowed.
    let out = enroll("http://192.0.2.10:8443", &[]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--allow-http"), "{said}");
}
