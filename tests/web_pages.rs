//! The street office's web pages in a real headless Chromium (Debian's `chromium`, driven by
//! its `chromedriver` over the WebDriver protocol), against a real hub on a loopback port that
//! two counters synced with: without a login every page is the login form and shows nobody;
//! after it, the overview, the overdrafts, the month, items and activities reports with their
//! charts drawn, and a statement load; the session cookie is HttpOnly and SameSite=Strict;
//! logout ends it. A screenshot of each page is kept in `target/web-screenshots/`.
//!
//! Chromium, its driver and a CJK font are installed with apt-get when they are missing (the
//! test runs as root on the CI machine); a failure to install fails the test and says why.

mod hub;
mod support;

use hub::{Counter, StoreKind, TestHub, free_port};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ADMIN: &str = "街道王芳";
const PASSWORD: &str = "qiao-2026-counter";

/// Chromium, chromedriver and a Chinese font, which `tests/run-all` installs.
fn ensure_chromium() {
    let have = |p: &str| Path::new(p).exists();
    let font = Path::new("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists()
        || Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists();
    assert!(
        have(CHROMIUM) && have(CHROMEDRIVER) && font,
        "chromium, chromium-driver and a Chinese font are needed: tests/run-all installs them"
    );
}

/// A chromedriver process and one browser session, ended on drop.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = agent()
                .get(format!("{base}/status"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver is not ready after 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1000",
            "--lang=zh-CN",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            _profile: profile,
        };
        let created = browser.call(
            "POST",
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            }}}),
        );
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a browser session: {created}"))
            .to_string();
        browser
    }

    /// One WebDriver command; its `value`.
    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let response = match method {
            "GET" => agent().get(&url).call(),
            "DELETE" => agent().delete(&url).call(),
            _ => agent()
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.to_string().as_bytes()),
        };
        let text = response
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
            .body_mut()
            .read_to_string()
            .unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        value["value"].clone()
    }

    fn at(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    fn go(&self, url: &str) {
        self.call("POST", &self.at("/url"), json!({ "url": url }));
    }

    fn url(&self) -> String {
        self.call("GET", &self.at("/url"), Value::Null)
            .as_str()
            .unwrap()
            .to_string()
    }

    fn source(&self) -> String {
        self.call("GET", &self.at("/source"), Value::Null)
            .as_str()
            .unwrap()
            .to_string()
    }

    fn find_all(&self, css: &str) -> Vec<String> {
        self.call(
            "POST",
            &self.at("/elements"),
            json!({"using": "css selector", "value": css}),
        )
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_object()?.values().next()?.as_str().map(String::from))
        .collect()
    }

    fn find(&self, css: &str) -> String {
        self.find_all(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {css} on {}", self.url()))
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.call(
            "POST",
            &self.at(&format!("/element/{element}/value")),
            json!({ "text": text }),
        );
    }

    fn click(&self, css: &str) {
        let element = self.find(css);
        self.call(
            "POST",
            &self.at(&format!("/element/{element}/click")),
            json!({}),
        );
    }

    /// (width, height) of an element as laid out.
    fn size(&self, element: &str) -> (f64, f64) {
        let rect = self.call(
            "GET",
            &self.at(&format!("/element/{element}/rect")),
            Value::Null,
        );
        (
            rect["width"].as_f64().unwrap(),
            rect["height"].as_f64().unwrap(),
        )
    }

    fn cookies(&self) -> Vec<Value> {
        self.call("GET", &self.at("/cookie"), Value::Null)
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits (bounded) until the address satisfies `done` and the page shows `css`: a page
    /// that has loaded, not one on its way.
    fn wait_page(&self, what: &str, done: impl Fn(&str) -> bool, css: &str) {
        let started = Instant::now();
        loop {
            let url = self.url();
            if done(&url) && !self.find_all(css).is_empty() {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what}: still at {url}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.call("GET", &self.at("/screenshot"), Value::Null);
        let bytes = base64_decode(png.as_str().unwrap());
        assert!(bytes.starts_with(b"\x89PNG"), "{name} is a PNG");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("web-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = agent().delete(&url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Standard base64 (what WebDriver sends screenshots in); a few lines rather than a crate
/// for one test.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u32> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | d << (18 - 6 * i));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

#[test]
fn the_street_offices_pages_in_a_real_browser_behind_a_login() {
    ensure_chromium();
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut a = Counter::enrolled(&hub, 0);
    let mut b = Counter::enrolled(&hub, 1);
    let (passbook, scan) = a.resident("张三明");
    let (_, other) = b.resident("欧阳娜娜");
    a.earn(&scan, 180);
    b.earn(&other, 90);
    a.sync(&hub);
    b.sync(&hub);
    // Spent at both counters before either synced: an overdraft to settle.
    a.redeem(&scan, "S01").unwrap();
    b.redeem(&scan, "S01").unwrap();
    a.sync(&hub);
    b.sync(&hub);
    hub.hub()
        .set_admin(ADMIN, PASSWORD, chrono::Utc::now())
        .unwrap();

    let browser = Browser::start();
    // Without a login: the login form, and nobody's data.
    browser.go(&format!("{}/web/overdrafts", hub.url));
    browser.wait_page("the login form", |u| u.contains("/web/login"), "#password");
    let login_page = browser.source();
    assert!(!login_page.contains("张*明") && !login_page.contains(&passbook));
    assert!(browser.cookies().iter().all(|c| c["name"] != "pd_session"));
    browser.screenshot("login");

    // A wrong password: still the form, with the reason.
    browser.type_into("#name", ADMIN);
    browser.type_into("#password", "wrong-password");
    browser.click("button[type=submit]");
    browser.wait_page("the refusal", |u| u.ends_with("/web/login"), "p.bad");
    assert!(browser.source().contains("密码"), "{}", browser.source());
    browser.screenshot("login-refused");

    // The right one: back to the page asked for.
    browser.go(&format!("{}/web/login?next=/web/overdrafts", hub.url));
    browser.type_into("#name", ADMIN);
    browser.type_into("#password", PASSWORD);
    browser.click("button[type=submit]");
    browser.wait_page(
        "the overdrafts",
        |u| u.ends_with("/web/overdrafts"),
        "form[action='/web/logout']",
    );
    let cookie = browser
        .cookies()
        .into_iter()
        .find(|c| c["name"] == "pd_session")
        .unwrap_or_else(|| {
            panic!(
                "a session cookie: {:?} at {}\n{}",
                browser.cookies(),
                browser.url(),
                browser.source()
            )
        });
    assert_eq!(cookie["httpOnly"], true, "{cookie}");
    assert_eq!(cookie["sameSite"], "Strict", "{cookie}");
    let overdrafts = browser.source();
    assert!(overdrafts.contains(&passbook), "{overdrafts}");
    assert!(overdrafts.contains("张*明"));
    assert!(!overdrafts.contains("张三明"), "names are masked");
    browser.screenshot("overdrafts");

    browser.go(&format!("{}/web/", hub.url));
    let overview = browser.source();
    assert!(overview.contains("三桥爱心超市") && overview.contains("二桥爱心超市"));
    browser.screenshot("overview");

    // The reports: each chart is laid out at a real size, with bars in it.
    for (kind, name) in [
        ("month", "report-month"),
        ("items", "report-items"),
        ("activities", "report-activities"),
    ] {
        browser.go(&format!("{}/web/reports?kind={kind}", hub.url));
        let charts = browser.find_all("svg.chart");
        assert!(!charts.is_empty(), "{kind}: a chart\n{}", browser.source());
        let (w, h) = browser.size(&charts[0]);
        assert!(w > 300.0 && h > 150.0, "{kind}: the chart is {w}×{h}");
        let bars = browser.find_all("svg.chart rect.bar");
        assert!(!bars.is_empty(), "{kind}: bars");
        assert!(
            bars.iter().any(|bar| browser.size(bar).1 > 1.0),
            "{kind}: a bar with a height"
        );
        assert!(!browser.source().contains("<script"));
        browser.screenshot(name);
    }
    browser.go(&format!("{}/web/reports?kind=month&lang=en", hub.url));
    assert!(browser.source().contains("Month total"));
    browser.screenshot("report-month-en");
    browser.go(&format!("{}/web/reports?kind=month&lang=zh", hub.url));

    browser.go(&format!("{}/web/resident?passbook={passbook}", hub.url));
    let statement = browser.source();
    for head in ["日期", "内容", "存入", "取出", "结余"] {
        assert!(statement.contains(head), "{head}");
    }
    browser.screenshot("resident");

    // Logout: the cookie is gone and the pages are closed again.
    browser.click("form[action='/web/logout'] button");
    browser.wait_page(
        "the login form after logout",
        |u| u.contains("/web/login"),
        "#password",
    );
    assert!(browser.cookies().iter().all(|c| c["name"] != "pd_session"));
    browser.go(&format!("{}/web/resident?passbook={passbook}", hub.url));
    browser.wait_page("the login form", |u| u.contains("/web/login"), "#password");
    assert!(!browser.source().contains("结余"));
}
