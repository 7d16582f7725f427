//! The IO half of `doctor`: looks at the PC and the home and returns [`Facts`]. Reads only:
//! the database is opened read-only, the printer is asked its status (no paper moves), a
//! scanner device is opened and closed, the hub is asked its health check. Each probe is
//! bounded in time (the printer's status timeouts, [`crate::sync::client::CLOCK_TIMEOUT`]).

use super::{
    Database, Disk, Facts, Font, HubClock, PermissionIssue, Printer, ScannerDevice, ScannerError,
};
use crate::home::Home;
use crate::i18n::Lang;
use chrono::{DateTime, Utc};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::process::Command;

/// Families of `fc-list` listed at most (a PC with Noto CJK has dozens of faces).
const FONT_FAMILIES_SHOWN_MAX: usize = 3;

pub fn gather(home: &Home, lang: Lang) -> Facts {
    let ledger = home.open_to_inspect();
    let (database, utc_offset_minutes, hub, sync_last) = match &ledger {
        Err(error) => (Database::Unopenable(error.message(lang)), 0, None, None),
        Ok(ledger) => {
            let database = match (ledger.quick_check(lang), ledger.newest_own_entry_at()) {
                (Ok(problems), Ok(entries_newest)) => Database::Checked {
                    problems,
                    entries_newest,
                },
                (Err(error), _) | (_, Err(error)) => Database::Unopenable(error.message(lang)),
            };
            let enrolled = matches!(ledger.district(), Ok(Some(_)));
            let sync_last = enrolled.then(|| ledger.last_import_at().ok().flatten());
            (
                database,
                ledger.series().utc_offset_minutes,
                ledger.hub_address().ok().flatten(),
                sync_last,
            )
        }
    };
    Facts {
        now: Utc::now(),
        utc_offset_minutes,
        home: home.dir.display().to_string(),
        config_error: home.config().err().map(|e| e.message(lang)),
        database,
        hub_clock: hub_clock(hub),
        disk: disk(&home.dir),
        permissions: permissions(home),
        printer: printer(home, lang),
        scanners: scanners(home),
        backup_newest: newest_file(&home.backups_dir()),
        sync_last,
        font: font(),
    }
}

fn hub_clock(hub: Option<(String, Option<String>)>) -> HubClock {
    let Some((url, ca)) = hub else {
        return HubClock::NoHub;
    };
    let read = crate::sync::client::HubClient::new(&url, ca.as_deref()).and_then(|c| c.clock());
    match read {
        Ok(hub_now) => HubClock::Read { hub: url, hub_now },
        Err(error) => HubClock::Unreachable {
            hub: url,
            error: error.to_string(),
        },
    }
}

fn disk(dir: &Path) -> Result<Disk, String> {
    let stat = rustix::fs::statvfs(dir).map_err(|e| e.to_string())?;
    Ok(Disk {
        free_bytes: stat.f_bavail.saturating_mul(stat.f_frsize),
        total_bytes: stat.f_blocks.saturating_mul(stat.f_frsize),
    })
}

/// Group and other bits of a mode.
const MODE_SHARED: u32 = 0o077;

fn permissions(home: &Home) -> Vec<PermissionIssue> {
    let uid = rustix::process::geteuid().as_raw();
    let mut issues = Vec::new();
    let show = |p: &Path| p.display().to_string();
    for dir in [home.dir.clone(), home.dir.join("keys")] {
        if let Ok(meta) = std::fs::metadata(&dir) {
            if meta.mode() & MODE_SHARED != 0 {
                issues.push(PermissionIssue::HomeReadable {
                    path: show(&dir),
                    mode: meta.mode() & 0o777,
                });
            }
            if meta.uid() != uid {
                issues.push(PermissionIssue::ForeignOwner { path: show(&dir) });
            }
        }
    }
    let key = home.key_path();
    if let Ok(meta) = std::fs::metadata(&key) {
        if meta.mode() & MODE_SHARED != 0 {
            issues.push(PermissionIssue::KeyReadable {
                path: show(&key),
                mode: meta.mode() & 0o777,
            });
        }
        if meta.uid() != uid {
            issues.push(PermissionIssue::ForeignOwner { path: show(&key) });
        }
    }
    if let Ok(meta) = std::fs::metadata(home.db_path())
        && meta.uid() != uid
    {
        issues.push(PermissionIssue::ForeignOwner {
            path: show(&home.db_path()),
        });
    }
    issues
}

fn printer(home: &Home, lang: Lang) -> Printer {
    let transport = match home.config() {
        Ok(config) => config.printer.transport,
        // Said once, on config.toml's own line.
        Err(_) => return Printer::ConfigBroken,
    };
    if matches!(transport.as_deref().map(str::trim), None | Some("sim")) {
        return Printer::Simulated;
    }
    match crate::printer::setup::configured(home) {
        Ok((mut service, _)) => Printer::Answered(service.status()),
        Err(error) => Printer::Unusable(error.message(lang)),
    }
}

fn scanners(home: &Home) -> Vec<ScannerDevice> {
    let Ok(config) = home.config() else {
        return Vec::new();
    };
    [
        ("scanner.serial", config.scanner.serial),
        ("scanner.grab", config.scanner.grab),
    ]
    .into_iter()
    .filter_map(|(setting, path)| {
        let path = path?;
        Some(ScannerDevice {
            setting,
            error: open_error(Path::new(&path)),
            path,
        })
    })
    .collect()
}

/// Whether a device opens for reading; non-blocking, so a serial port without carrier answers
/// at once. Opened and closed: nothing is read.
fn open_error(path: &Path) -> Option<ScannerError> {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path);
    match opened {
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(ScannerError::Missing),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Some(ScannerError::Denied),
        Err(e) => Some(ScannerError::Other(e.to_string())),
    }
}

/// The newest modification time of a file in `dir`; none when the folder is empty or absent.
fn newest_file(dir: &Path) -> Result<Option<DateTime<Utc>>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut newest: Option<DateTime<Utc>> = None;
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        if let Ok(modified) = meta.modified() {
            let at = DateTime::<Utc>::from(modified);
            newest = Some(newest.map_or(at, |n| n.max(at)));
        }
    }
    Ok(newest)
}

fn font() -> Font {
    let Ok(out) = Command::new("fc-list")
        .args([":lang=zh", "family"])
        .output()
    else {
        return Font::NoFcList;
    };
    let mut families: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        // "Noto Sans CJK SC,Noto Sans CJK SC Regular": the first name of each face.
        .filter_map(|line| line.split(',').next())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect();
    // Simplified Chinese faces first: they are the ones the counter's screen uses.
    families.sort_by_key(|name| (!(name.contains("SC") || name.contains("CN")), name.clone()));
    families.dedup();
    families.truncate(FONT_FAMILIES_SHOWN_MAX);
    Font::Families(families)
}
