//! `pointsdesk doctor` as a community worker waits for it: the whole process on a counter's
//! home of 1 M entries (the seeded ledger of the ledger benchmark), the printer the pty
//! simulator, and beside it the one check that grows with the ledger, SQLite's `quick_check`,
//! timed alone. Run: `cargo bench --bench doctor` (size: `POINTSDESK_BENCH_DOCTOR_ENTRIES`).

#[path = "seed.rs"]
mod seed;

use pointsdesk::printer::sim::{SimConfig, SimState, Simulator};
use seed::percentile;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs of doctor timed; the first (cold page cache after seeding) is kept apart.
const RUNS: usize = 10;

fn main() {
    let entries: u64 = std::env::var("POINTSDESK_BENCH_DOCTOR_ENTRIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let (home, _) = seed::seeded(entries);
    let db_bytes = std::fs::metadata(home.join("ledger.db")).unwrap().len();
    let sim_dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimConfig {
        out_dir: sim_dir.path().to_path_buf(),
        state: SimState::Ready,
        paper_columns: 48,
    })
    .unwrap();
    // The seeded home is shared with the ledger benchmark: configure a copy of its config only.
    let config_path = home.join("config.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let with_printer = config.replacen(
        "[printer]\n",
        &format!(
            "[printer]\ntransport = \"serial:{}?baud=115200\"\n",
            sim.path()
        ),
        1,
    );
    std::fs::write(&config_path, &with_printer).unwrap();

    let run = || {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_pointsdesk"))
            .args(["--home", home.to_str().unwrap(), "--json", "doctor"])
            .output()
            .unwrap();
        let took = started.elapsed();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["check"] == "database")
                .unwrap()["status"],
            "ok",
            "{report:#}"
        );
        took
    };
    let first = run();
    let mut samples: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    let conn = rusqlite::Connection::open(home.join("ledger.db")).unwrap();
    let mut quick: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let ok: String = conn
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(ok, "ok");
            started.elapsed()
        })
        .collect();
    std::fs::write(&config_path, config).unwrap();
    println!(
        "doctor on {entries} entries ({:.0} MiB database), printer on the pty simulator:",
        db_bytes as f64 / (1 << 20) as f64
    );
    println!("  first run        {:>8.0} ms", first.as_secs_f64() * 1e3);
    println!(
        "  process p50      {:>8.0} ms   max {:.0} ms ({RUNS} runs)",
        percentile(&mut samples, 0.5).as_secs_f64() * 1e3,
        percentile(&mut samples, 1.0).as_secs_f64() * 1e3
    );
    println!(
        "  quick_check p50  {:>8.0} ms   max {:.0} ms",
        percentile(&mut quick, 0.5).as_secs_f64() * 1e3,
        percentile(&mut quick, 1.0).as_secs_f64() * 1e3
    );
    sim.stop();
}
