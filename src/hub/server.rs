//! The hub over HTTP (axum): the routes of [`super::openapi::ROUTES`], each a thin layer over
//! [`super::service::HubService`]. A refused request answers with its status and a
//! [`RefusalBody`] (the reason in both languages), and is logged and counted by reason.
//! TLS (rustls) when a certificate and key are given.

use super::metrics::Metrics;
use super::service::{HubService, SignedRequest};
use super::store::{AnyStore, Store};
use crate::district::Certificate;
use crate::district::auth;
use crate::district::protocol::{
    CLOCK_WINDOW_MS, EnrollRequest, HEADER_MORE, HEADER_NONCE, HEADER_PROTOCOL, HEADER_SERIES,
    HEADER_SIGNATURE, HEADER_TIME, PROTOCOL_VERSION, PROTOCOL_VERSION_MIN, PullRequest,
    REQUEST_BYTES_MAX, Refusal,
};
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type Shared = Arc<HubService<AnyStore>>;

/// The answer to a refused request.
fn refused(
    metrics: &Metrics,
    route: &str,
    refusal: Refusal,
    clock_offset_ms: Option<i64>,
) -> Response {
    metrics.refused(refusal.code(), 1);
    tracing::warn!(
        route,
        reason = refusal.code(),
        clock_offset_ms,
        "request refused"
    );
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(refusal.body(clock_offset_ms))).into_response()
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The protocol the request speaks, if the hub serves it.
fn protocol_ok(headers: &HeaderMap) -> bool {
    header_str(headers, HEADER_PROTOCOL)
        .and_then(|v| v.trim().parse::<u32>().ok())
        .is_some_and(|v| (PROTOCOL_VERSION_MIN..=PROTOCOL_VERSION).contains(&v))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Checks the protocol and the signature; the series_id on success.
async fn signed(
    hub: &Shared,
    route: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<uuid::Uuid, Response> {
    if !protocol_ok(headers) {
        return Err(refused(&hub.metrics, route, Refusal::Protocol, None));
    }
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path(), |p| p.as_str());
    let request = SignedRequest {
        method: method.as_str(),
        path,
        body,
        series_id: header_str(headers, HEADER_SERIES),
        time_ms: header_str(headers, HEADER_TIME),
        nonce: header_str(headers, HEADER_NONCE),
        signature: header_str(headers, HEADER_SIGNATURE),
    };
    hub.authenticate(&request, now_ms())
        .await
        .map_err(|(refusal, offset)| refused(&hub.metrics, route, refusal, offset))
}

/// What the headers of a signed request say, checked before its body is read: the protocol,
/// a series_id the hub knows, a time inside the window. A request that fails here is answered
/// without reading its body, so bodies nobody signed cost the hub no memory.
async fn admissible(hub: &Shared, route: &str, headers: &HeaderMap) -> Result<(), Response> {
    if !protocol_ok(headers) {
        return Err(refused(&hub.metrics, route, Refusal::Protocol, None));
    }
    let Some(series_id) =
        header_str(headers, HEADER_SERIES).and_then(|d| uuid::Uuid::parse_str(d).ok())
    else {
        return Err(refused(&hub.metrics, route, Refusal::UnknownDevice, None));
    };
    let Some(time_ms) = header_str(headers, HEADER_TIME).and_then(|t| t.parse::<i64>().ok()) else {
        return Err(refused(&hub.metrics, route, Refusal::BadSignature, None));
    };
    if let Some(offset) = auth::clock_offset_outside(now_ms(), time_ms, CLOCK_WINDOW_MS) {
        return Err(refused(&hub.metrics, route, Refusal::Clock, Some(offset)));
    }
    match hub.store.series_key(series_id).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(refused(&hub.metrics, route, Refusal::UnknownDevice, None)),
        Err(e) => {
            tracing::error!("store: {e}");
            Err(refused(&hub.metrics, route, Refusal::Store, None))
        }
    }
}

/// A signed request's series_id and body: the headers checked first ([`admissible`]), then at
/// most `bytes_max` of body read, then the signature over it.
async fn signed_body(
    hub: &Shared,
    route: &str,
    request: Request,
    bytes_max: usize,
) -> Result<(uuid::Uuid, Bytes), Response> {
    let (parts, body) = request.into_parts();
    admissible(hub, route, &parts.headers).await?;
    let declared = header_str(&parts.headers, header::CONTENT_LENGTH.as_str())
        .and_then(|l| l.parse::<u64>().ok());
    if declared.is_some_and(|l| l > bytes_max as u64) {
        return Err(refused(&hub.metrics, route, Refusal::TooLarge, None));
    }
    // Beyond the limit without a declared length (chunked), or cut: unreadable either way.
    let body = axum::body::to_bytes(body, bytes_max)
        .await
        .map_err(|_| refused(&hub.metrics, route, Refusal::Unreadable, None))?;
    let series_id = signed(hub, route, &parts.method, &parts.uri, &parts.headers, &body).await?;
    Ok((series_id, body))
}

async fn healthz(State(hub): State<Shared>) -> Response {
    match hub.store.entry_count().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!("health: store: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}

async fn metrics(State(hub): State<Shared>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        hub.metrics.render(),
    )
        .into_response()
}

async fn openapi() -> Response {
    Json(super::openapi::document()).into_response()
}

async fn enroll(State(hub): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let answer = async {
        if !protocol_ok(&headers) {
            return refused(&hub.metrics, "enroll", Refusal::Protocol, None);
        }
        if crate::domain::text::json_holds_nul(&body) {
            return refused(&hub.metrics, "enroll", Refusal::NulText, None);
        }
        let Ok(request) = serde_json::from_slice::<EnrollRequest>(&body) else {
            return refused(&hub.metrics, "enroll", Refusal::Unreadable, None);
        };
        match hub.redeem(&request, chrono::Utc::now()).await {
            Ok(response) => {
                tracing::info!(counter = ?request.counter, "enrolled");
                Json(response).into_response()
            }
            Err(refusal) => refused(&hub.metrics, "enroll", refusal, None),
        }
    }
    .await;
    hub.metrics.observe("enroll", started.elapsed());
    answer
}

async fn certificate(State(hub): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let answer = async {
        if !protocol_ok(&headers) {
            return refused(&hub.metrics, "certificate", Refusal::Protocol, None);
        }
        if crate::domain::text::json_holds_nul(&body) {
            return refused(&hub.metrics, "certificate", Refusal::NulText, None);
        }
        let Ok(certificate) = serde_json::from_slice::<Certificate>(&body) else {
            return refused(&hub.metrics, "certificate", Refusal::Unreadable, None);
        };
        match hub
            .register_certificate(&certificate, chrono::Utc::now())
            .await
        {
            Ok(()) => Json(serde_json::json!({})).into_response(),
            Err(refusal) => refused(&hub.metrics, "certificate", refusal, None),
        }
    }
    .await;
    hub.metrics.observe("certificate", started.elapsed());
    answer
}

async fn heads(
    State(hub): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let answer = async {
        if let Err(r) = signed(&hub, "heads", &method, &uri, &headers, &[]).await {
            return r;
        }
        match hub.heads(chrono::Utc::now()).await {
            Ok(heads) => Json(heads).into_response(),
            Err(refusal) => refused(&hub.metrics, "heads", refusal, None),
        }
    }
    .await;
    hub.metrics.observe("heads", started.elapsed());
    answer
}

async fn push(State(hub): State<Shared>, request: Request) -> Response {
    let started = Instant::now();
    let answer = async {
        let (series_id, body) = match signed_body(&hub, "push", request, REQUEST_BYTES_MAX).await {
            Ok(signed) => signed,
            Err(r) => return r,
        };
        match hub.push(series_id, &body, chrono::Utc::now()).await {
            Ok(response) => Json(response).into_response(),
            Err(refusal) => refused(&hub.metrics, "push", refusal, None),
        }
    }
    .await;
    hub.metrics.observe("push", started.elapsed());
    answer
}

async fn pull(State(hub): State<Shared>, request: Request) -> Response {
    let started = Instant::now();
    let answer = async {
        let (series_id, body) = match signed_body(&hub, "pull", request, PULL_BYTES_MAX).await {
            Ok(signed) => signed,
            Err(r) => return r,
        };
        let Ok(request) = serde_json::from_slice::<PullRequest>(&body) else {
            return refused(&hub.metrics, "pull", Refusal::Unreadable, None);
        };
        match hub.pull(series_id, &request, chrono::Utc::now()).await {
            Ok((bytes, more)) => {
                let mut response = bytes.into_response();
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                headers.insert(
                    HEADER_MORE,
                    HeaderValue::from_static(if more { "1" } else { "0" }),
                );
                response
            }
            Err(refusal) => refused(&hub.metrics, "pull", refusal, None),
        }
    }
    .await;
    hub.metrics.observe("pull", started.elapsed());
    answer
}

/// The largest body of a pull (the counter's heads: a few dozen bytes a series).
pub const PULL_BYTES_MAX: usize = 1 << 20;
/// The largest body of an enrolment or a certificate, read without a signature.
pub const ENROL_BYTES_MAX: usize = 64 << 10;
/// How long browsers are told to reach the hub only over TLS, once they have (HSTS).
pub const HSTS_MAX_AGE_S: u64 = 365 * 24 * 60 * 60;

/// The routes of [`super::openapi::ROUTES`], and the street office's web pages
/// ([`super::web`]; their cookies `Secure` when `secure`). Every answer carries the security
/// headers ([`security_headers`]), a refusal and a 404 too.
pub fn router(hub: Shared, secure: bool) -> Router {
    let web = super::web::router(hub.clone(), secure);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .route(
            "/v1/enroll",
            post(enroll).layer(DefaultBodyLimit::max(ENROL_BYTES_MAX)),
        )
        .route(
            "/v1/enroll/certificate",
            post(certificate).layer(DefaultBodyLimit::max(ENROL_BYTES_MAX)),
        )
        .route("/v1/heads", get(heads))
        .route("/v1/push", post(push))
        .route("/v1/pull", post(pull))
        .with_state(hub)
        .merge(web)
        .layer(axum::middleware::map_response_with_state(
            secure,
            security_headers,
        ))
}

/// No caching, framing, scripts, sniffing, nor referrers to other sites: the pages hold
/// residents' data, and nothing else the hub answers needs any of it. Under TLS, browsers
/// are told to come back only over TLS (HSTS). (`same-origin`, not `no-referrer`: under
/// `no-referrer` a browser sends `Origin: null` with its own form posts, which the pages rightly
/// refuse.)
async fn security_headers(State(tls): State<bool>, mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if tls && let Ok(v) = HeaderValue::from_str(&format!("max-age={HSTS_MAX_AGE_S}")) {
        h.insert(header::STRICT_TRANSPORT_SECURITY, v);
    }
    response
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsProblem {
    #[error("{path}: {problem}")]
    File { path: String, problem: String },
    #[error("{0}")]
    Config(String),
}

/// A rustls server configuration from PEM files.
pub fn tls_config(
    cert: &Path,
    key: &Path,
) -> Result<Arc<tokio_rustls::rustls::ServerConfig>, TlsProblem> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let file = |path: &Path, problem: String| TlsProblem::File {
        path: path.display().to_string(),
        problem,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file(cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(file(cert, "no certificate in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| file(key, e.to_string()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| TlsProblem::Config(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| TlsProblem::Config(e.to_string()))?;
    Ok(Arc::new(config))
}

/// Longest a connection may take to send a request's headers, counted from when the hub
/// waits for them: after the connection opens, and again after each answer on a kept-alive
/// connection. So it is also how long an idle connection stays open.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a TLS handshake may take.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once at most; more wait in the kernel's queue until one closes.
/// Lower when the process may open fewer files (see [`connections_max`]).
pub const CONNECTIONS_MAX: usize = 4096;
/// File descriptors kept for everything but connections: the store's files and connections,
/// the log, the listener.
pub const FILES_RESERVED: usize = 64;
/// How long the hub waits after a failed accept (out of file descriptors, say) before it
/// accepts again.
pub const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);
/// How long a stopping hub lets the requests under way finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Connections this process may hold at once: [`CONNECTIONS_MAX`], or fewer when its file
/// limit (`LimitNOFILE`, `ulimit -n`) leaves less beside [`FILES_RESERVED`].
pub fn connections_max() -> usize {
    let files = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    files
        .saturating_sub(FILES_RESERVED)
        .clamp(FILES_RESERVED / 4, CONNECTIONS_MAX)
}

/// Serves until `shutdown` completes, then lets the requests under way finish (at most
/// [`SHUTDOWN_GRACE`]). Every connection holds a permit of [`connections_max`]; one that sends
/// no request within [`HEADER_READ_TIMEOUT`] is closed; a failed accept is logged and tried
/// again, never the end of the hub.
pub async fn serve(
    hub: Shared,
    listener: tokio::net::TcpListener,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(hub, tls.is_some());
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let limit = connections_max();
    let permits = Arc::new(tokio::sync::Semaphore::new(limit));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    tracing::info!(connections_max = limit, "accepting");
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; accepting again shortly");
                    tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(connection(
            stream,
            peer,
            app.clone(),
            acceptor.clone(),
            stopping.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, permits.acquire_many(limit))
        .await
        .is_err()
    {
        tracing::warn!("stopping with requests still under way");
    }
    Ok(())
}

/// One connection, TLS or plain, until it closes or the hub stops; the permit is given back
/// when it ends.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stopping: tokio::sync::watch::Receiver<bool>,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => http(stream, peer, app, stopping).await,
        Some(acceptor) => {
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => http(stream, peer, app, stopping).await,
                Ok(Err(_)) | Err(_) => tracing::debug!(%peer, "TLS handshake failed"),
            }
        }
    }
}

/// HTTP/1.1 on a connection, each request told its peer's address.
async fn http<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tower::Layer;
    let app = axum::Extension(ConnectInfo(peer)).layer(app);
    let service = hyper_util::service::TowerToHyperService::new(app);
    // HTTP/1 only: guessing the version would wait for the first bytes without a timeout.
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
            .http1_only();
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stopping.wait_for(|stop| *stop) => conn.as_mut().graceful_shutdown(),
    }
    let _ = conn.await;
}
