//! The hub under attack from its network, as its own process: 250 web logins of 250 names from
//! 250 addresses (127.0.0.2 onwards) and 200 unsigned pushes of 16 MiB arrive at once, while
//! `/healthz` is asked every 20 ms. The hub's peak memory, its memory a minute later against
//! its idle memory, and the health check's latency during it.

use super::hub_process::HubProcess;
use pointsdesk::district::protocol::{
    HEADER_NONCE, HEADER_PROTOCOL, HEADER_SERIES, HEADER_SIGNATURE, HEADER_TIME, PROTOCOL_VERSION,
};
use pointsdesk::hub::HubHome;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const LOGINS: usize = 250;
pub const BODIES: usize = 200;
pub const BODY_BYTES: usize = 16 << 20;
/// How often `/healthz` is asked during the attack.
const PROBE_EVERY: Duration = Duration::from_millis(20);
/// How long after the attack the memory is read again.
pub const SETTLE: Duration = Duration::from_secs(60);
/// Longest one exchange of the load may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(120);

pub struct AttackFigures {
    pub idle_mib: f64,
    pub peak_mib: f64,
    pub settled_mib: f64,
    pub attack: Duration,
    pub healthz_p50: Duration,
    pub healthz_p99: Duration,
    pub healthz_max: Duration,
    pub healthz_count: usize,
    /// Answers to the logins by status.
    pub logins: Vec<(u16, usize)>,
    pub bodies: Vec<(u16, usize)>,
}

/// One request from `source` (any loopback address), read to its end: the status, or 0 when
/// the connection broke before an answer.
async fn exchange(addr: SocketAddr, source: Ipv4Addr, head: String, body_bytes: usize) -> u16 {
    let work = async {
        let socket = tokio::net::TcpSocket::new_v4().ok()?;
        socket.bind(SocketAddr::from((source, 0))).ok()?;
        let mut stream = socket.connect(addr).await.ok()?;
        stream.write_all(head.as_bytes()).await.ok()?;
        let chunk = vec![b'x'; 64 << 10];
        let mut sent = 0;
        while sent < body_bytes {
            let n = chunk.len().min(body_bytes - sent);
            if stream.write_all(&chunk[..n]).await.is_err() {
                break;
            }
            sent += n;
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let text = String::from_utf8_lossy(&answer);
        text.split_whitespace().nth(1)?.parse().ok()
    };
    tokio::time::timeout(EXCHANGE_TIMEOUT, work)
        .await
        .ok()
        .flatten()
        .unwrap_or(0)
}

/// A login of a name nobody has (so no lock cuts the work short: each costs a password check).
fn login_head(addr: SocketAddr, i: usize) -> String {
    let form = format!("name=guess-{i}&password=not-the-password&next=%2Fweb%2F");
    format!(
        "POST /web/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
}

fn unsigned_push_head(addr: SocketAddr) -> String {
    format!(
        "POST /v1/push HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{HEADER_PROTOCOL}: {PROTOCOL_VERSION}\r\n\
         {HEADER_SERIES}: {}\r\n{HEADER_TIME}: {}\r\n{HEADER_NONCE}: {}\r\n\
         {HEADER_SIGNATURE}: {}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {BODY_BYTES}\r\n\r\n",
        uuid::Uuid::now_v7(),
        chrono::Utc::now().timestamp_millis(),
        "ab".repeat(16),
        "cd".repeat(64),
    )
}

/// The `/healthz` latencies until `stop`.
async fn probe(addr: SocketAddr, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let status = exchange(addr, Ipv4Addr::LOCALHOST, head.clone(), 0).await;
        assert_eq!(status, 200, "/healthz during the attack");
        latencies.push(started.elapsed());
        tokio::time::sleep(PROBE_EVERY).await;
    }
    latencies
}

fn tally(statuses: Vec<u16>) -> Vec<(u16, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for s in statuses {
        *counts.entry(s).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

pub fn run(store: Option<&str>) -> AttackFigures {
    let work = tempfile::tempdir().unwrap();
    let office = work.path().join("street-office");
    let home = HubHome {
        dir: office.clone(),
    };
    home.init("桥西街道", chrono::Utc::now()).unwrap();
    home.open_at(store)
        .unwrap()
        .set_admin("街道王芳", "qiao-2026-counter", chrono::Utc::now())
        .unwrap();
    let hub = HubProcess::start(&office, store);
    let port: u16 = hub.url.rsplit(':').next().unwrap().parse().unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Idle: started, one health check answered, a moment to settle.
    rt.block_on(exchange(
        addr,
        Ipv4Addr::LOCALHOST,
        format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        0,
    ));
    std::thread::sleep(Duration::from_secs(2));
    let idle_mib = hub.memory_mib().1;

    let started = Instant::now();
    let (logins, bodies, mut latencies) = rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let prober = tokio::spawn(probe(addr, stop.clone()));
        let logins: Vec<_> = (0..LOGINS)
            .map(|i| {
                let source = Ipv4Addr::new(127, 0, 1 + (i / 250) as u8, 2 + (i % 250) as u8);
                tokio::spawn(exchange(addr, source, login_head(addr, i), 0))
            })
            .collect();
        let bodies: Vec<_> = (0..BODIES)
            .map(|_| {
                tokio::spawn(exchange(
                    addr,
                    Ipv4Addr::LOCALHOST,
                    unsigned_push_head(addr),
                    BODY_BYTES,
                ))
            })
            .collect();
        let mut login_statuses = Vec::new();
        for l in logins {
            login_statuses.push(l.await.unwrap());
        }
        let mut body_statuses = Vec::new();
        for b in bodies {
            body_statuses.push(b.await.unwrap());
        }
        stop.store(true, Ordering::Relaxed);
        (login_statuses, body_statuses, prober.await.unwrap())
    });
    let attack = started.elapsed();
    let peak_mib = hub.memory_mib().0;
    std::thread::sleep(SETTLE);
    let settled_mib = hub.memory_mib().1;
    latencies.sort();
    AttackFigures {
        idle_mib,
        peak_mib,
        settled_mib,
        attack,
        healthz_p50: quantile(&latencies, 0.5),
        healthz_p99: quantile(&latencies, 0.99),
        healthz_max: *latencies.last().unwrap(),
        healthz_count: latencies.len(),
        logins: tally(logins),
        bodies: tally(bodies),
    }
}
