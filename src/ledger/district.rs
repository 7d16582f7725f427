//! Many counters, one district ledger: enrolment, what this counter sends (export) and takes
//! in (import), and what the sync screen shows.
//!
//! Every series is taken in only when the district certified its key (or when it continues,
//! after a restore, a series that was, with that series' signed endorsement); every entry only
//! with a valid link, hash and signature at the next seq. One bad entry refuses the rest of its
//! own series in this import and nothing else. An entry at a seq already held with another hash
//! is a fork: kept as evidence, reported, never merged. Projections are order-independent
//! (`domain::effects`), so replicas holding the same entries agree whatever the arrival order.

use super::{Ledger, LedgerError, Result, Session, read, seal};
use crate::district::admit;
use crate::district::trust::{Certified, learn_data_keys};
use crate::district::{
    Certificate, CertificateBody, EnrolmentFile, Head, Page, SealedResidentKey, TrustProblem,
    WireEntry, to_send,
};
use crate::domain::ids::{NumberKind, Numbering};
use crate::domain::{Body, Envelope};
use crate::store::ingest::{self, SeriesState};
use crate::store::log::{self, SeriesInfo, SqlKeys, format_time};
use crate::store::projection;
use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// How long an enrolment file may wait before it is used.
pub const ENROLMENT_VALID_DAYS_DEFAULT: i64 = 14;
/// Entries taken in per write transaction: a killed import loses at most this much work,
/// and a commit (an fsync) is paid this rarely.
pub const IMPORT_ENTRIES_PER_COMMIT: usize = 20_000;
/// The page cache of an import (128 MiB, as SQLite's negative KiB).
const IMPORT_CACHE_KIB_NEGATIVE: i64 = -131_072;
/// Entries whose signatures the verifier thread checks at a time while earlier ones are stored.
const SIGNATURE_PART_ENTRIES: usize = 1_000;
/// Refusals listed one by one in a report (the count is always whole).
pub const REFUSALS_LISTED_MAX: usize = 100;

/// The district this counter belongs to.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DistrictInfo {
    pub district_id: String,
    pub name: String,
    pub enrolled_at: String,
    /// The counter code this counter's numbers carry.
    pub code: Option<String>,
    /// The hub this counter syncs with, if it was enrolled over the network.
    pub hub: Option<String>,
}

/// What `sync enroll` did.
#[derive(Clone, Debug, Serialize)]
pub struct Enrolled {
    pub district: String,
    pub counter: String,
    pub code: String,
    /// Enrolled before (a new key after a restore, or a renewed file).
    pub again: bool,
}

/// The first frame of a bundle: who made it, of which district, and what it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    pub format: String,
    pub v: u32,
    pub district_id: String,
    pub district_name: String,
    /// The series that made the bundle (its signature is on the last frame).
    pub exporter: Uuid,
    pub exporter_name: String,
    pub created_at: String,
    /// Every series the exporter holds, and how far.
    pub heads: Vec<Head>,
    /// The runs of series inside, so a cut bundle can say what is missing.
    pub ranges: Vec<crate::district::Range>,
    pub entries: u64,
}

pub const BUNDLE_FORMAT: &str = "pointsdesk-bundle";
/// 2: entries and certificates name a counter's lasting id `origin` (1 said `home`, which this
/// build still reads; a build that knows only 1 refuses 2 rather than misread it).
pub const BUNDLE_VERSION: u32 = 2;
/// The oldest bundle this build imports.
pub const BUNDLE_VERSION_MIN: u32 = 1;

/// One part of an export, in the order a bundle carries them.
pub enum ExportPart {
    Header(BundleHeader),
    Certificates(Vec<Certificate>),
    Keys(Vec<SealedResidentKey>),
    Page(Page),
}

/// Why an entry (and the rest of its series in this import) was not taken: the district's one
/// list, shared with the hub.
pub use crate::district::admit::Refusal;

/// A refused entry, with the series named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub series_id: Uuid,
    pub counter: String,
    pub seq: i64,
    #[serde(flatten)]
    pub refusal: Refusal,
    /// How many entries of the series' tail this refusal stands for (itself included).
    pub entries: u64,
}

/// A fork: the same (series, seq) with another hash, signed by the series' key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForkView {
    pub series_id: Uuid,
    pub counter: String,
    pub seq: i64,
    pub held_hash: Option<String>,
    pub other_hash: String,
    pub found_at: String,
    pub source: String,
}

/// What a bundle's end says: all of it arrived, signed by its maker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BundleEnd {
    Whole,
    /// The last frame is missing or cut: what arrived whole was taken.
    Truncated,
    /// Whole, but its signature is not its maker's (entries are checked one by one anyway).
    BadSignature,
    /// Whole, but the maker's own series was not taken here, so its signature could not be
    /// checked (the refusals say why).
    MakerUnknown,
}

/// A run of a series the bundle meant to carry and did not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub series_id: Uuid,
    pub counter: String,
    pub from: i64,
    pub to: i64,
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    pub source: String,
    pub entries: u64,
    pub new: u64,
    pub present: u64,
    /// Entries refused in all (each series' refused tail counted whole).
    pub refused_entries: u64,
    pub refused: Vec<Refused>,
    pub forks: Vec<ForkView>,
    /// Residents whose personal data an imported erasure destroyed here.
    pub erased: Vec<String>,
    pub keys_installed: u64,
    pub end: Option<BundleEnd>,
    pub missing: Vec<Missing>,
    /// Passbooks below zero after this import.
    pub overdrafts: Vec<Overdraft>,
    /// Entries held that move nothing: another entry made their claim first.
    pub duplicates: Vec<Duplicate>,
}

pub use crate::store::claims::Duplicate;

/// A passbook below zero: frozen at every counter until an administrator settles it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overdraft {
    pub passbook: String,
    pub resident: String,
    pub resident_name: String,
    pub balance: crate::domain::Points,
    /// The name of the counter that issued it.
    pub counter: String,
}

/// One series as the sync screen shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeriesStatus {
    pub series_id: Uuid,
    pub counter: String,
    pub community: String,
    pub code: Option<String>,
    pub seq: i64,
    /// This counter's own (current or continued) series.
    pub own: bool,
    pub last_import: Option<String>,
    pub last_export: Option<String>,
}

/// What `sync status` and the sync screen show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub district: Option<DistrictInfo>,
    pub series: Vec<SeriesStatus>,
    pub overdrafts: Vec<Overdraft>,
    pub duplicates: Vec<Duplicate>,
    pub forks: Vec<ForkView>,
    pub last_import: Option<SyncLogRow>,
    pub last_export: Option<SyncLogRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyncLogRow {
    pub at: String,
    pub file: String,
    pub entries: i64,
    pub new: i64,
    pub present: i64,
    pub refused: i64,
    pub forks: i64,
}

/// The numbering of a counter: the code of its own certificate (given at enrolment), else the
/// code its first entry names, else the numbers of a home made before codes.
pub(crate) fn numbering_of(
    conn: &Connection,
    series: &SeriesInfo,
    series_id: &Uuid,
) -> Result<Numbering> {
    Ok(match code_of(conn, series_id, series)? {
        Some(code) => Numbering::new(&series.prefix, &code)
            .map(|n| n.in_block(series.number_block))
            .unwrap_or_else(|_| series.numbering()),
        None => series.numbering(),
    })
}

/// The counter code a series numbers with: its certificate's (the street office may give a
/// code other than the one `init` wrote into the series' first entry, as long as no number was
/// handed out yet), else the first entry's. Every comparison of codes goes through this.
pub(crate) fn code_of(
    conn: &Connection,
    series_id: &Uuid,
    series: &SeriesInfo,
) -> Result<Option<String>> {
    let certified = own_certificate(conn, series_id)?
        .and_then(|c| serde_json::from_str::<CertificateBody>(&c.body).ok())
        .map(|b| b.code);
    Ok(certified.or_else(|| series.code.clone()))
}

fn own_certificate(conn: &Connection, series_id: &Uuid) -> Result<Option<Certificate>> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT certificate FROM certificates WHERE series_id = ?1")?
        .query_row([series_id.as_bytes().as_slice()], |r| r.get(0))
        .optional()?;
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

struct District {
    district_id: String,
    name: String,
    public_key: VerifyingKey,
    /// Seals the resident keys this counter sends: the newest data key it knows.
    data_key: [u8; 32],
    /// Data keys from before a `hub rekey`: resident keys they sealed still open here.
    earlier_data_keys: Vec<[u8; 32]>,
    enrolled_at: String,
}

impl District {
    fn data_keys(&self) -> Vec<[u8; 32]> {
        std::iter::once(self.data_key)
            .chain(self.earlier_data_keys.iter().copied())
            .collect()
    }

    fn open_resident_key(&self, sealed: &SealedResidentKey) -> Option<[u8; 32]> {
        self.data_keys()
            .iter()
            .find_map(|key| sealed.open(key, &self.district_id))
    }
}

/// Makes `keys` (newest first) the district's data keys: the newest in `district`, the others
/// in `earlier_data_keys`.
fn store_data_keys(tx: &Connection, keys: &[[u8; 32]]) -> Result<()> {
    let Some((newest, earlier)) = keys.split_first() else {
        return Ok(());
    };
    tx.execute(
        "UPDATE district SET data_key = ?1 WHERE id = 1",
        [newest.as_slice()],
    )?;
    tx.execute("DELETE FROM earlier_data_keys", [])?;
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO earlier_data_keys (data_key) VALUES (?1)")?;
    for key in earlier {
        insert.execute([key.as_slice()])?;
    }
    Ok(())
}

fn district_of(conn: &Connection) -> Result<Option<District>> {
    let row = conn
        .prepare_cached(
            "SELECT district_id, name, public_key, data_key, enrolled_at FROM district WHERE id = 1",
        )?
        .query_row([], |r| {
            let key: Vec<u8> = r.get(2)?;
            let data: Vec<u8> = r.get(3)?;
            Ok((|| {
                Some(District {
                    district_id: r.get(0).ok()?,
                    name: r.get(1).ok()?,
                    public_key: VerifyingKey::from_bytes(&key.try_into().ok()?).ok()?,
                    data_key: data.try_into().ok()?,
                    earlier_data_keys: Vec::new(),
                    enrolled_at: r.get(4).ok()?,
                })
            })())
        })
        .optional()?;
    let Some(mut district) = row.flatten() else {
        return Ok(None);
    };
    district.earlier_data_keys = conn
        .prepare_cached("SELECT data_key FROM earlier_data_keys")?
        .query_map([], |r| r.get::<_, Vec<u8>>(0))?
        .filter_map(|k| k.ok().and_then(|k| k.try_into().ok()))
        .collect();
    Ok(Some(district))
}

/// What a series' first entry claims, for [`admit`].
fn claim_of<'a>(series_id: &Uuid, info: &'a SeriesInfo) -> admit::Claim<'a> {
    admit::Claim {
        series_id: *series_id,
        public_key: &info.public_key,
        community: &info.community,
        prefix: &info.prefix,
        origin: &info.origin,
        code: info.code.as_deref(),
        continues: info.continues.as_ref(),
    }
}

/// Another counter (not `info`'s) whose series number with `code` under `info`'s prefix.
fn numbering_holder(tx: &Connection, code: &str, info: &SeriesInfo) -> Result<Option<String>> {
    let others: Vec<(Vec<u8>, String)> = tx
        .prepare_cached(
            "SELECT series_id, counter FROM series_heads WHERE prefix = ?1 AND origin != ?2",
        )?
        .query_map(params![info.prefix, info.origin], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, counter) in others {
        let Ok(id) = Uuid::from_slice(&id) else {
            continue;
        };
        let Some(other) = log::series_of(tx, &id)? else {
            continue;
        };
        if code_of(tx, &id, &other)?.as_deref() == Some(code) {
            return Ok(Some(counter));
        }
    }
    Ok(None)
}

/// The name of a series for messages: its counter's name, or the start of its id.
fn series_name(conn: &Connection, series_id: &Uuid) -> String {
    log::series_of(conn, series_id)
        .ok()
        .flatten()
        .map(|s| s.counter)
        .unwrap_or_else(|| series_id.to_string()[..8].to_string())
}

/// An enrolment file checked against this counter, with the certificate it makes.
struct CheckedEnrolment {
    district_key: VerifyingKey,
    grant: crate::district::GrantBody,
    numbering: Numbering,
    data_key: [u8; 32],
    certificate: Certificate,
}

/// Per series while an import runs.
struct Taking {
    state: Option<SeriesState>,
    /// Refused in this import: the rest of the series is refused too.
    refused_at: Option<usize>,
}

impl Ledger {
    /// Takes the district's data keys as the hub named them (hex, newest first) over a signed
    /// request: a newer key than this counter's newest becomes the one it seals with; keys it
    /// knows already change nothing. Returns whether the newest changed.
    pub fn learn_data_keys(&mut self, told: &[String]) -> Result<bool> {
        let told: Vec<[u8; 32]> = told
            .iter()
            .filter_map(|k| hex::decode(k).ok()?.try_into().ok())
            .collect();
        if told.is_empty() {
            return Ok(false);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(district) = district_of(&tx)? else {
            return Ok(false);
        };
        let known = district.data_keys();
        let keys = learn_data_keys(&known, &told);
        if keys == known {
            return Ok(false);
        }
        store_data_keys(&tx, &keys)?;
        tx.commit()?;
        Ok(keys[0] != known[0])
    }

    /// The district this counter is enrolled in, if any.
    pub fn district(&self) -> Result<Option<DistrictInfo>> {
        Ok(district_of(&self.conn)?.map(|d| DistrictInfo {
            district_id: d.district_id,
            name: d.name,
            enrolled_at: self.local_time(&d.enrolled_at),
            code: self.numbering.code.clone(),
            hub: self.hub_address().ok().flatten().map(|(url, _)| url),
        }))
    }

    /// Installs an enrolment file (administrators): the district's key, and this counter's
    /// certificate made with the file's grant. Refused when the file is damaged or expired, is
    /// for another counter or another district, or gives a code other than the one this
    /// counter's numbers already carry.
    pub fn enroll(&mut self, session: &Session, file: &EnrolmentFile) -> Result<Enrolled> {
        Self::require_admin(session)?;
        self.install_enrolment(file)
    }

    /// The certificate an enrolment file makes for this counter, checked as [`Ledger::enroll`]
    /// checks the file, writing nothing: `sync enroll --hub` installs the file only once the
    /// hub took the certificate, so a refused one leaves the counter as it was. (Certificates
    /// are signed deterministically: installing the file makes this very certificate.)
    pub fn enrolment_certificate(
        &self,
        session: &Session,
        file: &EnrolmentFile,
    ) -> Result<Certificate> {
        Self::require_admin(session)?;
        let prepared = self.prepare_enrolment(file)?;
        if let Some(other) =
            district_of(&self.conn)?.filter(|d| d.district_id != prepared.grant.district_id)
        {
            return Err(LedgerError::EnrolledElsewhere {
                district: other.name,
            });
        }
        Ok(prepared.certificate)
    }

    /// [`Ledger::enroll`] without the administrator: for a new PC recovering its counter,
    /// where nobody can log in before the counter's operators came back from the hub.
    pub fn install_enrolment(&mut self, file: &EnrolmentFile) -> Result<Enrolled> {
        let prepared = self.prepare_enrolment(file)?;
        let at = format_time(self.now());
        self.install_prepared(prepared, at)
    }

    /// Checks an enrolment file against this counter and makes its certificate.
    fn prepare_enrolment(&self, file: &EnrolmentFile) -> Result<CheckedEnrolment> {
        let (district_key, grant) = file.open().map_err(LedgerError::Enrolment)?;
        let now = self.now();
        if DateTime::parse_from_rfc3339(&grant.expires_at)
            .map_or(true, |t| t.with_timezone(&Utc) < now)
        {
            return Err(LedgerError::Enrolment(TrustProblem::Expired {
                expires_at: self.local_time(&grant.expires_at),
            }));
        }
        if grant.counter.trim() != self.series.counter {
            return Err(LedgerError::EnrolmentForOther {
                file_counter: grant.counter.clone(),
                this_counter: self.series.counter.clone(),
            });
        }
        if let Some(community) = grant
            .community
            .as_deref()
            .filter(|c| c.trim() != self.series.community)
        {
            return Err(LedgerError::EnrolmentForOtherCommunity {
                counter: grant.counter.clone(),
                file_community: community.to_string(),
                this_community: self.series.community.clone(),
            });
        }
        let numbering =
            Numbering::new(&self.series.prefix, &grant.code).map_err(LedgerError::BadNumbering)?;
        if let Some(current) = self.numbering.code.clone().filter(|c| *c != grant.code)
            && self.hands_out_numbers_with(&self.numbering)?
        {
            return Err(LedgerError::EnrolmentCode {
                this_code: current,
                file_code: grant.code.clone(),
            });
        }
        let data_key = file.data_key().map_err(LedgerError::Enrolment)?;
        let body = CertificateBody {
            v: crate::district::trust::TRUST_VERSION,
            series_id: self.device.series_id.to_string(),
            public_key: hex::encode(self.device.public_key().to_bytes()),
            community: self.series.community.clone(),
            prefix: self.series.prefix.clone(),
            code: grant.code.clone(),
            counter: self.series.counter.clone(),
            origin: Some(self.series.origin.clone()),
        };
        let certificate = file.certify(&body).map_err(LedgerError::Enrolment)?;
        certificate
            .check(&grant.district_id, &district_key)
            .map_err(LedgerError::Enrolment)?;
        Ok(CheckedEnrolment {
            district_key,
            grant,
            numbering,
            data_key,
            certificate,
        })
    }

    /// [`Ledger::install_enrolment`]'s steps, continued: the district and the certificate
    /// written.
    fn install_prepared(&mut self, prepared: CheckedEnrolment, at: String) -> Result<Enrolled> {
        let CheckedEnrolment {
            district_key,
            grant,
            numbering,
            data_key,
            certificate,
        } = prepared;
        let again = {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing = district_of(&tx)?;
            if let Some(other) = existing
                .as_ref()
                .filter(|d| d.district_id != grant.district_id)
            {
                return Err(LedgerError::EnrolledElsewhere {
                    district: other.name.clone(),
                });
            }
            let again = existing.is_some();
            // A file made before a rekey this counter has learned of never takes the newer
            // key back.
            let data_keys = learn_data_keys(
                &existing.map(|d| d.data_keys()).unwrap_or_default(),
                &[data_key],
            );
            tx.execute(
                "INSERT OR REPLACE INTO district (id, district_id, name, public_key, data_key, enrolled_at)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5)",
                params![
                    grant.district_id,
                    grant.district_name,
                    district_key.to_bytes().as_slice(),
                    data_key.as_slice(),
                    at
                ],
            )?;
            store_data_keys(&tx, &data_keys)?;
            tx.execute(
                "INSERT OR REPLACE INTO certificates (series_id, certificate, received_at)
                 VALUES (?1, ?2, ?3)",
                params![
                    self.device.series_id.as_bytes().as_slice(),
                    serde_json::to_vec(&certificate).expect("plain struct serialises"),
                    at
                ],
            )?;
            tx.commit()?;
            again
        };
        self.numbering = numbering;
        Ok(Enrolled {
            district: grant.district_name,
            counter: self.series.counter.clone(),
            code: grant.code,
            again,
        })
    }

    /// Whether this counter already handed out a resident or passbook number of `numbering`.
    fn hands_out_numbers_with(&self, numbering: &Numbering) -> Result<bool> {
        Ok(read::highest_number(
            &self.conn,
            "residents",
            "resident",
            numbering,
            NumberKind::Resident,
        )? > 0
            || read::highest_number(
                &self.conn,
                "passbooks",
                "passbook",
                numbering,
                NumberKind::Passbook,
            )? > 0)
    }

    /// Every series this database holds and how far, from the log (a series is held without
    /// gaps; one with a hole shows the seq before it).
    pub fn heads(&self) -> Result<Vec<Head>> {
        heads_of(&self.conn)
    }

    /// Sends what the side at `since` lacks (everything, for no heads) to `sink`, part by part
    /// in the order a bundle carries them: header, certificates, resident keys, pages. Refused
    /// before anything is sent when this counter is not enrolled.
    pub fn export(
        &mut self,
        since: &[Head],
        file: &str,
        sink: &mut dyn FnMut(ExportPart) -> Result<()>,
    ) -> Result<BundleHeader> {
        self.export_what(Err(since), file, sink)
    }

    /// Like [`Ledger::export`], of exactly `ranges` (a page the hub lacks).
    pub fn export_ranges(
        &mut self,
        ranges: &[crate::district::Range],
        file: &str,
        sink: &mut dyn FnMut(ExportPart) -> Result<()>,
    ) -> Result<BundleHeader> {
        self.export_what(Ok(ranges), file, sink)
    }

    fn export_what(
        &mut self,
        what: std::result::Result<&[crate::district::Range], &[Head]>,
        file: &str,
        sink: &mut dyn FnMut(ExportPart) -> Result<()>,
    ) -> Result<BundleHeader> {
        let district = district_of(&self.conn)?.ok_or(LedgerError::NotEnrolled)?;
        if !self.certified_here(&self.device.series_id)? {
            return Err(LedgerError::NotEnrolled);
        }
        // One read snapshot: a redemption committed meanwhile goes in the next bundle.
        let snapshot = self.conn.unchecked_transaction()?;
        let mine = heads_of(&snapshot)?;
        let ranges = match what {
            Ok(ranges) => ranges
                .iter()
                .filter_map(|r| {
                    let held = mine.iter().find(|h| h.series_id == r.series_id)?.seq;
                    let to = r.to.min(held);
                    (r.from <= to).then_some(crate::district::Range { to, ..*r })
                })
                .collect(),
            Err(since) => to_send(&mine, since),
        };
        let header = BundleHeader {
            format: BUNDLE_FORMAT.to_string(),
            v: BUNDLE_VERSION,
            district_id: district.district_id.clone(),
            district_name: district.name.clone(),
            exporter: self.device.series_id,
            exporter_name: self.series.counter.clone(),
            created_at: format_time(self.now()),
            heads: mine,
            entries: ranges.iter().map(|r| (r.to - r.from + 1) as u64).sum(),
            ranges: ranges.clone(),
        };
        sink(ExportPart::Header(header.clone()))?;
        sink(ExportPart::Certificates(certificates_for(
            &snapshot,
            &ranges,
            &self.device.series_id,
        )?))?;
        sink(ExportPart::Keys(keys_for(&snapshot, &ranges, &district)?))?;
        for range in &ranges {
            let mut from = range.from;
            while from <= range.to {
                let to = (from + crate::district::wire::PAGE_ENTRIES_MAX as i64 - 1).min(range.to);
                sink(ExportPart::Page(page_of(
                    &snapshot,
                    &range.series_id,
                    from,
                    to,
                )?))?;
                from = to + 1;
            }
        }
        snapshot.finish()?;
        let at = format_time(self.now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for range in &ranges {
            tx.execute(
                "INSERT INTO series_sync (series_id, last_export_at) VALUES (?1, ?2)
                 ON CONFLICT (series_id) DO UPDATE SET last_export_at = excluded.last_export_at",
                params![range.series_id.as_bytes().as_slice(), at],
            )?;
        }
        tx.execute(
            "INSERT INTO sync_log (at, direction, file, entries, new, present, refused, forks)
             VALUES (?1, 'export', ?2, ?3, 0, 0, 0, 0)",
            params![at, file, header.entries as i64],
        )?;
        tx.commit()?;
        Ok(header)
    }

    /// What verify adds about trust: every series of another counter must be certified here,
    /// and every fork held must be signed by its series (else it is no evidence).
    pub(crate) fn trust_problems(
        &self,
        own: &[Uuid],
    ) -> Result<Vec<crate::store::verify::Problem>> {
        use crate::store::verify::Problem;
        let mut problems = Vec::new();
        let series: Vec<Vec<u8>> = self
            .conn
            .prepare("SELECT DISTINCT series_id FROM entries")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in series {
            let id = Uuid::from_slice(&id).unwrap_or(Uuid::nil());
            if own.contains(&id) || self.certified_here(&id)? {
                continue;
            }
            problems.push(Problem::Uncertified {
                counter: series_name(&self.conn, &id),
            });
        }
        for fork in ingest::forks(&self.conn)? {
            let signed = log::series_of(&self.conn, &fork.series_id)?
                .and_then(|s| ingest::key_of(&s))
                .zip(<[u8; 64]>::try_from(fork.signature.as_slice()).ok())
                .is_some_and(|(key, signature)| {
                    let wire = WireEntry {
                        seq: fork.seq,
                        prev_hash: fork.prev_hash,
                        signature,
                        body: fork.body.clone(),
                    };
                    let hash = ingest::hash_of(&fork.series_id, &wire);
                    hash == fork.hash && ingest::signed_by(&key, &hash, &signature)
                });
            if !signed {
                problems.push(Problem::ForkUnsigned {
                    counter: series_name(&self.conn, &fork.series_id),
                    seq: fork.seq,
                });
            }
        }
        Ok(problems)
    }

    /// Whether the series `series_id` is taken in here: certified by the district, or
    /// continuing a series that is, with that series' endorsement.
    fn certified_here(&self, series_id: &Uuid) -> Result<bool> {
        let Some(district) = district_of(&self.conn)? else {
            return Ok(false);
        };
        let mut seen = HashSet::new();
        let mut id = *series_id;
        loop {
            if !seen.insert(id) {
                return Ok(false);
            }
            if let Some(cert) = own_certificate(&self.conn, &id)?
                && cert
                    .check(&district.district_id, &district.public_key)
                    .is_ok()
            {
                return Ok(true);
            }
            let Some(info) = log::series_of(&self.conn, &id)? else {
                return Ok(false);
            };
            let Some(link) = &info.continues else {
                return Ok(false);
            };
            let Ok(earlier) = Uuid::parse_str(&link.series_id) else {
                return Ok(false);
            };
            let Some(earlier_info) = log::series_of(&self.conn, &earlier)? else {
                return Ok(false);
            };
            let Some(key) = ingest::key_of(&earlier_info) else {
                return Ok(false);
            };
            if !admit::endorsed(&claim_of(&id, &info), &key) {
                return Ok(false);
            }
            id = earlier;
        }
    }

    /// Starts taking in a bundle: checks its header against this counter's district.
    pub fn import<'a>(&'a mut self, source: &str, header: &BundleHeader) -> Result<Import<'a>> {
        let district = district_of(&self.conn)?.ok_or(LedgerError::NotEnrolled)?;
        if header.format != BUNDLE_FORMAT
            || !(BUNDLE_VERSION_MIN..=BUNDLE_VERSION).contains(&header.v)
        {
            return Err(LedgerError::BundleUnreadable {
                file: source.to_string(),
            });
        }
        if header.district_id != district.district_id {
            return Err(LedgerError::OtherDistrictBundle {
                district: header.district_name.clone(),
                ours: district.name,
            });
        }
        // A large import writes rows all over the postings and txn indexes: a larger page
        // cache for its duration keeps their pages in memory between commits (given back at
        // `finish`).
        self.conn
            .pragma_update(None, "cache_size", IMPORT_CACHE_KIB_NEGATIVE)?;
        Ok(Import {
            ledger: self,
            state: Taken {
                district,
                header: header.clone(),
                report: ImportReport {
                    source: source.to_string(),
                    ..ImportReport::default()
                },
                series: HashMap::new(),
                certified: HashMap::new(),
                received: HashMap::new(),
                batch: projection::Batch::default(),
                keys: Vec::new(),
            },
        })
    }

    /// Remembers the hub this counter syncs with, and its certificate authority (PEM).
    pub fn set_hub(&mut self, url: &str, ca_pem: Option<&str>) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE district SET hub_url = ?1, hub_ca = ?2 WHERE id = 1",
            params![url, ca_pem],
        )?;
        if changed == 0 {
            return Err(LedgerError::NotEnrolled);
        }
        Ok(())
    }

    /// The hub this counter syncs with, and its certificate authority, if `sync enroll
    /// --hub` set one.
    pub fn hub_address(&self) -> Result<Option<(String, Option<String>)>> {
        super::restore::hub_of(&self.conn)
    }

    /// The name of a series for messages: its counter's name, or the start of its id.
    pub fn series_name(&self, series_id: &Uuid) -> String {
        series_name(&self.conn, series_id)
    }

    /// This counter's own certificate (JSON), for the hub.
    pub fn own_certificate(&self) -> Result<Option<Certificate>> {
        own_certificate(&self.conn, &self.device.series_id)
    }

    /// Passbooks below zero: frozen until an administrator settles them.
    pub fn overdrafts(&self) -> Result<Vec<Overdraft>> {
        overdrafts_of(&self.conn)
    }

    /// Entries that move nothing because another entry made their claim first (a second
    /// reversal of one txn, a second check-in, a second settlement of one overdraft), with
    /// their local time.
    pub fn duplicates(&self) -> Result<Vec<Duplicate>> {
        duplicates_of(&self.conn, &self.series)
    }

    /// Forks held as evidence.
    pub fn forks(&self) -> Result<Vec<ForkView>> {
        forks_of(&self.conn)
    }

    /// What the sync screen and `sync status` show.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let own = self.own_series();
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.series_id, h.counter, h.community, h.code, h.seq,
                    s.last_import_at, s.last_export_at
             FROM series_heads h LEFT JOIN series_sync s ON s.series_id = h.series_id
             ORDER BY h.origin = ?1 DESC, h.counter, h.seq DESC",
        )?;
        let rows = stmt
            .query_map([&self.series.origin], |r| {
                let id: Vec<u8> = r.get(0)?;
                Ok((
                    Uuid::from_slice(&id).unwrap_or(Uuid::nil()),
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut series = Vec::with_capacity(rows.len());
        for (series_id, counter, community, code, seq, import, export) in rows {
            let code = match log::series_of(&self.conn, &series_id)? {
                Some(info) => code_of(&self.conn, &series_id, &info)?,
                None => code,
            };
            series.push(SeriesStatus {
                own: own.contains(&series_id),
                series_id,
                counter,
                community,
                code,
                seq,
                last_import: import.map(|t| self.local_time(&t)),
                last_export: export.map(|t| self.local_time(&t)),
            });
        }
        let last = |direction: &str| -> Result<Option<SyncLogRow>> {
            Ok(self
                .conn
                .prepare_cached(
                    "SELECT at, file, entries, new, present, refused, forks FROM sync_log
                     WHERE direction = ?1 ORDER BY position DESC LIMIT 1",
                )?
                .query_row([direction], |r| {
                    Ok(SyncLogRow {
                        at: r.get(0)?,
                        file: r.get(1)?,
                        entries: r.get(2)?,
                        new: r.get(3)?,
                        present: r.get(4)?,
                        refused: r.get(5)?,
                        forks: r.get(6)?,
                    })
                })
                .optional()?
                .map(|row| SyncLogRow {
                    at: self.local_time(&row.at),
                    ..row
                }))
        };
        Ok(SyncStatus {
            district: self.district()?,
            series,
            overdrafts: self.overdrafts()?,
            duplicates: self.duplicates()?,
            forks: self.forks()?,
            last_import: last("import")?,
            last_export: last("export")?,
        })
    }
}

fn heads_of(conn: &Connection) -> Result<Vec<Head>> {
    let mut stmt = conn.prepare_cached(
        "SELECT series_id, COUNT(*), MAX(seq) FROM entries GROUP BY series_id ORDER BY MIN(position)",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let id: Vec<u8> = r.get(0)?;
            Ok((
                Uuid::from_slice(&id).unwrap_or(Uuid::nil()),
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut heads = Vec::with_capacity(rows.len());
    for (series_id, count, max) in rows {
        // A series is stored without gaps; one with a hole (a deleted entry) stops before it.
        let seq = if count == max {
            max
        } else {
            first_gap(conn, &series_id)? - 1
        };
        let hash = ingest::stored_hash(conn, &series_id, seq)?
            .map(hex::encode)
            .unwrap_or_default();
        heads.push(Head {
            series_id,
            seq,
            hash,
        });
    }
    Ok(heads)
}

fn first_gap(conn: &Connection, series_id: &Uuid) -> Result<i64> {
    let mut stmt =
        conn.prepare_cached("SELECT seq FROM entries WHERE series_id = ?1 ORDER BY seq")?;
    let seqs = stmt
        .query_map([series_id.as_bytes().as_slice()], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(crate::district::heads::gapless_head(seqs) + 1)
}

/// The certificates a receiver needs for the series sent: each series' own, and those of the
/// series they continue; the exporter's always.
fn certificates_for(
    conn: &Connection,
    ranges: &[crate::district::Range],
    exporter: &Uuid,
) -> Result<Vec<Certificate>> {
    let mut wanted: Vec<Uuid> = vec![*exporter];
    for range in ranges {
        let mut id = range.series_id;
        let mut hops = 0;
        loop {
            if !wanted.contains(&id) {
                wanted.push(id);
            }
            hops += 1;
            let next = log::series_of(conn, &id)?
                .and_then(|s| s.continues)
                .and_then(|l| Uuid::parse_str(&l.series_id).ok());
            match next {
                Some(earlier) if hops < 64 => id = earlier,
                _ => break,
            }
        }
    }
    let mut out = Vec::new();
    for id in wanted {
        out.extend(own_certificate(conn, &id)?);
    }
    Ok(out)
}

/// The sealing keys of the residents registered or updated by the entries sent, sealed to the
/// district (erased residents have none to send).
fn keys_for(
    conn: &Connection,
    ranges: &[crate::district::Range],
    district: &District,
) -> Result<Vec<SealedResidentKey>> {
    let mut residents = std::collections::BTreeSet::new();
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM entries WHERE series_id = ?1 AND seq BETWEEN ?2 AND ?3
         AND kind IN ('resident_registered', 'resident_updated')",
    )?;
    for range in ranges {
        let bodies = stmt.query_map(
            params![range.series_id.as_bytes().as_slice(), range.from, range.to],
            |r| r.get::<_, Vec<u8>>(0),
        )?;
        for body in bodies {
            if let Ok(envelope) = serde_json::from_slice::<Envelope>(&body?) {
                match envelope.body {
                    Body::ResidentRegistered { resident, .. }
                    | Body::ResidentUpdated { resident, .. } => {
                        residents.insert(resident);
                    }
                    _ => {}
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut key_stmt = conn.prepare_cached("SELECT key FROM resident_keys WHERE resident = ?1")?;
    for resident in residents {
        let key: Option<Vec<u8>> = key_stmt.query_row([&resident], |r| r.get(0)).optional()?;
        if let Some(key) = key.and_then(|k| <[u8; 32]>::try_from(k).ok()) {
            let nonce = crate::keys::random_bytes::<12>()?;
            out.push(SealedResidentKey::seal(
                &district.data_key,
                &district.district_id,
                &resident,
                &key,
                nonce,
            ));
        }
    }
    Ok(out)
}

fn page_of(conn: &Connection, series_id: &Uuid, from: i64, to: i64) -> Result<Page> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, prev_hash, signature, body FROM entries
         WHERE series_id = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq",
    )?;
    let entries = stmt
        .query_map(params![series_id.as_bytes().as_slice(), from, to], |r| {
            let prev: Vec<u8> = r.get(1)?;
            let signature: Vec<u8> = r.get(2)?;
            Ok(WireEntry {
                seq: r.get(0)?,
                prev_hash: prev.try_into().unwrap_or([0; 32]),
                signature: signature.try_into().unwrap_or([0; 64]),
                body: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Page {
        series_id: *series_id,
        entries,
    })
}

fn duplicates_of(conn: &Connection, series: &SeriesInfo) -> Result<Vec<Duplicate>> {
    Ok(crate::store::claims::duplicates(conn)?
        .into_iter()
        .map(|d| Duplicate {
            recorded_at: series.local_time(&d.recorded_at),
            ..d
        })
        .collect())
}

fn overdrafts_of(conn: &Connection) -> Result<Vec<Overdraft>> {
    let mut stmt = conn.prepare_cached(
        "SELECT substr(b.account, 10), b.points, p.resident, p.origin FROM balances b
         JOIN passbooks p ON p.passbook = substr(b.account, 10)
         WHERE b.account LIKE 'passbook:%' AND b.points < 0 ORDER BY b.points, b.account",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for (passbook, points, resident, origin) in rows {
        out.push(Overdraft {
            resident_name: super::people::masked_name(conn, &resident)?,
            counter: read::counter_name(conn, &origin)?.unwrap_or(origin),
            passbook,
            resident,
            balance: crate::domain::Points(points),
        });
    }
    Ok(out)
}

fn forks_of(conn: &Connection) -> Result<Vec<ForkView>> {
    let mut out = Vec::new();
    for fork in ingest::forks(conn)? {
        out.push(ForkView {
            counter: series_name(conn, &fork.series_id),
            held_hash: ingest::stored_hash(conn, &fork.series_id, fork.seq)?.map(hex::encode),
            other_hash: hex::encode(fork.hash),
            series_id: fork.series_id,
            seq: fork.seq,
            found_at: fork.found_at,
            source: fork.source,
        });
    }
    Ok(out)
}

/// A bundle being taken in: certificates and keys first, then pages, then its end.
pub struct Import<'a> {
    ledger: &'a mut Ledger,
    state: Taken,
}

/// What an import has taken so far.
struct Taken {
    district: District,
    header: BundleHeader,
    report: ImportReport,
    series: HashMap<Uuid, Taking>,
    /// Certificates of this bundle (and this database) that checked out, by series.
    certified: HashMap<Uuid, Certified>,
    /// The highest seq of each series that arrived whole.
    received: HashMap<Uuid, i64>,
    /// Projection changes of the chunk being stored, written together at its end.
    batch: projection::Batch,
    /// Resident keys opened, kept until the pages that carry their residents' sealed data are
    /// in (a key is installed only when it opens that data).
    keys: Vec<(String, [u8; 32])>,
}

/// One entry of a page, prepared off the write lock: its hash and whether it is signed.
struct Prepared<'p> {
    series_id: Uuid,
    entry: &'p WireEntry,
    hash: [u8; 32],
}

impl Import<'_> {
    /// Certificates that arrived with the bundle; those that check out are kept (a series is
    /// taken in only with one).
    pub fn certificates(&mut self, certificates: &[Certificate]) -> Result<()> {
        // The hub sends every certificate with every page: those taken already are skipped,
        // and nothing is written when nothing is new.
        let certificates: Vec<&Certificate> = certificates
            .iter()
            .filter(|c| {
                c.series_id()
                    .is_none_or(|id| !self.state.certified.contains_key(&id))
            })
            .collect();
        if certificates.is_empty() {
            return Ok(());
        }
        let at = format_time(self.ledger.now());
        let state = &mut self.state;
        let tx = self
            .ledger
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for certificate in certificates {
            let Some(series_id) = certificate.series_id() else {
                continue;
            };
            if let Ok(certified) =
                certificate.check(&state.district.district_id, &state.district.public_key)
                && certified.series_id == series_id
            {
                tx.execute(
                    "INSERT OR IGNORE INTO certificates (series_id, certificate, received_at)
                     VALUES (?1, ?2, ?3)",
                    params![
                        series_id.as_bytes().as_slice(),
                        serde_json::to_vec(certificate).expect("plain struct serialises"),
                        at
                    ],
                )?;
                state.certified.insert(series_id, certified);
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Resident keys that arrived sealed to the district: each opened, and installed once the
    /// pages are in if it opens its resident's sealed data (a resident's key comes from the
    /// counter that registered them; another counter's garbage key opens nothing and is dropped).
    pub fn keys(&mut self, keys: &[SealedResidentKey]) -> Result<()> {
        let district = &self.state.district;
        self.state.keys.extend(keys.iter().filter_map(|sealed| {
            district
                .open_resident_key(sealed)
                .map(|key| (sealed.resident.clone(), key))
        }));
        Ok(())
    }

    /// Installs the keys waiting that open their residents' data; those that do not wait
    /// for more pages, or are dropped at the `end`.
    fn install_keys(&mut self, end: bool) -> Result<()> {
        if self.state.keys.is_empty() {
            return Ok(());
        }
        let state = &mut self.state;
        let tx = self
            .ledger
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut waiting = Vec::new();
        for (resident, key) in std::mem::take(&mut state.keys) {
            match ingest::install_resident_key(&tx, &resident, &key)? {
                ingest::KeyInstalled::Installed => state.report.keys_installed += 1,
                ingest::KeyInstalled::Held | ingest::KeyInstalled::Erased => {}
                ingest::KeyInstalled::OpensNothing if end => {
                    tracing::warn!(resident, "a resident key that opens nothing was dropped");
                }
                ingest::KeyInstalled::OpensNothing => waiting.push((resident, key)),
            }
        }
        state.keys = waiting;
        tx.commit()?;
        Ok(())
    }

    /// Takes in pages: signatures are checked on both cores first, then every entry is
    /// stored in order in one write transaction per [`IMPORT_ENTRIES_PER_COMMIT`] entries.
    pub fn pages(&mut self, pages: &[Page]) -> Result<()> {
        for page in pages {
            self.state.report.entries += page.entries.len() as u64;
            if let Some(last) = page.entries.last() {
                let seen = self.state.received.entry(page.series_id).or_insert(0);
                *seen = (*seen).max(last.seq);
            }
        }
        let prepared: Vec<Prepared<'_>> = pages
            .iter()
            .flat_map(|page| {
                page.entries.iter().map(move |entry| Prepared {
                    series_id: page.series_id,
                    entry,
                    hash: ingest::hash_of(&page.series_id, entry),
                })
            })
            .collect();
        for chunk in prepared.chunks(IMPORT_ENTRIES_PER_COMMIT) {
            self.take_chunk(chunk)?;
        }
        self.install_keys(false)
    }

    fn take_chunk(&mut self, chunk: &[Prepared<'_>]) -> Result<()> {
        let now = format_time(self.ledger.now());
        // A recovering ledger takes its own series in like any other (nil: no series is own).
        let own_current = if self.ledger.recovering {
            Uuid::nil()
        } else {
            self.ledger.device.series_id
        };
        let seal_key = self.ledger.device.seal_key();
        let state = &mut self.state;
        let tx = self
            .ledger
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The keys each entry must be signed with, known before the signatures are checked:
        // a series' own first entry (held, or first in this chunk).
        let mut keys: HashMap<Uuid, Option<VerifyingKey>> = HashMap::new();
        for p in chunk {
            if keys.contains_key(&p.series_id) {
                continue;
            }
            let taking = match state.series.entry(p.series_id) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(Taking {
                    state: ingest::series_state(&tx, &p.series_id)?,
                    refused_at: None,
                }),
            };
            let key = match &taking.state {
                Some(held) => Some(held.key),
                None => genesis_info(&p.series_id, p.entry).and_then(|info| ingest::key_of(&info)),
            };
            keys.insert(p.series_id, key);
        }
        let mut touched: HashSet<String> = HashSet::new();
        let mut imported_series: HashSet<Uuid> = HashSet::new();
        // Signatures are checked on a second thread, part by part, while the parts before are
        // stored here: the two cores work side by side instead of one after the other.
        std::thread::scope(|scope| -> Result<()> {
            let (send, receive) = std::sync::mpsc::sync_channel::<Vec<bool>>(2);
            let keys = &keys;
            scope.spawn(move || {
                for part in chunk.chunks(SIGNATURE_PART_ENTRIES) {
                    if send.send(verify_part(part, keys)).is_err() {
                        return;
                    }
                }
            });
            for part in chunk.chunks(SIGNATURE_PART_ENTRIES) {
                let signed = receive
                    .recv()
                    .expect("the verifier sends one result per part");
                for (p, signed) in part.iter().zip(signed) {
                    if let Some(passbook) = state.take_one(&tx, p, signed, own_current, &now)? {
                        imported_series.insert(p.series_id);
                        touched.extend(passbook);
                    }
                }
            }
            Ok(())
        })?;
        state.batch.flush(&tx)?;
        // The imported entries were checked one by one: the balances they moved are sealed
        // again, so the next debit of those passbooks takes the fast path.
        for passbook in touched {
            seal::write(
                &tx,
                &seal_key,
                &crate::domain::effects::passbook_account(&passbook),
            )?;
        }
        for series_id in imported_series {
            tx.execute(
                "INSERT INTO series_sync (series_id, last_import_at) VALUES (?1, ?2)
                 ON CONFLICT (series_id) DO UPDATE SET last_import_at = excluded.last_import_at",
                params![series_id.as_bytes().as_slice(), now],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Ends the import: what the bundle's end said, what it meant to carry and did not, the
    /// overdrafts it left; logged for `sync status`.
    pub fn finish(mut self, end: BundleEnd) -> Result<ImportReport> {
        self.install_keys(true)?;
        let Import { ledger, state } = self;
        crate::store::configure(&ledger.conn)?;
        let mut report = state.report;
        report.end = Some(end);
        for range in &state.header.ranges {
            let got = state.received.get(&range.series_id).copied().unwrap_or(0);
            if got < range.to {
                report.missing.push(Missing {
                    series_id: range.series_id,
                    counter: series_name(&ledger.conn, &range.series_id),
                    from: got.max(range.from - 1) + 1,
                    to: range.to,
                });
            }
        }
        report.refused.truncate(REFUSALS_LISTED_MAX);
        report.overdrafts = overdrafts_of(&ledger.conn)?;
        report.duplicates = duplicates_of(&ledger.conn, &ledger.series)?;
        let at = format_time(ledger.now());
        ledger.conn.execute(
            "INSERT INTO sync_log (at, direction, file, peer, entries, new, present, refused, forks)
             VALUES (?1, 'import', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                at,
                report.source,
                state.header.exporter_name,
                report.entries as i64,
                report.new as i64,
                report.present as i64,
                report.refused_entries as i64,
                report.forks.len() as i64
            ],
        )?;
        Ok(report)
    }

    /// Another bundle of the same import (the hub's pages, one after another): what it means
    /// to carry is expected too.
    pub fn expect(&mut self, ranges: &[crate::district::Range]) {
        self.state.header.ranges.extend_from_slice(ranges);
    }

    /// Series refused or forked so far in this import (a puller asks for them no more).
    pub fn refused_series(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self
            .state
            .report
            .refused
            .iter()
            .map(|r| r.series_id)
            .chain(self.state.report.forks.iter().map(|f| f.series_id))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Entries read so far.
    pub fn entries_read(&self) -> u64 {
        self.state.report.entries
    }

    /// The key of the series that made the bundle, to check its signature at the end.
    pub fn exporter_key(&self) -> Result<Option<VerifyingKey>> {
        // A bundle the hub made is signed with the district key.
        if self.state.header.exporter.to_string() == self.state.district.district_id {
            return Ok(Some(self.state.district.public_key));
        }
        Ok(
            log::series_of(&self.ledger.conn, &self.state.header.exporter)?
                .and_then(|s| ingest::key_of(&s)),
        )
    }
}

impl Taken {
    /// One entry: present, new (stored), a fork, or refused. `Some(passbook)` when it was
    /// stored (with the passbook it moved, if any).
    fn take_one(
        &mut self,
        tx: &Connection,
        p: &Prepared<'_>,
        signed: bool,
        own_current: Uuid,
        now: &str,
    ) -> Result<Option<Option<String>>> {
        let taking = self
            .series
            .get_mut(&p.series_id)
            .expect("every series of the chunk is prepared");
        if let Some(index) = taking.refused_at {
            self.report.refused[index].entries += 1;
            self.report.refused_entries += 1;
            return Ok(None);
        }
        let head = taking.state.as_ref().map(|s| (s.seq, s.hash));
        let below_head = head.is_some_and(|(seq, _)| p.entry.seq <= seq);
        let held_hash = if below_head {
            ingest::stored_hash(tx, &p.series_id, p.entry.seq)?
        } else {
            None
        };
        let envelope = serde_json::from_slice::<Envelope>(&p.entry.body).ok();
        let entry_id = envelope.as_ref().and_then(|e| Uuid::parse_str(&e.id).ok());
        let id_taken = match entry_id {
            Some(id) if !below_head => ingest::id_taken(tx, &id)?,
            _ => false,
        };
        let verdict = admit::entry(&admit::Arriving {
            seq: p.entry.seq,
            prev_hash: &p.entry.prev_hash,
            hash: &p.hash,
            head,
            held_hash,
            own: p.series_id == own_current,
            signed,
            envelope: envelope.as_ref(),
            id_taken,
            revoked: false,
        });
        match verdict {
            admit::Verdict::Present => {
                self.report.present += 1;
                return Ok(None);
            }
            admit::Verdict::Fork => return self.fork(tx, p, now).map(|()| None),
            admit::Verdict::Refused(refusal) => return self.refuse(tx, p, refusal).map(|()| None),
            admit::Verdict::New { .. } => {}
        }
        let (Some(envelope), Some(entry_id)) = (envelope, entry_id) else {
            unreachable!("a new entry was read");
        };
        let info = match &taking.state {
            Some(state) => state.info.clone(),
            None => {
                let Some(info) = SeriesInfo::from_body(&p.series_id, &envelope.body) else {
                    return self.refuse(tx, p, Refusal::NotGenesis).map(|()| None);
                };
                if let Err(refusal) = self.trust(tx, &p.series_id, &info)? {
                    return self.refuse(tx, p, refusal).map(|()| None);
                }
                info
            }
        };
        let appended = ingest::store(
            tx,
            &p.series_id,
            p.entry,
            &p.hash,
            entry_id,
            &envelope,
            &info,
            &SqlKeys(tx),
            &mut self.batch,
        )?;
        if let Body::ResidentErased { resident } = &envelope.body {
            self.report.erased.push(resident.clone());
        }
        let key = ingest::key_of(&info).expect("a stored series has a key");
        let taking = self.series.get_mut(&p.series_id).expect("prepared above");
        taking.state = Some(SeriesState {
            info,
            key,
            seq: appended.seq,
            hash: appended.hash,
        });
        self.report.new += 1;
        Ok(Some(
            envelope
                .body
                .passbook_balance_after()
                .map(|(passbook, _)| passbook.to_string()),
        ))
    }

    /// Whether a new series may join: certified by the district with the key its first entry
    /// names, or continuing (with the same counter, prefix and code) a series held here whose
    /// key endorsed it.
    fn trust(
        &self,
        tx: &Connection,
        series_id: &Uuid,
        info: &SeriesInfo,
    ) -> Result<std::result::Result<(), Refusal>> {
        let certified = match self.certified.get(series_id) {
            Some(c) => Some(c.clone()),
            None => own_certificate(tx, series_id)?.and_then(|c| {
                c.check(&self.district.district_id, &self.district.public_key)
                    .ok()
            }),
        };
        let earlier_id = info
            .continues
            .as_ref()
            .and_then(|link| Uuid::parse_str(&link.series_id).ok());
        let earlier_info = match earlier_id {
            Some(id) => log::series_of(tx, &id)?,
            None => None,
        };
        let earlier_code = match (earlier_id, &earlier_info) {
            (Some(id), Some(e)) => code_of(tx, &id, e)?,
            _ => None,
        };
        let earlier = match &earlier_info {
            Some(e) => ingest::key_of(e).map(|key| admit::Earlier {
                origin: &e.origin,
                prefix: &e.prefix,
                code: earlier_code.as_deref(),
                key,
                revoked: false,
            }),
            None => None,
        };
        // Two counters numbering with one code would hand out the same numbers: the one that
        // arrives second is refused and named (the street office gave a code twice).
        let code_holder = match &certified {
            Some(c) => numbering_holder(tx, &c.body.code, info)?,
            None => None,
        };
        let claim = claim_of(series_id, info);
        Ok(admit::admit(
            &claim,
            certified.as_ref(),
            earlier.as_ref(),
            code_holder,
        ))
    }

    /// A signed entry that conflicts with its series as held here: kept as evidence.
    fn fork(&mut self, tx: &Connection, p: &Prepared<'_>, now: &str) -> Result<()> {
        let source = self.report.source.clone();
        if ingest::keep_fork(tx, &p.series_id, p.entry, &p.hash, now, &source)? {
            self.report.forks.push(ForkView {
                series_id: p.series_id,
                counter: series_name(tx, &p.series_id),
                seq: p.entry.seq,
                held_hash: ingest::stored_hash(tx, &p.series_id, p.entry.seq)?.map(hex::encode),
                other_hash: hex::encode(p.hash),
                found_at: now.to_string(),
                source: source.clone(),
            });
        }
        // The fork's successors link to it, not to what is held: they are not merged either.
        let taking = self.series.get_mut(&p.series_id).expect("prepared");
        taking.refused_at = Some(self.report.refused.len());
        self.report.refused.push(Refused {
            series_id: p.series_id,
            counter: series_name(tx, &p.series_id),
            seq: p.entry.seq,
            refusal: Refusal::AfterRefused { seq: p.entry.seq },
            entries: 0,
        });
        Ok(())
    }

    /// The name of a series for a refusal: as held here, else as its certificate or its first
    /// entry (in this bundle) says, else the start of its id.
    fn name_of(&self, tx: &Connection, p: &Prepared<'_>) -> String {
        if let Ok(Some(held)) = log::series_of(tx, &p.series_id) {
            return held.counter;
        }
        self.certified
            .get(&p.series_id)
            .map(|c| c.body.counter.clone())
            .or_else(|| genesis_info(&p.series_id, p.entry).map(|g| g.counter))
            .unwrap_or_else(|| series_name(tx, &p.series_id))
    }

    fn refuse(&mut self, tx: &Connection, p: &Prepared<'_>, refusal: Refusal) -> Result<()> {
        let counter = self.name_of(tx, p);
        let taking = self.series.get_mut(&p.series_id).expect("prepared");
        taking.refused_at = Some(self.report.refused.len());
        self.report.refused_entries += 1;
        self.report.refused.push(Refused {
            series_id: p.series_id,
            counter,
            seq: p.entry.seq,
            refusal,
            entries: 1,
        });
        Ok(())
    }
}

/// Whether each entry of a part is signed by its series' key.
fn verify_part(part: &[Prepared<'_>], keys: &HashMap<Uuid, Option<VerifyingKey>>) -> Vec<bool> {
    let items: Vec<crate::district::signatures::Signed<'_>> = part
        .iter()
        .map(|p| crate::district::signatures::Signed {
            hash: &p.hash,
            signature: &p.entry.signature,
            key: keys.get(&p.series_id).copied().flatten(),
        })
        .collect();
    crate::district::signatures::check(&items)
}

/// Entries of one passbook redeemed at this counter (its lineage) since `from` (UTC).
pub(crate) fn spent_here_since(
    conn: &Connection,
    passbook: &str,
    origin: &str,
    from: &str,
) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(-p.points), 0) FROM postings p JOIN entries e ON e.position = p.position
             WHERE p.account = ?1 AND e.kind = 'points_redeemed' AND e.recorded_at >= ?2
               AND e.series_id IN (SELECT series_id FROM series_heads WHERE origin = ?3)",
        )?
        .query_row(
            params![crate::domain::effects::passbook_account(passbook), from, origin],
            |r| r.get(0),
        )?)
}

/// What a series' first entry says, read from the wire (before anything is stored).
fn genesis_info(series_id: &Uuid, entry: &WireEntry) -> Option<SeriesInfo> {
    if entry.seq != 1 {
        return None;
    }
    let envelope: Envelope = serde_json::from_slice(&entry.body).ok()?;
    SeriesInfo::from_body(series_id, &envelope.body)
}
