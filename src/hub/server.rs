//! The hub over HTTP (axum): the routes of [`super::openapi::ROUTES`], each a thin layer over
//! [`super::service::HubService`]. A refused request answers with its status and a
//! [`RefusalBody`] (the reason in both languages), and is logged and counted by reason.
//! TLS (rustls) when a certificate and key are given.

use super::metrics::Metrics;
use super::service::{HubService, SignedRequest};
use super::store::{AnyStore, Store};
use crate::district::Certificate;
use crate::district::protocol::{
    EnrollRequest, HEADER_DEVICE, HEADER_MORE, HEADER_NONCE, HEADER_PROTOCOL, HEADER_SIGNATURE,
    HEADER_TIME, PROTOCOL_VERSION, PROTOCOL_VERSION_MIN, PullRequest, REQUEST_BYTES_MAX, Refusal,
};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

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

/// Checks the protocol and the signature; the device on success.
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
        device: header_str(headers, HEADER_DEVICE),
        time_ms: header_str(headers, HEADER_TIME),
        nonce: header_str(headers, HEADER_NONCE),
        signature: header_str(headers, HEADER_SIGNATURE),
    };
    hub.authenticate(&request, now_ms())
        .await
        .map_err(|(refusal, offset)| refused(&hub.metrics, route, refusal, offset))
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

async fn push(
    State(hub): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let answer = async {
        let device = match signed(&hub, "push", &method, &uri, &headers, &body).await {
            Ok(d) => d,
            Err(r) => return r,
        };
        match hub.push(device, &body, chrono::Utc::now()).await {
            Ok(response) => Json(response).into_response(),
            Err(refusal) => refused(&hub.metrics, "push", refusal, None),
        }
    }
    .await;
    hub.metrics.observe("push", started.elapsed());
    answer
}

async fn pull(
    State(hub): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let answer = async {
        let device = match signed(&hub, "pull", &method, &uri, &headers, &body).await {
            Ok(d) => d,
            Err(r) => return r,
        };
        let Ok(request) = serde_json::from_slice::<PullRequest>(&body) else {
            return refused(&hub.metrics, "pull", Refusal::Unreadable, None);
        };
        match hub.pull(device, &request, chrono::Utc::now()).await {
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

/// The routes of [`super::openapi::ROUTES`], and the street office's web pages
/// ([`super::web`]; their cookies `Secure` when `secure`).
pub fn router(hub: Shared, secure: bool) -> Router {
    let web = super::web::router(hub.clone(), secure);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/enroll", post(enroll))
        .route("/v1/enroll/certificate", post(certificate))
        .route("/v1/heads", get(heads))
        .route("/v1/push", post(push))
        .route("/v1/pull", post(pull))
        .layer(DefaultBodyLimit::max(REQUEST_BYTES_MAX))
        .with_state(hub)
        .merge(web)
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

/// Serves until `shutdown` completes.
pub async fn serve(
    hub: Shared,
    listener: tokio::net::TcpListener,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(hub, tls.is_some());
    let Some(tls) = tls else {
        return axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(stream).await else {
                tracing::debug!(%peer, "TLS handshake failed");
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
        });
    }
}
