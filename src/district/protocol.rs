//! The hub's network protocol, as data: the version both sides announce, the headers of a
//! signed request, and the JSON bodies of every endpoint. Entries themselves travel in the
//! bundle format ([`crate::sync::bundle`]): a push carries a bundle the counter made, a pull
//! answers with a bundle the hub made, so the network and the USB stick move the same pages.
//!
//! Pure types, no IO: the hub's server and the counter's client both build on them.

use super::heads::Head;
use super::trust::EnrolmentFile;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The protocol this build speaks. 2: a series is named `series_id` on the wire (its header
/// `x-pointsdesk-series`), where 1 said `counter_id` (header `x-pointsdesk-device`). 3: a
/// counter's lasting id is its `origin` in certificates, grants, series links and recoveries,
/// where 2 said `home`.
pub const PROTOCOL_VERSION: u32 = 3;
/// The oldest protocol a hub of this build still serves. A counter older than this is told to
/// update; one between the two is served as it speaks. A counter of protocol 2 would read the
/// `origin` of a new series link as missing and file that series' records under another id,
/// so it is told to update rather than served.
pub const PROTOCOL_VERSION_MIN: u32 = 3;

pub const HEADER_PROTOCOL: &str = "x-pointsdesk-protocol";
pub const HEADER_SERIES: &str = "x-pointsdesk-series";
pub const HEADER_TIME: &str = "x-pointsdesk-time";
pub const HEADER_NONCE: &str = "x-pointsdesk-nonce";
pub const HEADER_SIGNATURE: &str = "x-pointsdesk-signature";
/// On a pull's answer: "1" when the hub holds more than it sent.
pub const HEADER_MORE: &str = "x-pointsdesk-more";

/// How far a request's time may be from the hub's clock, either way.
pub const CLOCK_WINDOW_MS: i64 = 5 * 60 * 1000;
/// The largest request body a hub reads: a push of one page of 1,000 entries is a few hundred
/// KB; resident keys and certificates add little.
pub const REQUEST_BYTES_MAX: usize = 16 << 20;
/// Most entries a push carries or a pull answers with.
pub const EXCHANGE_ENTRIES_MAX: usize = super::wire::PAGE_ENTRIES_MAX;

/// `POST /v1/enroll`: a one-time code from `hub enroll`, and the counter's name as its home
/// folder holds it (`None` for a new PC that has no home yet and takes the name from the code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    pub counter: Option<String>,
}

/// The answer to an enrolment: the same file `hub enroll --out` writes, and, when the counter
/// was enrolled before, what a new PC needs to continue it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub file: EnrolmentFile,
    pub recovery: Option<Recovery>,
}

/// A counter the hub already holds series of: who it is, and its newest series' head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// The counter's origin: its lasting id (its first series).
    pub origin: String,
    pub community: String,
    pub prefix: String,
    pub counter: String,
    pub utc_offset_minutes: i32,
    /// Its newest series at the hub and how far the hub holds it.
    pub series: Head,
}

/// `GET /v1/heads`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadsResponse {
    pub district_id: String,
    pub heads: Vec<Head>,
    /// The hub's clock (RFC 3339), for the counter's clock check.
    pub hub_time: String,
    /// Hex of the district's data keys, newest first: the counter seals resident keys with
    /// the newest (after `hub rekey`, one a leaked enrolment file does not hold) and opens
    /// with any. Only a signed request of an enrolled, unrevoked counter is answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_keys: Vec<String>,
}

/// `POST /v1/pull`: what the counter holds; the hub answers with a bundle from the first gap
/// of every series it holds further.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub heads: Vec<Head>,
    pub entries_max: u32,
    /// Series the counter refused in this sync: not sent again, so the rest still comes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<Uuid>,
}

/// What became of a run of pushed entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Taken {
    /// Stored now.
    New,
    /// The hub held these already (a retried push).
    Present,
    /// The hub holds other entries at these seqs: kept as evidence, not merged.
    Fork,
    /// Refused (the reason says why); the rest of the series after it too.
    Refused,
}

/// One run of consecutive entries of one series with the same outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    #[serde(alias = "counter_id")]
    pub series_id: Uuid,
    pub from: i64,
    pub to: i64,
    pub taken: Taken,
    /// Why, for a refusal: the ledger's refusal code (`bad_signature`, `gap`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/push`'s answer: an outcome per run of entries, and the hub's heads after it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub outcomes: Vec<Outcome>,
    pub heads: Vec<Head>,
}

impl PushResponse {
    /// Entries of a kind, counted over every run.
    pub fn count(&self, taken: Taken) -> u64 {
        self.outcomes
            .iter()
            .filter(|o| o.taken == taken)
            .map(|o| (o.to - o.from + 1).max(0) as u64)
            .sum()
    }
}

/// Appends `seq` of `series_id` to `outcomes`, extending the last run when it continues it.
pub fn push_outcome(
    outcomes: &mut Vec<Outcome>,
    series_id: Uuid,
    seq: i64,
    taken: Taken,
    reason: Option<String>,
) {
    if let Some(last) = outcomes.last_mut()
        && last.series_id == series_id
        && last.taken == taken
        && last.reason == reason
        && last.to + 1 == seq
    {
        last.to = seq;
        return;
    }
    outcomes.push(Outcome {
        series_id,
        from: seq,
        to: seq,
        taken,
        reason,
    });
}

/// Why the hub refused a request: a code for programs, words for people, and what the counter
/// needs to put it right.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The request is not signed by a device of this district.
    UnknownDevice,
    BadSignature,
    /// This nonce was used before: a replayed request.
    Replayed,
    /// The request's time is outside the window; `clock_offset_ms` says by how much.
    Clock,
    /// The counter speaks a protocol the hub no longer serves, or a newer one.
    Protocol,
    /// An enrolment code that is wrong, used or expired.
    BadCode,
    UsedCode,
    ExpiredCode,
    /// An enrolment for a counter of another name than the code was made for.
    OtherCounter,
    /// A certificate that does not check out against the district key.
    BadCertificate,
    /// The body is not what the endpoint reads, or too large.
    Unreadable,
    TooLarge,
    /// The hub's store failed; nothing was written.
    Store,
    /// The enrolment's grant registered another counter's key already (a grant is used once).
    GrantUsed,
    /// The enrolment's grant expired before its certificate reached the hub.
    GrantExpired,
    /// The street office revoked this counter (a lost or stolen PC).
    Revoked,
    /// The counter code is in use by another PC of the counter that still syncs.
    CodeInUse,
    /// The enrolment is for the counter of another community.
    OtherCommunity,
    /// The certificate is for a series the hub holds with another key, or for another
    /// counter's series.
    NotOwnSeries,
    /// Text holding a NUL character, which no name or note has and PostgreSQL cannot store.
    NulText,
}

/// The JSON body of every refused request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalBody {
    pub refusal: Refusal,
    pub message_zh: String,
    pub message_en: String,
    /// Hub clock minus the request's time, for [`Refusal::Clock`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_offset_ms: Option<i64>,
    /// The protocols the hub serves, for [`Refusal::Protocol`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocols: Option<(u32, u32)>,
}

impl Refusal {
    /// The code as it appears in logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownDevice => "unknown_device",
            Refusal::BadSignature => "bad_signature",
            Refusal::Replayed => "replayed",
            Refusal::Clock => "clock",
            Refusal::Protocol => "protocol",
            Refusal::BadCode => "bad_code",
            Refusal::UsedCode => "used_code",
            Refusal::ExpiredCode => "expired_code",
            Refusal::OtherCounter => "other_counter",
            Refusal::BadCertificate => "bad_certificate",
            Refusal::Unreadable => "unreadable",
            Refusal::TooLarge => "too_large",
            Refusal::Store => "store",
            Refusal::GrantUsed => "grant_used",
            Refusal::GrantExpired => "grant_expired",
            Refusal::Revoked => "revoked",
            Refusal::CodeInUse => "code_in_use",
            Refusal::OtherCommunity => "other_community",
            Refusal::NotOwnSeries => "not_own_series",
            Refusal::NulText => "nul_text",
        }
    }

    pub const ALL: &'static [Refusal] = &[
        Refusal::UnknownDevice,
        Refusal::BadSignature,
        Refusal::Replayed,
        Refusal::Clock,
        Refusal::Protocol,
        Refusal::BadCode,
        Refusal::UsedCode,
        Refusal::ExpiredCode,
        Refusal::OtherCounter,
        Refusal::BadCertificate,
        Refusal::Unreadable,
        Refusal::TooLarge,
        Refusal::Store,
        Refusal::GrantUsed,
        Refusal::GrantExpired,
        Refusal::Revoked,
        Refusal::CodeInUse,
        Refusal::OtherCommunity,
        Refusal::NotOwnSeries,
        Refusal::NulText,
    ];

    /// The HTTP status the hub answers with.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::UnknownDevice | Refusal::BadSignature | Refusal::Replayed | Refusal::Clock => {
                401
            }
            Refusal::Protocol => 426,
            Refusal::BadCode
            | Refusal::UsedCode
            | Refusal::ExpiredCode
            | Refusal::OtherCounter
            | Refusal::BadCertificate
            | Refusal::GrantUsed
            | Refusal::GrantExpired
            | Refusal::Revoked
            | Refusal::CodeInUse
            | Refusal::OtherCommunity
            | Refusal::NotOwnSeries => 403,
            Refusal::Unreadable | Refusal::NulText => 400,
            Refusal::TooLarge => 413,
            Refusal::Store => 503,
        }
    }

    /// The refusal in words, with what the counter's administrator should do.
    pub fn body(&self, clock_offset_ms: Option<i64>) -> RefusalBody {
        // The hub's clock minus the counter's: positive when the counter is behind.
        let offset_ms = clock_offset_ms.unwrap_or(0);
        let minutes = offset_ms.abs() / 60_000;
        let (behind_zh, behind_en) = if offset_ms > 0 {
            ("慢", "behind")
        } else {
            ("快", "ahead of")
        };
        let (zh, en) = match self {
            Refusal::UnknownDevice => (
                "街道中心不认识这台服务点电脑：请先用街道中心给的登记码运行 pointsdesk sync enroll。".to_string(),
                "The hub does not know this counter: enrol it first with pointsdesk sync enroll and a code from the street office.".to_string(),
            ),
            Refusal::BadSignature => (
                "请求的签名不对，街道中心没有接收。请检查本机密钥文件是否被替换。".to_string(),
                "The request's signature does not hold; the hub took nothing. Check that this counter's key file was not replaced.".to_string(),
            ),
            Refusal::Replayed => (
                "这个请求已经收到过（重放），没有再次处理。".to_string(),
                "This request was received before (a replay) and was not processed again.".to_string(),
            ),
            Refusal::Clock => (
                format!("本机时钟比街道中心{behind_zh}了约 {minutes} 分钟，超出允许范围：请校准电脑时间后再同步。"),
                format!("This computer's clock is about {minutes} minutes {behind_en} the hub's, beyond what is allowed: set the clock right and sync again."),
            ),
            Refusal::Protocol => (
                format!("本机的 pointsdesk 版本与街道中心不兼容（街道中心支持协议 {PROTOCOL_VERSION_MIN}–{PROTOCOL_VERSION}）：请更新 pointsdesk 后再同步。"),
                format!("This counter's pointsdesk does not speak a protocol the hub serves (protocols {PROTOCOL_VERSION_MIN}–{PROTOCOL_VERSION}): update pointsdesk and sync again."),
            ),
            Refusal::BadCode => (
                "登记码不对：请核对街道中心给的登记码。".to_string(),
                "The enrolment code is wrong: check the code the street office gave.".to_string(),
            ),
            Refusal::UsedCode => (
                "这个登记码已经用过：请向街道中心要一个新的。".to_string(),
                "This enrolment code was used already: ask the street office for a new one.".to_string(),
            ),
            Refusal::ExpiredCode => (
                "这个登记码已过期：请向街道中心要一个新的。".to_string(),
                "This enrolment code has expired: ask the street office for a new one.".to_string(),
            ),
            Refusal::OtherCounter => (
                "这个登记码是给另一个服务点的：请核对服务点名称。".to_string(),
                "This enrolment code is for another counter: check the counter's name.".to_string(),
            ),
            Refusal::BadCertificate => (
                "服务点证书无法通过街道密钥核验，没有接收。".to_string(),
                "The counter's certificate does not check out against the district key; it was not taken.".to_string(),
            ),
            Refusal::Unreadable => (
                "街道中心读不懂这个请求，没有接收。".to_string(),
                "The hub could not read this request and took nothing.".to_string(),
            ),
            Refusal::TooLarge => (
                "请求太大，街道中心没有接收。".to_string(),
                "The request is too large; the hub took nothing.".to_string(),
            ),
            Refusal::Store => (
                "街道中心的数据库暂时不可用，没有写入任何内容：请稍后再同步。".to_string(),
                "The hub's database is not available; nothing was written. Sync again later.".to_string(),
            ),
            Refusal::GrantUsed => (
                "这份登记（文件或登记码）已经登记过另一台电脑，不能再用：请向街道中心要一份新的登记。".to_string(),
                "This enrolment (file or code) registered another computer already and cannot be used again: ask the street office for a new one.".to_string(),
            ),
            Refusal::GrantExpired => (
                "这份登记已过期，街道中心没有接收：请向街道中心要一份新的登记。".to_string(),
                "This enrolment has expired and the hub did not take it: ask the street office for a new one.".to_string(),
            ),
            Refusal::Revoked => (
                "街道中心已停用这台服务点电脑（丢失或被盗时）：如果这台电脑应当继续使用，请街道中心重新登记（pointsdesk hub enroll）。".to_string(),
                "The street office revoked this counter computer (as for a lost or stolen PC): if it should go on, ask the street office to enrol it again (pointsdesk hub enroll).".to_string(),
            ),
            Refusal::CodeInUse => (
                "这个服务点代码正被另一台仍在同步的电脑使用。若这台电脑接替旧电脑：在新电脑上不建账本直接运行 pointsdesk sync enroll --hub … --code …（可加 --key 旧密钥）找回服务点；若旧电脑丢失，请街道中心先运行 pointsdesk hub counters revoke 代码；若是另一个服务点，请街道中心用另一个名称或代码登记。".to_string(),
                "This counter code is in use by another computer that still syncs. If this PC replaces the old one: run pointsdesk sync enroll --hub … --code … on the new PC without a ledger (with --key and the old key if you have it) to take the counter back; if the old PC was lost, ask the street office to run pointsdesk hub counters revoke CODE first; if this is another counter, ask the street office to enrol it under another name or code.".to_string(),
            ),
            Refusal::OtherCommunity => (
                "这份登记是给另一个社区的同名服务点的：请街道中心用 pointsdesk hub enroll --counter … --community 本社区 重新登记。".to_string(),
                "This enrolment is for the counter of the same name in another community: ask the street office to enrol this one with pointsdesk hub enroll --counter … --community THIS-COMMUNITY.".to_string(),
            ),
            Refusal::NotOwnSeries => (
                "这份证书说的是另一个服务点的记录序列，或者与街道中心保存的密钥不同，没有接收。".to_string(),
                "The certificate is for another counter's series, or for a key other than the one the hub holds for it; it was not taken.".to_string(),
            ),
            Refusal::NulText => (
                "请求里的文字含有空字符（NUL），街道中心没有接收任何内容：请更新 pointsdesk；仍然如此请联系街道中心。".to_string(),
                "Text in the request holds a NUL character; the hub took nothing. Update pointsdesk, and tell the street office if it happens again.".to_string(),
            ),
        };
        RefusalBody {
            refusal: self.clone(),
            message_zh: zh,
            message_en: en,
            clock_offset_ms: if *self == Refusal::Clock {
                clock_offset_ms
            } else {
                None
            },
            protocols: (*self == Refusal::Protocol)
                .then_some((PROTOCOL_VERSION_MIN, PROTOCOL_VERSION)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_of_consecutive_entries_make_one_run_and_a_change_starts_another() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let mut outcomes = Vec::new();
        for seq in 1..=3 {
            push_outcome(&mut outcomes, a, seq, Taken::Present, None);
        }
        for seq in 4..=6 {
            push_outcome(&mut outcomes, a, seq, Taken::New, None);
        }
        push_outcome(&mut outcomes, a, 7, Taken::Refused, Some("gap".into()));
        push_outcome(&mut outcomes, b, 8, Taken::New, None);
        let runs: Vec<(u128, i64, i64, Taken)> = outcomes
            .iter()
            .map(|o| (o.series_id.as_u128(), o.from, o.to, o.taken))
            .collect();
        assert_eq!(
            runs,
            vec![
                (1, 1, 3, Taken::Present),
                (1, 4, 6, Taken::New),
                (1, 7, 7, Taken::Refused),
                (2, 8, 8, Taken::New)
            ]
        );
        let response = PushResponse {
            outcomes,
            heads: Vec::new(),
        };
        assert_eq!(response.count(Taken::New), 4);
    }

    #[test]
    fn every_refusal_has_a_code_a_status_and_words_in_both_languages() {
        for refusal in Refusal::ALL {
            let body = refusal.body(Some(-600_000));
            assert!(!body.message_zh.is_empty() && !body.message_en.is_empty());
            assert!((400..600).contains(&refusal.status()));
            assert!(!refusal.code().is_empty());
        }
        assert!(
            Refusal::Clock
                .body(Some(-600_000))
                .message_zh
                .contains("快了约 10 分钟")
        );
        assert!(
            Refusal::Clock
                .body(Some(900_000))
                .message_en
                .contains("15 minutes behind")
        );
    }
}
