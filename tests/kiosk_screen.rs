//! The kiosk's own command line, taken from pointsdesk-counter.service, run for real: cage on a
//! headless output, foot with the font the unit names, and the counter (the demo, so that it
//! has a home) inside; a screenshot with grim shows the counter's screen drawn, title bar and
//! all. Debian's cage, xwayland, foot, grim and fonts-noto-cjk are installed when missing; cage
//! refuses to run as root, so it runs as the account `nobody`.

mod support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Longest the kiosk may take to show the counter (a debug build seeding the demo's home).
const SCREEN_WAIT: Duration = Duration::from_secs(60);

struct Kiosk(Child);

/// The kiosk runs in a process group of its own (runuser, cage, foot): all of it is stopped,
/// and the counter inside ends with its terminal.
impl Drop for Kiosk {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        if support::wait_bounded(&mut self.0, Duration::from_secs(10)).is_none() {
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = self.0.wait();
        }
    }
}

/// The unit's ExecStart, as words (the unit quotes the font argument).
fn exec_start() -> Vec<String> {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware/systemd/pointsdesk-counter.service"),
    )
    .unwrap();
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    words.push(word);
    words
}

/// The share of pixels in a row band that differ from the band's first pixel.
fn drawn_share(png_bytes: &[u8], rows: std::ops::Range<usize>) -> (usize, usize, f64) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let pixel = |x: usize, y: usize| {
        let at = (y * width + x) * channels;
        &buf[at..at + 3]
    };
    let background = pixel(0, rows.start).to_vec();
    let mut differing = 0;
    let mut all = 0;
    for y in rows.clone() {
        for x in 0..width {
            all += 1;
            if pixel(x, y) != background.as_slice() {
                differing += 1;
            }
        }
    }
    (width, height, differing as f64 / all as f64)
}

#[test]
fn the_kiosk_unit_command_shows_the_counter_screen_in_cage_and_foot() {
    let missing = [
        "/usr/bin/cage",
        "/usr/bin/foot",
        "/usr/bin/grim",
        "/usr/bin/Xwayland",
    ]
    .iter()
    .any(|p| !Path::new(p).exists())
        || !Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists();
    assert!(
        !missing,
        "cage, xwayland, foot, grim and fonts-noto-cjk are needed: tests/run-all installs them"
    );
    // The font the unit asks foot for is the one installed, not a fallback fontconfig picked.
    let words = exec_start();
    let font = words
        .iter()
        .find_map(|w| w.strip_prefix("--font="))
        .expect("the unit names foot's font");
    let family = font.split(':').next().unwrap();
    let matched = Command::new("fc-match")
        .args(["-f", "%{family}"])
        .arg(family)
        .output()
        .unwrap();
    let matched = String::from_utf8_lossy(&matched.stdout);
    assert!(matched.contains(family), "{family} resolves to {matched}");
    // Xwayland's socket folder as systemd-tmpfiles makes it at boot (root's, sticky, for all);
    // Xwayland refuses one that another account made.
    let x11 = Path::new("/tmp/.X11-unix");
    let _ = std::fs::create_dir(x11);
    let x11_ok = Command::new("chown")
        .arg("root:root")
        .arg(x11)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("chmod")
            .arg("1777")
            .arg(x11)
            .status()
            .is_ok_and(|s| s.success());
    assert!(x11_ok, "/tmp/.X11-unix cannot be made root's");
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("runtime");
    let home = dir.path().join("tmp");
    for d in [&runtime, &home] {
        std::fs::create_dir(d).unwrap();
    }
    // The test's folders and binary, for the account `nobody`.
    let bin = dir.path().join("pointsdesk");
    std::fs::copy(env!("CARGO_BIN_EXE_pointsdesk"), &bin).unwrap();
    let chown = Command::new("chown")
        .args(["-R", "nobody"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(chown.success());
    let chmod = Command::new("chmod")
        .arg("0711")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(chmod.success());
    let mut words = words;
    assert_eq!(
        words.last().map(String::as_str),
        Some("counter"),
        "{words:?}"
    );
    words.pop();
    let pointsdesk = words.pop().unwrap();
    assert_eq!(pointsdesk, "/usr/bin/pointsdesk");
    words.push(bin.display().to_string());
    words.extend(["--lang", "zh-CN", "demo"].map(String::from));
    let env = |name: &str, value: &Path| format!("{name}={}", value.display());
    let kiosk = Command::new("runuser")
        .args(["-u", "nobody", "--", "env"])
        .arg(env("XDG_RUNTIME_DIR", &runtime))
        .arg(env("XDG_CACHE_HOME", &home))
        .arg(env("HOME", &home))
        .arg(env("TMPDIR", &home))
        .args([
            "WLR_BACKENDS=headless",
            "WLR_RENDERER=pixman",
            "WLR_LIBINPUT_NO_DEVICES=1",
        ])
        .args(&words)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let kiosk = Kiosk(kiosk);
    let shot = dir.path().join("runtime/screen.png");
    let deadline = Instant::now() + SCREEN_WAIT;
    let (width, height, title, body) = loop {
        let grabbed = runtime.join("wayland-0").exists()
            && Command::new("runuser")
                .args(["-u", "nobody", "--", "env"])
                .arg(env("XDG_RUNTIME_DIR", &runtime))
                .args(["WAYLAND_DISPLAY=wayland-0", "grim"])
                .arg(&shot)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        if grabbed {
            let bytes = std::fs::read(&shot).unwrap();
            // The title bar (first rows) and the login panel below it.
            let (width, height, title) = drawn_share(&bytes, 2..30);
            let (_, _, body) = drawn_share(&bytes, 170..470);
            if title > 0.2 && body > 0.01 {
                std::fs::create_dir_all(
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/kiosk-screenshots"),
                )
                .unwrap();
                std::fs::copy(
                    &shot,
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("target/kiosk-screenshots/counter.png"),
                )
                .unwrap();
                break (width, height, title, body);
            }
        }
        assert!(
            Instant::now() < deadline,
            "the kiosk never showed the counter (screenshot grabbed: {grabbed})"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(width >= 640 && height >= 480, "{width}×{height}");
    assert!(
        title > 0.2 && body > 0.01,
        "title {title:.2}, body {body:.3}"
    );
    drop(kiosk);
    // Nothing of the kiosk outlives the test (the counter ends when its terminal goes).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = Command::new("pgrep")
            .args(["-u", "nobody", "-f"])
            .arg(bin.display().to_string())
            .output()
            .is_ok_and(|o| !o.stdout.is_empty());
        if !left {
            break;
        }
        assert!(Instant::now() < deadline, "the counter outlived the kiosk");
        std::thread::sleep(Duration::from_millis(100));
    }
}
