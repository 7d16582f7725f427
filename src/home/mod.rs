//! A pointsdesk home: the folder holding ledger.db, config.toml, the device key, the print
//! queue, backups and logs. `init` creates one; everything else opens one.

pub mod config;
pub mod restore;

pub use config::{Config, ConfigError, PrinterConfig, ScannerConfig, SecurityConfig};

use crate::i18n::Lang;
use crate::keys::Device;
use crate::ledger::{Clock, InitRequest, Ledger, LedgerError, Policy, Result, Session};
use config::CONFIG_TEMPLATE;
use std::path::{Path, PathBuf};

pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    /// `--home`, else `POINTSDESK_HOME` (clap reads it into the flag), else the XDG data dir.
    pub fn resolve(dir: Option<PathBuf>) -> Home {
        let dir = dir.unwrap_or_else(|| {
            dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("pointsdesk")
        });
        Home { dir }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.join("ledger.db")
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join("keys").join("device.key")
    }

    pub fn print_queue_path(&self) -> PathBuf {
        self.dir.join("print-queue.db")
    }

    /// Where the simulated printer writes its receipts.
    pub fn sim_receipts_dir(&self) -> PathBuf {
        self.dir.join("sim-receipts")
    }

    /// Where pointsdesk.log and its rotated predecessors are.
    pub fn logs_dir(&self) -> PathBuf {
        self.dir.join("logs")
    }

    pub fn backups_dir(&self) -> PathBuf {
        self.dir.join("backups")
    }

    pub fn exists(&self) -> bool {
        self.db_path().exists() || self.key_path().exists() || self.config_path().exists()
    }

    /// Creates a new home. Refuses, changing nothing, if the folder already holds one; removes
    /// what it made if any step fails.
    pub fn init(
        &self,
        request: InitRequest,
        lang: Lang,
        clock: Clock,
    ) -> Result<(Ledger, Session)> {
        if self.exists() {
            return Err(LedgerError::HomeExists(self.dir.display().to_string()));
        }
        let created_dir = !self.dir.exists();
        let config = CONFIG_TEMPLATE
            .replace("{lang}", lang.code())
            .replace("{community}", &request.community)
            .replace("{counter}", &request.counter)
            .replace("{prefix}", &request.prefix);
        let result = (|| {
            // The home holds resident keys, PIN hashes, passbook slips and the device key:
            // owner-only, the folder and everything in it.
            let keys = self.dir.join("keys");
            create_private_dir(&self.dir).map_err(|e| LedgerError::file(&self.dir, &e))?;
            create_private_dir(&keys).map_err(|e| LedgerError::file(&keys, &e))?;
            let device = Device::generate()?;
            device.save_new(&self.key_path())?;
            crate::keys::create_private_file(&self.db_path())
                .map_err(|e| LedgerError::file(&self.db_path(), &e))?;
            let created = Ledger::create(&self.db_path(), device, request, clock)?;
            std::fs::write(self.config_path(), &config)
                .map_err(|e| LedgerError::file(&self.config_path(), &e))?;
            Ok(created)
        })();
        if result.is_err() {
            for file in [self.db_path(), self.key_path(), self.config_path()] {
                let _ = std::fs::remove_file(&file);
            }
            let _ = std::fs::remove_file(self.dir.join("ledger.db-wal"));
            let _ = std::fs::remove_file(self.dir.join("ledger.db-shm"));
            let _ = std::fs::remove_dir(self.dir.join("keys"));
            if created_dir {
                let _ = std::fs::remove_dir(&self.dir);
            }
        }
        result
    }

    /// Makes the folders and config.toml of a home whose ledger will come from the hub (a new
    /// PC for an existing counter). Refuses where a home already is.
    pub fn prepare_for_recovery(
        &self,
        lang: Lang,
        community: &str,
        counter: &str,
        prefix: &str,
    ) -> Result<()> {
        if self.db_path().exists() || self.config_path().exists() {
            return Err(LedgerError::HomeExists(self.dir.display().to_string()));
        }
        let keys = self.dir.join("keys");
        create_private_dir(&self.dir).map_err(|e| LedgerError::file(&self.dir, &e))?;
        create_private_dir(&keys).map_err(|e| LedgerError::file(&keys, &e))?;
        let config = CONFIG_TEMPLATE
            .replace("{lang}", lang.code())
            .replace("{community}", community)
            .replace("{counter}", counter)
            .replace("{prefix}", prefix);
        std::fs::write(self.config_path(), config)
            .map_err(|e| LedgerError::file(&self.config_path(), &e))?;
        crate::keys::create_private_file(&self.db_path())
            .map_err(|e| LedgerError::file(&self.db_path(), &e))?;
        Ok(())
    }

    /// config.toml, checked: a typo or a bad value is an error that names the line.
    pub fn config(&self) -> std::result::Result<Config, ConfigError> {
        config::read(&self.config_path())
    }

    pub fn open(&self) -> Result<Ledger> {
        self.open_with(false)
    }

    /// Opens the home for commands that only look (balance, history, verify, listings): they
    /// keep working when the disk is full.
    pub fn open_read_only(&self) -> Result<Ledger> {
        self.open_with(true)
    }

    /// Read-only and whatever config.toml says: `doctor` looks at the database even when the
    /// config has a mistake (which it reports on a line of its own). Nothing is written.
    pub fn open_to_inspect(&self) -> Result<Ledger> {
        if !self.db_path().exists() || !self.key_path().exists() {
            return Err(LedgerError::HomeMissing(self.dir.display().to_string()));
        }
        Ledger::open_read_only(&self.db_path(), Device::load(&self.key_path())?)
    }

    fn open_with(&self, read_only: bool) -> Result<Ledger> {
        if !self.db_path().exists() || !self.key_path().exists() {
            return Err(LedgerError::HomeMissing(self.dir.display().to_string()));
        }
        let device = Device::load(&self.key_path())?;
        let config = self.config().map_err(LedgerError::Config)?;
        let mut ledger = if read_only {
            Ledger::open_read_only(&self.db_path(), device)?
        } else {
            Ledger::open(&self.db_path(), device)?
        };
        ledger.set_policy(Policy {
            pin_failures_max: config.security.pin_failures_max,
            lockout_minutes: config.security.lockout_minutes,
            away_daily_limit: (config.district.away_daily_limit > 0)
                .then_some(config.district.away_daily_limit),
        });
        Ok(ledger)
    }
}

/// Creates a folder (and its parents) readable by its owner only; an existing one is made so.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// Attempts at a free name for a file kept aside (two restores in one second).
const ASIDE_NAMES_MAX: u32 = 1_000;

/// Path of a sibling file that does not exist yet, for keeping a database aside.
pub fn aside(path: &Path, tag: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let first = path.with_extension(format!("db.{tag}-{stamp}"));
    if !first.exists() {
        return first;
    }
    (1..ASIDE_NAMES_MAX)
        .map(|n| path.with_extension(format!("db.{tag}-{stamp}-{n}")))
        .find(|candidate| !candidate.exists())
        .unwrap_or(first)
}
