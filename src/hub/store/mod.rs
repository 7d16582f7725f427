//! Where the hub keeps the district ledger: one trait, two stores. [`sqlite::SqliteStore`] for a
//! street office (one file beside the district key) and [`postgres::PgStore`] for a city
//! (several hub processes over one PostgreSQL). The hub's processes keep nothing of their own:
//! every decision that two processes could race on (a series' next seq, a one-time code, a
//! nonce) is settled inside one store transaction.
//!
//! The store knows rows, not rules: what to write is decided by [`crate::hub::ingest`], which
//! checks every entry first; the store appends it only if the series it read has not moved
//! since ([`AppendOutcome::Moved`] asks the caller to judge again).

pub mod postgres;
pub mod sqlite;

use crate::district::{Head, SealedResidentKey, WireEntry};
use crate::domain::Sealed;
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use uuid::Uuid;

pub type StoreResult<T> = Result<T, StoreError>;

/// The store failed (nothing of the failed call was written).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    /// The store holds another district's ledger.
    #[error("the store belongs to district {0}")]
    OtherDistrict(String),
    #[error("{0}")]
    Other(String),
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Postgres(e.to_string())
    }
}

/// A series as the hub holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubSeries {
    pub series_id: Uuid,
    /// Highest seq held (the hub holds every series without gaps) and its hash.
    pub seq: i64,
    pub hash: [u8; 32],
    pub public_key: [u8; 32],
    pub community: String,
    pub prefix: String,
    pub counter: String,
    pub origin: String,
    /// The code it numbers with (its certificate's, else its first entry's).
    pub code: Option<String>,
    pub utc_offset_minutes: i32,
    pub last_push_at: Option<String>,
    pub last_pull_at: Option<String>,
}

/// A series taken in for the first time (its first entry is among the entries appended).
#[derive(Clone, Debug)]
pub struct NewSeries {
    pub series_id: Uuid,
    pub public_key: [u8; 32],
    pub community: String,
    pub prefix: String,
    pub counter: String,
    pub origin: String,
    pub code: Option<String>,
    pub utc_offset_minutes: i32,
}

/// One entry to store, checked.
#[derive(Clone, Debug)]
pub struct EntryRow {
    pub series_id: Uuid,
    pub seq: i64,
    /// The entry's own id (UUIDv7), unique in the district.
    pub id: Uuid,
    pub hash: [u8; 32],
    pub prev_hash: [u8; 32],
    pub signature: [u8; 64],
    pub body: Vec<u8>,
    pub kind: String,
    pub recorded_at: String,
}

/// Evidence of an entry not merged: a fork (same seq, other content, signed by the series'
/// key) or an entry refused for what it is (bad signature, broken link …).
#[derive(Clone, Debug)]
pub struct Evidence {
    pub series_id: Uuid,
    pub seq: i64,
    pub hash: [u8; 32],
    pub prev_hash: [u8; 32],
    pub signature: [u8; 64],
    pub body: Vec<u8>,
    /// `fork`, or the refusal's code.
    pub reason: String,
}

/// What an entry does to the hub's few derived tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Derived {
    /// Points added to an account (`passbook:SQ-A000001`, `issued:…`).
    Post {
        account: String,
        points: i64,
    },
    Passbook {
        passbook: String,
        resident: String,
        origin: String,
    },
    /// A passbook token issued (to `resident`) or revoked (`resident` empty): a number whose
    /// active tokens name two people is listed.
    Token {
        token_sha256: String,
        passbook: String,
        resident: String,
        revoked: bool,
    },
    Register {
        resident: String,
        origin: String,
        sealed: String,
    },
    Update {
        resident: String,
        origin: String,
        sealed: String,
    },
    Erase {
        resident: String,
    },
    /// What reports add up (as [`crate::domain::Effect::Tally`]).
    Tally {
        day: String,
        origin: String,
        kind: &'static str,
        key: String,
        count: i64,
        qty: i64,
        minutes: i64,
        points: i64,
    },
    /// A passbook served at `origin` on `day`.
    Served {
        day: String,
        origin: String,
        passbook: String,
    },
    /// The name of an item or an activity (`what`) of `origin`'s catalogue.
    Name {
        origin: String,
        what: &'static str,
        code: String,
        name: String,
    },
    /// A passbook's movement by one entry, for its statement.
    Posting {
        account: String,
        series_id: Uuid,
        seq: i64,
        points: i64,
    },
}

/// A push's report rows, summed and in key order (two hub processes writing the same rows take
/// their locks in one order).
#[derive(Debug, Default)]
pub struct ReportRows<'a> {
    /// (day, origin, kind, key) → count, qty, minutes, points.
    pub tallies: std::collections::BTreeMap<(&'a str, &'a str, &'a str, &'a str), [i64; 4]>,
    pub served: std::collections::BTreeSet<(&'a str, &'a str, &'a str)>,
    pub postings: std::collections::BTreeMap<(&'a str, Uuid, i64), i64>,
}

impl<'a> ReportRows<'a> {
    pub fn of(derived: &'a [Derived]) -> Self {
        let mut rows = ReportRows::default();
        for d in derived {
            match d {
                Derived::Tally {
                    day,
                    origin,
                    kind,
                    key,
                    count,
                    qty,
                    minutes,
                    points,
                } => {
                    let v = rows.tallies.entry((day, origin, kind, key)).or_default();
                    v[0] += count;
                    v[1] += qty;
                    v[2] += minutes;
                    v[3] += points;
                }
                Derived::Served {
                    day,
                    origin,
                    passbook,
                } => {
                    rows.served.insert((day, origin, passbook));
                }
                Derived::Posting {
                    account,
                    series_id,
                    seq,
                    points,
                } => {
                    *rows
                        .postings
                        .entry((account, *series_id, *seq))
                        .or_default() += points
                }
                _ => {}
            }
        }
        rows
    }
}

/// The entry holding a claim ([`crate::district::claims`]): the smallest id among its
/// claimants, and whether it counts (it lost no claim of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claimant {
    pub id: Uuid,
    pub series_id: Uuid,
    pub seq: i64,
    pub counts: bool,
}

/// A claim's holder as a push leaves it; `expected` is the holder the push was judged
/// against (another hub process that changed it since makes the append
/// [`AppendOutcome::Moved`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRow {
    pub claim: String,
    pub holder: Claimant,
    pub expected: Option<Uuid>,
}

/// An entry that moves nothing: another entry made its claim first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DuplicateRow {
    pub series_id: Uuid,
    pub seq: i64,
    pub claim: String,
    pub counter: String,
    pub code: Option<String>,
    pub recorded_at: String,
}

/// An entry whose time cannot be right ([`crate::district::clocks`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkewRow {
    pub series_id: Uuid,
    pub seq: i64,
    /// [`crate::district::clocks::Skew::code`].
    pub skew: String,
    pub recorded_at: String,
    /// The arrival or the previous entry's time it was compared with.
    pub compared_with: String,
    /// The counter's name and code (filled when listed).
    pub counter: String,
}

/// Everything one push writes, in one transaction.
#[derive(Clone, Debug, Default)]
pub struct Append {
    /// The head each series had when the entries were judged; a series that moved since makes
    /// the whole append [`AppendOutcome::Moved`] and nothing is written.
    pub expected: Vec<(Uuid, i64)>,
    pub new_series: Vec<NewSeries>,
    pub entries: Vec<EntryRow>,
    pub derived: Vec<Derived>,
    pub claims: Vec<ClaimRow>,
    /// Entries that lost a claim (arriving now, or displaced by one arriving now).
    pub duplicates: Vec<(Uuid, i64, String)>,
    pub skews: Vec<SkewRow>,
    pub evidence: Vec<Evidence>,
    pub keys: Vec<SealedResidentKey>,
    /// Where the push came from (the series_id), for the evidence and the sync log.
    pub source: String,
    pub series_id: Uuid,
    pub at: String,
    pub log: SyncCounts,
}

/// What a push or a pull moved, for the sync log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncCounts {
    pub entries: i64,
    pub new: i64,
    pub present: i64,
    pub refused: i64,
    pub forks: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppendOutcome {
    Done,
    /// A series moved while the entries were judged (another hub process appended to it).
    Moved,
    /// These counters (origins) have a second series now, and the store had not kept their
    /// txn claims: [`Store::keep_claims`] first, then judge again. Nothing was written.
    KeepClaims(Vec<String>),
}

/// An enrolment the register holds: the counter (its community and code, and the name it goes
/// by), when its grant expires, and the key the grant registered if it was used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrolmentRow {
    pub grant_id: String,
    /// `None` for an enrolment made before the hub asked for the community, until the
    /// counter's certificate or series names it.
    pub community: Option<String>,
    pub counter: String,
    pub code: String,
    pub issued_at: String,
    pub expires_at: String,
    pub registered_key: Option<[u8; 32]>,
}

/// One counter of the enrolment register, as [`assign_code`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterRow {
    pub community: Option<String>,
    pub counter: String,
    pub code: String,
}

/// The code (and community) an enrolment of the counter called `counter` gets: a counter is
/// its community and code, so the name finds an existing counter only within its community;
/// without a community, a name two communities use is ambiguous. Else `wanted` if free, else
/// the next free code (a code belongs to one counter of the district).
pub fn assign_code(
    register: &[RegisterRow],
    community: Option<&str>,
    counter: &str,
    wanted: Option<&str>,
) -> Result<(String, Option<String>), CodeProblem> {
    let named: Vec<&RegisterRow> = register
        .iter()
        .filter(|r| r.counter == counter)
        .filter(|r| match (community, r.community.as_deref()) {
            (Some(given), Some(held)) => given == held,
            _ => true,
        })
        .collect();
    let mut candidates: Vec<(String, String)> = named
        .iter()
        .map(|r| (r.community.clone().unwrap_or_default(), r.code.clone()))
        .collect();
    candidates.sort();
    candidates.dedup();
    // A community given picks its own row over one whose community is not known yet.
    let exact = community.and_then(|c| named.iter().find(|r| r.community.as_deref() == Some(c)));
    let existing = match (exact, candidates.len()) {
        (Some(row), _) => Some(*row),
        (None, 0) => None,
        (None, 1) => named.first().copied(),
        (None, _) => return Err(CodeProblem::Ambiguous { candidates }),
    };
    let community = community
        .map(str::to_string)
        .or_else(|| existing.and_then(|r| r.community.clone()));
    let code = match (existing, wanted) {
        (Some(has), Some(want)) if has.code != want => {
            return Err(CodeProblem::CounterHas {
                code: has.code.clone(),
            });
        }
        (Some(has), _) => has.code.clone(),
        (None, Some(want)) => match register.iter().find(|r| r.code == want) {
            Some(owner) => {
                return Err(CodeProblem::Taken {
                    counter: owner.counter.clone(),
                });
            }
            None => want.to_string(),
        },
        (None, None) => {
            let taken: Vec<String> = register.iter().map(|r| r.code.clone()).collect();
            crate::domain::ids::next_counter_code(&taken).ok_or(CodeProblem::UsedUp)?
        }
    };
    Ok((code, community))
}

/// A certificate that passed the enrolment rules ([`crate::hub::grants`]), to keep with the
/// use of its grant.
#[derive(Clone, Debug)]
pub struct NewCertificate {
    pub series_id: Uuid,
    /// The certificate as JSON.
    pub certificate: String,
    pub public_key: [u8; 32],
    pub community: String,
    pub counter: String,
    pub code: String,
    pub grant_id: String,
    pub at: String,
}

/// A certificate the enrolment rules refused, kept for `hub counters`.
#[derive(Clone, Debug)]
pub struct RefusedCertificate {
    pub grant_id: String,
    pub code: String,
    pub public_key: [u8; 32],
    pub reason: String,
    pub at: String,
}

/// A series of a counter that still signs (not revoked): its id and its counter's origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSeries {
    pub series_id: Uuid,
    pub origin: String,
}

/// Why a counter cannot have the code it asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeProblem {
    /// The code belongs to another counter.
    Taken { counter: String },
    /// The counter has another code.
    CounterHas { code: String },
    /// Every code is given.
    UsedUp,
    /// Counters of several communities go by this name: (community, code) of each.
    Ambiguous { candidates: Vec<(String, String)> },
}

/// Why a one-time code was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OneTimeProblem {
    Unknown,
    Used,
    Expired,
    OtherCounter,
}

/// A counter in the register, with what the hub holds of it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CounterRow {
    pub community: String,
    pub counter: String,
    pub code: String,
    pub enrolments: i64,
    pub last_issued_at: String,
    pub last_expires_at: String,
    /// Series of the counter the hub holds, their entries, the newest head.
    pub series: i64,
    pub entries: i64,
    pub last_push_at: Option<String>,
    pub last_pull_at: Option<String>,
    pub forks: i64,
    /// Entries refused in the pushes of the counter's series, every reason counted.
    pub refused: i64,
    /// Certificates refused for the counter's grants (used already, expired, …), and the
    /// last refusal (reason and time).
    pub enrolment_refusals: i64,
    pub last_enrolment_refusal: Option<(String, String)>,
    pub revoked: bool,
}

/// A passbook with its balance and what is needed to name its resident (masked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PassbookRow {
    pub passbook: String,
    pub points: i64,
    pub resident: String,
    /// The name of the counter that issued it.
    pub counter: String,
    #[serde(skip)]
    pub sealed: Option<String>,
    #[serde(skip)]
    pub key: Option<SealedResidentKey>,
    pub erased: bool,
}

/// A passbook number issued to more than one person, as `hub report` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SharedPassbookRow {
    pub passbook: String,
    /// The residents its active tokens were issued to.
    pub residents: Vec<String>,
    /// The name of the counter that issued it.
    pub counter: String,
}

/// Shared passbooks from (passbook, resident, counter) rows ordered by passbook.
pub fn shared_passbook_rows(rows: Vec<(String, String, String)>) -> Vec<SharedPassbookRow> {
    let mut shared: Vec<SharedPassbookRow> = Vec::new();
    for (passbook, resident, counter) in rows {
        match shared.last_mut() {
            Some(last) if last.passbook == passbook => last.residents.push(resident),
            _ => shared.push(SharedPassbookRow {
                passbook,
                residents: vec![resident],
                counter,
            }),
        }
    }
    shared
}

/// The (passbook, resident, counter) rows of the numbers whose active tokens name more than
/// one resident, the same for both stores.
pub const SHARED_PASSBOOKS_SELECT: &str = "SELECT t.passbook, t.resident,
        COALESCE((SELECT s.counter FROM passbooks p JOIN series s ON s.origin = p.origin
                  WHERE p.passbook = t.passbook ORDER BY s.position LIMIT 1), '')
 FROM passbook_tokens t
 WHERE NOT t.revoked AND t.resident != '' AND t.passbook IN (
     SELECT passbook FROM passbook_tokens WHERE NOT revoked AND resident != ''
     GROUP BY passbook HAVING COUNT(DISTINCT resident) > 1)
 GROUP BY t.passbook, t.resident ORDER BY t.passbook, t.resident";

/// Evidence as listed by `hub report`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceRow {
    pub counter: String,
    pub series_id: Uuid,
    pub seq: i64,
    pub reason: String,
    pub hash: String,
    pub at: String,
    pub source: String,
}

/// One movement of a passbook, with the entry that made it (for a statement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostingRow {
    pub series_id: Uuid,
    pub seq: i64,
    pub points: i64,
    pub recorded_at: String,
    pub body: Vec<u8>,
    /// The origin of the series' counter (whose catalogue names its activities).
    pub origin: String,
    pub utc_offset_minutes: i32,
}

/// A login attempt of a web administrator, as the store took it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// No administrator of that name.
    Unknown,
    /// Locked until then (Unix ms); the attempt was not counted.
    Locked { until_ms: i64 },
    /// Counted as a failure until [`Store::admin_passed`] says otherwise: check the password
    /// (argon2 PHC string) against it.
    Check { password: String },
}

/// What removing an administrator did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminRemoval {
    /// Removed, its sessions ended.
    Removed,
    /// No administrator of that name.
    Unknown,
    /// The only administrator, kept: nobody could log in to the pages otherwise.
    Last,
}

/// The hub's store. Every method is one transaction (or one read).
pub trait Store: Send + Sync + 'static {
    /// The district the store belongs to; a new store is claimed for it, a store of another
    /// district is refused.
    fn claim(
        &self,
        district_id: &str,
        name: &str,
        at: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Records an enrolment: the code [`assign_code`] gives. `code_hash` is the SHA-256 of a
    /// one-time code (network enrolment).
    fn enrol(
        &self,
        community: Option<&str>,
        counter: &str,
        wanted: Option<&str>,
        issued_at: &str,
        expires_at: &str,
        code_hash: Option<&str>,
    ) -> impl Future<Output = StoreResult<Result<EnrolmentRow, CodeProblem>>> + Send;

    /// Takes a one-time code: marks it used and returns its enrolment, in one transaction.
    fn redeem(
        &self,
        code_hash: &str,
        counter: Option<&str>,
        now: &str,
    ) -> impl Future<Output = StoreResult<Result<EnrolmentRow, OneTimeProblem>>> + Send;

    fn counters(&self) -> impl Future<Output = StoreResult<Vec<CounterRow>>> + Send;

    /// The enrolment of a grant.
    fn grant(
        &self,
        grant_id: &str,
    ) -> impl Future<Output = StoreResult<Option<EnrolmentRow>>> + Send;

    /// Marks the grant used by the certificate's key and keeps the certificate (the first one
    /// of a series stays), in one transaction; `false`, writing nothing, when the grant
    /// registered another key meanwhile.
    fn put_certificate(
        &self,
        certificate: &NewCertificate,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    fn refuse_certificate(
        &self,
        refused: &RefusedCertificate,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Revokes every series and certificate of the counter with `code`; how many.
    fn revoke(&self, code: &str, at: &str) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Which of these series are revoked.
    fn revoked(
        &self,
        ids: &[Uuid],
    ) -> impl Future<Output = StoreResult<std::collections::HashSet<Uuid>>> + Send;

    /// The series held of the counter with `code` that are not revoked.
    fn live_series(&self, code: &str) -> impl Future<Output = StoreResult<Vec<LiveSeries>>> + Send;

    /// The sealed personal data (`nonce:ciphertext`) held of these residents, not erased.
    fn resident_sealed(
        &self,
        residents: &[String],
    ) -> impl Future<Output = StoreResult<HashMap<String, String>>> + Send;

    /// Certificates (JSON) of the series asked for.
    fn certificates(
        &self,
        ids: &[Uuid],
    ) -> impl Future<Output = StoreResult<HashMap<Uuid, String>>> + Send;

    /// The key a series_id signs requests with: its series' first entry's when the hub holds the
    /// series, else its certificate's; none for a revoked one.
    fn series_key(
        &self,
        series_id: Uuid,
    ) -> impl Future<Output = StoreResult<Option<[u8; 32]>>> + Send;

    /// Records a request's nonce; `false` when the series_id used it before (a replay). Nonces
    /// older than `forget_before_ms` are forgotten on the way.
    fn use_nonce(
        &self,
        series_id: Uuid,
        nonce: &str,
        expires_ms: i64,
        forget_before_ms: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    fn heads(&self) -> impl Future<Output = StoreResult<Vec<Head>>> + Send;

    fn series(
        &self,
        ids: &[Uuid],
    ) -> impl Future<Output = StoreResult<HashMap<Uuid, HubSeries>>> + Send;

    /// Another counter (not of `origin`) numbering with `prefix` and `code`.
    fn code_holder(
        &self,
        prefix: &str,
        code: &str,
        origin: &str,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;

    /// Hashes of a series' entries `from..=to` the hub holds.
    fn hashes(
        &self,
        series_id: Uuid,
        from: i64,
        to: i64,
    ) -> impl Future<Output = StoreResult<HashMap<i64, [u8; 32]>>> + Send;

    /// Which of these entry ids the hub holds already.
    fn taken_ids(
        &self,
        ids: &[Uuid],
    ) -> impl Future<Output = StoreResult<std::collections::HashSet<Uuid>>> + Send;

    fn append(&self, append: Append) -> impl Future<Output = StoreResult<AppendOutcome>> + Send;

    /// Keeps the txn claims of these counters (origins) from now on, claiming the txns of the
    /// entries held already. A txn claim can only collide with another series of the same
    /// counter, so a store may leave a counter's txn claims unwritten while it has one series
    /// (a million rows a PostgreSQL hub need not write); an append that brings a counter's
    /// second series then answers [`AppendOutcome::KeepClaims`]. A store that keeps every
    /// claim (SQLite) does nothing here.
    fn keep_claims(&self, origins: &[String]) -> impl Future<Output = StoreResult<()>> + Send {
        let _ = origins;
        async { Ok(()) }
    }

    /// The holders of these claims the hub knows.
    fn claimants(
        &self,
        claims: &[String],
    ) -> impl Future<Output = StoreResult<HashMap<String, Claimant>>> + Send;

    /// Every entry that moves nothing because another made its claim first.
    fn duplicates(&self) -> impl Future<Output = StoreResult<Vec<DuplicateRow>>> + Send;

    /// Passbook numbers whose active tokens were issued to more than one resident.
    fn shared_passbooks(&self) -> impl Future<Output = StoreResult<Vec<SharedPassbookRow>>> + Send;

    /// Entries whose time cannot be right, at most `limit`, newest arrival first.
    fn skews(&self, limit: i64) -> impl Future<Output = StoreResult<Vec<SkewRow>>> + Send;

    /// Entries `from..=to` of a series.
    fn entries(
        &self,
        series_id: Uuid,
        from: i64,
        to: i64,
    ) -> impl Future<Output = StoreResult<Vec<WireEntry>>> + Send;

    fn resident_keys(
        &self,
        residents: &[String],
    ) -> impl Future<Output = StoreResult<Vec<SealedResidentKey>>> + Send;

    /// A pull served to `series_id`.
    fn log_pull(
        &self,
        series_id: Uuid,
        at: &str,
        counts: SyncCounts,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn overdrafts(&self) -> impl Future<Output = StoreResult<Vec<PassbookRow>>> + Send;

    /// Forks and refused entries kept as evidence, newest first, at most `limit`.
    fn evidence(&self, limit: i64) -> impl Future<Output = StoreResult<Vec<EvidenceRow>>> + Send;

    /// Entries held in all.
    fn entry_count(&self) -> impl Future<Output = StoreResult<i64>> + Send;

    /// What the reports add up for the local days `first..=last`, with the names they mention
    /// (its `covers` left empty).
    fn figures(
        &self,
        first: &str,
        last: &str,
    ) -> impl Future<Output = StoreResult<crate::report::build::Figures>> + Send;

    /// A passbook, its balance and its resident.
    fn passbook(
        &self,
        passbook: &str,
    ) -> impl Future<Output = StoreResult<Option<PassbookRow>>> + Send;

    /// Every movement of an account, oldest first (by when it was recorded).
    fn postings(&self, account: &str) -> impl Future<Output = StoreResult<Vec<PostingRow>>> + Send;

    /// Adds an administrator, or gives one a new password (and unlocks it).
    fn put_admin(
        &self,
        name: &str,
        password: &str,
        at: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn admins(&self) -> impl Future<Output = StoreResult<Vec<String>>> + Send;

    /// Removes an administrator and ends its sessions, unless it is the last one.
    fn remove_admin(&self, name: &str) -> impl Future<Output = StoreResult<AdminRemoval>> + Send;

    /// Takes a login attempt in one statement: unless the administrator is locked, it counts as
    /// a failure before the password is checked (so attempts made at once cannot outrun the
    /// lock), and the `failures_max`-th failure in a row locks until `now_ms + lock_ms`.
    fn admin_attempt(
        &self,
        name: &str,
        now_ms: i64,
        failures_max: i64,
        lock_ms: i64,
    ) -> impl Future<Output = StoreResult<Attempt>> + Send;

    /// The password was right: the failures and the lock are cleared.
    fn admin_passed(&self, name: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Keeps a web session (the SHA-256 of its token), forgetting those expired.
    fn put_web_session(
        &self,
        token_hash: &str,
        admin: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The administrator of a web session that has not expired.
    fn web_session(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;

    fn drop_web_session(&self, token_hash: &str) -> impl Future<Output = StoreResult<()>> + Send;
}

/// The store a hub runs on, chosen by `--store`.
pub enum AnyStore {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Postgres($store) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn claim(&self, district_id: &str, name: &str, at: &str) -> StoreResult<()> {
        dispatch!(self, s => s.claim(district_id, name, at))
    }
    async fn enrol(
        &self,
        community: Option<&str>,
        counter: &str,
        wanted: Option<&str>,
        issued_at: &str,
        expires_at: &str,
        code_hash: Option<&str>,
    ) -> StoreResult<Result<EnrolmentRow, CodeProblem>> {
        dispatch!(self, s => s.enrol(community, counter, wanted, issued_at, expires_at, code_hash))
    }
    async fn redeem(
        &self,
        code_hash: &str,
        counter: Option<&str>,
        now: &str,
    ) -> StoreResult<Result<EnrolmentRow, OneTimeProblem>> {
        dispatch!(self, s => s.redeem(code_hash, counter, now))
    }
    async fn counters(&self) -> StoreResult<Vec<CounterRow>> {
        dispatch!(self, s => s.counters())
    }
    async fn grant(&self, grant_id: &str) -> StoreResult<Option<EnrolmentRow>> {
        dispatch!(self, s => s.grant(grant_id))
    }
    async fn put_certificate(&self, certificate: &NewCertificate) -> StoreResult<bool> {
        dispatch!(self, s => s.put_certificate(certificate))
    }
    async fn refuse_certificate(&self, refused: &RefusedCertificate) -> StoreResult<()> {
        dispatch!(self, s => s.refuse_certificate(refused))
    }
    async fn revoke(&self, code: &str, at: &str) -> StoreResult<i64> {
        dispatch!(self, s => s.revoke(code, at))
    }
    async fn revoked(&self, ids: &[Uuid]) -> StoreResult<std::collections::HashSet<Uuid>> {
        dispatch!(self, s => s.revoked(ids))
    }
    async fn live_series(&self, code: &str) -> StoreResult<Vec<LiveSeries>> {
        dispatch!(self, s => s.live_series(code))
    }
    async fn resident_sealed(&self, residents: &[String]) -> StoreResult<HashMap<String, String>> {
        dispatch!(self, s => s.resident_sealed(residents))
    }
    async fn certificates(&self, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, String>> {
        dispatch!(self, s => s.certificates(ids))
    }
    async fn series_key(&self, series_id: Uuid) -> StoreResult<Option<[u8; 32]>> {
        dispatch!(self, s => s.series_key(series_id))
    }
    async fn use_nonce(
        &self,
        series_id: Uuid,
        nonce: &str,
        expires_ms: i64,
        forget_before_ms: i64,
    ) -> StoreResult<bool> {
        dispatch!(self, s => s.use_nonce(series_id, nonce, expires_ms, forget_before_ms))
    }
    async fn heads(&self) -> StoreResult<Vec<Head>> {
        dispatch!(self, s => s.heads())
    }
    async fn series(&self, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, HubSeries>> {
        dispatch!(self, s => s.series(ids))
    }
    async fn code_holder(
        &self,
        prefix: &str,
        code: &str,
        origin: &str,
    ) -> StoreResult<Option<String>> {
        dispatch!(self, s => s.code_holder(prefix, code, origin))
    }
    async fn hashes(
        &self,
        series_id: Uuid,
        from: i64,
        to: i64,
    ) -> StoreResult<HashMap<i64, [u8; 32]>> {
        dispatch!(self, s => s.hashes(series_id, from, to))
    }
    async fn taken_ids(&self, ids: &[Uuid]) -> StoreResult<std::collections::HashSet<Uuid>> {
        dispatch!(self, s => s.taken_ids(ids))
    }
    async fn append(&self, append: Append) -> StoreResult<AppendOutcome> {
        dispatch!(self, s => s.append(append))
    }
    async fn keep_claims(&self, origins: &[String]) -> StoreResult<()> {
        dispatch!(self, s => s.keep_claims(origins))
    }
    async fn claimants(&self, claims: &[String]) -> StoreResult<HashMap<String, Claimant>> {
        dispatch!(self, s => s.claimants(claims))
    }
    async fn duplicates(&self) -> StoreResult<Vec<DuplicateRow>> {
        dispatch!(self, s => s.duplicates())
    }
    async fn shared_passbooks(&self) -> StoreResult<Vec<SharedPassbookRow>> {
        dispatch!(self, s => s.shared_passbooks())
    }
    async fn skews(&self, limit: i64) -> StoreResult<Vec<SkewRow>> {
        dispatch!(self, s => s.skews(limit))
    }
    async fn entries(&self, series_id: Uuid, from: i64, to: i64) -> StoreResult<Vec<WireEntry>> {
        dispatch!(self, s => s.entries(series_id, from, to))
    }
    async fn resident_keys(&self, residents: &[String]) -> StoreResult<Vec<SealedResidentKey>> {
        dispatch!(self, s => s.resident_keys(residents))
    }
    async fn log_pull(&self, series_id: Uuid, at: &str, counts: SyncCounts) -> StoreResult<()> {
        dispatch!(self, s => s.log_pull(series_id, at, counts))
    }
    async fn overdrafts(&self) -> StoreResult<Vec<PassbookRow>> {
        dispatch!(self, s => s.overdrafts())
    }
    async fn evidence(&self, limit: i64) -> StoreResult<Vec<EvidenceRow>> {
        dispatch!(self, s => s.evidence(limit))
    }
    async fn entry_count(&self) -> StoreResult<i64> {
        dispatch!(self, s => s.entry_count())
    }
    async fn figures(&self, first: &str, last: &str) -> StoreResult<crate::report::build::Figures> {
        dispatch!(self, s => s.figures(first, last))
    }
    async fn passbook(&self, passbook: &str) -> StoreResult<Option<PassbookRow>> {
        dispatch!(self, s => s.passbook(passbook))
    }
    async fn postings(&self, account: &str) -> StoreResult<Vec<PostingRow>> {
        dispatch!(self, s => s.postings(account))
    }
    async fn put_admin(&self, name: &str, password: &str, at: &str) -> StoreResult<()> {
        dispatch!(self, s => s.put_admin(name, password, at))
    }
    async fn admins(&self) -> StoreResult<Vec<String>> {
        dispatch!(self, s => s.admins())
    }
    async fn remove_admin(&self, name: &str) -> StoreResult<AdminRemoval> {
        dispatch!(self, s => s.remove_admin(name))
    }
    async fn admin_attempt(
        &self,
        name: &str,
        now_ms: i64,
        failures_max: i64,
        lock_ms: i64,
    ) -> StoreResult<Attempt> {
        dispatch!(self, s => s.admin_attempt(name, now_ms, failures_max, lock_ms))
    }
    async fn admin_passed(&self, name: &str) -> StoreResult<()> {
        dispatch!(self, s => s.admin_passed(name))
    }
    async fn put_web_session(
        &self,
        token_hash: &str,
        admin: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> StoreResult<()> {
        dispatch!(self, s => s.put_web_session(token_hash, admin, expires_ms, now_ms))
    }
    async fn web_session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
        dispatch!(self, s => s.web_session(token_hash, now_ms))
    }
    async fn drop_web_session(&self, token_hash: &str) -> StoreResult<()> {
        dispatch!(self, s => s.drop_web_session(token_hash))
    }
}

/// The columns of a [`PassbookRow`], read the same way by both stores: passbook, points,
/// resident, the issuing counter, sealed data, the resident key's nonce and ciphertext, erased.
pub const PASSBOOK_ROW_SELECT: &str = "SELECT p.passbook, COALESCE(b.points, 0), p.resident,
        COALESCE((SELECT counter FROM series s WHERE s.origin = p.origin
                  ORDER BY s.position LIMIT 1), p.origin),
        r.sealed, k.nonce, k.ciphertext, COALESCE(r.erased, 0)
 FROM passbooks p
 LEFT JOIN balances b ON b.account = 'passbook:' || p.passbook
 LEFT JOIN residents r ON r.resident = p.resident
 LEFT JOIN resident_keys k ON k.resident = p.resident";

/// A [`PassbookRow`] from the columns of [`PASSBOOK_ROW_SELECT`].
#[allow(clippy::too_many_arguments)]
pub fn passbook_row(
    passbook: String,
    points: i64,
    resident: String,
    counter: String,
    sealed: Option<String>,
    nonce: Option<String>,
    ciphertext: Option<String>,
    erased: bool,
) -> PassbookRow {
    PassbookRow {
        passbook,
        points,
        counter,
        sealed,
        key: nonce
            .zip(ciphertext)
            .map(|(nonce, ciphertext)| SealedResidentKey {
                resident: resident.clone(),
                nonce,
                ciphertext,
            }),
        erased,
        resident,
    }
}

/// Sealed personal data as the hub keeps it: nonce and ciphertext in hex.
pub fn sealed_text(sealed: &Sealed) -> String {
    format!("{}:{}", sealed.nonce, sealed.ciphertext)
}
