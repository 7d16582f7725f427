//! A pointsdesk home: the folder holding ledger.db, config.toml, the device key, and (later)
//! the print queue, backups and logs. `init` creates one; everything else opens one.

use crate::i18n::Lang;
use crate::keys::Device;
use crate::ledger::{Clock, InitRequest, Ledger, LedgerError, Policy, Result, Session};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub struct Home {
    pub dir: PathBuf,
}

/// What config.toml may say. Every field has a default, so a missing file is a valid config.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub lang: Option<String>,
    pub security: SecurityConfig,
    pub printer: PrinterConfig,
    pub scanner: ScannerConfig,
}

/// How the counter reads its scanner.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ScannerConfig {
    /// Keyboard-wedge detection: burst gap, minimum length, terminator.
    pub wedge: crate::scanner::WedgeConfig,
    /// A scanner on a serial port (or USB CDC ACM), read besides the keyboard.
    pub serial: Option<String>,
    pub serial_baud: Option<u32>,
    /// A scanner's own input device, grabbed exclusively (Linux).
    pub grab: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PrinterConfig {
    /// A profile of `hardware/printers/` (default generic-80).
    pub profile: Option<String>,
    /// `serial:…`, `tcp:…`, `file:…[?status=none]` or `sim`; none means the simulator.
    pub transport: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    pub pin_failures_max: u32,
    pub lockout_minutes: i64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        let policy = Policy::default();
        SecurityConfig {
            pin_failures_max: policy.pin_failures_max,
            lockout_minutes: policy.lockout_minutes,
        }
    }
}

const CONFIG_TEMPLATE: &str = r#"# pointsdesk — configuration of this counter (计分柜台配置)
# Lines starting with # are comments. Restart pointsdesk after a change.

# Language of screens and messages: "zh-CN" (简体中文) or "en".
lang = "{lang}"

[security]
# Wrong PINs in a row before an operator is locked (连续输错几次密码后锁定).
pin_failures_max = 5
# Minutes an operator stays locked (锁定分钟数).
lockout_minutes = 5

[printer]
# Printer model (打印机型号): generic-58, generic-80, epson-tm-t88, xprinter-80
# (see hardware/printers/ in the source).
# profile = "generic-80"
# Where the printer is (打印机连接): a serial port, a network printer, a USB device file, or
# "sim" for the built-in simulator. Without a transport, slips go to the simulator and
# pointsdesk says so.
#   transport = "serial:/dev/pointsdesk-printer?baud=9600&flow=rts-cts"
#   transport = "tcp:192.168.1.50:9100"
#   transport = "file:/dev/usb/lp0"
# Before and after each slip the printer is asked its state (缺纸、开盖…). A device file is
# asked only when it is a character device such as /dev/usb/lp0; a plain file (the file must
# exist) gets the slips one after another without questions. For a printer device that takes
# data but never answers, add ?status=none (不回报状态的设备): pointsdesk then says the slip
# was sent and asks you to look whether it came out.
#   transport = "file:/dev/usb/lp0?status=none"

[scanner.wedge]
# A USB scanner types like a keyboard; a burst of keys is told from typing by its speed.
# gap_ms_max = 50        # longest gap between two keys of one scan (扫码枪按键最大间隔，毫秒)
# length_min = 4         # fewest characters of a scan (最短扫码长度)
# terminator = "enter"   # what the scanner sends after a code: "enter", "tab" or "none"

[scanner]
# A scanner on a serial port, read besides the keyboard (串口扫码枪):
# serial = "/dev/ttyACM0"
# serial_baud = 9600
# Or grab a USB scanner's own input device so its keys never reach the terminal (独占扫码枪):
# grab = "/dev/input/by-id/usb-Scanner-event-kbd"

# The community, the counter's name and its time zone are written into the ledger's first
# entry by `pointsdesk init` and cannot be changed here:
#   community = "{community}"   counter = "{counter}"   prefix = "{prefix}"
"#;

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
            std::fs::create_dir_all(self.dir.join("keys"))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(
                    self.dir.join("keys"),
                    std::fs::Permissions::from_mode(0o700),
                )?;
            }
            let device = Device::generate()?;
            device.save_new(&self.key_path())?;
            crate::keys::create_private_file(&self.db_path())?;
            let created = Ledger::create(&self.db_path(), device, request, clock)?;
            std::fs::write(self.config_path(), &config)?;
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

    pub fn config(&self) -> std::result::Result<Config, String> {
        match std::fs::read_to_string(self.config_path()) {
            Ok(text) => {
                toml::from_str(&text).map_err(|e| format!("{}: {e}", self.config_path().display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(format!("{}: {e}", self.config_path().display())),
        }
    }

    pub fn open(&self) -> Result<Ledger> {
        if !self.db_path().exists() || !self.key_path().exists() {
            return Err(LedgerError::HomeMissing(self.dir.display().to_string()));
        }
        let device = Device::load(&self.key_path())?;
        let mut ledger = Ledger::open(&self.db_path(), device)?;
        if let Ok(config) = self.config() {
            ledger.set_policy(Policy {
                pin_failures_max: config.security.pin_failures_max.max(1),
                lockout_minutes: config.security.lockout_minutes.max(1),
            });
        }
        Ok(ledger)
    }
}

/// Path of a sibling file that does not exist yet, for keeping a database aside.
pub fn aside(path: &Path, tag: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    path.with_extension(format!("db.{tag}-{stamp}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commented_template_is_a_valid_config() {
        let text = CONFIG_TEMPLATE
            .replace("{lang}", "zh-CN")
            .replace("{community}", "三桥社区")
            .replace("{counter}", "三桥爱心超市")
            .replace("{prefix}", "SQ");
        let config: Config = toml::from_str(&text).unwrap();
        assert_eq!(config.lang.as_deref(), Some("zh-CN"));
        assert_eq!(config.scanner.wedge, crate::scanner::WedgeConfig::default());
    }

    #[test]
    fn every_transport_the_template_shows_parses() {
        let examples: Vec<&str> = CONFIG_TEMPLATE
            .lines()
            .filter_map(|l| {
                l.trim_start_matches(['#', ' '])
                    .strip_prefix("transport = ")
            })
            .map(|v| v.trim_matches('"'))
            .collect();
        assert!(
            examples.contains(&"file:/dev/usb/lp0?status=none"),
            "{examples:?}"
        );
        for example in examples {
            crate::printer::transport::parse(example).unwrap();
        }
    }

    #[test]
    fn scanner_and_printer_settings_are_read() {
        let config: Config = toml::from_str(
            "[printer]\nprofile = \"xprinter-80\"\ntransport = \"tcp:127.0.0.1\"\n\
             [scanner]\nserial = \"/dev/ttyACM0\"\n[scanner.wedge]\ngap_ms_max = 30\nlength_min = 6\nterminator = \"tab\"\n",
        )
        .unwrap();
        assert_eq!(config.scanner.wedge.gap_ms_max, 30);
        assert_eq!(config.scanner.wedge.length_min, 6);
        assert_eq!(config.scanner.serial.as_deref(), Some("/dev/ttyACM0"));
        assert_eq!(config.printer.profile.as_deref(), Some("xprinter-80"));
        assert!(
            toml::from_str::<Config>("[scanner]\nspeed = 3\n").is_err(),
            "unknown settings are refused"
        );
    }
}
