//! Signed requests: every request a counter sends the hub is signed by its device key over the
//! method, the path, a digest of the body, the time and a nonce. The hub checks the signature
//! against the key the district certified, the time against its own clock (a window either
//! way), and that it never saw the nonce: a captured request cannot be sent again, changed, or
//! sent by anyone else.
//!
//! Pure: the caller brings the clock, the nonce and the key.

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// What is signed, one field a line. The first line names the scheme, so that a signature made
/// for something else can never pass as a request's.
pub fn canonical(method: &str, path: &str, body: &[u8], time_ms: i64, nonce: &str) -> Vec<u8> {
    let digest = Sha256::digest(body);
    format!(
        "pointsdesk-request/1\n{}\n{path}\n{}\n{time_ms}\n{nonce}",
        method.to_ascii_uppercase(),
        hex::encode(digest)
    )
    .into_bytes()
}

/// A nonce is 16 random bytes in hex.
pub const NONCE_HEX_CHARS: usize = 32;

/// Whether `nonce` looks like one a client makes (so nothing else is stored as one).
pub fn nonce_well_formed(nonce: &str) -> bool {
    nonce.len() == NONCE_HEX_CHARS && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `signature_hex` is `key`'s signature over the canonical text.
pub fn signed_by(key: &VerifyingKey, canonical: &[u8], signature_hex: &str) -> bool {
    hex::decode(signature_hex)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .is_some_and(|s| key.verify_strict(canonical, &s).is_ok())
}

/// The hub's clock minus the request's, when it is outside `window_ms`.
pub fn clock_offset_outside(now_ms: i64, time_ms: i64, window_ms: i64) -> Option<i64> {
    let offset = now_ms - time_ms;
    (offset.abs() > window_ms).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    #[test]
    fn a_signature_holds_for_its_request_only() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let nonce = "0123456789abcdef0123456789abcdef";
        let text = canonical("post", "/v1/push", b"page", 1_000, nonce);
        let signature = hex::encode(key.sign(&text).to_bytes());
        assert!(signed_by(&key.verifying_key(), &text, &signature));
        for other in [
            canonical("GET", "/v1/push", b"page", 1_000, nonce),
            canonical("POST", "/v1/pull", b"page", 1_000, nonce),
            canonical("POST", "/v1/push", b"pagE", 1_000, nonce),
            canonical("POST", "/v1/push", b"page", 1_001, nonce),
            canonical(
                "POST",
                "/v1/push",
                b"page",
                1_000,
                "1123456789abcdef0123456789abcdef",
            ),
        ] {
            assert!(!signed_by(&key.verifying_key(), &other, &signature));
        }
        let stranger = SigningKey::from_bytes(&[8; 32]);
        assert!(!signed_by(&stranger.verifying_key(), &text, &signature));
        assert!(!signed_by(&key.verifying_key(), &text, "zz"));
    }

    #[test]
    fn the_clock_window_holds_either_way() {
        assert_eq!(clock_offset_outside(10_000, 9_000, 5_000), None);
        assert_eq!(clock_offset_outside(10_000, 16_000, 5_000), Some(-6_000));
        assert_eq!(clock_offset_outside(10_000, 4_000, 5_000), Some(6_000));
        assert!(nonce_well_formed("0123456789abcdef0123456789ABCDEF"));
        assert!(!nonce_well_formed("xyz"));
    }
}
