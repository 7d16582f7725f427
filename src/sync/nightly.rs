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
use crate::ledger::district::{BundleEnd, ForkView, IMPORT_ENTRIES_PER_COMMIT, Overdraft, Refused};
use crate::ledger::{Ledger, LedgerError};
use crate::sync::bundle::{BundleReader, Frame, ReadProblem};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Mutex;
use uuid::Uuid;

/// Pulls one sync makes at most (each at most 1,000 entries: a district of 100 M entries).
pub const PULLS_MAX: usize = 100_000;

/// What the job is doing, for a progress bar or a log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    BackedUp(PathBuf),
    /// After a restore: the series this one continues introduced it to the hub.
    Introduced,
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
    pub series_id: Uuid,
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
/// answers a one-time code with an enrolment file; the certificate made with it goes back to
/// the hub, and once the hub took it the file is installed here as `sync enroll --file`
/// installs one, and the hub's address is kept for the nightly sync.
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
    // The hub takes the certificate before the file is installed: a refused one (a grant used
    // already, a revoked counter, a code another PC holds) leaves this counter as it was, and
    // a retry with a new code starts clean.
    let certificate = ledger.enrolment_certificate(session, &answer.file)?;
    client.register_certificate(&certificate)?;
    let enrolled = ledger.enroll(session, &answer.file)?;
    debug_assert_eq!(ledger.own_certificate()?.as_ref(), Some(&certificate));
    ledger.set_hub(client.base(), ca_pem)?;
    Ok(enrolled)
}

/// The file in `backups/` naming the backup made before the last sync that reached the hub.
pub const LAST_SYNCED_FILE: &str = "LAST-SYNCED";

/// Backs the database up into `backups/` and keeps the newest `keep`, and besides them the
/// backup made before the last sync that reached the hub: nights that fail (a restored
/// counter the hub does not know yet) must not push the last good backup out.
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
    let last_synced = std::fs::read_to_string(dir.join(LAST_SYNCED_FILE)).unwrap_or_default();
    for old in to_remove(&backups, keep, last_synced.trim()) {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

/// Of backups sorted oldest first, the ones to remove: all but the newest `keep` and the one
/// named `last_synced`.
fn to_remove<'a>(backups: &'a [PathBuf], keep: u32, last_synced: &str) -> Vec<&'a PathBuf> {
    let excess = backups.len().saturating_sub(keep as usize);
    backups[..excess]
        .iter()
        .filter(|p| p.file_name().and_then(|n| n.to_str()) != Some(last_synced))
        .collect()
}

/// Marks `backup` as the one made before a sync that reached the hub.
fn mark_synced(home: &Home, backup: &std::path::Path) {
    if let Some(name) = backup.file_name().and_then(|n| n.to_str()) {
        let marker = home.backups_dir().join(LAST_SYNCED_FILE);
        let _ = std::fs::write(marker, format!("{name}\n"));
    }
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
    summary.backup = Some(path.clone());

    let device = ledger.device().clone();
    let hub = match client.heads(&device) {
        Err(ClientError::Refused(refusal))
            if refusal.refusal == crate::district::protocol::Refusal::UnknownDevice =>
        {
            if !introduce(home, ledger, client)? {
                return Err(ClientError::Refused(refusal).into());
            }
            progress(Step::Introduced);
            client.heads(&device)?
        }
        other => other?,
    };
    // Only an enrolled, unrevoked counter's signed request is answered with the data keys:
    // after `hub rekey` this counter seals with the new one, which a leaked enrolment file
    // does not hold.
    if ledger.learn_data_keys(&hub.data_keys)? {
        tracing::info!("sync: the district's new data key was received");
    }
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
        if stopped.contains(&page.series_id) {
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
                    stopped.push(outcome.series_id);
                    summary.push_refusals.push(PushRefusal {
                        series_id: outcome.series_id,
                        counter: ledger.series_name(&outcome.series_id),
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
    mark_synced(home, &path);
    Ok(summary)
}

/// After a restore the counter signs with a new series' key the hub has not seen: the series
/// it continues (whose key the restore kept) introduces it, pushing the new series' first
/// entries, which carry that key's endorsement; the hub takes them in as the counter's own and
/// knows the new key from then on. A counter restored again before its first new series reached
/// the hub is introduced link by link, oldest first. Returns whether the newest series was
/// taken (`false`: this is no restored counter, or an earlier key is gone, and the street
/// office must enrol it again).
fn introduce(home: &Home, ledger: &mut Ledger, client: &HubClient) -> Result<bool, SyncError> {
    let own = ledger.device().series_id;
    // The chain of series, newest first: this one, the one it continues, and so on.
    let mut chain = vec![own];
    let mut link = ledger.series().continues.clone();
    while let Some(earlier) = link
        .as_ref()
        .and_then(|l| Uuid::parse_str(&l.series_id).ok())
        .filter(|id| !chain.contains(id))
    {
        chain.push(earlier);
        link = crate::store::log::series_of(ledger.connection(), &earlier)
            .map_err(LedgerError::from)?
            .and_then(|info| info.continues);
    }
    let mine = ledger.heads()?;
    let mut taken = false;
    for pair in chain.windows(2).rev() {
        let (later, earlier) = (pair[0], pair[1]);
        let Some(endorser) = home.retired_device(&earlier) else {
            continue;
        };
        // Signed as the earlier series: what the hub lacks of it (its link must hold at the
        // hub), then of the later one.
        let hub = match client.heads(&endorser) {
            Ok(hub) => hub,
            Err(ClientError::Refused(r))
                if r.refusal == crate::district::protocol::Refusal::UnknownDevice =>
            {
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut pages: Vec<crate::district::Range> =
            paged(&to_send(&mine, &hub.heads), EXCHANGE_ENTRIES_MAX)
                .into_iter()
                .filter(|r| r.series_id == earlier || r.series_id == later)
                .collect();
        pages.sort_by_key(|r| (r.series_id != earlier, r.from));
        for page in &pages {
            let (_, bundle) = super::export_ranges_bundle(
                ledger,
                std::slice::from_ref(page),
                client.base(),
                Vec::new(),
            )?;
            let answer = client.push(&endorser, &bundle)?;
            if page.series_id == later {
                taken = answer.outcomes.iter().any(|o| {
                    o.series_id == later && matches!(o.taken, Taken::New | Taken::Present)
                });
            }
        }
        taken |= hub.heads.iter().any(|h| h.series_id == later);
    }
    Ok(taken)
}

/// Pulls until the hub has nothing more. A second thread asks for the next page while this
/// one is stored (the heads it sends are moved on by what each page carries), and pages are
/// stored in batches of [`IMPORT_ENTRIES_PER_COMMIT`] entries whatever page they came in: a
/// new counter's million entries come in at the speed of a bundle import. A series refused
/// here is not asked for again.
pub(super) fn pull_all(
    ledger: &mut Ledger,
    client: &HubClient,
    device: &crate::keys::Device,
    to_pull: u64,
    summary: &mut Summary,
    progress: &mut dyn FnMut(Step),
) -> Result<(), SyncError> {
    let heads = ledger.heads()?;
    let skip: Mutex<Vec<Uuid>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        let (send, receive) =
            std::sync::mpsc::sync_channel::<Result<(Vec<u8>, bool), ClientError>>(PULLS_AHEAD);
        let skip = &skip;
        scope.spawn(move || {
            let mut heads = heads;
            for _ in 0..PULLS_MAX {
                let request = PullRequest {
                    heads: heads.clone(),
                    entries_max: EXCHANGE_ENTRIES_MAX as u32,
                    skip: skip.lock().unwrap_or_else(|p| p.into_inner()).clone(),
                };
                match client.pull(device, &request) {
                    Ok((bundle, more)) => {
                        advance(&mut heads, &bundle);
                        if send.send(Ok((bundle, more))).is_err() || !more {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                }
            }
        });
        store_pulled(
            ledger,
            client.base(),
            receive,
            skip,
            to_pull,
            summary,
            progress,
        )
    })
}

/// Pages asked for ahead of the one being stored.
const PULLS_AHEAD: usize = 2;

/// Moves `heads` on by the ranges a pulled bundle says it carries.
fn advance(heads: &mut Vec<crate::district::Head>, bundle: &[u8]) {
    let Ok(mut reader) = BundleReader::new(bundle) else {
        return;
    };
    let Ok(Some(Frame::Header(header))) = reader.next_frame() else {
        return;
    };
    for range in &header.ranges {
        match heads.iter_mut().find(|h| h.series_id == range.series_id) {
            Some(head) if head.seq < range.to => {
                head.seq = range.to;
                head.hash = String::new();
            }
            Some(_) => {}
            None => heads.push(crate::district::Head {
                series_id: range.series_id,
                seq: range.to,
                hash: String::new(),
            }),
        }
    }
}

/// Stores the bundles arriving on `receive` as one import.
fn store_pulled(
    ledger: &mut Ledger,
    name: &str,
    receive: std::sync::mpsc::Receiver<Result<(Vec<u8>, bool), ClientError>>,
    skip: &Mutex<Vec<Uuid>>,
    to_pull: u64,
    summary: &mut Summary,
    progress: &mut dyn FnMut(Step),
) -> Result<(), SyncError> {
    let mut import: Option<crate::ledger::district::Import<'_>> = None;
    let mut pages: Vec<crate::district::Page> = Vec::new();
    let mut pending = 0;
    let mut whole = true;
    let mut failed: Option<ClientError> = None;
    for received in receive {
        let (bundle, _more) = match received {
            Ok(r) => r,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        let unreadable = || LedgerError::BundleUnreadable {
            file: name.to_string(),
        };
        let mut reader = BundleReader::new(bundle.as_slice()).map_err(|_| unreadable())?;
        loop {
            match reader.next_frame() {
                Ok(Some(Frame::Header(header))) => match &mut import {
                    None => import = Some(ledger.import(name, &header)?),
                    Some(import) => import.expect(&header.ranges),
                },
                Ok(Some(Frame::Certificates(c))) => {
                    import.as_mut().ok_or_else(unreadable)?.certificates(&c)?
                }
                Ok(Some(Frame::Keys(k))) => import.as_mut().ok_or_else(unreadable)?.keys(&k)?,
                Ok(Some(Frame::Page(page))) => {
                    pending += page.entries.len();
                    pages.push(page);
                }
                Ok(Some(Frame::End(seal))) => {
                    let import = import.as_mut().ok_or_else(unreadable)?;
                    whole &= import
                        .exporter_key()?
                        .is_some_and(|key| reader.end_holds(&seal, &key))
                        && reader.damaged() == 0;
                    break;
                }
                // Without its end the bundle was cut: what was whole is stored.
                Ok(None) | Err(ReadProblem::Cut) | Err(ReadProblem::NotABundle) => {
                    whole = false;
                    break;
                }
                Err(ReadProblem::Damaged { .. }) => whole = false,
            }
        }
        if pending >= IMPORT_ENTRIES_PER_COMMIT
            && let Some(import) = &mut import
        {
            import.pages(&std::mem::take(&mut pages))?;
            pending = 0;
            *skip.lock().unwrap_or_else(|p| p.into_inner()) = import.refused_series();
            progress(Step::Pulled {
                done: import.entries_read(),
                total: to_pull.max(import.entries_read()),
            });
        }
    }
    if let Some(mut import) = import {
        import.pages(&pages)?;
        let read = import.entries_read();
        let end = if whole && failed.is_none() {
            BundleEnd::Whole
        } else {
            BundleEnd::Truncated
        };
        let report = import.finish(end)?;
        summary.pulled_new += report.new;
        summary.pulled_present += report.present;
        summary.erased.extend(report.erased.iter().cloned());
        summary.pull_refusals.extend(report.refused);
        summary.pull_forks.extend(report.forks);
        progress(Step::Pulled {
            done: read,
            total: to_pull.max(read),
        });
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_nights_never_push_out_the_backup_of_the_last_good_sync() {
        let backups: Vec<PathBuf> = (1..=10)
            .map(|n| PathBuf::from(format!("backups/ledger-202612{n:02}-020000.000.db")))
            .collect();
        // The 3rd night was the last that reached the hub; seven failed since.
        let removed = to_remove(&backups, 7, "ledger-20261203-020000.000.db");
        assert_eq!(removed, vec![&backups[0], &backups[1]]);
        // Nothing marked (a counter never synced): the newest seven stay.
        assert_eq!(to_remove(&backups, 7, "").len(), 3);
    }
}
