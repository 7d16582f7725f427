//! The hub's store in one SQLite file (`hub.db` in the street office's home by default): one
//! connection, each call on a blocking thread, each write one `BEGIN IMMEDIATE` transaction
//! (so two hub processes on one file take turns, and a head read inside the transaction is
//! the head written to).

use super::*;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Migrations of `hub.db`, append-only. The first is what `hub init` made before the hub
/// served the network (the district and the enrolment register).
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE district (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    district_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
-- Every enrolment file given out: a counter's name keeps its code across files (a new file
-- after a restore, a renewed one), and a code belongs to one counter.
CREATE TABLE enrolments (
    grant_id   TEXT PRIMARY KEY,
    counter    TEXT NOT NULL,
    code       TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX enrolments_by_code ON enrolments (code);
CREATE INDEX enrolments_by_counter ON enrolments (counter);
",
    include_str!("sqlite_0002_ledger.sql"),
    include_str!("sqlite_0003_counters.sql"),
    include_str!("sqlite_0004_claims.sql"),
    include_str!("sqlite_0005_registrations.sql"),
    include_str!("sqlite_0006_series_id.sql"),
    include_str!("sqlite_0007_origin.sql"),
    include_str!("sqlite_0008_passbook_tokens.sql"),
];

/// Entry ids looked up by one statement (SQLite binds at most 32,766 values).
const TAKEN_IDS_PER_QUERY: usize = 1_000;
/// Claims looked up by one statement (a push of 1,000 entries makes about as many).
const CLAIMS_PER_QUERY: usize = 1_000;

/// The hub's store in SQLite: one connection writes, a few others read beside it (WAL lets
/// readers see the last commit while a write goes on), so judging one push never waits for
/// another push's commit.
#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    _checkpointer: Arc<Checkpointer>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: Arc<std::sync::atomic::AtomicUsize>,
    path: PathBuf,
}

/// The page size of a new hub.db.
const PAGE_BYTES: i64 = 16_384;
/// Connections that read beside the writer.
const READERS: usize = 4;
/// How often the checkpointer moves the WAL into the database.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Moves the WAL into the database on a thread of its own (a passive checkpoint waits for no
/// one), so that no push waits for a checkpoint while it holds the write lock. Stops with the
/// store.
struct Checkpointer {
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Checkpointer {
    fn start(path: &Path) -> StoreResult<Checkpointer> {
        let conn = connect(path)?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(CHECKPOINT_INTERVAL);
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
            }
        });
        Ok(Checkpointer { stop })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn connect(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    crate::store::configure(&conn)?;
    // The hub reads every entry it serves once in a while, not the same pages again and
    // again: no memory map, so its memory stays flat however large the ledger grows.
    conn.pragma_update(None, "mmap_size", 0)?;
    // A commit is durable on the next checkpoint rather than at once. What a power cut could
    // take back is the last pushes, and those are still held by the counters that pushed
    // them: the hub's heads show they are missing, and the next sync sends them again.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (and migrates) the store at `path`, creating it owner-only if missing.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let new = !path.exists() || std::fs::metadata(path).is_ok_and(|m| m.len() == 0);
        if !path.exists() {
            crate::keys::create_private_file(path)
                .map_err(|e| StoreError::Other(format!("{}: {e}", path.display())))?;
        }
        if new {
            // Entries are a few hundred bytes and arrive a thousand at a time: larger pages
            // mean fewer pages written, split and checkpointed per push.
            let conn = Connection::open(path)?;
            conn.pragma_update(None, "page_size", PAGE_BYTES)?;
            conn.execute_batch("VACUUM")?;
        }
        let mut conn = connect(path)?;
        let applied: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        }
        tx.commit()?;
        // The checkpointer does it; a commit never does.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let readers = (0..READERS)
            .map(|_| connect(path).map(Mutex::new))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(conn)),
            _checkpointer: Arc::new(Checkpointer::start(path)?),
            readers: Arc::new(readers),
            next_reader: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` with the writing connection on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let conn = Arc::clone(&self.writer);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            work(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Other(format!("store thread: {e}")))?
    }

    /// Runs `work`, which only reads, with one of the reading connections.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let readers = Arc::clone(&self.readers);
        let first = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            // A free reader if there is one, else wait for the next in turn.
            for i in 0..readers.len() {
                if let Ok(mut conn) = readers[(first + i) % readers.len()].try_lock() {
                    return work(&mut conn);
                }
            }
            let mut conn = readers[first % readers.len()]
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            work(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Other(format!("store thread: {e}")))?
    }
}

fn blob_32(bytes: Vec<u8>) -> [u8; 32] {
    bytes.try_into().unwrap_or([0; 32])
}

fn uuid_of(bytes: Vec<u8>) -> Uuid {
    Uuid::from_slice(&bytes).unwrap_or(Uuid::nil())
}

fn immediate(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

/// The columns [`enrolment_of`] reads, in its order.
const ENROLMENT_COLUMNS: &str =
    "grant_id, counter, code, issued_at, expires_at, community, registered_key";

fn enrolment_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<EnrolmentRow> {
    Ok(EnrolmentRow {
        grant_id: r.get(0)?,
        counter: r.get(1)?,
        code: r.get(2)?,
        issued_at: r.get(3)?,
        expires_at: r.get(4)?,
        community: r.get(5)?,
        registered_key: r.get::<_, Option<Vec<u8>>>(6)?.map(blob_32),
    })
}

/// The register as [`assign_code`] reads it.
fn register_of(tx: &Connection) -> rusqlite::Result<Vec<RegisterRow>> {
    tx.prepare("SELECT DISTINCT community, counter, code FROM enrolments")?
        .query_map([], |r| {
            Ok(RegisterRow {
                community: r.get(0)?,
                counter: r.get(1)?,
                code: r.get(2)?,
            })
        })?
        .collect()
}

/// Whether every claim a push was judged against still has the holder it had then.
fn claims_as_judged(tx: &Connection, claims: &[ClaimRow]) -> rusqlite::Result<bool> {
    let names: Vec<&str> = claims.iter().map(|c| c.claim.as_str()).collect();
    let held = claim_holders(tx, &names)?;
    Ok(claims
        .iter()
        .all(|c| held.get(&c.claim).map(|h| h.id) == c.expected))
}

/// The holders of `claims` that are held, a statement for up to [`CLAIMS_PER_QUERY`] of them:
/// a push makes a claim for most of its entries, and a statement for each claim was one more
/// query for each entry.
fn claim_holders(
    conn: &Connection,
    claims: &[&str],
) -> rusqlite::Result<HashMap<String, Claimant>> {
    let mut found = HashMap::new();
    for part in claims.chunks(CLAIMS_PER_QUERY) {
        let sql = format!(
            "SELECT c.claim, c.id, c.series_id, c.seq, NOT EXISTS (SELECT 1 FROM duplicates d
                 WHERE d.series_id = c.series_id AND d.seq = c.seq)
             FROM claims c WHERE c.claim IN ({})",
            vec!["?"; part.len()].join(", ")
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(part), |r| {
            Ok((
                r.get::<_, String>(0)?,
                Claimant {
                    id: uuid_of(r.get(1)?),
                    series_id: uuid_of(r.get(2)?),
                    seq: r.get(3)?,
                    counts: r.get(4)?,
                },
            ))
        })?;
        for row in rows {
            let (claim, holder) = row?;
            found.insert(claim, holder);
        }
    }
    Ok(found)
}

/// The holders of the claims a push made, and the entries that lost one.
fn write_claims(tx: &Connection, append: &Append) -> rusqlite::Result<()> {
    for c in &append.claims {
        tx.prepare_cached(
            "INSERT INTO claims (claim, id, series_id, seq) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (claim) DO UPDATE SET id = excluded.id, series_id = excluded.series_id,
               seq = excluded.seq",
        )?
        .execute(params![
            c.claim,
            c.holder.id.as_bytes().as_slice(),
            c.holder.series_id.as_bytes().as_slice(),
            c.holder.seq
        ])?;
    }
    for (series_id, seq, claim) in &append.duplicates {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO duplicates (series_id, seq, claim) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![series_id.as_bytes().as_slice(), seq, claim])?;
    }
    for s in &append.skews {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO clock_skews (series_id, seq, skew, recorded_at, compared_with)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            s.series_id.as_bytes().as_slice(),
            s.seq,
            s.skew,
            s.recorded_at,
            s.compared_with
        ])?;
    }
    Ok(())
}

/// Applies what entries do to the derived tables. `stopped`: the entries that stopped counting
/// (a claim another entry made first), whose movements leave the statements.
fn apply_derived(
    tx: &Connection,
    derived: &[Derived],
    stopped: &[(Uuid, i64, String)],
) -> rusqlite::Result<()> {
    // Additions to one balance are summed first: a push of one counter moves the same few
    // accounts (its community's source, its sink) a thousand times.
    let mut posts: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for d in derived {
        if let Derived::Post { account, points } = d {
            *posts.entry(account).or_default() += points;
        }
    }
    for (account, points) in posts {
        tx.prepare_cached(
            "INSERT INTO balances (account, points) VALUES (?1, ?2)
             ON CONFLICT (account) DO UPDATE SET points = points + excluded.points",
        )?
        .execute(params![account, points])?;
    }
    let report = ReportRows::of(derived);
    for ((day, origin, kind, key), v) in &report.tallies {
        tx.prepare_cached(
            "INSERT INTO tallies (day, origin, kind, key, count, qty, minutes, points)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (day, origin, kind, key) DO UPDATE SET count = count + excluded.count,
               qty = qty + excluded.qty, minutes = minutes + excluded.minutes,
               points = points + excluded.points",
        )?
        .execute(params![day, origin, kind, key, v[0], v[1], v[2], v[3]])?;
    }
    // A passbook served at a counter on a day is one visit: counted when its row is new.
    let mut visits: std::collections::BTreeMap<(&str, &str), i64> = Default::default();
    for (day, origin, passbook) in &report.served {
        let new = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO served (day, origin, passbook) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![day, origin, passbook])?;
        if new == 1 {
            *visits.entry((day, origin)).or_default() += 1;
        }
    }
    for ((day, origin), n) in visits {
        tx.prepare_cached(
            "INSERT INTO visits (day, origin, visits) VALUES (?1, ?2, ?3)
             ON CONFLICT (day, origin) DO UPDATE SET visits = visits + excluded.visits",
        )?
        .execute(params![day, origin, n])?;
    }
    for ((account, series_id, seq), points) in &report.postings {
        tx.prepare_cached(
            "INSERT INTO postings (account, series_id, seq, points) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account, series_id, seq) DO UPDATE SET points = points + excluded.points",
        )?
        .execute(params![
            account,
            series_id.as_bytes().as_slice(),
            seq,
            points
        ])?;
        if *points == 0
            || (*points < 0 && stopped.iter().any(|(s, q, _)| s == series_id && q == seq))
        {
            // An entry that stopped counting (a claim another entry made first): its movement
            // leaves the statement. Only those (not every redemption) are looked for.
            tx.prepare_cached(
                "DELETE FROM postings WHERE account = ?1 AND series_id = ?2 AND seq = ?3
                 AND points = 0",
            )?
            .execute(params![account, series_id.as_bytes().as_slice(), seq])?;
        }
    }
    for d in derived {
        match d {
            Derived::Post { .. }
            | Derived::Tally { .. }
            | Derived::Served { .. }
            | Derived::Posting { .. } => {}
            Derived::Name {
                origin,
                what,
                code,
                name,
            } => {
                tx.prepare_cached(
                    "INSERT INTO names (origin, what, code, name) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (origin, what, code) DO UPDATE SET name = excluded.name",
                )?
                .execute(params![origin, what, code, name])?;
            }
            Derived::Passbook {
                passbook,
                resident,
                origin,
            } => {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO passbooks (passbook, resident, origin) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![passbook, resident, origin])?;
            }
            Derived::Token {
                token_sha256,
                passbook,
                resident,
                revoked,
            } => {
                tx.prepare_cached(
                    "INSERT INTO passbook_tokens (token_sha256, passbook, resident, revoked)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (token_sha256) DO UPDATE SET
                       resident = MAX(resident, excluded.resident),
                       revoked = MAX(revoked, excluded.revoked)",
                )?
                .execute(params![token_sha256, passbook, resident, revoked])?;
            }
            Derived::Register {
                resident,
                origin,
                sealed,
            } => {
                tx.prepare_cached(
                    "INSERT INTO residents (resident, origin, sealed, erased) VALUES (?1, ?2, ?3, 0)
                     ON CONFLICT (resident) DO UPDATE SET origin = excluded.origin,
                       sealed = CASE WHEN erased = 0 THEN excluded.sealed ELSE NULL END",
                )?
                .execute(params![resident, origin, sealed])?;
            }
            Derived::Update {
                resident,
                origin,
                sealed,
            } => {
                tx.prepare_cached(
                    "UPDATE residents SET sealed = ?3 WHERE resident = ?1 AND origin = ?2 AND erased = 0",
                )?
                .execute(params![resident, origin, sealed])?;
            }
            Derived::Erase { resident } => {
                tx.prepare_cached(
                    "INSERT INTO residents (resident, origin, sealed, erased) VALUES (?1, NULL, NULL, 1)
                     ON CONFLICT (resident) DO UPDATE SET sealed = NULL, erased = 1",
                )?
                .execute([resident])?;
                tx.prepare_cached("DELETE FROM resident_keys WHERE resident = ?1")?
                    .execute([resident])?;
            }
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    async fn claim(&self, district_id: &str, name: &str, at: &str) -> StoreResult<()> {
        let (district_id, name, at) = (district_id.to_string(), name.to_string(), at.to_string());
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let held: Option<(String, String)> = tx
                .query_row(
                    "SELECT district_id, name FROM district WHERE id = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match held {
                Some((id, _)) if id == district_id => {}
                Some((_, other)) => return Err(StoreError::OtherDistrict(other)),
                None => {
                    tx.execute(
                        "INSERT INTO district (id, district_id, name, created_at) VALUES (1, ?1, ?2, ?3)",
                        params![district_id, name, at],
                    )?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn enrol(
        &self,
        community: Option<&str>,
        counter: &str,
        wanted: Option<&str>,
        issued_at: &str,
        expires_at: &str,
        code_hash: Option<&str>,
    ) -> StoreResult<Result<EnrolmentRow, CodeProblem>> {
        let community = community.map(str::to_string);
        let counter = counter.to_string();
        let wanted = wanted.map(str::to_string);
        let (issued_at, expires_at) = (issued_at.to_string(), expires_at.to_string());
        let code_hash = code_hash.map(str::to_string);
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let register = register_of(&tx)?;
            let (code, community) =
                match assign_code(&register, community.as_deref(), &counter, wanted.as_deref()) {
                    Ok(assigned) => assigned,
                    Err(problem) => return Ok(Err(problem)),
                };
            let grant_id = Uuid::now_v7().to_string();
            tx.execute(
                "INSERT INTO enrolments (grant_id, community, counter, code, issued_at, expires_at,
                     code_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    grant_id, community, counter, code, issued_at, expires_at, code_hash
                ],
            )?;
            if let Some(community) = &community {
                tx.execute(
                    "UPDATE enrolments SET community = ?1 WHERE code = ?2 AND community IS NULL",
                    params![community, code],
                )?;
            }
            tx.commit()?;
            Ok(Ok(EnrolmentRow {
                grant_id,
                community,
                counter,
                code,
                issued_at,
                expires_at,
                registered_key: None,
            }))
        })
        .await
    }

    async fn redeem(
        &self,
        code_hash: &str,
        counter: Option<&str>,
        now: &str,
    ) -> StoreResult<Result<EnrolmentRow, OneTimeProblem>> {
        let code_hash = code_hash.to_string();
        let counter = counter.map(str::to_string);
        let now = now.to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let row: Option<(EnrolmentRow, Option<String>)> = tx
                .query_row(
                    &format!(
                        "SELECT {ENROLMENT_COLUMNS}, used_at FROM enrolments WHERE code_hash = ?1"
                    ),
                    [&code_hash],
                    |r| Ok((enrolment_of(r)?, r.get(7)?)),
                )
                .optional()?;
            let Some((enrolment, used_at)) = row else {
                return Ok(Err(OneTimeProblem::Unknown));
            };
            if used_at.is_some() {
                return Ok(Err(OneTimeProblem::Used));
            }
            if enrolment.expires_at < now {
                return Ok(Err(OneTimeProblem::Expired));
            }
            if counter.as_deref().is_some_and(|c| c != enrolment.counter) {
                return Ok(Err(OneTimeProblem::OtherCounter));
            }
            tx.execute(
                "UPDATE enrolments SET used_at = ?2 WHERE grant_id = ?1",
                params![enrolment.grant_id, now],
            )?;
            tx.commit()?;
            Ok(Ok(enrolment))
        })
        .await
    }

    async fn counters(&self) -> StoreResult<Vec<CounterRow>> {
        self.read(|conn| {
            let mut rows: Vec<CounterRow> = conn
                .prepare(
                    "SELECT COALESCE(MAX(community), ''),
                            (SELECT counter FROM enrolments n WHERE n.code = e.code
                             ORDER BY issued_at DESC LIMIT 1),
                            code, COUNT(*), MAX(issued_at), MAX(expires_at)
                     FROM enrolments e GROUP BY code ORDER BY length(code), code",
                )?
                .query_map([], |r| {
                    Ok(CounterRow {
                        community: r.get(0)?,
                        counter: r.get(1)?,
                        code: r.get(2)?,
                        enrolments: r.get(3)?,
                        last_issued_at: r.get(4)?,
                        last_expires_at: r.get(5)?,
                        ..CounterRow::default()
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut stmt = conn.prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(seq), 0), MAX(last_push_at), MAX(last_pull_at)
                 FROM series WHERE code = ?1",
            )?;
            let mut forks = conn.prepare_cached(
                "SELECT COUNT(*) FROM evidence
                 WHERE reason = 'fork' AND series_id IN (SELECT series_id FROM series WHERE code = ?1)",
            )?;
            let mut refused = conn.prepare_cached(
                "SELECT COALESCE(SUM(refused), 0) FROM sync_log WHERE direction = 'push'
                 AND series_id IN (SELECT series_id FROM series WHERE code = ?1
                                UNION SELECT series_id FROM certificates WHERE code = ?1)",
            )?;
            let mut enrolment_refusals = conn.prepare_cached(
                "SELECT COUNT(*), MAX(id) FROM enrolment_refusals WHERE code = ?1",
            )?;
            let mut last_refusal =
                conn.prepare_cached("SELECT reason, at FROM enrolment_refusals WHERE id = ?1")?;
            let mut revoked =
                conn.prepare_cached("SELECT COUNT(*) > 0 FROM revoked WHERE code = ?1")?;
            for row in &mut rows {
                (row.series, row.entries, row.last_push_at, row.last_pull_at) =
                    stmt.query_row([&row.code], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })?;
                row.forks = forks.query_row([&row.code], |r| r.get(0))?;
                row.refused = refused.query_row([&row.code], |r| r.get(0))?;
                let last: Option<i64>;
                (row.enrolment_refusals, last) =
                    enrolment_refusals.query_row([&row.code], |r| Ok((r.get(0)?, r.get(1)?)))?;
                row.last_enrolment_refusal = match last {
                    Some(id) => Some(last_refusal.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?),
                    None => None,
                };
                row.revoked = revoked.query_row([&row.code], |r| r.get(0))?;
            }
            Ok(rows)
        })
        .await
    }

    async fn grant(&self, grant_id: &str) -> StoreResult<Option<EnrolmentRow>> {
        let grant_id = grant_id.to_string();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {ENROLMENT_COLUMNS} FROM enrolments WHERE grant_id = ?1"
                ))?
                .query_row([grant_id], enrolment_of)
                .optional()?)
        })
        .await
    }

    async fn put_certificate(&self, c: &NewCertificate) -> StoreResult<bool> {
        let c = c.clone();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let taken = tx.execute(
                "UPDATE enrolments SET registered_key = ?2,
                     registered_at = COALESCE(registered_at, ?3),
                     community = COALESCE(community, ?4)
                 WHERE grant_id = ?1 AND (registered_key IS NULL OR registered_key = ?2)",
                params![c.grant_id, c.public_key.as_slice(), c.at, c.community],
            )?;
            if taken == 0 {
                return Ok(false);
            }
            tx.execute(
                "UPDATE enrolments SET community = ?1 WHERE code = ?2 AND community IS NULL",
                params![c.community, c.code],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO certificates (series_id, certificate, public_key, counter, code, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![c.series_id.as_bytes().as_slice(), c.certificate, c.public_key.as_slice(), c.counter, c.code, c.at],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn refuse_certificate(&self, refused: &RefusedCertificate) -> StoreResult<()> {
        let r = refused.clone();
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO enrolment_refusals (grant_id, code, public_key, reason, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r.grant_id, r.code, r.public_key.as_slice(), r.reason, r.at],
            )?;
            Ok(())
        })
        .await
    }

    async fn revoke(&self, code: &str, at: &str) -> StoreResult<i64> {
        let (code, at) = (code.to_string(), at.to_string());
        self.run(move |conn| {
            let tx = immediate(conn)?;
            tx.execute(
                "INSERT OR IGNORE INTO revoked (series_id, code, at)
                 SELECT series_id, ?1, ?2 FROM series WHERE code = ?1
                 UNION SELECT series_id, ?1, ?2 FROM certificates WHERE code = ?1",
                params![code, at],
            )?;
            let n = tx.query_row(
                "SELECT COUNT(*) FROM revoked WHERE code = ?1",
                [&code],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    async fn revoked(&self, ids: &[Uuid]) -> StoreResult<std::collections::HashSet<Uuid>> {
        let ids = ids.to_vec();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT 1 FROM revoked WHERE series_id = ?1")?;
            let mut out = std::collections::HashSet::new();
            for id in ids {
                if stmt.exists([id.as_bytes().as_slice()])? {
                    out.insert(id);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn live_series(&self, code: &str) -> StoreResult<Vec<LiveSeries>> {
        let code = code.to_string();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT series_id, origin FROM series WHERE code = ?1
                     AND series_id NOT IN (SELECT series_id FROM revoked) ORDER BY position",
                )?
                .query_map([code], |r| {
                    Ok(LiveSeries {
                        series_id: uuid_of(r.get(0)?),
                        origin: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn resident_sealed(&self, residents: &[String]) -> StoreResult<HashMap<String, String>> {
        let residents = residents.to_vec();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT sealed FROM residents WHERE resident = ?1 AND erased = 0 AND sealed IS NOT NULL",
            )?;
            let mut out = HashMap::new();
            for resident in residents {
                if let Some(sealed) = stmt
                    .query_row([&resident], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    out.insert(resident, sealed);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn certificates(&self, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, String>> {
        let ids = ids.to_vec();
        self.read(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT certificate FROM certificates WHERE series_id = ?1")?;
            let mut out = HashMap::new();
            for id in ids {
                if let Some(c) = stmt
                    .query_row([id.as_bytes().as_slice()], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    out.insert(id, c);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn series_key(&self, series_id: Uuid) -> StoreResult<Option<[u8; 32]>> {
        self.read(move |conn| {
            let key: Option<Vec<u8>> = conn
                .prepare_cached(
                    "SELECT public_key FROM
                       (SELECT public_key, 0 AS o FROM series WHERE series_id = ?1
                        UNION ALL SELECT public_key, 1 FROM certificates WHERE series_id = ?1)
                     WHERE NOT EXISTS (SELECT 1 FROM revoked WHERE series_id = ?1)
                     ORDER BY o LIMIT 1",
                )?
                .query_row([series_id.as_bytes().as_slice()], |r| r.get(0))
                .optional()?;
            Ok(key.map(blob_32))
        })
        .await
    }

    async fn use_nonce(
        &self,
        series_id: Uuid,
        nonce: &str,
        expires_ms: i64,
        forget_before_ms: i64,
    ) -> StoreResult<bool> {
        let nonce = nonce.to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            tx.prepare_cached("DELETE FROM nonces WHERE expires_ms < ?1")?
                .execute([forget_before_ms])?;
            let fresh = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO nonces (series_id, nonce, expires_ms) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![series_id.as_bytes().as_slice(), nonce, expires_ms])?
                == 1;
            tx.commit()?;
            Ok(fresh)
        })
        .await
    }

    async fn heads(&self) -> StoreResult<Vec<Head>> {
        self.read(|conn| {
            let heads = conn
                .prepare_cached("SELECT series_id, seq, hash FROM series ORDER BY position")?
                .query_map([], |r| {
                    Ok(Head {
                        series_id: uuid_of(r.get(0)?),
                        seq: r.get(1)?,
                        hash: hex::encode(r.get::<_, Vec<u8>>(2)?),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(heads)
        })
        .await
    }

    async fn series(&self, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, HubSeries>> {
        let ids = ids.to_vec();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, hash, public_key, community, prefix, counter, origin, code,
                        utc_offset_minutes, last_push_at, last_pull_at
                 FROM series WHERE series_id = ?1",
            )?;
            let mut out = HashMap::new();
            for id in ids {
                let row = stmt
                    .query_row([id.as_bytes().as_slice()], |r| {
                        Ok(HubSeries {
                            series_id: id,
                            seq: r.get(0)?,
                            hash: blob_32(r.get(1)?),
                            public_key: blob_32(r.get(2)?),
                            community: r.get(3)?,
                            prefix: r.get(4)?,
                            counter: r.get(5)?,
                            origin: r.get(6)?,
                            code: r.get(7)?,
                            utc_offset_minutes: r.get(8)?,
                            last_push_at: r.get(9)?,
                            last_pull_at: r.get(10)?,
                        })
                    })
                    .optional()?;
                if let Some(row) = row {
                    out.insert(id, row);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn code_holder(
        &self,
        prefix: &str,
        code: &str,
        origin: &str,
    ) -> StoreResult<Option<String>> {
        let (prefix, code, origin) = (prefix.to_string(), code.to_string(), origin.to_string());
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT counter FROM series WHERE prefix = ?1 AND code = ?2 AND origin != ?3 LIMIT 1",
                )?
                .query_row(params![prefix, code, origin], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn hashes(
        &self,
        series_id: Uuid,
        from: i64,
        to: i64,
    ) -> StoreResult<HashMap<i64, [u8; 32]>> {
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT seq, hash FROM entries WHERE series_id = ?1 AND seq BETWEEN ?2 AND ?3",
                )?
                .query_map(params![series_id.as_bytes().as_slice(), from, to], |r| {
                    Ok((r.get(0)?, blob_32(r.get(1)?)))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn claimants(&self, claims: &[String]) -> StoreResult<HashMap<String, Claimant>> {
        let claims = claims.to_vec();
        self.read(move |conn| {
            let names: Vec<&str> = claims.iter().map(String::as_str).collect();
            Ok(claim_holders(conn, &names)?)
        })
        .await
    }

    async fn skews(&self, limit: i64) -> StoreResult<Vec<SkewRow>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT k.series_id, k.seq, k.skew, k.recorded_at, k.compared_with,
                        s.counter || COALESCE(' ' || s.code, '')
                 FROM clock_skews k JOIN series s ON s.series_id = k.series_id
                 JOIN entries e ON e.series_id = k.series_id AND e.seq = k.seq
                 ORDER BY e.received_at DESC, k.series_id, k.seq LIMIT ?1",
            )?;
            stmt.query_map([limit], |r| {
                Ok(SkewRow {
                    series_id: uuid_of(r.get(0)?),
                    seq: r.get(1)?,
                    skew: r.get(2)?,
                    recorded_at: r.get(3)?,
                    compared_with: r.get(4)?,
                    counter: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Into::into)
        })
        .await
    }

    async fn duplicates(&self) -> StoreResult<Vec<DuplicateRow>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT d.series_id, d.seq, d.claim, s.counter, s.code, e.recorded_at
                 FROM duplicates d JOIN series s ON s.series_id = d.series_id
                 JOIN entries e ON e.series_id = d.series_id AND e.seq = d.seq
                 ORDER BY e.recorded_at, d.series_id, d.seq, d.claim",
            )?;
            stmt.query_map([], |r| {
                Ok(DuplicateRow {
                    series_id: uuid_of(r.get(0)?),
                    seq: r.get(1)?,
                    claim: r.get(2)?,
                    counter: r.get(3)?,
                    code: r.get(4)?,
                    recorded_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Into::into)
        })
        .await
    }

    async fn shared_passbooks(&self) -> StoreResult<Vec<super::SharedPassbookRow>> {
        self.read(|conn| {
            let rows = conn
                .prepare(super::SHARED_PASSBOOKS_SELECT)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(super::shared_passbook_rows(rows))
        })
        .await
    }

    async fn taken_ids(&self, ids: &[Uuid]) -> StoreResult<std::collections::HashSet<Uuid>> {
        let ids = ids.to_vec();
        self.read(move |conn| {
            // One statement for the lot (a push holds at most 1,000 ids).
            let mut taken = std::collections::HashSet::new();
            for part in ids.chunks(TAKEN_IDS_PER_QUERY) {
                let sql = format!(
                    "SELECT id FROM entries WHERE id IN ({})",
                    vec!["?"; part.len()].join(", ")
                );
                let mut stmt = conn.prepare_cached(&sql)?;
                let found = stmt
                    .query_map(
                        rusqlite::params_from_iter(part.iter().map(|id| id.as_bytes().to_vec())),
                        |r| r.get::<_, Vec<u8>>(0),
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                taken.extend(found.into_iter().map(uuid_of));
            }
            Ok(taken)
        })
        .await
    }

    async fn append(&self, append: Append) -> StoreResult<AppendOutcome> {
        self.run(move |conn| {
            let tx = immediate(conn)?;
            {
                let mut head = tx.prepare_cached("SELECT seq FROM series WHERE series_id = ?1")?;
                for (id, expected) in &append.expected {
                    let seq: i64 = head
                        .query_row([id.as_bytes().as_slice()], |r| r.get(0))
                        .optional()?
                        .unwrap_or(0);
                    if seq != *expected {
                        return Ok(AppendOutcome::Moved);
                    }
                }
            }
            // Before anything is written: a push judged as if its claims were unheld finds
            // out here that one is held, and goes back to be judged against its holder.
            if !claims_as_judged(&tx, &append.claims)? {
                return Ok(AppendOutcome::Moved);
            }
            for s in &append.new_series {
                tx.prepare_cached(
                    "INSERT INTO series (series_id, position, seq, hash, public_key, community,
                         prefix, counter, origin, code, utc_offset_minutes)
                     VALUES (?1, (SELECT COALESCE(MAX(position), 0) + 1 FROM series), 0, x'', ?2, ?3,
                         ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    s.series_id.as_bytes().as_slice(),
                    s.public_key.as_slice(),
                    s.community,
                    s.prefix,
                    s.counter,
                    s.origin,
                    s.code,
                    s.utc_offset_minutes
                ])?;
            }
            let mut heads: HashMap<Uuid, (i64, [u8; 32])> = HashMap::new();
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO entries (series_id, seq, id, hash, prev_hash, signature, body, kind,
                         recorded_at, received_at)
                     VALUES (?1, ?2, ?10, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                for e in &append.entries {
                    insert.execute(params![
                        e.series_id.as_bytes().as_slice(),
                        e.seq,
                        e.hash.as_slice(),
                        e.prev_hash.as_slice(),
                        e.signature.as_slice(),
                        e.body,
                        e.kind,
                        e.recorded_at,
                        append.at,
                        e.id.as_bytes().as_slice()
                    ])?;
                    heads.insert(e.series_id, (e.seq, e.hash));
                }
            }
            for (id, (seq, hash)) in &heads {
                tx.prepare_cached(
                    "UPDATE series SET seq = ?2, hash = ?3, last_push_at = ?4 WHERE series_id = ?1",
                )?
                .execute(params![id.as_bytes().as_slice(), seq, hash.as_slice(), append.at])?;
            }
            apply_derived(&tx, &append.derived, &append.duplicates)?;
            write_claims(&tx, &append)?;
            for e in &append.evidence {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO evidence (series_id, seq, hash, prev_hash, signature, body,
                         reason, at, source)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    e.series_id.as_bytes().as_slice(),
                    e.seq,
                    e.hash.as_slice(),
                    e.prev_hash.as_slice(),
                    e.signature.as_slice(),
                    e.body,
                    e.reason,
                    append.at,
                    append.source
                ])?;
            }
            for key in &append.keys {
                // Keys come checked (they open the resident's data): a later one replaces one
                // kept before keys were checked.
                tx.prepare_cached(
                    "INSERT INTO resident_keys (resident, nonce, ciphertext)
                     SELECT ?1, ?2, ?3 WHERE NOT EXISTS
                       (SELECT 1 FROM residents WHERE resident = ?1 AND erased = 1)
                     ON CONFLICT (resident) DO UPDATE SET nonce = excluded.nonce,
                       ciphertext = excluded.ciphertext",
                )?
                .execute(params![key.resident, key.nonce, key.ciphertext])?;
            }
            tx.prepare_cached(
                "INSERT INTO sync_log (series_id, at, direction, entries, new, present, refused, forks)
                 VALUES (?1, ?2, 'push', ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                append.series_id.as_bytes().as_slice(),
                append.at,
                append.log.entries,
                append.log.new,
                append.log.present,
                append.log.refused,
                append.log.forks
            ])?;
            tx.prepare_cached("UPDATE series SET last_push_at = ?2 WHERE series_id = ?1")?
                .execute(params![append.series_id.as_bytes().as_slice(), append.at])?;
            tx.commit()?;
            Ok(AppendOutcome::Done)
        })
        .await
    }

    async fn entries(&self, series_id: Uuid, from: i64, to: i64) -> StoreResult<Vec<WireEntry>> {
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT seq, prev_hash, signature, body FROM entries
                     WHERE series_id = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq",
                )?
                .query_map(params![series_id.as_bytes().as_slice(), from, to], |r| {
                    let signature: Vec<u8> = r.get(2)?;
                    Ok(WireEntry {
                        seq: r.get(0)?,
                        prev_hash: blob_32(r.get(1)?),
                        signature: signature.try_into().unwrap_or([0; 64]),
                        body: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn resident_keys(&self, residents: &[String]) -> StoreResult<Vec<SealedResidentKey>> {
        let residents = residents.to_vec();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT nonce, ciphertext FROM resident_keys WHERE resident = ?1",
            )?;
            let mut out = Vec::new();
            for resident in residents {
                if let Some((nonce, ciphertext)) = stmt
                    .query_row([&resident], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                {
                    out.push(SealedResidentKey {
                        resident,
                        nonce,
                        ciphertext,
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn log_pull(&self, series_id: Uuid, at: &str, counts: SyncCounts) -> StoreResult<()> {
        let at = at.to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            tx.execute(
                "INSERT INTO sync_log (series_id, at, direction, entries, new, present, refused, forks)
                 VALUES (?1, ?2, 'pull', ?3, ?4, ?5, ?6, ?7)",
                params![
                    series_id.as_bytes().as_slice(),
                    at,
                    counts.entries,
                    counts.new,
                    counts.present,
                    counts.refused,
                    counts.forks
                ],
            )?;
            tx.execute(
                "UPDATE series SET last_pull_at = ?2 WHERE series_id = ?1",
                params![series_id.as_bytes().as_slice(), at],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn overdrafts(&self) -> StoreResult<Vec<PassbookRow>> {
        self.read(|conn| {
            let rows = conn
                .prepare_cached(&format!(
                    "{PASSBOOK_ROW_SELECT} WHERE b.points < 0 ORDER BY b.points, p.passbook"
                ))?
                .query_map([], sqlite_passbook_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn evidence(&self, limit: i64) -> StoreResult<Vec<EvidenceRow>> {
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT COALESCE(s.counter, ''), e.series_id, e.seq, e.reason, e.hash, e.at, e.source
                     FROM evidence e LEFT JOIN series s ON s.series_id = e.series_id
                     ORDER BY e.id DESC LIMIT ?1",
                )?
                .query_map([limit], |r| {
                    let id = uuid_of(r.get(1)?);
                    let counter: String = r.get(0)?;
                    Ok(EvidenceRow {
                        counter: if counter.is_empty() {
                            id.to_string()[..8].to_string()
                        } else {
                            counter
                        },
                        series_id: id,
                        seq: r.get(2)?,
                        reason: r.get(3)?,
                        hash: hex::encode(r.get::<_, Vec<u8>>(4)?),
                        at: r.get(5)?,
                        source: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn entry_count(&self) -> StoreResult<i64> {
        self.read(|conn| {
            Ok(conn.query_row("SELECT COALESCE(SUM(seq), 0) FROM series", [], |r| r.get(0))?)
        })
        .await
    }

    async fn figures(&self, first: &str, last: &str) -> StoreResult<crate::report::build::Figures> {
        use crate::report::build::{CounterName, Figures, TallyRow};
        let (first, last) = (first.to_string(), last.to_string());
        self.read(move |conn| {
            let tallies = conn
                .prepare_cached(
                    "SELECT day, origin, kind, key, count, qty, minutes, points FROM tallies
                     WHERE day BETWEEN ?1 AND ?2",
                )?
                .query_map(params![first, last], |r| {
                    Ok(TallyRow {
                        day: r.get(0)?,
                        origin: r.get(1)?,
                        kind: r.get(2)?,
                        key: r.get(3)?,
                        count: r.get(4)?,
                        qty: r.get(5)?,
                        minutes: r.get(6)?,
                        points: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let visits = conn
                .prepare_cached(
                    "SELECT day, origin, visits FROM visits WHERE day BETWEEN ?1 AND ?2",
                )?
                .query_map(params![first, last], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut figures = Figures {
                tallies,
                visits,
                ..Figures::default()
            };
            let mut names = conn.prepare_cached("SELECT origin, what, code, name FROM names")?;
            let mut rows = names.query([])?;
            while let Some(r) = rows.next()? {
                let what: String = r.get(1)?;
                let key = (r.get(0)?, r.get(2)?);
                match what.as_str() {
                    "item" => figures.items.insert(key, r.get(3)?),
                    _ => figures.activities.insert(key, r.get(3)?),
                };
            }
            // The first series of an origin names it (a continuation keeps its counter's name).
            figures.counters = conn
                .prepare_cached(
                    "SELECT origin, counter, community FROM series ORDER BY position DESC",
                )?
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        CounterName {
                            counter: r.get(1)?,
                            community: r.get(2)?,
                        },
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(figures)
        })
        .await
    }

    async fn passbook(&self, passbook: &str) -> StoreResult<Option<PassbookRow>> {
        let passbook = passbook.to_string();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&format!("{PASSBOOK_ROW_SELECT} WHERE p.passbook = ?1"))?
                .query_row([passbook], sqlite_passbook_row)
                .optional()?)
        })
        .await
    }

    async fn postings(&self, account: &str) -> StoreResult<Vec<PostingRow>> {
        let account = account.to_string();
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT p.series_id, p.seq, p.points, e.recorded_at, e.body, s.origin,
                            s.utc_offset_minutes
                     FROM postings p
                     JOIN entries e ON e.series_id = p.series_id AND e.seq = p.seq
                     JOIN series s ON s.series_id = p.series_id
                     WHERE p.account = ?1 ORDER BY e.recorded_at, p.series_id, p.seq",
                )?
                .query_map([account], |r| {
                    Ok(PostingRow {
                        series_id: Uuid::from_slice(&r.get::<_, Vec<u8>>(0)?)
                            .unwrap_or(Uuid::nil()),
                        seq: r.get(1)?,
                        points: r.get(2)?,
                        recorded_at: r.get(3)?,
                        body: r.get(4)?,
                        origin: r.get(5)?,
                        utc_offset_minutes: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn put_admin(&self, name: &str, password: &str, at: &str) -> StoreResult<()> {
        let (name, password, at) = (name.to_string(), password.to_string(), at.to_string());
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO admins (name, password, failures, locked_until, created_at)
                 VALUES (?1, ?2, 0, 0, ?3)
                 ON CONFLICT (name) DO UPDATE SET password = excluded.password, failures = 0,
                   locked_until = 0",
                params![name, password, at],
            )?;
            // A new password ends the sessions opened with the old one.
            conn.execute("DELETE FROM web_sessions WHERE admin = ?1", [&name])?;
            Ok(())
        })
        .await
    }

    async fn admins(&self) -> StoreResult<Vec<String>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT name FROM admins ORDER BY name")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn remove_admin(&self, name: &str) -> StoreResult<AdminRemoval> {
        let name = name.to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let admins: i64 = tx.query_row("SELECT count(*) FROM admins", [], |r| r.get(0))?;
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM admins WHERE name = ?1)",
                [&name],
                |r| r.get(0),
            )?;
            let removal = match (known, admins) {
                (false, _) => AdminRemoval::Unknown,
                (true, ..=1) => AdminRemoval::Last,
                (true, _) => {
                    tx.execute("DELETE FROM admins WHERE name = ?1", [&name])?;
                    tx.execute("DELETE FROM web_sessions WHERE admin = ?1", [&name])?;
                    AdminRemoval::Removed
                }
            };
            tx.commit()?;
            Ok(removal)
        })
        .await
    }

    async fn admin_attempt(
        &self,
        name: &str,
        now_ms: i64,
        failures_max: i64,
        lock_ms: i64,
    ) -> StoreResult<Attempt> {
        let name = name.to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let row: Option<(String, i64)> = tx
                .query_row(
                    "SELECT password, locked_until FROM admins WHERE name = ?1",
                    [&name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let attempt = match row {
                None => Attempt::Unknown,
                Some((_, until_ms)) if until_ms > now_ms => Attempt::Locked { until_ms },
                Some((password, _)) => {
                    tx.execute(
                        "UPDATE admins SET failures = CASE WHEN failures + 1 >= ?2 THEN 0 ELSE failures + 1 END,
                           locked_until = CASE WHEN failures + 1 >= ?2 THEN ?3 ELSE 0 END
                         WHERE name = ?1",
                        params![name, failures_max, now_ms + lock_ms],
                    )?;
                    Attempt::Check { password }
                }
            };
            tx.commit()?;
            Ok(attempt)
        })
        .await
    }

    async fn admin_passed(&self, name: &str) -> StoreResult<()> {
        let name = name.to_string();
        self.run(move |conn| {
            conn.execute(
                "UPDATE admins SET failures = 0, locked_until = 0 WHERE name = ?1",
                [name],
            )?;
            Ok(())
        })
        .await
    }

    async fn put_web_session(
        &self,
        token_hash: &str,
        admin: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> StoreResult<()> {
        let (token_hash, admin) = (token_hash.to_string(), admin.to_string());
        self.run(move |conn| {
            conn.execute("DELETE FROM web_sessions WHERE expires_ms <= ?1", [now_ms])?;
            conn.execute(
                "INSERT INTO web_sessions (token_hash, admin, expires_ms) VALUES (?1, ?2, ?3)",
                params![token_hash, admin, expires_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn web_session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
        let token_hash = token_hash.to_string();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT admin FROM web_sessions WHERE token_hash = ?1 AND expires_ms > ?2",
                )?
                .query_row(params![token_hash, now_ms], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn drop_web_session(&self, token_hash: &str) -> StoreResult<()> {
        let token_hash = token_hash.to_string();
        self.run(move |conn| {
            conn.execute(
                "DELETE FROM web_sessions WHERE token_hash = ?1",
                [token_hash],
            )?;
            Ok(())
        })
        .await
    }
}

fn sqlite_passbook_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PassbookRow> {
    Ok(passbook_row(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get::<_, i64>(7)? != 0,
    ))
}
