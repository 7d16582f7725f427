//! The systemd units in hardware/systemd verify with `systemd-analyze verify` (pointing at the
//! binary just built), and the timer runs the sync at 02:30, randomised, catching up.

use std::path::Path;

fn units() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware/systemd");
    let mut units: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("service" | "timer")
            )
        })
        .collect();
    units.sort();
    units
}

#[test]
fn every_unit_verifies_with_systemd_analyze() {
    let units = units();
    assert!(units.len() >= 3, "{units:?}");
    let present = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        eprintln!("systemd-analyze is not on this machine: the units were not verified");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut copies = Vec::new();
    for unit in &units {
        let text = std::fs::read_to_string(unit)
            .unwrap()
            .replace("/usr/bin/pointsdesk", env!("CARGO_BIN_EXE_pointsdesk"));
        let copy = dir.path().join(unit.file_name().unwrap());
        std::fs::write(&copy, text).unwrap();
        copies.push(copy);
    }
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&copies)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(!said.contains("pointsdesk-"), "{said}");
}

#[test]
fn the_timer_syncs_at_half_past_two_spread_out_and_catches_up() {
    let timer = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware/systemd/pointsdesk-sync.timer"),
    )
    .unwrap();
    for line in [
        "OnCalendar=*-*-* 02:30:00",
        "RandomizedDelaySec=30min",
        "Persistent=true",
    ] {
        assert!(timer.lines().any(|l| l.trim() == line), "{line}");
    }
}
