//! Shared helpers for the CLI integration tests: a throwaway home, running the binary with a
//! bounded wait, and reading the ledger database directly.
//!
//! Each test file compiles this module on its own and uses a different part of it.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The first administrator's PIN in every test home.
pub const ADMIN_PIN: &str = "1234";
/// The first administrator's number.
pub const ADMIN: &str = "001";
/// The longest any single CLI run may take before the test fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

pub const COMMUNITY: &str = "三桥社区";
pub const PREFIX: &str = "SQ";
pub const COUNTER: &str = "三桥爱心超市";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pointsdesk")
}

/// What a finished CLI run left behind.
#[derive(Debug)]
pub struct Out {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The exit code, or `None` if a signal ended the process.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Stdout and stderr together, for looking for a message wherever it went.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "expected exit code {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// A CLI process that is running; its output is drained by two threads so it never blocks.
pub struct Running {
    pub child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

impl Running {
    pub fn spawn(mut command: Command) -> Running {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the pointsdesk binary starts");
        let stdout = drain(child.stdout.take().expect("piped stdout"));
        let stderr = drain(child.stderr.take().expect("piped stderr"));
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// SIGKILL on Unix. A process that already exited is not an error.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Waits at most `timeout`; a process still running then is killed and the test fails.
    #[track_caller]
    pub fn finish(mut self, timeout: Duration) -> Out {
        let status = wait_bounded(&mut self.child, timeout).unwrap_or_else(|| {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("pointsdesk did not finish within {timeout:?}");
        });
        Out {
            status,
            stdout: self.stdout.join().expect("stdout reader"),
            stderr: self.stderr.join().expect("stderr reader"),
        }
    }
}

/// Polls the child until it exits or `timeout` passes.
pub fn wait_bounded(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    // Short pauses: callers time runs of ~30 ms with this.
    let mut pause = Duration::from_micros(200);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(2));
    }
}

/// A throwaway folder holding one pointsdesk home (`<tmp>/home`) and any files a test writes.
pub struct Desk {
    pub dir: TempDir,
    pub home: PathBuf,
    pub pin: String,
    pub operator: String,
}

impl Default for Desk {
    fn default() -> Self {
        Desk::new()
    }
}

impl Desk {
    /// A folder with no home in it yet.
    pub fn new() -> Desk {
        let dir = tempfile::Builder::new()
            .prefix("pointsdesk-test-")
            .tempdir()
            .expect("temp dir");
        let home = dir.path().join("home");
        Desk {
            dir,
            home,
            pin: ADMIN_PIN.to_string(),
            operator: ADMIN.to_string(),
        }
    }

    /// A home created with `init` (三桥社区, prefix SQ, administrator 001).
    pub fn init() -> Desk {
        let desk = Desk::new();
        desk.ok(&[
            "init",
            "--community",
            COMMUNITY,
            "--prefix",
            PREFIX,
            "--counter",
            COUNTER,
            "--admin",
            "王芳",
        ]);
        desk
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db_path(&self) -> PathBuf {
        self.home.join("ledger.db")
    }

    /// The binary with this desk's home, the administrator's number and PIN, and nothing
    /// inherited from the environment that could point it elsewhere.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(bin());
        command
            .args(args)
            .env_remove("POINTSDESK_NEW_PIN")
            // Tests run under a systemd unit would otherwise log into the machine's journal.
            .env_remove("INVOCATION_ID")
            .env("POINTSDESK_HOME", &self.home)
            .env("POINTSDESK_PIN", &self.pin)
            .env("POINTSDESK_OPERATOR", &self.operator)
            // `demo` writes its throwaway home into the temp dir: keep it inside ours.
            .env("TMPDIR", self.dir.path());
        command
    }

    pub fn run_command(&self, command: Command) -> Out {
        Running::spawn(command).finish(RUN_TIMEOUT)
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.run_command(self.command(args))
    }

    /// Runs and requires exit code 0.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        out.expect_code(0);
        out
    }

    /// Runs with `--json` prepended, requires exit code 0 and returns the parsed output.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.ok(&all).json()
    }

    /// The same desk seen by another operator.
    pub fn as_operator(&self, operator: &str, pin: &str) -> DeskAs<'_> {
        DeskAs {
            desk: self,
            operator: operator.to_string(),
            pin: pin.to_string(),
        }
    }

    /// `ledger verify --json`; requires exit 0 and `ok: true`, returns the number of entries.
    #[track_caller]
    pub fn verify(&self) -> u64 {
        let report = self.json(&["ledger", "verify"]);
        assert_eq!(report["ok"], true, "ledger verify: {report}");
        report["entries"].as_u64().expect("entries is a number")
    }

    /// The balance of a passbook, by scan.
    #[track_caller]
    pub fn balance(&self, scan: &str) -> i64 {
        self.json(&["balance", "--passbook", scan])["balance"]
            .as_i64()
            .expect("balance is a number")
    }

    /// Registers a resident and returns their number.
    #[track_caller]
    pub fn add_resident(&self, name: &str, phone: &str) -> String {
        self.json(&["resident", "add", "--name", name, "--phone", phone])["resident"]
            .as_str()
            .expect("resident number")
            .to_string()
    }

    /// Issues a passbook and returns (passbook number, scan payload).
    #[track_caller]
    pub fn issue(&self, resident: &str) -> (String, String) {
        let issued = self.json(&["passbook", "issue", resident]);
        (
            issued["passbook"].as_str().expect("passbook").to_string(),
            issued["scan"].as_str().expect("scan").to_string(),
        )
    }

    /// A home with activity A01 (10 points an hour), goods G001 (5 points, barcode 690123,
    /// 3 a month, 10 in stock), service S001 (10 points) and resident 张三明 (SQ-RA00001) holding
    /// passbook SQ-A000001. Returns the passbook's scan.
    pub fn seeded() -> (Desk, String) {
        let desk = Desk::init();
        desk.add_resident("张三明", "13812345678");
        desk.ok(&[
            "activity",
            "add",
            "A01",
            "--name",
            "垃圾分类",
            "--points-per-hour",
            "10",
        ]);
        desk.ok(&[
            "catalog",
            "add",
            "G001",
            "--name",
            "洗衣皂",
            "--points",
            "5",
            "--barcode",
            "690123",
            "--monthly-limit",
            "3",
        ]);
        desk.ok(&[
            "catalog", "add", "S001", "--name", "理发", "--kind", "service", "--points", "10",
        ]);
        desk.ok(&[
            "catalog",
            "restock",
            "G001",
            "--qty",
            "10",
            "--donor",
            "爱心企业",
        ]);
        let (passbook, scan) = desk.issue("SQ-RA00001");
        assert_eq!(passbook, "SQ-A000001");
        (desk, scan)
    }

    /// Credits `hours` of activity A01 (of [`Desk::seeded`]) to a scanned passbook.
    #[track_caller]
    pub fn earn(&self, scan: &str, hours: &str) -> Out {
        self.ok(&[
            "earn",
            "--passbook",
            scan,
            "--activity",
            "A01",
            "--hours",
            hours,
        ])
    }

    /// Opens the ledger database directly (for reading in assertions).
    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.db_path()).expect("open ledger.db");
        conn.busy_timeout(Duration::from_secs(30))
            .expect("busy timeout");
        conn
    }

    /// How many log entries carry this txn id.
    pub fn entries_with_txn(&self, txn: &str) -> i64 {
        self.db()
            .query_row("SELECT COUNT(*) FROM entries WHERE txn = ?1", [txn], |r| {
                r.get(0)
            })
            .expect("count entries")
    }

    /// How many log entries are of this kind.
    pub fn entries_of_kind(&self, kind: &str) -> i64 {
        self.db()
            .query_row(
                "SELECT COUNT(*) FROM entries WHERE kind = ?1",
                [kind],
                |r| r.get(0),
            )
            .expect("count entries")
    }
}

/// A desk run as some other operator.
pub struct DeskAs<'a> {
    desk: &'a Desk,
    operator: String,
    pin: String,
}

impl DeskAs<'_> {
    pub fn run(&self, args: &[&str]) -> Out {
        let mut command = self.desk.command(args);
        command
            .env("POINTSDESK_OPERATOR", &self.operator)
            .env("POINTSDESK_PIN", &self.pin);
        self.desk.run_command(command)
    }
}

/// A small deterministic generator (SplitMix64): reproducible "random" choices without a crate.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }
}

/// Every regular file under `dir` with its bytes and modification time, sorted by path.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read dir") {
            let entry = entry.expect("dir entry");
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                let bytes = std::fs::read(entry.path()).expect("read file");
                files.push((entry.path(), bytes, meta.modified().expect("mtime")));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Full-width forms of printable ASCII, as a Chinese input method types them (A → Ａ).
pub fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).expect("full-width form"),
            other => other,
        })
        .collect()
}
