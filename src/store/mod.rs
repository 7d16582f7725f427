//! SQLite storage: opening a database with the durability we promise, append-only migrations,
//! the entry log, projections, verify and rebuild. Knows tables and bytes, not business rules.

pub mod anchor;
pub mod cell;
pub mod claims;
pub mod ingest;
pub mod log;
pub mod projection;
pub mod verify;

use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// How long a writer waits for another process's transaction before giving up. A redemption
/// commits in milliseconds; a nightly sync page in well under a second.
pub const BUSY_TIMEOUT_MS: u64 = 30_000;

/// Page cache per connection, in KiB (SQLite's negative-size convention).
const CACHE_KIB_NEGATIVE: i64 = -16_384;
/// Most of the database file mapped into memory for reads.
const MMAP_BYTES_MAX: i64 = 256 * 1024 * 1024;
/// WAL pages before a commit runs a checkpoint itself (16 MiB of WAL).
const WAL_AUTOCHECKPOINT_PAGES: i64 = 4_000;

/// Applied in order; `PRAGMA user_version` counts how many have run. Never edit one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_entries_by_time.sql"),
    include_str!("migrations/0003_entries_by_short_txn.sql"),
    include_str!("migrations/0004_balance_seals.sql"),
    include_str!("migrations/0005_district.sql"),
    include_str!("migrations/0006_hub.sql"),
    include_str!("migrations/0007_report_tallies.sql"),
    include_str!("migrations/0008_claims.sql"),
    include_str!("migrations/0009_data_keys.sql"),
    include_str!("migrations/0010_registrations.sql"),
    include_str!("migrations/0011_series_id.sql"),
    include_str!("migrations/0012_origin.sql"),
    include_str!("migrations/0013_token_holders.sql"),
];

/// Whether a SQLite error means the disk is full: SQLITE_FULL on a write, or the shared-memory
/// index of WAL mode (`-shm`) that could not be given its pages when a connection opened.
pub fn is_disk_full(error: &rusqlite::Error) -> bool {
    /// SQLITE_IOERR_SHMSIZE: the -shm file could not be extended.
    const SQLITE_IOERR_SHMSIZE: std::ffi::c_int = 10 | (19 << 8);
    matches!(error, rusqlite::Error::SqliteFailure(e, _)
        if e.code == rusqlite::ErrorCode::DiskFull || e.extended_code == SQLITE_IOERR_SHMSIZE)
}

/// Opens a ledger database for reading only, for the commands that only look (balance,
/// history, verify), so that they work on a full disk: when the shared-memory index cannot be
/// made for lack of space and no process has the database open (its WAL is empty), the file is
/// read as it is on disk (`immutable`), which is then exactly the committed state.
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    match open(path).and_then(|conn| probe(&conn).map(|()| conn)) {
        Err(error) if is_disk_full(&error) && wal_is_empty(path) => {
            let uri = format!("file:{}?immutable=1", path.display());
            let conn = Connection::open_with_flags(
                uri,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_URI
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            probe(&conn)?;
            Ok(conn)
        }
        other => other,
    }
}

fn probe(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(drop)
}

fn wal_is_empty(path: &Path) -> bool {
    let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
    std::fs::metadata(wal).map_or(true, |m| m.len() == 0)
}

/// Opens (creating if needed) a ledger database in WAL mode with `synchronous=FULL`, migrated
/// to the newest schema (and its projections folded again when a migration reshaped them).
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    migrate(&mut conn)?;
    rebuild_if_needed(&mut conn)?;
    Ok(conn)
}

/// A migration that recreates projection tables leaves `rebuild_needed` in meta; the fold
/// runs here, under the write lock, and clears it in the same transaction. A log that does not
/// verify is left as it is (the tables stay empty, `ledger verify` says why).
fn rebuild_if_needed(conn: &mut Connection) -> rusqlite::Result<()> {
    let needed = |conn: &Connection| -> rusqlite::Result<bool> {
        conn.prepare_cached("SELECT 1 FROM meta WHERE key = 'rebuild_needed'")?
            .exists([])
    };
    if !needed(conn)? {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if needed(&tx)? && verify::rebuild_in(&tx)?.is_ok() {
        tx.execute("DELETE FROM meta WHERE key = 'rebuild_needed'", [])?;
    }
    tx.commit()
}

pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Destroyed resident keys are overwritten on disk, not just unlinked from the b-tree.
    conn.pragma_update(None, "secure_delete", "ON")?;
    // Reads through the page cache and mmap instead of a pread per page: at a million entries
    // the interior pages of the log and postings b-trees stay resident (a few MB).
    conn.pragma_update(None, "cache_size", CACHE_KIB_NEGATIVE)?;
    conn.pragma_update(None, "mmap_size", MMAP_BYTES_MAX)?;
    // A redemption writes about a dozen pages; checkpointing every 1000 pages (the default)
    // would put a checkpoint into more than 1% of commits. Closing the last connection and
    // `Ledger::checkpoint` at idle times do the rest.
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
    // Plans that do not depend on the values bound: without it SQLite re-prepares a cached
    // statement whenever a new value is bound to a parameter it might plan around (the head
    // look-up, the txn look-up, the seals): a third of a redemption's CPU time.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if applied >= MIGRATIONS.len() as i64 {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Another process may have migrated while we waited for the lock.
    let applied: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
    }
    tx.commit()
}
