//! Which series a replica takes in: one rule for a counter's import and the hub's ingest, so
//! that every replica of the district admits the same series.
//!
//! A series is admitted by its first entry, which says who the counter is (key, community,
//! prefix, code, home) and, after a restore, which series it continues:
//!
//! - **Certified**: the district certified its key. The certificate must name the same key,
//!   community and prefix. Its home is its own id, or the home the grant names (a counter
//!   enrolled again on a new PC without its old key), or the home of a series it continues
//!   with that series' endorsement. Another counter numbering with the same prefix and code
//!   makes it refused.
//! - **Continued**: without a certificate of its own, a series that continues a series held
//!   here, endorsed by that series' key, with the same home, prefix and code.
//! - Anything else is refused.

use super::trust::Certified;
use crate::domain::SeriesLink;
use ed25519_dalek::VerifyingKey;
use uuid::Uuid;

/// What a series' first entry says of it.
pub struct Claim<'a> {
    pub counter_id: Uuid,
    pub public_key: &'a [u8],
    pub community: &'a str,
    pub prefix: &'a str,
    pub home: &'a str,
    pub code: Option<&'a str>,
    pub continues: Option<&'a SeriesLink>,
}

/// The series a claim continues, as held by the replica.
pub struct Earlier<'a> {
    pub home: &'a str,
    pub prefix: &'a str,
    /// The code it numbers with (its certificate's, else its first entry's).
    pub code: Option<&'a str>,
    pub key: VerifyingKey,
}

/// Why a series is not admitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The certificate names another key, community or prefix.
    WrongKey,
    /// It continues a series in a way that one did not endorse (or one not held).
    BadContinuation,
    /// No certificate, and no continuation.
    Uncertified,
    /// Another counter numbers with its prefix and code.
    CodeTaken(String),
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
    let bytes = link.endorsed_bytes(
        &claim.counter_id.to_string(),
        &hex::encode(claim.public_key),
    );
    earlier_key.verify_strict(&bytes, &signature).is_ok()
}

fn continues_endorsed(claim: &Claim<'_>, earlier: Option<&Earlier<'_>>) -> bool {
    earlier.is_some_and(|e| {
        e.home == claim.home
            && e.prefix == claim.prefix
            && e.code == claim.code
            && endorsed(claim, &e.key)
    })
}

/// Admits a series or says why not. `code_holder` is the counter (of another home) that
/// already numbers with the certificate's prefix and code, if any.
pub fn admit(
    claim: &Claim<'_>,
    certified: Option<&Certified>,
    earlier: Option<&Earlier<'_>>,
    code_holder: Option<String>,
) -> Result<(), Problem> {
    if let Some(certified) = certified {
        let same = certified.public_key.as_slice() == claim.public_key
            && certified.body.prefix == claim.prefix
            && certified.body.community == claim.community;
        if !same {
            return Err(Problem::WrongKey);
        }
        let home_holds = match &certified.grant.home {
            Some(home) => claim.home == home,
            None => {
                claim.home == claim.counter_id.to_string() || continues_endorsed(claim, earlier)
            }
        };
        if !home_holds {
            return Err(Problem::BadContinuation);
        }
        return match code_holder {
            Some(counter) => Err(Problem::CodeTaken(counter)),
            None => Ok(()),
        };
    }
    if claim.continues.is_some() {
        return if continues_endorsed(claim, earlier) {
            Ok(())
        } else {
            Err(Problem::BadContinuation)
        };
    }
    Err(Problem::Uncertified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::district::trust::{CertificateBody, GrantBody};
    use ed25519_dalek::{Signer, SigningKey};

    fn certified(public_key: [u8; 32], home: Option<&str>) -> Certified {
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
                home: home.map(Into::into),
            },
            body: CertificateBody {
                v: 1,
                counter_id: Uuid::from_u128(2).to_string(),
                public_key: hex::encode(public_key),
                community: "三桥社区".into(),
                prefix: "SQ".into(),
                code: "A".into(),
                counter: "三桥爱心超市".into(),
            },
            counter_id: Uuid::from_u128(2),
            public_key,
        }
    }

    #[test]
    fn every_way_in_and_every_refusal() {
        let old = SigningKey::from_bytes(&[1; 32]);
        let new = SigningKey::from_bytes(&[2; 32]);
        let new_public = new.verifying_key().to_bytes();
        let own_id = Uuid::from_u128(2);
        let old_home = Uuid::from_u128(1).to_string();
        let mut link = SeriesLink {
            counter_id: old_home.clone(),
            seq: 10,
            hash: "h".into(),
            used_seq: 12,
            home: Some(old_home.clone()),
            endorsement: None,
        };
        let unendorsed = link.clone();
        let bytes = link.endorsed_bytes(&own_id.to_string(), &hex::encode(new_public));
        link.endorsement = Some(hex::encode(old.sign(&bytes).to_bytes()));
        let claim = |home: &'static str, continues: Option<&'static SeriesLink>| Claim {
            counter_id: own_id,
            public_key: Box::leak(Box::new(new_public)),
            community: "三桥社区",
            prefix: "SQ",
            home,
            code: Some("A"),
            continues,
        };
        let own_home: &'static str = Box::leak(own_id.to_string().into_boxed_str());
        let old_home_s: &'static str = Box::leak(old_home.clone().into_boxed_str());
        let link: &'static SeriesLink = Box::leak(Box::new(link));
        let unendorsed: &'static SeriesLink = Box::leak(Box::new(unendorsed));
        let earlier = Earlier {
            home: old_home_s,
            prefix: "SQ",
            code: Some("A"),
            key: old.verifying_key(),
        };
        let fresh = certified(new_public, None);
        let other_key = certified([9; 32], None);
        let regranted = certified(new_public, Some(old_home_s));
        type Case<'a> = (
            &'a str,
            Claim<'a>,
            Option<&'a Certified>,
            Option<&'a Earlier<'a>>,
            Option<String>,
            Result<(), Problem>,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                "a certified new counter",
                claim(own_home, None),
                Some(&fresh),
                None,
                None,
                Ok(()),
            ),
            (
                "a certificate of another key",
                claim(own_home, None),
                Some(&other_key),
                None,
                None,
                Err(Problem::WrongKey),
            ),
            (
                "a code already numbered with",
                claim(own_home, None),
                Some(&fresh),
                None,
                Some("三桥活动点".into()),
                Err(Problem::CodeTaken("三桥活动点".into())),
            ),
            (
                "a restore, endorsed",
                claim(old_home_s, Some(link)),
                None,
                Some(&earlier),
                None,
                Ok(()),
            ),
            (
                "a restore, endorsed and enrolled again",
                claim(old_home_s, Some(link)),
                Some(&fresh),
                Some(&earlier),
                None,
                Ok(()),
            ),
            (
                "a restore not endorsed",
                claim(old_home_s, Some(unendorsed)),
                None,
                Some(&earlier),
                None,
                Err(Problem::BadContinuation),
            ),
            (
                "a restore of a series not held",
                claim(old_home_s, Some(link)),
                None,
                None,
                None,
                Err(Problem::BadContinuation),
            ),
            (
                "a certified counter claiming another's home",
                claim(old_home_s, Some(unendorsed)),
                Some(&fresh),
                Some(&earlier),
                None,
                Err(Problem::BadContinuation),
            ),
            (
                "a new PC, the grant naming the home",
                claim(old_home_s, Some(unendorsed)),
                Some(&regranted),
                None,
                None,
                Ok(()),
            ),
            (
                "a grant naming another home",
                claim(own_home, None),
                Some(&regranted),
                None,
                None,
                Err(Problem::BadContinuation),
            ),
            (
                "nothing at all",
                claim(own_home, None),
                None,
                None,
                None,
                Err(Problem::Uncertified),
            ),
        ];
        for (what, claim, certified, earlier, holder, want) in cases {
            assert_eq!(admit(&claim, certified, earlier, holder), want, "{what}");
        }
    }
}
