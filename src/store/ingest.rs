//! Taking in entries of other series (from a bundle or from the hub): each one is checked
//! as `ledger verify` checks the log (link, hash, signature, next seq) before it is stored with
//! its projections, in the caller's transaction. An entry at a seq already taken by another is
//! a fork: kept as evidence, never merged. Which series to trust is the ledger's business;
//! this module knows bytes.

use super::log::{self, Appended, SeriesInfo};
use super::projection::{self, Unsealer};
use crate::district::WireEntry;
use crate::domain::Envelope;
use ed25519_dalek::{Signature, VerifyingKey};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

/// A series as this database holds it: what its first entry says, and where it ends.
#[derive(Clone, Debug)]
pub struct SeriesState {
    pub info: SeriesInfo,
    pub key: VerifyingKey,
    /// Highest seq held (series are stored without gaps) and its hash.
    pub seq: i64,
    pub hash: [u8; 32],
}

/// The series `series_id` as held here, from the log itself (not from a projection row).
pub fn series_state(conn: &Connection, series_id: &Uuid) -> rusqlite::Result<Option<SeriesState>> {
    let Some(info) = log::series_of(conn, series_id)? else {
        return Ok(None);
    };
    let Some(key) = key_of(&info) else {
        return Ok(None);
    };
    let head = log::own_heads(conn, &[*series_id])?.pop();
    Ok(head.map(|h| SeriesState {
        info,
        key,
        seq: h.seq,
        hash: h.hash,
    }))
}

pub fn key_of(info: &SeriesInfo) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = info.public_key.as_slice().try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// The hash of the entry a series holds at `seq`.
pub fn stored_hash(
    conn: &Connection,
    series_id: &Uuid,
    seq: i64,
) -> rusqlite::Result<Option<[u8; 32]>> {
    let hash: Option<Vec<u8>> = conn
        .prepare_cached("SELECT hash FROM entries WHERE series_id = ?1 AND seq = ?2")?
        .query_row(params![series_id.as_bytes().as_slice(), seq], |r| r.get(0))
        .optional()?;
    Ok(hash.and_then(|h| h.try_into().ok()))
}

/// The hash of a wire entry, as the series signed it.
pub fn hash_of(series_id: &Uuid, entry: &WireEntry) -> [u8; 32] {
    log::entry_hash(&entry.prev_hash, series_id, entry.seq, &entry.body)
}

/// Whether `key` signed `hash`.
pub fn signed_by(key: &VerifyingKey, hash: &[u8; 32], signature: &[u8; 64]) -> bool {
    key.verify_strict(hash, &Signature::from_bytes(signature))
        .is_ok()
}

/// Whether an entry of this database has the id `id`.
pub fn id_taken(conn: &Connection, id: &Uuid) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM entries WHERE id = ?1")?
        .exists([id.as_bytes().as_slice()])
}

/// Stores one entry of `series_id` that [`crate::district::admit::entry`] judged new (the
/// next seq of its series, its id `id` taken by no other) and applies its projections. Its
/// columns are taken from the envelope, as `append` writes them.
#[allow(clippy::too_many_arguments)]
pub fn store(
    tx: &Connection,
    series_id: &Uuid,
    entry: &WireEntry,
    hash: &[u8; 32],
    id: Uuid,
    envelope: &Envelope,
    series: &SeriesInfo,
    keys: &dyn Unsealer,
    batch: &mut projection::Batch,
) -> rusqlite::Result<Appended> {
    tx.prepare_cached(
        "INSERT INTO entries (series_id, seq, id, prev_hash, hash, signature, recorded_at,
                              operator, txn, kind, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        series_id.as_bytes().as_slice(),
        entry.seq,
        id.as_bytes().as_slice(),
        entry.prev_hash.as_slice(),
        hash.as_slice(),
        entry.signature.as_slice(),
        envelope.recorded_at,
        envelope.operator,
        envelope.txn,
        envelope.body.kind(),
        entry.body,
    ])?;
    let position = tx.last_insert_rowid();
    // An erasure destroys this copy of the key with the entry (the erasing counter destroyed
    // its own when it wrote it).
    if let crate::domain::Body::ResidentErased { resident } = &envelope.body {
        destroy_resident_key(tx, resident)?;
    }
    let standing = super::claims::judge(tx, &id, envelope, series)?;
    let ops = log::entry_ops(
        position,
        series_id,
        entry.seq,
        hash,
        envelope,
        series,
        keys,
        super::claims::lost(&standing),
    );
    batch.apply(tx, &ops)?;
    if standing == crate::district::claims::Standing::Displaces {
        batch.recount = true;
    }
    Ok(Appended {
        position,
        series_id: *series_id,
        seq: entry.seq,
        id,
        recorded_at: envelope.recorded_at.clone(),
        hash: *hash,
        signature: entry.signature.to_vec(),
    })
}

/// Keeps a signed entry that conflicts with the series as held here: evidence, never merged.
/// Returns whether it was new evidence.
pub fn keep_fork(
    tx: &Connection,
    series_id: &Uuid,
    entry: &WireEntry,
    hash: &[u8; 32],
    found_at: &str,
    source: &str,
) -> rusqlite::Result<bool> {
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO forks (series_id, seq, hash, prev_hash, signature, body,
                                          found_at, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            series_id.as_bytes().as_slice(),
            entry.seq,
            hash.as_slice(),
            entry.prev_hash.as_slice(),
            entry.signature.as_slice(),
            entry.body,
            found_at,
            source,
        ])?;
    Ok(inserted > 0)
}

/// A fork held as evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkRow {
    pub series_id: Uuid,
    pub seq: i64,
    pub hash: [u8; 32],
    pub prev_hash: [u8; 32],
    pub signature: Vec<u8>,
    pub body: Vec<u8>,
    pub found_at: String,
    pub source: String,
}

pub fn forks(conn: &Connection) -> rusqlite::Result<Vec<ForkRow>> {
    let mut stmt = conn.prepare(
        "SELECT series_id, seq, hash, prev_hash, signature, body, found_at, source FROM forks
         ORDER BY found_at, series_id, seq",
    )?;
    stmt.query_map([], |r| {
        let id: Vec<u8> = r.get(0)?;
        let hash: Vec<u8> = r.get(2)?;
        let prev: Vec<u8> = r.get(3)?;
        Ok(ForkRow {
            series_id: Uuid::from_slice(&id).unwrap_or(Uuid::nil()),
            seq: r.get(1)?,
            hash: hash.try_into().unwrap_or([0; 32]),
            prev_hash: prev.try_into().unwrap_or([0; 32]),
            signature: r.get(4)?,
            body: r.get(5)?,
            found_at: r.get(6)?,
            source: r.get(7)?,
        })
    })?
    .collect()
}

/// What became of a resident key offered to [`install_resident_key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyInstalled {
    /// Kept, and the resident's personal data opened with it.
    Installed,
    /// This key was held already.
    Held,
    /// The resident was erased here: no key is kept.
    Erased,
    /// It does not open the resident's sealed data (or none is held yet): not kept.
    OpensNothing,
}

/// Keeps a resident's sealing key from elsewhere if it opens the resident's sealed data, and
/// fills in the personal data it opens. A key held before that opens nothing (kept before keys
/// were checked) is replaced.
pub fn install_resident_key(
    tx: &Connection,
    resident: &str,
    key: &[u8; 32],
) -> rusqlite::Result<KeyInstalled> {
    let row: Option<(i64, Option<String>)> = tx
        .prepare_cached("SELECT erased, sealed FROM residents WHERE resident = ?1")?
        .query_row([resident], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (erased, sealed) = row.unwrap_or((0, None));
    if erased != 0 {
        return Ok(KeyInstalled::Erased);
    }
    let Some(data) = sealed
        .as_deref()
        .and_then(projection::sealed_of)
        .and_then(|s| crate::keys::unseal(key, resident, &s))
    else {
        return Ok(KeyInstalled::OpensNothing);
    };
    let held: Option<Vec<u8>> = tx
        .prepare_cached("SELECT key FROM resident_keys WHERE resident = ?1")?
        .query_row([resident], |r| r.get(0))
        .optional()?;
    if held.as_deref() == Some(key.as_slice()) {
        return Ok(KeyInstalled::Held);
    }
    tx.prepare_cached(
        "INSERT INTO resident_keys (resident, key) VALUES (?1, ?2)
         ON CONFLICT (resident) DO UPDATE SET key = excluded.key",
    )?
    .execute(params![resident, key.as_slice()])?;
    tx.prepare_cached(
        "UPDATE residents SET name = ?2, phone = ?3, address = ?4, note = ?5
         WHERE resident = ?1",
    )?
    .execute(params![
        resident,
        data.name,
        data.phone,
        data.address,
        data.note
    ])?;
    Ok(KeyInstalled::Installed)
}

/// Destroys a resident's sealing key: the erasure entry was applied (here or elsewhere).
pub fn destroy_resident_key(tx: &Connection, resident: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM resident_keys WHERE resident = ?1")?
        .execute([resident])
        .map(drop)
}
