//! The street office's web pages over HTTP: a login, then the district overview, overdrafts,
//! reports with charts (and their workbook and CSV), a resident's statement. Nothing but the
//! login form is served without a session; the session cookie is HttpOnly, SameSite=Strict,
//! Secure under TLS; every answer forbids caching, framing and scripts (the server's
//! security headers, on everything it answers).

use super::admins::{LoginGuard, LoginRefusal};
use super::pages::{self, Page};
use super::server::Shared;
use crate::i18n::Lang;
use crate::report::Request;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// The session cookie.
pub const SESSION_COOKIE: &str = "pd_session";
/// The language cookie (`zh` or `en`).
pub const LANG_COOKIE: &str = "pd_lang";

/// What the pages need besides the hub.
#[derive(Clone)]
struct Web {
    hub: Shared,
    /// Served over TLS: cookies are `Secure`.
    secure: bool,
    logins: Arc<LoginGuard>,
}

/// The largest form a page posts (a login: a name and a password).
pub const FORM_BYTES_MAX: usize = 16 << 10;

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

/// The language asked for in the query, else the cookie's, else Simplified Chinese.
fn language(headers: &HeaderMap, asked: Option<&str>) -> Lang {
    match asked.or_else(|| cookie(headers, LANG_COOKIE)) {
        Some(l) if l.starts_with("en") => Lang::En,
        _ => Lang::ZhCn,
    }
}

/// A page answer with the headers every page carries (and the language remembered).
fn page(status: StatusCode, html: String, lang_asked: Option<Lang>, secure: bool) -> Response {
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Some(lang) = lang_asked {
        let value = format!(
            "{LANG_COOKIE}={}; Path=/web; Max-Age=31536000; HttpOnly; SameSite=Strict{}",
            lang.pick("zh", "en"),
            if secure { "; Secure" } else { "" }
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.append(header::SET_COOKIE, v);
        }
    }
    response
}

/// The logged-in administrator, or the answer sending the browser to the login form.
async fn admin(web: &Web, headers: &HeaderMap, uri: &Uri) -> Result<String, Response> {
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        match web.hub.web_admin(token, chrono::Utc::now()).await {
            Ok(Some(admin)) => return Ok(admin),
            Ok(None) => {}
            Err(e) => {
                tracing::error!("web session: store: {e}");
                return Err(
                    (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
                );
            }
        }
    }
    let next = uri.path_and_query().map_or("/web/", |p| p.as_str());
    Err(Redirect::to(&format!("/web/login?next={}", pages::url_encode(next))).into_response())
}

/// A POST from another site is refused (the cookie is SameSite=Strict as well).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}

/// Only a path of these pages is a place to go back to after the login. `None` for a path
/// with control characters (CR/LF would split the redirect's header): a bad request.
fn safe_next(next: Option<&str>) -> Option<String> {
    match next {
        Some(n) if n.chars().any(char::is_control) => None,
        Some(n) if n.starts_with("/web/") && !n.starts_with("//") && !n.contains('\\') => {
            Some(n.to_string())
        }
        _ => Some("/web/".to_string()),
    }
}

/// The answer to a `next` that is no path at all.
fn bad_next(lang: Lang, secure: bool) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        pages::problem(lang.pick(
            "“next” 参数含有控制字符，不是网页地址。",
            "The “next” parameter holds control characters: it is no page's address.",
        )),
        None,
        secure,
    )
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

async fn login_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let lang = language(&headers, q.lang.as_deref());
    let Some(next) = safe_next(q.next.as_deref()) else {
        return bad_next(lang, web.secure);
    };
    page(
        StatusCode::OK,
        pages::login(lang, &next, None),
        q.lang.is_some().then_some(lang),
        web.secure,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = language(&headers, None);
    if !same_origin(&headers) {
        return page(StatusCode::FORBIDDEN, String::new(), None, web.secure);
    }
    let Some(next) = safe_next(form.next.as_deref()) else {
        return bad_next(lang, web.secure);
    };
    match web
        .hub
        .web_login(
            &web.logins,
            peer.ip(),
            &form.name,
            &form.password,
            chrono::Utc::now(),
        )
        .await
    {
        Ok(token) => {
            let mut response = Redirect::to(&next).into_response();
            let value = format!(
                "{SESSION_COOKIE}={token}; Path=/web; Max-Age={}; HttpOnly; SameSite=Strict{}",
                super::admins::WEB_SESSION_MS / 1000,
                if web.secure { "; Secure" } else { "" }
            );
            let h = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(header::SET_COOKIE, v);
            }
            response
        }
        Err(refusal) => {
            if let LoginRefusal::Store(e) = &refusal {
                tracing::error!("web login: store: {e}");
            }
            let status = match refusal {
                LoginRefusal::Wrong => StatusCode::UNAUTHORIZED,
                LoginRefusal::Locked { .. } | LoginRefusal::TooFast => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                LoginRefusal::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            page(
                status,
                pages::login(lang, &next, Some(&refusal.message(lang))),
                None,
                web.secure,
            )
        }
    }
}

async fn logout(State(web): State<Web>, headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return page(StatusCode::FORBIDDEN, String::new(), None, web.secure);
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = web.hub.web_logout(token).await
    {
        tracing::error!("web logout: store: {e}");
    }
    let mut response = Redirect::to("/web/login").into_response();
    let value = format!(
        "{SESSION_COOKIE}=; Path=/web; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if web.secure { "; Secure" } else { "" }
    );
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(header::SET_COOKIE, v);
    }
    response
}

/// Runs a page for a logged-in administrator and times it.
async fn guarded<F, Fut>(
    web: &Web,
    headers: &HeaderMap,
    uri: &Uri,
    lang_asked: Option<&str>,
    route: &'static str,
    make: F,
) -> Response
where
    F: FnOnce(Lang, String) -> Fut,
    Fut: std::future::Future<Output = (StatusCode, String)>,
{
    let started = Instant::now();
    let answer = match admin(web, headers, uri).await {
        Err(r) => r,
        Ok(admin) => {
            let lang = language(headers, lang_asked);
            let (status, html) = make(lang, admin).await;
            page(
                status,
                html,
                lang_asked.is_some().then_some(lang),
                web.secure,
            )
        }
    };
    web.hub.metrics.observe(route, started.elapsed());
    answer
}

fn here(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_string(), |p| p.as_str().to_string())
        .split("&lang=")
        .next()
        .unwrap_or_default()
        .split("?lang=")
        .next()
        .unwrap_or_default()
        .to_string()
}

fn store_failed(lang: Lang, e: impl std::fmt::Display) -> (StatusCode, String) {
    tracing::error!("web page: store: {e}");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        pages::problem(lang.pick(
            "街道中心的数据库暂时不可用，请稍后再试。",
            "The hub's store is not available; try again later.",
        )),
    )
}

async fn overview(
    State(web): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<LangQuery>,
) -> Response {
    let hub = web.hub.clone();
    let spot = here(&uri);
    guarded(
        &web,
        &headers,
        &uri,
        q.lang.as_deref(),
        "web_overview",
        |lang, admin| async move {
            let title = lang.pick("全区概览", "District overview");
            match hub.report().await {
                Ok(report) => (
                    StatusCode::OK,
                    pages::framed(
                        lang,
                        &hub.key.name,
                        &admin,
                        Page::Overview,
                        &spot,
                        title,
                        &pages::overview(lang, &report),
                    ),
                ),
                Err(e) => store_failed(lang, e),
            }
        },
    )
    .await
}

/// A report page: the form, then the report with its charts, or what was wrong with the ask.
async fn report_page(
    web: &Web,
    lang: Lang,
    admin: &str,
    page: Page,
    here: &str,
    request: Request,
) -> (StatusCode, String) {
    let hub = &web.hub;
    let form = match &request {
        Request::Resident(p) => pages::passbook_form(lang, p),
        Request::Overdrafts => String::new(),
        other => pages::report_form(lang, other),
    };
    let (status, title, body) = match hub
        .district_report(&request, lang, chrono::Utc::now())
        .await
    {
        Ok(report) => (
            StatusCode::OK,
            report.title.clone(),
            pages::report_body(&report),
        ),
        Err(super::reports::ReportError::Store(e)) => {
            let (status, body) = store_failed(lang, e);
            (status, page.name(lang).to_string(), body)
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            page.name(lang).to_string(),
            pages::problem(&e.message(lang)),
        ),
    };
    (
        status,
        pages::framed(
            lang,
            &hub.key.name,
            admin,
            page,
            here,
            &title,
            &format!("{form}{body}"),
        ),
    )
}

async fn overdrafts(
    State(web): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<LangQuery>,
) -> Response {
    let w = web.clone();
    let spot = here(&uri);
    guarded(
        &web,
        &headers,
        &uri,
        q.lang.as_deref(),
        "web_overdrafts",
        |lang, admin| async move {
            report_page(
                &w,
                lang,
                &admin,
                Page::Overdrafts,
                &spot,
                Request::Overdrafts,
            )
            .await
        },
    )
    .await
}

#[derive(Deserialize)]
struct ReportQuery {
    kind: Option<String>,
    period: Option<String>,
    lang: Option<String>,
}

/// The report a query asks for; this month's report by default.
fn request_of(web: &Web, q: &ReportQuery) -> Request {
    let now = chrono::Utc::now();
    let period = q
        .period
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    let month = || period.clone().unwrap_or_else(|| web.hub.this_month(now));
    match q.kind.as_deref() {
        Some("day") => Request::Day(period.clone().unwrap_or_else(|| web.hub.today(now))),
        Some("items") => Request::Items(month()),
        Some("activities") => Request::Activities(month()),
        Some("resident") => Request::Resident(period.clone().unwrap_or_default()),
        Some("overdrafts") => Request::Overdrafts,
        _ => Request::Month(month()),
    }
}

async fn reports(
    State(web): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<ReportQuery>,
) -> Response {
    let w = web.clone();
    let request = request_of(&web, &q);
    let spot = here(&uri);
    guarded(
        &web,
        &headers,
        &uri,
        q.lang.as_deref(),
        "web_reports",
        |lang, admin| async move {
            let page = match request {
                Request::Resident(_) => Page::Resident,
                Request::Overdrafts => Page::Overdrafts,
                _ => Page::Reports,
            };
            report_page(&w, lang, &admin, page, &spot, request).await
        },
    )
    .await
}

#[derive(Deserialize)]
struct ResidentQuery {
    passbook: Option<String>,
    lang: Option<String>,
}

async fn resident(
    State(web): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<ResidentQuery>,
) -> Response {
    let w = web.clone();
    let passbook = q.passbook.clone().unwrap_or_default().trim().to_string();
    let spot = here(&uri);
    guarded(
        &web,
        &headers,
        &uri,
        q.lang.as_deref(),
        "web_resident",
        |lang, admin| async move {
            if passbook.is_empty() {
                let title = lang.pick("居民对账单", "Resident's statement");
                return (
                    StatusCode::OK,
                    pages::framed(
                        lang,
                        &w.hub.key.name,
                        &admin,
                        Page::Resident,
                        &spot,
                        title,
                        &pages::passbook_form(lang, ""),
                    ),
                );
            }
            report_page(
                &w,
                lang,
                &admin,
                Page::Resident,
                &spot,
                Request::Resident(passbook),
            )
            .await
        },
    )
    .await
}

/// A report as a file to download: the workbook or the CSV.
async fn download(web: Web, headers: HeaderMap, uri: Uri, q: ReportQuery, xlsx: bool) -> Response {
    if let Err(r) = admin(&web, &headers, &uri).await {
        return r;
    }
    let lang = language(&headers, q.lang.as_deref());
    let request = request_of(&web, &q);
    let report = match web
        .hub
        .district_report(&request, lang, chrono::Utc::now())
        .await
    {
        Ok(r) => r,
        Err(e) => {
            return page(
                StatusCode::BAD_REQUEST,
                pages::problem(&e.message(lang)),
                None,
                web.secure,
            );
        }
    };
    let (bytes, mime, ext) = if xlsx {
        match crate::report::xlsx::workbook(&report) {
            Ok(b) => (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Err(e) => {
                tracing::error!("workbook: {e}");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    } else {
        (
            crate::report::render::csv(&report),
            "text/csv; charset=utf-8",
            "csv",
        )
    };
    let name = format!("{}-{}.{ext}", report.kind, report.period);
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"report.{ext}\"; filename*=UTF-8''{}",
        pages::url_encode(&name)
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

async fn xlsx(
    State(web): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<ReportQuery>,
) -> Response {
    download(web, headers, uri, q, true).await
}

async fn csv(
    State(web): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<ReportQuery>,
) -> Response {
    download(web, headers, uri, q, false).await
}

/// The pages' routes, under `/web/`.
pub fn router(hub: Shared, secure: bool) -> Router {
    let web = Web {
        hub,
        secure,
        logins: Arc::new(LoginGuard::default()),
    };
    Router::new()
        .route("/", get(|| async { Redirect::to("/web/") }))
        .route("/web", get(|| async { Redirect::to("/web/") }))
        .route("/web/", get(overview))
        .route("/web/login", get(login_form).post(login))
        .route("/web/logout", post(logout))
        .route("/web/overdrafts", get(overdrafts))
        .route("/web/reports", get(reports))
        .route("/web/reports.xlsx", get(xlsx))
        .route("/web/reports.csv", get(csv))
        .route("/web/resident", get(resident))
        .layer(DefaultBodyLimit::max(FORM_BYTES_MAX))
        .with_state(web)
}
