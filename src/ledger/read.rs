//! Small parameterised look-ups on the projection tables, shared by the commands.

use crate::domain::{ItemKind, Points, Role, effects::passbook_account};
use rusqlite::{Connection, OptionalExtension, params};

pub struct PassbookRow {
    pub passbook: String,
    pub resident: String,
    pub community: String,
    pub token_sha256: String,
    pub status: String,
    pub issued_at: String,
}

pub fn passbook(conn: &Connection, passbook: &str) -> rusqlite::Result<Option<PassbookRow>> {
    conn.prepare_cached(
        "SELECT passbook, resident, community, token_sha256, status, issued_at
         FROM passbooks WHERE passbook = ?1",
    )?
    .query_row([passbook], |r| {
        Ok(PassbookRow {
            passbook: r.get(0)?,
            resident: r.get(1)?,
            community: r.get(2)?,
            token_sha256: r.get(3)?,
            status: r.get(4)?,
            issued_at: r.get(5)?,
        })
    })
    .optional()
}

pub fn passbook_of_resident(
    conn: &Connection,
    resident: &str,
) -> rusqlite::Result<Option<PassbookRow>> {
    let number: Option<String> = conn
        .prepare_cached(
            "SELECT passbook FROM passbooks WHERE resident = ?1
             ORDER BY status = 'active' DESC, issued_at DESC LIMIT 1",
        )?
        .query_row([resident], |r| r.get(0))
        .optional()?;
    match number {
        Some(n) => passbook(conn, &n),
        None => Ok(None),
    }
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
    "SELECT i.item, i.name, i.kind, i.points, i.barcode, i.monthly_limit, i.enabled,
        COALESCE((SELECT s.qty FROM stock s WHERE s.item = i.item), 0) FROM items i";

fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    let kind: String = r.get(2)?;
    Ok(ItemRow {
        item: r.get(0)?,
        name: r.get(1)?,
        kind: ItemKind::parse(&kind).unwrap_or(ItemKind::Goods),
        points: Points(r.get(3)?),
        barcode: r.get(4)?,
        monthly_limit: r.get::<_, Option<i64>>(5)?.map(|l| l as u32),
        enabled: r.get(6)?,
        stock: r.get(7)?,
    })
}

/// An item by its code, or else by its barcode.
pub fn item(conn: &Connection, code_or_barcode: &str) -> rusqlite::Result<Option<ItemRow>> {
    let by_code = conn
        .prepare_cached(&format!("{ITEM_SELECT} WHERE i.item = ?1"))?
        .query_row([code_or_barcode.trim().to_ascii_uppercase()], item_from_row)
        .optional()?;
    if by_code.is_some() {
        return Ok(by_code);
    }
    conn.prepare_cached(&format!("{ITEM_SELECT} WHERE i.barcode = ?1"))?
        .query_row([code_or_barcode.trim()], item_from_row)
        .optional()
}

pub fn items(conn: &Connection) -> rusqlite::Result<Vec<ItemRow>> {
    let mut stmt = conn.prepare_cached(&format!("{ITEM_SELECT} ORDER BY i.item"))?;
    stmt.query_map([], item_from_row)?.collect()
}

pub fn usage(conn: &Connection, resident: &str, item: &str, month: &str) -> rusqlite::Result<i64> {
    let qty: Option<i64> = conn
        .prepare_cached("SELECT qty FROM usage WHERE resident = ?1 AND item = ?2 AND month = ?3")?
        .query_row(params![resident, item, month], |r| r.get(0))
        .optional()?;
    Ok(qty.unwrap_or(0))
}

/// A resident's units of each item in one month (items with a monthly limit count), by item.
pub fn usage_of_month(
    conn: &Connection,
    resident: &str,
    month: &str,
) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT item, qty FROM usage WHERE resident = ?1 AND month = ?2 AND qty != 0 ORDER BY item",
    )?;
    stmt.query_map(params![resident, month], |r| Ok((r.get(0)?, r.get(1)?)))?
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

pub fn operator(conn: &Connection, operator: &str) -> rusqlite::Result<Option<OperatorRow>> {
    conn.prepare_cached(
        "SELECT operator, name, role, enabled, locked_until FROM operators WHERE operator = ?1",
    )?
    .query_row([operator], operator_from_row)
    .optional()
}

pub fn operators(conn: &Connection) -> rusqlite::Result<Vec<OperatorRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT operator, name, role, enabled, locked_until FROM operators ORDER BY operator",
    )?;
    stmt.query_map([], operator_from_row)?.collect()
}

pub struct ResidentRow {
    pub resident: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub erased: bool,
    pub registered_at: String,
}

pub const RESIDENT_SELECT: &str =
    "SELECT resident, name, phone, address, note, erased, registered_at FROM residents";

pub fn resident_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ResidentRow> {
    Ok(ResidentRow {
        resident: r.get(0)?,
        name: r.get(1)?,
        phone: r.get(2)?,
        address: r.get(3)?,
        note: r.get(4)?,
        erased: r.get(5)?,
        registered_at: r.get(6)?,
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

pub fn activity(conn: &Connection, activity: &str) -> rusqlite::Result<Option<ActivityRow>> {
    conn.prepare_cached(
        "SELECT activity, name, points_per_hour, enabled FROM activities WHERE activity = ?1",
    )?
    .query_row([activity.trim().to_ascii_uppercase()], activity_from_row)
    .optional()
}

pub fn activities(conn: &Connection) -> rusqlite::Result<Vec<ActivityRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT activity, name, points_per_hour, enabled FROM activities ORDER BY activity",
    )?;
    stmt.query_map([], activity_from_row)?.collect()
}

/// The next number in a zero-padded series such as `SQ-000123` or `R000007`.
pub fn next_number(
    conn: &Connection,
    table: &str,
    column: &str,
    prefix: &str,
    width: usize,
) -> rusqlite::Result<String> {
    let sql = format!(
        "SELECT {column} FROM {table} WHERE {column} LIKE ?1 || '%' AND length({column}) = ?2
         ORDER BY {column} DESC LIMIT 1"
    );
    let last: Option<String> = conn
        .prepare_cached(&sql)?
        .query_row(params![prefix, (prefix.len() + width) as i64], |r| r.get(0))
        .optional()?;
    let next = last
        .and_then(|l| l[prefix.len()..].parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    Ok(format!("{prefix}{next:0width$}"))
}
