//! The street office's reports and web pages on a real hub (SQLite, and PostgreSQL in a
//! throwaway cluster), fed by two counters over the nightly sync: the district's month is the
//! sum of its counters' months, counter by counter; a statement by passbook number closes on
//! the counter's balance; and over HTTP nothing but the login form is served without a
//! session, the session cookie is HttpOnly and SameSite, five wrong passwords lock the name,
//! a POST from another site is refused, logout ends the session and names stay masked.

mod hub;

use hub::{Counter, StoreKind, TestHub};
use pointsdesk::i18n::Lang;
use pointsdesk::report::{Request, model::Cell};

const ADMIN: &str = "街道王芳";
const PASSWORD: &str = "qiao-2026-counter";

/// What a browser gets: status, headers of interest, body.
struct Answer {
    status: u16,
    location: Option<String>,
    set_cookie: Vec<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The session token the answer set, if it set one.
    fn session(&self) -> Option<String> {
        self.set_cookie
            .iter()
            .filter_map(|c| c.strip_prefix("pd_session="))
            .map(|c| c.split(';').next().unwrap_or_default().to_string())
            .find(|token| !token.is_empty())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into()
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    Answer {
        status: response.status().as_u16(),
        location: response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string()),
        set_cookie: response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect(),
        headers,
        body: response.body_mut().read_to_vec().unwrap(),
    }
}

fn get(hub: &TestHub, path: &str, session: Option<&str>) -> Answer {
    let mut request = agent().get(format!("{}{path}", hub.url));
    if let Some(token) = session {
        request = request.header("Cookie", format!("pd_session={token}"));
    }
    answer(request.call().unwrap())
}

fn post(hub: &TestHub, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Answer {
    post_with(hub, path, form, origin, None)
}

fn post_with(
    hub: &TestHub,
    path: &str,
    form: &[(&str, &str)],
    origin: Option<&str>,
    session: Option<&str>,
) -> Answer {
    let mut request = agent().post(format!("{}{path}", hub.url));
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    if let Some(token) = session {
        request = request.header("Cookie", format!("pd_session={token}"));
    }
    answer(request.send_form(form.iter().copied()).unwrap())
}

fn login(hub: &TestHub, name: &str, password: &str) -> Answer {
    post(
        hub,
        "/web/login",
        &[("name", name), ("password", password), ("next", "/web/")],
        None,
    )
}

/// (earned, spent) of a report section's total row.
fn earned_spent(total: &[Cell]) -> (i64, i64) {
    (total[1].number().unwrap(), total[2].number().unwrap())
}

fn story(kind: StoreKind) {
    let hub = TestHub::start(kind);
    let mut a = Counter::enrolled(&hub, 0);
    let mut b = Counter::enrolled(&hub, 1);
    let (a_book, a_scan) = a.resident("张三明");
    let (b_book, b_scan) = b.resident("欧阳娜娜");
    a.earn(&a_scan, 180);
    a.redeem(&a_scan, "G001").unwrap();
    a.redeem(&a_scan, "G001").unwrap();
    b.earn(&b_scan, 120);
    b.redeem(&b_scan, "S01").unwrap();
    a.sync(&hub);
    b.sync(&hub);
    // A's resident spends at B: an overdraft nobody at B could see before the sync.
    b.sync(&hub);
    let month = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m")
        .to_string();

    // The district's month is the sum of its counters' months.
    let district = hub
        .hub()
        .district_report(
            &Request::Month(month.clone()),
            Lang::ZhCn,
            chrono::Utc::now(),
        )
        .unwrap();
    let counter_month = |c: &Counter| {
        let report = Request::Month(month.clone())
            .build(
                &c.ledger
                    .report_figures(&Request::Month(month.clone()).days(), false, Lang::ZhCn)
                    .unwrap(),
                Lang::ZhCn,
                false,
            )
            .unwrap();
        earned_spent(report.sections[0].total.as_ref().unwrap())
    };
    let (a_sum, b_sum) = (counter_month(&a), counter_month(&b));
    assert_eq!(a_sum, (30, 10));
    assert_eq!(b_sum, (20, 20));
    assert_eq!(
        earned_spent(district.sections[0].total.as_ref().unwrap()),
        (a_sum.0 + b_sum.0, a_sum.1 + b_sum.1)
    );
    // Counter by counter, named.
    let by_counter = &district.sections[1];
    let text: String = by_counter
        .rows
        .iter()
        .map(|r| r.iter().map(Cell::shown).collect::<Vec<_>>().join(" ") + "\n")
        .collect();
    assert!(text.contains("三桥爱心超市"), "{text}");
    assert!(text.contains("二桥爱心超市"), "{text}");
    assert!(
        district
            .covers
            .iter()
            .any(|c| c.contains("2 个服务点的 2 个记录序列")),
        "{:?}",
        district.covers
    );

    // A statement by number closes on the counter's balance; names are masked.
    let statement = hub
        .hub()
        .district_report(
            &Request::Resident(a_book.clone()),
            Lang::ZhCn,
            chrono::Utc::now(),
        )
        .unwrap();
    let closing = statement.sections[0].total.as_ref().unwrap()[4]
        .number()
        .unwrap();
    assert_eq!(closing, a.balance(&a_book));
    assert!(statement.title.contains("张*明"), "{}", statement.title);
    assert!(!statement.title.contains("张三明"));
    let missing = hub
        .hub()
        .district_report(
            &Request::Resident("SQ-A999999".into()),
            Lang::ZhCn,
            chrono::Utc::now(),
        )
        .unwrap_err();
    assert!(missing.to_string().contains("SQ-A999999"), "{missing}");
    let _ = b_book;

    // ----- the web pages -----
    assert!(
        hub.hub()
            .set_admin(ADMIN, PASSWORD, chrono::Utc::now())
            .unwrap()
    );
    // Nothing without a session: every page sends the browser to the login form.
    for path in [
        "/web/",
        "/web/overdrafts",
        "/web/reports?kind=month",
        "/web/reports.xlsx?kind=month",
        "/web/reports.csv?kind=month",
        &format!("/web/resident?passbook={a_book}"),
    ] {
        let page = get(&hub, path, None);
        assert_eq!(page.status, 303, "{path}");
        assert!(
            page.location.as_deref().unwrap().starts_with("/web/login"),
            "{path}"
        );
        assert!(!page.text().contains("张"), "{path} shows nothing");
    }
    // A forged cookie is no session either.
    assert_eq!(get(&hub, "/web/", Some("forged")).status, 303);
    let form = get(&hub, "/web/login", None);
    assert_eq!(form.status, 200);
    assert!(form.text().contains("password"));
    assert_eq!(form.header("x-frame-options"), Some("DENY"));
    assert!(
        form.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );

    // A wrong password: 401, no cookie, a message in Chinese.
    let wrong = login(&hub, ADMIN, "not-the-password");
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    assert!(wrong.session().is_none());
    assert!(wrong.text().contains("密码"), "{}", wrong.text());
    // A POST from another site is refused, even with the right password.
    let foreign = post(
        &hub,
        "/web/login",
        &[("name", ADMIN), ("password", PASSWORD)],
        Some("http://evil.example"),
    );
    assert_eq!(foreign.status, 403);
    assert!(foreign.session().is_none());

    // The right password: a session cookie that scripts cannot read and other sites cannot send.
    let ok = login(&hub, ADMIN, PASSWORD);
    assert_eq!(ok.status, 303);
    assert_eq!(ok.location.as_deref(), Some("/web/"));
    let cookie = ok
        .set_cookie
        .iter()
        .find(|c| c.starts_with("pd_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/web"), "{cookie}");
    let session = ok.session().unwrap();

    let overview = get(&hub, "/web/", Some(&session));
    assert_eq!(overview.status, 200);
    assert!(overview.text().contains("三桥爱心超市"));
    assert!(overview.text().contains("二桥爱心超市"));
    assert_eq!(overview.header("cache-control"), Some("no-store"));

    let report = get(
        &hub,
        &format!("/web/reports?kind=month&period={month}"),
        Some(&session),
    );
    assert_eq!(report.status, 200);
    let html = report.text();
    assert!(html.contains("<svg"), "a chart drawn on the server");
    assert!(!html.contains("<script"), "no scripts");
    assert!(html.contains("本月合计"));
    let english = get(
        &hub,
        &format!("/web/reports?kind=month&period={month}&lang=en"),
        Some(&session),
    );
    assert!(english.text().contains("Month total"), "{}", english.text());
    assert!(
        english
            .set_cookie
            .iter()
            .any(|c| c.starts_with("pd_lang=en")),
        "the language is remembered"
    );

    let workbook = get(
        &hub,
        &format!("/web/reports.xlsx?kind=month&period={month}"),
        Some(&session),
    );
    assert_eq!(workbook.status, 200);
    use calamine::Reader;
    let mut book =
        calamine::Xlsx::new(std::io::Cursor::new(workbook.body.clone())).expect("a workbook");
    assert!(!book.sheet_names().is_empty());
    let first = book.sheet_names()[0].clone();
    assert!(book.worksheet_range(&first).is_ok());

    let resident = get(
        &hub,
        &format!("/web/resident?passbook={a_book}"),
        Some(&session),
    );
    assert_eq!(resident.status, 200);
    assert!(resident.text().contains("张*明"));
    assert!(!resident.text().contains("张三明"), "names are masked");
    assert!(resident.text().contains("结余"));
    let none = get(&hub, "/web/resident?passbook=SQ-A999999", Some(&session));
    assert!(none.text().contains("SQ-A999999"), "{}", none.text());

    // Logout ends the session on the hub, not only in the browser.
    let out = post_with(&hub, "/web/logout", &[], None, Some(&session));
    assert_eq!(out.status, 303);
    assert!(out.set_cookie.iter().any(|c| c.contains("Max-Age=0")));
    assert_eq!(get(&hub, "/web/", Some(&session)).status, 303);

    // Five wrong passwords lock the name: then even the right one is refused for a while.
    for _ in 0..5 {
        assert_eq!(login(&hub, ADMIN, "guess-guess").status, 401);
    }
    let locked = login(&hub, ADMIN, PASSWORD);
    assert_eq!(locked.status, 429, "{}", locked.text());
    assert!(locked.session().is_none());
    assert!(locked.text().contains("锁定"), "{}", locked.text());
    // A new password (`hub admin add` again) unlocks it.
    assert!(
        !hub.hub()
            .set_admin(ADMIN, "another-pass-2026", chrono::Utc::now())
            .unwrap()
    );
    assert_eq!(login(&hub, ADMIN, "another-pass-2026").status, 303);
}

#[test]
fn district_reports_and_web_pages_on_sqlite() {
    story(StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn district_reports_and_web_pages_on_postgresql() {
    story(StoreKind::Postgres);
}
