//! `ledger verify` and `ledger rebuild`: fold the whole log in memory, checking every link,
//! hash, signature and sequence number on the way, then compare with (or rewrite) the tables.

use super::cell::Cell;
use super::log::{
    ENTRY_COLUMNS, EntryRow, GENESIS_PREV_HASH, MapKeys, SeriesInfo, entry_hash, entry_ops,
};
use super::projection::{DIGESTED_TABLES, Digest, Fold, Op, TABLES};
use crate::domain::Body;
use ed25519_dalek::{Signature, VerifyingKey};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use std::sync::mpsc;
use uuid::Uuid;

/// How passbook accounts are named in the balances table.
const PASSBOOK_ACCOUNT_PREFIX: &str = "passbook:";

/// Entries per signature batch handed to a verifying thread.
const SIGNATURE_BATCH_ENTRIES: usize = 4096;
/// Batches waiting for a verifying thread at most (bounds memory on a large log).
const SIGNATURE_BATCHES_QUEUED_MAX: usize = 8;

/// Problems listed at most by one verify; the first of a broken log ends the fold, the others
/// (balances, totals) are collected.
pub const PROBLEMS_MAX: usize = 100;

/// Something found wrong, with the counter and seq (or table row) it is about.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// An entry of the log is broken: its series, its seq in it, and what is wrong.
    Entry {
        counter: String,
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
    /// A passbook whose balance, folded from the log, is below zero.
    NegativeBalance {
        passbook: String,
        points: i64,
    },
    /// An entry this counter signed says a balance after it that the fold does not reach: it
    /// was booked against a changed projection.
    BalanceAfter {
        counter: String,
        seq: i64,
        passbook: String,
        signed: i64,
        folded: i64,
    },
    /// A redemption whose lines (qty × points) do not add up to its total.
    LineTotal {
        counter: String,
        seq: i64,
        lines: i64,
        total: i64,
    },
    /// The log ends before the head anchor says this counter signed: entries were deleted.
    Truncated {
        counter: String,
        anchored_seq: i64,
        log_seq: i64,
    },
    /// The entry at the anchored seq is not the one that was anchored.
    AnchorMismatch {
        counter: String,
        seq: i64,
    },
    /// The anchor's signature is not the counter's.
    AnchorForged {
        counter: String,
    },
    /// There is no head anchor beside the database (or it names none of this counter's series).
    AnchorMissing,
    AnchorUnreadable {
        reason: String,
    },
    /// A series of another counter that the district did not certify (and that continues no
    /// certified series with its endorsement): it should never have been taken in.
    Uncertified {
        counter: String,
    },
    /// A fork held as evidence is not signed by its series' key (it is no evidence at all).
    ForkUnsigned {
        counter: String,
        seq: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
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

impl Problem {
    /// Whether the log itself is broken (verify stops there, rebuild refuses); the others are
    /// about balances and totals the log shows, or about its anchor.
    pub fn breaks_the_log(&self) -> bool {
        matches!(self, Problem::Entry { .. })
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Entry {
                counter,
                position,
                seq,
                what,
            } => write!(
                f,
                "{counter} entry seq {seq} (position {position}): {what:?}"
            ),
            Problem::Table {
                table,
                key,
                stored,
                expected,
            } => write!(
                f,
                "table {table}, row {key}: stored {stored}, the log says {expected}"
            ),
            Problem::NegativeBalance { passbook, points } => {
                write!(f, "passbook {passbook} is at {points}")
            }
            Problem::BalanceAfter {
                counter,
                seq,
                passbook,
                signed,
                folded,
            } => write!(
                f,
                "{counter} entry seq {seq}: passbook {passbook} balance_after {signed}, the fold gives {folded}"
            ),
            Problem::LineTotal {
                counter,
                seq,
                lines,
                total,
            } => write!(
                f,
                "{counter} entry seq {seq}: lines add up to {lines}, total {total}"
            ),
            Problem::Truncated {
                counter,
                anchored_seq,
                log_seq,
            } => write!(
                f,
                "{counter}: the anchor says seq {anchored_seq}, the log ends at {log_seq}"
            ),
            Problem::AnchorMismatch { counter, seq } => {
                write!(f, "{counter} entry seq {seq} is not the anchored one")
            }
            Problem::AnchorForged { counter } => {
                write!(f, "{counter}: anchor signature is not the counter's")
            }
            Problem::AnchorMissing => write!(f, "no head anchor"),
            Problem::AnchorUnreadable { reason } => write!(f, "head anchor unreadable: {reason}"),
            Problem::Uncertified { counter } => write!(f, "{counter}: not certified"),
            Problem::ForkUnsigned { counter, seq } => {
                write!(f, "{counter} fork at seq {seq} is not signed by its series")
            }
        }
    }
}

/// What `verify` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: u64,
    pub series: usize,
    pub problems: Vec<Problem>,
    /// Own-series entries committed after the anchor was last moved (a crash between a commit
    /// and the anchor's update, or a full disk): not a problem.
    pub anchor_lag: i64,
}

/// The head anchor as the ledger found it.
pub enum AnchorState<'a> {
    Present(&'a super::anchor::Anchor),
    Missing,
    Unreadable(String),
}

/// What verify must know about the database's own series: the series this counter signed
/// (its balance_after claims are checked against the fold) and the anchor.
pub struct Expect<'a> {
    pub own_series: &'a [Uuid],
    /// For an own series continued after a restore, the last seq this database held of it when
    /// it was restored: later entries of it came back from other counters, applied here in
    /// another order than they were written in, so their balance claims are not this log's.
    pub claims_up_to: &'a HashMap<Uuid, i64>,
    pub anchor: AnchorState<'a>,
}

struct SignatureJob {
    position: i64,
    seq: i64,
    series_id: Uuid,
    hash: [u8; 32],
    signature: Signature,
    key: VerifyingKey,
}

/// A fold of the whole log and what it found on the way.
pub struct Folded {
    pub fold: Fold,
    pub entries: u64,
    /// Each series' newest entry as the fold reached it.
    pub heads: HashMap<Uuid, SeriesHead>,
    /// The first broken entry: the fold stopped there.
    pub broken: Option<Problem>,
    /// Balances and totals that do not add up: the fold went on.
    pub problems: Vec<Problem>,
    /// Passbook accounts moved by entries of other counters: below zero, they are overdrafts
    /// found by a merge, not a changed log.
    pub merged_accounts: std::collections::HashSet<String>,
}

/// A series as the fold reached it.
pub struct SeriesHead {
    pub seq: i64,
    pub hash: Vec<u8>,
    pub series: SeriesInfo,
    key: VerifyingKey,
}

/// Folds the log, checking every link, hash and signature; on entries this counter signed
/// (`own_series`), also that their signed balance after is what the fold reaches.
pub fn fold_log(
    conn: &Connection,
    keep_all_rows: bool,
    own_series: &[Uuid],
    claims_up_to: &HashMap<Uuid, i64>,
) -> rusqlite::Result<Folded> {
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
        let losers = super::claims::losers(conn)?;
        let folded = fold_entries(
            conn,
            &keys,
            &losers,
            job_tx,
            keep_all_rows,
            own_series,
            claims_up_to,
        );
        let mut bad_signature: Option<(i64, i64, Uuid)> = None;
        for handle in handles {
            if let Some(found) = handle.join().expect("signature thread does not panic") {
                bad_signature = Some(bad_signature.map_or(found, |b| b.min(found)));
            }
        }
        let mut folded = folded?;
        if let Some((position, seq, series_id)) = bad_signature {
            let earlier = match &folded.broken {
                Some(Problem::Entry { position: p, .. }) => position < *p,
                _ => true,
            };
            if earlier {
                folded.broken = Some(Problem::Entry {
                    counter: name_of(&folded.heads, &series_id),
                    position,
                    seq,
                    what: EntryProblem::BadSignature,
                });
            }
        }
        Ok(folded)
    })
}

/// The counter's name for messages, or the start of its id before its first entry is known.
/// The key a series' first entry names, if it is one.
fn verifying_key(series: &SeriesInfo) -> Option<VerifyingKey> {
    let bytes: &[u8; 32] = series.public_key.as_slice().try_into().ok()?;
    VerifyingKey::from_bytes(bytes).ok()
}

fn name_of(heads: &HashMap<Uuid, SeriesHead>, series_id: &Uuid) -> String {
    heads.get(series_id).map_or_else(
        || series_id.to_string()[..8].to_string(),
        |h| h.series.counter.clone(),
    )
}

fn verify_signatures(
    jobs: &std::sync::Mutex<mpsc::Receiver<Vec<SignatureJob>>>,
) -> Option<(i64, i64, Uuid)> {
    let mut first_bad: Option<(i64, i64, Uuid)> = None;
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
            let found = (job.position, job.seq, job.series_id);
            first_bad = Some(first_bad.map_or(found, |b| b.min(found)));
        }
    }
}

fn fold_entries(
    conn: &Connection,
    keys: &MapKeys,
    losers: &super::claims::Losers,
    jobs: mpsc::SyncSender<Vec<SignatureJob>>,
    keep_all_rows: bool,
    own_series: &[Uuid],
    claims_up_to: &HashMap<Uuid, i64>,
) -> rusqlite::Result<Folded> {
    let mut folded = Folded {
        fold: Fold {
            keep_all_rows,
            ..Fold::default()
        },
        entries: 0,
        heads: HashMap::new(),
        broken: None,
        problems: Vec::new(),
        merged_accounts: std::collections::HashSet::new(),
    };
    let mut batch = Vec::with_capacity(SIGNATURE_BATCH_ENTRIES);
    // One key reused for every balance looked up in the fold (a million entries, no allocation).
    let mut balance_key = vec![Cell::Text(String::new())];
    let mut stmt = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS} FROM entries ORDER BY position"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let entry = EntryRow::from_row(row)?;
        folded.entries += 1;
        // A broken entry ends the fold, but the signatures already queued are still checked:
        // an entry re-hashed without the device key is then blamed on itself, not its successor.
        macro_rules! fail {
            ($what:expr) => {{
                if !batch.is_empty() {
                    let _ = jobs.send(std::mem::take(&mut batch));
                }
                folded.broken = Some(Problem::Entry {
                    counter: name_of(&folded.heads, &entry.series_id),
                    position: entry.position,
                    seq: entry.seq,
                    what: $what,
                });
                folded.fold = Fold::default();
                return Ok(folded);
            }};
        }
        let (expected_seq, prev_hash) = match folded.heads.get(&entry.series_id) {
            Some(head) => (head.seq + 1, head.hash.as_slice()),
            None => (1, GENESIS_PREV_HASH.as_slice()),
        };
        if entry.seq != expected_seq {
            fail!(EntryProblem::Gap { expected_seq });
        }
        if entry.prev_hash != prev_hash {
            fail!(EntryProblem::BrokenLink);
        }
        let hash = entry_hash(&entry.prev_hash, &entry.series_id, entry.seq, &entry.body);
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
            let Some(series) = SeriesInfo::from_body(&entry.series_id, &envelope.body) else {
                fail!(EntryProblem::NoGenesis);
            };
            let Some(key) = verifying_key(&series) else {
                fail!(EntryProblem::NoGenesis);
            };
            folded.heads.insert(
                entry.series_id,
                SeriesHead {
                    seq: 0,
                    hash: Vec::new(),
                    series,
                    key,
                },
            );
        } else if matches!(envelope.body, Body::CounterInitialized { .. }) {
            fail!(EntryProblem::NoGenesis);
        }
        let Ok(signature) = Signature::from_slice(&entry.signature) else {
            fail!(EntryProblem::BadSignature);
        };
        let head = folded
            .heads
            .get_mut(&entry.series_id)
            .expect("inserted at seq 1");
        head.seq = entry.seq;
        head.hash = hash.to_vec();
        batch.push(SignatureJob {
            position: entry.position,
            seq: entry.seq,
            series_id: entry.series_id,
            hash,
            signature,
            key: head.key,
        });
        if batch.len() == SIGNATURE_BATCH_ENTRIES {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(SIGNATURE_BATCH_ENTRIES));
            let _ = jobs.send(full);
        }
        let lost = Uuid::parse_str(&envelope.id)
            .ok()
            .and_then(|id| losers.entries.get(&id))
            .map_or(&[][..], Vec::as_slice);
        let ops = entry_ops(
            entry.position,
            &entry.series_id,
            entry.seq,
            &hash,
            &envelope,
            &head.series,
            keys,
            lost,
        );
        folded.fold.apply(&ops);
        let own = own_series.contains(&entry.series_id)
            && claims_up_to
                .get(&entry.series_id)
                .is_none_or(|last| entry.seq <= *last);
        // A passbook moved by another counter, by entries of an earlier series of this one
        // that a restore did not hold (they came back by a sync, as another counter's would),
        // or by a duplicate: below zero, it is an overdraft a merge found, not a fault here.
        if let Some((passbook, _)) = envelope.body.passbook_balance_after()
            && (!own || losers.passbooks.contains(passbook))
            && !folded.merged_accounts.contains(passbook)
        {
            folded.merged_accounts.insert(passbook.to_string());
        }
        // An own entry signed the balance it saw; where a duplicate of its passbook was counted
        // then and is not now, the two differ by design.
        let own = own
            && envelope
                .body
                .passbook_balance_after()
                .is_none_or(|(passbook, _)| !losers.passbooks.contains(passbook));
        check_claims(
            &envelope.body,
            own,
            &entry.series_id,
            entry.seq,
            &mut folded,
            &mut balance_key,
        );
    }
    if !batch.is_empty() {
        let _ = jobs.send(batch);
    }
    negative_balances(&mut folded);
    Ok(folded)
}

fn push_problem(folded: &mut Folded, problem: Problem) {
    if folded.problems.len() < PROBLEMS_MAX {
        folded.problems.push(problem);
    }
}

/// What a points entry claims besides its effects: the total of its lines, and (for entries
/// this counter signed, which it wrote in this log's order) the balance after it.
fn check_claims(
    body: &Body,
    own: bool,
    series_id: &Uuid,
    seq: i64,
    folded: &mut Folded,
    balance_key: &mut [Cell],
) {
    if let Body::PointsRedeemed { lines, total, .. } = body {
        let sum = lines
            .iter()
            .try_fold(0i64, |sum, l| {
                l.unit_points
                    .0
                    .checked_mul(i64::from(l.qty))
                    .and_then(|p| sum.checked_add(p))
            })
            .unwrap_or(i64::MAX);
        if sum != total.0 {
            let problem = Problem::LineTotal {
                counter: name_of(&folded.heads, series_id),
                seq,
                lines: sum,
                total: total.0,
            };
            push_problem(folded, problem);
        }
    }
    if !own {
        return;
    }
    let Some((passbook, signed)) = body.passbook_balance_after() else {
        return;
    };
    if let Cell::Text(account) = &mut balance_key[0] {
        account.clear();
        account.push_str(PASSBOOK_ACCOUNT_PREFIX);
        account.push_str(passbook);
    }
    let folded_balance = folded
        .fold
        .tables
        .get("balances")
        .and_then(|t| t.get(&*balance_key))
        .map_or(0, |row| row[0].as_int());
    if folded_balance != signed.0 {
        let problem = Problem::BalanceAfter {
            counter: name_of(&folded.heads, series_id),
            seq,
            passbook: passbook.to_string(),
            signed: signed.0,
            folded: folded_balance,
        };
        push_problem(folded, problem);
    }
}

/// Every passbook the log leaves below zero by this counter's own entries alone (one that
/// entries of other counters moved too is an overdraft a merge found, listed by the sync).
fn negative_balances(folded: &mut Folded) {
    let mut negative: Vec<(String, i64)> = folded
        .fold
        .tables
        .get("balances")
        .into_iter()
        .flatten()
        .filter_map(|(key, values)| match (key.first(), values.first()) {
            (Some(Cell::Text(account)), Some(Cell::Int(points))) if *points < 0 => account
                .strip_prefix(PASSBOOK_ACCOUNT_PREFIX)
                .filter(|p| !folded.merged_accounts.contains(*p))
                .map(|p| (p.to_string(), *points)),
            _ => None,
        })
        .collect();
    negative.sort();
    for (passbook, points) in negative {
        push_problem(folded, Problem::NegativeBalance { passbook, points });
    }
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

/// Verifies the log and that every projection equals a fresh fold of it; on this counter's
/// own series also the signed balances and the head anchor.
pub fn verify(conn: &Connection, expect: &Expect<'_>) -> rusqlite::Result<VerifyReport> {
    // One read transaction: the log and the projections are read from the same snapshot, so a
    // redemption committed by another process meanwhile cannot look like a mismatch.
    let snapshot = conn.unchecked_transaction()?;
    let report = verify_snapshot(&snapshot, expect)?;
    snapshot.finish()?;
    Ok(report)
}

fn verify_snapshot(conn: &Connection, expect: &Expect<'_>) -> rusqlite::Result<VerifyReport> {
    let folded = fold_log(conn, false, expect.own_series, expect.claims_up_to)?;
    let mut report = VerifyReport {
        entries: folded.entries,
        series: folded.heads.len(),
        ..VerifyReport::default()
    };
    if let Some(broken) = folded.broken {
        report.problems.push(broken);
        return Ok(report);
    }
    let (anchor_problems, lag) = check_anchor(conn, &folded.heads, expect)?;
    report.anchor_lag = lag;
    let table_problem = if digests_differ(conn, &folded.fold)? {
        // Slow path: fold again keeping every row, to name the first one that differs.
        compare_tables(
            conn,
            fold_log(conn, true, expect.own_series, expect.claims_up_to)?.fold,
        )?
    } else {
        compare_tables(conn, folded.fold)?
    };
    report.problems.extend(table_problem);
    report.problems.extend(anchor_problems);
    report.problems.extend(folded.problems);
    report.problems.truncate(PROBLEMS_MAX);
    Ok(report)
}

/// The head anchor against the log without folding it (`doctor`'s quick look): each own or
/// anchored series' head is taken as its highest seq, its key from its first entry. Finds
/// deleted last entries, a replaced head entry and a forged anchor in milliseconds; broken
/// links further down are `ledger verify`'s to find.
pub fn check_anchor_quick(
    conn: &Connection,
    expect: &Expect<'_>,
) -> rusqlite::Result<Vec<Problem>> {
    let mut ids: Vec<Uuid> = expect.own_series.to_vec();
    if let AnchorState::Present(anchor) = &expect.anchor {
        ids.extend(anchor.heads.iter().map(|h| h.series_id));
    }
    let mut heads = HashMap::new();
    for id in ids {
        if heads.contains_key(&id) {
            continue;
        }
        let head: Option<(i64, Vec<u8>)> = conn
            .prepare_cached(
                "SELECT seq, hash FROM entries WHERE series_id = ?1 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([id.as_bytes().as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (Some((seq, hash)), Some(series)) = (head, super::log::series_of(conn, &id)?) else {
            continue;
        };
        let Some(key) = verifying_key(&series) else {
            continue;
        };
        heads.insert(
            id,
            SeriesHead {
                seq,
                hash,
                series,
                key,
            },
        );
    }
    Ok(check_anchor(conn, &heads, expect)?.0)
}

/// The log against the head anchor: no own series may end before its anchor, the anchored
/// entry must be the one in the log, and the anchor's signature the counter's.
fn check_anchor(
    conn: &Connection,
    heads: &HashMap<Uuid, SeriesHead>,
    expect: &Expect<'_>,
) -> rusqlite::Result<(Vec<Problem>, i64)> {
    let mut problems = Vec::new();
    let own_in_log = expect.own_series.iter().any(|id| heads.contains_key(id));
    let anchor = match &expect.anchor {
        AnchorState::Present(anchor) => anchor,
        AnchorState::Missing if own_in_log => return Ok((vec![Problem::AnchorMissing], 0)),
        AnchorState::Missing => return Ok((problems, 0)),
        AnchorState::Unreadable(reason) => {
            return Ok((
                vec![Problem::AnchorUnreadable {
                    reason: reason.clone(),
                }],
                0,
            ));
        }
    };
    if expect
        .own_series
        .iter()
        .any(|id| heads.contains_key(id) && anchor.head(id).is_none())
    {
        problems.push(Problem::AnchorMissing);
    }
    let mut lag = 0;
    for anchored in &anchor.heads {
        let counter = name_of(heads, &anchored.series_id);
        let log_seq = heads.get(&anchored.series_id).map_or(0, |h| h.seq);
        if log_seq < anchored.seq {
            problems.push(Problem::Truncated {
                counter,
                anchored_seq: anchored.seq,
                log_seq,
            });
            continue;
        }
        let hash: Option<Vec<u8>> = conn
            .prepare_cached("SELECT hash FROM entries WHERE series_id = ?1 AND seq = ?2")?
            .query_row(
                rusqlite::params![anchored.series_id.as_bytes().as_slice(), anchored.seq],
                |r| r.get(0),
            )
            .optional()?;
        let anchored_hash = hex::decode(&anchored.hash).unwrap_or_default();
        if hash.as_deref() != Some(anchored_hash.as_slice()) {
            problems.push(Problem::AnchorMismatch {
                counter,
                seq: anchored.seq,
            });
            continue;
        }
        let signed = heads.get(&anchored.series_id).is_some_and(|h| {
            hex::decode(&anchored.signature)
                .ok()
                .and_then(|s| Signature::from_slice(&s).ok())
                .is_some_and(|s| h.key.verify_strict(&anchored_hash, &s).is_ok())
        });
        if !signed {
            problems.push(Problem::AnchorForged { counter });
            continue;
        }
        if !anchored.retired {
            lag += log_seq - anchored.seq;
        }
    }
    Ok((problems, lag))
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
    let rebuilt = rebuild_in(&tx)?;
    if rebuilt.is_ok() {
        tx.commit()?;
    }
    Ok(rebuilt)
}

/// [`rebuild`] inside the caller's write transaction.
pub fn rebuild_in(tx: &Connection) -> rusqlite::Result<Result<u64, Problem>> {
    let folded = fold_log(tx, true, &[], &HashMap::new())?;
    if let Some(problem) = folded.broken {
        return Ok(Err(problem));
    }
    for spec in TABLES {
        tx.execute(&format!("DELETE FROM {}", spec.name), [])?;
        let Some(rows) = folded.fold.tables.get(spec.name) else {
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
        super::projection::apply_sql(tx, &ops)?;
    }
    Ok(Ok(folded.entries))
}
