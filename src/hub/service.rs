//! What the hub does, apart from HTTP: enrolment (files and one-time codes), checking a signed
//! request, heads, a push taken in, a pull answered with a bundle, and the district report.
//! The server ([`super::server`]) maps requests to these; the command line calls them too.

use super::ingest::{self, Pushed};
use super::metrics::Metrics;
use super::store::{CounterRow, EvidenceRow, OneTimeProblem, Store, StoreError, SyncCounts};
use crate::district::protocol::{
    CLOCK_WINDOW_MS, EXCHANGE_ENTRIES_MAX, EnrollRequest, EnrollResponse, HeadsResponse,
    PullRequest, PushResponse, Recovery, Refusal,
};
use crate::district::trust::TRUST_VERSION;
use crate::district::{Certificate, DistrictKey, EnrolmentFile, GrantBody, Page, auth, heads};
use crate::domain::{Body, Envelope};
use crate::ledger::district::{BUNDLE_FORMAT, BUNDLE_VERSION, BundleHeader};
use crate::store::log::format_time;
use crate::sync::bundle::{BundleReader, BundleWriter, Frame, ReadProblem};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Characters of a one-time enrolment code: no 0/O, 1/I/L, nothing two people read apart.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters of a one-time code, shown in groups of four.
const CODE_CHARS: usize = 12;
/// Longest a one-time code may be valid.
pub const ENROL_CODE_HOURS_MAX: i64 = 24 * 14;

/// The hub's work, on a store.
pub struct HubService<S: Store> {
    pub store: S,
    pub key: DistrictKey,
    pub utc_offset_minutes: i32,
    pub metrics: Metrics,
}

/// An enrolment file just made.
#[derive(Clone, Debug, Serialize)]
pub struct Enrolment {
    pub district: String,
    pub community: Option<String>,
    pub counter: String,
    pub code: String,
    pub grant_id: String,
    pub expires_at: String,
    #[serde(skip)]
    pub file: EnrolmentFile,
}

/// A one-time enrolment code just made.
#[derive(Clone, Debug, Serialize)]
pub struct OneTimeCode {
    pub district: String,
    pub community: Option<String>,
    pub counter: String,
    /// The counter code the counter will number with.
    pub code: String,
    /// What the administrator types at the counter, `K7QM-2XHD-9PFA`.
    pub one_time_code: String,
    pub expires_at: String,
}

/// An overdrawn passbook of the district, its resident masked.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DistrictOverdraft {
    pub passbook: String,
    pub resident: String,
    pub resident_name: String,
    pub points: i64,
    /// The name of the counter that issued it.
    pub counter: String,
}

/// What `hub report` and `hub counters` show.
#[derive(Clone, Debug, Serialize)]
pub struct HubReport {
    pub district: String,
    pub entries: i64,
    pub counters: Vec<CounterRow>,
    pub overdrafts: Vec<DistrictOverdraft>,
    /// Entries that move nothing: another entry made their claim first.
    pub duplicates: Vec<crate::store::claims::Duplicate>,
    /// Passbook numbers issued to more than one person (frozen at every counter).
    pub shared_passbooks: Vec<super::store::SharedPassbookRow>,
    /// Entries whose time cannot be right (newest arrivals first, at most
    /// [`EVIDENCE_LISTED_MAX`]), in the counter's local time.
    pub skews: Vec<super::store::SkewRow>,
    pub evidence: Vec<EvidenceRow>,
}

/// Evidence rows a report lists at most.
pub const EVIDENCE_LISTED_MAX: i64 = 200;

/// Why an enrolment could not be made (the command line says it in words).
#[derive(Debug)]
pub enum EnrolProblem {
    Code(super::store::CodeProblem),
    BadCode(crate::domain::ids::IdProblem),
    BadText(crate::domain::text::TextProblem),
    BadValidity(i64),
    Store(StoreError),
    Random(crate::keys::KeyError),
}

impl From<StoreError> for EnrolProblem {
    fn from(e: StoreError) -> Self {
        EnrolProblem::Store(e)
    }
}

/// A request as the hub received it, for checking its signature.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
    pub series_id: Option<&'a str>,
    pub time_ms: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
}

fn store_refusal(e: StoreError) -> Refusal {
    tracing::error!("store: {e}");
    Refusal::Store
}

/// SHA-256 of a one-time code as typed, ignoring case, spaces and dashes.
pub fn code_hash(code: &str) -> String {
    let clean: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(Sha256::digest(clean.as_bytes()))
}

impl<S: Store> HubService<S> {
    pub fn district_id(&self) -> String {
        self.key.district_id.to_string()
    }

    /// A UTC time as the street office's local `YYYY-MM-DD HH:MM`.
    pub fn local_time(&self, utc: &str) -> String {
        let offset = FixedOffset::east_opt(self.utc_offset_minutes * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
        DateTime::parse_from_rfc3339(utc)
            .map(|t| {
                t.with_timezone(&offset)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|_| utc.to_string())
    }

    fn grant(
        &self,
        row: &super::store::EnrolmentRow,
        origin: Option<String>,
    ) -> Result<EnrolmentFile, EnrolProblem> {
        let body = GrantBody {
            v: TRUST_VERSION,
            district_id: self.district_id(),
            district_name: self.key.name.clone(),
            district_public_key: hex::encode(self.key.public_key().to_bytes()),
            grant_id: row.grant_id.clone(),
            counter: row.counter.clone(),
            code: row.code.clone(),
            issued_at: row.issued_at.clone(),
            expires_at: row.expires_at.clone(),
            grant_public_key: String::new(),
            origin,
            community: row.community.clone(),
        };
        Ok(self.key.enrol(
            body,
            crate::keys::random_bytes::<32>().map_err(EnrolProblem::Random)?,
        ))
    }

    async fn register(
        &self,
        community: Option<&str>,
        counter: &str,
        code: Option<&str>,
        valid: Duration,
        now: DateTime<Utc>,
        code_hash: Option<&str>,
    ) -> Result<(String, super::store::EnrolmentRow), EnrolProblem> {
        let counter = crate::domain::text::clean_text(counter).map_err(EnrolProblem::BadText)?;
        let community = community
            .map(crate::domain::text::clean_text)
            .transpose()
            .map_err(EnrolProblem::BadText)?;
        let wanted = code
            .map(crate::domain::ids::clean_counter_code)
            .transpose()
            .map_err(EnrolProblem::BadCode)?;
        let row = self
            .store
            .enrol(
                community.as_deref(),
                &counter,
                wanted.as_deref(),
                &format_time(now),
                &format_time(now + valid),
                code_hash,
            )
            .await?
            .map_err(EnrolProblem::Code)?;
        Ok((counter, row))
    }

    /// An enrolment file for `counter` of `community` (for `hub enroll --out`), valid
    /// `valid_days` days.
    pub async fn enrol_file(
        &self,
        community: Option<&str>,
        counter: &str,
        code: Option<&str>,
        valid_days: i64,
        now: DateTime<Utc>,
    ) -> Result<Enrolment, EnrolProblem> {
        if !(1..=super::home::ENROLMENT_VALID_DAYS_MAX).contains(&valid_days) {
            return Err(EnrolProblem::BadValidity(valid_days));
        }
        let (counter, row) = self
            .register(
                community,
                counter,
                code,
                Duration::days(valid_days),
                now,
                None,
            )
            .await?;
        let file = self.grant(&row, None)?;
        Ok(Enrolment {
            district: self.key.name.clone(),
            community: row.community,
            counter,
            code: row.code,
            grant_id: row.grant_id,
            expires_at: self.local_time(&row.expires_at),
            file,
        })
    }

    /// A one-time code for `counter` to enrol over the network, valid `valid_hours` hours.
    pub async fn enrol_code(
        &self,
        community: Option<&str>,
        counter: &str,
        code: Option<&str>,
        valid_hours: i64,
        now: DateTime<Utc>,
    ) -> Result<OneTimeCode, EnrolProblem> {
        if !(1..=ENROL_CODE_HOURS_MAX).contains(&valid_hours) {
            return Err(EnrolProblem::BadValidity(valid_hours));
        }
        let random = crate::keys::random_bytes::<CODE_CHARS>().map_err(EnrolProblem::Random)?;
        let chars: Vec<char> = random
            .iter()
            .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
            .collect();
        let one_time_code = chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-");
        let (counter, row) = self
            .register(
                community,
                counter,
                code,
                Duration::hours(valid_hours),
                now,
                Some(&code_hash(&one_time_code)),
            )
            .await?;
        Ok(OneTimeCode {
            district: self.key.name.clone(),
            community: row.community,
            counter,
            code: row.code,
            one_time_code,
            expires_at: self.local_time(&row.expires_at),
        })
    }

    /// `POST /v1/enroll`: a one-time code for an enrolment file (and, for a counter the hub
    /// already holds series of, what a new PC needs to continue it).
    pub async fn redeem(
        &self,
        request: &EnrollRequest,
        now: DateTime<Utc>,
    ) -> Result<EnrollResponse, Refusal> {
        let row = self
            .store
            .redeem(
                &code_hash(&request.code),
                request.counter.as_deref().map(str::trim),
                &format_time(now),
            )
            .await
            .map_err(store_refusal)?
            .map_err(|problem| match problem {
                OneTimeProblem::Unknown => Refusal::BadCode,
                OneTimeProblem::Used => Refusal::UsedCode,
                OneTimeProblem::Expired => Refusal::ExpiredCode,
                OneTimeProblem::OtherCounter => Refusal::OtherCounter,
            })?;
        let recovery = self.recovery(&row).await.map_err(store_refusal)?;
        // A PC without a home of its own continues the counter's origin; the grant says so.
        let origin = match (&request.counter, &recovery) {
            (None, Some(r)) => Some(r.origin.clone()),
            _ => None,
        };
        let file = self.grant(&row, origin).map_err(|_| Refusal::Store)?;
        Ok(EnrollResponse { file, recovery })
    }

    /// The newest series of the enrolment's counter (its community and code, whatever its
    /// name), if the hub holds any.
    async fn recovery(
        &self,
        enrolment: &super::store::EnrolmentRow,
    ) -> Result<Option<Recovery>, StoreError> {
        let heads = self.store.heads().await?;
        let ids: Vec<Uuid> = heads.iter().map(|h| h.series_id).collect();
        let series = self.store.series(&ids).await?;
        // Heads are in the order series were taken in: the last of the counter is its newest.
        let of_counter = |s: &super::store::HubSeries, by_code: bool| {
            let same = if by_code {
                s.code.as_deref() == Some(enrolment.code.as_str())
            } else {
                // A series from before counter codes: its name, in its community.
                s.code.is_none() && s.counter == enrolment.counter
            };
            same && enrolment
                .community
                .as_deref()
                .is_none_or(|c| c == s.community)
        };
        let newest = [true, false].into_iter().find_map(|by_code| {
            heads.iter().rev().find(|h| {
                series
                    .get(&h.series_id)
                    .is_some_and(|s| of_counter(s, by_code))
            })
        });
        Ok(newest.map(|head| {
            let s = &series[&head.series_id];
            Recovery {
                origin: s.origin.clone(),
                community: s.community.clone(),
                prefix: s.prefix.clone(),
                counter: s.counter.clone(),
                utc_offset_minutes: s.utc_offset_minutes,
                series: head.clone(),
            }
        }))
    }

    /// `POST /v1/enroll/certificate`: a counter's certificate, made with the grant it got,
    /// taken as [`super::grants`] says.
    pub async fn register_certificate(
        &self,
        certificate: &Certificate,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        super::grants::take(&self.store, &self.key, certificate, &format_time(now))
            .await
            .map_err(store_refusal)?
            .map(|_| ())
    }

    /// Revokes the counter with `code` (a lost or stolen PC): none of its series' keys signs a
    /// request from now on; its entries stay. How many series and certificates it ended.
    pub async fn revoke(&self, code: &str, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let n = self.store.revoke(code, &format_time(now)).await?;
        tracing::warn!(code, series = n, "counter revoked");
        Ok(n)
    }

    /// Checks a signed request: a known series_id, its signature, the time window, a fresh nonce.
    /// The refusal carries the clock offset when the time is off.
    pub async fn authenticate(
        &self,
        request: &SignedRequest<'_>,
        now_ms: i64,
    ) -> Result<Uuid, (Refusal, Option<i64>)> {
        let series_id = request
            .series_id
            .and_then(|d| Uuid::parse_str(d).ok())
            .ok_or((Refusal::UnknownDevice, None))?;
        let time_ms: i64 = request
            .time_ms
            .and_then(|t| t.parse().ok())
            .ok_or((Refusal::BadSignature, None))?;
        let nonce = request
            .nonce
            .filter(|n| auth::nonce_well_formed(n))
            .ok_or((Refusal::BadSignature, None))?;
        let key = self
            .store
            .series_key(series_id)
            .await
            .map_err(|e| (store_refusal(e), None))?
            .and_then(|k| VerifyingKey::from_bytes(&k).ok())
            .ok_or((Refusal::UnknownDevice, None))?;
        let text = auth::canonical(request.method, request.path, request.body, time_ms, nonce);
        if !auth::signed_by(&key, &text, request.signature.unwrap_or("")) {
            return Err((Refusal::BadSignature, None));
        }
        if let Some(offset) = auth::clock_offset_outside(now_ms, time_ms, CLOCK_WINDOW_MS) {
            return Err((Refusal::Clock, Some(offset)));
        }
        let fresh = self
            .store
            .use_nonce(
                series_id,
                &nonce.to_ascii_lowercase(),
                time_ms + CLOCK_WINDOW_MS,
                now_ms - CLOCK_WINDOW_MS,
            )
            .await
            .map_err(|e| (store_refusal(e), None))?;
        if !fresh {
            return Err((Refusal::Replayed, None));
        }
        Ok(series_id)
    }

    pub async fn heads(&self, now: DateTime<Utc>) -> Result<HeadsResponse, Refusal> {
        Ok(HeadsResponse {
            district_id: self.district_id(),
            heads: self.store.heads().await.map_err(store_refusal)?,
            hub_time: format_time(now),
            data_keys: self.key.data_keys().map(hex::encode).collect(),
        })
    }

    /// `POST /v1/push`: a bundle of at most [`EXCHANGE_ENTRIES_MAX`] entries.
    pub async fn push(
        &self,
        series_id: Uuid,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<PushResponse, Refusal> {
        let pushed = read_push(body, &self.district_id())?;
        if pushed.entries() > EXCHANGE_ENTRIES_MAX {
            return Err(Refusal::TooLarge);
        }
        let ingested = ingest::ingest(
            &self.store,
            &self.key,
            series_id,
            &pushed,
            &format_time(now),
        )
        .await
        .map_err(store_refusal)?;
        self.metrics.ingested(ingested.counts.new as u64);
        for (reason, count) in &ingested.refusals {
            self.metrics.refused(reason, *count);
            tracing::warn!(series_id = %series_id, reason = %reason, entries = count, "push: entries refused");
        }
        tracing::info!(
            series_id = %series_id,
            new = ingested.counts.new,
            present = ingested.counts.present,
            refused = ingested.counts.refused,
            forks = ingested.counts.forks,
            "push"
        );
        Ok(ingested.response)
    }

    /// `POST /v1/pull`: a bundle of what the counter lacks, from the first gap of every series,
    /// at most `entries_max` entries; `true` when more is left.
    pub async fn pull(
        &self,
        series_id: Uuid,
        request: &PullRequest,
        now: DateTime<Utc>,
    ) -> Result<(Vec<u8>, bool), Refusal> {
        let hub_heads = self.store.heads().await.map_err(store_refusal)?;
        let mut wanted = heads::to_send(&hub_heads, &request.heads);
        wanted.retain(|r| !request.skip.contains(&r.series_id));
        let entries_max = (request.entries_max as usize).clamp(1, EXCHANGE_ENTRIES_MAX);
        let (ranges, more) = heads::first_entries(&wanted, entries_max);
        let mut pages = Vec::with_capacity(ranges.len());
        let mut residents = std::collections::BTreeSet::new();
        for range in &ranges {
            let entries = self
                .store
                .entries(range.series_id, range.from, range.to)
                .await
                .map_err(store_refusal)?;
            for entry in &entries {
                if let Ok(envelope) = serde_json::from_slice::<Envelope>(&entry.body)
                    && let Body::ResidentRegistered { resident, .. }
                    | Body::ResidentUpdated { resident, .. } = envelope.body
                {
                    residents.insert(resident);
                }
            }
            pages.push(Page {
                series_id: range.series_id,
                entries,
            });
        }
        let ids: Vec<Uuid> = hub_heads.iter().map(|h| h.series_id).collect();
        let certificates: Vec<Certificate> = self
            .store
            .certificates(&ids)
            .await
            .map_err(store_refusal)?
            .values()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect();
        let residents: Vec<String> = residents.into_iter().collect();
        let keys = self.resealed(
            self.store
                .resident_keys(&residents)
                .await
                .map_err(store_refusal)?,
        )?;
        let entries: u64 = pages.iter().map(|p| p.entries.len() as u64).sum();
        let header = BundleHeader {
            format: BUNDLE_FORMAT.to_string(),
            v: BUNDLE_VERSION,
            district_id: self.district_id(),
            district_name: self.key.name.clone(),
            exporter: self.key.district_id,
            exporter_name: self.key.name.clone(),
            created_at: format_time(now),
            heads: hub_heads,
            ranges: ranges.clone(),
            entries,
        };
        let bytes = (|| -> std::io::Result<Vec<u8>> {
            let mut writer = BundleWriter::new(Vec::new())?;
            writer.header(&header)?;
            writer.certificates(&certificates)?;
            writer.keys(&keys)?;
            for page in &pages {
                writer.page(page)?;
            }
            writer.finish_signed(|digest| self.key.sign(digest))
        })()
        .map_err(|_| Refusal::Store)?;
        self.store
            .log_pull(
                series_id,
                &format_time(now),
                SyncCounts {
                    entries: entries as i64,
                    ..SyncCounts::default()
                },
            )
            .await
            .map_err(store_refusal)?;
        self.metrics.served(entries);
        tracing::info!(series_id = %series_id, entries, more, "pull");
        Ok((bytes, more))
    }

    /// Resident keys as a pull hands them out: sealed with the current data key, whichever
    /// key sealed them when they arrived (a key from before `hub rekey` reaches a counter
    /// enrolled after it, and nothing handed out opens with a retired key alone).
    fn resealed(
        &self,
        keys: Vec<crate::district::SealedResidentKey>,
    ) -> Result<Vec<crate::district::SealedResidentKey>, Refusal> {
        let district_id = self.district_id();
        let mut out = Vec::with_capacity(keys.len());
        for sealed in &keys {
            let nonce = crate::keys::random_bytes::<12>().map_err(|e| {
                tracing::error!("random: {e}");
                Refusal::Store
            })?;
            out.extend(self.key.reseal_resident_key(sealed, &district_id, nonce));
        }
        Ok(out)
    }

    /// The district at a glance: counters, overdrafts (names masked), evidence.
    pub async fn report(&self) -> Result<HubReport, StoreError> {
        let mut overdrafts = Vec::new();
        for row in self.store.overdrafts().await? {
            let name = if row.erased {
                String::new()
            } else {
                row.sealed
                    .as_deref()
                    .and_then(crate::store::projection::sealed_of)
                    .zip(
                        row.key
                            .as_ref()
                            .and_then(|k| self.key.open_resident_key(k, &self.district_id())),
                    )
                    .and_then(|(sealed, key)| crate::keys::unseal(&key, &row.resident, &sealed))
                    .map(|data| crate::domain::text::mask_name(&data.name))
                    .unwrap_or_default()
            };
            overdrafts.push(DistrictOverdraft {
                passbook: row.passbook,
                resident: row.resident,
                resident_name: name,
                points: row.points,
                counter: row.counter,
            });
        }
        let mut counters = self.store.counters().await?;
        for c in &mut counters {
            c.last_issued_at = self.local_time(&c.last_issued_at);
            c.last_expires_at = self.local_time(&c.last_expires_at);
            c.last_push_at = c.last_push_at.as_deref().map(|t| self.local_time(t));
            c.last_pull_at = c.last_pull_at.as_deref().map(|t| self.local_time(t));
        }
        let mut evidence = self.store.evidence(EVIDENCE_LISTED_MAX).await?;
        // Where each came from: the series_id that pushed it, by its counter's name and code
        // (two counters' series ids may begin alike).
        let sources: Vec<Uuid> = evidence
            .iter()
            .filter_map(|e| Uuid::parse_str(&e.source).ok())
            .collect();
        let pushers = self.store.series(&sources).await?;
        for e in &mut evidence {
            e.at = self.local_time(&e.at);
            if let Some(s) = Uuid::parse_str(&e.source)
                .ok()
                .and_then(|id| pushers.get(&id))
            {
                e.source = match &s.code {
                    Some(code) => format!("{} {code}", s.counter),
                    None => s.counter.clone(),
                };
            }
        }
        let duplicates = self
            .store
            .duplicates()
            .await?
            .into_iter()
            .map(|d| crate::store::claims::Duplicate {
                counter: match &d.code {
                    Some(code) => format!("{} {code}", d.counter),
                    None => d.counter.clone(),
                },
                series_id: d.series_id.to_string(),
                seq: d.seq,
                kind: crate::district::claims::kind_of(&d.claim).to_string(),
                subject: crate::district::claims::subject_of(&d.claim).to_string(),
                recorded_at: self.local_time(&d.recorded_at),
            })
            .collect();
        let mut skews = self.store.skews(EVIDENCE_LISTED_MAX).await?;
        for s in &mut skews {
            s.recorded_at = self.local_time(&s.recorded_at);
            s.compared_with = self.local_time(&s.compared_with);
        }
        Ok(HubReport {
            district: self.key.name.clone(),
            entries: self.store.entry_count().await?,
            counters,
            overdrafts,
            duplicates,
            shared_passbooks: self.store.shared_passbooks().await?,
            skews,
            evidence,
        })
    }
}

/// The certificates, resident keys and pages of a pushed bundle; its end is not needed (every
/// entry is checked on its own, and the request itself is signed).
fn read_push(body: &[u8], district_id: &str) -> Result<Pushed, Refusal> {
    let mut reader = BundleReader::new(body).map_err(|_| Refusal::Unreadable)?;
    let mut pushed = Pushed::default();
    loop {
        match reader.next_frame() {
            Ok(Some(Frame::Header(header))) => {
                if header.district_id != district_id {
                    return Err(Refusal::BadCertificate);
                }
            }
            Ok(Some(Frame::Certificates(c))) => pushed.certificates.extend(c),
            Ok(Some(Frame::Keys(k))) => pushed.keys.extend(k),
            Ok(Some(Frame::Page(page))) => pushed.pages.push(page),
            Ok(Some(Frame::End(_))) | Ok(None) => {
                return if holds_nul(&pushed) {
                    Err(Refusal::NulText)
                } else {
                    Ok(pushed)
                };
            }
            Err(ReadProblem::Damaged { .. })
            | Err(ReadProblem::Cut)
            | Err(ReadProblem::NotABundle) => {
                return Err(Refusal::Unreadable);
            }
        }
    }
}

/// Whether any text of a push holds a NUL: refused as a whole, the same on every store.
fn holds_nul(pushed: &Pushed) -> bool {
    use crate::domain::text::json_holds_nul;
    let json = |value: serde_json::Result<Vec<u8>>| value.map_or(true, |v| json_holds_nul(&v));
    pushed
        .pages
        .iter()
        .flat_map(|p| &p.entries)
        .any(|e| json_holds_nul(&e.body))
        || json(serde_json::to_vec(&pushed.certificates))
        || json(serde_json::to_vec(&pushed.keys))
}
