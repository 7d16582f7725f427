//! Receipt bytes: a typical redemption slip (5 lines + QR) rendered for every printer profile,
//! the seconds it takes on the wire at 9600 and 115200 baud (8N1: 10 bits a byte), and in the
//! same run the same content through python-escpos' `Dummy` printer with its default QR
//! settings (installed from PyPI into `target/bench-python` by this benchmark).
//!
//! Run: `cargo bench --bench receipt_bytes`.

use pointsdesk::i18n::Lang;
use pointsdesk::printer::layout::{self, Block, ItemColumns};
use pointsdesk::printer::profile::Profile;
use pointsdesk::printer::text;
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[path = "../slip_samples/mod.rs"]
mod slip_samples;

const BITS_PER_BYTE_8N1: f64 = 10.0;
const PYTHON_ESCPOS: &str = "python-escpos==3.1";

/// The slip's content as lines with styles, for python-escpos.
fn as_json(blocks: &[Block], columns: usize) -> serde_json::Value {
    let styled = |text: &str, align: &str, bold: bool, double: bool| serde_json::json!({"text": text, "align": align, "bold": bold, "double": double});
    let mut lines = Vec::new();
    for block in blocks {
        match block {
            Block::Title(t) => lines.push(styled(t, "center", true, true)),
            Block::Heading(t) => lines.push(styled(t, "center", true, false)),
            Block::Center(t) => lines.push(styled(t, "center", false, false)),
            Block::Line(t) => lines.push(styled(t, "left", false, false)),
            Block::Pair(l, r) => {
                for line in text::two_columns(l, r, columns) {
                    lines.push(styled(&line, "left", false, false));
                }
            }
            Block::Item {
                name,
                qty,
                unit_points,
                points,
            } => {
                let items = ItemColumns::of(blocks);
                let numbers = items.numbers(*qty, *unit_points, *points);
                for line in items.lines(name, &numbers, columns) {
                    lines.push(styled(&line.text(&numbers, columns), "left", false, false));
                }
            }
            Block::Rule => lines.push(styled(&"-".repeat(columns), "left", false, false)),
            Block::Qr(payload) => lines.push(serde_json::json!({"qr": payload})),
            Block::Feed(_) => {}
        }
    }
    serde_json::json!({"lines": lines})
}

fn python_escpos_bytes(slip: &serde_json::Value) -> Result<usize, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/bench-python");
    let python = venv.join("bin/python");
    if !python.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status();
        if !made.is_ok_and(|s| s.success()) {
            return Err("python3 -m venv failed".into());
        }
    }
    let pip = Command::new(&python)
        .args(["-m", "pip", "install", "-q", PYTHON_ESCPOS])
        .status()
        .map_err(|e| e.to_string())?;
    if !pip.success() {
        return Err(format!("pip install {PYTHON_ESCPOS} failed"));
    }
    let mut child = Command::new(&python)
        .arg(root.join("tests/benches/escpos_dummy.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    serde_json::to_writer(child.stdin.take().expect("piped stdin"), slip)
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    // python-escpos prints a profile warning on stdout before our number: take the last line.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    last.trim().parse().map_err(|e| format!("{e}: {last:?}"))
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let (header, receipt) = (slip_samples::header(), slip_samples::typical_redemption());
    let blocks = layout::txn_slip(&header, &receipt, Lang::ZhCn, false);
    println!(
        "| profile | QR | our bytes | s at 9600 | s at 115200 | python-escpos bytes | ours / python-escpos |"
    );
    println!("|---|---|---|---|---|---|---|");
    for name in Profile::names() {
        let profile = Profile::built_in(name).unwrap();
        let bytes = layout::render(&blocks, &profile).len();
        let theirs = python_escpos_bytes(&as_json(&blocks, profile.columns));
        let seconds = |baud: f64| bytes as f64 * BITS_PER_BYTE_8N1 / baud;
        let (theirs_text, ratio) = match theirs {
            Ok(t) => (t.to_string(), format!("{:.2}×", bytes as f64 / t as f64)),
            Err(e) => (format!("({e})"), "-".into()),
        };
        println!(
            "| {name} | {} | {bytes} | {:.2} | {:.3} | {theirs_text} | {ratio} |",
            if profile.native_qr {
                "native GS ( k"
            } else {
                "raster strips"
            },
            seconds(9600.0),
            seconds(115_200.0)
        );
    }
}
