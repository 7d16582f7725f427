//! A hand-edited database must be detected. These tests edit ledger.db the way someone with the
//! sqlite3 shell would (a plain second connection, no pointsdesk code), then ask `verify` (the
//! library and the CLI) what it sees, and check that `rebuild` repairs projections only.

mod common;

use common::*;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{ErrorKind, Ledger, LedgerError, Receipt};
use pointsdesk::store::log::entry_hash;
use rusqlite::{Connection, params};
use std::process::{Command, Output};
use tempfile::TempDir;
use uuid::Uuid;

/// A small honest history: a resident earns, redeems, earns again.
struct History {
    dir: TempDir,
    ledger: Ledger,
    passbook: String,
    earned: Receipt,
    redeemed: Receipt,
    last: Receipt,
}

fn history() -> History {
    let (dir, mut ledger, _admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "张三明");
    let scan = book.token.as_str().to_string();
    let earned = earn(&mut ledger, &volunteer, &scan, 60);
    let redeemed = redeem(&mut ledger, &volunteer, &scan, &[("G001", 1)]).unwrap();
    let last = earn(&mut ledger, &volunteer, &scan, 30);
    assert_eq!(
        last.seq,
        entry_count(ledger.connection()),
        "one series, gapless"
    );
    assert!(ledger.verify().unwrap().ok);
    History {
        dir,
        ledger,
        passbook: book.passbook,
        earned,
        redeemed,
        last,
    }
}

/// What someone with the sqlite3 shell gets: a plain connection, none of pointsdesk's settings.
fn shell(dir: &TempDir) -> Connection {
    Connection::open(db_path(dir)).unwrap()
}

fn problem(ledger: &Ledger) -> String {
    let report = ledger.verify().unwrap();
    assert!(!report.ok, "verify must fail: {report:?}");
    assert!(
        !report.problems.is_empty(),
        "a failed verify names its problem"
    );
    report
        .problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn body_of(conn: &Connection, seq: i64) -> Vec<u8> {
    conn.query_row("SELECT body FROM entries WHERE seq = ?1", [seq], |r| {
        r.get(0)
    })
    .unwrap()
}

/// Changes one digit of `"field":N` in an entry's body: still valid UTF-8 and valid JSON.
fn change_digit(conn: &Connection, seq: i64, field: &str) {
    let mut body = body_of(conn, seq);
    let needle = format!("\"{field}\":");
    let at = body
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("{field} in the body of seq {seq}"))
        + needle.len();
    assert!(body[at].is_ascii_digit());
    body[at] = if body[at] == b'9' { b'1' } else { body[at] + 1 };
    assert!(std::str::from_utf8(&body).is_ok());
    let changed = conn
        .execute(
            "UPDATE entries SET body = ?1 WHERE seq = ?2",
            params![body, seq],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

#[test]
fn an_honest_database_verifies() {
    let h = history();
    let report = h.ledger.verify().unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.problems, Vec::new());
    assert_eq!(report.series, 1);
    assert_eq!(report.entries as i64, entry_count(h.ledger.connection()));
}

#[test]
fn a_changed_digit_in_an_entry_body_is_found_at_that_seq() {
    let mut h = history();
    change_digit(&shell(&h.dir), h.earned.seq, "minutes");
    let problem = problem(&h.ledger);
    assert!(
        problem.contains(&format!("entry seq {} ", h.earned.seq)),
        "{problem}"
    );
    assert!(problem.contains("HashMismatch"), "{problem}");

    // Rebuilding over a broken log would hide the damage: refused, as a fault.
    let error = h.ledger.rebuild().unwrap_err();
    assert!(matches!(error, LedgerError::LedgerBroken(_)), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::System);
    assert!(
        error
            .message(Lang::En)
            .contains(&format!("Entry seq {} of counter", h.earned.seq)),
        "{error:?}"
    );
}

#[test]
fn a_redemption_total_changed_in_the_body_is_found_at_that_seq() {
    let h = history();
    change_digit(&shell(&h.dir), h.redeemed.seq, "total");
    let problem = problem(&h.ledger);
    assert!(
        problem.contains(&format!("entry seq {} ", h.redeemed.seq)),
        "{problem}"
    );
}

/// Changes the points of the first earning and, knowing the hash recipe but not the device key,
/// stores a matching hash: the entry is self-consistent except for its signature.
fn rehash_earning(h: &History) {
    let conn = shell(&h.dir);
    change_digit(&conn, h.earned.seq, "points");
    let (series_id, prev_hash, body): (Vec<u8>, Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT series_id, prev_hash, body FROM entries WHERE seq = ?1",
            [h.earned.seq],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let series_id = Uuid::from_slice(&series_id).unwrap();
    let hash = entry_hash(&prev_hash, &series_id, h.earned.seq, &body);
    conn.execute(
        "UPDATE entries SET hash = ?1 WHERE seq = ?2",
        params![hash.as_slice(), h.earned.seq],
    )
    .unwrap();
}

#[test]
fn an_entry_rehashed_without_the_device_key_is_detected() {
    let mut h = history();
    rehash_earning(&h);
    let problem = problem(&h.ledger);
    // Blamed on the entry itself or (see the ignored test below) on the link to its successor.
    assert!(
        problem.contains(&format!("entry seq {} ", h.earned.seq))
            || problem.contains(&format!("entry seq {} ", h.earned.seq + 1)),
        "{problem}"
    );
    assert!(h.ledger.rebuild().is_err());
}

#[test]
fn an_entry_rehashed_without_the_device_key_is_blamed_on_itself() {
    let h = history();
    rehash_earning(&h);
    let problem = problem(&h.ledger);
    assert!(
        problem.contains(&format!("entry seq {} ", h.earned.seq)),
        "{problem}"
    );
    assert!(problem.contains("BadSignature"), "{problem}");
}

#[test]
fn the_last_entry_rehashed_without_the_device_key_fails_its_signature() {
    let h = history();
    let conn = shell(&h.dir);
    change_digit(&conn, h.last.seq, "points");
    let (series_id, prev_hash, body): (Vec<u8>, Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT series_id, prev_hash, body FROM entries WHERE seq = ?1",
            [h.last.seq],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let hash = entry_hash(
        &prev_hash,
        &Uuid::from_slice(&series_id).unwrap(),
        h.last.seq,
        &body,
    );
    conn.execute(
        "UPDATE entries SET hash = ?1 WHERE seq = ?2",
        params![hash.as_slice(), h.last.seq],
    )
    .unwrap();
    let problem = problem(&h.ledger);
    assert!(
        problem.contains(&format!("entry seq {} ", h.last.seq)) && problem.contains("BadSignature"),
        "{problem}"
    );
}

#[test]
fn a_changed_signature_is_found_at_that_seq() {
    let h = history();
    let conn = shell(&h.dir);
    let mut signature: Vec<u8> = conn
        .query_row(
            "SELECT signature FROM entries WHERE seq = ?1",
            [h.redeemed.seq],
            |r| r.get(0),
        )
        .unwrap();
    signature[10] ^= 0x01;
    conn.execute(
        "UPDATE entries SET signature = ?1 WHERE seq = ?2",
        params![signature, h.redeemed.seq],
    )
    .unwrap();
    let problem = problem(&h.ledger);
    assert!(
        problem.contains(&format!("entry seq {} ", h.redeemed.seq)),
        "{problem}"
    );
    assert!(problem.contains("BadSignature"), "{problem}");
}

#[test]
fn a_changed_balance_is_found_in_table_balances() {
    let h = history();
    let account = format!("passbook:{}", h.passbook);
    let changed = shell(&h.dir)
        .execute(
            "UPDATE balances SET points = points + 100 WHERE account = ?1",
            [&account],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let problem = problem(&h.ledger);
    assert!(problem.contains("table balances"), "{problem}");
    assert!(problem.contains(&account), "{problem}");
}

#[test]
fn a_balance_changed_together_with_its_postings_is_still_found() {
    let h = history();
    let account = format!("passbook:{}", h.passbook);
    let conn = shell(&h.dir);
    conn.execute(
        "UPDATE balances SET points = points + 100 WHERE account = ?1",
        [&account],
    )
    .unwrap();
    conn.execute(
        "UPDATE postings SET points = points + 100
         WHERE account = ?1 AND position = (SELECT MAX(position) FROM postings WHERE account = ?1)",
        [&account],
    )
    .unwrap();
    let problem = problem(&h.ledger);
    assert!(problem.contains("table balances"), "{problem}");
}

#[test]
fn a_deleted_middle_entry_is_a_gap_at_the_next_seq() {
    let h = history();
    let deleted = h.redeemed.seq;
    let changed = shell(&h.dir)
        .execute("DELETE FROM entries WHERE seq = ?1", [deleted])
        .unwrap();
    assert_eq!(changed, 1);
    let problem = problem(&h.ledger);
    assert!(
        problem.contains(&format!("entry seq {} ", deleted + 1)),
        "{problem}"
    );
    assert!(
        problem.contains(&format!("Gap {{ expected_seq: {deleted} }}")),
        "{problem}"
    );
}

#[test]
fn a_deleted_last_entry_no_longer_matches_the_series_head() {
    let h = history();
    shell(&h.dir)
        .execute("DELETE FROM entries WHERE seq = ?1", [h.last.seq])
        .unwrap();
    let problem = problem(&h.ledger);
    assert!(problem.contains("table series_heads"), "{problem}");
}

#[test]
fn a_changed_kind_column_is_found_at_that_seq() {
    let h = history();
    shell(&h.dir)
        .execute(
            "UPDATE entries SET kind = 'points_earned' WHERE seq = ?1",
            [h.redeemed.seq],
        )
        .unwrap();
    let problem = problem(&h.ledger);
    assert!(
        problem.contains(&format!("entry seq {} ", h.redeemed.seq)),
        "{problem}"
    );
    assert!(problem.contains("ColumnMismatch(\"kind\")"), "{problem}");
}

#[test]
fn every_column_copied_from_the_envelope_is_checked() {
    for (column, value) in [
        ("recorded_at", "2020-01-01T00:00:00.000Z"),
        ("operator", "001"),
        ("txn", "00000000-0000-0000-0000-000000000000"),
    ] {
        let h = history();
        shell(&h.dir)
            .execute(
                &format!("UPDATE entries SET {column} = ?1 WHERE seq = ?2"),
                params![value, h.earned.seq],
            )
            .unwrap();
        let problem = problem(&h.ledger);
        assert!(
            problem.contains(&format!("entry seq {} ", h.earned.seq))
                && problem.contains(&format!("ColumnMismatch(\"{column}\")")),
            "{column}: {problem}"
        );
    }
}

#[test]
fn rebuild_of_an_honest_database_changes_no_projection_row() {
    let mut h = history();
    let before = dump_projections(h.ledger.connection());
    for table in [
        "series_heads",
        "balances",
        "postings",
        "stock",
        "usage",
        "daily_totals",
    ] {
        let rows = &before.iter().find(|(t, _)| *t == table).unwrap().1;
        assert!(!rows.is_empty(), "the history fills {table}");
    }
    let entries = h.ledger.rebuild().unwrap();
    assert_eq!(entries as i64, entry_count(h.ledger.connection()));
    let after = dump_projections(h.ledger.connection());
    for ((table, rows_before), (_, rows_after)) in before.iter().zip(&after) {
        assert_eq!(rows_before, rows_after, "table {table}");
    }
    assert!(h.ledger.verify().unwrap().ok);
}

#[test]
fn a_corrupted_stock_projection_is_found_and_rebuild_repairs_it() {
    let mut h = history();
    let honest = dump_projections(h.ledger.connection());
    shell(&h.dir)
        .execute("UPDATE stock SET qty = 999 WHERE item = 'G001'", [])
        .unwrap();
    let problem = problem(&h.ledger);
    assert!(problem.contains("table stock"), "{problem}");
    assert!(problem.contains("999"), "{problem}");

    h.ledger.rebuild().unwrap();
    assert!(h.ledger.verify().unwrap().ok);
    assert_eq!(stock(&h.ledger, "G001"), 9);
    assert!(dump_projections(h.ledger.connection()) == honest);
}

#[test]
fn a_deleted_projection_row_is_found_and_rebuild_brings_it_back() {
    let mut h = history();
    let honest = dump_projections(h.ledger.connection());
    shell(&h.dir)
        .execute("DELETE FROM passbook_tokens", [])
        .unwrap();
    let problem = problem(&h.ledger);
    assert!(problem.contains("table passbook_tokens"), "{problem}");
    h.ledger.rebuild().unwrap();
    assert!(dump_projections(h.ledger.connection()) == honest);
}

// ----- the same through the command line -----

fn cli(dir: &TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pointsdesk"))
        .args(["--lang", "en"])
        .args(args)
        .env("POINTSDESK_HOME", dir.path())
        .env("POINTSDESK_PIN", ADMIN_PIN)
        .env("POINTSDESK_OPERATOR", "001")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_cli_verify_exits_zero_on_an_honest_ledger() {
    let h = history();
    let out = cli(&h.dir, &["ledger", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Ledger verified"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains(&format!("{} entries", h.last.seq)),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_cli_verify_names_the_tampered_seq_and_fails() {
    let h = history();
    change_digit(&shell(&h.dir), h.earned.seq, "minutes");
    let out = cli(&h.dir, &["ledger", "verify"]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(
        out.status.code(),
        Some(3),
        "a broken ledger is a fault: {stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "Entry seq {} of counter 三桥爱心超市 was changed",
            h.earned.seq
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("HashMismatch"),
        "no Debug names reach a person: {stderr}"
    );
}

#[test]
fn the_cli_verify_names_the_tampered_table_and_rebuild_repairs_it() {
    let h = history();
    shell(&h.dir)
        .execute(
            "UPDATE balances SET points = 1000000 WHERE account LIKE 'passbook:%'",
            [],
        )
        .unwrap();
    let out = cli(&h.dir, &["ledger", "verify"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Table balances"), "{stderr}");
    assert!(
        stderr.contains("ledger rebuild"),
        "says what to do: {stderr}"
    );

    let out = cli(&h.dir, &["ledger", "rebuild"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cli(&h.dir, &["ledger", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(balance(&h.ledger, &h.passbook), 10 - 5 + 5);
}
