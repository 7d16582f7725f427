//! What travels between counters: entries exactly as they were signed, in pages of one
//! series, and resident keys sealed to the district.
//!
//! A page is binary (a bundle of a million entries stays near the size of the log itself):
//! the series id, the count, then per entry its seq, the hash it links to, its signature and
//! its envelope bytes. The receiver recomputes each hash and checks each signature; nothing
//! in a page is taken on trust.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most entries in one page.
pub const PAGE_ENTRIES_MAX: usize = 1_000;
/// The largest envelope a page carries (an entry's body is a few hundred bytes).
pub const ENTRY_BODY_BYTES_MAX: usize = 1 << 20;

/// One entry as signed by its series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireEntry {
    pub seq: i64,
    pub prev_hash: [u8; 32],
    pub signature: [u8; 64],
    /// The envelope bytes exactly as hashed.
    pub body: Vec<u8>,
}

/// Consecutive entries of one series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub series_id: Uuid,
    pub entries: Vec<WireEntry>,
}

/// Why page bytes could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageUnreadable;

impl Page {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.series_id.as_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
        for entry in &self.entries {
            out.extend_from_slice(&entry.seq.to_be_bytes());
            out.extend_from_slice(&entry.prev_hash);
            out.extend_from_slice(&entry.signature);
            out.extend_from_slice(&(entry.body.len() as u32).to_be_bytes());
            out.extend_from_slice(&entry.body);
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Page, PageUnreadable> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], PageUnreadable> {
            let slice = bytes.get(at..at + n).ok_or(PageUnreadable)?;
            at += n;
            Ok(slice)
        };
        let series_id = Uuid::from_slice(take(16)?).map_err(|_| PageUnreadable)?;
        let count = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        if count > PAGE_ENTRIES_MAX {
            return Err(PageUnreadable);
        }
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            let seq = i64::from_be_bytes(take(8)?.try_into().expect("8 bytes"));
            let prev_hash: [u8; 32] = take(32)?.try_into().expect("32 bytes");
            let signature: [u8; 64] = take(64)?.try_into().expect("64 bytes");
            let len = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
            if len > ENTRY_BODY_BYTES_MAX {
                return Err(PageUnreadable);
            }
            let body = take(len)?.to_vec();
            entries.push(WireEntry {
                seq,
                prev_hash,
                signature,
                body,
            });
        }
        if at != bytes.len() {
            return Err(PageUnreadable);
        }
        Ok(Page { series_id, entries })
    }
}

/// A resident's sealing key on its way to another counter, sealed with the district's data
/// key: only the district's counters (and the hub) open it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedResidentKey {
    pub resident: String,
    pub nonce: String,
    pub ciphertext: String,
}

fn key_aad(district_id: &str, resident: &str) -> Vec<u8> {
    format!("pointsdesk resident key v1\n{district_id}\n{resident}").into_bytes()
}

impl SealedResidentKey {
    pub fn seal(
        data_key: &[u8; 32],
        district_id: &str,
        resident: &str,
        key: &[u8; 32],
        nonce: [u8; 12],
    ) -> SealedResidentKey {
        let cipher = ChaCha20Poly1305::new(&Key::from(*data_key));
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: key,
                    aad: &key_aad(district_id, resident),
                },
            )
            .expect("encryption of 32 bytes cannot fail");
        SealedResidentKey {
            resident: resident.to_string(),
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ciphertext),
        }
    }

    /// The key, or `None` when it was not sealed with this district's data key (or altered).
    pub fn open(&self, data_key: &[u8; 32], district_id: &str) -> Option<[u8; 32]> {
        let cipher = ChaCha20Poly1305::new(&Key::from(*data_key));
        let nonce: [u8; 12] = hex::decode(&self.nonce).ok()?.try_into().ok()?;
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &hex::decode(&self.ciphertext).ok()?,
                    aad: &key_aad(district_id, &self.resident),
                },
            )
            .ok()?;
        plain.try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_back_as_written_and_a_cut_one_does_not_read() {
        let page = Page {
            series_id: Uuid::from_u128(7),
            entries: vec![
                WireEntry {
                    seq: 1,
                    prev_hash: [0; 32],
                    signature: [1; 64],
                    body: b"{}".to_vec(),
                },
                WireEntry {
                    seq: 2,
                    prev_hash: [2; 32],
                    signature: [3; 64],
                    body: "三桥".as_bytes().to_vec(),
                },
            ],
        };
        let mut bytes = Vec::new();
        page.encode(&mut bytes);
        assert_eq!(Page::decode(&bytes), Ok(page));
        assert_eq!(Page::decode(&bytes[..bytes.len() - 1]), Err(PageUnreadable));
    }

    #[test]
    fn a_sealed_key_opens_only_with_the_district_and_for_its_resident() {
        let sealed = SealedResidentKey::seal(&[1; 32], "d1", "SQ-RA00001", &[9; 32], [4; 12]);
        assert_eq!(sealed.open(&[1; 32], "d1"), Some([9; 32]));
        assert_eq!(sealed.open(&[2; 32], "d1"), None);
        assert_eq!(sealed.open(&[1; 32], "d2"), None);
        let moved = SealedResidentKey {
            resident: "SQ-RA00002".into(),
            ..sealed
        };
        assert_eq!(moved.open(&[1; 32], "d1"), None);
    }
}
