//! `ledger verify` and `ledger rebuild`: fold the whole log in memory, checking every link,
//! hash, signature and sequence number on the way, then compare with (or rewrite) the tables.

use super::cell::Cell;
use super::log::{
    ENTRY_COLUMNS, EntryRow, GENESIS_PREV_HASH, MapKeys, SeriesInfo, entry_hash, entry_ops,
};
use super::projection::{DIGESTED_TABLES, Digest, Fold, Op, TABLES};
use crate::domain::Body;
use ed25519_dalek::{Signature, VerifyingKey};
use rusqlite::Connection;
use std::collections::HashMap;
use std::sync::mpsc;
use uuid::Uuid;

/// Entries per signature batch handed to a verifying thread.
const SIGNATURE_BATCH_ENTRIES: usize = 4096;
/// Batches waiting for a verifying thread at most (bounds memory on a large log).
const SIGNATURE_BATCHES_QUEUED_MAX: usize = 8;

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// An entry of the log is broken: its seq in its series and what is wrong.
    Entry {
        position: i64,
        seq: i64,
        what: EntryProblem,
    },
    /// A projection table differs from a fresh fold of the log.
    Table {
        table: &'static str,
        key: String,
        stored: String,
        expected: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryProblem {
    /// seq does not follow the previous entry of its series (an entry was deleted).
    Gap {
        expected_seq: i64,
    },
    /// prev_hash is not the previous entry's hash.
    BrokenLink,
    /// The stored hash is not the hash of the stored bytes (the body was changed).
    HashMismatch,
    BadSignature,
    /// The body bytes are not an envelope we can read.
    Unreadable,
    /// A column (id, time, operator, txn, kind) disagrees with the hashed envelope.
    ColumnMismatch(&'static str),
    /// A series does not start with the counter's own introduction.
    NoGenesis,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Entry {
                position,
                seq,
                what,
            } => {
                write!(f, "entry seq {seq} (position {position}): {what:?}")
            }
            Problem::Table {
                table,
                key,
                stored,
                expected,
            } => write!(
                f,
                "table {table}, row {key}: stored {stored}, the log says {expected}"
            ),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: u64,
    pub series: usize,
    pub problem: Option<Problem>,
}

struct SignatureJob {
    position: i64,
    seq: i64,
    hash: [u8; 32],
    signature: Signature,
    key: VerifyingKey,
}

/// Folds the log, checking it. Returns the fold, or the first broken entry.
pub fn fold_log(
    conn: &Connection,
    keep_all_rows: bool,
) -> rusqlite::Result<(Fold, u64, usize, Option<Problem>)> {
    let keys = MapKeys::load(conn)?;
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let (job_tx, job_rx) = mpsc::sync_channel::<Vec<SignatureJob>>(SIGNATURE_BATCHES_QUEUED_MAX);
    let job_rx = std::sync::Mutex::new(job_rx);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| scope.spawn(|| verify_signatures(&job_rx)))
            .collect();
        let folded = fold_entries(conn, &keys, job_tx, keep_all_rows);
        let mut bad_signature: Option<(i64, i64)> = None;
        for handle in handles {
            if let Some(found) = handle.join().expect("signature thread does not panic") {
                bad_signature = Some(bad_signature.map_or(found, |b: (i64, i64)| b.min(found)));
            }
        }
        let (fold, entries, series, mut problem) = folded?;
        if let Some((position, seq)) = bad_signature {
            let earlier = match &problem {
                Some(Problem::Entry { position: p, .. }) => position < *p,
                _ => true,
            };
            if earlier {
                problem = Some(Problem::Entry {
                    position,
                    seq,
                    what: EntryProblem::BadSignature,
                });
            }
        }
        Ok((fold, entries, series, problem))
    })
}

fn verify_signatures(
    jobs: &std::sync::Mutex<mpsc::Receiver<Vec<SignatureJob>>>,
) -> Option<(i64, i64)> {
    let mut first_bad: Option<(i64, i64)> = None;
    loop {
        let batch = match jobs.lock().expect("queue lock").recv() {
            Ok(batch) => batch,
            Err(_) => return first_bad,
        };
        let messages: Vec<&[u8]> = batch.iter().map(|j| j.hash.as_slice()).collect();
        let signatures: Vec<Signature> = batch.iter().map(|j| j.signature).collect();
        let keys: Vec<VerifyingKey> = batch.iter().map(|j| j.key).collect();
        if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
            continue;
        }
        if let Some(job) = batch
            .iter()
            .find(|j| j.key.verify_strict(&j.hash, &j.signature).is_err())
        {
            let found = (job.position, job.seq);
            first_bad = Some(first_bad.map_or(found, |b| b.min(found)));
        }
    }
}

type Folded = (Fold, u64, usize, Option<Problem>);

fn fold_entries(
    conn: &Connection,
    keys: &MapKeys,
    jobs: mpsc::SyncSender<Vec<SignatureJob>>,
    keep_all_rows: bool,
) -> rusqlite::Result<Folded> {
    let mut fold = Fold {
        keep_all_rows,
        ..Fold::default()
    };
    let mut heads: HashMap<Uuid, (i64, Vec<u8>, SeriesInfo, VerifyingKey)> = HashMap::new();
    let mut batch = Vec::with_capacity(SIGNATURE_BATCH_ENTRIES);
    let mut entries = 0u64;
    let mut stmt = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS} FROM entries ORDER BY position"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let entry = EntryRow::from_row(row)?;
        entries += 1;
        let series_seen = heads.len();
        let fail = |what| {
            Ok((
                Fold::default(),
                entries,
                series_seen,
                Some(Problem::Entry {
                    position: entry.position,
                    seq: entry.seq,
                    what,
                }),
            ))
        };
        // A broken entry ends the fold, but the signatures already queued are still checked:
        // an entry re-hashed without the device key is then blamed on itself, not its successor.
        macro_rules! fail {
            ($what:expr) => {{
                if !batch.is_empty() {
                    let _ = jobs.send(std::mem::take(&mut batch));
                }
                return fail($what);
            }};
        }
        let (expected_seq, prev_hash) = match heads.get(&entry.counter_id) {
            Some((seq, hash, _, _)) => (seq + 1, hash.as_slice()),
            None => (1, GENESIS_PREV_HASH.as_slice()),
        };
        if entry.seq != expected_seq {
            fail!(EntryProblem::Gap { expected_seq });
        }
        if entry.prev_hash != prev_hash {
            fail!(EntryProblem::BrokenLink);
        }
        let hash = entry_hash(&entry.prev_hash, &entry.counter_id, entry.seq, &entry.body);
        if entry.hash != hash {
            fail!(EntryProblem::HashMismatch);
        }
        let Some(envelope) = entry.envelope() else {
            fail!(EntryProblem::Unreadable);
        };
        if let Some(column) = column_mismatch(&entry, &envelope) {
            fail!(EntryProblem::ColumnMismatch(column));
        }
        if entry.seq == 1 {
            let Some(series) = SeriesInfo::from_body(&envelope.body) else {
                fail!(EntryProblem::NoGenesis);
            };
            let Some(key) = series
                .public_key
                .as_slice()
                .try_into()
                .ok()
                .and_then(|k| VerifyingKey::from_bytes(k).ok())
            else {
                fail!(EntryProblem::NoGenesis);
            };
            heads.insert(entry.counter_id, (0, Vec::new(), series, key));
        } else if matches!(envelope.body, Body::CounterInitialized { .. }) {
            fail!(EntryProblem::NoGenesis);
        }
        let head = heads.get_mut(&entry.counter_id).expect("inserted at seq 1");
        head.0 = entry.seq;
        head.1 = hash.to_vec();
        let Ok(signature) = Signature::from_slice(&entry.signature) else {
            fail!(EntryProblem::BadSignature);
        };
        batch.push(SignatureJob {
            position: entry.position,
            seq: entry.seq,
            hash,
            signature,
            key: head.3,
        });
        if batch.len() == SIGNATURE_BATCH_ENTRIES {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(SIGNATURE_BATCH_ENTRIES));
            let _ = jobs.send(full);
        }
        let ops = entry_ops(
            entry.position,
            &entry.counter_id,
            entry.seq,
            &hash,
            &envelope,
            &head.2,
            keys,
        );
        fold.apply(&ops);
    }
    if !batch.is_empty() {
        let _ = jobs.send(batch);
    }
    Ok((fold, entries, heads.len(), None))
}

fn column_mismatch(entry: &EntryRow, envelope: &crate::domain::Envelope) -> Option<&'static str> {
    let id = Uuid::parse_str(&envelope.id).ok();
    if id.map(|u| u.as_bytes().to_vec()) != Some(entry.id.clone()) {
        return Some("id");
    }
    if envelope.recorded_at != entry.recorded_at {
        return Some("recorded_at");
    }
    if envelope.operator != entry.operator {
        return Some("operator");
    }
    if envelope.txn != entry.txn {
        return Some("txn");
    }
    if envelope.body.kind() != entry.kind {
        return Some("kind");
    }
    None
}

/// Verifies the log and that every projection equals a fresh fold of it.
pub fn verify(conn: &Connection) -> rusqlite::Result<VerifyReport> {
    // One read transaction: the log and the projections are read from the same snapshot, so a
    // redemption committed by another process meanwhile cannot look like a mismatch.
    let snapshot = conn.unchecked_transaction()?;
    let report = verify_snapshot(&snapshot)?;
    snapshot.finish()?;
    Ok(report)
}

fn verify_snapshot(conn: &Connection) -> rusqlite::Result<VerifyReport> {
    let (fold, entries, series, problem) = fold_log(conn, false)?;
    if problem.is_some() {
        return Ok(VerifyReport {
            entries,
            series,
            problem,
        });
    }
    let digests_differ = digests_differ(conn, &fold)?;
    let problem = if digests_differ {
        // Slow path: fold again keeping every row, to name the first one that differs.
        let (full, ..) = fold_log(conn, true)?;
        compare_tables(conn, full)?
    } else {
        compare_tables(conn, fold)?
    };
    Ok(VerifyReport {
        entries,
        series,
        problem,
    })
}

fn select_all(spec: &super::projection::TableSpec) -> (String, usize) {
    let columns: Vec<&str> = spec
        .keys
        .iter()
        .chain(spec.values.iter())
        .copied()
        .collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns.join(", "),
        spec.name,
        spec.keys.join(", ")
    );
    (sql, columns.len())
}

fn digests_differ(conn: &Connection, fold: &Fold) -> rusqlite::Result<bool> {
    for spec in TABLES.iter().filter(|t| DIGESTED_TABLES.contains(&t.name)) {
        let (sql, width) = select_all(spec);
        let mut stored = Digest::default();
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let cells: Vec<Cell> = (0..width)
                .map(|i| row.get::<_, Cell>(i))
                .collect::<rusqlite::Result<_>>()?;
            let (key, values) = cells.split_at(spec.keys.len());
            stored.add(key, values);
        }
        if fold.digests.get(spec.name).copied().unwrap_or_default() != stored {
            return Ok(true);
        }
    }
    Ok(false)
}

fn compare_tables(conn: &Connection, mut fold: Fold) -> rusqlite::Result<Option<Problem>> {
    for spec in TABLES {
        if !fold.keep_all_rows && DIGESTED_TABLES.contains(&spec.name) {
            continue;
        }
        let mut expected = fold.tables.remove(spec.name).unwrap_or_default();
        let columns: Vec<&str> = spec
            .keys
            .iter()
            .chain(spec.values.iter())
            .copied()
            .collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            spec.name,
            spec.keys.join(", ")
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let cells: Vec<Cell> = (0..columns.len())
                .map(|i| row.get::<_, Cell>(i))
                .collect::<rusqlite::Result<_>>()?;
            let (key, values) = cells.split_at(spec.keys.len());
            match expected.remove(key) {
                Some(want) if want == values => {}
                want => {
                    return Ok(Some(Problem::Table {
                        table: spec.name,
                        key: show(key),
                        stored: show(values),
                        expected: want.map_or("no such row".to_string(), |w| show(&w)),
                    }));
                }
            }
        }
        if let Some((key, want)) = expected.into_iter().min_by(|a, b| a.0.cmp(&b.0)) {
            return Ok(Some(Problem::Table {
                table: spec.name,
                key: show(&key),
                stored: "no such row".to_string(),
                expected: show(&want),
            }));
        }
    }
    Ok(None)
}

fn show(cells: &[Cell]) -> String {
    let parts: Vec<String> = cells.iter().map(Cell::to_string).collect();
    format!("({})", parts.join(", "))
}

/// Recreates every projection table from the log. Refuses (returns the problem) if the log
/// itself does not verify: rebuilding on a broken log would hide the damage.
pub fn rebuild(conn: &mut Connection) -> rusqlite::Result<Result<u64, Problem>> {
    // The write lock is taken before the fold, so no entry can land between reading the log and
    // rewriting the projections.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let (fold, entries, _, problem) = fold_log(&tx, true)?;
    if let Some(problem) = problem {
        return Ok(Err(problem));
    }
    for spec in TABLES {
        tx.execute(&format!("DELETE FROM {}", spec.name), [])?;
        let Some(rows) = fold.tables.get(spec.name) else {
            continue;
        };
        let ops: Vec<Op> = rows
            .iter()
            .map(|(key, values)| Op::Put {
                table: spec.name,
                key: key.clone(),
                values: values.clone(),
            })
            .collect();
        super::projection::apply_sql(&tx, &ops)?;
    }
    tx.commit()?;
    Ok(Ok(entries))
}
