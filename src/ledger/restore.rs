//! What a restore from a backup needs of the database: the PIN check against a database that is
//! not open as a ledger yet, the residents erased (their erasure must survive an old backup),
//! putting the backup's pages into the live database, and the first entry of the new series a
//! counter continues in when the backup lacked entries it had signed.

use super::read;
use super::{LedgerError, Result};
use crate::domain::ids::NumberKind;
use crate::domain::{Body, Role, SeriesLink};
use crate::keys::Device;
use crate::store::log::{self, Appended, SqlKeys};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;
use uuid::Uuid;

/// Checks an administrator's PIN against a database that is not a live ledger (a backup about
/// to be restored, when the current database cannot be read). No lockout is counted: the file
/// is the restorer's anyway.
pub fn check_admin_pin(conn: &Connection, operator: &str, pin: &str) -> Result<()> {
    let operator = operator.trim();
    let origin = match series_id_of(conn)? {
        Some(id) => log::series_of(conn, &id)?.map(|s| s.origin),
        None => None,
    }
    .unwrap_or_default();
    let row = read::operator(conn, &origin, operator)?
        .ok_or_else(|| LedgerError::OperatorUnknown(operator.to_string()))?;
    if !row.enabled {
        return Err(LedgerError::OperatorDisabled(row.operator));
    }
    let pin_hash: String = conn.query_row(
        "SELECT pin_hash FROM operator_secrets WHERE operator = ?1",
        [&row.operator],
        |r| r.get(0),
    )?;
    if !super::pin_matches(pin, &pin_hash) {
        return Err(LedgerError::WrongPin { failures_left: 0 });
    }
    if row.role != Role::Admin {
        return Err(LedgerError::NotAdmin(row.operator));
    }
    Ok(())
}

/// Residents whose personal data was erased, by the log of `conn`.
pub fn erased_residents(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT resident FROM residents WHERE erased = 1 ORDER BY resident")?;
    let residents = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(residents)
}

/// Whether `conn` still holds a resident's sealing key (their data can be read).
pub fn holds_key_of(conn: &Connection, resident: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM resident_keys WHERE resident = ?1")?
        .exists([resident])?)
}

/// The counter id a database says it belongs to.
pub fn series_id_of(conn: &Connection) -> Result<Option<Uuid>> {
    let text: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT value FROM meta WHERE key = 'series_id'",
        [],
        |r| r.get(0),
    ))?;
    Ok(text.and_then(|t| Uuid::parse_str(&t).ok()))
}

/// The hub a database syncs with (address, certificate authority), if it has one.
pub fn hub_of(conn: &Connection) -> Result<Option<(String, Option<String>)>> {
    let found = conn.query_row(
        "SELECT hub_url, hub_ca FROM district WHERE id = 1 AND hub_url IS NOT NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    match found {
        Ok(hub) => Ok(Some(hub)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        // A database from before the district table.
        Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes the first entry of `successor`'s series into `conn`: the same community, prefix,
/// counter and time zone as the series it continues, and the link to that series' head; the
/// database now belongs to the successor. `endorser`, the continued series' own key when it is
/// at hand, signs the link.
pub fn begin_successor(
    conn: &mut Connection,
    successor: &Device,
    continued: Uuid,
    used_seq: i64,
    endorser: Option<&Device>,
    operator: &str,
    now: DateTime<Utc>,
) -> Result<Appended> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let series = log::series_of(&tx, &continued)?
        .ok_or_else(|| LedgerError::RestoreMismatch(continued.to_string()))?;
    let head = log::own_heads(&tx, &[continued])?
        .pop()
        .ok_or_else(|| LedgerError::RestoreMismatch(continued.to_string()))?;
    let mut link = SeriesLink {
        series_id: continued.to_string(),
        seq: head.seq,
        hash: hex::encode(head.hash),
        used_seq: used_seq.max(head.seq),
        origin: Some(series.origin.clone()),
        endorsement: None,
    };
    let public_key = hex::encode(successor.public_key().to_bytes());
    if let Some(endorser) = endorser.filter(|d| d.series_id == continued) {
        let bytes = link.endorsed_bytes(&successor.series_id.to_string(), &public_key);
        link.endorsement = Some(hex::encode(endorser.sign_bytes(&bytes).to_bytes()));
    }
    let code = super::district::code_of(&tx, &continued, &series)?;
    let numbering = super::district::numbering_of(&tx, &series, &continued)?;
    let number_block = next_number_block(&tx, &series.origin, &numbering)?;
    let genesis = Body::CounterInitialized {
        community: series.community,
        prefix: series.prefix,
        counter: series.counter,
        public_key,
        utc_offset_minutes: series.utc_offset_minutes,
        code,
        continues: Some(link),
        number_block: Some(number_block),
    };
    let appended = log::append(
        &tx,
        successor,
        None,
        now,
        Some(operator),
        None,
        genesis,
        &SqlKeys(&tx),
    )?;
    // The lost entries may have handed out numbers (one each at most) that other counters
    // already hold: the new series starts past them.
    let lost = link_used_seq(&tx, &successor.series_id)? - head.seq;
    if lost > 0 {
        let numbering =
            super::district::numbering_of(&tx, &series_of_link(&tx, &continued)?, &continued)?;
        for (kind, table, column) in [
            (NumberKind::Passbook, "passbooks", "passbook"),
            (NumberKind::Resident, "residents", "resident"),
        ] {
            let namespace = numbering.namespace(kind);
            let highest = read::highest_number(&tx, table, column, &numbering, kind)?
                .max(read::number_floor(&tx, &namespace)?);
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('number_floor:' || ?1, ?2)",
                rusqlite::params![namespace, (highest + lost as u64).to_string()],
            )?;
        }
    }
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'series_id'",
        [successor.series_id.to_string()],
    )?;
    tx.commit()?;
    Ok(appended)
}

/// The highest seq the series `successor` continues says was used (its genesis link).
fn link_used_seq(conn: &Connection, successor: &Uuid) -> Result<i64> {
    Ok(log::series_of(conn, successor)?
        .and_then(|s| s.continues)
        .map_or(0, |l| l.used_seq))
}

fn series_of_link(conn: &Connection, series_id: &Uuid) -> Result<log::SeriesInfo> {
    log::series_of(conn, series_id)?
        .ok_or_else(|| LedgerError::RestoreMismatch(series_id.to_string()))
}

impl super::Ledger {
    /// Replaces the live database's content with a database file (a checked backup copy),
    /// page by page under SQLite's lock, so other processes see the restored content and
    /// never a half-copied one. This ledger is stale afterwards: open the home again.
    pub fn replace_database(&mut self, from: &Path) -> Result<()> {
        self.conn.restore(
            rusqlite::MAIN_DB,
            from,
            None::<fn(rusqlite::backup::Progress)>,
        )?;
        crate::store::configure(&self.conn)?;
        Ok(())
    }
}

/// The block of numbers a new series of the counter `origin` hands out: past every block an
/// earlier series of it used, and past every number of it this ledger holds, so that numbers
/// a lost series handed out (and other counters may hold) are never handed out again.
fn next_number_block(
    conn: &Connection,
    origin: &str,
    numbering: &crate::domain::ids::Numbering,
) -> Result<u32> {
    let mut block = log::all_series(conn)?
        .into_iter()
        .filter(|(_, info)| info.origin == origin)
        .map(|(_, info)| info.number_block)
        .max()
        .unwrap_or(0);
    for (kind, table, column) in [
        (NumberKind::Passbook, "passbooks", "passbook"),
        (NumberKind::Resident, "residents", "resident"),
    ] {
        let highest = read::highest_number(conn, table, column, numbering, kind)?;
        if highest > 0 {
            block = block.max(numbering.block_of(kind, highest));
        }
    }
    Ok(block + 1)
}
