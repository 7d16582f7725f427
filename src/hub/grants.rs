//! Whether the hub takes a counter's certificate: one rule for `POST /v1/enroll/certificate`
//! and for certificates arriving inside pushes.
//!
//! A certificate checks out against the district key ([`Certificate::check`]); that says the
//! district granted *some* counter a place, not that this key is that counter. So the hub also
//! holds the grant to its register ([`judge`]): a grant registers one key, once, before it
//! expires; it is for one community and code; a series the hub already holds keeps the key of
//! its first entry; a revoked series stays revoked; and a new PC does not take the code of a
//! counter whose series still syncs (unless the grant was made to continue that counter).
//! A refused certificate is kept in the register's refusals, which `hub counters` shows.

use super::store::{
    EnrolmentRow, HubSeries, LiveSeries, NewCertificate, RefusedCertificate, Store, StoreResult,
};
use crate::district::protocol::Refusal;
use crate::district::trust::Certified;
use crate::district::{Certificate, DistrictKey};

/// What the hub knows when it judges a certificate that checked out.
pub struct Facts<'a> {
    pub certified: &'a Certified,
    /// The grant's enrolment in the register (`None`: the register never made it).
    pub grant: Option<&'a EnrolmentRow>,
    /// Now, as stored times are written ([`crate::store::log::format_time`]).
    pub now: &'a str,
    /// The series, if the hub holds it.
    pub held: Option<&'a HubSeries>,
    /// The key of a certificate the hub holds for the series already.
    pub certificate_key: Option<[u8; 32]>,
    pub revoked: bool,
    /// Series of the grant's code that still sign.
    pub live: &'a [LiveSeries],
}

/// Judges a certificate that checked out against the district key.
pub fn judge(f: &Facts<'_>) -> Result<(), Refusal> {
    let key = f.certified.public_key;
    let Some(grant) = f.grant else {
        return Err(Refusal::BadCertificate);
    };
    if f.revoked {
        return Err(Refusal::Revoked);
    }
    if let Some(held) = f.held {
        let same_counter = held.code.as_deref().is_none_or(|c| c == grant.code)
            && grant
                .community
                .as_deref()
                .is_none_or(|c| c == held.community);
        if held.public_key != key || !same_counter {
            return Err(Refusal::NotOwnSeries);
        }
    }
    match f.certificate_key {
        Some(held) if held != key => return Err(Refusal::NotOwnSeries),
        _ => {}
    }
    match grant.registered_key {
        // The same key again: a counter retrying after a lost answer.
        Some(registered) if registered == key => return Ok(()),
        Some(_) => return Err(Refusal::GrantUsed),
        None => {}
    }
    if grant.expires_at.as_str() < f.now {
        return Err(Refusal::GrantExpired);
    }
    if grant
        .community
        .as_deref()
        .is_some_and(|c| c != f.certified.body.community)
    {
        return Err(Refusal::OtherCommunity);
    }
    // A grant without an origin is for a counter's own PC; another origin's series that still
    // sign with the code make this a second PC taking a code in use.
    if f.certified.grant.origin.is_none()
        && let Some(origin) = &f.certified.body.origin
        && f.live.iter().any(|s| &s.origin != origin)
    {
        return Err(Refusal::CodeInUse);
    }
    Ok(())
}

/// Takes a certificate if [`judge`] says so, else keeps the refusal; `Ok(Err)` is the refusal
/// to answer with. A certificate held already, byte for byte, is taken again at once.
pub async fn take<S: Store>(
    store: &S,
    district: &DistrictKey,
    certificate: &Certificate,
    now: &str,
) -> StoreResult<Result<Certified, Refusal>> {
    let Ok(certified) =
        certificate.check(&district.district_id.to_string(), &district.public_key())
    else {
        return Ok(Err(Refusal::BadCertificate));
    };
    let json = serde_json::to_string(certificate).expect("plain struct serialises");
    let id = certified.series_id;
    let stored = store.certificates(&[id]).await?.remove(&id);
    if stored.as_deref() == Some(json.as_str()) {
        return Ok(Ok(certified));
    }
    let certificate_key = stored
        .and_then(|s| serde_json::from_str::<Certificate>(&s).ok())
        .and_then(|c| {
            c.check(&district.district_id.to_string(), &district.public_key())
                .ok()
        })
        .map(|c| c.public_key);
    let grant = store.grant(&certified.grant.grant_id).await?;
    let held = store.series(&[id]).await?.remove(&id);
    let revoked = store.revoked(&[id]).await?.contains(&id);
    let code = grant
        .as_ref()
        .map_or(certified.grant.code.as_str(), |g| g.code.as_str());
    let live = store.live_series(code).await?;
    let verdict = judge(&Facts {
        certified: &certified,
        grant: grant.as_ref(),
        now,
        held: held.as_ref(),
        certificate_key,
        revoked,
        live: &live,
    });
    let verdict = match verdict {
        Ok(()) => {
            let taken = store
                .put_certificate(&NewCertificate {
                    series_id: id,
                    certificate: json,
                    public_key: certified.public_key,
                    community: certified.body.community.clone(),
                    counter: certified.body.counter.clone(),
                    code: certified.body.code.clone(),
                    grant_id: certified.grant.grant_id.clone(),
                    at: now.to_string(),
                })
                .await?;
            // Another hub process registered another key with the grant meanwhile.
            if taken {
                Ok(())
            } else {
                Err(Refusal::GrantUsed)
            }
        }
        Err(refusal) => Err(refusal),
    };
    if let Err(refusal) = &verdict {
        tracing::warn!(
            grant = %certified.grant.grant_id,
            code = %certified.grant.code,
            series = %id,
            key = %hex::encode(certified.public_key),
            reason = refusal.code(),
            "certificate refused"
        );
        store
            .refuse_certificate(&RefusedCertificate {
                grant_id: certified.grant.grant_id.clone(),
                code: code.to_string(),
                public_key: certified.public_key,
                reason: refusal.code().to_string(),
                at: now.to_string(),
            })
            .await?;
    }
    Ok(verdict.map(|()| certified))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::district::trust::{CertificateBody, GrantBody};
    use uuid::Uuid;

    fn certified(key: u8, origin: Option<&str>, grant_origin: Option<&str>) -> Certified {
        Certified {
            grant: GrantBody {
                v: 1,
                district_id: "d".into(),
                district_name: "桥西街道".into(),
                district_public_key: String::new(),
                grant_id: "g".into(),
                counter: "爱心超市".into(),
                code: "A".into(),
                issued_at: String::new(),
                expires_at: String::new(),
                grant_public_key: String::new(),
                origin: grant_origin.map(Into::into),
                community: Some("三桥社区".into()),
            },
            body: CertificateBody {
                v: 1,
                series_id: Uuid::from_u128(2).to_string(),
                public_key: hex::encode([key; 32]),
                community: "三桥社区".into(),
                prefix: "SQ".into(),
                code: "A".into(),
                counter: "爱心超市".into(),
                origin: origin.map(Into::into),
            },
            series_id: Uuid::from_u128(2),
            public_key: [key; 32],
        }
    }

    fn grant(registered: Option<u8>, community: &str) -> EnrolmentRow {
        EnrolmentRow {
            grant_id: "g".into(),
            community: Some(community.into()),
            counter: "爱心超市".into(),
            code: "A".into(),
            issued_at: "2026-01-01T00:00:00.000Z".into(),
            expires_at: "2026-01-02T00:00:00.000Z".into(),
            registered_key: registered.map(|k| [k; 32]),
        }
    }

    fn series(key: u8, origin: &str) -> HubSeries {
        HubSeries {
            series_id: Uuid::from_u128(2),
            seq: 3,
            hash: [0; 32],
            public_key: [key; 32],
            community: "三桥社区".into(),
            prefix: "SQ".into(),
            counter: "爱心超市".into(),
            origin: origin.into(),
            code: Some("A".into()),
            utc_offset_minutes: 480,
            last_push_at: None,
            last_pull_at: None,
        }
    }

    const BEFORE: &str = "2026-01-01T12:00:00.000Z";
    const AFTER: &str = "2026-01-05T00:00:00.000Z";

    #[test]
    fn a_grant_registers_one_key_once_before_it_expires() {
        let c = certified(1, None, None);
        let live = [];
        let facts = |grant, now, held, certificate_key, revoked| Facts {
            certified: &c,
            grant,
            now,
            held,
            certificate_key,
            revoked,
            live: &live,
        };
        let fresh = grant(None, "三桥社区");
        let used_by_me = grant(Some(1), "三桥社区");
        let used_by_other = grant(Some(9), "三桥社区");
        let other_community = grant(None, "二桥社区");
        let held_mine = series(1, "h");
        let held_other = series(9, "h");
        let table: [(Facts<'_>, Result<(), Refusal>); 9] = [
            (facts(Some(&fresh), BEFORE, None, None, false), Ok(())),
            (facts(Some(&used_by_me), AFTER, None, None, false), Ok(())),
            (
                facts(Some(&used_by_other), BEFORE, None, None, false),
                Err(Refusal::GrantUsed),
            ),
            (
                facts(Some(&fresh), AFTER, None, None, false),
                Err(Refusal::GrantExpired),
            ),
            (
                facts(None, BEFORE, None, None, false),
                Err(Refusal::BadCertificate),
            ),
            (
                facts(Some(&fresh), BEFORE, None, None, true),
                Err(Refusal::Revoked),
            ),
            (
                facts(Some(&other_community), BEFORE, None, None, false),
                Err(Refusal::OtherCommunity),
            ),
            (
                facts(Some(&fresh), BEFORE, Some(&held_other), None, false),
                Err(Refusal::NotOwnSeries),
            ),
            (
                facts(Some(&fresh), BEFORE, Some(&held_mine), Some([9; 32]), false),
                Err(Refusal::NotOwnSeries),
            ),
        ];
        for (i, (f, expected)) in table.iter().enumerate() {
            assert_eq!(&judge(f), expected, "row {i}");
        }
    }

    #[test]
    fn a_second_pc_is_refused_a_code_in_use_but_a_pc_continuing_its_counter_is_not() {
        let fresh = grant(None, "三桥社区");
        let live = [LiveSeries {
            series_id: Uuid::from_u128(1),
            origin: "first".into(),
        }];
        let judge_with = |c: &Certified| {
            judge(&Facts {
                certified: c,
                grant: Some(&fresh),
                now: BEFORE,
                held: None,
                certificate_key: None,
                revoked: false,
                live: &live,
            })
        };
        assert_eq!(
            judge_with(&certified(1, Some("second"), None)),
            Err(Refusal::CodeInUse)
        );
        assert_eq!(judge_with(&certified(1, Some("first"), None)), Ok(()));
        assert_eq!(
            judge_with(&certified(1, Some("first"), Some("first"))),
            Ok(())
        );
    }
}
