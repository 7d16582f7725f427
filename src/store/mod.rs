//! SQLite storage: opening a database with the durability we promise, append-only migrations,
//! the entry log, projections, verify and rebuild. Knows tables and bytes, not business rules.

pub mod anchor;
pub mod cell;
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
];

/// Opens (creating if needed) a ledger database in WAL mode with `synchronous=FULL`.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    migrate(&mut conn)?;
    Ok(conn)
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
