//! Who may write into the district ledger.
//!
//! The street office holds the **district key** (Ed25519). For each counter it signs a
//! **grant**: "the counter called NAME, with counter code C, may join district D until T",
//! together with a one-time grant key pair. The enrolment file carries the grant, the grant's
//! secret key and the district's data key; the counter uses the grant key to sign its own
//! series key into a **certificate** and then forgets the grant key. Anyone holding the
//! district's public key checks a certificate: the district signed the grant, the grant key
//! signed the counter's key. This works without a network, in both directions: the enrolment
//! file goes to the counter, the certificate comes back inside every bundle the counter makes.
//!
//! Signed statements are kept as the exact JSON text that was signed (`body`), never
//! re-serialised before checking.

use crate::domain::ids;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the `format` field of an enrolment file says.
pub const ENROLMENT_FORMAT: &str = "pointsdesk-enrolment";
pub const TRUST_VERSION: u32 = 1;

/// Why a grant or certificate is not taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum TrustProblem {
    /// Not a pointsdesk enrolment file, or a damaged one.
    Unreadable,
    /// The district's signature over the grant does not hold.
    BadDistrictSignature,
    /// The grant key's signature over the counter's key does not hold.
    BadGrantSignature,
    /// Signed by another district than the one this counter belongs to.
    OtherDistrict { district: String },
    /// The grant expired before it was used.
    Expired { expires_at: String },
    /// The certificate names another series or key than the one it came with.
    WrongSeries,
}

/// The street office's key: certifies the counters of its district.
pub struct DistrictKey {
    pub district_id: Uuid,
    pub name: String,
    signing: SigningKey,
    /// Seals resident keys on their way between counters; every enrolled counter holds it.
    pub data_key: [u8; 32],
    /// Data keys before the last `hub rekey`, newest first: resident keys sealed with them
    /// still open here.
    pub earlier_data_keys: Vec<[u8; 32]>,
}

impl DistrictKey {
    pub fn new(district_id: Uuid, name: String, seed: [u8; 32], data_key: [u8; 32]) -> Self {
        DistrictKey {
            district_id,
            name,
            signing: SigningKey::from_bytes(&seed),
            data_key,
            earlier_data_keys: Vec::new(),
        }
    }

    /// The data key and those before it, newest first.
    pub fn data_keys(&self) -> impl Iterator<Item = &[u8; 32]> {
        std::iter::once(&self.data_key).chain(&self.earlier_data_keys)
    }

    /// A resident key sealed with the district's data key, or one from before a rekey.
    pub fn open_resident_key(
        &self,
        sealed: &super::SealedResidentKey,
        district_id: &str,
    ) -> Option<[u8; 32]> {
        self.data_keys()
            .find_map(|key| sealed.open(key, district_id))
    }

    /// A resident key sealed again with the current data key (whatever key sealed it before),
    /// so that what the hub hands out opens with the newest key only; `None` when it opens
    /// with none of the district's keys.
    pub fn reseal_resident_key(
        &self,
        sealed: &super::SealedResidentKey,
        district_id: &str,
        nonce: [u8; 12],
    ) -> Option<super::SealedResidentKey> {
        let key = self.open_resident_key(sealed, district_id)?;
        Some(super::SealedResidentKey::seal(
            &self.data_key,
            district_id,
            &sealed.resident,
            &key,
            nonce,
        ))
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The district's signature over a digest (the end of a bundle the hub sends).
    pub fn sign(&self, digest: &[u8; 32]) -> Signature {
        self.signing.sign(digest)
    }

    /// An enrolment file for one counter: a grant signed by the district, with the grant's
    /// own secret key (`grant_seed`, fresh random bytes) and the district's data key.
    pub fn enrol(&self, body: GrantBody, grant_seed: [u8; 32]) -> EnrolmentFile {
        let grant_key = SigningKey::from_bytes(&grant_seed);
        let body = GrantBody {
            grant_public_key: hex::encode(grant_key.verifying_key().to_bytes()),
            ..body
        };
        let text = serde_json::to_string(&body).expect("plain struct serialises");
        let signature = self.signing.sign(text.as_bytes());
        EnrolmentFile {
            format: ENROLMENT_FORMAT.to_string(),
            v: TRUST_VERSION,
            grant: Grant {
                body: text,
                signature: hex::encode(signature.to_bytes()),
            },
            grant_secret_key: hex::encode(grant_seed),
            data_key: hex::encode(self.data_key),
        }
    }
}

/// A counter's data keys (newest first) after the hub named the district's (newest first):
/// a newest key the counter has not seen becomes its newest; a list whose newest the counter
/// knows already (a hub process not yet restarted after `hub rekey`) never takes the newest
/// back. Every key either side knows is kept, so what earlier keys sealed still opens.
pub fn learn_data_keys(known: &[[u8; 32]], told: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let (first, second) = match told.first() {
        Some(newest) if !known.contains(newest) => (told, known),
        _ => (known, told),
    };
    let mut keys: Vec<[u8; 32]> = Vec::with_capacity(known.len() + told.len());
    for key in first.iter().chain(second) {
        if !keys.contains(key) {
            keys.push(*key);
        }
    }
    keys
}

/// What the district grants one counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantBody {
    pub v: u32,
    pub district_id: String,
    pub district_name: String,
    /// Hex of the district's Ed25519 public key.
    pub district_public_key: String,
    pub grant_id: String,
    /// The counter's name as the street office calls it.
    pub counter: String,
    /// The counter code its numbers carry, unique in the district.
    pub code: String,
    pub issued_at: String,
    pub expires_at: String,
    /// Hex of the grant's one-time public key (the counter signs its key with the secret one).
    #[serde(default)]
    pub grant_public_key: String,
    /// For a counter enrolled again on a new PC without its old key: the counter's lasting id
    /// (its origin: its first series), which the new series continues. Named `origin` in grants
    /// made before the word was kept for the folder.
    #[serde(default, alias = "home", skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The community of the counter: a counter is known by its community and code, never by
    /// its name alone (`None` in grants made before the hub asked for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
}

/// A grant as signed: the JSON text and the district's signature over it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub body: String,
    pub signature: String,
}

impl Grant {
    /// The grant's content, checked against the district's public key.
    pub fn open(&self, district_key: &VerifyingKey) -> Result<GrantBody, TrustProblem> {
        let body: GrantBody =
            serde_json::from_str(&self.body).map_err(|_| TrustProblem::Unreadable)?;
        let signature = signature_of(&self.signature).ok_or(TrustProblem::BadDistrictSignature)?;
        district_key
            .verify_strict(self.body.as_bytes(), &signature)
            .map_err(|_| TrustProblem::BadDistrictSignature)?;
        Ok(body)
    }

    /// The grant's content as it claims, unchecked (to read the district key out of it).
    pub fn claims(&self) -> Result<GrantBody, TrustProblem> {
        serde_json::from_str(&self.body).map_err(|_| TrustProblem::Unreadable)
    }
}

/// The file `hub enroll --out` writes and `sync enroll --file` reads. It holds secrets (the
/// grant key, the data key): it is written owner-only and should be deleted once used.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnrolmentFile {
    pub format: String,
    pub v: u32,
    pub grant: Grant,
    pub grant_secret_key: String,
    pub data_key: String,
}

/// What a counter's certificate says: its series and key, and what it numbers with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateBody {
    pub v: u32,
    #[serde(alias = "counter_id")]
    pub series_id: String,
    /// Hex of the series' Ed25519 public key.
    pub public_key: String,
    pub community: String,
    pub prefix: String,
    pub code: String,
    pub counter: String,
    /// The counter's origin (its lasting id), so the hub can tell a second PC taking a code
    /// from the counter's own next series (`None` from counters made before it was sent;
    /// `origin` in certificates signed before the word was kept for the folder).
    #[serde(default, alias = "home", skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// A counter series certified into the district: the grant, and the grant key's signature
/// over the certificate body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub grant: Grant,
    pub body: String,
    pub signature: String,
}

/// A certificate that checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certified {
    pub grant: GrantBody,
    pub body: CertificateBody,
    pub series_id: Uuid,
    pub public_key: [u8; 32],
}

impl EnrolmentFile {
    pub fn parse(bytes: &[u8]) -> Result<EnrolmentFile, TrustProblem> {
        let file: EnrolmentFile =
            serde_json::from_slice(bytes).map_err(|_| TrustProblem::Unreadable)?;
        if file.format != ENROLMENT_FORMAT {
            return Err(TrustProblem::Unreadable);
        }
        Ok(file)
    }

    /// The district's public key and the grant, checked against each other.
    pub fn open(&self) -> Result<(VerifyingKey, GrantBody), TrustProblem> {
        let claims = self.grant.claims()?;
        let district_key = verifying_key_of(&claims.district_public_key)
            .ok_or(TrustProblem::BadDistrictSignature)?;
        let body = self.grant.open(&district_key)?;
        Ok((district_key, body))
    }

    pub fn data_key(&self) -> Result<[u8; 32], TrustProblem> {
        hex::decode(&self.data_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(TrustProblem::Unreadable)
    }

    /// The certificate of one series, signed with the grant key.
    pub fn certify(&self, body: &CertificateBody) -> Result<Certificate, TrustProblem> {
        let seed: [u8; 32] = hex::decode(&self.grant_secret_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(TrustProblem::Unreadable)?;
        let grant_key = SigningKey::from_bytes(&seed);
        let claims = self.grant.claims()?;
        if hex::encode(grant_key.verifying_key().to_bytes()) != claims.grant_public_key {
            return Err(TrustProblem::BadGrantSignature);
        }
        let text = serde_json::to_string(body).expect("plain struct serialises");
        Ok(Certificate {
            grant: self.grant.clone(),
            signature: hex::encode(grant_key.sign(text.as_bytes()).to_bytes()),
            body: text,
        })
    }
}

impl Certificate {
    /// Checks the certificate against the district's key: the district signed the grant, the
    /// grant key signed the body, and both name `district_id`.
    pub fn check(
        &self,
        district_id: &str,
        district_key: &VerifyingKey,
    ) -> Result<Certified, TrustProblem> {
        let claims = self.grant.claims()?;
        if claims.district_id != district_id {
            return Err(TrustProblem::OtherDistrict {
                district: claims.district_name,
            });
        }
        let grant = self.grant.open(district_key)?;
        let grant_key =
            verifying_key_of(&grant.grant_public_key).ok_or(TrustProblem::BadGrantSignature)?;
        let signature = signature_of(&self.signature).ok_or(TrustProblem::BadGrantSignature)?;
        grant_key
            .verify_strict(self.body.as_bytes(), &signature)
            .map_err(|_| TrustProblem::BadGrantSignature)?;
        let body: CertificateBody =
            serde_json::from_str(&self.body).map_err(|_| TrustProblem::Unreadable)?;
        let series_id = Uuid::parse_str(&body.series_id).map_err(|_| TrustProblem::Unreadable)?;
        let public_key: [u8; 32] = hex::decode(&body.public_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(TrustProblem::Unreadable)?;
        if ids::clean_counter_code(&body.code).as_deref() != Ok(grant.code.as_str()) {
            return Err(TrustProblem::WrongSeries);
        }
        Ok(Certified {
            grant,
            body,
            series_id,
            public_key,
        })
    }

    /// The series the certificate is about, as it claims (unchecked).
    pub fn series_id(&self) -> Option<Uuid> {
        let body: CertificateBody = serde_json::from_str(&self.body).ok()?;
        Uuid::parse_str(&body.series_id).ok()
    }
}

pub fn verifying_key_of(hex_key: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(hex_key).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

fn signature_of(hex_signature: &str) -> Option<Signature> {
    Signature::from_slice(&hex::decode(hex_signature).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant_body(code: &str) -> GrantBody {
        GrantBody {
            v: TRUST_VERSION,
            district_id: "d1".into(),
            district_name: "桥西街道".into(),
            district_public_key: String::new(),
            grant_id: "g1".into(),
            counter: "三桥爱心超市".into(),
            code: code.into(),
            issued_at: "2026-12-01T00:00:00.000Z".into(),
            expires_at: "2026-12-15T00:00:00.000Z".into(),
            grant_public_key: String::new(),
            origin: None,
            community: None,
        }
    }

    fn district() -> DistrictKey {
        DistrictKey::new(Uuid::nil(), "桥西街道".into(), [1; 32], [2; 32])
    }

    fn enrol(district: &DistrictKey, code: &str) -> EnrolmentFile {
        let body = GrantBody {
            district_public_key: hex::encode(district.public_key().to_bytes()),
            ..grant_body(code)
        };
        district.enrol(body, [3; 32])
    }

    fn body(code: &str) -> CertificateBody {
        CertificateBody {
            v: TRUST_VERSION,
            series_id: Uuid::nil().to_string(),
            public_key: hex::encode([9u8; 32]),
            community: "三桥社区".into(),
            prefix: "SQ".into(),
            code: code.into(),
            counter: "三桥爱心超市".into(),
            origin: None,
        }
    }

    #[test]
    fn a_certificate_made_with_the_grant_checks_out_against_the_district_key() {
        let district = district();
        let file = enrol(&district, "A");
        let (key, grant) = file.open().unwrap();
        assert_eq!(key, district.public_key());
        assert_eq!(grant.code, "A");
        let certificate = file.certify(&body("A")).unwrap();
        let certified = certificate.check("d1", &district.public_key()).unwrap();
        assert_eq!(certified.public_key, [9u8; 32]);
    }

    #[test]
    fn a_changed_certificate_another_district_or_another_code_is_refused() {
        let district = district();
        let file = enrol(&district, "A");
        let mut certificate = file.certify(&body("A")).unwrap();
        assert!(matches!(
            certificate.check("d2", &district.public_key()),
            Err(TrustProblem::OtherDistrict { .. })
        ));
        let other = DistrictKey::new(Uuid::nil(), "x".into(), [5; 32], [2; 32]);
        assert_eq!(
            certificate.check("d1", &other.public_key()),
            Err(TrustProblem::BadDistrictSignature)
        );
        let wrong_code = file.certify(&body("B")).unwrap();
        assert_eq!(
            wrong_code.check("d1", &district.public_key()),
            Err(TrustProblem::WrongSeries)
        );
        certificate.body = certificate.body.replace("三桥社区", "二桥社区");
        assert_eq!(
            certificate.check("d1", &district.public_key()),
            Err(TrustProblem::BadGrantSignature)
        );
    }

    #[test]
    fn a_counter_takes_a_newer_data_key_and_never_goes_back_to_an_older_one() {
        let (a, b, c) = ([1; 32], [2; 32], [3; 32]);
        type Keys<'a> = &'a [[u8; 32]];
        let cases: &[(&str, Keys, Keys, Keys)] = &[
            ("a hub from before rekeys says nothing", &[a], &[], &[a]),
            ("the same key", &[a], &[a], &[a]),
            ("after a rekey", &[a], &[b, a], &[b, a]),
            ("enrolled after the rekey", &[b], &[b, a], &[b, a]),
            ("two rekeys at once", &[a], &[c, b, a], &[c, b, a]),
            ("a hub process not yet restarted", &[b, a], &[a], &[b, a]),
            ("an older list", &[c, b, a], &[b, a], &[c, b, a]),
        ];
        for (what, known, told, want) in cases {
            assert_eq!(learn_data_keys(known, told), *want, "{what}");
        }
    }

    #[test]
    fn a_resident_key_sealed_before_a_rekey_is_handed_out_sealed_with_the_new_key() {
        let mut district = district();
        let old = district.data_key;
        let sealed =
            crate::district::SealedResidentKey::seal(&old, "d1", "SQ-RA00001", &[7; 32], [0; 12]);
        district.earlier_data_keys.push(old);
        district.data_key = [4; 32];
        let resealed = district
            .reseal_resident_key(&sealed, "d1", [1; 12])
            .unwrap();
        assert_eq!(resealed.open(&[4; 32], "d1"), Some([7; 32]));
        assert_eq!(resealed.open(&old, "d1"), None);
    }

    #[test]
    fn a_grant_with_a_changed_code_is_refused() {
        let district = district();
        let mut file = enrol(&district, "A");
        file.grant.body = file.grant.body.replace("\"code\":\"A\"", "\"code\":\"B\"");
        assert_eq!(file.open(), Err(TrustProblem::BadDistrictSignature));
    }
}
