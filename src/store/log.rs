//! The entry log: hashing, signing, appending, reading. An entry is appended and its
//! projections change in one SQLite transaction, so a crash leaves either both or neither.

use super::cell::Cell;
use super::projection::{self, Op, Unsealer};
use crate::district::claims::{self, Claim, Standing};
use crate::domain::{self, Body, ENVELOPE_VERSION, Envelope};
use crate::keys::Device;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use crate::district::admit::GENESIS_PREV_HASH;

/// `SHA-256(prev_hash || series_id || seq || body_bytes)`, seq as 8 bytes big-endian.
pub fn entry_hash(prev_hash: &[u8], series_id: &Uuid, seq: i64, body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(series_id.as_bytes());
    hasher.update(seq.to_be_bytes());
    hasher.update(body);
    hasher.finalize().into()
}

/// What the first entry of a series says about its counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesInfo {
    pub community: String,
    pub prefix: String,
    pub counter: String,
    pub public_key: Vec<u8>,
    pub utc_offset_minutes: i32,
    /// The counter's origin, its lasting id: the id of its first series, kept by every series
    /// that continues it. What a counter registers (residents, items, operators) carries it.
    pub origin: String,
    /// The counter code in its numbers; `None` in a home made before codes.
    pub code: Option<String>,
    /// The series this one continues after a restore.
    pub continues: Option<crate::domain::SeriesLink>,
    /// The block of numbers it hands out (0: the counter's first series).
    pub number_block: u32,
}

impl SeriesInfo {
    /// The series `series_id` as its first entry describes it.
    pub fn from_body(series_id: &Uuid, body: &Body) -> Option<SeriesInfo> {
        match body {
            Body::CounterInitialized {
                community,
                prefix,
                counter,
                public_key,
                utc_offset_minutes,
                code,
                continues,
                number_block,
            } => Some(SeriesInfo {
                community: community.clone(),
                prefix: prefix.clone(),
                counter: counter.clone(),
                public_key: hex::decode(public_key).ok()?,
                utc_offset_minutes: *utc_offset_minutes,
                origin: match continues {
                    Some(link) => link
                        .origin
                        .clone()
                        .unwrap_or_else(|| link.series_id.clone()),
                    None => series_id.to_string(),
                },
                code: code.clone(),
                continues: continues.clone(),
                number_block: number_block.unwrap_or(0),
            }),
            _ => None,
        }
    }

    /// How this counter numbers residents and passbooks.
    pub fn numbering(&self) -> crate::domain::ids::Numbering {
        match &self.code {
            Some(code) => crate::domain::ids::Numbering::new(&self.prefix, code)
                .unwrap_or_else(|_| crate::domain::ids::Numbering::legacy(&self.prefix)),
            None => crate::domain::ids::Numbering::legacy(&self.prefix),
        }
        .in_block(self.number_block)
    }

    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes * 60)
            .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
    }

    /// A stored UTC time as the counter's local `YYYY-MM-DD HH:MM`, for people.
    pub fn local_time(&self, utc: &str) -> String {
        DateTime::parse_from_rfc3339(utc)
            .map(|t| {
                t.with_timezone(&self.offset())
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|_| utc.to_string())
    }

    /// Local `YYYY-MM-DD` and `YYYY-MM` of a stored UTC time.
    pub fn local_day_month(&self, recorded_at: &str) -> (String, String) {
        let local = DateTime::parse_from_rfc3339(recorded_at)
            .map(|t| t.with_timezone(&self.offset()))
            .unwrap_or_else(|_| DateTime::<Utc>::UNIX_EPOCH.with_timezone(&self.offset()));
        (
            local.format("%Y-%m-%d").to_string(),
            local.format("%Y-%m").to_string(),
        )
    }
}

/// A stored entry, as read back.
#[derive(Clone, Debug)]
pub struct EntryRow {
    pub position: i64,
    pub series_id: Uuid,
    pub seq: i64,
    pub id: Vec<u8>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub signature: Vec<u8>,
    pub recorded_at: String,
    pub operator: Option<String>,
    pub txn: Option<String>,
    pub kind: String,
    pub body: Vec<u8>,
}

pub const ENTRY_COLUMNS: &str = "position, series_id, seq, id, prev_hash, hash, signature, recorded_at, operator, txn, kind, body";

impl EntryRow {
    pub fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
        let series_id: Vec<u8> = row.get(1)?;
        Ok(EntryRow {
            position: row.get(0)?,
            series_id: Uuid::from_slice(&series_id).unwrap_or(Uuid::nil()),
            seq: row.get(2)?,
            id: row.get(3)?,
            prev_hash: row.get(4)?,
            hash: row.get(5)?,
            signature: row.get(6)?,
            recorded_at: row.get(7)?,
            operator: row.get(8)?,
            txn: row.get(9)?,
            kind: row.get(10)?,
            body: row.get(11)?,
        })
    }

    pub fn envelope(&self) -> Option<Envelope> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The result of appending one entry.
#[derive(Clone, Debug)]
pub struct Appended {
    pub position: i64,
    pub series_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub recorded_at: String,
    pub hash: [u8; 32],
    pub signature: Vec<u8>,
}

/// The effects of one entry of `series` on the projections (the one pure fold, with the
/// entry's local day and month).
pub fn entry_effects(envelope: &Envelope, series: &SeriesInfo) -> Vec<domain::Effect> {
    let (day, month) = series.local_day_month(&envelope.recorded_at);
    let ctx = domain::EntryContext {
        community: &series.community,
        counter: &series.counter,
        origin: &series.origin,
        day: &day,
        month: &month,
        txn: envelope.txn.as_deref(),
        recorded_at: &envelope.recorded_at,
    };
    domain::effects(&envelope.body, &ctx)
}

/// The row operations of one entry: its effects (none where it lost one of its claims,
/// `lost`, to another entry), the claims it holds, and the move of its series' head.
#[allow(clippy::too_many_arguments)]
pub fn entry_ops(
    position: i64,
    series_id: &Uuid,
    seq: i64,
    hash: &[u8],
    envelope: &Envelope,
    series: &SeriesInfo,
    keys: &dyn Unsealer,
    lost: &[Claim],
) -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::new();
    if lost.is_empty() {
        let effects = entry_effects(envelope, series);
        assert!(
            domain::postings_balance(&effects),
            "postings of one entry sum to zero"
        );
        ops.extend(
            effects
                .iter()
                .flat_map(|e| projection::ops_for(e, position, keys)),
        );
    }
    let made = claims::claims_of(&envelope.body, envelope.txn.as_deref(), &series.origin);
    let series_key = Cell::Blob(series_id.as_bytes().to_vec());
    for claim in made {
        if lost.contains(&claim) {
            ops.push(Op::Put {
                table: "duplicates",
                key: vec![series_key.clone(), Cell::Int(seq), Cell::Text(claim)],
                values: Vec::new(),
            });
        } else if claims::kind_of(&claim) != "txn"
            && let Ok(id) = Uuid::parse_str(&envelope.id)
        {
            ops.push(Op::Put {
                table: "claims",
                key: vec![Cell::Text(claim)],
                values: vec![Cell::Blob(id.as_bytes().to_vec())],
            });
        }
    }
    let key = vec![series_key];
    ops.push(
        if matches!(envelope.body, Body::CounterInitialized { .. }) {
            Op::Put {
                table: "series_heads",
                key,
                values: vec![
                    Cell::Int(seq),
                    Cell::Blob(hash.to_vec()),
                    Cell::Blob(series.public_key.clone()),
                    Cell::text(&series.community),
                    Cell::text(&series.prefix),
                    Cell::text(&series.counter),
                    Cell::Int(i64::from(series.utc_offset_minutes)),
                    Cell::text(&series.origin),
                    Cell::opt_text(series.code.as_deref()),
                ],
            }
        } else {
            Op::Set {
                table: "series_heads",
                key,
                columns: vec![("seq", Cell::Int(seq)), ("hash", Cell::Blob(hash.to_vec()))],
                guard: Vec::new(),
            }
        },
    );
    ops
}

/// The newest entry of each of the given series that the log holds.
pub fn own_heads(conn: &rusqlite::Connection, series: &[Uuid]) -> rusqlite::Result<Vec<Appended>> {
    let mut heads = Vec::new();
    for series_id in series {
        let head = conn
            .prepare_cached(
                "SELECT position, seq, id, recorded_at, hash, signature FROM entries
                 WHERE series_id = ?1 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([series_id.as_bytes().as_slice()], |r| {
                let id: Vec<u8> = r.get(2)?;
                let hash: Vec<u8> = r.get(4)?;
                Ok(Appended {
                    position: r.get(0)?,
                    series_id: *series_id,
                    seq: r.get(1)?,
                    id: Uuid::from_slice(&id).unwrap_or(Uuid::nil()),
                    recorded_at: r.get(3)?,
                    hash: hash.try_into().unwrap_or([0; 32]),
                    signature: r.get(5)?,
                })
            })
            .optional()?;
        heads.extend(head);
    }
    Ok(heads)
}

/// What a series says about itself in its first entry, if the log holds it.
pub fn series_of(
    conn: &rusqlite::Connection,
    series_id: &Uuid,
) -> rusqlite::Result<Option<SeriesInfo>> {
    let body: Option<Vec<u8>> = conn
        .prepare_cached("SELECT body FROM entries WHERE series_id = ?1 AND seq = 1")?
        .query_row([series_id.as_bytes().as_slice()], |r| r.get(0))
        .optional()?;
    Ok(body
        .and_then(|b| serde_json::from_slice::<Envelope>(&b).ok())
        .and_then(|e| SeriesInfo::from_body(series_id, &e.body)))
}

/// Every series the log holds, as its first entry describes it (read from the log itself, not
/// from a projection row).
pub fn all_series(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<(Uuid, SeriesInfo)>> {
    let mut stmt = conn.prepare("SELECT series_id, body FROM entries WHERE seq = 1")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
    })?;
    let mut series = Vec::new();
    for row in rows {
        let (id, body) = row?;
        let Ok(id) = Uuid::from_slice(&id) else {
            continue;
        };
        if let Some(info) = serde_json::from_slice::<Envelope>(&body)
            .ok()
            .and_then(|e| SeriesInfo::from_body(&id, &e.body))
        {
            series.push((id, info));
        }
    }
    Ok(series)
}

/// Formats a UTC time the one way it is stored.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Appends one entry to this device's series and applies its projections, in `tx`.
/// `series` is `None` only for the genesis entry, whose body describes the series itself.
#[allow(clippy::too_many_arguments)]
pub fn append(
    tx: &Transaction<'_>,
    device: &Device,
    series: Option<&SeriesInfo>,
    recorded_at: DateTime<Utc>,
    operator: Option<&str>,
    txn: Option<&str>,
    body: Body,
    keys: &dyn Unsealer,
) -> rusqlite::Result<Appended> {
    let head: Option<(i64, Vec<u8>)> = tx
        .prepare_cached(
            "SELECT seq, hash FROM entries WHERE series_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([device.series_id.as_bytes().as_slice()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (seq, prev_hash) = match head {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_PREV_HASH.to_vec()),
    };
    let genesis_series = SeriesInfo::from_body(&device.series_id, &body);
    let series = series
        .or(genesis_series.as_ref())
        .expect("a series is known before its entries are written");
    let id = Uuid::now_v7();
    let envelope = Envelope {
        v: ENVELOPE_VERSION,
        id: id.to_string(),
        recorded_at: format_time(recorded_at),
        operator: operator.map(str::to_string),
        txn: txn.map(str::to_string),
        body,
    };
    let body_bytes = serde_json::to_vec(&envelope).expect("entry bodies serialise");
    let hash = entry_hash(&prev_hash, &device.series_id, seq, &body_bytes);
    let signature = device.sign(&hash);
    tx.prepare_cached(
        "INSERT INTO entries (series_id, seq, id, prev_hash, hash, signature, recorded_at,
                              operator, txn, kind, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        device.series_id.as_bytes().as_slice(),
        seq,
        id.as_bytes().as_slice(),
        prev_hash,
        hash.as_slice(),
        signature.to_bytes().as_slice(),
        envelope.recorded_at,
        envelope.operator,
        envelope.txn,
        envelope.body.kind(),
        body_bytes,
    ])?;
    let position = tx.last_insert_rowid();
    let standing = super::claims::judge(tx, &id, &envelope, series)?;
    let ops = entry_ops(
        position,
        &device.series_id,
        seq,
        &hash,
        &envelope,
        series,
        keys,
        super::claims::lost(&standing),
    );
    projection::apply_sql(tx, &ops)?;
    if standing == Standing::Displaces {
        super::claims::recount(tx)?;
    }
    Ok(Appended {
        position,
        series_id: device.series_id,
        seq,
        id,
        recorded_at: envelope.recorded_at,
        hash,
        signature: signature.to_bytes().to_vec(),
    })
}

/// Reads the resident keys table, for unsealing inside a transaction.
pub struct SqlKeys<'a>(pub &'a rusqlite::Connection);

impl Unsealer for SqlKeys<'_> {
    fn unseal(&self, resident: &str, sealed: &domain::Sealed) -> Option<domain::PersonalData> {
        let key: Vec<u8> = self
            .0
            .prepare_cached("SELECT key FROM resident_keys WHERE resident = ?1")
            .ok()?
            .query_row([resident], |r| r.get(0))
            .optional()
            .ok()??;
        crate::keys::unseal(&key.try_into().ok()?, resident, sealed)
    }
}

/// All resident keys loaded once, for folds over the whole log.
pub struct MapKeys(pub std::collections::HashMap<String, [u8; 32]>);

impl MapKeys {
    pub fn load(conn: &rusqlite::Connection) -> rusqlite::Result<MapKeys> {
        let mut stmt = conn.prepare("SELECT resident, key FROM resident_keys")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut keys = std::collections::HashMap::new();
        for row in rows {
            let (resident, key) = row?;
            if let Ok(key) = key.try_into() {
                keys.insert(resident, key);
            }
        }
        Ok(MapKeys(keys))
    }
}

impl Unsealer for MapKeys {
    fn unseal(&self, resident: &str, sealed: &domain::Sealed) -> Option<domain::PersonalData> {
        crate::keys::unseal(self.0.get(resident)?, resident, sealed)
    }
}
