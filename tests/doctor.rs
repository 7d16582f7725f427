//! `pointsdesk doctor` on real homes, as a community worker runs it: a healthy counter enrolled
//! with a hub on a loopback port, synced, its printer the pty simulator, exits 0; a clock years
//! off (against the ledger and against the hub), a tampered database, the printer out of
//! paper and a missing scanner device each turn their line red and exit 3, in words.

mod hub;
mod support;

use hub::{StoreKind, TestHub};
use pointsdesk::printer::sim::{SimConfig, SimState, Simulator};
use serde_json::Value;
use std::io::{BufRead, Write};
use support::Desk;

/// A folder holding a stand-in `fc-list` that lists one Chinese font, made once.
#[cfg(not(feature = "system-tests"))]
fn fc_list_stand_in() -> &'static std::path::Path {
    use std::os::unix::fs::PermissionsExt;
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("fc-list");
        std::fs::write(
            &script,
            "#!/bin/sh\necho 'WenQuanYi Micro Hei,文泉驿微米黑'\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    })
    .path()
}

/// `desk`'s command line. Doctor asks `fc-list` for a Chinese font: in the system tier the
/// machine's own answers (`tests/run-all` installs fontconfig and a font); in the hermetic
/// tier a stand-in listing one comes first on PATH, so the fonts a machine happens to have
/// decide no test here.
fn command(desk: &Desk, args: &[&str]) -> std::process::Command {
    #[allow(unused_mut)]
    let mut command = desk.command(args);
    #[cfg(not(feature = "system-tests"))]
    command.env(
        "PATH",
        format!(
            "{}:{}",
            fc_list_stand_in().display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    command
}

fn run(desk: &Desk, args: &[&str]) -> support::Out {
    desk.run_command(command(desk, args))
}

fn printer(state: SimState, dir: &std::path::Path) -> Simulator {
    Simulator::start(SimConfig {
        out_dir: dir.join("paper"),
        state,
        paper_columns: 48,
    })
    .unwrap()
}

/// Replaces a line of the home's config.toml (a commented setting of the template, say).
#[track_caller]
fn configure(desk: &Desk, line: &str, with: &str) {
    let path = desk.home.join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    assert!(config.contains(line), "config.toml has no {line:?}");
    std::fs::write(&path, config.replacen(line, with, 1)).unwrap();
}

fn use_printer(desk: &Desk, sim: &Simulator) {
    let config = std::fs::read_to_string(desk.home.join("config.toml")).unwrap();
    let config = config.replace(
        "[printer]\n",
        &format!(
            "[printer]\ntransport = \"serial:{}?baud=115200\"\n",
            sim.path()
        ),
    );
    std::fs::write(desk.home.join("config.toml"), config).unwrap();
}

/// A counter enrolled with `hub`, synced once (which makes a backup), printing on `sim`.
fn healthy_counter(hub: &TestHub, sim: &Simulator) -> Desk {
    let desk = Desk::init();
    desk.ok(&[
        "sync",
        "enroll",
        "--hub",
        &hub.url,
        "--code",
        &hub.code(support::COUNTER),
    ]);
    desk.ok(&["sync"]);
    use_printer(&desk, sim);
    desk
}

fn doctor(desk: &Desk, lang: &str) -> (i32, Value) {
    let out = run(desk, &["--json", "--lang", lang, "doctor"]);
    (out.code().unwrap(), out.json())
}

fn finding<'a>(report: &'a Value, check: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} in {report}"))
}

#[test]
fn a_healthy_counter_is_all_green_and_exits_zero() {
    let hub = TestHub::start(StoreKind::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let sim = printer(SimState::Ready, dir.path());
    let desk = healthy_counter(&hub, &sim);
    let (code, report) = doctor(&desk, "en");
    assert_eq!(code, 0, "{report:#}");
    for f in report["findings"].as_array().unwrap() {
        assert!(
            f["status"] == "ok" || f["status"] == "skipped",
            "{f} in {report:#}"
        );
    }
    assert!(
        finding(&report, "hub_clock")["message"]
            .as_str()
            .unwrap()
            .contains(&hub.url),
        "{report:#}"
    );
    assert_eq!(finding(&report, "printer")["status"], "ok");
    assert_eq!(finding(&report, "sync")["status"], "ok");
    assert_eq!(finding(&report, "backup")["status"], "ok");

    // The same in words, for a person, in Chinese.
    let out = run(&desk, &["doctor"]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("[正常  ] 打印机      打印机正常。"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("一切正常。"), "{}", out.stdout);
    // What doctor found is in the home's log file, not only on the screen.
    let log = std::fs::read_to_string(desk.home.join("logs/pointsdesk.log")).unwrap();
    assert!(log.contains("doctor done exit_code=0"), "{log}");
}

/// A stand-in hub that answers every request with a Date header `years` years off.
fn hub_with_clock_off(years: i64) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let date = (chrono::Utc::now() + chrono::Duration::days(365 * years))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let thread = std::thread::spawn(move || {
        // Bounded: doctor asks once per run, and the test runs it twice.
        for _ in 0..2 {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = std::io::BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    (url, thread)
}

#[test]
fn a_clock_years_off_the_ledger_and_the_hub_is_a_fault_said_in_years() {
    // The PC's clock was set back three years: this counter's newest entry is in its future.
    let desk = Desk::init();
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
            chrono::Utc::now() + chrono::Duration::days(3 * 365),
            Some("001"),
            None,
            pointsdesk::domain::Body::StockReceived {
                item: "G001".into(),
                qty: 1,
                donor: None,
            },
            &log::SqlKeys(&tx),
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let (code, report) = doctor(&desk, "zh-CN");
    assert_eq!(code, 3, "{report:#}");
    let clock = finding(&report, "clock");
    assert_eq!(clock["status"], "fault", "{report:#}");
    assert!(
        clock["message"]
            .as_str()
            .unwrap()
            .contains("时钟被调回去了"),
        "{clock}"
    );

    // A counter whose hub's clock is three years ahead: its signed requests would be refused.
    let (url, server) = hub_with_clock_off(3);
    let hub = TestHub::start(StoreKind::Sqlite);
    let other = Desk::init();
    other.ok(&[
        "sync",
        "enroll",
        "--hub",
        &hub.url,
        "--code",
        &hub.code(support::COUNTER),
    ]);
    {
        let home = pointsdesk::home::Home {
            dir: other.home.clone(),
        };
        home.open().unwrap().set_hub(&url, None).unwrap();
    }
    let (code, report) = doctor(&other, "zh-CN");
    assert_eq!(code, 3, "{report:#}");
    let hub_clock = finding(&report, "hub_clock");
    assert_eq!(hub_clock["status"], "fault", "{report:#}");
    let message = hub_clock["message"].as_str().unwrap();
    assert!(
        message.contains("慢 3 年") || message.contains("慢 2 年"),
        "{message}"
    );
    assert!(message.contains("拒绝同步"), "{message}");
    let out = run(&other, &["--lang", "en", "doctor"]);
    out.expect_code(3);
    assert!(out.stdout.contains("FAULT"), "{}", out.stdout);
    assert!(
        out.stdout.contains("The hub refuses the sync"),
        "{}",
        out.stdout
    );
    server.join().unwrap();
}

#[test]
fn a_tampered_database_is_a_fault_found_by_the_head_anchor_and_by_quick_check() {
    // Someone with the sqlite3 shell deletes the last entry (the triggers that forbid it first).
    let desk = Desk::init();
    desk.ok(&[
        "catalog", "add", "G001", "--name", "香皂", "--kind", "goods", "--points", "5",
    ]);
    {
        let conn = rusqlite::Connection::open(desk.db_path()).unwrap();
        let triggers: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'entries'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for trigger in triggers {
            conn.execute_batch(&format!("DROP TRIGGER \"{trigger}\""))
                .unwrap();
        }
        conn.execute(
            "DELETE FROM entries WHERE position = (SELECT MAX(position) FROM entries)",
            [],
        )
        .unwrap();
    }
    let (code, report) = doctor(&desk, "zh-CN");
    assert_eq!(code, 3, "{report:#}");
    let database = finding(&report, "database");
    assert_eq!(database["status"], "fault", "{report:#}");
    let message = database["message"].as_str().unwrap();
    assert!(message.contains("账本受损或被改动"), "{message}");
    assert!(message.contains("被删除"), "{message}");

    // Bytes overwritten in the middle of the file: SQLite's own check finds it.
    let broken = Desk::init();
    for n in 0..200 {
        broken.ok(&["resident", "add", "--name", &format!("居民{n}")]);
    }
    {
        // Fold the WAL into the file first, so the damage is in pages SQLite reads.
        let conn = rusqlite::Connection::open(broken.db_path()).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    }
    let mut bytes = std::fs::read(broken.db_path()).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 4096] {
        *b = 0x5a;
    }
    std::fs::write(broken.db_path(), bytes).unwrap();
    let (code, report) = doctor(&broken, "en");
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(
        finding(&report, "database")["status"],
        "fault",
        "{report:#}"
    );
}

#[test]
fn the_printer_out_of_paper_is_a_fault_in_the_printers_own_words() {
    let dir = tempfile::tempdir().unwrap();
    let sim = printer(SimState::PaperOut, dir.path());
    let desk = Desk::init();
    use_printer(&desk, &sim);
    let (code, report) = doctor(&desk, "zh-CN");
    assert_eq!(code, 3, "{report:#}");
    let printer = finding(&report, "printer");
    assert_eq!(printer["status"], "fault", "{report:#}");
    assert!(
        printer["message"].as_str().unwrap().contains("缺纸"),
        "{printer}"
    );
    // Paper back in: the printer line turns green again.
    sim.set_state(SimState::Ready);
    let (_, report) = doctor(&desk, "zh-CN");
    assert_eq!(finding(&report, "printer")["status"], "ok", "{report:#}");
}

#[test]
fn a_scanner_device_that_is_not_there_is_a_fault_that_names_the_setting() {
    let desk = Desk::init();
    configure(
        &desk,
        "# grab = \"/dev/input/by-id/usb-Scanner-event-kbd\"",
        "grab = \"/dev/input/by-id/usb-Newland_scanner-event-kbd\"",
    );
    let (code, report) = doctor(&desk, "zh-CN");
    assert_eq!(code, 3, "{report:#}");
    let scanner = finding(&report, "scanner");
    assert_eq!(scanner["status"], "fault", "{report:#}");
    let message = scanner["message"].as_str().unwrap();
    assert!(message.contains("scanner.grab"), "{message}");
    assert!(message.contains("没有这个设备"), "{message}");
    assert!(
        message.contains("/dev/input/by-id/usb-Newland_scanner-event-kbd"),
        "{message}"
    );
}

#[test]
fn log_lines_go_to_a_file_in_the_home_that_rotates_at_the_configured_size() {
    let desk = Desk::init();
    configure(&desk, "# file_size_max_kib = 1024", "file_size_max_kib = 1");
    configure(&desk, "# files_keep = 5", "files_keep = 3");
    for _ in 0..12 {
        // Each run logs a few warnings (no printer, no backup): a few hundred bytes.
        run(&desk, &["doctor"]).expect_code(1);
    }
    let mut files: Vec<String> = std::fs::read_dir(desk.home.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("pointsdesk.log"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["pointsdesk.log", "pointsdesk.log.1", "pointsdesk.log.2"]
    );
    for name in &files {
        let path = desk.home.join("logs").join(name);
        assert!(std::fs::metadata(&path).unwrap().len() <= 1024, "{name}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("doctor"), "{name}: {text}");
    }
    // A mistake in the setting stops a command with a message naming it, and doctor says it
    // on a line of its own while still checking the rest.
    configure(&desk, "files_keep = 3", "files_keep = 0");
    let out = desk.run(&["--lang", "en", "balance", "--passbook", "x"]);
    out.expect_code(2);
    assert!(out.stderr.contains("log.files_keep"), "{}", out.stderr);
    let (code, report) = doctor(&desk, "en");
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(finding(&report, "config")["status"], "fault", "{report:#}");
    assert!(
        finding(&report, "config")["message"]
            .as_str()
            .unwrap()
            .contains("log.files_keep"),
        "{report:#}"
    );
    assert_eq!(finding(&report, "database")["status"], "ok", "{report:#}");
}

/// The system tier: it stands in for journald at the socket every program logs to, which only
/// root may make, on a machine where no journald runs (a CI machine or container).
#[cfg(feature = "system-tests")]
#[test]
fn under_systemd_the_log_lines_also_reach_the_journal() {
    use std::os::unix::net::UnixDatagram;
    let socket = std::path::Path::new("/run/systemd/journal/socket");
    assert!(
        !socket.exists(),
        "a journald runs here: this test stands in for it, on a machine without one"
    );
    std::fs::create_dir_all(socket.parent().unwrap())
        .expect("/run/systemd/journal is made as root (tests/run-all)");
    let journal = UnixDatagram::bind(socket).unwrap();
    journal
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let desk = Desk::init();
    let out = desk.run_command({
        let mut command = command(&desk, &["--lang", "en", "doctor"]);
        command.env("INVOCATION_ID", "0123456789abcdef0123456789abcdef");
        command
    });
    let mut entries: Vec<Vec<(String, String)>> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = journal.recv(&mut buf) {
        // tracing-journald sends an empty datagram when it connects.
        let entry = journal_fields(&buf[..n]);
        if entry.is_empty() {
            continue;
        }
        let done = entry
            .iter()
            .any(|(k, v)| k == "MESSAGE" && v.contains("doctor done"));
        entries.push(entry);
        if done {
            break;
        }
    }
    let _ = std::fs::remove_file(socket);
    // The folders made for the stand-in go too (only when empty: nothing else is touched).
    let _ = std::fs::remove_dir(socket.parent().unwrap());
    let _ = std::fs::remove_dir("/run/systemd");
    out.expect_code(1);
    let field = |entry: &[(String, String)], name: &str| {
        entry
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert!(
        entries
            .iter()
            .all(|e| field(e, "SYSLOG_IDENTIFIER") == "pointsdesk"),
        "{entries:?}"
    );
    let messages: Vec<String> = entries.iter().map(|e| field(e, "MESSAGE")).collect();
    assert!(
        messages.iter().any(|m| m.starts_with("doctor done")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("No backup yet")),
        "{messages:?}"
    );
    // A warning is priority 4 in the journal (shown yellow by journalctl).
    assert!(
        entries
            .iter()
            .any(|e| field(e, "PRIORITY") == "4" && field(e, "MESSAGE").contains("No backup yet")),
        "{entries:?}"
    );
    // And the screen (stdout, stderr) got the findings, not the log lines.
    assert!(!out.stdout.contains("doctor done") && !out.stderr.contains("doctor done"));
}

#[test]
fn a_device_key_others_can_read_is_a_fault_with_the_command_that_mends_it() {
    use std::os::unix::fs::PermissionsExt;
    let desk = Desk::init();
    let key = desk.home.join("keys/device.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, report) = doctor(&desk, "zh-CN");
    assert_eq!(code, 3, "{report:#}");
    let permissions = finding(&report, "permissions");
    assert_eq!(permissions["status"], "fault", "{report:#}");
    let message = permissions["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("chmod 600 {}", key.display())),
        "{message}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (_, report) = doctor(&desk, "zh-CN");
    assert_eq!(
        finding(&report, "permissions")["status"],
        "ok",
        "{report:#}"
    );
}

/// The fields of one datagram of journald's native protocol: `NAME=value\n`, or for a value
/// that may hold newlines `NAME\n`, its length as 64-bit little-endian, the value and `\n`.
#[cfg(feature = "system-tests")]
fn journal_fields(mut data: &[u8]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    while !data.is_empty() {
        let end = data
            .iter()
            .position(|b| *b == b'=' || *b == b'\n')
            .expect("a field name ends");
        let name = String::from_utf8_lossy(&data[..end]).into_owned();
        if data[end] == b'=' {
            let rest = &data[end + 1..];
            let stop = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            fields.push((name, String::from_utf8_lossy(&rest[..stop]).into_owned()));
            data = &rest[(stop + 1).min(rest.len())..];
        } else {
            let len = u64::from_le_bytes(data[end + 1..end + 9].try_into().unwrap()) as usize;
            let value = &data[end + 9..end + 9 + len];
            fields.push((name, String::from_utf8_lossy(value).into_owned()));
            data = &data[(end + 10 + len).min(data.len())..];
        }
    }
    fields
}
