//! The counter's side of the hub's protocol over HTTP(S) (ureq, blocking: the nightly job and
//! `sync enroll` run on their own). Every request but the enrolment is signed by the device key
//! with a fresh nonce; a refusal comes back with the hub's words for it.

use crate::district::protocol::{
    EnrollRequest, EnrollResponse, HEADER_MORE, HEADER_NONCE, HEADER_PROTOCOL, HEADER_SERIES,
    HEADER_SIGNATURE, HEADER_TIME, HeadsResponse, PROTOCOL_VERSION, PullRequest, PushResponse,
    RefusalBody,
};
use crate::district::{Certificate, auth};
use crate::domain::text::shown_safely;
use crate::i18n::Lang;
use crate::keys::Device;
use std::time::Duration;

/// Longest a request may take, connection to last byte (a page is a few hundred KB).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer read (a pull of 1,000 entries is well below).
pub const RESPONSE_BYTES_MAX: u64 = 64 << 20;
/// Longest `doctor` waits for the hub's clock: a check, not a sync.
pub const CLOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a request to the hub did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The hub could not be reached, or the connection broke: nothing is known of the request.
    #[error("network: {0}")]
    Network(String),
    /// The hub refused the request, saying why.
    #[error("refused: {}", .0.message_en)]
    Refused(RefusalBody),
    /// An answer that is not the protocol's (a proxy's error page, a cut body); its text
    /// without control characters.
    #[error("the hub answered {status}: {text}")]
    Unexpected { status: u16, text: String },
    /// The hub's address answered with a redirect, which the client never follows: its signed
    /// headers are for the hub alone.
    #[error("the hub answered {status}, redirecting to {location}")]
    Redirected { status: u16, location: String },
    /// `--ca` or the stored certificate authority is not PEM.
    #[error("certificate authority: {0}")]
    Ca(String),
}

impl ClientError {
    /// The problem in the operator's language, with what to do.
    pub fn message(&self, lang: Lang, hub: &str) -> String {
        match self {
            ClientError::Network(detail) => match (lang, shown_safely(detail)) {
                (Lang::ZhCn, detail) => format!(
                    "连不上街道中心 {hub}（{detail}）：请检查网络后再同步；本机记录都在，下次同步会补上。"
                ),
                (Lang::En, detail) => format!(
                    "Cannot reach the hub {hub} ({detail}): check the network and sync again; nothing here is lost, the next sync catches up."
                ),
            },
            ClientError::Refused(body) => match lang {
                Lang::ZhCn => body.message_zh.clone(),
                Lang::En => body.message_en.clone(),
            },
            ClientError::Unexpected { status, text } => match lang {
                Lang::ZhCn => format!(
                    "街道中心 {hub} 的回答不对（{status}：{text}）：请确认地址是 pointsdesk 街道中心。"
                ),
                Lang::En => format!(
                    "The hub {hub} gave an answer that is not pointsdesk's ({status}: {text}): check the address."
                ),
            },
            ClientError::Redirected { status, location } => match lang {
                Lang::ZhCn => format!(
                    "街道中心地址 {hub} 把请求转到了 {location}（{status}）。本机不跟随转址：请确认街道中心的地址（例如 http 与 https），用正确的地址再试。"
                ),
                Lang::En => format!(
                    "The hub address {hub} redirects to {location} ({status}). This counter follows no redirect: check the hub's address (http or https, say) and try again with the right one."
                ),
            },
            ClientError::Ca(detail) => match lang {
                Lang::ZhCn => format!("街道中心的证书文件不对（{detail}）：请给 PEM 格式的证书。"),
                Lang::En => format!(
                    "The hub's certificate file is not valid ({detail}): give a PEM certificate."
                ),
            },
        }
    }
}

/// Whether `base` is plain HTTP to a host other than this computer: an enrolment's answer
/// carries the district's data key, which anyone on the way could then read.
pub fn plain_http_elsewhere(base: &str) -> bool {
    let base = base.trim();
    let Some(rest) = base
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &base[7..])
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

/// Characters of a hub's unexpected answer shown at most.
const SHOWN_CHARS_MAX: usize = 200;

/// Bytes from the hub as text that is safe on a terminal: no escape sequences or other
/// control characters, at most [`SHOWN_CHARS_MAX`] characters.
fn shown(bytes: &[u8]) -> String {
    shown_safely(&String::from_utf8_lossy(bytes))
        .chars()
        .take(SHOWN_CHARS_MAX)
        .collect()
}

/// The hub at `base` (`https://hub.example:8443`).
pub struct HubClient {
    agent: ureq::Agent,
    base: String,
}

impl HubClient {
    /// A client trusting the web's root certificates, or only `ca_pem` when given.
    pub fn new(base: &str, ca_pem: Option<&str>) -> Result<HubClient, ClientError> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = ca_pem {
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(pem.as_bytes())
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<_, _>>()
                .map_err(|e| ClientError::Ca(e.to_string()))?;
            if certs.is_empty() {
                return Err(ClientError::Ca("no certificate".into()));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            // A redirect is answered as it is and refused (see `answer`), never followed.
            .max_redirects(0)
            .tls_config(tls.build())
            .build()
            .into();
        Ok(HubClient {
            agent,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn answer(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(Vec<u8>, bool), ClientError> {
        let mut response = response.map_err(|e| ClientError::Network(e.to_string()))?;
        let status = response.status().as_u16();
        let more = response
            .headers()
            .get(HEADER_MORE)
            .is_some_and(|v| v.as_bytes() == b"1");
        let body = response
            .body_mut()
            .with_config()
            .limit(RESPONSE_BYTES_MAX)
            .read_to_vec()
            .map_err(|e| ClientError::Network(e.to_string()))?;
        if status == 200 {
            return Ok((body, more));
        }
        if (300..400).contains(&status) {
            let location = response
                .headers()
                .get("location")
                .map(|l| shown(l.as_bytes()))
                .unwrap_or_default();
            return Err(ClientError::Redirected { status, location });
        }
        match serde_json::from_slice::<RefusalBody>(&body) {
            Ok(refusal) => Err(ClientError::Refused(RefusalBody {
                message_zh: shown_safely(&refusal.message_zh),
                message_en: shown_safely(&refusal.message_en),
                ..refusal
            })),
            Err(_) => Err(ClientError::Unexpected {
                status,
                text: shown(&body),
            }),
        }
    }

    fn json<T: serde::de::DeserializeOwned>(bytes: &[u8], status: u16) -> Result<T, ClientError> {
        serde_json::from_slice(bytes).map_err(|_| ClientError::Unexpected {
            status,
            text: shown(bytes),
        })
    }

    /// A signed request of the device.
    fn signed(
        &self,
        device: &Device,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(Vec<u8>, bool), ClientError> {
        let time_ms = chrono::Utc::now().timestamp_millis();
        let nonce = hex::encode(
            crate::keys::random_bytes::<16>().map_err(|e| ClientError::Network(e.to_string()))?,
        );
        let text = auth::canonical(method, path, body, time_ms, &nonce);
        let signature = hex::encode(device.sign_bytes(&text).to_bytes());
        let url = format!("{}{path}", self.base);
        let device_id = device.series_id.to_string();
        let protocol = PROTOCOL_VERSION.to_string();
        let time = time_ms.to_string();
        let response = match method {
            "GET" => self
                .agent
                .get(&url)
                .header(HEADER_PROTOCOL, &protocol)
                .header(HEADER_SERIES, &device_id)
                .header(HEADER_TIME, &time)
                .header(HEADER_NONCE, &nonce)
                .header(HEADER_SIGNATURE, &signature)
                .call(),
            _ => self
                .agent
                .post(&url)
                .header(HEADER_PROTOCOL, &protocol)
                .header(HEADER_SERIES, &device_id)
                .header(HEADER_TIME, &time)
                .header(HEADER_NONCE, &nonce)
                .header(HEADER_SIGNATURE, &signature)
                .header("content-type", "application/octet-stream")
                .send(body),
        };
        self.answer(response)
    }

    fn unsigned_post(&self, path: &str, body: &[u8]) -> Result<Vec<u8>, ClientError> {
        let response = self
            .agent
            .post(format!("{}{path}", self.base))
            .header(HEADER_PROTOCOL, PROTOCOL_VERSION.to_string())
            .header("content-type", "application/json")
            .send(body);
        self.answer(response).map(|(body, _)| body)
    }

    /// Takes a one-time code for an enrolment file.
    pub fn enroll(&self, request: &EnrollRequest) -> Result<EnrollResponse, ClientError> {
        let body = self.unsigned_post(
            "/v1/enroll",
            &serde_json::to_vec(request).expect("plain struct serialises"),
        )?;
        Self::json(&body, 200)
    }

    /// Registers this counter's certificate, so the hub knows its key.
    pub fn register_certificate(&self, certificate: &Certificate) -> Result<(), ClientError> {
        self.unsigned_post(
            "/v1/enroll/certificate",
            &serde_json::to_vec(certificate).expect("plain struct serialises"),
        )
        .map(|_| ())
    }

    /// The hub's clock: the Date header of its unsigned health check (every HTTP answer of
    /// the hub carries one), to a second.
    pub fn clock(&self) -> Result<chrono::DateTime<chrono::Utc>, ClientError> {
        let response = self
            .agent
            .get(format!("{}/healthz", self.base))
            .config()
            .timeout_global(Some(CLOCK_TIMEOUT))
            .build()
            .call()
            .map_err(|e| ClientError::Network(e.to_string()))?;
        let date = response
            .headers()
            .get("date")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ClientError::Network("no Date header in the answer".into()))?;
        chrono::DateTime::parse_from_rfc2822(date)
            .map(|at| at.with_timezone(&chrono::Utc))
            .map_err(|e| ClientError::Network(format!("Date header {date:?}: {e}")))
    }

    pub fn heads(&self, device: &Device) -> Result<HeadsResponse, ClientError> {
        let (body, _) = self.signed(device, "GET", "/v1/heads", &[])?;
        Self::json(&body, 200)
    }

    /// How far the hub holds the series `series_id` (0: not at all): what a restore that
    /// would write on in that series asks first.
    pub fn series_head(&self, device: &Device, series_id: uuid::Uuid) -> Result<i64, ClientError> {
        Ok(self
            .heads(device)?
            .heads
            .iter()
            .find(|h| h.series_id == series_id)
            .map_or(0, |h| h.seq))
    }

    /// Pushes a bundle of at most one page.
    pub fn push(&self, device: &Device, bundle: &[u8]) -> Result<PushResponse, ClientError> {
        let (body, _) = self.signed(device, "POST", "/v1/push", bundle)?;
        Self::json(&body, 200)
    }

    /// A bundle of what the hub holds beyond `request.heads`, and whether more is left.
    pub fn pull(
        &self,
        device: &Device,
        request: &PullRequest,
    ) -> Result<(Vec<u8>, bool), ClientError> {
        self.signed(
            device,
            "POST",
            "/v1/pull",
            &serde_json::to_vec(request).expect("plain struct serialises"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_told_apart_from_tls_and_from_this_computer() {
        for (base, elsewhere) in [
            ("http://192.168.1.20:8443", true),
            ("HTTP://hub.example", true),
            ("http://127.0.0.1.evil.example", true),
            ("http://localhost@10.0.0.1/", true),
            ("https://192.168.1.20:8443", false),
            ("http://127.0.0.1:8443", false),
            ("http://127.9.9.9", false),
            ("http://localhost:8443/", false),
            ("http://[::1]:8443", false),
            ("http://[fe80::1]:8443", true),
        ] {
            assert_eq!(plain_http_elsewhere(base), elsewhere, "{base}");
        }
    }

    #[test]
    fn a_hubs_answer_is_shown_without_escape_codes() {
        assert_eq!(shown(b"\x1b[31mred\x1b[0m\x07"), "[31mred[0m");
    }
}
