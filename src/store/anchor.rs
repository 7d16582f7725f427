//! The head anchor: a small file beside ledger.db (`ledger.head`) that remembers how far this
//! counter has signed its own series, outside the database.
//!
//! A hash chain cannot see its own end cut off: delete the last entries (and fix the
//! `series_heads` row) with the sqlite3 shell and what is left still verifies. The anchor holds,
//! for each of this counter's own series, the seq, hash and signature of its newest entry (the
//! signature is the entry's own, so the anchor cannot be made up without the device key), and
//! the highest seq ever signed (after a restore from an old backup that is more than the log
//! holds, and never used again). `ledger verify` compares the log with it.
//!
//! It is updated after each commit, under an exclusive file lock so that two processes never
//! move it backwards, and without fsync: after a power cut it may lag the log by the last
//! commits, which is harmless (a log ahead of its anchor is fine; behind it is not). What it
//! cannot see: an old anchor copied back together with a cut log — the hub's heads can.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The file's name, beside ledger.db.
pub const ANCHOR_FILE_NAME: &str = "ledger.head";
/// Largest anchor file read; a counter has one series per restore, each about 300 bytes.
const ANCHOR_BYTES_MAX: u64 = 1024 * 1024;
const ANCHOR_VERSION: u32 = 1;

/// How far one of this counter's own series has been signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    #[serde(alias = "counter_id")]
    pub series_id: Uuid,
    /// The newest entry the log must hold.
    pub seq: i64,
    /// Its hash and the device's signature of it, hex.
    pub hash: String,
    pub signature: String,
    /// The highest seq ever signed in this series: more than `seq` when a restore dropped
    /// entries. No entry with a seq up to this is ever signed again.
    pub used_seq: i64,
    /// A series continued by a new one after a restore: never written to again.
    #[serde(default)]
    pub retired: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub v: u32,
    pub heads: Vec<Head>,
}

impl Anchor {
    pub fn head(&self, series_id: &Uuid) -> Option<&Head> {
        self.heads.iter().find(|h| h.series_id == *series_id)
    }

    /// Moves a series' head forward (never back); a series not yet anchored is added.
    pub fn advance(&mut self, series_id: Uuid, seq: i64, hash: &[u8], signature: &[u8]) {
        match self.heads.iter_mut().find(|h| h.series_id == series_id) {
            Some(head) if head.seq >= seq => {}
            Some(head) => {
                head.seq = seq;
                head.hash = hex::encode(hash);
                head.signature = hex::encode(signature);
                head.used_seq = head.used_seq.max(seq);
            }
            None => self.heads.push(Head {
                series_id,
                seq,
                hash: hex::encode(hash),
                signature: hex::encode(signature),
                used_seq: seq,
                retired: false,
            }),
        }
    }
}

/// Where the anchor of a database lives.
pub fn path_for(db_path: &Path) -> PathBuf {
    db_path.with_file_name(ANCHOR_FILE_NAME)
}

/// The anchor file, kept open by a ledger so that a commit costs one locked read and write.
pub struct AnchorFile {
    file: File,
    path: PathBuf,
}

impl AnchorFile {
    /// Opens the anchor of a database; `None` when there is none (never created, or deleted:
    /// verify says so, and it is not silently made again).
    pub fn open(db_path: &Path) -> io::Result<Option<AnchorFile>> {
        let path = path_for(db_path);
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
        {
            Ok(file) => Ok(Some(AnchorFile { file, path })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates (or replaces) the anchor of a database, owner-only, with `anchor` in it.
    pub fn create(db_path: &Path, anchor: &Anchor) -> io::Result<AnchorFile> {
        let path = path_for(db_path);
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        let anchor_file = AnchorFile { file, path };
        anchor_file.locked(|file| write_to(file, anchor))?;
        Ok(anchor_file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn read(&self) -> io::Result<Anchor> {
        self.locked(read_from)
    }

    /// Moves a series' head forward after a commit.
    pub fn advance(
        &self,
        series_id: Uuid,
        seq: i64,
        hash: &[u8],
        signature: &[u8],
    ) -> io::Result<()> {
        self.locked(|file| {
            let mut anchor = read_from(file)?;
            let before = anchor.clone();
            anchor.advance(series_id, seq, hash, signature);
            if anchor != before {
                write_to(file, &anchor)?;
            }
            Ok(())
        })
    }

    /// Replaces the whole anchor (a restore, a rebuild that re-anchors).
    pub fn replace(&self, anchor: &Anchor) -> io::Result<()> {
        self.locked(|file| write_to(file, anchor))
    }

    fn locked<T>(&self, work: impl FnOnce(&mut &File) -> io::Result<T>) -> io::Result<T> {
        self.file.lock()?;
        let result = work(&mut &self.file);
        let unlocked = self.file.unlock();
        let value = result?;
        unlocked?;
        Ok(value)
    }
}

fn read_from(file: &mut &File) -> io::Result<Anchor> {
    file.seek(SeekFrom::Start(0))?;
    let mut text = String::new();
    file.take(ANCHOR_BYTES_MAX).read_to_string(&mut text)?;
    if text.trim().is_empty() {
        return Ok(Anchor {
            v: ANCHOR_VERSION,
            heads: Vec::new(),
        });
    }
    serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

fn write_to(file: &mut &File, anchor: &Anchor) -> io::Result<()> {
    let mut anchor = anchor.clone();
    anchor.v = ANCHOR_VERSION;
    let mut text = serde_json::to_vec(&anchor).expect("anchor serialises");
    text.push(b'\n');
    // Padded to the length already there, so that a commit's update is one write and never
    // a truncate (which costs an inode update); JSON ignores the trailing spaces.
    let old_len = file.metadata()?.len() as usize;
    if text.len() < old_len {
        text.resize(old_len, b' ');
    }
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_only_moves_forward_and_remembers_the_highest_seq_used() {
        let id = Uuid::now_v7();
        let mut anchor = Anchor::default();
        anchor.advance(id, 3, &[3; 32], &[1; 64]);
        anchor.advance(id, 2, &[2; 32], &[1; 64]);
        let head = anchor.head(&id).unwrap();
        assert_eq!((head.seq, head.used_seq), (3, 3));
        assert_eq!(head.hash, hex::encode([3u8; 32]));
    }

    #[test]
    fn the_file_is_owner_only_and_reads_back_what_was_written() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.db");
        assert!(AnchorFile::open(&db).unwrap().is_none());
        let file = AnchorFile::create(&db, &Anchor::default()).unwrap();
        let id = Uuid::now_v7();
        file.advance(id, 7, &[7; 32], &[9; 64]).unwrap();
        file.advance(id, 5, &[5; 32], &[9; 64]).unwrap();
        let again = AnchorFile::open(&db).unwrap().unwrap();
        assert_eq!(again.read().unwrap().head(&id).unwrap().seq, 7);
        let mode = std::fs::metadata(again.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
