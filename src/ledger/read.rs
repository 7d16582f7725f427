//! Small parameterised look-ups on the projection tables, shared by the commands.

use crate::domain::{ItemKind, Points, Role, effects::passbook_account};
use rusqlite::{Connection, OptionalExtension, params};

pub struct PassbookRow {
    pub passbook: String,
    /// The counter that issued it (its lasting id).
    pub origin: String,
    pub resident: String,
    pub community: String,
    pub token_sha256: String,
    /// The status of its current token: `active`, or `revoked` once any counter blocked it.
    pub status: String,
    pub issued_at: String,
}

/// A passbook's status is its current token's: a block at any counter revokes the token, and
/// the home's reissue moves the passbook to a new one.
const PASSBOOK_SELECT: &str =
    "SELECT p.passbook, p.origin, p.resident, p.community, p.token_sha256,
        COALESCE((SELECT t.status FROM passbook_tokens t WHERE t.token_sha256 = p.token_sha256),
                 'active'),
        p.issued_at
     FROM passbooks p";

fn passbook_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PassbookRow> {
    Ok(PassbookRow {
        passbook: r.get(0)?,
        origin: r.get(1)?,
        resident: r.get(2)?,
        community: r.get(3)?,
        token_sha256: r.get(4)?,
        status: r.get(5)?,
        issued_at: r.get(6)?,
    })
}

pub fn passbook(conn: &Connection, passbook: &str) -> rusqlite::Result<Option<PassbookRow>> {
    conn.prepare_cached(&format!("{PASSBOOK_SELECT} WHERE p.passbook = ?1"))?
        .query_row([passbook], passbook_from_row)
        .optional()
}

pub fn passbook_of_resident(
    conn: &Connection,
    resident: &str,
) -> rusqlite::Result<Option<PassbookRow>> {
    let number: Option<String> = conn
        .prepare_cached(
            "SELECT p.passbook FROM passbooks p
             LEFT JOIN passbook_tokens t ON t.token_sha256 = p.token_sha256
             WHERE p.resident = ?1
             ORDER BY COALESCE(t.status, 'active') = 'active' DESC, p.issued_at DESC LIMIT 1",
        )?
        .query_row([resident], |r| r.get(0))
        .optional()?;
    match number {
        Some(n) => passbook(conn, &n),
        None => Ok(None),
    }
}

/// The tokens of a passbook number that still open it (one, unless two series issued the
/// number: see [`crate::store::claims::token_holders`]).
pub fn active_tokens(conn: &Connection, passbook: &str) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached(
        "SELECT token_sha256 FROM passbook_tokens WHERE passbook = ?1 AND status = 'active'
         ORDER BY token_sha256",
    )?
    .query_map([passbook], |r| r.get(0))?
    .collect()
}

/// The passbook a token hash belongs to, and whether that token is active.
pub fn token(conn: &Connection, token_sha256: &str) -> rusqlite::Result<Option<(String, String)>> {
    conn.prepare_cached("SELECT passbook, status FROM passbook_tokens WHERE token_sha256 = ?1")?
        .query_row([token_sha256], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

pub fn balance(conn: &Connection, account: &str) -> rusqlite::Result<Points> {
    let points: Option<i64> = conn
        .prepare_cached("SELECT points FROM balances WHERE account = ?1")?
        .query_row([account], |r| r.get(0))
        .optional()?;
    Ok(Points(points.unwrap_or(0)))
}

pub fn passbook_balance(conn: &Connection, passbook: &str) -> rusqlite::Result<Points> {
    balance(conn, &passbook_account(passbook))
}

pub struct ItemRow {
    pub origin: String,
    pub item: String,
    pub name: String,
    pub kind: ItemKind,
    pub points: Points,
    pub barcode: Option<String>,
    pub monthly_limit: Option<u32>,
    pub enabled: bool,
    pub stock: i64,
}

/// Stock comes from a subquery, not a join: with a join, SQLite's constant propagation carries
/// the bound item code into the join and then re-prepares the statement on every new binding
/// (it was a third of a redemption's time).
const ITEM_SELECT: &str =
    "SELECT i.origin, i.item, i.name, i.kind, i.points, i.barcode, i.monthly_limit, i.enabled,
        COALESCE((SELECT s.qty FROM stock s WHERE s.origin = i.origin AND s.item = i.item), 0)
     FROM items i";

fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    let kind: String = r.get(3)?;
    Ok(ItemRow {
        origin: r.get(0)?,
        item: r.get(1)?,
        name: r.get(2)?,
        kind: ItemKind::parse(&kind).unwrap_or(ItemKind::Goods),
        points: Points(r.get(4)?),
        barcode: r.get(5)?,
        monthly_limit: r.get::<_, Option<i64>>(6)?.map(|l| l as u32),
        enabled: r.get(7)?,
        stock: r.get(8)?,
    })
}

/// An item of `origin`'s catalogue by its code, or else by its barcode.
pub fn item(
    conn: &Connection,
    origin: &str,
    code_or_barcode: &str,
) -> rusqlite::Result<Option<ItemRow>> {
    let by_code = conn
        .prepare_cached(&format!(
            "{ITEM_SELECT} WHERE i.origin = ?1 AND i.item = ?2"
        ))?
        .query_row(
            params![origin, code_or_barcode.trim().to_ascii_uppercase()],
            item_from_row,
        )
        .optional()?;
    if by_code.is_some() {
        return Ok(by_code);
    }
    conn.prepare_cached(&format!(
        "{ITEM_SELECT} WHERE i.origin = ?1 AND i.barcode = ?2"
    ))?
    .query_row(params![origin, code_or_barcode.trim()], item_from_row)
    .optional()
}

/// The origin of an item of that code in another counter's catalogue, to name in a refusal.
pub fn item_elsewhere(
    conn: &Connection,
    origin: &str,
    code: &str,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT origin FROM items WHERE item = ?1 AND origin != ?2 LIMIT 1")?
        .query_row(params![code.trim().to_ascii_uppercase(), origin], |r| {
            r.get(0)
        })
        .optional()
}

/// `origin`'s catalogue.
pub fn items(conn: &Connection, origin: &str) -> rusqlite::Result<Vec<ItemRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{ITEM_SELECT} WHERE i.origin = ?1 ORDER BY i.item"
    ))?;
    stmt.query_map([origin], item_from_row)?.collect()
}

pub fn usage(
    conn: &Connection,
    resident: &str,
    origin: &str,
    item: &str,
    month: &str,
) -> rusqlite::Result<i64> {
    let qty: Option<i64> = conn
        .prepare_cached(
            "SELECT qty FROM usage WHERE resident = ?1 AND origin = ?2 AND item = ?3 AND month = ?4",
        )?
        .query_row(params![resident, origin, item, month], |r| r.get(0))
        .optional()?;
    Ok(qty.unwrap_or(0))
}

/// A resident's units of each item of `origin`'s catalogue in one month, by item.
pub fn usage_of_month(
    conn: &Connection,
    resident: &str,
    origin: &str,
    month: &str,
) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT item, qty FROM usage WHERE resident = ?1 AND origin = ?2 AND month = ?3 AND qty != 0
         ORDER BY item",
    )?;
    stmt.query_map(params![resident, origin, month], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?
    .collect()
}

pub struct OperatorRow {
    pub operator: String,
    pub name: String,
    pub role: Role,
    pub enabled: bool,
    pub locked_until: Option<String>,
}

fn operator_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OperatorRow> {
    let role: String = r.get(2)?;
    Ok(OperatorRow {
        operator: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Volunteer),
        enabled: r.get(3)?,
        locked_until: r.get(4)?,
    })
}

/// An operator of the counter `origin` (operators are local to their counter).
pub fn operator(
    conn: &Connection,
    origin: &str,
    operator: &str,
) -> rusqlite::Result<Option<OperatorRow>> {
    conn.prepare_cached(
        "SELECT operator, name, role, enabled, locked_until FROM operators
         WHERE origin = ?1 AND operator = ?2",
    )?
    .query_row([origin, operator], operator_from_row)
    .optional()
}

pub fn operators(conn: &Connection, origin: &str) -> rusqlite::Result<Vec<OperatorRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT operator, name, role, enabled, locked_until FROM operators WHERE origin = ?1
         ORDER BY operator",
    )?;
    stmt.query_map([origin], operator_from_row)?.collect()
}

pub struct ResidentRow {
    pub resident: String,
    /// The counter that registered the resident; `None` while only an erasure arrived.
    pub origin: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub erased: bool,
    /// When the registration arrived here; empty while only an erasure did.
    pub registered_at: String,
    /// The sealed data is here but not its key (it travels in the next bundle).
    pub key_missing: bool,
}

pub const RESIDENT_SELECT: &str =
    "SELECT resident, origin, name, phone, address, note, erased, COALESCE(registered_at, ''),
        sealed IS NOT NULL AND name IS NULL
     FROM residents";

pub fn resident_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ResidentRow> {
    Ok(ResidentRow {
        resident: r.get(0)?,
        origin: r.get(1)?,
        name: r.get(2)?,
        phone: r.get(3)?,
        address: r.get(4)?,
        note: r.get(5)?,
        erased: r.get(6)?,
        registered_at: r.get(7)?,
        key_missing: r.get(8)?,
    })
}

pub fn resident(conn: &Connection, resident: &str) -> rusqlite::Result<Option<ResidentRow>> {
    conn.prepare_cached(&format!("{RESIDENT_SELECT} WHERE resident = ?1"))?
        .query_row([resident.trim().to_ascii_uppercase()], resident_from_row)
        .optional()
}

pub struct ActivityRow {
    pub activity: String,
    pub name: String,
    pub points_per_hour: Points,
    pub enabled: bool,
}

fn activity_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ActivityRow> {
    Ok(ActivityRow {
        activity: r.get(0)?,
        name: r.get(1)?,
        points_per_hour: Points(r.get(2)?),
        enabled: r.get(3)?,
    })
}

/// An activity of `origin`.
pub fn activity(
    conn: &Connection,
    origin: &str,
    activity: &str,
) -> rusqlite::Result<Option<ActivityRow>> {
    conn.prepare_cached(
        "SELECT activity, name, points_per_hour, enabled FROM activities
         WHERE origin = ?1 AND activity = ?2",
    )?
    .query_row(
        params![origin, activity.trim().to_ascii_uppercase()],
        activity_from_row,
    )
    .optional()
}

/// The origin of an activity of that code at another counter, to name in a refusal.
pub fn activity_elsewhere(
    conn: &Connection,
    origin: &str,
    code: &str,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT origin FROM activities WHERE activity = ?1 AND origin != ?2 LIMIT 1",
    )?
    .query_row(params![code.trim().to_ascii_uppercase(), origin], |r| {
        r.get(0)
    })
    .optional()
}

pub fn activities(conn: &Connection, origin: &str) -> rusqlite::Result<Vec<ActivityRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT activity, name, points_per_hour, enabled FROM activities WHERE origin = ?1
         ORDER BY activity",
    )?;
    stmt.query_map([origin], activity_from_row)?.collect()
}

/// The highest number `numbering` made of a kind in `table.column` (0 for none): numbers are
/// zero-padded, so the largest sorts last among those of the same length.
pub fn highest_number(
    conn: &Connection,
    table: &str,
    column: &str,
    numbering: &crate::domain::ids::Numbering,
    kind: crate::domain::ids::NumberKind,
) -> rusqlite::Result<u64> {
    let namespace = numbering.namespace(kind);
    let sql = format!(
        "SELECT {column} FROM {table} WHERE {column} >= ?1 AND {column} < ?1 || ':'
         AND length({column}) = ?2 ORDER BY {column} DESC LIMIT 1"
    );
    let last: Option<String> = conn
        .prepare_cached(&sql)?
        .query_row(
            params![namespace, (namespace.len() + numbering.digits(kind)) as i64],
            |r| r.get(0),
        )
        .optional()?;
    Ok(last.and_then(|l| numbering.parse(kind, &l)).unwrap_or(0))
}

/// The highest number of a kind in `table.column` within `range` (its sequence numbers),
/// `None` for none.
pub fn highest_number_in(
    conn: &Connection,
    table: &str,
    column: &str,
    numbering: &crate::domain::ids::Numbering,
    kind: crate::domain::ids::NumberKind,
    range: std::ops::RangeInclusive<u64>,
) -> rusqlite::Result<Option<u64>> {
    let (Some(first), Some(last)) = (
        numbering.number(kind, *range.start()),
        numbering.number(kind, *range.end()),
    ) else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {column} FROM {table} WHERE {column} >= ?1 AND {column} <= ?2
         ORDER BY {column} DESC LIMIT 1"
    );
    let found: Option<String> = conn
        .prepare_cached(&sql)?
        .query_row(params![first, last], |r| r.get(0))
        .optional()?;
    Ok(found.and_then(|n| numbering.parse(kind, &n)))
}

/// The last number of a namespace that may have been used before a restore lost the entries
/// that used it (0 when none were lost).
pub fn number_floor(conn: &Connection, namespace: &str) -> rusqlite::Result<u64> {
    let floor: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'number_floor:' || ?1")?
        .query_row([namespace], |r| r.get(0))
        .optional()?;
    Ok(floor.and_then(|f| f.parse().ok()).unwrap_or(0))
}

/// The name of the counter whose lasting id is `origin`, as its newest series calls itself.
pub fn counter_name(conn: &Connection, origin: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT counter FROM series_heads WHERE origin = ?1 ORDER BY seq DESC LIMIT 1",
    )?
    .query_row([origin], |r| r.get(0))
    .optional()
}
