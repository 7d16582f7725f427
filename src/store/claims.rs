//! Where the claims of [`crate::district::claims`] are found in this database: a txn claim
//! through the entries of the txn's counter (the `entries_by_txn` index), a reversal or a
//! settlement in the `claims` table; and which entries of the whole log lose one, for the
//! fold of verify and rebuild.

use super::log::{EntryRow, SeriesInfo};
use crate::district::claims::{self, Claim, Standing};
use crate::domain::Envelope;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use uuid::Uuid;

/// The kinds of the points entries, whose txn is one movement (as [`crate::domain::Body::moves_points`]).
pub const POINTS_KINDS_SQL: &str =
    "('points_earned', 'points_redeemed', 'reversed', 'points_adjusted')";

/// The resident number of a `resident_registered` entry, in SQL over the `entries` table.
const REGISTERED: &str = "json_extract(CAST(body AS TEXT), '$.body.resident_registered.resident')";

/// How the entry `id` of `series` stands against the claimants this database holds.
pub fn judge(
    conn: &Connection,
    id: &Uuid,
    envelope: &Envelope,
    series: &SeriesInfo,
) -> rusqlite::Result<Standing> {
    let made = claims::claims_of(&envelope.body, envelope.txn.as_deref(), &series.origin);
    if made.is_empty() {
        return Ok(Standing::Counts);
    }
    let mut held = Vec::with_capacity(made.len());
    for claim in made {
        let holder = match envelope.txn.as_deref() {
            Some(txn) if claims::kind_of(&claim) == "txn" => {
                txn_claimant(conn, &series.origin, txn, id)?
            }
            _ => conn
                .prepare_cached("SELECT entry FROM claims WHERE claim = ?1")?
                .query_row([&claim], |r| r.get::<_, Vec<u8>>(0))
                .optional()?
                .and_then(|b| Uuid::from_slice(&b).ok()),
        };
        held.push((claim, holder));
    }
    Ok(claims::stand(id, &held))
}

/// The smallest id among the other points entries of `origin` with the txn `txn`.
fn txn_claimant(
    conn: &Connection,
    origin: &str,
    txn: &str,
    id: &Uuid,
) -> rusqlite::Result<Option<Uuid>> {
    let found: Option<Vec<u8>> = conn
        .prepare_cached(&format!(
            "SELECT e.id FROM entries e JOIN series_heads s ON s.series_id = e.series_id
             WHERE e.txn = ?1 AND s.origin = ?2 AND e.id != ?3 AND e.kind IN {POINTS_KINDS_SQL}
             ORDER BY e.id LIMIT 1"
        ))?
        .query_row(params![txn, origin, id.as_bytes().as_slice()], |r| r.get(0))
        .optional()?;
    Ok(found.and_then(|b| Uuid::from_slice(&b).ok()))
}

/// The claims an entry lost under `standing` (none when it counts).
pub fn lost(standing: &Standing) -> &[Claim] {
    match standing {
        Standing::Duplicate { lost } => lost,
        Standing::Counts | Standing::Displaces => &[],
    }
}

/// The entries of a log that lose a claim.
#[derive(Debug, Default)]
pub struct Losers {
    /// Each losing entry and the claims it loses.
    pub entries: HashMap<Uuid, Vec<Claim>>,
    /// The passbooks they would have moved: the balance an own entry of such a passbook
    /// signed may have counted a duplicate that was not known to be one yet.
    pub passbooks: std::collections::HashSet<String>,
}

/// Every entry of the log that loses a claim, and the claims it loses: found among the
/// reversals, the adjustments and the entries whose txn another points entry shares.
pub fn losers(conn: &Connection) -> rusqlite::Result<Losers> {
    let origins: HashMap<Uuid, String> = super::log::all_series(conn)?
        .into_iter()
        .map(|(id, info)| (id, info.origin))
        .collect();
    let mut candidates: Vec<(Uuid, Vec<Claim>)> = Vec::new();
    let mut passbook_of: HashMap<Uuid, String> = HashMap::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM entries
         WHERE kind IN ('reversed', 'points_adjusted')
            OR (kind IN {POINTS_KINDS_SQL} AND txn IN (
                  SELECT txn FROM entries WHERE txn IS NOT NULL AND kind IN {POINTS_KINDS_SQL}
                  GROUP BY txn HAVING COUNT(*) > 1))
            OR (kind = 'resident_registered' AND {REGISTERED} IN (
                  SELECT {REGISTERED} FROM entries WHERE kind = 'resident_registered'
                  GROUP BY 1 HAVING COUNT(*) > 1))",
        super::log::ENTRY_COLUMNS
    ))?;
    let rows = stmt.query_map([], EntryRow::from_row)?;
    for row in rows {
        let row = row?;
        let (Some(envelope), Some(origin)) = (row.envelope(), origins.get(&row.series_id)) else {
            continue;
        };
        let Ok(id) = Uuid::parse_str(&envelope.id) else {
            continue;
        };
        let made = claims::claims_of(&envelope.body, envelope.txn.as_deref(), origin);
        if !made.is_empty() {
            if let Some((passbook, _)) = envelope.body.passbook_balance_after() {
                passbook_of.insert(id, passbook.to_string());
            }
            candidates.push((id, made));
        }
    }
    let entries = claims::losers(candidates.iter().map(|(id, c)| (*id, c.as_slice())));
    let passbooks = entries
        .keys()
        .filter_map(|id| passbook_of.get(id).cloned())
        .collect();
    Ok(Losers { entries, passbooks })
}

/// Whether an entry that moves nothing names `passbook`.
pub fn has_duplicates(conn: &Connection, passbook: &str) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM entries e JOIN duplicates d ON d.series_id = e.series_id AND d.seq = e.seq",
        super::log::ENTRY_COLUMNS
            .split(", ")
            .map(|c| format!("e.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let rows = stmt.query_map([], EntryRow::from_row)?;
    for row in rows {
        if row?.envelope().is_some_and(|e| {
            e.body
                .passbook_balance_after()
                .is_some_and(|(p, _)| p == passbook)
        }) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An entry that lost a claim, as listed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Duplicate {
    pub counter: String,
    pub series_id: String,
    pub seq: i64,
    /// `txn`, `reversal`, `settlement` or `resident`.
    pub kind: String,
    /// The txn (the passbook and settlement number, the resident number) claimed twice.
    pub subject: String,
    pub recorded_at: String,
}

/// Every entry held that moves nothing because another entry made its claim first.
pub fn duplicates(conn: &Connection) -> rusqlite::Result<Vec<Duplicate>> {
    let mut stmt = conn.prepare(
        "SELECT d.series_id, d.seq, d.claim, COALESCE(s.counter, ''), e.recorded_at
         FROM duplicates d
         LEFT JOIN series_heads s ON s.series_id = d.series_id
         LEFT JOIN entries e ON e.series_id = d.series_id AND e.seq = d.seq
         ORDER BY e.recorded_at, d.series_id, d.seq, d.claim",
    )?;
    stmt.query_map([], |r| {
        let id: Vec<u8> = r.get(0)?;
        let claim: String = r.get(2)?;
        Ok(Duplicate {
            series_id: Uuid::from_slice(&id).unwrap_or(Uuid::nil()).to_string(),
            seq: r.get(1)?,
            kind: claims::kind_of(&claim).to_string(),
            subject: claims::subject_of(&claim).to_string(),
            counter: r.get(3)?,
            recorded_at: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
        })
    })?
    .collect()
}

/// Counts again from the log after an entry displaced a claimant that counted: the
/// projections are folded anew in the caller's transaction. A log that does not fold is left
/// for the next open (and `ledger verify`) to name.
pub fn recount(tx: &Connection) -> rusqlite::Result<()> {
    if super::verify::rebuild_in(tx)?.is_err() {
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', 'claims')",
            [],
        )?;
    }
    Ok(())
}

/// Whether the resident number `resident` is registered twice with a registration no
/// administrator has resolved: every passbook of the number is frozen.
pub fn registration_conflict(conn: &Connection, resident: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM duplicates d
         JOIN entries e ON e.series_id = d.series_id AND e.seq = d.seq
         WHERE d.claim = ?1 AND NOT EXISTS (
             SELECT 1 FROM resolved_registrations r WHERE r.resident = ?2 AND r.entry = e.id)",
    )?
    .exists(params![claims::registration(resident), resident])
}

/// One registration of a resident number registered twice.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Registration {
    /// Its entry id.
    pub entry: String,
    /// The series that wrote it, and that series' counter name.
    pub series: String,
    pub counter: String,
    pub recorded_at: String,
    /// Whether it holds the number (the earliest registration).
    pub holds: bool,
    /// Whether an administrator resolved it (a registration that lost the number only).
    pub resolved: bool,
    /// The passbook tokens (SHA-256, hex) issued for the number in its series, and whether
    /// each is still active.
    pub tokens: Vec<(String, bool)>,
    /// The points its series booked to the number's passbooks, net.
    pub points: i64,
}

/// A resident number registered more than once, with every registration.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RegistrationConflict {
    pub resident: String,
    /// The number's passbooks.
    pub passbooks: Vec<String>,
    /// Whether every registration that lost the number is resolved.
    pub resolved: bool,
    pub registrations: Vec<Registration>,
}

/// Every resident number registered more than once that this database holds.
pub fn registration_conflicts(conn: &Connection) -> rusqlite::Result<Vec<RegistrationConflict>> {
    let residents: Vec<String> = conn
        .prepare(
            "SELECT DISTINCT substr(claim, 10) FROM duplicates WHERE claim LIKE 'resident:%'
             ORDER BY 1",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut conflicts = Vec::new();
    for resident in residents {
        let passbooks: Vec<String> = conn
            .prepare_cached("SELECT passbook FROM passbooks WHERE resident = ?1 ORDER BY 1")?
            .query_map([&resident], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut registrations = Vec::new();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT e.id, e.series_id, COALESCE(s.counter, ''), e.recorded_at,
                    EXISTS (SELECT 1 FROM claims c WHERE c.claim = ?1 AND c.entry = e.id),
                    EXISTS (SELECT 1 FROM resolved_registrations r
                            WHERE r.resident = ?2 AND r.entry = e.id)
             FROM entries e LEFT JOIN series_heads s ON s.series_id = e.series_id
             WHERE e.kind = 'resident_registered' AND {REGISTERED} = ?2
             ORDER BY e.id"
        ))?;
        let rows = stmt.query_map(params![claims::registration(&resident), resident], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })?;
        for row in rows {
            let (id, series, counter, recorded_at, holds, resolved) = row?;
            let tokens = conn
                .prepare_cached(
                    "SELECT json_extract(CAST(e.body AS TEXT), '$.body.passbook_issued.token_sha256'),
                            COALESCE(t.status = 'active', 0)
                     FROM entries e
                     LEFT JOIN passbook_tokens t ON t.token_sha256 =
                         json_extract(CAST(e.body AS TEXT), '$.body.passbook_issued.token_sha256')
                     WHERE e.series_id = ?1 AND e.kind = 'passbook_issued'
                       AND json_extract(CAST(e.body AS TEXT), '$.body.passbook_issued.resident') = ?2
                     ORDER BY e.seq",
                )?
                .query_map(params![series, resident], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let points: i64 = conn
                .prepare_cached(
                    "SELECT COALESCE(SUM(p.points), 0) FROM postings p
                     JOIN entries e ON e.position = p.position
                     WHERE e.series_id = ?1 AND p.account IN (
                         SELECT 'passbook:' || passbook FROM passbooks WHERE resident = ?2)",
                )?
                .query_row(params![series, resident], |r| r.get(0))?;
            registrations.push(Registration {
                entry: Uuid::from_slice(&id).unwrap_or(Uuid::nil()).to_string(),
                series: Uuid::from_slice(&series).unwrap_or(Uuid::nil()).to_string(),
                counter,
                recorded_at,
                holds,
                resolved,
                tokens,
                points,
            });
        }
        let resolved = registrations.iter().all(|r| r.holds || r.resolved);
        conflicts.push(RegistrationConflict {
            resident,
            passbooks,
            resolved,
            registrations,
        });
    }
    Ok(conflicts)
}

/// The residents the active tokens of `passbook` were issued to: more than one when two series
/// of a counter that numbered in the same block issued the number to two people (whose
/// resident numbers differ, or a registration conflict would name them).
pub fn token_holders(conn: &Connection, passbook: &str) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached(
        "SELECT DISTINCT resident FROM passbook_tokens
         WHERE passbook = ?1 AND status = 'active' AND resident != '' ORDER BY 1",
    )?
    .query_map([passbook], |r| r.get(0))?
    .collect()
}

/// One active token of a passbook number issued to more than one person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TokenIssue {
    pub resident: String,
    /// The series that issued it, and that series' counter name.
    pub series: String,
    pub counter: String,
    pub issued_at: String,
}

/// A passbook number whose active tokens name more than one resident: whichever QR is scanned,
/// nobody can tell whose points are on it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SharedPassbook {
    pub passbook: String,
    /// The resident the passbook's row names (its latest issue), who keeps the number when the
    /// passbook is reissued.
    pub resident: String,
    pub issues: Vec<TokenIssue>,
}

/// Every passbook number whose active tokens name more than one resident, by number.
pub fn shared_passbooks(conn: &Connection) -> rusqlite::Result<Vec<SharedPassbook>> {
    let numbers: Vec<(String, String)> = conn
        .prepare(
            "SELECT t.passbook, COALESCE(p.resident, '') FROM passbook_tokens t
             LEFT JOIN passbooks p ON p.passbook = t.passbook
             WHERE t.status = 'active' AND t.resident != ''
             GROUP BY t.passbook HAVING COUNT(DISTINCT t.resident) > 1 ORDER BY t.passbook",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut shared = Vec::new();
    for (passbook, resident) in numbers {
        let issues = conn
            .prepare_cached(
                "SELECT t.resident, e.series_id, COALESCE(s.counter, ''), e.recorded_at
                 FROM passbook_tokens t
                 JOIN entries e ON e.kind = 'passbook_issued'
                  AND json_extract(CAST(e.body AS TEXT), '$.body.passbook_issued.token_sha256')
                      = t.token_sha256
                 LEFT JOIN series_heads s ON s.series_id = e.series_id
                 WHERE t.passbook = ?1 AND t.status = 'active'
                 ORDER BY e.id",
            )?
            .query_map([&passbook], |r| {
                Ok(TokenIssue {
                    resident: r.get(0)?,
                    series: Uuid::from_slice(&r.get::<_, Vec<u8>>(1)?)
                        .unwrap_or(Uuid::nil())
                        .to_string(),
                    counter: r.get(2)?,
                    issued_at: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        shared.push(SharedPassbook {
            passbook,
            resident,
            issues,
        });
    }
    Ok(shared)
}
