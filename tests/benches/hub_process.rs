//! The hub as its own process (`pointsdesk hub serve`, the release binary), so that its memory
//! and CPU are its own. Shared by the `hub` and `reports` benchmarks through `#[path]`.
#![allow(dead_code)]

use pointsdesk::district::Range;
use pointsdesk::district::protocol::EXCHANGE_ENTRIES_MAX;
use pointsdesk::hub::HubHome;
use pointsdesk::ledger::{Ledger, Session};
use pointsdesk::sync::client::HubClient;
use pointsdesk::sync::nightly;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The hub as its own process.
pub struct HubProcess {
    pub child: Child,
    pub url: String,
}

impl HubProcess {
    pub fn start(office: &Path, store: Option<&str>) -> HubProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pointsdesk"));
        command
            .args([
                "--home",
                office.to_str().unwrap(),
                "hub",
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(store) = store {
            command.args(["--store", store]);
        }
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().rsplit(':').next().unwrap().to_string();
        HubProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// CPU seconds the hub has used (user + system).
    pub fn cpu_s(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let after = stat.rsplit(')').next().unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // utime and stime, the 14th and 15th fields of the line (11 and 12 after the name).
        (ticks(11) + ticks(12)) / 100.0
    }

    /// (peak, current) resident memory in MiB.
    pub fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| -> f64 {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .unwrap_or(0.0)
                / 1024.0
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A one-time code from the street office at `office` (on `store`) for `counter` of
/// `community` (`None`: the only counter of that name) with `code` (`None`: the next free one).
pub fn one_time_code(
    office: &Path,
    store: Option<&str>,
    community: Option<&str>,
    counter: &str,
    code: Option<&str>,
) -> String {
    let home = HubHome {
        dir: office.to_path_buf(),
    };
    let mut hub = home.open_at(store).unwrap();
    hub.enrol_code_in(community, counter, code, 24, chrono::Utc::now())
        .unwrap()
        .one_time_code
}

/// Enrols a seeded counter again, with its own community and code, at the hub `client` whose
/// store (`store` of the street office `office`) is fresh: a fresh store's register holds none
/// of the grants made when the district was seeded, and the hub takes a certificate only for
/// a grant of its register, once. As `sync enroll --hub --code` does it: the hub's one-time
/// code gives the enrolment, the hub takes the certificate it makes, the counter installs it.
/// The counter's entries stay as seeded; its pushes carry the certificate the hub holds.
pub fn enrol_again(
    ledger: &mut Ledger,
    admin: &Session,
    office: &Path,
    store: Option<&str>,
    client: &HubClient,
) {
    let series = ledger.series().clone();
    let code = one_time_code(
        office,
        store,
        Some(&series.community),
        &series.counter,
        series.code.as_deref(),
    );
    nightly::enroll(ledger, admin, client, &code, None).unwrap();
}

/// A counter's own series as push bodies of at most a page each (the counter enrolled with the
/// hub first: [`enrol_again`] for a seeded one).
pub fn own_series_bodies(ledger: &mut Ledger) -> Vec<Vec<u8>> {
    let own = ledger.device().series_id;
    let head = ledger
        .heads()
        .unwrap()
        .into_iter()
        .find(|h| h.series_id == own)
        .unwrap();
    let pages = pointsdesk::district::heads::paged(
        &[Range {
            series_id: own,
            from: 1,
            to: head.seq,
        }],
        EXCHANGE_ENTRIES_MAX,
    );
    pages
        .iter()
        .map(|page| {
            pointsdesk::sync::export_ranges_bundle(ledger, &[*page], "bench", Vec::new())
                .unwrap()
                .1
        })
        .collect()
}
