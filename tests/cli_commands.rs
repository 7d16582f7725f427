//! The command-line contract, end to end: each test runs the real binary on its own throwaway
//! home and checks exit codes, messages in both languages, JSON output and the files on disk.

mod support;

use std::os::unix::fs::PermissionsExt;
use support::{Desk, full_width, snapshot};
use uuid::Uuid;

// ----- init -----

#[test]
fn init_creates_a_wal_database_a_commented_config_and_a_private_device_key() {
    let desk = Desk::init();
    let db = desk.db_path();
    assert!(db.is_file(), "ledger.db exists");

    let mode: String = desk
        .db()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode.to_ascii_lowercase(), "wal");

    let config = std::fs::read_to_string(desk.home.join("config.toml")).expect("config.toml");
    let comments = config
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .count();
    assert!(comments >= 3, "config.toml explains itself:\n{config}");
    let parsed: toml::Table = toml::from_str(&config).expect("config.toml is valid TOML");
    assert_eq!(parsed["lang"].as_str(), Some("zh-CN"));
    assert!(parsed.contains_key("security"));

    let key = desk.home.join("keys").join("device.key");
    let mode = std::fs::metadata(&key)
        .expect("device.key")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "device.key is readable by its owner only"
    );
    let keys_dir = std::fs::metadata(desk.home.join("keys")).expect("keys dir");
    assert_eq!(keys_dir.permissions().mode() & 0o077, 0, "keys/ is private");
    let db = std::fs::metadata(desk.home.join("ledger.db")).expect("ledger.db");
    assert_eq!(
        db.permissions().mode() & 0o777,
        0o600,
        "ledger.db holds resident keys and PIN hashes: owner only"
    );

    assert_eq!(
        desk.verify(),
        2,
        "the genesis entry and the first administrator"
    );
}

#[test]
fn init_on_an_existing_home_is_refused_and_changes_nothing() {
    let desk = Desk::init();
    // Every file dated long ago: any write would show in its modification time at once.
    let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    for (path, ..) in snapshot(&desk.home) {
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(long_ago))
            .unwrap();
    }
    let before = snapshot(&desk.home);
    assert!(before.len() >= 3);
    for lang in ["en", "zh-CN"] {
        let out = desk.run(&[
            "--lang",
            lang,
            "init",
            "--community",
            "别的社区",
            "--prefix",
            "BD",
            "--counter",
            "别的超市",
            "--admin",
            "李四",
        ]);
        out.expect_code(1);
        assert!(
            out.stderr.contains("already holds a pointsdesk home")
                || out.stderr.contains("已经是一个 pointsdesk 数据目录"),
            "{}",
            out.stderr
        );
    }
    let after = snapshot(&desk.home);
    assert_eq!(
        before.iter().map(|f| &f.0).collect::<Vec<_>>(),
        after.iter().map(|f| &f.0).collect::<Vec<_>>(),
        "no file was added or removed"
    );
    for (old, new) in before.iter().zip(&after) {
        assert!(old.1 == new.1, "{} changed", old.0.display());
        assert_eq!(old.2, new.2, "{} was touched", old.0.display());
    }
}

#[test]
fn a_command_without_an_operator_is_a_usage_error() {
    let desk = Desk::init();
    let mut command = desk.command(&["resident", "add", "--name", "张三明"]);
    command.env_remove("POINTSDESK_OPERATOR");
    let out = desk.run_command(command);
    out.expect_code(2);
    assert!(out.stderr.contains("--operator"), "{}", out.stderr);
    assert_eq!(desk.verify(), 2, "nothing was written");
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let desk = Desk::init();
    desk.run(&["balance", "--no-such-flag"]).expect_code(2);
    desk.run(&["no-such-command"]).expect_code(2);
}

#[test]
fn a_wrong_pin_is_refused_in_english_or_by_default_in_chinese() {
    let mut desk = Desk::init();
    desk.pin = "9999".into();

    let en = desk.run(&["--lang", "en", "resident", "add", "--name", "张三明"]);
    en.expect_code(1);
    assert!(
        en.stderr.contains("Wrong operator number or PIN"),
        "{}",
        en.stderr
    );
    assert!(!en.stderr.contains("密码"), "{}", en.stderr);

    let zh = desk.run(&["resident", "add", "--name", "张三明"]);
    zh.expect_code(1);
    assert!(zh.stderr.contains("工号或密码错误"), "{}", zh.stderr);

    let json = desk.run(&["--json", "resident", "add", "--name", "张三明"]);
    json.expect_code(1);
    let value = json.json();
    assert_eq!(value["ok"], false);
    assert_eq!(value["error"], "refused");

    desk.pin = support::ADMIN_PIN.into();
    assert!(
        desk.json(&["resident", "list"])
            .as_array()
            .unwrap()
            .is_empty(),
        "no resident was registered with a wrong PIN"
    );
}

// ----- the counter flows -----

#[test]
fn a_full_tour_issue_earn_redeem_reverse_verify_adds_up() {
    let (desk, scan) = Desk::seeded();
    assert_eq!(desk.balance(&scan), 0);

    let earned = desk.json(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "3",
    ]);
    assert_eq!(earned["kind"], "earn");
    assert_eq!(earned["points"], 30);
    assert_eq!(earned["balance_after"], 30);
    assert_eq!(earned["passbook"], "SQ-A000001");
    assert_eq!(earned["resident_name"], "张*明");

    let txn = Uuid::now_v7().to_string();
    let redeemed = desk.json(&[
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "G001:2",
        "--item",
        "S001",
        "--txn",
        &txn,
    ]);
    assert_eq!(redeemed["txn"], txn.as_str());
    assert_eq!(redeemed["kind"], "redeem");
    assert_eq!(redeemed["points"], -20);
    assert_eq!(redeemed["balance_before"], 30);
    assert_eq!(redeemed["balance_after"], 10);
    assert_eq!(redeemed["replayed"], false);
    assert_eq!(redeemed["lines"].as_array().unwrap().len(), 2);
    assert_eq!(desk.balance(&scan), 10);
    let stock = |desk: &Desk| {
        desk.json(&["catalog", "list"])
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["item"] == "G001")
            .unwrap()["stock"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(stock(&desk), 8);

    let reversed = desk.json(&["reverse", &txn, "--reason", "退货"]);
    assert_eq!(reversed["kind"], "reversal");
    assert_eq!(reversed["of_txn"], txn.as_str());
    assert_eq!(reversed["points"], 20);
    assert_eq!(reversed["balance_after"], 30);
    assert_eq!(desk.balance(&scan), 30);
    assert_eq!(stock(&desk), 10, "the goods went back on the shelf");

    let again = desk.run(&["--lang", "en", "reverse", &txn, "--reason", "退货"]);
    again.expect_code(1);
    assert!(
        again.stderr.contains("already reversed"),
        "{}",
        again.stderr
    );

    let history = desk.json(&["history", "--passbook", &scan]);
    let kinds: Vec<&str> = history["last"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reversed", "points_redeemed", "points_earned"]);

    let text = desk.ok(&["history", "--passbook", &scan]).stdout;
    assert!(text.contains("冲正") && text.contains("兑换"), "{text}");

    desk.verify();
    desk.ok(&["ledger", "verify"]);
}

#[test]
fn a_redemption_beyond_the_balance_is_refused_and_books_nothing() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "1",
    ]);
    let entries = desk.verify();
    let out = desk.run(&[
        "--lang",
        "en",
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "S001",
        "--item",
        "G001",
    ]);
    out.expect_code(1);
    assert!(out.stderr.contains("Not enough points"), "{}", out.stderr);
    assert_eq!(desk.balance(&scan), 10);
    assert_eq!(desk.verify(), entries);
}

#[test]
fn passbook_issue_writes_a_png_and_an_svg_qr_code() {
    let (desk, _) = Desk::seeded();
    desk.add_resident("李四", "13900000001");
    let png = desk.path("qr.png");
    let svg = desk.path("qr.svg");
    let issued = desk.json(&[
        "passbook",
        "issue",
        "SQ-RA00002",
        "--png",
        png.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let scan = issued["scan"].as_str().unwrap();
    assert_eq!(scan.len(), 30);
    assert!(scan.starts_with("PD1"));
    assert_eq!(issued["passbook"], "SQ-A000002");

    let png_bytes = std::fs::read(&png).expect("PNG written");
    assert!(
        png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "PNG magic bytes"
    );
    assert!(png_bytes.len() > 100);
    let svg_text = std::fs::read_to_string(&svg).expect("SVG written");
    assert!(svg_text.contains("<svg"), "{svg_text}");
    assert!(svg_text.trim_end().ends_with("</svg>"));

    // Without --json the payload and a terminal QR are shown once.
    desk.add_resident("王五", "13900000002");
    let text = desk.ok(&["passbook", "issue", "SQ-RA00003"]).stdout;
    assert!(
        text.contains("SQ-A000003") && text.contains("PD1"),
        "{text}"
    );
    assert!(text.contains('█') || text.contains('▀') || text.contains('▄'));
}

#[test]
fn only_a_digest_of_the_passbook_token_is_stored() {
    let (desk, scan) = Desk::seeded();
    let bytes = std::fs::read(desk.db_path()).unwrap();
    let needle = scan.as_bytes();
    assert!(
        !bytes.windows(needle.len()).any(|w| w == needle),
        "the scan payload is not in ledger.db"
    );
}

#[test]
fn a_reissued_passbook_revokes_the_old_token_and_keeps_the_balance() {
    let (desk, old) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &old,
        "--activity",
        "A01",
        "--hours",
        "2",
    ]);
    let reissued = desk.json(&["passbook", "reissue", "SQ-A000001", "--reason", "遗失"]);
    assert_eq!(reissued["passbook"], "SQ-A000001");
    let new = reissued["scan"].as_str().unwrap().to_string();
    assert_ne!(new, old);

    let entries = desk.verify();
    let en = desk.run(&[
        "--lang",
        "en",
        "redeem",
        "--passbook",
        &old,
        "--item",
        "S001",
    ]);
    en.expect_code(1);
    assert!(en.stderr.contains("revoked"), "{}", en.stderr);
    let zh = desk.run(&["balance", "--passbook", &old]);
    zh.expect_code(1);
    assert!(zh.stderr.contains("作废"), "{}", zh.stderr);
    assert_eq!(desk.verify(), entries, "the old token debited nothing");

    assert_eq!(
        desk.balance(&new),
        20,
        "the balance stays on the passbook number"
    );
    let receipt = desk.json(&["redeem", "--passbook", &new, "--item", "S001"]);
    assert_eq!(receipt["balance_after"], 10);
    desk.verify();
}

#[test]
fn scans_in_lower_case_with_line_endings_or_full_width_characters_are_accepted() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "2",
    ]);

    let caps_lock = format!("{}\r\n", scan.to_lowercase());
    assert_eq!(desk.balance(&caps_lock), 20);

    let ime = full_width(&scan);
    assert_ne!(ime, scan);
    assert!(!ime.is_ascii());
    assert_eq!(desk.balance(&ime), 20);
    let padded = format!("  {}\r\n", full_width(&scan.to_lowercase()));
    let receipt = desk.json(&["redeem", "--passbook", &padded, "--item", "690123"]);
    assert_eq!(receipt["balance_after"], 15, "barcode 690123 is G001");
    assert_eq!(receipt["passbook"], "SQ-A000001");
    desk.verify();
}

#[test]
fn a_scan_missing_its_last_character_is_incomplete_and_debits_nothing() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "2",
    ]);
    let entries = desk.verify();
    let cut = &scan[..scan.len() - 1];

    let en = desk.run(&[
        "--lang",
        "en",
        "redeem",
        "--passbook",
        cut,
        "--item",
        "S001",
    ]);
    en.expect_code(1);
    assert!(
        en.stderr.to_lowercase().contains("incomplete"),
        "{}",
        en.stderr
    );

    let zh = desk.run(&["redeem", "--passbook", cut, "--item", "S001"]);
    zh.expect_code(1);
    assert!(zh.stderr.contains("不完整"), "{}", zh.stderr);

    // A misread character fails the check character the same way.
    let mut misread = scan.clone().into_bytes();
    misread[10] = if misread[10] == b'A' { b'B' } else { b'A' };
    let misread = String::from_utf8(misread).unwrap();
    desk.run(&["--lang", "en", "balance", "--passbook", &misread])
        .expect_code(1);

    assert_eq!(desk.balance(&scan), 20);
    assert_eq!(desk.verify(), entries);
}

#[test]
fn a_retried_txn_with_the_same_content_replays_and_other_content_is_refused() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "5",
    ]);
    let txn = Uuid::now_v7().to_string();
    let request = [
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "G001:2",
        "--item",
        "S001",
        "--txn",
        &txn,
    ];
    let first = desk.json(&request);
    assert_eq!(first["replayed"], false);
    let entries = desk.verify();

    for _ in 0..2 {
        let retry = desk.json(&request);
        assert_eq!(retry["replayed"], true);
        assert_eq!(retry["txn"], first["txn"]);
        assert_eq!(retry["balance_after"], first["balance_after"]);
        assert_eq!(retry["seq"], first["seq"]);
        assert_eq!(desk.verify(), entries, "a replay books nothing");
    }
    // The same lines in another order, or by barcode, are the same request.
    let by_barcode = desk.json(&[
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "690123:2",
        "--item",
        "S001",
        "--txn",
        &txn,
    ]);
    assert_eq!(by_barcode["replayed"], true);

    let other = desk.run(&[
        "--lang",
        "en",
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "G001:1",
        "--txn",
        &txn,
    ]);
    other.expect_code(1);
    assert!(other.stderr.contains(&txn), "{}", other.stderr);
    assert!(
        other.stderr.contains("different request"),
        "{}",
        other.stderr
    );
    let zh = desk.run(&[
        "redeem",
        "--passbook",
        &scan,
        "--item",
        "S001",
        "--txn",
        &txn,
    ]);
    zh.expect_code(1);
    assert!(zh.stderr.contains("已用于另一笔"), "{}", zh.stderr);

    assert_eq!(desk.verify(), entries);
    assert_eq!(desk.entries_with_txn(&txn), 1);
    assert_eq!(desk.balance(&scan), 30);
}

// ----- residents -----

#[test]
fn a_csv_with_a_byte_order_mark_and_chinese_headers_imports_every_row() {
    let desk = Desk::init();
    let csv = desk.path("residents.csv");
    std::fs::write(
        &csv,
        "\u{feff}姓名,电话,地址\r\n李四,13900000001,幸福里1号\r\n王五,13900000002,\"幸福里2号, 302\"\r\n\
         欧阳娜娜,,和平苑3栋\r\n赵六,13900000004,\r\n",
    )
    .unwrap();
    let imported = desk.json(&["resident", "import", csv.to_str().unwrap()]);
    assert_eq!(imported["imported"], 4);
    let list = desk.json(&["resident", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["李*", "王*", "欧*娜", "赵*"]);
    let full = desk.json(&["resident", "show", "SQ-RA00002", "--full"]);
    assert_eq!(full["name"], "王五");
    assert_eq!(full["address"], "幸福里2号, 302");
    desk.verify();
}

#[test]
fn a_csv_with_an_escape_character_in_row_4_imports_nothing_and_names_the_row() {
    let desk = Desk::init();
    desk.add_resident("张三明", "13812345678");
    let entries = desk.verify();
    let csv = desk.path("bad.csv");
    std::fs::write(
        &csv,
        "\u{feff}姓名,电话,地址\n李四,13900000001,幸福里1号\n王五,13900000002,幸福里2号\n\
         赵\u{1b}[31m六,13900000003,幸福里3号\n钱七,13900000005,幸福里5号\n",
    )
    .unwrap();

    let zh = desk.run(&["resident", "import", csv.to_str().unwrap()]);
    zh.expect_code(1);
    assert!(zh.stderr.contains("第 4 行"), "{}", zh.stderr);
    let en = desk.run(&["--lang", "en", "resident", "import", csv.to_str().unwrap()]);
    en.expect_code(1);
    assert!(en.stderr.contains("Row 4"), "{}", en.stderr);
    assert!(en.stderr.contains("Nothing of the file was imported"));

    assert_eq!(
        desk.json(&["resident", "list"]).as_array().unwrap().len(),
        1
    );
    assert_eq!(desk.verify(), entries, "no resident was added");
}

#[test]
fn an_import_refusal_is_worded_entirely_in_the_operators_language() {
    let desk = Desk::init();
    let csv = desk.path("bad.csv");
    std::fs::write(&csv, "姓名,电话\n李四,139\n赵\u{1b}六,138\n").unwrap();
    let en = desk.run(&["--lang", "en", "resident", "import", csv.to_str().unwrap()]);
    en.expect_code(1);
    assert!(
        !en.stderr
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "an English message: {}",
        en.stderr
    );
    let zh = desk.run(&["resident", "import", csv.to_str().unwrap()]);
    zh.expect_code(1);
    assert!(!zh.stderr.contains("。。"), "{}", zh.stderr);
}

fn write_xlsx(path: &std::path::Path, rows: &[[&str; 3]]) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet
                    .write_string(r as u32, c as u16, *cell)
                    .expect("write cell");
            }
        }
    }
    workbook.save(path).expect("save xlsx");
}

#[test]
fn an_xlsx_list_imports_every_row() {
    let desk = Desk::init();
    let xlsx = desk.path("residents.xlsx");
    write_xlsx(
        &xlsx,
        &[
            ["姓名", "电话", "地址"],
            ["李四", "13900000001", "幸福里1号"],
            ["王五", "13900000002", ""],
            ["欧阳娜娜", "", "和平苑3栋"],
        ],
    );
    let imported = desk.json(&["resident", "import", xlsx.to_str().unwrap()]);
    assert_eq!(imported["imported"], 3);
    assert_eq!(
        desk.json(&["resident", "show", "SQ-RA00003", "--full"])["name"],
        "欧阳娜娜"
    );
    desk.verify();
}

#[test]
fn an_xlsx_with_an_escape_character_in_row_3_imports_nothing_and_names_the_row() {
    let desk = Desk::init();
    let entries = desk.verify();
    let xlsx = desk.path("bad.xlsx");
    write_xlsx(
        &xlsx,
        &[
            ["姓名", "电话", "地址"],
            ["李四", "13900000001", "幸福里1号"],
            ["王\u{1b}]0;pwned\u{7}五", "13900000002", "幸福里2号"],
            ["赵六", "13900000003", "幸福里3号"],
        ],
    );
    let zh = desk.run(&["resident", "import", xlsx.to_str().unwrap()]);
    zh.expect_code(1);
    assert!(zh.stderr.contains("第 3 行"), "{}", zh.stderr);
    let en = desk.run(&["--lang", "en", "resident", "import", xlsx.to_str().unwrap()]);
    en.expect_code(1);
    assert!(en.stderr.contains("Row 3"), "{}", en.stderr);

    assert!(
        desk.json(&["resident", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(desk.verify(), entries, "no resident was added");
}

#[test]
fn resident_list_masks_names_and_show_full_is_for_administrators() {
    let (desk, _) = Desk::seeded();
    let list = desk.ok(&["resident", "list"]).stdout;
    assert!(list.contains("张*明"), "{list}");
    assert!(!list.contains("张三明"), "{list}");
    assert!(list.contains("138****5678") && !list.contains("13812345678"));

    let shown = desk.ok(&["resident", "show", "SQ-RA00001"]).stdout;
    assert!(
        shown.contains("张*明") && !shown.contains("张三明"),
        "{shown}"
    );

    let full = desk
        .ok(&["resident", "show", "SQ-RA00001", "--full"])
        .stdout;
    assert!(full.contains("张三明"), "{full}");
    assert!(full.contains("13812345678"), "{full}");

    let mut add = desk.command(&["--json", "operator", "add", "--name", "志愿者小李"]);
    add.env("POINTSDESK_NEW_PIN", "2468");
    let volunteer = desk.run_command(add);
    volunteer.expect_code(0);
    assert_eq!(volunteer.json()["operator"], "002");
    let refused = desk.as_operator("002", "2468").run(&[
        "--lang",
        "en",
        "resident",
        "show",
        "SQ-RA00001",
        "--full",
    ]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("not an administrator"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stdout.contains("张三明"));
}

#[test]
fn an_erased_resident_shows_as_erased_leaves_no_trace_and_the_ledger_still_verifies() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "1",
    ]);
    desk.ok(&["resident", "erase", "SQ-RA00001"]);

    let shown = desk.json(&["resident", "show", "SQ-RA00001", "--full"]);
    assert_eq!(shown["erased"], true);
    assert_eq!(shown["name"], "", "no name is left to show");
    assert_eq!(shown["phone"], serde_json::Value::Null);
    let text = desk.ok(&["resident", "show", "SQ-RA00001"]).stdout;
    assert!(text.contains("已删除") || text.contains("erased"), "{text}");
    assert!(!text.contains("张三明"));

    desk.verify();
    desk.ok(&["ledger", "verify"]);

    for file in ["ledger.db", "ledger.db-wal"] {
        let Ok(bytes) = std::fs::read(desk.home.join(file)) else {
            continue;
        };
        for secret in ["张三明", "13812345678"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} is still readable in {file}"
            );
        }
    }
    let again = desk.run(&["--lang", "en", "resident", "erase", "SQ-RA00001"]);
    again.expect_code(1);
    assert!(again.stderr.contains("erased"));
    desk.run(&["passbook", "issue", "SQ-RA00001"])
        .expect_code(1);
    assert_eq!(desk.balance(&scan), 10, "the points stay");
}

// ----- maintenance -----

#[test]
fn restoring_a_backup_brings_the_old_balance_back_and_verifies() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "5",
    ]);
    let backup = desk.path("backup.db");
    desk.ok(&["backup", "--out", backup.to_str().unwrap()]);
    let entries_at_backup = desk.verify();

    desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    desk.ok(&["redeem", "--passbook", &scan, "--item", "G001:2"]);
    assert_eq!(desk.balance(&scan), 30);

    // An existing file is never overwritten by a backup.
    let kept = std::fs::read(&backup).unwrap();
    let over = desk.run(&["backup", "--out", backup.to_str().unwrap()]);
    over.expect_code(1);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&backup).unwrap().permissions());
    assert_eq!(
        mode & 0o777,
        0o600,
        "a backup holds resident keys: owner only"
    );
    assert!(
        std::fs::read(&backup).unwrap() == kept,
        "the backup was not overwritten"
    );

    let restored = desk.json(&["restore", "--yes", backup.to_str().unwrap()])["restore"].clone();
    // The backup is read, never written: nothing is left beside it.
    for side in ["-wal", "-shm", "-journal"] {
        let beside = format!("{}{side}", backup.display());
        assert!(!std::path::Path::new(&beside).exists(), "{beside} was left");
    }
    assert!(
        std::fs::read(&backup).unwrap() == kept,
        "the backup changed"
    );
    // The backup lacks two signed entries: the counter goes on in a new series, whose first
    // entry is the one more.
    assert_eq!(restored["entries"].as_u64(), Some(entries_at_backup + 1));
    assert!(restored["new_series"].is_string(), "{restored}");
    let previous = restored["previous"].as_str().unwrap();
    assert!(
        std::path::Path::new(previous).is_file(),
        "the old database is kept"
    );
    assert_eq!(desk.balance(&scan), 50);
    assert_eq!(desk.verify(), entries_at_backup + 1);

    let receipt = desk.json(&["redeem", "--passbook", &scan, "--item", "S001"]);
    assert_eq!(receipt["balance_after"], 40);
    assert_eq!(desk.verify(), entries_at_backup + 2);
}

#[test]
fn a_backup_of_another_counter_is_not_restored() {
    let (desk, scan) = Desk::seeded();
    let other = Desk::init();
    let foreign = other.path("other.db");
    other.ok(&["backup", "--out", foreign.to_str().unwrap()]);
    let entries = desk.verify();
    let out = desk.run(&["--lang", "en", "restore", foreign.to_str().unwrap()]);
    out.expect_code(1);
    assert!(out.stderr.contains("another counter"), "{}", out.stderr);
    assert_eq!(desk.verify(), entries);
    assert_eq!(desk.balance(&scan), 0);
}

#[test]
fn ledger_rebuild_recreates_the_projections_and_verify_still_passes() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "4",
    ]);
    desk.ok(&["redeem", "--passbook", &scan, "--item", "G001:3"]);
    let entries = desk.verify();
    let rebuilt = desk.json(&["ledger", "rebuild"]);
    assert_eq!(rebuilt["entries"].as_u64(), Some(entries));
    assert_eq!(desk.verify(), entries);
    assert_eq!(desk.balance(&scan), 25);
    desk.ok(&["ledger", "rebuild"]);
}

#[test]
fn a_hand_edited_balance_fails_verify_with_exit_code_3_and_rebuild_repairs_it() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "1",
    ]);
    desk.db()
        .execute(
            "UPDATE balances SET points = points + 1000 WHERE account LIKE 'passbook:%'",
            [],
        )
        .unwrap();
    let out = desk.run(&["--lang", "en", "ledger", "verify"]);
    out.expect_code(3);
    assert!(out.stderr.contains("FAILED"), "{}", out.stderr);
    desk.ok(&["ledger", "rebuild"]);
    desk.verify();
    assert_eq!(desk.balance(&scan), 10);
}

#[test]
fn a_hand_edited_entry_fails_verify_and_rebuild_refuses_to_hide_it() {
    let (desk, scan) = Desk::seeded();
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "1",
    ]);
    desk.db()
        .execute(
            "UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), '\"minutes\":60', \
             '\"minutes\":600') AS BLOB) WHERE kind = 'points_earned'",
            [],
        )
        .unwrap();
    desk.run(&["ledger", "verify"]).expect_code(3);
    desk.run(&["ledger", "rebuild"]).expect_code(3);
    desk.run(&["ledger", "verify"]).expect_code(3);
}

#[test]
fn the_demo_runs_through_and_reports_the_ledger_verified() {
    let desk = Desk::new();
    let zh = desk.ok(&["demo"]);
    assert!(zh.stdout.contains("通过"), "{}", zh.stdout);
    let en = desk.ok(&["--lang", "en", "demo"]);
    assert!(
        en.stdout.lines().any(|l| l.trim_start().starts_with("OK")),
        "{}",
        en.stdout
    );
    assert!(!en.stdout.contains("FAILED"));
}

#[test]
fn the_walkthroughs_follow_up_commands_run_as_printed_from_any_folder() {
    let desk = Desk::new();
    let out = desk.ok(&["demo", "--walkthrough"]);
    let commands: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.contains("继续体验"))
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(commands.len(), 3, "{}", out.stdout);
    let ran: Vec<String> = commands[..2]
        .iter()
        .map(|command| {
            // Only what the line says: no home, operator or PIN from this test's environment.
            let run = std::process::Command::new("sh")
                .args(["-c", command])
                .env_remove("POINTSDESK_HOME")
                .env_remove("POINTSDESK_OPERATOR")
                .env_remove("POINTSDESK_PIN")
                .current_dir(desk.dir.path())
                .output()
                .expect("sh runs");
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert!(run.status.success(), "{command}\n{stderr}");
            String::from_utf8_lossy(&run.stdout).into_owned()
        })
        .collect();
    assert!(
        ran[0].contains("SQ-") && ran[0].contains("兑换"),
        "{}",
        ran[0]
    );
    assert!(ran[1].contains("张三明"), "the full record: {}", ran[1]);
    assert!(commands[2].ends_with(" counter") && commands[2].contains("--home"));
}

#[test]
fn json_piped_into_a_reader_that_stops_ends_quietly() {
    let desk = Desk::init();
    let mut command = desk.command(&["--json", "catalog", "list"]);
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    // The reader goes away before the first line is written (`| head -0`).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn resident_conflicts_says_when_there_are_none_and_resolve_refuses_a_number_not_registered_twice() {
    let (desk, _) = Desk::seeded();
    let none = desk.ok(&["resident", "conflicts"]).stdout;
    assert!(none.contains("没有重复登记的居民号"), "{none}");
    assert_eq!(desk.json(&["resident", "conflicts"]), serde_json::json!([]));
    let none = desk.ok(&["passbook", "conflicts"]).stdout;
    assert!(none.contains("没有发给两个人的存折号"), "{none}");
    assert_eq!(desk.json(&["passbook", "conflicts"]), serde_json::json!([]));
    let refused = desk.run(&["resident", "resolve", "SQ-RA00001"]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("没有重复登记") && refused.stderr.contains("resident conflicts"),
        "{}",
        refused.stderr
    );
    // Points to move need the passbook they go to, and the other way round.
    desk.run(&["resident", "resolve", "SQ-RA00001", "--to", "SQ-A000002"])
        .expect_code(2);
}
