//! Ledger-API helpers shared by the ledger integration tests (`ledger_*.rs`).
//!
//! Every test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use pointsdesk::domain::{ItemKind, Role};
use pointsdesk::home::Home;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{
    EarnRequest, ErrorKind, InitRequest, IssuedPassbook, Ledger, LedgerError, NewItem, NewResident,
    Receipt, RedeemRequest, Session,
};
use pointsdesk::store::cell::Cell;
use pointsdesk::store::projection::TABLES;
use rusqlite::Connection;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tempfile::TempDir;

pub const COMMUNITY: &str = "三桥社区";
pub const ADMIN_PIN: &str = "1234";
pub const VOLUNTEER_PIN: &str = "2468";
/// The volunteer made by [`new_home`]; the administrator is `001`.
pub const VOLUNTEER: &str = "002";
/// Barcode of G001.
pub const SOAP_BARCODE: &str = "6901234500011";

/// The test clock: tests move it by hand (lockouts, month boundaries).
pub type Now = Arc<Mutex<DateTime<Utc>>>;

/// 2025-03-14 10:00 at the counter (UTC+8).
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 2, 0, 0).unwrap()
}

pub fn set_now(now: &Now, at: DateTime<Utc>) {
    *now.lock().unwrap() = at;
}

pub fn advance(now: &Now, by: Duration) {
    let mut guard = now.lock().unwrap();
    *guard += by;
}

/// A fresh home in a temporary folder, with a fixed clock, an administrator (001), a volunteer
/// (002), activity A01 at 10 points an hour and three items:
/// G001 soap (goods, 5 points, stock 10, at most 3 a month, barcode 6901234500011),
/// G002 rice (goods, 40 points, stock 2), S001 haircut (service, 10 points).
pub fn new_home() -> (TempDir, Ledger, Session, Session, Now) {
    new_home_with(|_| {})
}

/// Like [`new_home`], running `tune` on the ledger right after `init` (before the catalogue is
/// written), e.g. to relax durability in property tests.
pub fn new_home_with(tune: impl FnOnce(&Ledger)) -> (TempDir, Ledger, Session, Session, Now) {
    let dir = TempDir::new().unwrap();
    let now: Now = Arc::new(Mutex::new(start_time()));
    let clock_now = Arc::clone(&now);
    let home = Home {
        dir: dir.path().to_path_buf(),
    };
    let (mut ledger, admin) = home
        .init(
            InitRequest {
                community: COMMUNITY.into(),
                prefix: "SQ".into(),
                counter: "三桥爱心超市".into(),
                admin_name: "王芳".into(),
                admin_pin: ADMIN_PIN.into(),
                utc_offset_minutes: 8 * 60,
                code: "A".into(),
            },
            Lang::ZhCn,
            Box::new(move || *clock_now.lock().unwrap()),
        )
        .unwrap();
    tune(&ledger);
    ledger
        .add_operator(&admin, "李建国", Role::Volunteer, VOLUNTEER_PIN)
        .unwrap();
    let volunteer = ledger.login(VOLUNTEER, VOLUNTEER_PIN).unwrap();
    ledger
        .define_activity(&admin, "A01", "垃圾分类督导", 10)
        .unwrap();
    for (code, name, kind, points, barcode, limit, stock) in [
        (
            "G001",
            "洗衣皂",
            ItemKind::Goods,
            5,
            Some(SOAP_BARCODE),
            Some(3),
            10,
        ),
        ("G002", "大米 5kg", ItemKind::Goods, 40, None, None, 2),
        ("S001", "理发", ItemKind::Service, 10, None, None, 0),
    ] {
        ledger
            .define_item(
                &admin,
                &NewItem {
                    item: code.into(),
                    name: name.into(),
                    kind,
                    points,
                    barcode: barcode.map(str::to_string),
                    monthly_limit: limit,
                },
            )
            .unwrap();
        if stock > 0 {
            ledger
                .restock(&admin, code, stock, Some("区慈善超市"))
                .unwrap();
        }
    }
    (dir, ledger, admin, volunteer, now)
}

pub fn home_of(dir: &TempDir) -> Home {
    Home {
        dir: dir.path().to_path_buf(),
    }
}

pub fn db_path(dir: &TempDir) -> PathBuf {
    dir.path().join("ledger.db")
}

/// Registers a resident and issues their passbook.
pub fn resident_with_passbook(
    ledger: &mut Ledger,
    session: &Session,
    name: &str,
) -> (String, IssuedPassbook) {
    let resident = ledger
        .add_resident(
            session,
            &NewResident {
                name: name.into(),
                ..NewResident::default()
            },
        )
        .unwrap()
        .resident;
    let issued = ledger.issue_passbook(session, &resident).unwrap();
    (resident, issued)
}

pub fn earn_request(scan: &str, minutes: u32) -> EarnRequest {
    EarnRequest {
        scan: scan.into(),
        activity: "A01".into(),
        minutes,
        event: None,
        txn: None,
        confirmed_by: None,
    }
}

/// Credits `minutes` of activity A01 (10 points an hour).
pub fn earn(ledger: &mut Ledger, session: &Session, scan: &str, minutes: u32) -> Receipt {
    ledger.earn(session, &earn_request(scan, minutes)).unwrap()
}

pub fn redeem_request(scan: &str, lines: &[(&str, u32)]) -> RedeemRequest {
    RedeemRequest {
        scan: scan.into(),
        lines: lines.iter().map(|(i, q)| (i.to_string(), *q)).collect(),
        txn: None,
        confirmed_by: None,
    }
}

pub fn redeem(
    ledger: &mut Ledger,
    session: &Session,
    scan: &str,
    lines: &[(&str, u32)],
) -> Result<Receipt, LedgerError> {
    ledger.redeem(session, &redeem_request(scan, lines))
}

pub fn balance(ledger: &Ledger, passbook: &str) -> i64 {
    ledger.passbook(passbook).unwrap().balance.0
}

pub fn stock(ledger: &Ledger, item: &str) -> i64 {
    ledger.item(item).unwrap().stock.unwrap_or(0)
}

pub fn entry_count(conn: &Connection) -> i64 {
    conn.query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
        .unwrap()
}

pub fn entries_of_kind(conn: &Connection, kind: &str) -> i64 {
    conn.query_row(
        "SELECT COUNT(*) FROM entries WHERE kind = ?1",
        [kind],
        |r| r.get(0),
    )
    .unwrap()
}

/// Every row of every projection table, in key order.
pub type Dump = Vec<(&'static str, Vec<Vec<Cell>>)>;

pub fn dump_projections(conn: &Connection) -> Dump {
    TABLES
        .iter()
        .map(|spec| {
            let columns: Vec<&str> = spec.keys.iter().chain(spec.values).copied().collect();
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                columns.join(", "),
                spec.name,
                spec.keys.join(", ")
            );
            let mut stmt = conn.prepare(&sql).unwrap();
            let rows = stmt
                .query_map([], |r| {
                    (0..columns.len())
                        .map(|i| r.get::<_, Cell>(i))
                        .collect::<rusqlite::Result<Vec<Cell>>>()
                })
                .unwrap()
                .collect::<rusqlite::Result<Vec<_>>>()
                .unwrap();
            (spec.name, rows)
        })
        .collect()
}

/// Checks what every refusal must be: a typed refusal (not a system fault) with a message in
/// both languages, that wrote no entry and changed no projection. Returns the error for the
/// caller to match its variant.
pub fn assert_refused<T: Debug>(
    ledger: &mut Ledger,
    attempt: impl FnOnce(&mut Ledger) -> Result<T, LedgerError>,
) -> LedgerError {
    let entries = entry_count(ledger.connection());
    let tables = dump_projections(ledger.connection());
    let error = attempt(ledger).expect_err("the request must be refused");
    assert_messages(&error);
    assert_eq!(
        error.kind(),
        ErrorKind::Refused,
        "a refusal, not a fault: {error:?}"
    );
    assert_eq!(
        entry_count(ledger.connection()),
        entries,
        "a refusal writes no entry: {error:?}"
    );
    assert!(
        dump_projections(ledger.connection()) == tables,
        "a refusal changes no projection: {error:?}"
    );
    error
}

/// The operator's message exists in both languages, and they differ.
pub fn assert_messages(error: &LedgerError) {
    let zh = error.message(Lang::ZhCn);
    let en = error.message(Lang::En);
    assert!(!zh.trim().is_empty(), "zh-CN message of {error:?}");
    assert!(!en.trim().is_empty(), "en message of {error:?}");
    assert_ne!(zh, en, "the two languages differ for {error:?}");
}

/// Reads a file, or nothing if it does not exist.
pub fn read_or_empty(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
