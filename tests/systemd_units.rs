//! The systemd units in hardware/systemd verify with `systemd-analyze verify` (pointing at the
//! binary just built; system tier: `tests/run-all` installs systemd), and the timer runs the
//! sync at 02:30, randomised, catching up.

use std::path::Path;

#[cfg(feature = "system-tests")]
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

#[cfg(feature = "system-tests")]
#[test]
fn every_unit_verifies_with_systemd_analyze() {
    let units = units();
    assert!(units.len() >= 3, "{units:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut copies = Vec::new();
    for unit in &units {
        let text = std::fs::read_to_string(unit)
            .unwrap()
            .replace("/usr/bin/pointsdesk", env!("CARGO_BIN_EXE_pointsdesk"));
        // The kiosk's programs are on a counter PC, not on every machine that runs the tests:
        // verify checks that an ExecStart program exists, so stand-ins take their place.
        let text = ["/usr/bin/cage", "/usr/bin/foot"]
            .iter()
            .filter(|p| !Path::new(p).exists())
            .fold(text, |text, p| text.replace(p, "/bin/true"));
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
fn the_counter_screen_starts_at_boot_restarts_and_falls_back_to_a_login_prompt() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware/systemd");
    let counter = std::fs::read_to_string(dir.join("pointsdesk-counter.service")).unwrap();
    for line in [
        "WantedBy=graphical.target",
        "Restart=always",
        "OnFailure=pointsdesk-kiosk-fallback.service",
        "Conflicts=getty@tty1.service",
        "TTYPath=/dev/tty1",
        "PAMName=pointsdesk-kiosk",
        "User=pointsdesk",
    ] {
        assert!(counter.lines().any(|l| l.trim() == line), "{line}");
    }
    let exec = counter
        .lines()
        .find(|l| l.starts_with("ExecStart="))
        .unwrap();
    assert!(
        exec.contains("/usr/bin/cage")
            && exec.contains("/usr/bin/foot")
            && exec.contains("Noto Sans Mono CJK SC")
            && exec.ends_with("/usr/bin/pointsdesk counter"),
        "{exec}"
    );
    let fallback = std::fs::read_to_string(dir.join("pointsdesk-kiosk-fallback.service")).unwrap();
    assert!(fallback.contains("start getty@tty1.service"), "{fallback}");
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
