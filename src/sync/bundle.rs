//! The bundle file: what `sync export` writes and `sync import` reads, for communities
//! without a network (a USB stick carried to the street office and back).
//!
//! ```text
//! "PDBUNDLE1\n"
//! frame*:  u32 length (big-endian) | u8 kind | payload | SHA-256(kind | payload)
//! ```
//! Frames, in order: the header (JSON), the certificates (JSON), the resident keys sealed to
//! the district (JSON), pages of entries (binary, [`crate::district::Page`]), and the end: the
//! count of frames and entries and a SHA-256 over every frame's checksum, signed by the series
//! that made the bundle. Every frame stands alone: a cut or damaged frame is skipped and the
//! rest still read, and a bundle without its end was cut short. Nothing in a bundle is taken on
//! trust anyway: each entry is checked against its series' key when it is imported.
//!
//! Frames are our own few lines over `std::io` and `sha2`: a general container format (tar,
//! zip) would add a dependency and still need the per-frame checks.

use crate::district::{Certificate, Page, SealedResidentKey};
use crate::keys::Device;
use crate::ledger::district::BundleHeader;
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};

pub const MAGIC: &[u8; 10] = b"PDBUNDLE1\n";
/// The largest frame read (a page of 1,000 entries is a few hundred KB).
pub const FRAME_BYTES_MAX: usize = 64 << 20;

const KIND_HEADER: u8 = 1;
const KIND_CERTIFICATES: u8 = 2;
const KIND_KEYS: u8 = 3;
const KIND_PAGE: u8 = 4;
const KIND_END: u8 = 9;

/// The last frame: how much the bundle holds, and its maker's signature over all of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleEnd {
    pub frames: u64,
    pub entries: u64,
    /// Hex of SHA-256 over the checksums of every frame before this one, in order.
    pub digest: String,
    /// Hex of the maker's Ed25519 signature over the digest bytes.
    pub signature: String,
}

/// One frame as read.
pub enum Frame {
    Header(BundleHeader),
    Certificates(Vec<Certificate>),
    Keys(Vec<SealedResidentKey>),
    Page(Page),
    End(BundleEnd),
}

/// Writes a bundle frame by frame.
pub struct BundleWriter<W: Write> {
    out: W,
    digest: Sha256,
    frames: u64,
    entries: u64,
    scratch: Vec<u8>,
}

impl<W: Write> BundleWriter<W> {
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(MAGIC)?;
        Ok(BundleWriter {
            out,
            digest: Sha256::new(),
            frames: 0,
            entries: 0,
            scratch: Vec::new(),
        })
    }

    fn frame(&mut self, kind: u8, payload: &[u8]) -> std::io::Result<()> {
        let checksum: [u8; 32] = Sha256::new()
            .chain_update([kind])
            .chain_update(payload)
            .finalize()
            .into();
        self.out
            .write_all(&((payload.len() + 1) as u32).to_be_bytes())?;
        self.out.write_all(&[kind])?;
        self.out.write_all(payload)?;
        self.out.write_all(&checksum)?;
        self.digest.update(checksum);
        self.frames += 1;
        Ok(())
    }

    pub fn header(&mut self, header: &BundleHeader) -> std::io::Result<()> {
        self.frame(
            KIND_HEADER,
            &serde_json::to_vec(header).expect("serialises"),
        )
    }

    pub fn certificates(&mut self, certificates: &[Certificate]) -> std::io::Result<()> {
        self.frame(
            KIND_CERTIFICATES,
            &serde_json::to_vec(certificates).expect("serialises"),
        )
    }

    pub fn keys(&mut self, keys: &[SealedResidentKey]) -> std::io::Result<()> {
        self.frame(KIND_KEYS, &serde_json::to_vec(keys).expect("serialises"))
    }

    pub fn page(&mut self, page: &Page) -> std::io::Result<()> {
        let mut bytes = std::mem::take(&mut self.scratch);
        bytes.clear();
        page.encode(&mut bytes);
        self.entries += page.entries.len() as u64;
        let written = self.frame(KIND_PAGE, &bytes);
        self.scratch = bytes;
        written
    }

    /// Writes the signed end and hands back the output (to sync and rename it).
    pub fn finish(self, maker: &Device) -> std::io::Result<W> {
        self.finish_signed(|digest| maker.sign(digest))
    }

    /// Ends the bundle with a signature made by `sign` (the hub signs with the district key).
    pub fn finish_signed(
        mut self,
        sign: impl FnOnce(&[u8; 32]) -> Signature,
    ) -> std::io::Result<W> {
        let digest: [u8; 32] = self.digest.clone().finalize().into();
        let end = BundleEnd {
            frames: self.frames,
            entries: self.entries,
            digest: hex::encode(digest),
            signature: hex::encode(sign(&digest).to_bytes()),
        };
        self.frame(KIND_END, &serde_json::to_vec(&end).expect("serialises"))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// What reading a frame found besides a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadProblem {
    /// Not a bundle (the first bytes are not [`MAGIC`]).
    NotABundle,
    /// The file ends inside a frame: it was cut short.
    Cut,
    /// A whole frame whose checksum or content does not hold; the next one is read.
    Damaged { frame: u64 },
}

/// Reads a bundle frame by frame, telling a cut or damaged frame from a good one.
pub struct BundleReader<R: Read> {
    input: R,
    digest: Sha256,
    frames: u64,
    entries: u64,
    damaged: u64,
    ended: bool,
}

impl<R: Read> BundleReader<R> {
    pub fn new(mut input: R) -> Result<Self, ReadProblem> {
        let mut magic = [0u8; MAGIC.len()];
        input
            .read_exact(&mut magic)
            .map_err(|_| ReadProblem::NotABundle)?;
        if &magic != MAGIC {
            return Err(ReadProblem::NotABundle);
        }
        Ok(BundleReader {
            input,
            digest: Sha256::new(),
            frames: 0,
            entries: 0,
            damaged: 0,
            ended: false,
        })
    }

    /// Frames skipped because they were damaged.
    pub fn damaged(&self) -> u64 {
        self.damaged
    }

    /// The next frame; `Ok(None)` at the end of the file. After the end frame nothing more is
    /// read.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ReadProblem> {
        if self.ended {
            return Ok(None);
        }
        let mut length = [0u8; 4];
        match read_all(&mut self.input, &mut length) {
            Filled::None => return Ok(None),
            Filled::Part => return Err(ReadProblem::Cut),
            Filled::All => {}
        }
        let length = u32::from_be_bytes(length) as usize;
        if length == 0 || length > FRAME_BYTES_MAX {
            return Err(ReadProblem::Cut);
        }
        let mut body = vec![0u8; length + 32];
        if !matches!(read_all(&mut self.input, &mut body), Filled::All) {
            return Err(ReadProblem::Cut);
        }
        let (content, checksum) = body.split_at(length);
        let computed: [u8; 32] = Sha256::digest(content).into();
        let frame_no = self.frames;
        self.frames += 1;
        if computed.as_slice() != checksum {
            self.damaged += 1;
            self.digest.update(checksum);
            return Err(ReadProblem::Damaged { frame: frame_no });
        }
        let (kind, payload) = (content[0], &content[1..]);
        let damaged = |reader: &mut Self| {
            reader.damaged += 1;
            ReadProblem::Damaged { frame: frame_no }
        };
        let frame = match kind {
            KIND_HEADER => serde_json::from_slice(payload).map(Frame::Header).ok(),
            KIND_CERTIFICATES => serde_json::from_slice(payload)
                .map(Frame::Certificates)
                .ok(),
            KIND_KEYS => serde_json::from_slice(payload).map(Frame::Keys).ok(),
            KIND_PAGE => Page::decode(payload).map(Frame::Page).ok(),
            KIND_END => serde_json::from_slice(payload).map(Frame::End).ok(),
            _ => None,
        };
        let Some(frame) = frame else {
            self.digest.update(computed);
            return Err(damaged(self));
        };
        match &frame {
            Frame::End(_) => self.ended = true,
            Frame::Page(page) => {
                self.entries += page.entries.len() as u64;
                self.digest.update(computed);
            }
            _ => self.digest.update(computed),
        }
        Ok(Some(frame))
    }

    /// Whether `end` is the maker's signature over exactly the frames read before it.
    pub fn end_holds(&self, end: &BundleEnd, maker: &VerifyingKey) -> bool {
        let digest: [u8; 32] = self.digest.clone().finalize().into();
        let signature = hex::decode(&end.signature)
            .ok()
            .and_then(|s| Signature::from_slice(&s).ok());
        end.frames + 1 == self.frames
            && end.entries == self.entries
            && end.digest == hex::encode(digest)
            && signature.is_some_and(|s| maker.verify_strict(&digest, &s).is_ok())
    }
}

enum Filled {
    None,
    Part,
    All,
}

/// Fills `buffer`, telling a clean end of file before it from one inside it.
fn read_all(input: &mut impl Read, buffer: &mut [u8]) -> Filled {
    let mut at = 0;
    while at < buffer.len() {
        match input.read(&mut buffer[at..]) {
            Ok(0) => break,
            Ok(n) => at += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    match at {
        0 => Filled::None,
        n if n == buffer.len() => Filled::All,
        _ => Filled::Part,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::district::WireEntry;
    use uuid::Uuid;

    fn header() -> BundleHeader {
        BundleHeader {
            format: crate::ledger::district::BUNDLE_FORMAT.into(),
            v: crate::ledger::district::BUNDLE_VERSION,
            district_id: "d".into(),
            district_name: "桥西街道".into(),
            exporter: Uuid::from_u128(1),
            exporter_name: "三桥爱心超市".into(),
            created_at: "2026-12-02T00:00:00.000Z".into(),
            heads: Vec::new(),
            ranges: Vec::new(),
            entries: 2,
        }
    }

    fn page(seq: i64) -> Page {
        Page {
            series_id: Uuid::from_u128(1),
            entries: vec![WireEntry {
                seq,
                prev_hash: [0; 32],
                signature: [0; 64],
                body: b"{}".to_vec(),
            }],
        }
    }

    fn bundle(maker: &Device) -> Vec<u8> {
        let mut writer = BundleWriter::new(Vec::new()).unwrap();
        writer.header(&header()).unwrap();
        writer.certificates(&[]).unwrap();
        writer.keys(&[]).unwrap();
        writer.page(&page(1)).unwrap();
        writer.page(&page(2)).unwrap();
        writer.finish(maker).unwrap()
    }

    fn read(bytes: &[u8]) -> (Vec<&'static str>, Vec<ReadProblem>, bool, u64) {
        let maker = Device::from_seed(Uuid::from_u128(1), [5; 32]);
        let mut reader = BundleReader::new(bytes).unwrap();
        let mut kinds = Vec::new();
        let mut problems = Vec::new();
        let mut holds = false;
        loop {
            match reader.next_frame() {
                Ok(None) => break,
                Ok(Some(Frame::End(end))) => {
                    holds = reader.end_holds(&end, &maker.public_key());
                    kinds.push("end");
                }
                Ok(Some(Frame::Page(_))) => kinds.push("page"),
                Ok(Some(_)) => kinds.push("meta"),
                Err(ReadProblem::Cut) => {
                    problems.push(ReadProblem::Cut);
                    break;
                }
                Err(problem) => problems.push(problem),
            }
        }
        (kinds, problems, holds, reader.damaged())
    }

    #[test]
    fn a_whole_bundle_reads_back_with_its_signed_end() {
        let maker = Device::from_seed(Uuid::from_u128(1), [5; 32]);
        let bytes = bundle(&maker);
        let (kinds, problems, holds, _) = read(&bytes);
        assert_eq!(kinds, ["meta", "meta", "meta", "page", "page", "end"]);
        assert!(problems.is_empty());
        assert!(holds);
    }

    #[test]
    fn a_cut_bundle_gives_what_is_whole_and_says_it_was_cut() {
        let maker = Device::from_seed(Uuid::from_u128(1), [5; 32]);
        let bytes = bundle(&maker);
        for cut in [bytes.len() - 1, bytes.len() - 60, bytes.len() / 2] {
            let (kinds, problems, holds, _) = read(&bytes[..cut]);
            assert!(!kinds.contains(&"end"), "cut at {cut}");
            assert_eq!(problems, [ReadProblem::Cut], "cut at {cut}");
            assert!(!holds);
        }
    }

    #[test]
    fn a_damaged_frame_is_skipped_and_the_end_no_longer_holds() {
        let maker = Device::from_seed(Uuid::from_u128(1), [5; 32]);
        let mut bytes = bundle(&maker);
        // Walk the frames to the fourth (the first page) and change a byte of its payload.
        let mut at = MAGIC.len();
        for _ in 0..3 {
            let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            at += 4 + length + 32;
        }
        bytes[at + 4 + 10] ^= 1;
        let (kinds, problems, holds, damaged) = read(&bytes);
        assert_eq!(kinds, ["meta", "meta", "meta", "page", "end"]);
        assert_eq!(problems, [ReadProblem::Damaged { frame: 3 }]);
        assert_eq!(damaged, 1);
        assert!(!holds);
        assert!(matches!(
            BundleReader::new(&b"not a bundle"[..]),
            Err(ReadProblem::NotABundle)
        ));
    }
}
