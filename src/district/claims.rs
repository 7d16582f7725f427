//! What an entry claims that only one entry of the district may claim, and which claimant
//! counts: the txn-level rule beside [`super::admit`]'s entry-level one.
//!
//! Series cannot see each other while offline: a counter restored from an old backup forgets
//! the reversal it synced and books it again in its new series; two administrators settle one
//! overdraft at two counters; a client-made txn id is used at two counters. Each such entry
//! is valid in its own series, so admission takes it in; what it claims decides whether it
//! moves anything:
//!
//! - a points entry claims its txn id within its counter (its origin): one movement per txn, and
//!   a txn id of one counter never names another's (a check-in's txn is made from the event
//!   and the passbook, so checking a passbook in twice claims one txn twice);
//! - a reversal claims the txn it reverses: one reversal per txn;
//! - a settlement claims the overdraft it settles (the passbook and the count of settlements
//!   before it): one settlement per overdraft;
//! - a registration claims its resident number: one person per number. A number registered
//!   twice (a lost PC's newest entries relayed in a bundle, a new PC numbering in the same
//!   space) is a conflict no rule can settle, because the passbook issues that follow name
//!   the number and not the person: the earliest registration's row stands, and every
//!   passbook of the number is frozen until an administrator resolves it
//!   ([`crate::domain::Body::RegistrationsResolved`]).
//!
//! Of the entries with one claim, the one with the smallest entry id (a UUIDv7, so the
//! earliest booked) counts; an entry counts only where it wins every claim it makes. The
//! others are duplicates: kept, moving nothing, listed at every replica and the hub. The rule
//! looks only at the entries themselves, so every replica that holds the same entries counts
//! the same ones, whatever order they arrived in.

use crate::domain::Body;
use uuid::Uuid;

/// One claim, as the text that keys it in the stores (`txn:<origin>:<txn>`, `reversal:<origin>:
/// <txn>`, `settlement:<passbook>:<n>`, `resident:<resident>`).
pub type Claim = String;

/// The claims of an entry of the counter `origin`.
pub fn claims_of(body: &Body, txn: Option<&str>, origin: &str) -> Vec<Claim> {
    let mut claims = Vec::new();
    if body.moves_points()
        && let Some(txn) = txn
    {
        claims.push(format!("txn:{origin}:{txn}"));
    }
    match body {
        Body::Reversed { of_txn, .. } => claims.push(format!("reversal:{origin}:{of_txn}")),
        Body::PointsAdjusted {
            passbook,
            settles: Some(n),
            ..
        } => claims.push(format!("settlement:{passbook}:{n}")),
        Body::ResidentRegistered { resident, .. } => claims.push(registration(resident)),
        _ => {}
    }
    claims
}

/// The claim a registration of `resident` makes.
pub fn registration(resident: &str) -> Claim {
    format!("resident:{resident}")
}

/// The counter (origin) whose txn a txn claim names; `None` for other claims.
pub fn txn_origin(claim: &str) -> Option<&str> {
    claim
        .strip_prefix("txn:")
        .and_then(|rest| rest.split_once(':'))
        .map(|(origin, _)| origin)
}

/// What kind of claim a claim is, for messages: `txn`, `reversal`, `settlement` or
/// `resident`.
pub fn kind_of(claim: &str) -> &str {
    claim.split_once(':').map_or(claim, |(kind, _)| kind)
}

/// The last part of a claim: the txn, the passbook and the settlement's number, or the
/// resident number.
pub fn subject_of(claim: &str) -> &str {
    match kind_of(claim) {
        "settlement" | "resident" => claim.split_once(':').map_or(claim, |(_, rest)| rest),
        _ => claim.rsplit_once(':').map_or(claim, |(_, rest)| rest),
    }
}

/// Whether the entry `id` beats the claimant `held` (the smaller id wins).
pub fn beats(id: &Uuid, held: &Uuid) -> bool {
    id < held
}

/// How an arriving entry stands against the claimants a replica holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// It wins every claim (or makes none): it moves what it says; the claims it makes are
    /// its from now on.
    Counts,
    /// An entry held wins one of its claims: it moves nothing, listed under those claims.
    Duplicate { lost: Vec<Claim> },
    /// It beats an entry held that counted until now: the replica must count again from its
    /// log (rare: the earlier-booked copy arrived after the later one).
    Displaces,
}

/// Judges an entry with id `id` making `claims`, given the claimant held for each (`None`
/// where no entry held claims it).
pub fn stand(id: &Uuid, claims: &[(Claim, Option<Uuid>)]) -> Standing {
    if claims
        .iter()
        .any(|(_, held)| held.is_some_and(|h| beats(id, &h)))
    {
        return Standing::Displaces;
    }
    let lost: Vec<Claim> = claims
        .iter()
        .filter(|(_, held)| held.is_some_and(|h| h != *id))
        .map(|(c, _)| c.clone())
        .collect();
    if lost.is_empty() {
        Standing::Counts
    } else {
        Standing::Duplicate { lost }
    }
}

/// Of all the entries a replica holds (id and claims), the ones that do not count and the
/// claims they lose: the fold's view of the rule, equal to what [`stand`] gives entry by entry
/// in any order.
pub fn losers<'a, I>(entries: I) -> std::collections::HashMap<Uuid, Vec<Claim>>
where
    I: IntoIterator<Item = (Uuid, &'a [Claim])>,
{
    let entries: Vec<(Uuid, &[Claim])> = entries.into_iter().collect();
    let mut winner: std::collections::HashMap<&str, Uuid> = std::collections::HashMap::new();
    for (id, claims) in &entries {
        for claim in *claims {
            winner
                .entry(claim.as_str())
                .and_modify(|w| {
                    if beats(id, w) {
                        *w = *id;
                    }
                })
                .or_insert(*id);
        }
    }
    let mut losers = std::collections::HashMap::new();
    for (id, claims) in &entries {
        let lost: Vec<Claim> = claims
            .iter()
            .filter(|c| winner[c.as_str()] != *id)
            .cloned()
            .collect();
        if !lost.is_empty() {
            losers.insert(*id, lost);
        }
    }
    losers
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_txn_claim_names_its_counter() {
        assert_eq!(txn_origin("txn:0193-origin:0193-txn"), Some("0193-origin"));
        assert_eq!(txn_origin("txn:h:checkin:event:SQ-A000001"), Some("h"));
        assert_eq!(txn_origin("reversal:h:t1"), None);
        assert_eq!(txn_origin("resident:SQ-RA00001"), None);
    }

    #[test]
    fn claims_of_each_kind() {
        let reversal = Body::Reversed {
            of_txn: "t1".into(),
            of_kind: "points_earned".into(),
            reason: String::new(),
            passbook: "SQ-A000001".into(),
            resident: "SQ-RA00001".into(),
            undo: Vec::new(),
            returns: Vec::new(),
            postings: Vec::new(),
            usage_month: None,
            balance_after: crate::domain::Points(0),
        };
        assert_eq!(
            claims_of(&reversal, Some("t2"), "h"),
            vec!["txn:h:t2".to_string(), "reversal:h:t1".to_string()]
        );
        let settlement = Body::PointsAdjusted {
            passbook: "SQ-A000001".into(),
            points: crate::domain::Points(60),
            reason: String::new(),
            balance_after: crate::domain::Points(0),
            settles: Some(1),
        };
        let claims = claims_of(&settlement, Some("t3"), "h");
        assert_eq!(claims[1], "settlement:SQ-A000001:1");
        assert_eq!(kind_of(&claims[1]), "settlement");
        assert_eq!(subject_of(&claims[1]), "SQ-A000001:1");
        assert_eq!(subject_of(&claims[0]), "t3");
        let registration = Body::ResidentRegistered {
            resident: "SQ-RA00002".into(),
            sealed: crate::domain::Sealed {
                nonce: String::new(),
                ciphertext: String::new(),
            },
        };
        let claims = claims_of(&registration, None, "h");
        assert_eq!(claims, vec!["resident:SQ-RA00002".to_string()]);
        assert_eq!(kind_of(&claims[0]), "resident");
        assert_eq!(subject_of(&claims[0]), "SQ-RA00002");
    }

    proptest! {
        /// Entry by entry in any order, [`stand`] counts what [`losers`] counts of the whole.
        #[test]
        fn any_arrival_order_counts_the_same(
            entries in proptest::collection::vec(
                (0u128..40, proptest::collection::vec(0u8..5, 0..3)), 1..12),
            order in proptest::collection::vec(any::<u32>(), 12),
        ) {
            let mut seen = std::collections::HashSet::new();
            let entries: Vec<(Uuid, Vec<Claim>)> = entries
                .into_iter()
                .filter(|(id, _)| seen.insert(*id))
                .map(|(id, cs)| {
                    let mut cs: Vec<Claim> = cs.iter().map(|c| format!("c{c}")).collect();
                    cs.sort();
                    cs.dedup();
                    (Uuid::from_u128(id), cs)
                })
                .collect();
            let whole = losers(entries.iter().map(|(id, cs)| (*id, cs.as_slice())));
            let mut arrival: Vec<usize> = (0..entries.len()).collect();
            arrival.sort_by_key(|i| order[*i]);
            // A replica: the smallest claimant of each claim so far, and who counts.
            let mut held: std::collections::HashMap<Claim, Uuid> = Default::default();
            let mut counted: std::collections::HashSet<Uuid> = Default::default();
            let recount = |arrived: &[usize]| {
                let part = losers(arrived.iter().map(|i| (entries[*i].0, entries[*i].1.as_slice())));
                arrived
                    .iter()
                    .map(|i| entries[*i].0)
                    .filter(|id| !part.contains_key(id))
                    .collect::<std::collections::HashSet<Uuid>>()
            };
            for (n, i) in arrival.iter().enumerate() {
                let (id, cs) = &entries[*i];
                let with_held: Vec<(Claim, Option<Uuid>)> =
                    cs.iter().map(|c| (c.clone(), held.get(c).copied())).collect();
                match stand(id, &with_held) {
                    Standing::Counts => { counted.insert(*id); }
                    Standing::Duplicate { .. } => {}
                    Standing::Displaces => counted = recount(&arrival[..=n]),
                }
                for c in cs {
                    let h = held.entry(c.clone()).or_insert(*id);
                    if beats(id, h) { *h = *id; }
                }
            }
            let want: std::collections::HashSet<Uuid> = entries
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| !whole.contains_key(id))
                .collect();
            prop_assert_eq!(counted, want);
        }
    }
}
