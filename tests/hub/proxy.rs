//! A faulty proxy on loopback between counters and the hub. It reads each HTTP request whole,
//! then, as a seeded dice says: passes it, drops the connection, cuts the request or the
//! response halfway, sends the request twice, delays it, or keeps it to send again later (a
//! replay, or a stale request arriving after newer ones).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Closes the client's connection without sending anything on.
    Drop,
    /// Sends half the request on, then closes both sides.
    CutRequest,
    /// Sends the request on, then only half the answer back, and closes.
    CutResponse,
    /// Sends the request on twice; the client gets the first answer.
    Duplicate,
    /// Waits a little, then passes it.
    Delay,
    /// Passes it and keeps it, to send again after later requests.
    Keep,
}

/// A small deterministic generator (xorshift), so a seed replays the same faults.
#[derive(Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent` %.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct State {
    dice: Dice,
    /// Percent of requests that meet a fault.
    fault_percent: u64,
    kept: Vec<Vec<u8>>,
    faults: Vec<Fault>,
    /// Requests still passed before every later one is dropped (`None`: the dice decide).
    passes_left: Option<u64>,
}

/// The proxy; it stops when dropped.
pub struct Proxy {
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

/// Longest the proxy waits on either side.
const IO_TIMEOUT: Duration = Duration::from_secs(20);
/// Largest request or answer the proxy holds.
const MESSAGE_BYTES_MAX: usize = 64 << 20;

impl Proxy {
    /// A proxy to `upstream` (`127.0.0.1:port`) meeting faults on `fault_percent` % of requests.
    pub fn start(upstream: std::net::SocketAddr, seed: u64, fault_percent: u64) -> Proxy {
        Self::start_with(upstream, seed, fault_percent, None)
    }

    /// A proxy to `upstream` that passes the first `passed` requests and drops every later
    /// one: the network goes away at a known step of a protocol.
    pub fn breaking_after(upstream: std::net::SocketAddr, passed: u64) -> Proxy {
        Self::start_with(upstream, 0, 0, Some(passed))
    }

    fn start_with(
        upstream: std::net::SocketAddr,
        seed: u64,
        fault_percent: u64,
        passes_left: Option<u64>,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            dice: Dice::new(seed),
            fault_percent,
            kept: Vec::new(),
            faults: Vec::new(),
            passes_left,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&state), Arc::clone(&stop));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve(client, upstream, &s));
            }
        });
        Proxy {
            url: format!("http://{addr}"),
            state,
            stop,
            addr,
        }
    }

    /// The faults met so far, in order.
    pub fn faults(&self) -> Vec<Fault> {
        self.state.lock().unwrap().faults.clone()
    }

    /// Makes later requests pass untouched (the healing rounds at the end).
    pub fn heal(&self) {
        self.state.lock().unwrap().fault_percent = 0;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads one HTTP/1.1 message with a Content-Length body (what ureq and hyper send here).
fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 4096];
    let header_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut byte).ok()?;
        if n == 0 || buffer.len() > MESSAGE_BYTES_MAX {
            return None;
        }
        buffer.extend_from_slice(&byte[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let n = stream.read(&mut byte).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&byte[..n]);
    }
    buffer.truncate(header_end + length);
    Some(buffer)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends a request to the hub on a fresh connection; its answer.
fn forward(upstream: std::net::SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(upstream).ok()?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.write_all(request).ok()?;
    read_message(&mut stream)
}

fn serve(mut client: TcpStream, upstream: std::net::SocketAddr, state: &Mutex<State>) {
    let _ = client.set_read_timeout(Some(IO_TIMEOUT));
    while let Some(request) = read_message(&mut client) {
        let (fault, replay) = {
            let mut guard = state.lock().unwrap();
            let s = &mut *guard;
            let percent = s.fault_percent;
            let fault = if let Some(left) = s.passes_left {
                s.passes_left = Some(left.saturating_sub(1));
                if left == 0 { Fault::Drop } else { Fault::Pass }
            } else if s.dice.chance(percent) {
                match s.dice.below(6) {
                    0 => Fault::Drop,
                    1 => Fault::CutRequest,
                    2 => Fault::CutResponse,
                    3 => Fault::Duplicate,
                    4 => Fault::Delay,
                    _ => Fault::Keep,
                }
            } else {
                Fault::Pass
            };
            s.faults.push(fault);
            // Now and then, a kept request goes again, after newer ones.
            let replay = if !s.kept.is_empty() && s.dice.chance(percent) {
                let kept = s.kept.len() as u64;
                let i = s.dice.below(kept) as usize;
                Some(s.kept.remove(i))
            } else {
                None
            };
            if fault == Fault::Keep {
                s.kept.push(request.clone());
            }
            (fault, replay)
        };
        if let Some(old) = replay {
            let _ = forward(upstream, &old);
        }
        match fault {
            Fault::Drop => return,
            Fault::CutRequest => {
                if let Ok(mut stream) = TcpStream::connect(upstream) {
                    let _ = stream.write_all(&request[..request.len() / 2]);
                }
                return;
            }
            Fault::CutResponse => {
                if let Some(answer) = forward(upstream, &request) {
                    let _ = client.write_all(&answer[..answer.len() / 2]);
                }
                return;
            }
            Fault::Duplicate => {
                let answer = forward(upstream, &request);
                let _ = forward(upstream, &request);
                match answer {
                    Some(answer) if client.write_all(&answer).is_ok() => {}
                    _ => return,
                }
            }
            Fault::Delay => {
                let ms = state.lock().unwrap().dice.below(150);
                std::thread::sleep(Duration::from_millis(ms));
                match forward(upstream, &request) {
                    Some(answer) if client.write_all(&answer).is_ok() => {}
                    _ => return,
                }
            }
            Fault::Pass | Fault::Keep => match forward(upstream, &request) {
                Some(answer) if client.write_all(&answer).is_ok() => {}
                _ => return,
            },
        }
    }
}
