//! Counter UI benchmarks on a 1 M-entry ledger: first frame after start, the time to draw a
//! frame, scan → resident screen, and the counter's peak memory (RSS). The ledger is the cached
//! one of `ledger.rs` (seeded on first use). A custom harness for the same reason as there:
//! the budget is in percentiles and peak RSS, which criterion does not report.
//!
//! Run: `cargo bench --bench counter` (size: `POINTSDESK_BENCH_COUNTER_ENTRIES`, default 1 M).

use pointsdesk::counter::driver::Headless;
use pointsdesk::counter::model::{Key, Model, Screen};
use pointsdesk::counter::view::view;
use pointsdesk::home::Home;
use pointsdesk::i18n::Lang;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use seed::{PIN, percentile, seeded, us};
use std::time::{Duration, Instant};

#[path = "seed.rs"]
mod seed;

const FIRST_FRAME_RUNS: usize = 20;
const FRAME_SAMPLES: usize = 1_000;
const SCAN_SAMPLES: usize = 500;
const SCREEN: (u16, u16) = (120, 40);
const CHILD_ENV: &str = "POINTSDESK_BENCH_COUNTER_CHILD";

fn entries() -> u64 {
    std::env::var("POINTSDESK_BENCH_COUNTER_ENTRIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

/// Start → the login screen drawn: open the home (ledger, key, config), build the model, draw.
fn first_frame(home: &Home) -> Duration {
    let started = Instant::now();
    let ledger = home.open().unwrap();
    let mut model = Model::new(Lang::ZhCn, false);
    model.counter = ledger.series().counter.clone();
    let mut terminal = Terminal::new(TestBackend::new(SCREEN.0, SCREEN.1)).unwrap();
    terminal.draw(|frame| view(frame, &model)).unwrap();
    started.elapsed()
}

fn logged_in(home: &Home) -> Headless {
    let mut ui = Headless::open(home, Lang::ZhCn, None).unwrap();
    ui.type_text("001");
    ui.press(Key::Enter);
    ui.type_text(PIN);
    ui.press(Key::Enter);
    assert_eq!(ui.model.screen, Screen::Home);
    ui
}

/// Scans passbooks one after the other, back to home in between; times each scan until the
/// resident screen's data is in the model.
fn scans(ui: &mut Headless, scans: &[String], samples: usize) -> Vec<Duration> {
    (0..samples)
        .map(|i| {
            let scan = &scans[(i * 7919) % scans.len()];
            let started = Instant::now();
            ui.scan(scan);
            let took = started.elapsed();
            assert_eq!(ui.model.screen, Screen::Resident);
            ui.press(Key::Esc);
            took
        })
        .collect()
}

fn frames(model: &Model) -> Vec<Duration> {
    let mut terminal = Terminal::new(TestBackend::new(SCREEN.0, SCREEN.1)).unwrap();
    (0..FRAME_SAMPLES)
        .map(|_| {
            let started = Instant::now();
            terminal.draw(|frame| view(frame, model)).unwrap();
            started.elapsed()
        })
        .collect()
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// In a fresh process: what the counter holds after a working session on the big ledger.
fn memory_child(home: &Home, passbooks: &[String]) {
    let mut ui = logged_in(home);
    scans(&mut ui, passbooks, 200);
    ui.scan(&passbooks[0]);
    ui.press(Key::Enter);
    ui.type_text("xzy");
    frames(&ui.model);
    println!("{}", peak_rss_kib());
}

fn main() {
    let (dir, passbooks) = seeded(entries());
    let home = Home { dir };
    if std::env::var_os(CHILD_ENV).is_some() {
        return memory_child(&home, &passbooks);
    }
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mut first: Vec<Duration> = (0..FIRST_FRAME_RUNS).map(|_| first_frame(&home)).collect();
    let mut ui = logged_in(&home);
    let mut scan_times = scans(&mut ui, &passbooks, SCAN_SAMPLES);
    ui.scan(&passbooks[1]);
    ui.press(Key::Enter);
    let mut frame_times = frames(&ui.model);
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let rss_kib: u64 = String::from_utf8_lossy(&child.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    let entries = ui.ledger().verify().map(|v| v.entries).unwrap_or(0);
    println!(
        "| ledger entries | first frame p50 / max ms (goal ≤ 200) | frame p50 / p99 µs (goal ≤ 2 ms) | scan → resident p50 / p99 ms (goal ≤ 16) | peak RSS MiB (goal ≤ 50) |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| {entries} | {:.1} / {:.1} | {:.0} / {:.0} | {:.2} / {:.2} | {:.1} |",
        us(percentile(&mut first, 0.5)) / 1000.0,
        us(percentile(&mut first, 1.0)) / 1000.0,
        us(percentile(&mut frame_times, 0.5)),
        us(percentile(&mut frame_times, 0.99)),
        us(percentile(&mut scan_times, 0.5)) / 1000.0,
        us(percentile(&mut scan_times, 0.99)) / 1000.0,
        rss_kib as f64 / 1024.0
    );
}
