//! Checking many entries' signatures at once: Ed25519 batch verification in batches of
//! [`BATCH_ENTRIES`], one by one only in a batch that fails (to tell which), spread over
//! threads. One function for the counter's import and the hub's ingest.

use ed25519_dalek::{Signature, VerifyingKey};

/// Signatures verified in one Ed25519 batch.
pub const BATCH_ENTRIES: usize = 256;

/// One signature to check: the entry's hash, its signature, and the key of its series (`None`
/// when the series has none here: the entry is unsigned as far as anyone can tell).
#[derive(Clone, Copy)]
pub struct Signed<'a> {
    pub hash: &'a [u8; 32],
    pub signature: &'a [u8; 64],
    pub key: Option<VerifyingKey>,
}

/// Whether each item is signed by its key, in order.
pub fn check(items: &[Signed<'_>]) -> Vec<bool> {
    let mut out = Vec::with_capacity(items.len());
    for batch in items.chunks(BATCH_ENTRIES) {
        if batch.iter().all(|s| s.key.is_some()) {
            let messages: Vec<&[u8]> = batch.iter().map(|s| s.hash.as_slice()).collect();
            let signatures: Vec<Signature> = batch
                .iter()
                .map(|s| Signature::from_bytes(s.signature))
                .collect();
            let keys: Vec<VerifyingKey> = batch.iter().filter_map(|s| s.key).collect();
            if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
                out.extend(std::iter::repeat_n(true, batch.len()));
                continue;
            }
        }
        out.extend(batch.iter().map(|s| {
            s.key.is_some_and(|k| {
                k.verify_strict(s.hash, &Signature::from_bytes(s.signature))
                    .is_ok()
            })
        }));
    }
    out
}

/// Like [`check`], on up to `threads` threads.
pub fn check_parallel(items: &[Signed<'_>], threads: usize) -> Vec<bool> {
    let per = items.len().div_ceil(threads.max(1)).max(BATCH_ENTRIES);
    if items.len() <= per {
        return check(items);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|part| scope.spawn(move || check(part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a signature thread does not panic"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    #[test]
    fn a_bad_signature_in_a_batch_is_found_and_the_others_pass() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let hashes: Vec<[u8; 32]> = (0..600u32)
            .map(|i| {
                let mut h = [0u8; 32];
                h[..4].copy_from_slice(&i.to_be_bytes());
                h
            })
            .collect();
        let mut signatures: Vec<[u8; 64]> = hashes.iter().map(|h| key.sign(h).to_bytes()).collect();
        signatures[300][5] ^= 1;
        let items: Vec<Signed<'_>> = hashes
            .iter()
            .zip(&signatures)
            .enumerate()
            .map(|(i, (hash, signature))| Signed {
                hash,
                signature,
                key: (i != 7).then_some(key.verifying_key()),
            })
            .collect();
        for checked in [check(&items), check_parallel(&items, 2)] {
            let bad: Vec<usize> = (0..checked.len()).filter(|&i| !checked[i]).collect();
            assert_eq!(bad, vec![7, 300]);
        }
    }
}
