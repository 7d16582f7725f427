//! Restoring a home's database from a backup without ever signing a seq twice.
//!
//! A backup is older than the database it replaces: entries signed after it was taken are
//! lost with the restore (they may still exist elsewhere: on printed slips, at the hub). Their
//! seqs were used, so the counter must never sign another entry with one of them, or the
//! district ledger would hold two different entries under one (counter, seq): a fork. So when
//! the backup lacks entries this counter signed (by the current database if it can be read, and
//! by the head anchor, which is kept outside the database), the restored counter goes on in a
//! new series: a new device key, whose first entry names the series and head it continues
//! (signed by the old key too when it is at hand). The old series is retired in the anchor with
//! the highest seq it ever used.
//!
//! A resident erased after the backup was taken is erased again: the ids of erased residents
//! are kept in the home's `erasures` file (and read from the current database), their keys are
//! removed from the restored database and the erasure is written to its log.
//!
//! The backup file itself is never changed: it is copied into the home first and everything is
//! checked on the copy. Steps are ordered so that a crash leaves either the old database or a
//! restored one with a key that matches it.

use super::Home;
use crate::keys::Device;
use crate::ledger::{LedgerError, Result, restore as db};
use crate::store::anchor::{Anchor, AnchorFile};
use crate::store::{self, log, verify};
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The file listing erased residents, one id a line, beside ledger.db.
pub const ERASURES_FILE_NAME: &str = "erasures";
/// Lines read from the erasures file at most (one per erased resident).
const ERASURES_MAX: usize = 1_000_000;

/// What a restore would do, for the administrator to confirm.
pub struct RestorePlan {
    /// The backup copied into the home (`ledger.db.incoming`), checked.
    incoming: PathBuf,
    pub backup_entries: u64,
    /// Entries this counter signed that the backup does not hold; lost with the restore.
    pub lacking: i64,
    /// Local time of the newest entry of the current database the backup lacks.
    pub lacking_newest_at: Option<String>,
    /// Whether the current database could be read (else it is moved aside whole).
    pub current_readable: bool,
    /// The restored counter continues in a new series (some seqs after the backup were used).
    pub new_series: bool,
    /// Residents erased since the backup was taken: erased again after the restore.
    pub erase_again: Vec<String>,
    /// The highest seq each own series used, by the anchor and the current database.
    used: Vec<(Uuid, i64)>,
    /// The backup's own series, the one the restored counter writes or continues.
    backup_series: Uuid,
    /// Its head in the backup.
    backup_head: i64,
    /// The hub the backup's counter syncs with (address, certificate authority), if any.
    pub hub: Option<(String, Option<String>)>,
    /// What the hub said of the backup's series, when it was asked.
    pub hub_check: HubCheck,
}

/// What a restore learnt from the hub before writing on in the backup's series.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "hub")]
pub enum HubCheck {
    /// Not asked: no hub, or the restore starts a new series anyway.
    #[default]
    NotAsked,
    /// The hub holds the series no further than the backup: it writes on in it.
    Agrees,
    /// The hub holds entries after the backup (the old PC synced after it was taken): the
    /// counter goes on in a new series.
    Ahead { hub_seq: i64 },
    /// The hub could not be asked: the counter goes on in a new series, never risking one
    /// seq signed twice.
    Unreachable { error: String },
}

impl RestorePlan {
    /// A restore that would write on in the backup's series (the old key is here) first asks
    /// the hub how far it holds that series: the hub's head (`Ok`), or why it could not be
    /// asked (`Err`). Anything but "no further than the backup" makes it a new series.
    pub fn learn_from_hub(&mut self, answer: std::result::Result<i64, String>) {
        if self.new_series {
            return;
        }
        self.hub_check = match answer {
            Ok(hub_seq) if hub_seq <= self.backup_head => HubCheck::Agrees,
            Ok(hub_seq) => {
                self.new_series = true;
                for (id, used) in &mut self.used {
                    if *id == self.backup_series {
                        *used = (*used).max(hub_seq);
                    }
                }
                HubCheck::Ahead { hub_seq }
            }
            Err(error) => {
                self.new_series = true;
                HubCheck::Unreachable { error }
            }
        };
    }

    /// The series a plan would write on in, when it would (the hub is asked about it).
    pub fn writes_on_in(&self) -> Option<Uuid> {
        (!self.new_series).then_some(self.backup_series)
    }
}

impl Drop for RestorePlan {
    /// The backup's copy goes with the plan, restored or not.
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.incoming.display()));
        }
    }
}

/// What a restore did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RestoreOutcome {
    pub entries: u64,
    /// Where the replaced database was kept.
    pub previous: PathBuf,
    /// The new series, when the counter continues in one.
    pub new_series: Option<Uuid>,
    pub erased_again: Vec<String>,
}

impl Home {
    pub fn anchor_path(&self) -> PathBuf {
        store::anchor::path_for(&self.db_path())
    }

    pub fn erasures_path(&self) -> PathBuf {
        self.dir.join(ERASURES_FILE_NAME)
    }

    fn incoming_path(&self) -> PathBuf {
        self.dir.join("ledger.db.incoming")
    }

    /// The key of an earlier series of this counter, kept when a restore retired it.
    pub fn retired_device(&self, series_id: &Uuid) -> Option<Device> {
        Device::load(&self.retired_key_path(series_id)).ok()
    }

    /// Keeps `old`, the key of an earlier series of this counter, among the retired keys: it
    /// endorses the series after it (a recovery with the old key; a later introduction).
    pub fn retire_key(&self, old: &Device) -> Result<()> {
        let path = self.retired_key_path(&old.series_id);
        super::create_private_dir(path.parent().expect("retired keys have a folder"))
            .map_err(|e| LedgerError::file(&path, &e))?;
        old.save_new(&path).map_err(LedgerError::from)
    }

    pub(crate) fn retired_key_path(&self, series_id: &Uuid) -> PathBuf {
        self.dir
            .join("keys")
            .join("retired")
            .join(format!("{series_id}.key"))
    }

    /// Remembers that a resident was erased, outside the database, so that restoring an older
    /// backup cannot bring their data back.
    pub fn record_erasure(&self, resident: &str) -> Result<()> {
        use std::io::Write;
        let path = self.erasures_path();
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&path)
            .map_err(|e| LedgerError::file(&path, &e))?;
        writeln!(file, "{resident}")
            .and_then(|()| file.sync_all())
            .map_err(|e| LedgerError::file(&path, &e))
    }

    fn recorded_erasures(&self) -> Result<BTreeSet<String>> {
        match std::fs::read_to_string(self.erasures_path()) {
            Ok(text) => Ok(text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take(ERASURES_MAX)
                .map(str::to_string)
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
            Err(e) => Err(LedgerError::file(&self.erasures_path(), &e)),
        }
    }

    /// Copies the backup into the home, checks the copy, and works out what restoring it
    /// means. Changes nothing of the home but the copy.
    pub fn plan_restore(&self, backup: &Path) -> Result<RestorePlan> {
        let device = Device::load(&self.key_path())?;
        let incoming = self.incoming_path();
        copy_backup(backup, &incoming)?;
        let copy = store::open(&incoming)?;
        let backup_series = db::series_id_of(&copy)?
            .ok_or_else(|| LedgerError::RestoreMismatch(backup.display().to_string()))?;
        let anchor = AnchorFile::open(&self.db_path())
            .ok()
            .flatten()
            .and_then(|a| a.read().ok());
        let mut lineage: BTreeSet<Uuid> = BTreeSet::from([device.series_id]);
        lineage.extend(
            anchor
                .iter()
                .flat_map(|a| a.heads.iter().map(|h| h.series_id)),
        );
        if !lineage.contains(&backup_series) {
            return Err(LedgerError::RestoreMismatch(backup.display().to_string()));
        }
        let report = verify::verify(
            &copy,
            &verify::Expect {
                own_series: &[],
                claims_up_to: &std::collections::HashMap::new(),
                anchor: verify::AnchorState::Missing,
            },
        )?;
        if let Some(problem) = report.problems.into_iter().find(|p| p.breaks_the_log()) {
            return Err(LedgerError::LedgerBroken(problem));
        }
        let lineage: Vec<Uuid> = lineage.into_iter().collect();
        let restored: Vec<(Uuid, i64)> = log::own_heads(&copy, &lineage)?
            .into_iter()
            .map(|h| (h.series_id, h.seq))
            .collect();
        let current = self.open().ok();
        let current_heads: Vec<log::Appended> = match &current {
            Some(ledger) => log::own_heads(ledger.connection(), &lineage)?,
            None => Vec::new(),
        };
        let mut used = Vec::new();
        let mut lacking = 0;
        let mut new_series = false;
        let mut lacking_newest_at = None;
        for id in &lineage {
            let anchored = anchor
                .as_ref()
                .and_then(|a| a.head(id))
                .map_or(0, |h| h.used_seq);
            let in_current = current_heads.iter().find(|h| h.series_id == *id);
            let used_seq = anchored.max(in_current.map_or(0, |h| h.seq));
            let kept = restored
                .iter()
                .find(|(r, _)| r == id)
                .map_or(0, |(_, s)| *s);
            // What the administrator loses: the entries of the current database the backup
            // does not hold; when that database cannot be read, what the anchor says was signed.
            let known = match &current {
                Some(_) => in_current.map_or(0, |h| h.seq),
                None => used_seq,
            };
            if known > kept {
                lacking += known - kept;
                if let (Some(head), Some(ledger)) = (in_current, &current) {
                    lacking_newest_at = Some(ledger.local_time(&head.recorded_at));
                }
            }
            new_series |= used_seq > kept;
            used.push((*id, used_seq));
        }
        let writes_on = backup_series == device.series_id
            && restored.iter().any(|(id, _)| *id == device.series_id);
        let mut erased: BTreeSet<String> = self.recorded_erasures()?;
        if let Some(ledger) = &current {
            erased.extend(db::erased_residents(ledger.connection())?);
        }
        let mut erase_again = Vec::new();
        for resident in erased {
            if db::holds_key_of(&copy, &resident)? {
                erase_again.push(resident);
            }
        }
        let backup_head = restored
            .iter()
            .find(|(id, _)| *id == backup_series)
            .map_or(0, |(_, s)| *s);
        let hub = db::hub_of(&copy)?;
        Ok(RestorePlan {
            backup_head,
            hub,
            hub_check: HubCheck::NotAsked,
            incoming,
            backup_entries: report.entries,
            lacking,
            lacking_newest_at,
            current_readable: current.is_some(),
            new_series: new_series || !writes_on,
            erase_again,
            used,
            backup_series,
        })
    }

    /// The administrator check of a restore: on the current ledger when it can be read (with
    /// its lockout), else on the backup's copy.
    pub fn restore_login(&self, plan: &RestorePlan, operator: &str, pin: &str) -> Result<()> {
        if plan.current_readable {
            let mut ledger = self.open()?;
            let session = ledger.login(operator, pin)?;
            if !session.is_admin() {
                return Err(LedgerError::NotAdmin(session.operator().to_string()));
            }
            return Ok(());
        }
        db::check_admin_pin(&Connection::open(&plan.incoming)?, operator, pin)
    }

    /// Restores the planned backup. The administrator was checked by [`Home::restore_login`].
    pub fn restore(&self, plan: RestorePlan, operator: &str, pin: &str) -> Result<RestoreOutcome> {
        let previous = super::aside(&self.db_path(), "before-restore");
        if plan.current_readable {
            let mut ledger = self.open()?;
            ledger.backup(&previous)?;
            ledger.replace_database(&plan.incoming)?;
        } else {
            // The current database cannot be read: keep it aside whole, files and all.
            for (from, suffix) in [
                (self.db_path(), ""),
                (self.dir.join("ledger.db-wal"), "-wal"),
            ] {
                if from.exists() {
                    let to = PathBuf::from(format!("{}{suffix}", previous.display()));
                    std::fs::rename(&from, &to).map_err(|e| LedgerError::file(&from, &e))?;
                }
            }
            let _ = std::fs::remove_file(self.dir.join("ledger.db-shm"));
            std::fs::rename(&plan.incoming, self.db_path())
                .map_err(|e| LedgerError::file(&self.db_path(), &e))?;
        }
        let new_series = if plan.new_series {
            Some(self.continue_in_new_series(&plan, operator)?)
        } else {
            self.anchor_restored(&plan)?;
            None
        };
        let mut ledger = self.open()?;
        let session = ledger.login(operator, pin)?;
        let mut erased_again = Vec::new();
        for resident in &plan.erase_again {
            match ledger.erase_resident(&session, resident) {
                Ok(()) | Err(LedgerError::ResidentErased(_)) => erased_again.push(resident.clone()),
                Err(e) => return Err(e),
            }
        }
        let entries = ledger.verify()?.entries;
        Ok(RestoreOutcome {
            entries,
            previous,
            new_series,
            erased_again,
        })
    }

    /// The restored database continues in a new series: its first entry is written (signed by
    /// the new key, linked to the backup's head, endorsed by the old key), then the new key
    /// replaces the old one (kept retired, never loaded again), then the anchor says so.
    fn continue_in_new_series(&self, plan: &RestorePlan, operator: &str) -> Result<Uuid> {
        let old = Device::load(&self.key_path())?;
        let successor = Device::generate()?;
        let continued = plan.backup_series;
        let used_seq = plan
            .used
            .iter()
            .find(|(id, _)| *id == continued)
            .map_or(0, |(_, s)| *s);
        // Whichever key signed the continued series, if this home still has it.
        let endorser = if old.series_id == continued {
            Some(old)
        } else {
            Device::load(&self.retired_key_path(&continued)).ok()
        };
        // The new key goes beside the old one first: a crash after the database has the new
        // series' first entry leaves the key that matches it on disk.
        let next = self.key_path().with_extension("key.next");
        let _ = std::fs::remove_file(&next);
        successor.save_new(&next)?;
        let mut conn = store::open(&self.db_path())?;
        let first = db::begin_successor(
            &mut conn,
            &successor,
            continued,
            used_seq,
            endorser.as_ref(),
            operator,
            chrono::Utc::now(),
        )?;
        drop(conn);
        let current = Device::load(&self.key_path())?;
        let retired = self.retired_key_path(&current.series_id);
        super::create_private_dir(retired.parent().expect("retired keys have a folder"))
            .map_err(|e| LedgerError::file(&retired, &e))?;
        std::fs::rename(self.key_path(), &retired).map_err(|e| LedgerError::file(&retired, &e))?;
        std::fs::rename(&next, self.key_path())
            .map_err(|e| LedgerError::file(&self.key_path(), &e))?;
        let mut anchor = self.anchor_for_restored(plan)?;
        for head in &mut anchor.heads {
            head.retired = true;
        }
        anchor.advance(
            successor.series_id,
            first.seq,
            &first.hash,
            &first.signature,
        );
        AnchorFile::create(&self.db_path(), &anchor)
            .map_err(|e| LedgerError::file(&self.anchor_path(), &e))?;
        Ok(successor.series_id)
    }

    /// The anchor after a restore: each own series at the head the restored log holds (it must
    /// keep at least that), with the highest seq it ever used.
    fn anchor_for_restored(&self, plan: &RestorePlan) -> Result<Anchor> {
        let conn = store::open(&self.db_path())?;
        let ids: Vec<Uuid> = plan.used.iter().map(|(id, _)| *id).collect();
        let mut anchor = Anchor::default();
        for head in log::own_heads(&conn, &ids)? {
            anchor.advance(head.series_id, head.seq, &head.hash, &head.signature);
        }
        let old = AnchorFile::open(&self.db_path())
            .ok()
            .flatten()
            .and_then(|a| a.read().ok())
            .unwrap_or_default();
        for head in &mut anchor.heads {
            head.used_seq = plan
                .used
                .iter()
                .find(|(id, _)| *id == head.series_id)
                .map_or(head.seq, |(_, s)| (*s).max(head.seq));
            head.retired = old.head(&head.series_id).is_some_and(|h| h.retired);
        }
        Ok(anchor)
    }

    fn anchor_restored(&self, plan: &RestorePlan) -> Result<()> {
        let anchor = self.anchor_for_restored(plan)?;
        AnchorFile::create(&self.db_path(), &anchor)
            .map_err(|e| LedgerError::file(&self.anchor_path(), &e))?;
        Ok(())
    }
}

/// Copies a backup file into `to` with SQLite's backup API, reading the backup read-only (a
/// backup of an older version is migrated on the copy, never in the administrator's file).
fn copy_backup(backup: &Path, to: &Path) -> Result<()> {
    if !backup.is_file() {
        return Err(LedgerError::file(
            backup,
            &std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    for stale in [
        to.to_path_buf(),
        PathBuf::from(format!("{}-wal", to.display())),
    ] {
        let _ = std::fs::remove_file(stale);
    }
    crate::keys::create_private_file(to).map_err(|e| LedgerError::file(to, &e))?;
    // Immutable: read without locks, so nothing (no -wal, no -shm) is left beside the backup,
    // which may be on a USB stick or shared by another restore.
    let source = Connection::open_with_flags(
        immutable_uri(backup),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
            | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )?;
    source.backup(
        rusqlite::MAIN_DB,
        to,
        None::<fn(rusqlite::backup::Progress)>,
    )?;
    Ok(())
}

/// The SQLite URI that opens `path` read-only as an unchanging file (`?immutable=1`), its
/// characters that mean something in a URI escaped.
fn immutable_uri(path: &Path) -> String {
    let escaped = path
        .to_string_lossy()
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    format!("file:{escaped}?immutable=1")
}
