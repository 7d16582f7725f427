//! Smoke test of the real binary: `pointsdesk demo` in a tmux session, driven with send-keys at
//! a person's pace and read with capture-pane. It needs tmux (part of the machine image).

use std::process::Command;
use std::time::{Duration, Instant};

/// Longest a screen may take to show what a key asked for (debug build, seeding included).
const SCREEN_WAIT: Duration = Duration::from_secs(30);
/// Between two keys: a person typing, slower than the scanner detector's 50 ms burst gap.
const KEY_GAP: Duration = Duration::from_millis(150);

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs (it is part of the machine image)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "counter"])
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "counter", key]);
            std::thread::sleep(KEY_GAP);
        }
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + SCREEN_WAIT;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn the_demo_counter_redeems_with_keys_and_shows_the_printed_slip() {
    let tmp = tempfile::tempdir().unwrap();
    let tmux = Tmux {
        socket: format!("pointsdesk-test-{}", std::process::id()),
    };
    let command = format!(
        "TMPDIR={} {} --lang zh-CN demo",
        tmp.path().display(),
        env!("CARGO_BIN_EXE_pointsdesk")
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "counter",
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);
    let login = tmux.wait_for("操作员登录");
    assert!(
        login.contains("演示数据："),
        "the demo says where its home is:\n{login}"
    );
    tmux.keys(&["0", "0", "2", "Enter", "2", "4", "6", "8", "Enter"]);
    tmux.wait_for("请扫描存折");
    // Letters typed on the home screen go into the look-up field; none of them is a key.
    tmux.keys(&["S", "Q", "-", "1"]);
    let home = tmux.wait_for("SQ-1");
    assert!(home.contains("F7 库存"), "still the home screen:\n{home}");
    tmux.keys(&["Escape", "F2"]);
    let resident = tmux.wait_for("最近记录");
    assert!(resident.contains("存折 SQ-"), "{resident}");
    tmux.keys(&["Enter", "x", "y", "z", "Enter", "F5"]);
    tmux.wait_for("确认兑换");
    tmux.keys(&["Enter"]);
    let done = tmux.wait_for("兑换凭证");
    assert!(done.contains("洗衣皂"), "{done}");
    assert!(
        done.contains("[二维码]"),
        "the simulator decoded the slip's QR and the panel marks it:\n{done}"
    );
    for markup in ["[INIT]", "[CENTER]", "[CUT"] {
        assert!(!done.contains(markup), "{markup} on screen:\n{done}");
    }
    tmux.keys(&["C-c"]);
}

#[test]
fn the_counter_logs_into_its_home_and_never_onto_its_own_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let bin = env!("CARGO_BIN_EXE_pointsdesk");
    let init = Command::new(bin)
        .args([
            "init",
            "--community",
            "三桥社区",
            "--prefix",
            "SQ",
            "--counter",
            "三桥爱心超市",
            "--admin",
            "王芳",
        ])
        .env("POINTSDESK_HOME", &home)
        .env("POINTSDESK_PIN", "1234")
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    let tmux = Tmux {
        socket: format!("pointsdesk-test-log-{}", std::process::id()),
    };
    let command = format!(
        "POINTSDESK_HOME={} {bin} --lang zh-CN counter",
        home.display()
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "counter",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    tmux.wait_for("操作员登录");
    // A wrong PIN: refused on the screen in words, logged in the file.
    tmux.keys(&["0", "0", "1", "Enter", "9", "9", "9", "9", "Enter"]);
    let log_path = home.join("logs/pointsdesk.log");
    let deadline = Instant::now() + SCREEN_WAIT;
    let log = loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if log.contains("counter: login refused") {
            break log;
        }
        assert!(Instant::now() < deadline, "never logged; the log:\n{log}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(log.contains("counter: started"), "{log}");
    let screen = tmux.wait_for("工号或密码错误");
    for line in ["WARN", "INFO", "counter: login refused", "counter: started"] {
        assert!(!screen.contains(line), "{line:?} on the screen:\n{screen}");
    }
    tmux.keys(&["C-c"]);
}
