//! `pointsdesk sync`, the nightly job: an online backup (rotated), then push what the hub
//! lacks, then pull what this counter lacks and apply it, then a summary. Each page is a
//! bundle, checked on arrival like a `sync import`; a page that was sent but not answered is
//! simply sent again next time (both sides take in idempotently).
//!
//! Runs beside the open counter UI: it opens its own connection and writes in the ledger's
//! ordinary transactions, which wait for each other.

use super::client::{ClientError, HubClient};
use crate::district::heads::{paged, to_send};
use crate::district::protocol::{EXCHANGE_ENTRIES_MAX, PullRequest, Taken};
use crate::home::Home;
use crate::ledger::district::{ForkView, Overdraft, Refused};
use crate::ledger::{Ledger, LedgerError};
use serde::Serialize;
use std::path::PathBuf;
use uuid::Uuid;

/// Pulls one sync makes at most (each at most 1,000 entries: a district of 100 M entries).
pub const PULLS_MAX: usize = 100_000;

/// What the job is doing, for a progress bar or a log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    BackedUp(PathBuf),
    /// The hub answered: how many entries go each way.
    Planned {
        to_push: u64,
        to_pull: u64,
    },
    Pushed {
        done: u64,
        total: u64,
    },
    Pulled {
        done: u64,
        total: u64,
    },
}

/// A run of this counter's pushed entries the hub did not take.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PushRefusal {
    pub counter_id: Uuid,
    pub counter: String,
    pub from: i64,
    pub to: i64,
    /// `fork`, or the refusal's code (`bad_signature`, `gap`, …).
    pub reason: String,
}

/// What one sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub hub: String,
    pub backup: Option<PathBuf>,
    pub pushed_new: u64,
    pub pushed_present: u64,
    pub push_refusals: Vec<PushRefusal>,
    pub pulled_new: u64,
    pub pulled_present: u64,
    pub pull_refusals: Vec<Refused>,
    pub pull_forks: Vec<ForkView>,
    /// Passbooks below zero after the sync: frozen until settled.
    pub overdrafts: Vec<Overdraft>,
    /// Residents whose personal data an erasure that arrived destroyed here.
    pub erased: Vec<String>,
    /// The hub's clock minus this counter's, in ms (from the heads' answer).
    pub clock_offset_ms: i64,
}

impl Summary {
    /// Done, but something needs an administrator (exit 1).
    pub fn warnings(&self) -> bool {
        !self.push_refusals.is_empty()
            || !self.pull_refusals.is_empty()
            || !self.pull_forks.is_empty()
            || !self.overdrafts.is_empty()
    }
}

/// Why the sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

/// Enrols this counter with the hub over the network (`sync enroll --hub --code`): the hub
/// answers a one-time code with an enrolment file, installed here as `sync enroll --file`
/// installs one; the certificate made with it goes back to the hub, and the hub's address is
/// kept for the nightly sync.
pub fn enroll(
    ledger: &mut Ledger,
    session: &crate::ledger::Session,
    client: &HubClient,
    code: &str,
    ca_pem: Option<&str>,
) -> Result<crate::ledger::district::Enrolled, SyncError> {
    let answer = client.enroll(&crate::district::protocol::EnrollRequest {
        code: code.to_string(),
        counter: Some(ledger.series().counter.clone()),
    })?;
    let enrolled = ledger.enroll(session, &answer.file)?;
    let certificate = ledger.own_certificate()?.ok_or(LedgerError::NotEnrolled)?;
    client.register_certificate(&certificate)?;
    ledger.set_hub(client.base(), ca_pem)?;
    Ok(enrolled)
}

/// Backs the database up into `backups/` and keeps the newest `keep`.
pub fn backup(home: &Home, ledger: &Ledger, keep: u32) -> Result<PathBuf, LedgerError> {
    let dir = home.backups_dir();
    crate::home::create_private_dir(&dir).map_err(|e| LedgerError::file(&dir, &e))?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S%.3f");
    let path = dir.join(format!("ledger-{stamp}.db"));
    ledger.backup(&path)?;
    let mut backups: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| LedgerError::file(&dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("ledger-") && n.ends_with(".db"))
        })
        .collect();
    // The names sort by time.
    backups.sort();
    let excess = backups.len().saturating_sub(keep as usize);
    for old in &backups[..excess] {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

/// One sync with the hub. `keep` backups are kept; `progress` hears every step.
pub fn sync(
    home: &Home,
    ledger: &mut Ledger,
    client: &HubClient,
    keep: u32,
    progress: &mut dyn FnMut(Step),
) -> Result<Summary, SyncError> {
    let mut summary = Summary {
        hub: client.base().to_string(),
        ..Summary::default()
    };
    let path = backup(home, ledger, keep)?;
    progress(Step::BackedUp(path.clone()));
    summary.backup = Some(path);

    let device = ledger.device().clone();
    let hub = client.heads(&device)?;
    if let Ok(hub_time) = chrono::DateTime::parse_from_rfc3339(&hub.hub_time) {
        summary.clock_offset_ms =
            hub_time.timestamp_millis() - chrono::Utc::now().timestamp_millis();
    }
    let mine = ledger.heads()?;
    let pushes = paged(&to_send(&mine, &hub.heads), EXCHANGE_ENTRIES_MAX);
    let count = |ranges: &[crate::district::Range]| -> u64 {
        ranges.iter().map(|r| (r.to - r.from + 1) as u64).sum()
    };
    let to_push = count(&pushes);
    let to_pull = count(&to_send(&hub.heads, &mine));
    progress(Step::Planned { to_push, to_pull });

    // Push, page by page; a series the hub refuses is not pushed further this time.
    let mut stopped: Vec<Uuid> = Vec::new();
    let mut done = 0;
    for page in &pushes {
        if stopped.contains(&page.counter_id) {
            continue;
        }
        let (_, bundle) = super::export_ranges_bundle(
            ledger,
            std::slice::from_ref(page),
            client.base(),
            Vec::new(),
        )?;
        let answer = client.push(&device, &bundle)?;
        for outcome in &answer.outcomes {
            match outcome.taken {
                Taken::New => summary.pushed_new += (outcome.to - outcome.from + 1) as u64,
                Taken::Present => summary.pushed_present += (outcome.to - outcome.from + 1) as u64,
                Taken::Fork | Taken::Refused => {
                    stopped.push(outcome.counter_id);
                    summary.push_refusals.push(PushRefusal {
                        counter_id: outcome.counter_id,
                        counter: ledger.series_name(&outcome.counter_id),
                        from: outcome.from,
                        to: outcome.to,
                        reason: outcome.reason.clone().unwrap_or_default(),
                    });
                }
            }
        }
        done += (page.to - page.from + 1) as u64;
        progress(Step::Pushed {
            done,
            total: to_push,
        });
    }

    pull_all(ledger, client, &device, to_pull, &mut summary, progress)?;
    summary.overdrafts = ledger.overdrafts()?;
    Ok(summary)
}

/// Pulls until the hub has nothing more; a series refused here is not asked for again.
pub(super) fn pull_all(
    ledger: &mut Ledger,
    client: &HubClient,
    device: &crate::keys::Device,
    to_pull: u64,
    summary: &mut Summary,
    progress: &mut dyn FnMut(Step),
) -> Result<(), SyncError> {
    let mut skip: Vec<Uuid> = Vec::new();
    let mut pulled = 0;
    for _ in 0..PULLS_MAX {
        let request = PullRequest {
            heads: ledger.heads()?,
            entries_max: EXCHANGE_ENTRIES_MAX as u32,
            skip: skip.clone(),
        };
        let (bundle, more) = client.pull(device, &request)?;
        let report = super::import_bundle(ledger, client.base(), bundle.as_slice())?;
        summary.pulled_new += report.new;
        summary.pulled_present += report.present;
        summary.erased.extend(report.erased.iter().cloned());
        pulled += report.entries;
        for refused in &report.refused {
            if !skip.contains(&refused.counter_id) {
                skip.push(refused.counter_id);
            }
        }
        for fork in &report.forks {
            if !skip.contains(&fork.counter_id) {
                skip.push(fork.counter_id);
            }
        }
        let stuck = report.new == 0 && report.refused.is_empty() && report.forks.is_empty();
        summary.pull_refusals.extend(report.refused);
        summary.pull_forks.extend(report.forks);
        progress(Step::Pulled {
            done: pulled,
            total: to_pull.max(pulled),
        });
        if !more || stuck {
            break;
        }
    }
    Ok(())
}
