//! What a community installs: the kiosk set-up script (shellcheck-clean; a dry run that changes
//! nothing; a real run on a Debian root folder with the real useradd, usermod and systemctl,
//! and a second run that changes nothing), the Debian package built with cargo-deb and the
//! files it installs, and the completions and manual pages the binary writes. All but the last
//! and the refusal of another system need a Debian machine as root: the system tier.

mod support;

#[cfg(feature = "system-tests")]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn setup_script() -> PathBuf {
    repo("hardware/kiosk/setup-counter")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[cfg(feature = "system-tests")]
fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[cfg(feature = "system-tests")]
#[test]
fn the_set_up_and_package_scripts_are_shellcheck_clean() {
    assert!(have("shellcheck"), "shellcheck: tests/run-all installs it");
    let out = Command::new("shellcheck")
        .args(["--shell=bash", "--severity=style"])
        .arg(setup_script())
        .arg(repo("hardware/deb/build-package"))
        .arg(repo("tests/run-all"))
        .arg(repo(".ci/run"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// A Debian 12 system as a folder: os-release, the account files, the dpkg status of
/// `installed`, and systemd's targets (for `systemctl --root` to enable units against).
fn debian_root(installed: &[&str]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let put = |path: &str, content: &str| {
        let path = root.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    };
    put(
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
    );
    let groups = [
        ("root", 0),
        ("lp", 7),
        ("dialout", 20),
        ("video", 44),
        ("input", 101),
        ("render", 105),
    ];
    put("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
    put("etc/shadow", "root:*:19000:0:99999:7:::\n");
    put(
        "etc/group",
        &groups
            .iter()
            .map(|(g, id)| format!("{g}:x:{id}:\n"))
            .collect::<String>(),
    );
    put(
        "etc/gshadow",
        &groups
            .iter()
            .map(|(g, _)| format!("{g}:*::\n"))
            .collect::<String>(),
    );
    put(
        "var/lib/dpkg/status",
        &installed
            .iter()
            .map(|p| {
                format!(
                    "Package: {p}\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"
                )
            })
            .collect::<String>(),
    );
    for target in ["graphical.target", "multi-user.target", "timers.target"] {
        put(
            &format!("usr/lib/systemd/system/{target}"),
            &format!("[Unit]\nDescription={target}\n"),
        );
    }
    root
}

/// Every file and link under `root` with its content (or target) and mode: what a run changed.
#[cfg(feature = "system-tests")]
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let content = if meta.file_type().is_symlink() {
                std::fs::read_link(&path)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else if meta.is_dir() {
                stack.push(path.clone());
                Vec::new()
            } else {
                std::fs::read(&path).unwrap()
            };
            seen.insert(path, (content, meta.mode(), meta.uid()));
        }
    }
    seen
}

fn run_setup(root: &Path, extra: &[&str]) -> Output {
    Command::new(setup_script())
        .arg("--root")
        .arg(root)
        .args(extra)
        .output()
        .unwrap()
}

const PACKAGES: [&str; 6] = [
    "cage",
    "xwayland",
    "foot",
    "fonts-noto-cjk",
    "fontconfig",
    "libpam-systemd",
];

#[cfg(feature = "system-tests")]
#[test]
fn a_dry_run_prints_every_step_and_changes_nothing() {
    let root = debian_root(&["cage", "xwayland", "foot", "fontconfig"]);
    // An image prepared before its first boot: systemd has not made the group input yet.
    let group = root.path().join("etc/group");
    let without_input: String = std::fs::read_to_string(&group)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("input:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&group, without_input).unwrap();
    let before = snapshot(root.path());
    let out = run_setup(root.path(), &["--dry-run"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert_eq!(
        snapshot(root.path()),
        before,
        "a dry run changed files:\n{said}"
    );
    for step in [
        "ok:      Debian 12",
        "ok:      package cage is installed",
        "would:   chroot",
        "apt-get install -y --no-install-recommends fonts-noto-cjk libpam-systemd",
        "would:   useradd --root",
        "--append --groups dialout pointsdesk",
        "--system input",
        "--append --groups input pointsdesk",
        "would:   install -d -o pointsdesk -g pointsdesk -m 0700",
        "etc/pam.d/pointsdesk-kiosk",
        "etc/systemd/system/pointsdesk-counter.service",
        "etc/udev/rules.d/99-pointsdesk-scanner.rules",
        "enable pointsdesk-counter.service",
        "enable pointsdesk-sync.timer",
        "set-default graphical.target",
        "Dry run: nothing was changed",
    ] {
        assert!(said.contains(step), "no {step:?} in:\n{said}");
    }
    assert!(!said.contains("doing:"), "{said}");
}

#[cfg(feature = "system-tests")]
#[test]
fn a_run_sets_up_the_kiosk_and_a_second_run_changes_nothing() {
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    assert!(
        as_root
            && have("systemctl")
            && (have("useradd") || Path::new("/usr/sbin/useradd").exists()),
        "the set-up script's real run needs root, useradd and systemctl (tests/run-all)"
    );
    let root = debian_root(&PACKAGES);
    let first = run_setup(root.path(), &[]);
    let said = text(&first);
    assert!(first.status.success(), "{said}");
    assert!(said.contains("doing:   useradd"), "{said}");
    let r = root.path();
    let passwd = std::fs::read_to_string(r.join("etc/passwd")).unwrap();
    let account = passwd
        .lines()
        .find(|l| l.starts_with("pointsdesk:"))
        .unwrap_or_else(|| panic!("no account in {passwd}"));
    assert!(
        account.ends_with(":/var/lib/pointsdesk:/usr/sbin/nologin"),
        "{account}"
    );
    let group = std::fs::read_to_string(r.join("etc/group")).unwrap();
    for g in ["dialout", "lp", "input", "video", "render"] {
        assert!(
            group
                .lines()
                .any(|l| l.starts_with(&format!("{g}:")) && l.ends_with("pointsdesk")),
            "{g} in {group}"
        );
    }
    {
        use std::os::unix::fs::MetadataExt;
        let home = std::fs::metadata(r.join("var/lib/pointsdesk")).unwrap();
        let uid: u32 = account.split(':').nth(2).unwrap().parse().unwrap();
        assert_eq!((home.uid(), home.mode() & 0o777), (uid, 0o700));
    }
    for unit in [
        "pointsdesk-counter.service",
        "pointsdesk-kiosk-fallback.service",
        "pointsdesk-sync.timer",
    ] {
        assert!(r.join("etc/systemd/system").join(unit).exists(), "{unit}");
    }
    // Links as systemd makes them, absolute within the system (so not followed from here).
    for link in [
        "etc/systemd/system/graphical.target.wants/pointsdesk-counter.service",
        "etc/systemd/system/timers.target.wants/pointsdesk-sync.timer",
    ] {
        assert!(std::fs::symlink_metadata(r.join(link)).is_ok(), "{link}");
    }
    assert!(
        std::fs::read_link(r.join("etc/systemd/system/default.target"))
            .unwrap()
            .ends_with("graphical.target")
    );
    assert!(
        std::fs::read_to_string(r.join("etc/pam.d/pointsdesk-kiosk"))
            .unwrap()
            .contains("pam_systemd.so")
    );

    let before = snapshot(r);
    let second = run_setup(r, &[]);
    let said = text(&second);
    assert!(second.status.success(), "{said}");
    assert!(
        !said.contains("doing:"),
        "the second run changed something:\n{said}"
    );
    assert!(
        said.contains("Nothing to change: this PC is set up."),
        "{said}"
    );
    assert_eq!(snapshot(r), before);
    // Its dry run now says so too.
    let dry = text(&run_setup(r, &["--dry-run"]));
    assert!(dry.contains("a real run would change nothing"), "{dry}");
}

#[test]
fn the_set_up_script_refuses_another_system_and_a_bad_option_in_words() {
    let root = debian_root(&PACKAGES);
    std::fs::write(
        root.path().join("etc/os-release"),
        "ID=ubuntu\nVERSION_ID=\"24.04\"\n",
    )
    .unwrap();
    let out = run_setup(root.path(), &["--dry-run"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out).contains("made for Debian 12 or 13"),
        "{}",
        text(&out)
    );
    let out = run_setup(root.path(), &["--dryrun"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("unknown option --dryrun"),
        "{}",
        text(&out)
    );
}

#[test]
fn completions_and_manual_pages_come_from_the_command_definitions() {
    let bin = env!("CARGO_BIN_EXE_pointsdesk");
    for (shell, mark) in [
        ("bash", "_pointsdesk()"),
        ("zsh", "#compdef pointsdesk"),
        ("fish", "complete -c pointsdesk"),
    ] {
        let out = Command::new(bin)
            .args(["completions", shell])
            .output()
            .unwrap();
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && script.contains(mark),
            "{shell}: {script}"
        );
        assert!(script.contains("doctor"), "{shell} completes doctor");
    }
    let out = Command::new(bin)
        .args(["completions", "powershell"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let page = Command::new(bin).arg("man").output().unwrap();
    let page = String::from_utf8_lossy(&page.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH pointsdesk"),
        "{page}"
    );
    assert!(page.contains("doctor"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin)
        .args(["man", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let doctor = std::fs::read_to_string(dir.path().join("pointsdesk-doctor.1")).unwrap();
    assert!(doctor.contains("all well"), "{doctor}");
}

/// PATH with cargo-deb on it: `tests/run-all` installs a pinned version into target/tools.
#[cfg(feature = "system-tests")]
fn cargo_deb_path() -> std::ffi::OsString {
    let tools = repo("target/tools");
    let path = format!(
        "{}:{}",
        tools.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let found = Command::new("cargo")
        .args(["deb", "--version"])
        .env("PATH", &path)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "cargo-deb: tests/run-all installs it into target/tools"
    );
    path.into()
}

#[cfg(feature = "system-tests")]
#[test]
fn the_debian_package_builds_and_installs_the_binary_units_rules_kiosk_and_docs() {
    let path = cargo_deb_path();
    let out = Command::new(repo("hardware/deb/build-package"))
        .arg("--dev")
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let deb = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find(|l| l.ends_with(".deb"))
        .map(|l| PathBuf::from(l.trim()))
        .unwrap_or_else(|| panic!("no .deb named in:\n{}", text(&out)));
    let listing = Command::new("dpkg-deb")
        .arg("-c")
        .arg(&deb)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    for (mode, file) in [
        ("-rwxr-xr-x", "./usr/bin/pointsdesk"),
        (
            "-rw-r--r--",
            "./usr/lib/systemd/system/pointsdesk-counter.service",
        ),
        (
            "-rw-r--r--",
            "./usr/lib/systemd/system/pointsdesk-kiosk-fallback.service",
        ),
        (
            "-rw-r--r--",
            "./usr/lib/systemd/system/pointsdesk-sync.service",
        ),
        (
            "-rw-r--r--",
            "./usr/lib/systemd/system/pointsdesk-sync.timer",
        ),
        (
            "-rw-r--r--",
            "./usr/lib/systemd/system/pointsdesk-hub.service",
        ),
        (
            "-rw-r--r--",
            "./usr/lib/udev/rules.d/99-pointsdesk-printer.rules",
        ),
        (
            "-rw-r--r--",
            "./usr/lib/udev/rules.d/99-pointsdesk-scanner.rules",
        ),
        ("-rwxr-xr-x", "./usr/share/pointsdesk/kiosk/setup-counter"),
        ("-rw-r--r--", "./usr/share/doc/pointsdesk/kiosk.md"),
        (
            "-rw-r--r--",
            "./usr/share/pointsdesk/printers/generic-80.toml",
        ),
        ("-rw-r--r--", "./usr/share/man/man1/pointsdesk.1.gz"),
        ("-rw-r--r--", "./usr/share/man/man1/pointsdesk-doctor.1.gz"),
        (
            "-rw-r--r--",
            "./usr/share/bash-completion/completions/pointsdesk",
        ),
        (
            "-rw-r--r--",
            "./usr/share/zsh/vendor-completions/_pointsdesk",
        ),
        (
            "-rw-r--r--",
            "./usr/share/fish/vendor_completions.d/pointsdesk.fish",
        ),
    ] {
        assert!(
            listing
                .lines()
                .any(|l| l.starts_with(mode) && l.ends_with(file)),
            "no {mode} {file} in:\n{listing}"
        );
    }
    let depends = Command::new("dpkg-deb")
        .args(["-f"])
        .arg(&deb)
        .arg("Depends")
        .output()
        .unwrap();
    let depends = String::from_utf8_lossy(&depends.stdout);
    for package in [
        "cage",
        "xwayland",
        "foot",
        "fonts-noto-cjk",
        "fontconfig",
        "libpam-systemd",
        "libc6",
    ] {
        assert!(depends.contains(package), "{package} in Depends: {depends}");
    }
}
