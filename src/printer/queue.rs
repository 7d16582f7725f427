//! The persistent print queue (`print-queue.db` in the home): every slip is queued before it
//! is sent and marked printed only after the printer says it is fine, so a slip that met an
//! empty paper roll or a pulled cable survives a restart and can be reprinted. A separate
//! database from the ledger: printing never holds a ledger lock.

use super::layout::Block;
use super::status::Problem;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

/// Jobs listed at most by `waiting()`: more than this means the printer has been broken for
/// days and the administrator needs a different conversation.
pub const WAITING_JOBS_MAX: i64 = 1_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id         INTEGER PRIMARY KEY,
    txn        TEXT,
    kind       TEXT NOT NULL,
    blocks     TEXT,              -- JSON; cleared once printed (a passbook slip holds a token)
    state      TEXT NOT NULL,     -- waiting | printed | superseded
    problem    TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    printed_at TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs (state, id);
CREATE INDEX IF NOT EXISTS jobs_by_txn ON jobs (txn);
";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub txn: Option<String>,
    pub kind: String,
    pub blocks: Vec<Block>,
    pub problem: Option<String>,
    pub attempts: i64,
    pub created_at: String,
}

pub struct Queue {
    conn: Connection,
}

/// `print-queue.db-wal` beside `print-queue.db`.
fn sidecar(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Takes group and other permissions off a file that has them (a queue made by an older
/// version, or by the sqlite3 shell); a missing file is left missing. Best effort: a file we
/// cannot change is still opened, as before.
fn restrict_to_owner(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

fn now() -> String {
    crate::store::log::format_time(chrono::Utc::now())
}

impl Queue {
    /// Opens (or creates) the queue, owner-only: its jobs hold residents' names and, until
    /// printed, passbook tokens. SQLite gives its -wal and -shm files the database's mode.
    pub fn open(path: &Path) -> rusqlite::Result<Queue> {
        if !path.exists() {
            let _ = crate::keys::create_private_file(path);
        }
        for file in [
            path.to_path_buf(),
            sidecar(path, "-wal"),
            sidecar(path, "-shm"),
        ] {
            restrict_to_owner(&file);
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_millis(
            crate::store::BUSY_TIMEOUT_MS,
        ))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Queue { conn })
    }

    /// Queues a slip before it is sent; returns its id.
    pub fn enqueue(
        &self,
        txn: Option<&str>,
        kind: &str,
        blocks: &[Block],
    ) -> rusqlite::Result<i64> {
        let json = serde_json::to_string(blocks).expect("blocks serialise");
        self.conn.execute(
            "INSERT INTO jobs (txn, kind, blocks, state, created_at) VALUES (?1, ?2, ?3, 'waiting', ?4)",
            params![txn, kind, json, now()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn mark_printed(&self, id: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE jobs SET state = 'printed', blocks = NULL, problem = NULL,
                 attempts = attempts + 1, printed_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    pub fn mark_failed(&self, id: i64, problem: Problem) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE jobs SET problem = ?2, attempts = attempts + 1 WHERE id = ?1",
            params![id, problem.as_str()],
        )?;
        Ok(())
    }

    /// A reprint replaced these jobs: they will not print again.
    pub fn supersede(&self, ids: &[i64]) -> rusqlite::Result<()> {
        for id in ids {
            self.conn.execute(
                "UPDATE jobs SET state = 'superseded', blocks = NULL WHERE id = ?1 AND state = 'waiting'",
                [id],
            )?;
        }
        Ok(())
    }

    fn job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
        let blocks: Option<String> = row.get(3)?;
        Ok(Job {
            id: row.get(0)?,
            txn: row.get(1)?,
            kind: row.get(2)?,
            blocks: blocks
                .and_then(|b| serde_json::from_str(&b).ok())
                .unwrap_or_default(),
            problem: row.get(4)?,
            attempts: row.get(5)?,
            created_at: row.get(6)?,
        })
    }

    /// Slips still waiting for the printer, oldest first.
    pub fn waiting(&self) -> rusqlite::Result<Vec<Job>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, txn, kind, blocks, problem, attempts, created_at FROM jobs
             WHERE state = 'waiting' ORDER BY id LIMIT ?1",
        )?;
        stmt.query_map([WAITING_JOBS_MAX], Self::job_from_row)?
            .collect()
    }

    /// The waiting slips of one txn.
    pub fn waiting_for(&self, txn: &str) -> rusqlite::Result<Vec<Job>> {
        Ok(self
            .waiting()?
            .into_iter()
            .filter(|j| j.txn.as_deref() == Some(txn))
            .collect())
    }

    /// The kind of slip last queued for a txn, printed or not.
    pub fn kind_of(&self, txn: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT kind FROM jobs WHERE txn = ?1 ORDER BY id DESC LIMIT 1",
                [txn],
                |r| r.get(0),
            )
            .optional()
    }

    /// Times a txn's slip reached the printer.
    pub fn printed_count(&self, txn: &str) -> rusqlite::Result<i64> {
        self.conn.query_row(
            "SELECT COUNT(*) FROM jobs WHERE txn = ?1 AND state = 'printed'",
            [txn],
            |r| r.get(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_and_its_wal_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("print-queue.db");
        let queue = Queue::open(&path).unwrap();
        queue
            .enqueue(None, "passbook", &[Block::Qr("PD1X".into())])
            .unwrap();
        for name in ["print-queue.db", "print-queue.db-wal", "print-queue.db-shm"] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        drop(queue);

        // A queue left readable by others (an older version, the sqlite3 shell) is closed up.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _queue = Queue::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_waiting_job_survives_reopening_and_loses_its_blocks_once_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("print-queue.db");
        let blocks = vec![Block::Line("洗衣皂".into()), Block::Qr("PD1X".into())];
        let id = {
            let queue = Queue::open(&path).unwrap();
            let id = queue.enqueue(Some("t1"), "redeem", &blocks).unwrap();
            queue.mark_failed(id, Problem::PaperOut).unwrap();
            id
        };
        let queue = Queue::open(&path).unwrap();
        let waiting = queue.waiting().unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].blocks, blocks);
        assert_eq!(waiting[0].problem.as_deref(), Some("paper-out"));
        queue.mark_printed(id).unwrap();
        assert!(queue.waiting().unwrap().is_empty());
        assert_eq!(queue.printed_count("t1").unwrap(), 1);
        let left: Option<String> = queue
            .conn
            .query_row("SELECT blocks FROM jobs WHERE id = ?1", [id], |r| r.get(0))
            .unwrap();
        assert_eq!(left, None, "a printed passbook token is not kept");
    }
}
