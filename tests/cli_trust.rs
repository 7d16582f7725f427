//! The counter's promises tried from outside, as an attacker or a careless hand would: parallel
//! processes, the sqlite3 shell, a restore, strange characters, a wrong clock, a full disk, a
//! typo in config.toml. Each test runs the real binary on its own throwaway home.

mod support;

use std::time::Duration;
use support::{Desk, Running};

/// The volunteer every test here adds after `init`.
const VOLUNTEER: &str = "002";
const VOLUNTEER_PIN: &str = "2468";
/// Parallel login attempts in the lockout test.
const PARALLEL_ATTEMPTS: usize = 40;

fn with_volunteer(desk: &Desk) {
    let mut command = desk.command(&["operator", "add", "--name", "李建国", "--role", "volunteer"]);
    command.env("POINTSDESK_NEW_PIN", VOLUNTEER_PIN);
    desk.run_command(command).expect_code(0);
}

// ----- 1. lockout under concurrency -----

#[test]
fn forty_parallel_wrong_pins_check_at_most_five_before_the_operator_is_locked() {
    let desk = Desk::init();
    with_volunteer(&desk);
    let running: Vec<Running> = (0..PARALLEL_ATTEMPTS)
        .map(|i| {
            let mut command = desk.command(&["resident", "add", "--name", &format!("居民{i}")]);
            command
                .env("POINTSDESK_OPERATOR", VOLUNTEER)
                .env("POINTSDESK_PIN", "9999");
            Running::spawn(command)
        })
        .collect();
    let outs: Vec<_> = running
        .into_iter()
        .map(|r| r.finish(Duration::from_secs(120)))
        .collect();
    let wrong = outs
        .iter()
        .filter(|o| o.stderr.contains("还可尝试"))
        .count();
    let locked = outs.iter().filter(|o| o.stderr.contains("已锁定")).count();
    for out in &outs {
        assert_eq!(out.code(), Some(1), "every attempt is refused: {out:?}");
        assert!(
            !out.all().contains("locked"),
            "no database lock reaches anyone: {out:?}"
        );
    }
    assert_eq!(wrong, 4, "four wrong PINs are told how many tries are left");
    assert_eq!(
        locked,
        PARALLEL_ATTEMPTS - 4,
        "the fifth check locks, and every later attempt is refused without a check"
    );
    let locks: i64 = desk
        .db()
        .query_row(
            "SELECT COUNT(*) FROM entries WHERE kind = 'operator_locked'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(locks, 1, "one lock entry");
    assert_eq!(desk.entries_of_kind("resident_registered"), 0);
    let correct = desk
        .as_operator(VOLUNTEER, VOLUNTEER_PIN)
        .run(&["resident", "add", "--name", "王五"]);
    correct.expect_code(1);
    assert!(correct.stderr.contains("已锁定"), "{correct:?}");
}

// ----- 2. operator disable / enable -----

fn failures_of(desk: &Desk, operator: &str) -> i64 {
    desk.db()
        .query_row(
            "SELECT failures FROM operator_secrets WHERE operator = ?1",
            [operator],
            |r| r.get(0),
        )
        .unwrap()
}

fn enabled(desk: &Desk, operator: &str) -> bool {
    desk.db()
        .query_row(
            "SELECT enabled FROM operators WHERE operator = ?1",
            [operator],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn an_administrator_disables_and_enables_a_volunteer_without_touching_the_volunteers_pin() {
    let desk = Desk::init();
    with_volunteer(&desk);
    desk.ok(&["operator", "disable", VOLUNTEER]);
    assert!(!enabled(&desk, VOLUNTEER));
    assert_eq!(
        failures_of(&desk, VOLUNTEER),
        0,
        "the target's PIN was not checked"
    );
    assert_eq!(failures_of(&desk, "001"), 0);
    let refused = desk
        .as_operator(VOLUNTEER, VOLUNTEER_PIN)
        .run(&["resident", "add", "--name", "王五"]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("已停用"), "{refused:?}");
    desk.ok(&["operator", "enable", VOLUNTEER]);
    assert!(enabled(&desk, VOLUNTEER));
    desk.as_operator(VOLUNTEER, VOLUNTEER_PIN)
        .run(&["resident", "add", "--name", "王五"])
        .expect_code(0);
}

#[test]
fn a_volunteer_cannot_disable_anyone_and_an_administrator_cannot_disable_themselves() {
    let desk = Desk::init();
    with_volunteer(&desk);
    let by_volunteer = desk
        .as_operator(VOLUNTEER, VOLUNTEER_PIN)
        .run(&["operator", "disable", "001"]);
    by_volunteer.expect_code(1);
    assert!(
        by_volunteer.stderr.contains("不是管理员"),
        "{by_volunteer:?}"
    );
    let own = desk.run(&["operator", "disable", "001"]);
    own.expect_code(1);
    assert!(own.stderr.contains("不能停用自己"), "{own:?}");
    let own_en = desk.run(&["--lang", "en", "operator", "disable", "001"]);
    assert!(
        own_en.stderr.contains("cannot disable yourself"),
        "{own_en:?}"
    );
    assert!(enabled(&desk, "001"));
    assert_eq!(desk.entries_of_kind("operator_updated"), 0);
}

#[test]
fn with_two_administrators_one_may_disable_the_other_but_never_the_last() {
    let desk = Desk::init();
    let mut command = desk.command(&["operator", "add", "--name", "赵敏", "--role", "admin"]);
    command.env("POINTSDESK_NEW_PIN", "5678");
    desk.run_command(command).expect_code(0);
    desk.ok(&["operator", "disable", "002"]);
    assert!(!enabled(&desk, "002"));
    // 002 is disabled: 001 is now the last enabled administrator.
    let last = desk.run(&["operator", "disable", "001"]);
    last.expect_code(1);
    assert!(enabled(&desk, "001"));
    desk.ok(&["operator", "enable", "002"]);
    desk.as_operator("002", "5678")
        .run(&["operator", "disable", "001"])
        .expect_code(0);
    assert!(!enabled(&desk, "001"));
}

// ----- 8. invisible characters, required texts -----

#[test]
fn names_with_invisible_characters_are_refused_like_control_characters() {
    let desk = Desk::init();
    for name in [
        "张\u{200B}三",
        "\u{FEFF}李四",
        "王\u{2028}五",
        "赵\u{2029}六",
        "\u{200D}",
        "\u{3164}",
    ] {
        let out = desk.run(&["resident", "add", "--name", name]);
        out.expect_code(1);
        assert!(out.stderr.contains("含有控制字符"), "{name:?}: {out:?}");
    }
    let en = desk.run(&["--lang", "en", "resident", "add", "--name", "A\u{200B}B"]);
    assert!(en.stderr.contains("control characters"), "{en:?}");
    assert_eq!(desk.entries_of_kind("resident_registered"), 0);
}

#[test]
fn an_empty_event_name_or_an_empty_donor_is_refused_not_taken_as_none() {
    let (desk, scan) = Desk::seeded();
    let entries = desk.verify();
    let event = desk.run(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "1",
        "--event",
        " ",
    ]);
    event.expect_code(1);
    assert!(event.stderr.contains("活动名称不能为空"), "{event:?}");
    let donor = desk.run(&["catalog", "restock", "G001", "--qty", "5", "--donor", ""]);
    donor.expect_code(1);
    assert!(donor.stderr.contains("捐赠人不能为空"), "{donor:?}");
    assert_eq!(desk.verify(), entries, "nothing was booked");
    desk.ok(&["catalog", "restock", "G001", "--qty", "5"]);
}

// ----- 11. config.toml errors are not swallowed -----

#[test]
fn a_typo_in_config_toml_stops_every_command_with_the_file_line_key_and_what_is_allowed() {
    let desk = Desk::init();
    let path = desk.home.join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let typo = config.replace("pin_failures_max = 5", "pin_failure_max = 3");
    assert_ne!(typo, config);
    std::fs::write(&path, &typo).unwrap();
    let line = typo
        .lines()
        .position(|l| l.starts_with("pin_failure_max"))
        .unwrap()
        + 1;
    for args in [
        vec!["resident", "add", "--name", "王五"],
        vec!["ledger", "verify"],
        vec!["counter"],
    ] {
        let out = desk.run(&args);
        out.expect_code(2);
        assert!(
            out.stderr.contains(&format!("config.toml 第 {line} 行")),
            "{args:?}: {out:?}"
        );
        assert!(out.stderr.contains("pin_failure_max"), "{out:?}");
        assert!(
            out.stderr.contains("pin_failures_max, lockout_minutes"),
            "{out:?}"
        );
    }
    let en = desk.run(&["--lang", "en", "ledger", "verify"]);
    assert!(en.stderr.contains(&format!("line {line}")), "{en:?}");
    std::fs::write(
        &path,
        config.replace("lockout_minutes = 5", "lockout_minutes = 0"),
    )
    .unwrap();
    let zero = desk.run(&["ledger", "verify"]);
    zero.expect_code(2);
    assert!(zero.stderr.contains("security.lockout_minutes"), "{zero:?}");
    assert!(zero.stderr.contains("1 到 1440"), "{zero:?}");
    std::fs::write(&path, &config).unwrap();
    desk.verify();
}

// ----- 6. files that hold a token or personal data are owner-only -----

fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_home_is_owner_only_and_so_are_passbook_pictures_and_backups() {
    let (desk, _) = Desk::seeded();
    assert_eq!(mode_of(&desk.home), 0o700, "the home folder");
    assert_eq!(mode_of(&desk.home.join("keys")), 0o700);
    assert_eq!(mode_of(&desk.db_path()), 0o600);
    desk.add_resident("李四", "13900000000");
    let png = desk.path("存折.png");
    let svg = desk.path("存折.svg");
    // An existing picture file that others could read is made owner-only too.
    std::fs::write(&svg, "old").unwrap();
    std::fs::set_permissions(&svg, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    desk.ok(&[
        "passbook",
        "issue",
        "SQ-RA00002",
        "--png",
        png.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(mode_of(&png), 0o600);
    assert_eq!(mode_of(&svg), 0o600);
    let backup = desk.path("backup.db");
    desk.ok(&["backup", "--out", backup.to_str().unwrap()]);
    assert_eq!(mode_of(&backup), 0o600);
}

#[test]
fn a_passbook_picture_that_cannot_be_written_is_refused_before_the_passbook_is_issued() {
    let (desk, _) = Desk::seeded();
    desk.add_resident("李四", "13900000000");
    let issued_before = desk.entries_of_kind("passbook_issued");
    let bad = desk.path("no-such-folder").join("x.png");
    let out = desk.run(&[
        "passbook",
        "issue",
        "SQ-RA00002",
        "--png",
        bad.to_str().unwrap(),
    ]);
    out.expect_code(1);
    assert!(
        out.stderr.contains(bad.to_str().unwrap()),
        "names the path: {out:?}"
    );
    assert!(out.stderr.contains("文件夹不存在"), "{out:?}");
    assert!(!out.all().contains("Os {"), "no Debug formatting: {out:?}");
    assert_eq!(desk.entries_of_kind("passbook_issued"), issued_before);
    let ok = desk.path("ok.png");
    let both = desk.run(&[
        "passbook",
        "issue",
        "SQ-RA00002",
        "--png",
        ok.to_str().unwrap(),
        "--svg",
        bad.to_str().unwrap(),
    ]);
    both.expect_code(1);
    assert!(
        !ok.exists(),
        "the picture made for a refused issue is removed"
    );
}

// ----- 3. restore never reuses a seq -----

fn series_heads(desk: &Desk) -> Vec<(Vec<u8>, i64)> {
    let db = desk.db();
    let mut stmt = db
        .prepare(
            "SELECT series_id, MAX(seq) FROM entries GROUP BY series_id ORDER BY MIN(position)",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn entry_at(desk: &Desk, series_id: &[u8], seq: i64) -> Option<Vec<u8>> {
    desk.db()
        .query_row(
            "SELECT hash FROM entries WHERE series_id = ?1 AND seq = ?2",
            rusqlite::params![series_id, seq],
            |r| r.get(0),
        )
        .ok()
}

#[test]
fn a_restore_that_drops_entries_says_how_many_and_continues_in_a_new_series_without_reusing_a_seq()
{
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    let backup = desk.path("backup.db");
    desk.ok(&["backup", "--out", backup.to_str().unwrap()]);
    let heads_at_backup = series_heads(&desk);
    assert_eq!(heads_at_backup.len(), 1);
    let (old_id, backup_head) = heads_at_backup[0].clone();
    let mut lost = Vec::new();
    for _ in 0..3 {
        desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    }
    for seq in backup_head + 1..=backup_head + 3 {
        lost.push(entry_at(&desk, &old_id, seq).expect("signed before the restore"));
    }
    let key_before = std::fs::read(desk.home.join("keys/device.key")).unwrap();

    // Without --yes and without a terminal to answer on, nothing happens.
    let unconfirmed = desk.run(&["restore", backup.to_str().unwrap()]);
    unconfirmed.expect_code(2);
    assert!(
        unconfirmed.stderr.contains("缺少当前账本中的 3 条记录"),
        "{unconfirmed:?}"
    );
    assert!(unconfirmed.stderr.contains("--yes"), "{unconfirmed:?}");
    assert_eq!(desk.balance(&scan), 100 - 30);

    let restored = desk.run(&["restore", "--yes", backup.to_str().unwrap()]);
    restored.expect_code(0);
    assert!(
        restored.stderr.contains("缺少当前账本中的 3 条记录"),
        "{restored:?}"
    );
    assert!(restored.stdout.contains("新序列"), "{restored:?}");
    assert_eq!(desk.balance(&scan), 100);
    let key_after = std::fs::read(desk.home.join("keys/device.key")).unwrap();
    assert_ne!(
        key_before, key_after,
        "a new device key signs the new series"
    );

    desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    let heads = series_heads(&desk);
    assert_eq!(
        heads.len(),
        2,
        "the old series and its successor: {heads:?}"
    );
    assert_eq!(
        heads[0],
        (old_id.clone(), backup_head),
        "the old series ends at the backup"
    );
    assert_eq!(
        heads[1].1, 2,
        "the new series: its link entry, then the redemption"
    );
    for (i, hash) in lost.iter().enumerate() {
        let seq = backup_head + 1 + i as i64;
        assert_ne!(
            entry_at(&desk, &old_id, seq).as_ref(),
            Some(hash),
            "seq {seq} of the old series is never signed again"
        );
        assert_eq!(entry_at(&desk, &old_id, seq), None);
    }
    let link: String = desk
        .db()
        .query_row(
            "SELECT body FROM entries WHERE series_id = ?1 AND seq = 1",
            [&heads[1].0],
            |r| Ok(String::from_utf8_lossy(&r.get::<_, Vec<u8>>(0)?).into_owned()),
        )
        .unwrap();
    assert!(link.contains("\"continues\""), "{link}");
    assert!(
        link.contains(&format!("\"used_seq\":{}", backup_head + 3)),
        "{link}"
    );
    assert!(
        link.contains("\"endorsement\""),
        "the old key endorsed its successor: {link}"
    );
    desk.verify();

    // A second restore of the same backup: the successor's seqs are used too.
    desk.ok(&["restore", "--yes", backup.to_str().unwrap()]);
    assert_eq!(
        series_heads(&desk).len(),
        2,
        "the backup's series and a third one"
    );
    desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    desk.verify();
}

#[test]
fn restoring_a_backup_that_lacks_nothing_keeps_the_series() {
    let (desk, scan) = Desk::seeded();
    let backup = desk.path("backup.db");
    desk.ok(&["backup", "--out", backup.to_str().unwrap()]);
    let restored = desk.run(&["restore", "--yes", backup.to_str().unwrap()]);
    restored.expect_code(0);
    assert!(restored.stderr.contains("没有缺少"), "{restored:?}");
    desk.earn(&scan, "1");
    assert_eq!(series_heads(&desk).len(), 1);
    desk.verify();
}

#[test]
fn a_backup_from_before_an_erasure_does_not_bring_the_persons_data_back() {
    let desk = Desk::init();
    let resident = desk.add_resident("张三明", "13812345678");
    let backup = desk.path("backup.db");
    desk.ok(&["backup", "--out", backup.to_str().unwrap()]);
    desk.ok(&["resident", "erase", &resident]);
    let restored = desk.run(&["restore", "--yes", backup.to_str().unwrap()]);
    restored.expect_code(0);
    assert!(restored.stdout.contains(&resident), "{restored:?}");
    let full = desk.json(&["resident", "show", &resident, "--full"]);
    assert_eq!(full["erased"], true, "{full}");
    assert!(!full.to_string().contains("张三明"), "{full}");
    assert!(!full.to_string().contains("13812345678"), "{full}");
    let keys: i64 = desk
        .db()
        .query_row(
            "SELECT COUNT(*) FROM resident_keys WHERE resident = ?1",
            [&resident],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keys, 0, "the sealing key is gone again");
    desk.verify();
}

#[test]
fn a_database_that_cannot_be_read_is_restored_from_a_backup_and_kept_aside() {
    let (desk, scan) = Desk::seeded();
    let backup = desk.path("backup.db");
    desk.ok(&["backup", "--out", backup.to_str().unwrap()]);
    desk.earn(&scan, "2");
    std::fs::write(desk.db_path(), b"this is not a database").unwrap();
    for side in ["ledger.db-wal", "ledger.db-shm"] {
        let _ = std::fs::remove_file(desk.home.join(side));
    }
    assert_ne!(desk.run(&["ledger", "verify"]).code(), Some(0));
    let wrong =
        desk.as_operator("001", "0000")
            .run(&["restore", "--yes", backup.to_str().unwrap()]);
    wrong.expect_code(1);
    let restored = desk.run(&["restore", "--yes", backup.to_str().unwrap()]);
    restored.expect_code(0);
    // The anchor beside the database still knew the earning's seq: a new series.
    assert!(restored.stdout.contains("新序列"), "{restored:?}");
    let kept_aside = std::fs::read_dir(&desk.home)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| {
            e.file_name().to_string_lossy().contains("before-restore")
                && std::fs::read(e.path()).unwrap() == b"this is not a database"
        });
    assert!(kept_aside, "the unreadable database is kept as it was");
    assert_eq!(desk.balance(&scan), 0);
    desk.verify();
}

// ----- 4. money never trusts a projection row alone -----

/// Makes the balance of passbook SQ-A000001 say `points`, as the sqlite3 shell would.
fn set_balance(desk: &Desk, points: i64) {
    desk.db()
        .execute(
            "UPDATE balances SET points = ?1 WHERE account = 'passbook:SQ-A000001'",
            [points],
        )
        .unwrap();
}

fn refused_as_changed(out: &support::Out) {
    out.expect_code(3);
    assert!(out.stderr.contains("余额与账本记录不符"), "{out:?}");
}

#[test]
fn a_balance_changed_in_the_database_cannot_be_spent() {
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    let entries = desk.entries_of_kind("points_redeemed");
    set_balance(&desk, 9999);
    refused_as_changed(&desk.run(&["redeem", "--passbook", &scan, "--item", "S001:27"]));
    refused_as_changed(&desk.run(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "1",
    ]));
    assert_eq!(desk.entries_of_kind("points_redeemed"), entries);
    let verify = desk.run(&["ledger", "verify"]);
    verify.expect_code(3);
    assert!(verify.stderr.contains("数据表 balances"), "{verify:?}");
}

#[test]
fn a_made_up_posting_next_to_a_changed_balance_cannot_be_spent_either() {
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    set_balance(&desk, 9999);
    desk.db()
        .execute(
            "INSERT INTO postings (account, position, points) VALUES ('passbook:SQ-A000001', 999999, 9899)",
            [],
        )
        .unwrap();
    refused_as_changed(&desk.run(&["redeem", "--passbook", &scan, "--item", "S001:27"]));
}

#[test]
fn an_older_posting_changed_with_its_balance_cannot_be_spent() {
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    // The earning's posting and the balance agree with each other, not with the log.
    let db = desk.db();
    db.execute(
        "UPDATE postings SET points = points + 9000 WHERE account = 'passbook:SQ-A000001'
         AND position = (SELECT MIN(position) FROM postings WHERE account = 'passbook:SQ-A000001')",
        [],
    )
    .unwrap();
    db.execute(
        "UPDATE balances SET points = points + 9000 WHERE account = 'passbook:SQ-A000001'",
        [],
    )
    .unwrap();
    refused_as_changed(&desk.run(&["redeem", "--passbook", &scan, "--item", "S001:9"]));
}

/// Appends a signed entry of this counter's own series the way the old code would have after
/// reading a changed balance: the device key signs whatever it is given.
fn append_signed(desk: &Desk, body: pointsdesk::domain::Body) {
    use pointsdesk::store::log;
    let device = pointsdesk::keys::Device::load(&desk.home.join("keys/device.key")).unwrap();
    let mut conn = pointsdesk::store::open(&desk.db_path()).unwrap();
    let series = log::series_of(&conn, &device.series_id).unwrap().unwrap();
    let tx = conn.transaction().unwrap();
    let txn = uuid::Uuid::now_v7().to_string();
    log::append(
        &tx,
        &device,
        Some(&series),
        chrono::Utc::now(),
        Some("001"),
        Some(&txn),
        body,
        &log::SqlKeys(&tx),
    )
    .unwrap();
    tx.commit().unwrap();
}

fn haircuts(qty: u32) -> pointsdesk::domain::Line {
    pointsdesk::domain::Line {
        item: "S001".into(),
        name: "理发".into(),
        qty,
        unit_points: pointsdesk::domain::Points(10),
        stocked: false,
    }
}

#[test]
fn verify_reports_a_passbook_below_zero_and_a_signed_balance_the_log_does_not_reach_even_after_rebuild()
 {
    use pointsdesk::domain::{Body, Points};
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    // Booked against a balance row changed to 9999: 270 points of a balance of 100.
    append_signed(
        &desk,
        Body::PointsRedeemed {
            passbook: "SQ-A000001".into(),
            resident: "SQ-RA00001".into(),
            lines: vec![haircuts(27)],
            total: Points(270),
            balance_after: Points(9999 - 270),
            confirmed_by: None,
        },
    );
    for args in [
        vec!["ledger", "verify"],
        vec!["ledger", "rebuild"],
        vec!["ledger", "verify"],
    ] {
        let out = desk.run(&args);
        out.expect_code(3);
        assert!(
            out.stderr
                .contains("存折 SQ-A000001 的余额按账本为 -170 分"),
            "{args:?}: {out:?}"
        );
        assert!(
            out.stderr
                .contains("写明存折 SQ-A000001 余额为 9729，按账本应为 -170"),
            "{out:?}"
        );
    }
    let json = desk.run(&["--json", "ledger", "verify"]).json();
    let kinds: Vec<&str> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["problem"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["balance_after", "negative_balance"], "{json}");
}

#[test]
fn verify_reports_a_redemption_whose_lines_do_not_add_up_to_its_total() {
    use pointsdesk::domain::{Body, Points};
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    append_signed(
        &desk,
        Body::PointsRedeemed {
            passbook: "SQ-A000001".into(),
            resident: "SQ-RA00001".into(),
            lines: vec![haircuts(3)],
            total: Points(10),
            balance_after: Points(90),
            confirmed_by: None,
        },
    );
    let out = desk.run(&["ledger", "verify"]);
    out.expect_code(3);
    assert!(
        out.stderr.contains("各行合计 30 分，与总计 10 分不符"),
        "{out:?}"
    );
}

#[test]
fn deleting_the_last_entries_with_their_series_head_is_caught_by_the_anchor() {
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    let last: i64 = desk
        .db()
        .query_row("SELECT MAX(seq) FROM entries", [], |r| r.get(0))
        .unwrap();
    desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    // Cut the two redemptions and make every projection agree, as a careful attacker would.
    let db = desk.db();
    db.execute_batch(&format!(
        "DELETE FROM postings WHERE position IN (SELECT position FROM entries WHERE seq > {last});
         DELETE FROM entries WHERE seq > {last};
         UPDATE balances SET points = 100 WHERE account = 'passbook:SQ-A000001';
         UPDATE balances SET points = 0 WHERE account LIKE 'redeemed:%';
         DELETE FROM usage; DELETE FROM reversed_txns;
         UPDATE month_totals SET spent = 0;
         DELETE FROM daily_totals WHERE kind = 'redeemed';
         UPDATE series_heads SET seq = {last},
             hash = (SELECT hash FROM entries WHERE seq = {last});"
    ))
    .unwrap();
    let out = desk.run(&["ledger", "verify"]);
    out.expect_code(3);
    assert!(
        out.stderr.contains(&format!(
            "已签到第 {} 条记录，但账本只到第 {last} 条",
            last + 2
        )),
        "{out:?}"
    );
    // Deleting the anchor too is told, not taken for a clean ledger.
    std::fs::remove_file(desk.home.join("ledger.head")).unwrap();
    let out = desk.run(&["ledger", "verify"]);
    out.expect_code(3);
    assert!(out.stderr.contains("ledger.head 不见了"), "{out:?}");
}

// ----- 10. disk full -----

/// A small tmpfs for a home, unmounted when dropped: mounting needs root, so the full disk is
/// tried in the system tier (`tests/run-all`).
#[cfg(feature = "system-tests")]
struct SmallDisk {
    dir: tempfile::TempDir,
}

#[cfg(feature = "system-tests")]
impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "mounting a tmpfs needs root (tests/run-all runs as root)"
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Writes a file until the disk says it is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        loop {
            if let Err(e) = file.write_all(&block) {
                assert_eq!(e.raw_os_error(), Some(28), "ENOSPC: {e}");
                break;
            }
        }
        // The last partial blocks too.
        while file.write_all(&[0u8; 512]).is_ok() {}
        path
    }
}

#[cfg(feature = "system-tests")]
impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[cfg(feature = "system-tests")]
#[test]
fn a_full_disk_is_told_as_such_and_balance_history_and_verify_still_work() {
    let disk = SmallDisk::mount("4m");
    let mut desk = Desk::new();
    desk.home = disk.path().join("home");
    desk.ok(&[
        "init",
        "--community",
        "三桥社区",
        "--prefix",
        "SQ",
        "--counter",
        "三桥",
        "--admin",
        "王芳",
    ]);
    desk.ok(&[
        "activity",
        "add",
        "A01",
        "--name",
        "清洁",
        "--points-per-hour",
        "10",
    ]);
    desk.ok(&[
        "catalog", "add", "S001", "--name", "理发", "--kind", "service", "--points", "10",
    ]);
    let resident = desk.add_resident("张三明", "13812345678");
    let (_, scan) = desk.issue(&resident);
    desk.earn(&scan, "5");
    let filler = disk.fill();

    let redeem = desk.run(&["redeem", "--passbook", &scan, "--item", "S001"]);
    redeem.expect_code(3);
    assert!(redeem.stderr.contains("磁盘已满"), "{redeem:?}");
    assert!(
        redeem.stderr.contains("腾出空间"),
        "says what to do: {redeem:?}"
    );
    let en = desk.run(&[
        "--lang",
        "en",
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "S001",
    ]);
    assert!(en.stderr.contains("The disk is full"), "{en:?}");
    assert_eq!(
        desk.balance(&scan),
        50,
        "balance works, and nothing was booked"
    );
    desk.ok(&["history", "--passbook", &scan]);
    desk.verify();

    std::fs::remove_file(filler).unwrap();
    desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    assert_eq!(desk.balance(&scan), 40);
    desk.verify();
}

// ----- 5. a replayed txn that was reversed says so -----

#[test]
fn redeeming_again_with_a_reversed_txn_says_when_it_was_reversed_and_the_balance_now() {
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    let txn = uuid::Uuid::now_v7().to_string();
    desk.ok(&[
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "S001",
        "--txn",
        &txn,
    ]);
    desk.ok(&["reverse", &txn, "--reason", "拿错了"]);
    let entries = desk.verify();
    let again = desk.run(&[
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "S001",
        "--txn",
        &txn,
    ]);
    again.expect_code(1);
    assert!(again.stderr.contains("已于"), "{again:?}");
    assert!(again.stderr.contains("冲正"), "{again:?}");
    assert!(again.stderr.contains("不要再交付商品"), "{again:?}");
    assert!(again.stderr.contains("当前余额 100 分"), "{again:?}");
    assert!(!again.all().contains("兑换成功"), "{again:?}");
    assert_eq!(desk.verify(), entries, "nothing was booked");
    let en = desk.run(&[
        "--lang",
        "en",
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "S001",
        "--txn",
        &txn,
    ]);
    assert!(en.stderr.contains("was reversed at"), "{en:?}");
}

// ----- 7. one hours rule -----

#[test]
fn hours_are_quarter_hours_everywhere_and_no_entry_moves_zero_points() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "activity",
        "add",
        "A02",
        "--name",
        "读报",
        "--points-per-hour",
        "1",
    ]);
    let entries = desk.verify();
    for hours in ["0.01", "0.1", "1.3", "0", "25", "abc"] {
        let out = desk.run(&[
            "earn",
            "--passbook",
            &scan,
            "--activity",
            "A01",
            "--hours",
            hours,
        ]);
        out.expect_code(1);
        assert!(out.stderr.contains("时长按一刻钟计"), "{hours}: {out:?}");
    }
    let nothing = desk.run(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A02",
        "--hours",
        "0.25",
    ]);
    nothing.expect_code(1);
    assert!(nothing.stderr.contains("得 0 分，没有记账"), "{nothing:?}");
    assert_eq!(desk.verify(), entries);
    let zero_rate = desk.run(&[
        "activity",
        "add",
        "A03",
        "--name",
        "x",
        "--points-per-hour",
        "0",
    ]);
    zero_rate.expect_code(1);
    desk.earn(&scan, "1.25");
    assert_eq!(desk.balance(&scan), 13);
}

// ----- 9. clock -----

#[test]
fn a_clock_behind_the_newest_entry_or_far_ahead_of_it_is_warned_about_by_writing_commands() {
    use pointsdesk::domain::Body;
    let (desk, scan) = Desk::seeded();
    // An entry stamped a day ahead of the clock, as a counter whose clock was then set back.
    {
        use pointsdesk::store::log;
        let device = pointsdesk::keys::Device::load(&desk.home.join("keys/device.key")).unwrap();
        let mut conn = pointsdesk::store::open(&desk.db_path()).unwrap();
        let series = log::series_of(&conn, &device.series_id).unwrap().unwrap();
        let tx = conn.transaction().unwrap();
        log::append(
            &tx,
            &device,
            Some(&series),
            chrono::Utc::now() + chrono::Duration::days(1),
            Some("001"),
            None,
            Body::StockReceived {
                item: "G001".into(),
                qty: 1,
                donor: None,
            },
            &log::SqlKeys(&tx),
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let out = desk.run(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "1",
    ]);
    out.expect_code(0);
    assert!(out.stderr.contains("电脑时钟可能不准"), "{out:?}");
    assert!(out.stderr.contains("早于本柜台最新一条记录"), "{out:?}");
    let read = desk.run(&["balance", "--passbook", &scan]);
    assert!(
        !read.stderr.contains("时钟"),
        "only writing commands warn: {read:?}"
    );

    // A home whose newest entry is a year old: the clock is far ahead of it.
    let old = Desk::new();
    let home = pointsdesk::home::Home {
        dir: old.home.clone(),
    };
    let year_ago = chrono::Utc::now() - chrono::Duration::days(365);
    drop(
        home.init(
            pointsdesk::ledger::InitRequest {
                community: "三桥社区".into(),
                prefix: "SQ".into(),
                counter: "三桥".into(),
                admin_name: "王芳".into(),
                admin_pin: "1234".into(),
                utc_offset_minutes: 480,
                code: "A".into(),
            },
            pointsdesk::i18n::Lang::ZhCn,
            Box::new(move || year_ago),
        )
        .unwrap(),
    );
    let out = old.run(&["resident", "add", "--name", "李四"]);
    out.expect_code(0);
    assert!(out.stderr.contains("晚 365 天"), "{out:?}");
}

// ----- 16. the short 单号 -----

#[test]
fn the_eight_character_number_on_a_slip_reverses_and_reprints_and_an_ambiguous_start_lists_both() {
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    let first = "01900000-0000-7000-8000-00000000aaaa";
    let second = "01900000-0000-7000-8000-00000000aaab";
    desk.ok(&[
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "S001",
        "--txn",
        first,
    ]);
    desk.ok(&[
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "S001",
        "--txn",
        second,
    ]);
    let ambiguous = desk.run(&["reverse", "0000aaa", "--reason", "错了"]);
    ambiguous.expect_code(1);
    assert!(ambiguous.stderr.contains("对应多笔交易"), "{ambiguous:?}");
    assert!(
        ambiguous.stderr.contains("0000aaaa") && ambiguous.stderr.contains("0000aaab"),
        "{ambiguous:?}"
    );
    let reversed = desk.json(&["reverse", "0000AAAB", "--reason", "错了"]);
    assert_eq!(reversed["of_txn"], second);
    assert_eq!(desk.balance(&scan), 90);
    let reprint = desk.run(&["reprint", "0000aaaa"]);
    reprint.expect_code(0);
    assert!(reprint.stdout.contains("重印"), "{reprint:?}");
    let unknown = desk.run(&["reprint", "ffffffff"]);
    unknown.expect_code(1);
    assert!(unknown.stderr.contains("小票上的单号"), "{unknown:?}");
}

// ----- 25. words -----

#[test]
fn chinese_output_has_no_english_words_and_english_output_no_chinese_punctuation() {
    let (desk, scan) = Desk::seeded();
    with_volunteer(&desk);
    desk.earn(&scan, "1");
    for _ in 0..5 {
        desk.as_operator(VOLUNTEER, "0000")
            .run(&["resident", "add", "--name", "x"]);
    }
    let operators = desk.ok(&["operator", "list"]).stdout;
    assert!(
        operators.contains("管理员") && operators.contains("志愿者"),
        "{operators}"
    );
    assert!(
        operators.contains("锁定至"),
        "a locked operator shows as locked: {operators}"
    );
    assert!(
        !operators.contains("admin") && !operators.contains("volunteer"),
        "{operators}"
    );
    let catalog = desk.ok(&["catalog", "list"]).stdout;
    assert!(
        catalog.contains("商品") && catalog.contains("服务"),
        "{catalog}"
    );
    assert!(
        !catalog.contains("goods") && !catalog.contains("service"),
        "{catalog}"
    );
    let passbook = desk.ok(&["passbook", "show", "SQ-A000001"]).stdout;
    assert!(
        passbook.contains("有效") && !passbook.contains("active"),
        "{passbook}"
    );
    let balance = desk.ok(&["balance", "--passbook", &scan]).stdout;
    assert!(
        balance.contains("兑换 0") && !balance.contains("/ -0"),
        "{balance}"
    );
    let json = desk.json(&["balance", "--passbook", &scan]);
    assert!(
        !json["last"].as_array().unwrap().is_empty(),
        "balance --json fills last: {json}"
    );
    let history = desk.ok(&["history", "--passbook", &scan]).stdout;
    assert!(
        history.contains("1 小时") && !history.contains("1.0h"),
        "{history}"
    );
    let verify = desk.ok(&["--lang", "en", "ledger", "verify"]).stdout;
    assert!(!verify.contains('，') && !verify.contains('：'), "{verify}");
    let bad_date = desk.run(&["day-close", "--date", "2026-13-01"]);
    bad_date.expect_code(1);
    assert!(bad_date.stderr.contains("日期不对"), "{bad_date:?}");
}

#[test]
fn every_command_and_subcommand_has_a_help_line_of_its_own() {
    let desk = Desk::new();
    let top = desk.ok(&["--help"]).stdout;
    let commands: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 20, "{top}");
    for line in top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
    {
        if !line.starts_with("  ") {
            break;
        }
        assert!(
            line.split_whitespace().count() > 1,
            "no help line: {line:?}"
        );
    }
    // Every command at every depth, from the parser itself: none can be missed because its
    // help is laid out differently.
    fn walk(command: &clap::Command, path: &[String], all: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut path = path.to_vec();
            path.push(sub.get_name().to_string());
            assert!(sub.get_about().is_some(), "{path:?} has no help line");
            all.push(path.clone());
            walk(sub, &path, all);
        }
    }
    let mut all = Vec::new();
    walk(
        &<pointsdesk::cli::args::Cli as clap::CommandFactory>::command(),
        &[],
        &mut all,
    );
    let top_level: Vec<&String> = all.iter().filter(|p| p.len() == 1).map(|p| &p[0]).collect();
    assert_eq!(top_level, commands.iter().collect::<Vec<_>>(), "{top}");
    assert!(
        all.iter().any(|p| p.len() == 3),
        "nested commands (hub counters revoke) are walked too: {all:?}"
    );
    for path in &all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = desk.ok(&args).stdout;
        let first = help.lines().next().unwrap_or_default();
        assert!(
            !first.trim().is_empty() && !first.starts_with("Usage"),
            "{path:?}: {help}"
        );
    }
    let reprint = desk.ok(&["reprint", "--help"]).stdout;
    assert!(reprint.starts_with("Print a copy"), "{reprint}");
}

// ----- 32. every body kind is written; the projection list is the schema's -----

#[test]
fn an_administrator_corrects_a_residents_phone_and_the_ledger_still_verifies() {
    let desk = Desk::init();
    let resident = desk.add_resident("张三明", "13812345678");
    desk.ok(&[
        "resident",
        "update",
        &resident,
        "--phone",
        "13900001111",
        "--address",
        "三桥新村8栋",
    ]);
    let full = desk.json(&["resident", "show", &resident, "--full"]);
    assert_eq!(full["phone"], "13900001111");
    assert_eq!(full["address"], "三桥新村8栋");
    assert_eq!(full["name"], "张三明");
    desk.ok(&["resident", "update", &resident, "--address", ""]);
    assert_eq!(
        desk.json(&["resident", "show", &resident, "--full"])["address"],
        serde_json::Value::Null
    );
    let bad = desk.run(&["resident", "update", &resident, "--phone", "138\u{200B}"]);
    bad.expect_code(1);
    assert_eq!(desk.entries_of_kind("resident_updated"), 2);
    desk.verify();
}

#[test]
fn the_projection_tables_of_verify_and_rebuild_are_every_table_of_the_schema_but_the_log_and_local_secrets()
 {
    let desk = Desk::init();
    let tables: Vec<String> = {
        let db = desk.db();
        let mut stmt = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    // The log, secrets and evidence local to this counter: what it was told (its district,
    // certificates), what it refused to merge (forks) and when it last synced.
    let not_projections = [
        "balance_seals",
        "certificates",
        "district",
        "earlier_data_keys",
        "entries",
        "forks",
        "meta",
        "operator_secrets",
        "resident_keys",
        "series_sync",
        "sync_log",
    ];
    let mut schema: Vec<&str> = tables
        .iter()
        .map(String::as_str)
        .filter(|t| !not_projections.contains(t))
        .collect();
    let mut declared: Vec<&str> = pointsdesk::store::projection::TABLES
        .iter()
        .map(|t| t.name)
        .collect();
    schema.sort();
    declared.sort();
    assert_eq!(schema, declared);
    let db = desk.db();
    for spec in pointsdesk::store::projection::TABLES {
        let mut stmt = db
            .prepare(&format!("PRAGMA table_info({})", spec.name))
            .unwrap();
        let columns: Vec<String> = stmt
            .query_map([], |r| r.get(1))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let declared: Vec<String> = spec
            .keys
            .iter()
            .chain(spec.values)
            .map(|c| c.to_string())
            .collect();
        assert_eq!(columns, declared, "{}", spec.name);
    }
}

#[test]
fn without_its_seal_a_balance_is_checked_against_the_log_again_and_a_changed_one_still_refused() {
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "10");
    desk.db().execute("DELETE FROM balance_seals", []).unwrap();
    desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    let sealed: i64 = desk
        .db()
        .query_row("SELECT COUNT(*) FROM balance_seals", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sealed, 1, "the checked balance is sealed again");
    set_balance(&desk, 9999);
    desk.db().execute("DELETE FROM balance_seals", []).unwrap();
    refused_as_changed(&desk.run(&["redeem", "--passbook", &scan, "--item", "S001:27"]));
}
