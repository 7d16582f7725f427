//! District benchmarks: a new counter's import of a bundle of 1 M entries from 5 series (every
//! signature checked, projections built), the export of a 2,000-entry delta, `ledger verify`
//! of 1 M entries across 5 series, and the bare Ed25519 batch-verification rate of this
//! machine measured in the same run (the physical limit of the import's signature checks).
//!
//! The five counters (200,000 entries each) and the bundle are cached in
//! `target/bench-data/district-*`: building them takes minutes.
//!
//! Run: `cargo bench --bench district` (size: `POINTSDESK_BENCH_DISTRICT=1000000`).

use district_seed::{SERIES, bare_rate, new_counter, seeded, size};
use pointsdesk::domain::ids::NumberKind;
use pointsdesk::home::Home;
use pointsdesk::hub::HubHome;
use seed::percentile;
use std::time::Instant;

#[path = "seed.rs"]
mod seed;

#[path = "district_seed.rs"]
mod district_seed;

const DELTA_ENTRIES: i64 = 2_000;
const DELTA_SAMPLES: usize = 9;

fn main() {
    let entries = size();
    let (root, bundle) = seeded(entries);
    let bare_1 = bare_rate(1);
    let bare_2 = bare_rate(2);

    // A new counter takes in the whole district.
    let hub = HubHome {
        dir: root.join("street-office"),
    };
    let fresh_dir = root.join("fresh");
    let _ = std::fs::remove_dir_all(&fresh_dir);
    let name = format!("新柜台{}", chrono::Utc::now().timestamp_millis());
    let (mut fresh, _) = new_counter(&hub, &fresh_dir, 0, &name);
    let input = std::io::BufReader::new(std::fs::File::open(&bundle).unwrap());
    let started = Instant::now();
    let report = pointsdesk::sync::import_bundle(&mut fresh, "all", input).unwrap();
    let import = started.elapsed();
    assert!(
        report.refused.is_empty() && report.forks.is_empty(),
        "{report:?}"
    );
    let imported = report.new;
    drop(fresh);
    let _ = std::fs::remove_dir_all(&fresh_dir);

    // Counter 0: verify, and the delta of its last 2,000 entries.
    let home = Home {
        dir: root.join("counter-0"),
    };
    let mut ledger = home.open().unwrap();
    let started = Instant::now();
    let verified = ledger.verify().unwrap();
    let verify = started.elapsed();
    assert!(verified.ok, "{verified:?}");
    let own = ledger.device().series_id;
    let since: Vec<pointsdesk::district::Head> = ledger
        .heads()
        .unwrap()
        .into_iter()
        .map(|mut h| {
            if h.series_id == own {
                h.seq -= DELTA_ENTRIES;
            }
            h
        })
        .collect();
    let mut exports = Vec::new();
    let mut bytes = 0;
    for _ in 0..DELTA_SAMPLES {
        let started = Instant::now();
        let (header, out) =
            pointsdesk::sync::export_bundle(&mut ledger, &since, "delta", Vec::new()).unwrap();
        exports.push(started.elapsed());
        assert_eq!(header.entries, DELTA_ENTRIES as u64);
        bytes = out.len();
    }
    let export_p50 = percentile(&mut exports, 0.5);
    let export_max = percentile(&mut exports, 1.0);
    let code = ledger
        .numbering()
        .number(NumberKind::Passbook, 1)
        .unwrap_or_default();

    println!("district benchmark, {entries} entries in {SERIES} series (passbooks like {code})");
    println!(
        "  import of the whole district into a new counter: {imported} entries in {:.1} s = {:.0} entries/s (budget ≤ 30 s)",
        import.as_secs_f64(),
        imported as f64 / import.as_secs_f64()
    );
    println!(
        "  bare Ed25519 batch verification: {bare_1:.0}/s on 1 thread, {bare_2:.0}/s on 2; the import checks {:.0}% of the 2-thread rate",
        100.0 * imported as f64 / import.as_secs_f64() / bare_2
    );
    println!(
        "  ledger verify of {} entries, {} series: {:.1} s (budget ≤ 10 s)",
        verified.entries,
        verified.series,
        verify.as_secs_f64()
    );
    println!(
        "  export of a {DELTA_ENTRIES}-entry delta: p50 {:.0} ms, max {:.0} ms of {DELTA_SAMPLES} ({bytes} bytes; budget ≤ 200 ms)",
        export_p50.as_secs_f64() * 1e3,
        export_max.as_secs_f64() * 1e3
    );
}
