//! Where log lines go: `logs/pointsdesk.log` in the home, started afresh past a size with a
//! number of old files kept (both from config.toml's `[log]`), and, under systemd, the journal
//! too. Never stderr or stdout: the counter UI draws on that terminal (and in the kiosk the
//! terminal is the screen), and the CLI's output is its answer.
//!
//! The rotating file is written here rather than with a crate because two processes append to
//! it at once (the counter UI and the nightly sync): each line is one `O_APPEND` write, and a
//! rotation is done under an exclusive lock on `logs/rotate.lock`, after which every process
//! finds its file renamed (its inode no longer at the path) and reopens the new one. The
//! rotating crates (tracing-appender, file-rotate) keep the size in one process's memory and
//! would rotate twice or write into a renamed file.

use crate::home::Home;
use crate::home::config::LogConfig;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub const LOG_FILE_NAME: &str = "pointsdesk.log";
const ROTATE_LOCK_NAME: &str = "rotate.lock";

/// Starts logging for a command on `home`. Does nothing when the home does not exist (a typo in
/// --home must not create a folder) or a subscriber is already set (tests in one process).
pub fn init(home: &Home, config: &LogConfig) {
    if !home.dir.is_dir() {
        return;
    }
    let file = RotatingFile::new(
        &home.logs_dir(),
        config.file_size_max_kib.saturating_mul(1024),
        config.files_keep,
    );
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(file)
        .with_ansi(false)
        .with_target(false);
    let journal = under_systemd()
        .then(|| tracing_journald::layer().ok())
        .flatten()
        .map(|layer| layer.with_syslog_identifier("pointsdesk".into()));
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .with(file_layer)
        .with(journal)
        .try_init();
}

/// systemd sets INVOCATION_ID for the processes of a unit (the kiosk's cage → foot →
/// pointsdesk inherit it; a person's shell does not).
fn under_systemd() -> bool {
    std::env::var_os("INVOCATION_ID").is_some()
}

/// A log file that starts afresh past `size_max_bytes`, keeping `files_keep` files in all
/// (`pointsdesk.log`, `.1`, … — the higher, the older). Safe for several processes at once.
pub struct RotatingFile {
    dir: PathBuf,
    size_max_bytes: u64,
    files_keep: u32,
    open: Mutex<Option<File>>,
}

impl RotatingFile {
    pub fn new(dir: &Path, size_max_bytes: u64, files_keep: u32) -> RotatingFile {
        RotatingFile {
            dir: dir.to_path_buf(),
            size_max_bytes: size_max_bytes.max(1),
            files_keep: files_keep.max(1),
            open: Mutex::new(None),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(LOG_FILE_NAME)
    }

    fn numbered(&self, n: u32) -> PathBuf {
        self.dir.join(format!("{LOG_FILE_NAME}.{n}"))
    }

    fn open_current(&self) -> io::Result<File> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(self.path())
    }

    /// Whether `file` is still the one at the path (another process may have rotated it).
    fn is_current(&self, file: &File) -> bool {
        match (file.metadata(), std::fs::metadata(self.path())) {
            (Ok(open), Ok(at_path)) => open.ino() == at_path.ino() && open.dev() == at_path.dev(),
            _ => false,
        }
    }

    /// Renames .log → .log.1 → .log.2 …, dropping the oldest, under the lock; checks the size
    /// again under it, so that of two processes past the limit only the first rotates.
    fn rotate(&self, incoming: u64) -> io::Result<()> {
        let lock = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .mode(0o600)
            .open(self.dir.join(ROTATE_LOCK_NAME))?;
        lock.lock()?;
        let size = std::fs::metadata(self.path()).map_or(0, |m| m.len());
        if size > 0 && size + incoming > self.size_max_bytes {
            let oldest = self.files_keep - 1;
            if oldest == 0 {
                std::fs::remove_file(self.path())?;
            } else {
                let _ = std::fs::remove_file(self.numbered(oldest));
                for n in (1..oldest).rev() {
                    let from = self.numbered(n);
                    if from.exists() {
                        std::fs::rename(&from, self.numbered(n + 1))?;
                    }
                }
                std::fs::rename(self.path(), self.numbered(1))?;
            }
        }
        lock.unlock()
    }

    fn write_line(&self, buf: &[u8]) -> io::Result<()> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.as_ref().is_none_or(|f| !self.is_current(f)) {
            *open = Some(self.open_current()?);
        }
        let size = open
            .as_ref()
            .map_or(Ok(0), |f| f.metadata().map(|m| m.len()))?;
        if size > 0 && size + buf.len() as u64 > self.size_max_bytes {
            self.rotate(buf.len() as u64)?;
            *open = Some(self.open_current()?);
        }
        open.as_mut().expect("opened above").write_all(buf)
    }
}

/// One event is one `write` (the fmt layer formats a whole line, then writes it once).
impl Write for &RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_line(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RotatingFile {
    type Writer = &'a RotatingFile;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(LOG_FILE_NAME))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_file_rotates_past_its_size_and_keeps_only_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = RotatingFile::new(dir.path(), 100, 3);
        for n in 0..20 {
            (&log)
                .write_all(format!("line {n:02} of about thirty bytes\n").as_bytes())
                .unwrap();
        }
        assert_eq!(
            files(dir.path()),
            ["pointsdesk.log", "pointsdesk.log.1", "pointsdesk.log.2"]
        );
        let newest = std::fs::read_to_string(log.path()).unwrap();
        assert!(
            newest.ends_with("line 19 of about thirty bytes\n"),
            "{newest}"
        );
        for name in files(dir.path()) {
            let len = std::fs::metadata(dir.path().join(&name)).unwrap().len();
            assert!(len <= 100, "{name} has {len} bytes");
        }
        let older = std::fs::read_to_string(dir.path().join("pointsdesk.log.1")).unwrap();
        assert!(older.contains("line 17"), "{older}");
    }

    #[test]
    fn two_writers_on_one_file_lose_no_line_across_rotations() {
        let dir = tempfile::tempdir().unwrap();
        // Two writers as two processes would be: each with its own open file.
        let a = RotatingFile::new(dir.path(), 1024, 100);
        let b = RotatingFile::new(dir.path(), 1024, 100);
        std::thread::scope(|s| {
            for (name, log) in [("a", &a), ("b", &b)] {
                s.spawn(move || {
                    for n in 0..500 {
                        (&*log)
                            .write_all(format!("{name} {n:04}\n").as_bytes())
                            .unwrap();
                    }
                });
            }
        });
        let mut lines: Vec<String> = files(dir.path())
            .iter()
            .flat_map(|f| {
                std::fs::read_to_string(dir.path().join(f))
                    .unwrap()
                    .lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        lines.sort();
        let mut expected: Vec<String> = ["a", "b"]
            .iter()
            .flat_map(|name| (0..500).map(move |n| format!("{name} {n:04}")))
            .collect();
        expected.sort();
        assert_eq!(lines, expected);
        assert!(files(dir.path()).len() > 2, "it rotated");
    }
}
