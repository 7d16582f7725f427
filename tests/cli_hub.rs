//! The hub and the nightly sync as people run them: the real binary serving (`hub serve`, with
//! and without TLS), counters enrolling with a one-time code and syncing with `pointsdesk
//! sync`, the exit codes (0 done, 1 done with warnings, 3 failed), plain log lines when no one
//! watches, rotated backups, and the street office's report.

mod support;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::Desk;

/// `hub serve` of the street office at `office`, on a free loopback port; its address.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(office: &Desk, extra: &[&str], scheme_host: &str) -> Served {
    let mut command = Command::new(support::bin());
    command
        .args([
            "--home",
            office.home.to_str().unwrap(),
            "hub",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = line_tx.send(line);
    });
    let line = line_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("hub serve says where it listens");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Served {
        child,
        url: format!("{scheme_host}:{port}"),
    }
}

fn street_office() -> Desk {
    let office = Desk::new();
    office.ok(&["hub", "init", "--district", "桥西街道"]);
    office
}

/// A one-time code for `counter`.
fn code(office: &Desk, counter: &str) -> String {
    office.json(&["hub", "enroll", "--counter", counter])["one_time_code"]
        .as_str()
        .unwrap()
        .to_string()
}

fn counter(community: &str, prefix: &str, name: &str) -> Desk {
    let desk = Desk::new();
    desk.ok(&[
        "init",
        "--community",
        community,
        "--prefix",
        prefix,
        "--counter",
        name,
        "--admin",
        "管理员",
    ]);
    desk.ok(&[
        "catalog", "add", "S01", "--name", "理发", "--kind", "service", "--points", "20",
    ]);
    desk
}

/// The backup files in the home (not the `LAST-SYNCED` note beside them).
fn backups(desk: &Desk) -> usize {
    std::fs::read_dir(desk.home.join("backups"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".db"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn the_nightly_sync_from_the_command_line_syncs_logs_and_exits_as_promised() {
    let office = street_office();
    let hub = serve(&office, &[], "http://127.0.0.1");
    let a = counter("三桥社区", "SQ", "三桥爱心超市");
    let b = counter("二桥社区", "EQ", "二桥爱心超市");
    // A wrong or used code is refused (exit 1) and says so.
    let wrong = a.run(&[
        "sync",
        "enroll",
        "--hub",
        &hub.url,
        "--code",
        "AAAA-BBBB-CCCC",
    ]);
    wrong.expect_code(1);
    assert!(wrong.all().contains("登记码不对"), "{}", wrong.all());
    let code_a = code(&office, "三桥爱心超市");
    a.ok(&["sync", "enroll", "--hub", &hub.url, "--code", &code_a]);
    let used = b.run(&["sync", "enroll", "--hub", &hub.url, "--code", &code_a]);
    used.expect_code(1);
    assert!(used.all().contains("已经用过"), "{}", used.all());
    b.ok(&[
        "sync",
        "enroll",
        "--hub",
        &hub.url,
        "--code",
        &code(&office, "二桥爱心超市"),
    ]);

    // Points earned at A reach B through the hub.
    a.ok(&[
        "activity",
        "add",
        "A01",
        "--name",
        "垃圾分类",
        "--points-per-hour",
        "10",
    ]);
    let resident = a.add_resident("王五", "13700002222");
    let (passbook, scan) = a.issue(&resident);
    a.earn(&scan, "3");
    let config = std::fs::read_to_string(a.home.join("config.toml")).unwrap();
    assert!(config.contains("# backups_keep = 7"));
    std::fs::write(
        a.home.join("config.toml"),
        config.replace("# backups_keep = 7", "backups_keep = 2"),
    )
    .unwrap();
    let synced = a.ok(&["sync"]);
    assert!(synced.stdout.contains("同步完成"), "{}", synced.stdout);
    // No terminal: one plain log line a step.
    assert!(
        synced.stderr.contains("sync: 已备份到"),
        "{}",
        synced.stderr
    );
    assert!(synced.stderr.contains("sync: 已上传"), "{}", synced.stderr);
    let pulled = b.json(&["sync"]);
    assert!(pulled["pulled_new"].as_u64().unwrap() >= 5, "{pulled}");
    assert_eq!(b.balance(&scan), 30);

    // Spent at both counters: an overdraft, a warning (exit 1) at the next syncs.
    a.ok(&["redeem", "--passbook", &scan, "--item", "S01"]);
    b.ok(&["redeem", "--passbook", &scan, "--item", "S01"]);
    a.ok(&["sync"]);
    let warned = b.run(&["sync"]);
    warned.expect_code(1);
    assert!(warned.stdout.contains("透支"), "{}", warned.stdout);
    assert!(warned.stdout.contains(&passbook), "{}", warned.stdout);
    let report = office.run(&["hub", "report"]);
    report.expect_code(1);
    assert!(report.stdout.contains("透支的存折"), "{}", report.stdout);
    assert!(report.stdout.contains("王*"), "{}", report.stdout);
    let counters = office.ok(&["hub", "counters"]);
    assert!(counters.stdout.contains("三桥爱心超市") && counters.stdout.contains("二桥爱心超市"));

    // The district's reports: the month as a workbook and a CSV, the statement by number.
    let xlsx = office.path("district.xlsx");
    let csv = office.path("district.csv");
    let month = office.ok(&[
        "hub",
        "report",
        "month",
        "--xlsx",
        xlsx.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(month.stdout.contains("本月合计"), "{}", month.stdout);
    assert!(month.stdout.contains("三桥爱心超市"), "{}", month.stdout);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    assert_eq!(book.sheet_names().len(), 2, "by day, and by counter");
    let by_day = book
        .worksheet_range(&book.sheet_names()[0].clone())
        .unwrap();
    let total = by_day
        .rows()
        .find(|r| r.first() == Some(&calamine::Data::String("本月合计".into())))
        .expect("a total row")
        .to_vec();
    assert_eq!(total[1], calamine::Data::Float(30.0), "earned at A");
    assert_eq!(total[2], calamine::Data::Float(40.0), "spent at A and B");
    assert!(std::fs::read(&csv).unwrap().starts_with(b"\xEF\xBB\xBF"));
    let statement = office.ok(&["hub", "report", "resident", "--passbook", &passbook]);
    assert!(statement.stdout.contains("结余"), "{}", statement.stdout);
    assert!(statement.stdout.contains("-10"), "{}", statement.stdout);
    let missing = office.run(&["hub", "report", "resident", "--passbook", "SQ-A999999"]);
    assert_ne!(missing.code(), Some(0));
    assert!(
        missing.all().contains("没有存折 SQ-A999999"),
        "{}",
        missing.all()
    );

    // The web pages' administrators: a password from the environment, never on the line.
    let mut add = office.command(&["hub", "admin", "add", "街道王芳"]);
    add.env("POINTSDESK_HUB_PASSWORD", "short");
    let refused = office.run_command(add);
    assert_ne!(refused.code(), Some(0));
    assert!(
        refused.all().contains("至少要 8 个字符"),
        "{}",
        refused.all()
    );
    let mut add = office.command(&["hub", "admin", "add", "街道王芳"]);
    add.env("POINTSDESK_HUB_PASSWORD", "qiao-2026-counter");
    office.run_command(add).expect_code(0);
    let admins = office.ok(&["hub", "admin", "list"]);
    assert!(admins.stdout.contains("街道王芳"), "{}", admins.stdout);

    // The backups are rotated: the newest two stay.
    a.run(&["sync"]);
    a.run(&["sync"]);
    assert_eq!(backups(&a), 2);

    // The hub gone: the sync fails (exit 3), says so, and nothing here is lost.
    drop(hub);
    let down = a.run(&["sync"]);
    down.expect_code(3);
    assert!(down.all().contains("连不上街道中心"), "{}", down.all());
    a.verify();
}

#[test]
fn over_tls_a_counter_trusts_the_street_offices_own_certificate_and_nothing_else() {
    let office = street_office();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = office.path("hub.crt");
    let key = office.path("hub.key");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let hub = serve(
        &office,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        "https://localhost",
    );
    let a = counter("三桥社区", "SQ", "三桥爱心超市");
    // Without the street office's certificate, the counter does not trust the hub.
    let untrusted = a.run(&[
        "sync",
        "enroll",
        "--hub",
        &hub.url,
        "--code",
        &code(&office, "三桥爱心超市"),
    ]);
    untrusted.expect_code(3);
    assert!(
        untrusted.all().contains("连不上街道中心"),
        "{}",
        untrusted.all()
    );
    a.ok(&[
        "sync",
        "enroll",
        "--hub",
        &hub.url,
        "--code",
        &code(&office, "三桥爱心超市"),
        "--ca",
        cert.to_str().unwrap(),
    ]);
    // The certificate is kept: the nightly job needs nothing more.
    let synced = a.ok(&["sync"]);
    assert!(synced.stdout.contains("同步完成"), "{}", synced.stdout);
    // A plain-HTTP request to the TLS port is not served.
    let plain = a.run(&["sync", "--hub", &hub.url.replace("https://", "http://")]);
    plain.expect_code(3);
}

#[test]
fn hub_admin_remove_keeps_the_last_administrator_and_common_passwords_are_refused() {
    let office = street_office();
    let add = |name: &str, password: &str| {
        let mut add = office.command(&["hub", "admin", "add", name]);
        add.env("POINTSDESK_HUB_PASSWORD", password);
        office.run_command(add)
    };
    let common = add("街道王芳", "12345678");
    common.expect_code(1);
    assert!(common.all().contains("太常见"), "{}", common.all());
    add("街道王芳", "qiao-2026-counter").expect_code(0);
    add("街道李强", "another-pass-2026").expect_code(0);

    office.ok(&["hub", "admin", "remove", "街道李强"]);
    let admins = office.ok(&["hub", "admin", "list"]);
    assert!(!admins.stdout.contains("街道李强"), "{}", admins.stdout);
    let unknown = office.run(&["hub", "admin", "remove", "街道李强"]);
    unknown.expect_code(1);
    assert!(
        unknown.all().contains("没有这个网页管理员"),
        "{}",
        unknown.all()
    );
    let last = office.run(&["hub", "admin", "remove", "街道王芳"]);
    last.expect_code(1);
    assert!(last.all().contains("最后一位"), "{}", last.all());
    let admins = office.ok(&["hub", "admin", "list"]);
    assert!(admins.stdout.contains("街道王芳"), "{}", admins.stdout);
}
