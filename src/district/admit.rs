//! What a replica takes in from elsewhere: one rule for the counter's import and the hub's
//! ingest, so that every replica of the district holds the same entries.
//!
//! [`entry`] judges one entry against the series as the replica holds it: held already
//! (present), the next seq with a valid link and signature (new), another entry at a seq held
//! (a fork, kept as evidence), or refused with a [`Refusal`]; one refused entry refuses the rest
//! of its series in the same exchange and nothing else.
//!
//! [`admit`] judges a new series by its first entry, which says who the counter is (key,
//! community, prefix, code, origin) and, after a restore, which series it continues:
//!
//! - **Certified**: the district certified its key. The certificate must name the same key,
//!   community and prefix. Its origin is its own id, or the origin the grant names (a
//!   counter enrolled again on a new PC without its old key), or the origin of a series it continues
//!   with that series' endorsement. Another counter numbering with the same prefix and code
//!   makes it refused.
//! - **Continued**: without a certificate of its own, a series that continues a series held
//!   here, endorsed by that series' key, with the same origin, prefix and code.
//! - Anything else is refused.
//!
//! A replica that knows the street office revoked a series (the hub) takes no new entry of it,
//! whoever relays it, and no new series it endorses: a stolen PC cannot go on under another
//! series. What the replica held before the revocation stays.

use super::trust::Certified;
use crate::domain::{Body, Envelope, SeriesLink};
use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use uuid::Uuid;

/// The `prev_hash` of a series' first entry.
pub const GENESIS_PREV_HASH: [u8; 32] = [0; 32];

/// Why an entry from elsewhere was not taken (and the rest of its series in the same exchange).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Refusal {
    /// The series came without a certificate of this district's key (and continues no series
    /// held here with its endorsement).
    Uncertified,
    /// The certified key, community or prefix is not what the series' first entry names.
    WrongKey,
    /// It continues another series in a way that one did not endorse (or one not held).
    BadContinuation,
    /// Another counter already numbers with its prefix and code.
    CodeTaken {
        counter: String,
    },
    /// The entries before it are missing here (`expected` is the next seq held).
    Gap {
        expected: i64,
    },
    BadSignature,
    /// Its bytes are not an entry.
    Unreadable,
    /// Its id is already another entry's.
    DuplicateId,
    /// A series whose first entry does not introduce a counter, or an introduction later on.
    NotGenesis,
    /// An earlier entry of its series in this exchange was refused or forked.
    AfterRefused {
        seq: i64,
    },
    /// The street office revoked its series (a lost or stolen PC), or the series it claims to
    /// continue.
    Revoked,
}

impl Refusal {
    /// The code in logs, metrics, the hub's answers and its evidence.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Uncertified => "uncertified",
            Refusal::WrongKey => "wrong_key",
            Refusal::BadContinuation => "bad_continuation",
            Refusal::CodeTaken { .. } => "code_taken",
            Refusal::Gap { .. } => "gap",
            Refusal::BadSignature => "bad_signature",
            Refusal::Unreadable => "unreadable",
            Refusal::DuplicateId => "duplicate_id",
            Refusal::NotGenesis => "not_genesis",
            Refusal::AfterRefused { .. } => "after_refused",
            Refusal::Revoked => "revoked",
        }
    }

    /// The refusal a code names (its details unknown), for what arrives as a code.
    pub fn from_code(code: &str) -> Option<Refusal> {
        Some(match code {
            "uncertified" => Refusal::Uncertified,
            "wrong_key" => Refusal::WrongKey,
            "bad_continuation" => Refusal::BadContinuation,
            "code_taken" => Refusal::CodeTaken {
                counter: String::new(),
            },
            "gap" => Refusal::Gap { expected: 0 },
            "bad_signature" => Refusal::BadSignature,
            "unreadable" => Refusal::Unreadable,
            "duplicate_id" => Refusal::DuplicateId,
            "not_genesis" => Refusal::NotGenesis,
            "after_refused" => Refusal::AfterRefused { seq: 0 },
            "revoked" => Refusal::Revoked,
            _ => return None,
        })
    }

    /// Whether the refused entry is kept as evidence (what it is, not where it stands, is
    /// wrong: a changed or forged entry, or one a revoked PC made after it was revoked).
    pub fn is_evidence(&self) -> bool {
        matches!(
            self,
            Refusal::BadSignature
                | Refusal::Unreadable
                | Refusal::DuplicateId
                | Refusal::NotGenesis
                | Refusal::Revoked
        )
    }
}

/// What a replica knows of one arriving entry when it judges it.
pub struct Arriving<'a> {
    pub seq: i64,
    pub prev_hash: &'a [u8; 32],
    /// Its hash, computed from its bytes.
    pub hash: &'a [u8; 32],
    /// The series as held: the seq and hash of its newest entry (`None`: not held).
    pub head: Option<(i64, [u8; 32])>,
    /// For an entry at or below the head: the hash held at its seq.
    pub held_hash: Option<[u8; 32]>,
    /// It is of the replica's own current series, which only the replica itself writes.
    pub own: bool,
    /// Signed by its series' key (the held series', else its own first entry's).
    pub signed: bool,
    /// Its bytes parsed, `None` when they are not an envelope.
    pub envelope: Option<&'a Envelope>,
    /// Its id is another entry's (held, or earlier in this exchange).
    pub id_taken: bool,
    /// The street office revoked its series (only the hub knows).
    pub revoked: bool,
}

/// What becomes of an arriving entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Held already.
    Present,
    /// To be stored; `genesis` when it starts a series (which [`admit`] must take first).
    New {
        genesis: bool,
    },
    /// Another entry of its series, signed by the series' key, at a seq held or after a seq
    /// the replica holds otherwise: evidence, never merged.
    Fork,
    Refused(Refusal),
}

/// Judges one arriving entry.
pub fn entry(a: &Arriving<'_>) -> Verdict {
    let (head_seq, head_hash) = a.head.unwrap_or((0, GENESIS_PREV_HASH));
    let fork_or_refuse = || {
        if a.signed {
            Verdict::Fork
        } else {
            Verdict::Refused(Refusal::BadSignature)
        }
    };
    if a.seq <= head_seq {
        return if a.held_hash.as_ref() == Some(a.hash) {
            Verdict::Present
        } else {
            fork_or_refuse()
        };
    }
    if a.revoked {
        return Verdict::Refused(Refusal::Revoked);
    }
    if a.seq != head_seq + 1 {
        return Verdict::Refused(Refusal::Gap {
            expected: head_seq + 1,
        });
    }
    // The next seq: it must link to what is held, and an own series grows here only.
    if (a.head.is_some() && *a.prev_hash != head_hash) || a.own {
        return fork_or_refuse();
    }
    if a.seq == 1 && *a.prev_hash != GENESIS_PREV_HASH {
        return Verdict::Refused(Refusal::NotGenesis);
    }
    if !a.signed {
        return Verdict::Refused(Refusal::BadSignature);
    }
    let Some(envelope) = a.envelope else {
        return Verdict::Refused(Refusal::Unreadable);
    };
    if Uuid::parse_str(&envelope.id).is_err() {
        return Verdict::Refused(Refusal::Unreadable);
    }
    if a.id_taken {
        return Verdict::Refused(Refusal::DuplicateId);
    }
    let genesis = matches!(envelope.body, Body::CounterInitialized { .. });
    if genesis != (a.seq == 1) {
        return Verdict::Refused(Refusal::NotGenesis);
    }
    Verdict::New { genesis }
}

/// What a series' first entry says of it.
pub struct Claim<'a> {
    pub series_id: Uuid,
    pub public_key: &'a [u8],
    pub community: &'a str,
    pub prefix: &'a str,
    pub origin: &'a str,
    pub code: Option<&'a str>,
    pub continues: Option<&'a SeriesLink>,
}

/// The series a claim continues, as held by the replica.
pub struct Earlier<'a> {
    pub origin: &'a str,
    pub prefix: &'a str,
    /// The code it numbers with (its certificate's, else its first entry's).
    pub code: Option<&'a str>,
    pub key: VerifyingKey,
    /// The street office revoked it: its endorsement admits nothing (only the hub knows).
    pub revoked: bool,
}

/// Whether the earlier series' key signed `claim` continuing it.
pub fn endorsed(claim: &Claim<'_>, earlier_key: &VerifyingKey) -> bool {
    let Some(link) = claim.continues else {
        return false;
    };
    let Some(signature) = link
        .endorsement
        .as_deref()
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| ed25519_dalek::Signature::from_slice(&b).ok())
    else {
        return false;
    };
    let bytes = link.endorsed_bytes(&claim.series_id.to_string(), &hex::encode(claim.public_key));
    earlier_key.verify_strict(&bytes, &signature).is_ok()
}

fn continues_endorsed(claim: &Claim<'_>, earlier: Option<&Earlier<'_>>) -> bool {
    earlier.is_some_and(|e| {
        e.origin == claim.origin
            && e.prefix == claim.prefix
            && e.code == claim.code
            && endorsed(claim, &e.key)
    })
}

/// Admits a new series or says why not. `code_holder` is the counter (of another origin) that
/// already numbers with the certificate's prefix and code, if any.
pub fn admit(
    claim: &Claim<'_>,
    certified: Option<&Certified>,
    earlier: Option<&Earlier<'_>>,
    code_holder: Option<String>,
) -> Result<(), Refusal> {
    if let Some(certified) = certified {
        let same = certified.public_key.as_slice() == claim.public_key
            && certified.body.prefix == claim.prefix
            && certified.body.community == claim.community;
        if !same {
            return Err(Refusal::WrongKey);
        }
        let origin_holds = match &certified.grant.origin {
            Some(origin) => claim.origin == origin,
            None => {
                claim.origin == claim.series_id.to_string() || continues_endorsed(claim, earlier)
            }
        };
        if !origin_holds {
            return Err(Refusal::BadContinuation);
        }
        return match code_holder {
            Some(counter) => Err(Refusal::CodeTaken { counter }),
            None => Ok(()),
        };
    }
    if claim.continues.is_some() {
        if earlier.is_some_and(|e| e.revoked) {
            return Err(Refusal::Revoked);
        }
        return if continues_endorsed(claim, earlier) {
            Ok(())
        } else {
            Err(Refusal::BadContinuation)
        };
    }
    Err(Refusal::Uncertified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::district::trust::{CertificateBody, GrantBody};
    use ed25519_dalek::{Signer, SigningKey};

    fn certified(public_key: [u8; 32], origin: Option<&str>) -> Certified {
        Certified {
            grant: GrantBody {
                v: 1,
                district_id: "d".into(),
                district_name: "桥西街道".into(),
                district_public_key: String::new(),
                grant_id: "g".into(),
                counter: "三桥爱心超市".into(),
                code: "A".into(),
                issued_at: String::new(),
                expires_at: String::new(),
                grant_public_key: String::new(),
                origin: origin.map(Into::into),
                community: None,
            },
            body: CertificateBody {
                v: 1,
                series_id: Uuid::from_u128(2).to_string(),
                public_key: hex::encode(public_key),
                community: "三桥社区".into(),
                prefix: "SQ".into(),
                code: "A".into(),
                counter: "三桥爱心超市".into(),
                origin: None,
            },
            series_id: Uuid::from_u128(2),
            public_key,
        }
    }

    #[test]
    fn every_way_in_and_every_refusal() {
        let old = SigningKey::from_bytes(&[1; 32]);
        let new = SigningKey::from_bytes(&[2; 32]);
        let new_public = new.verifying_key().to_bytes();
        let own_id = Uuid::from_u128(2);
        let old_origin = Uuid::from_u128(1).to_string();
        let mut link = SeriesLink {
            series_id: old_origin.clone(),
            seq: 10,
            hash: "h".into(),
            used_seq: 12,
            origin: Some(old_origin.clone()),
            endorsement: None,
        };
        let unendorsed = link.clone();
        let bytes = link.endorsed_bytes(&own_id.to_string(), &hex::encode(new_public));
        link.endorsement = Some(hex::encode(old.sign(&bytes).to_bytes()));
        let claim = |origin: &'static str, continues: Option<&'static SeriesLink>| Claim {
            series_id: own_id,
            public_key: Box::leak(Box::new(new_public)),
            community: "三桥社区",
            prefix: "SQ",
            origin,
            code: Some("A"),
            continues,
        };
        let own_origin: &'static str = Box::leak(own_id.to_string().into_boxed_str());
        let old_origin_s: &'static str = Box::leak(old_origin.clone().into_boxed_str());
        let link: &'static SeriesLink = Box::leak(Box::new(link));
        let unendorsed: &'static SeriesLink = Box::leak(Box::new(unendorsed));
        let earlier = Earlier {
            origin: old_origin_s,
            prefix: "SQ",
            code: Some("A"),
            key: old.verifying_key(),
            revoked: false,
        };
        let stolen = Earlier {
            origin: old_origin_s,
            prefix: "SQ",
            code: Some("A"),
            key: old.verifying_key(),
            revoked: true,
        };
        let fresh = certified(new_public, None);
        let other_key = certified([9; 32], None);
        let regranted = certified(new_public, Some(old_origin_s));
        type Case<'a> = (
            &'a str,
            Claim<'a>,
            Option<&'a Certified>,
            Option<&'a Earlier<'a>>,
            Option<String>,
            Result<(), Refusal>,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                "a certified new counter",
                claim(own_origin, None),
                Some(&fresh),
                None,
                None,
                Ok(()),
            ),
            (
                "a certificate of another key",
                claim(own_origin, None),
                Some(&other_key),
                None,
                None,
                Err(Refusal::WrongKey),
            ),
            (
                "a code already numbered with",
                claim(own_origin, None),
                Some(&fresh),
                None,
                Some("三桥活动点".into()),
                Err(Refusal::CodeTaken {
                    counter: "三桥活动点".into(),
                }),
            ),
            (
                "a restore, endorsed",
                claim(old_origin_s, Some(link)),
                None,
                Some(&earlier),
                None,
                Ok(()),
            ),
            (
                "a restore, endorsed and enrolled again",
                claim(old_origin_s, Some(link)),
                Some(&fresh),
                Some(&earlier),
                None,
                Ok(()),
            ),
            (
                "a new series endorsed by a revoked series' key",
                claim(old_origin_s, Some(link)),
                None,
                Some(&stolen),
                None,
                Err(Refusal::Revoked),
            ),
            (
                "a restore not endorsed",
                claim(old_origin_s, Some(unendorsed)),
                None,
                Some(&earlier),
                None,
                Err(Refusal::BadContinuation),
            ),
            (
                "a restore of a series not held",
                claim(old_origin_s, Some(link)),
                None,
                None,
                None,
                Err(Refusal::BadContinuation),
            ),
            (
                "a certified counter claiming another's origin",
                claim(old_origin_s, Some(unendorsed)),
                Some(&fresh),
                Some(&earlier),
                None,
                Err(Refusal::BadContinuation),
            ),
            (
                "a new PC, the grant naming the origin",
                claim(old_origin_s, Some(unendorsed)),
                Some(&regranted),
                None,
                None,
                Ok(()),
            ),
            (
                "a grant naming another origin",
                claim(own_origin, None),
                Some(&regranted),
                None,
                None,
                Err(Refusal::BadContinuation),
            ),
            (
                "nothing at all",
                claim(own_origin, None),
                None,
                None,
                None,
                Err(Refusal::Uncertified),
            ),
        ];
        for (what, claim, certified, earlier, holder, want) in cases {
            assert_eq!(admit(&claim, certified, earlier, holder), want, "{what}");
        }
    }

    fn envelope(id: &str, body: Body) -> Envelope {
        Envelope {
            v: 1,
            id: id.into(),
            recorded_at: "2026-12-07T10:00:00+08:00".into(),
            operator: None,
            txn: None,
            body,
        }
    }

    #[test]
    fn every_verdict_on_an_arriving_entry() {
        let genesis_body = Body::CounterInitialized {
            community: "三桥社区".into(),
            prefix: "SQ".into(),
            counter: "三桥爱心超市".into(),
            public_key: String::new(),
            utc_offset_minutes: 480,
            code: Some("A".into()),
            continues: None,
            number_block: None,
        };
        let other_body = Body::OperatorAdded {
            operator: "li".into(),
            name: "李".into(),
            role: crate::domain::Role::Volunteer,
        };
        let id = Uuid::from_u128(7).to_string();
        let genesis = envelope(&id, genesis_body);
        let later = envelope(&id, other_body);
        let bad_id = envelope("not-a-uuid", later.body.clone());
        let (h1, h2, h3) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        let zero = GENESIS_PREV_HASH;
        let base = |seq, prev_hash, hash, envelope| Arriving {
            seq,
            prev_hash,
            hash,
            head: Some((2, h2)),
            held_hash: None,
            own: false,
            signed: true,
            envelope,
            id_taken: false,
            revoked: false,
        };
        type Case<'a> = (&'a str, Arriving<'a>, Verdict);
        let refused = Verdict::Refused;
        let cases: Vec<Case> = vec![
            (
                "held already",
                Arriving {
                    held_hash: Some(h1),
                    ..base(1, &zero, &h1, Some(&genesis))
                },
                Verdict::Present,
            ),
            (
                "another entry at a held seq, signed",
                Arriving {
                    held_hash: Some(h2),
                    ..base(1, &zero, &h1, Some(&genesis))
                },
                Verdict::Fork,
            ),
            (
                "another entry at a held seq, unsigned",
                Arriving {
                    held_hash: Some(h2),
                    signed: false,
                    ..base(1, &zero, &h1, Some(&genesis))
                },
                refused(Refusal::BadSignature),
            ),
            (
                "past the head",
                base(4, &h3, &h1, Some(&later)),
                refused(Refusal::Gap { expected: 3 }),
            ),
            (
                "the next seq, linked",
                base(3, &h2, &h3, Some(&later)),
                Verdict::New { genesis: false },
            ),
            (
                "the next seq, linked elsewhere",
                base(3, &h1, &h3, Some(&later)),
                Verdict::Fork,
            ),
            (
                "the next seq of the replica's own series",
                Arriving {
                    own: true,
                    ..base(3, &h2, &h3, Some(&later))
                },
                Verdict::Fork,
            ),
            (
                "unsigned",
                Arriving {
                    signed: false,
                    ..base(3, &h2, &h3, Some(&later))
                },
                refused(Refusal::BadSignature),
            ),
            (
                "not an envelope",
                base(3, &h2, &h3, None),
                refused(Refusal::Unreadable),
            ),
            (
                "an id that is no uuid",
                base(3, &h2, &h3, Some(&bad_id)),
                refused(Refusal::Unreadable),
            ),
            (
                "an id taken",
                Arriving {
                    id_taken: true,
                    ..base(3, &h2, &h3, Some(&later))
                },
                refused(Refusal::DuplicateId),
            ),
            (
                "an introduction later on",
                base(3, &h2, &h3, Some(&genesis)),
                refused(Refusal::NotGenesis),
            ),
            (
                "the next seq of a revoked series",
                Arriving {
                    revoked: true,
                    ..base(3, &h2, &h3, Some(&later))
                },
                refused(Refusal::Revoked),
            ),
            (
                "a revoked series' entry held already",
                Arriving {
                    held_hash: Some(h1),
                    revoked: true,
                    ..base(1, &zero, &h1, Some(&genesis))
                },
                Verdict::Present,
            ),
            (
                "a new series",
                Arriving {
                    head: None,
                    ..base(1, &zero, &h1, Some(&genesis))
                },
                Verdict::New { genesis: true },
            ),
            (
                "a new series that starts without an introduction",
                Arriving {
                    head: None,
                    ..base(1, &zero, &h1, Some(&later))
                },
                refused(Refusal::NotGenesis),
            ),
            (
                "a first entry linked to something",
                Arriving {
                    head: None,
                    ..base(1, &h2, &h1, Some(&genesis))
                },
                refused(Refusal::NotGenesis),
            ),
            (
                "a series that starts past its first entry",
                Arriving {
                    head: None,
                    ..base(2, &h1, &h2, Some(&later))
                },
                refused(Refusal::Gap { expected: 1 }),
            ),
        ];
        for (what, arriving, want) in cases {
            assert_eq!(entry(&arriving), want, "{what}");
        }
    }
}
