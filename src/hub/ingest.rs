//! Taking in a push: every entry is checked as a counter's import checks it (the next seq of
//! its series, the hash link, the signature by the series' certified key, the first entry's
//! admission by [`crate::district::admit`]) before the store appends it. Results are per entry:
//! one bad entry refuses itself and the rest of its series in this push, nothing else.
//!
//! Judging reads the store; appending checks that no series moved since (another hub process
//! may append to the same series at the same time) and judges again if one did.

use super::store::{
    Append, AppendOutcome, ClaimRow, Claimant, Derived, EntryRow, Evidence, HubSeries, NewSeries,
    SkewRow, Store, StoreResult, SyncCounts, sealed_text,
};
use crate::district::protocol::{PushResponse, Taken, push_outcome};
use crate::district::signatures::{self, Signed};
use crate::district::trust::Certified;
use crate::district::{
    Certificate, DistrictKey, Page, SealedResidentKey, WireEntry, admit, claims, clocks,
};
use crate::domain::{Effect, Envelope};
use crate::store::ingest::hash_of;
use crate::store::log::{GENESIS_PREV_HASH, SeriesInfo};
use ed25519_dalek::VerifyingKey;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Times a push is judged again when another process moved one of its series meanwhile (or
/// a claim it was judged without looking up turned out held).
pub const APPEND_ATTEMPTS_MAX: usize = 8;

/// How a push is judged against the claims the hub holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClaimHolders {
    /// As if none of its claims were held. Almost always true (a txn, a reversal, a resident
    /// number is claimed once), and the append checks it anyway: it takes the claims only if
    /// none is held, else sends the push back to be judged again, [`ClaimHolders::LookedUp`]. This
    /// spares every push a read of its claims, a tenth of a PostgreSQL hub's ingest.
    Unheld,
    /// Against the holders looked up.
    LookedUp,
}

/// What a counter pushed: certificates, sealed resident keys and pages of entries.
#[derive(Clone, Debug, Default)]
pub struct Pushed {
    pub certificates: Vec<Certificate>,
    pub keys: Vec<SealedResidentKey>,
    pub pages: Vec<Page>,
}

impl Pushed {
    pub fn entries(&self) -> usize {
        self.pages.iter().map(|p| p.entries.len()).sum()
    }
}

/// What the hub made of a push, for the response, the log and the metrics.
#[derive(Clone, Debug, Default)]
pub struct Ingested {
    pub response: PushResponse,
    pub counts: SyncCounts,
    /// Refused entries by reason code.
    pub refusals: HashMap<String, u64>,
}

/// Certificates that check out against the district key, by series.
pub fn certified(district: &DistrictKey, certificates: &[Certificate]) -> HashMap<Uuid, Certified> {
    let id = district.district_id.to_string();
    let key = district.public_key();
    certificates
        .iter()
        .filter_map(|c| c.check(&id, &key).ok())
        .map(|c| (c.series_id, c))
        .collect()
}

/// A series as known while judging: as held, or as its first entry in this push says.
#[derive(Clone)]
struct Known {
    info: SeriesInfo,
    key: VerifyingKey,
    seq: i64,
    hash: [u8; 32],
}

fn info_of(s: &HubSeries) -> SeriesInfo {
    SeriesInfo {
        community: s.community.clone(),
        prefix: s.prefix.clone(),
        counter: s.counter.clone(),
        public_key: s.public_key.to_vec(),
        utc_offset_minutes: s.utc_offset_minutes,
        origin: s.origin.clone(),
        code: s.code.clone(),
        continues: None,
        number_block: 0,
    }
}

fn known_of(s: &HubSeries) -> Option<Known> {
    Some(Known {
        info: info_of(s),
        key: VerifyingKey::from_bytes(&s.public_key).ok()?,
        seq: s.seq,
        hash: s.hash,
    })
}

/// What entry `seq` of series `series_id` does to the hub's derived tables.
fn derived_of(effects: &[Effect], series_id: Uuid, seq: i64) -> Vec<Derived> {
    let mut derived = Vec::with_capacity(effects.len() + 1);
    for effect in effects {
        if let Effect::Post { account, points } = effect
            && account.starts_with(crate::domain::effects::PASSBOOK_ACCOUNT_PREFIX)
        {
            derived.push(Derived::Posting {
                account: account.clone(),
                series_id,
                seq,
                points: points.0,
            });
        }
    }
    derived.extend(effects.iter().filter_map(|effect| match effect {
        Effect::Post { account, points } => Some(Derived::Post {
            account: account.clone(),
            points: points.0,
        }),
        Effect::Tally {
            day,
            origin,
            kind,
            key,
            count,
            qty,
            minutes,
            points,
        } => Some(Derived::Tally {
            day: day.clone(),
            origin: origin.clone(),
            kind,
            key: key.clone(),
            count: *count,
            qty: *qty,
            minutes: *minutes,
            points: points.0,
        }),
        Effect::Served {
            day,
            origin,
            passbook,
        } => Some(Derived::Served {
            day: day.clone(),
            origin: origin.clone(),
            passbook: passbook.clone(),
        }),
        Effect::PutItem { origin, def } => Some(Derived::Name {
            origin: origin.clone(),
            what: "item",
            code: def.item.clone(),
            name: def.name.clone(),
        }),
        Effect::PutActivity { origin, def } => Some(Derived::Name {
            origin: origin.clone(),
            what: "activity",
            code: def.activity.clone(),
            name: def.name.clone(),
        }),
        Effect::PutPassbook {
            passbook,
            origin,
            resident,
            ..
        } => Some(Derived::Passbook {
            passbook: passbook.clone(),
            resident: resident.clone(),
            origin: origin.clone(),
        }),
        Effect::RegisterResident {
            resident,
            origin,
            sealed,
            ..
        } => Some(Derived::Register {
            resident: resident.clone(),
            origin: origin.clone(),
            sealed: sealed_text(sealed),
        }),
        Effect::UpdateResident {
            resident,
            origin,
            sealed,
        } => Some(Derived::Update {
            resident: resident.clone(),
            origin: origin.clone(),
            sealed: sealed_text(sealed),
        }),
        Effect::EraseResident { resident } => Some(Derived::Erase {
            resident: resident.clone(),
        }),
        _ => None,
    }));
    derived.extend(effects.iter().filter_map(|effect| match effect {
        Effect::PutPassbook {
            passbook,
            resident,
            token_sha256,
            ..
        } => Some(Derived::Token {
            token_sha256: token_sha256.clone(),
            passbook: passbook.clone(),
            resident: resident.clone(),
            revoked: false,
        }),
        Effect::RevokePassbook {
            passbook,
            token_sha256,
        } => Some(Derived::Token {
            token_sha256: token_sha256.clone(),
            passbook: passbook.clone(),
            resident: String::new(),
            revoked: true,
        }),
        _ => None,
    }));
    derived
}

/// Takes in a push from `series_id`.
pub async fn ingest<S: Store>(
    store: &S,
    district: &DistrictKey,
    series_id: Uuid,
    pushed: &Pushed,
    at: &str,
) -> StoreResult<Ingested> {
    // Certificates first, by the enrolment rules, whether or not their series arrive now; a
    // series is then judged by the certificate the hub holds for it.
    for certificate in &pushed.certificates {
        if let Err(refusal) = super::grants::take(store, district, certificate, at).await? {
            tracing::warn!(series_id = %series_id, reason = refusal.code(), "push: certificate refused");
        }
    }
    let ids: Vec<Uuid> = pushed.pages.iter().map(|p| p.series_id).collect();
    let mut certified = HashMap::new();
    for (id, json) in store.certificates(&ids).await? {
        if let Ok(c) = serde_json::from_str::<Certificate>(&json) {
            certified.extend(
                self::certified(district, &[c])
                    .into_iter()
                    .filter(|(i, _)| *i == id),
            );
        }
    }
    for attempt in 0..APPEND_ATTEMPTS_MAX {
        let holders = if attempt == 0 {
            ClaimHolders::Unheld
        } else {
            ClaimHolders::LookedUp
        };
        let (mut append, ingested) =
            judge(store, &certified, series_id, pushed, at, holders).await?;
        append.keys = resident_keys_that_open(store, district, &append, &pushed.keys).await?;
        match store.append(append).await? {
            AppendOutcome::Done => {
                let mut ingested = ingested;
                ingested.response.heads = store.heads().await?;
                return Ok(ingested);
            }
            AppendOutcome::Moved => continue,
            AppendOutcome::KeepClaims(origins) => {
                store.keep_claims(&origins).await?;
                continue;
            }
        }
    }
    Err(super::store::StoreError::Other(
        "the series kept moving while the push was judged".into(),
    ))
}

/// The pushed resident keys that open their resident's sealed data (as this push registers
/// or updates it, else as the hub holds it): a resident's key comes from the counter that registered
/// them, and a key that opens nothing (another counter's garbage, sent before theirs) is not kept.
async fn resident_keys_that_open<S: Store>(
    store: &S,
    district: &DistrictKey,
    append: &Append,
    keys: &[SealedResidentKey],
) -> StoreResult<Vec<SealedResidentKey>> {
    let mut sealed: HashMap<String, String> = HashMap::new();
    for d in &append.derived {
        if let Derived::Register {
            resident,
            sealed: s,
            ..
        }
        | Derived::Update {
            resident,
            sealed: s,
            ..
        } = d
        {
            sealed.insert(resident.clone(), s.clone());
        }
    }
    let missing: Vec<String> = keys
        .iter()
        .map(|k| k.resident.clone())
        .filter(|r| !sealed.contains_key(r))
        .collect();
    for (resident, s) in store.resident_sealed(&missing).await? {
        sealed.entry(resident).or_insert(s);
    }
    let district_id = district.district_id.to_string();
    Ok(keys
        .iter()
        .filter(|k| {
            let opens = sealed
                .get(&k.resident)
                .and_then(|s| crate::store::projection::sealed_of(s))
                .zip(district.open_resident_key(k, &district_id))
                .is_some_and(|(s, key)| crate::keys::unseal(&key, &k.resident, &s).is_some());
            if !opens {
                tracing::warn!(resident = %k.resident, "push: a resident key that opens nothing was not kept");
            }
            opens
        })
        .cloned()
        .collect())
}

/// One entry of the push with what judging needs.
struct Item<'p> {
    series_id: Uuid,
    entry: &'p WireEntry,
    hash: [u8; 32],
}

async fn judge<S: Store>(
    store: &S,
    certified: &HashMap<Uuid, Certified>,
    series_id: Uuid,
    pushed: &Pushed,
    at: &str,
    holders: ClaimHolders,
) -> StoreResult<(Append, Ingested)> {
    let items: Vec<Item<'_>> = pushed
        .pages
        .iter()
        .flat_map(|page| {
            page.entries.iter().map(move |entry| Item {
                series_id: page.series_id,
                entry,
                hash: hash_of(&page.series_id, entry),
            })
        })
        .collect();
    let ids: Vec<Uuid> = {
        let mut seen = HashSet::new();
        items
            .iter()
            .map(|i| i.series_id)
            .filter(|id| seen.insert(*id))
            .collect()
    };
    let held = store.series(&ids).await?;
    // A revoked series takes no new entry, whoever relays it; what the hub holds stays.
    let revoked = store.revoked(&ids).await?;
    let mut known: HashMap<Uuid, Known> = held
        .iter()
        .filter_map(|(id, s)| known_of(s).map(|k| (*id, k)))
        .collect();
    // Keys for the signatures: the series' as held, else its first entry's in this push.
    let mut keys: HashMap<Uuid, Option<VerifyingKey>> = HashMap::new();
    for item in &items {
        keys.entry(item.series_id).or_insert_with(|| {
            known.get(&item.series_id).map(|k| k.key).or_else(|| {
                genesis_of(&item.series_id, item.entry).and_then(|info| {
                    VerifyingKey::from_bytes(&info.public_key.clone().try_into().ok()?).ok()
                })
            })
        });
    }
    let signed = {
        let to_check: Vec<([u8; 32], [u8; 64], Option<VerifyingKey>)> = items
            .iter()
            .map(|i| {
                (
                    i.hash,
                    i.entry.signature,
                    keys.get(&i.series_id).copied().flatten(),
                )
            })
            .collect();
        tokio::task::spawn_blocking(move || {
            let signed: Vec<Signed<'_>> = to_check
                .iter()
                .map(|(hash, signature, key)| Signed {
                    hash,
                    signature,
                    key: *key,
                })
                .collect();
            signatures::check_parallel(&signed, SIGNATURE_THREADS)
        })
        .await
        .map_err(|e| super::store::StoreError::Other(format!("signature thread: {e}")))?
    };
    // Entries at seqs the hub holds: present, or a fork.
    let mut held_hashes: HashMap<Uuid, HashMap<i64, [u8; 32]>> = HashMap::new();
    for id in &ids {
        let head = known.get(id).map_or(0, |k| k.seq);
        let low = items
            .iter()
            .filter(|i| i.series_id == *id && i.entry.seq <= head)
            .map(|i| i.entry.seq)
            .min();
        if let Some(low) = low {
            held_hashes.insert(*id, store.hashes(*id, low, head).await?);
        }
    }
    // Every envelope parsed once, here.
    let envelopes: Vec<Option<Envelope>> = items
        .iter()
        .map(|i| serde_json::from_slice::<Envelope>(&i.entry.body).ok())
        .collect();
    let entry_ids: Vec<Uuid> = envelopes
        .iter()
        .filter_map(|e| e.as_ref().and_then(|e| Uuid::parse_str(&e.id).ok()))
        .collect();
    let taken_ids = store.taken_ids(&entry_ids).await?;
    // What the entries claim, and who holds each claim now.
    let mut origins: HashMap<Uuid, String> = known
        .iter()
        .map(|(id, k)| (*id, k.info.origin.clone()))
        .collect();
    for item in &items {
        if let Some(info) = genesis_of(&item.series_id, item.entry) {
            origins.entry(item.series_id).or_insert(info.origin);
        }
    }
    let made: Vec<Vec<String>> = items
        .iter()
        .zip(&envelopes)
        .map(
            |(item, envelope)| match (envelope, origins.get(&item.series_id)) {
                (Some(e), Some(origin)) => claims::claims_of(&e.body, e.txn.as_deref(), origin),
                _ => Vec::new(),
            },
        )
        .collect();
    let mut claimed = Claimed {
        judged: match holders {
            ClaimHolders::Unheld => HashMap::new(),
            ClaimHolders::LookedUp => {
                let all: Vec<String> = made.iter().flatten().cloned().collect();
                store.claimants(&all).await?
            }
        },
        ..Claimed::default()
    };
    claimed.holders = claimed.judged.clone();

    let mut append = Append {
        expected: ids
            .iter()
            .map(|id| (*id, known.get(id).map_or(0, |k| k.seq)))
            .collect(),
        source: series_id.to_string(),
        series_id,
        at: at.to_string(),
        ..Append::default()
    };
    let mut ingested = Ingested::default();
    // The time of each series' newest entry, for the clock check of the next.
    let mut last_recorded: HashMap<Uuid, String> = HashMap::new();
    let mut stopped: HashSet<Uuid> = HashSet::new();
    let mut ids_here: HashSet<Uuid> = HashSet::new();
    for (((item, signed), envelope), made) in items.iter().zip(signed).zip(envelopes).zip(made) {
        let id = item.series_id;
        let seq = item.entry.seq;
        ingested.counts.entries += 1;
        let refuse = |ingested: &mut Ingested, reason: &str| {
            push_outcome(
                &mut ingested.response.outcomes,
                id,
                seq,
                Taken::Refused,
                Some(reason.to_string()),
            );
            ingested.counts.refused += 1;
            *ingested.refusals.entry(reason.to_string()).or_default() += 1;
        };
        if stopped.contains(&id) {
            refuse(&mut ingested, "after_refused");
            continue;
        }
        let evidence = |reason: &str| Evidence {
            series_id: id,
            seq,
            hash: item.hash,
            prev_hash: item.entry.prev_hash,
            signature: item.entry.signature,
            body: item.entry.body.clone(),
            reason: reason.to_string(),
        };
        let head = known.get(&id).map(|k| (k.seq, k.hash));
        let below_head = head.is_some_and(|(head_seq, _)| seq <= head_seq);
        let held_hash = if below_head {
            held_hashes.get(&id).and_then(|h| h.get(&seq)).copied()
        } else {
            None
        };
        let entry_uuid = envelope.as_ref().and_then(|e| Uuid::parse_str(&e.id).ok());
        let id_taken = !below_head
            && entry_uuid.is_some_and(|u| taken_ids.contains(&u) || ids_here.contains(&u));
        let verdict = admit::entry(&admit::Arriving {
            seq,
            prev_hash: &item.entry.prev_hash,
            hash: &item.hash,
            head,
            held_hash,
            own: false,
            signed,
            envelope: envelope.as_ref(),
            id_taken,
            revoked: revoked.contains(&id),
        });
        let genesis = match verdict {
            admit::Verdict::Present => {
                push_outcome(
                    &mut ingested.response.outcomes,
                    id,
                    seq,
                    Taken::Present,
                    None,
                );
                ingested.counts.present += 1;
                continue;
            }
            admit::Verdict::Fork => {
                stopped.insert(id);
                append.evidence.push(evidence("fork"));
                push_outcome(
                    &mut ingested.response.outcomes,
                    id,
                    seq,
                    Taken::Fork,
                    Some("fork".to_string()),
                );
                ingested.counts.forks += 1;
                *ingested.refusals.entry("fork".to_string()).or_default() += 1;
                continue;
            }
            admit::Verdict::Refused(refusal) => {
                stopped.insert(id);
                if refusal.is_evidence() {
                    append.evidence.push(evidence(refusal.code()));
                }
                refuse(&mut ingested, refusal.code());
                continue;
            }
            admit::Verdict::New { genesis } => genesis,
        };
        let (Some(envelope), Some(entry_uuid)) = (envelope, entry_uuid) else {
            unreachable!("a new entry was read");
        };
        ids_here.insert(entry_uuid);
        if genesis {
            let Some(info) = SeriesInfo::from_body(&id, &envelope.body) else {
                stopped.insert(id);
                refuse(&mut ingested, admit::Refusal::NotGenesis.code());
                continue;
            };
            let Some(key) = <[u8; 32]>::try_from(info.public_key.as_slice())
                .ok()
                .and_then(|k| VerifyingKey::from_bytes(&k).ok())
            else {
                stopped.insert(id);
                refuse(&mut ingested, admit::Refusal::NotGenesis.code());
                continue;
            };
            match admission(store, &known, certified, &id, &info).await? {
                Ok(code) => {
                    append.new_series.push(NewSeries {
                        series_id: id,
                        public_key: key.to_bytes(),
                        community: info.community.clone(),
                        prefix: info.prefix.clone(),
                        counter: info.counter.clone(),
                        origin: info.origin.clone(),
                        code,
                        utc_offset_minutes: info.utc_offset_minutes,
                    });
                    known.insert(
                        id,
                        Known {
                            info,
                            key,
                            seq: 0,
                            hash: GENESIS_PREV_HASH,
                        },
                    );
                }
                Err(refusal) => {
                    stopped.insert(id);
                    if refusal.is_evidence() {
                        append.evidence.push(evidence(refusal.code()));
                    }
                    refuse(&mut ingested, refusal.code());
                    continue;
                }
            }
        }
        let series = known.get_mut(&id).expect("known above");
        let effects = crate::store::log::entry_effects(&envelope, &series.info);
        let me = Claimant {
            id: entry_uuid,
            series_id: id,
            seq,
            counts: true,
        };
        if claimed.stand(me, &made, &mut append) {
            append.derived.extend(derived_of(&effects, id, seq));
        }
        let previous = match last_recorded.get(&id) {
            Some(t) => Some(t.clone()),
            None if seq > 1 => recorded_at_of(store, id, seq - 1).await?,
            None => None,
        };
        if let Some((skew, compared_with)) =
            clocks::skew(&envelope.recorded_at, at, previous.as_deref())
        {
            append.skews.push(SkewRow {
                series_id: id,
                seq,
                skew: skew.code().to_string(),
                recorded_at: envelope.recorded_at.clone(),
                compared_with,
                counter: String::new(),
            });
        }
        last_recorded.insert(id, envelope.recorded_at.clone());
        append.entries.push(EntryRow {
            series_id: id,
            seq,
            id: entry_uuid,
            hash: item.hash,
            prev_hash: item.entry.prev_hash,
            signature: item.entry.signature,
            body: item.entry.body.clone(),
            kind: envelope.body.kind().to_string(),
            recorded_at: envelope.recorded_at.clone(),
        });
        series.seq = seq;
        series.hash = item.hash;
        push_outcome(&mut ingested.response.outcomes, id, seq, Taken::New, None);
        ingested.counts.new += 1;
    }
    claimed
        .uncount_displaced(store, &known, &mut append)
        .await?;
    append.claims = claimed.rows();
    append.log = ingested.counts;
    Ok((append, ingested))
}

/// The claims of a push as it is judged ([`claims`]): their holders when judging began, as
/// the push leaves them, and the entries that stopped counting on the way.
#[derive(Default)]
struct Claimed {
    judged: HashMap<String, Claimant>,
    holders: HashMap<String, Claimant>,
    /// Entries that counted until an entry of this push made one of their claims first.
    displaced: Vec<Claimant>,
}

impl Claimed {
    /// Judges a new entry making `made`: records what it loses and whom it displaces, and
    /// says whether it counts.
    fn stand(&mut self, mut me: Claimant, made: &[String], append: &mut Append) -> bool {
        let mut displaced = Vec::new();
        for claim in made {
            match self.holders.get(claim) {
                Some(held) if claims::beats(&held.id, &me.id) => {
                    me.counts = false;
                    append
                        .duplicates
                        .push((me.series_id, me.seq, claim.clone()));
                }
                Some(held) => {
                    append
                        .duplicates
                        .push((held.series_id, held.seq, claim.clone()));
                    if held.counts {
                        displaced.push(*held);
                    }
                }
                None => {}
            }
        }
        for held in displaced {
            for holder in self.holders.values_mut() {
                if holder.id == held.id {
                    holder.counts = false;
                }
            }
            if !self.displaced.iter().any(|d| d.id == held.id) {
                self.displaced.push(held);
            }
        }
        for claim in made {
            let holder = self.holders.entry(claim.clone()).or_insert(me);
            if claims::beats(&me.id, &holder.id) {
                *holder = me;
            }
        }
        me.counts
    }

    /// Takes back what the displaced entries moved: their derived rows, negated.
    async fn uncount_displaced<S: Store>(
        &self,
        store: &S,
        known: &HashMap<Uuid, Known>,
        append: &mut Append,
    ) -> StoreResult<()> {
        for held in &self.displaced {
            let body = match append
                .entries
                .iter()
                .find(|e| e.series_id == held.series_id && e.seq == held.seq)
            {
                Some(row) => row.body.clone(),
                None => match store
                    .entries(held.series_id, held.seq, held.seq)
                    .await?
                    .pop()
                {
                    Some(entry) => entry.body,
                    None => continue,
                },
            };
            let info = match known.get(&held.series_id) {
                Some(k) => k.info.clone(),
                None => match store.series(&[held.series_id]).await?.get(&held.series_id) {
                    Some(s) => info_of(s),
                    None => continue,
                },
            };
            let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) else {
                continue;
            };
            let effects = crate::store::log::entry_effects(&envelope, &info);
            append.derived.extend(
                derived_of(&effects, held.series_id, held.seq)
                    .into_iter()
                    .filter_map(negated),
            );
        }
        Ok(())
    }

    /// The claims whose holder this push set or changed.
    fn rows(&self) -> Vec<ClaimRow> {
        let mut rows: Vec<ClaimRow> = self
            .holders
            .iter()
            .filter(|(claim, holder)| self.judged.get(*claim).map(|h| h.id) != Some(holder.id))
            .map(|(claim, holder)| ClaimRow {
                claim: claim.clone(),
                holder: *holder,
                expected: self.judged.get(claim).map(|h| h.id),
            })
            .collect();
        rows.sort_by(|a, b| a.claim.cmp(&b.claim));
        rows
    }
}

/// What takes a derived row back: the sums and the statement line of an entry that stopped
/// counting. A visit (a passbook served on a day) stays: the hub keeps visits as a set.
fn negated(derived: Derived) -> Option<Derived> {
    match derived {
        Derived::Post { account, points } => Some(Derived::Post {
            account,
            points: -points,
        }),
        Derived::Posting {
            account,
            series_id,
            seq,
            points,
        } => Some(Derived::Posting {
            account,
            series_id,
            seq,
            points: -points,
        }),
        Derived::Tally {
            day,
            origin,
            kind,
            key,
            count,
            qty,
            minutes,
            points,
        } => Some(Derived::Tally {
            day,
            origin,
            kind,
            key,
            count: -count,
            qty: -qty,
            minutes: -minutes,
            points: -points,
        }),
        _ => None,
    }
}

/// The time of entry `seq` of a series the hub holds.
async fn recorded_at_of<S: Store>(store: &S, id: Uuid, seq: i64) -> StoreResult<Option<String>> {
    Ok(store
        .entries(id, seq, seq)
        .await?
        .pop()
        .and_then(|e| serde_json::from_slice::<Envelope>(&e.body).ok())
        .map(|e| e.recorded_at))
}

/// Threads a push's signatures are checked on.
const SIGNATURE_THREADS: usize = 2;

fn genesis_of(series_id: &Uuid, entry: &WireEntry) -> Option<SeriesInfo> {
    if entry.seq != 1 {
        return None;
    }
    let envelope: Envelope = serde_json::from_slice(&entry.body).ok()?;
    SeriesInfo::from_body(series_id, &envelope.body)
}

/// Whether a new series is admitted, and the code it numbers with; else why not.
async fn admission<S: Store>(
    store: &S,
    known: &HashMap<Uuid, Known>,
    certified: &HashMap<Uuid, Certified>,
    id: &Uuid,
    info: &SeriesInfo,
) -> StoreResult<Result<Option<String>, admit::Refusal>> {
    let certificate = certified.get(id);
    let earlier_id = info
        .continues
        .as_ref()
        .and_then(|link| Uuid::parse_str(&link.series_id).ok());
    let earlier_known = match earlier_id {
        Some(e) => match known.get(&e) {
            Some(k) => Some(k.clone()),
            None => store.series(&[e]).await?.get(&e).and_then(known_of),
        },
        None => None,
    };
    let earlier_revoked = match earlier_id {
        Some(e) if earlier_known.is_some() => store.revoked(&[e]).await?.contains(&e),
        _ => false,
    };
    let earlier = earlier_known.as_ref().map(|k| admit::Earlier {
        origin: &k.info.origin,
        prefix: &k.info.prefix,
        code: k.info.code.as_deref(),
        key: k.key,
        revoked: earlier_revoked,
    });
    let code_holder = match certificate {
        Some(c) => {
            store
                .code_holder(&info.prefix, &c.body.code, &info.origin)
                .await?
        }
        None => None,
    };
    let claim = admit::Claim {
        series_id: *id,
        public_key: &info.public_key,
        community: &info.community,
        prefix: &info.prefix,
        origin: &info.origin,
        code: info.code.as_deref(),
        continues: info.continues.as_ref(),
    };
    Ok(
        admit::admit(&claim, certificate, earlier.as_ref(), code_holder).map(|()| {
            certificate
                .map(|c| c.body.code.clone())
                .or_else(|| info.code.clone())
        }),
    )
}
