//! config.toml: what an administrator may set, its commented template, and reading it with
//! errors that say the file, the line, the key and what is allowed. A typo must stop the
//! counter with a message, never silently fall back to a default (a misspelt lockout setting
//! would otherwise reset the PIN policy).

use crate::i18n::Lang;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What config.toml may say. Every field has a default, so a missing file is a valid config.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub lang: Option<String>,
    pub security: SecurityConfig,
    pub printer: PrinterConfig,
    pub scanner: ScannerConfig,
    pub district: DistrictConfig,
    pub sync: SyncConfig,
    pub log: LogConfig,
}

/// The log file in the home's `logs/` folder.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// The log file is started afresh past this size (KiB); the old one is kept as `.1`.
    pub file_size_max_kib: u64,
    /// Log files kept, the current one included; the oldest is deleted.
    pub files_keep: u32,
}

/// A MiB a file and five files: months of a counter's lines in 5 MiB.
pub const LOG_FILE_SIZE_MAX_KIB_DEFAULT: u64 = 1024;
pub const LOG_FILES_KEEP_DEFAULT: u32 = 5;

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            file_size_max_kib: LOG_FILE_SIZE_MAX_KIB_DEFAULT,
            files_keep: LOG_FILES_KEEP_DEFAULT,
        }
    }
}

/// The nightly sync with the street office's hub.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Backups the sync keeps in `backups/` (it makes one before it starts).
    pub backups_keep: u32,
}

/// Backups of the nightly sync kept unless config.toml says otherwise.
pub const BACKUPS_KEEP_DEFAULT: u32 = 7;

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            backups_keep: BACKUPS_KEEP_DEFAULT,
        }
    }
}

/// Limits for passbooks of other counters of the district (offline counters cannot see each
/// other's redemptions: this bounds what one passbook can overspend in a day).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DistrictConfig {
    /// Points a passbook of another counter may spend here per day; 0 for no limit.
    pub away_daily_limit: i64,
}

impl Default for DistrictConfig {
    fn default() -> Self {
        DistrictConfig {
            away_daily_limit: crate::ledger::AWAY_DAILY_LIMIT_DEFAULT,
        }
    }
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

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    pub pin_failures_max: u32,
    pub lockout_minutes: i64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        let policy = crate::ledger::Policy::default();
        SecurityConfig {
            pin_failures_max: policy.pin_failures_max,
            lockout_minutes: policy.lockout_minutes,
        }
    }
}

pub const CONFIG_TEMPLATE: &str = r#"# pointsdesk — configuration of this counter (计分柜台配置)
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

[district]
# Points a passbook of another counter of the district may spend here in one day (外来存折每日
# 兑换上限). Counters work offline, so a passbook spent at two counters on one day is only seen
# overdrawn at the nightly sync; this bounds how far. 0 means no limit.
# away_daily_limit = 200

[sync]
# The nightly sync (`pointsdesk sync`) backs the ledger up into backups/ before it starts and
# keeps this many backups (同步前自动备份，保留份数).
# backups_keep = 7

[log]
# What pointsdesk did goes to logs/pointsdesk.log in this folder (and, under systemd, to the
# journal); never onto the counter's screen. Past this size the file is started afresh and the
# old one kept as pointsdesk.log.1 (日志文件大小上限，KiB)…
# file_size_max_kib = 1024
# …and this many files are kept, the current one included (保留日志文件数).
# files_keep = 5

# The community, the counter's name and its time zone are written into the ledger's first
# entry by `pointsdesk init` and cannot be changed here:
#   community = "{community}"   counter = "{counter}"   prefix = "{prefix}"
"#;

/// A setting config.toml may hold: its dotted key and what is allowed, for messages.
struct Setting {
    key: &'static str,
    allowed_zh: &'static str,
    allowed_en: &'static str,
}

const SETTINGS: &[Setting] = &[
    Setting {
        key: "lang",
        allowed_zh: "\"zh-CN\" 或 \"en\"",
        allowed_en: "\"zh-CN\" or \"en\"",
    },
    Setting {
        key: "security.pin_failures_max",
        allowed_zh: "1 到 20 的整数",
        allowed_en: "a whole number from 1 to 20",
    },
    Setting {
        key: "security.lockout_minutes",
        allowed_zh: "1 到 1440 的整数（分钟）",
        allowed_en: "a whole number of minutes from 1 to 1440",
    },
    Setting {
        key: "printer.profile",
        allowed_zh: "generic-58、generic-80、epson-tm-t88 或 xprinter-80",
        allowed_en: "generic-58, generic-80, epson-tm-t88 or xprinter-80",
    },
    Setting {
        key: "printer.transport",
        allowed_zh: "\"serial:/dev/…?baud=9600\"、\"tcp:地址[:9100]\"、\"file:/dev/usb/lp0\" 或 \"sim\"",
        allowed_en: "\"serial:/dev/…?baud=9600\", \"tcp:HOST[:9100]\", \"file:/dev/usb/lp0\" or \"sim\"",
    },
    Setting {
        key: "scanner.serial",
        allowed_zh: "串口路径，如 \"/dev/ttyACM0\"",
        allowed_en: "a serial port path such as \"/dev/ttyACM0\"",
    },
    Setting {
        key: "scanner.serial_baud",
        allowed_zh: "1200 到 921600 的整数",
        allowed_en: "a whole number from 1200 to 921600",
    },
    Setting {
        key: "scanner.grab",
        allowed_zh: "输入设备路径，如 \"/dev/input/by-id/…-event-kbd\"",
        allowed_en: "an input device path such as \"/dev/input/by-id/…-event-kbd\"",
    },
    Setting {
        key: "scanner.wedge.gap_ms_max",
        allowed_zh: "5 到 500 的整数（毫秒）",
        allowed_en: "a whole number of milliseconds from 5 to 500",
    },
    Setting {
        key: "scanner.wedge.length_min",
        allowed_zh: "1 到 64 的整数",
        allowed_en: "a whole number from 1 to 64",
    },
    Setting {
        key: "district.away_daily_limit",
        allowed_zh: "0（不限）到 100000 的整数（积分）",
        allowed_en: "a whole number of points from 0 (no limit) to 100000",
    },
    Setting {
        key: "sync.backups_keep",
        allowed_zh: "1 到 365 的整数（份）",
        allowed_en: "a whole number from 1 to 365",
    },
    Setting {
        key: "log.file_size_max_kib",
        allowed_zh: "1 到 1048576 的整数（KiB）",
        allowed_en: "a whole number of KiB from 1 to 1048576",
    },
    Setting {
        key: "log.files_keep",
        allowed_zh: "1 到 100 的整数（个）",
        allowed_en: "a whole number from 1 to 100",
    },
    Setting {
        key: "scanner.wedge.terminator",
        allowed_zh: "\"enter\"、\"tab\" 或 \"none\"",
        allowed_en: "\"enter\", \"tab\" or \"none\"",
    },
];

fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// What is wrong with config.toml.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigProblem {
    /// The file exists but cannot be read.
    Unreadable(String),
    /// Not TOML (an unquoted string, a missing bracket): the parser's words.
    Syntax(String),
    /// A key this version does not know (a typo, or a setting of another version).
    UnknownKey { key: String, allowed: Vec<String> },
    /// A known key with a value it cannot take.
    BadValue { key: String, value: String },
}

/// config.toml cannot be used: the counter does not start until it is fixed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    pub problem: ConfigProblem,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message(Lang::En))
    }
}

impl ConfigError {
    /// What is wrong, where, what is allowed, and that nothing started.
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::ZhCn;
        let place = match (self.line, zh) {
            (Some(line), true) => format!("{} 第 {line} 行", self.path.display()),
            (Some(line), false) => format!("{}, line {line}", self.path.display()),
            (None, _) => self.path.display().to_string(),
        };
        let what = match &self.problem {
            ConfigProblem::Unreadable(e) => {
                if zh {
                    format!("无法读取：{e}")
                } else {
                    format!("cannot be read: {e}")
                }
            }
            ConfigProblem::Syntax(e) => {
                if zh {
                    format!("格式不对（{e}）")
                } else {
                    format!("is not valid TOML ({e})")
                }
            }
            ConfigProblem::UnknownKey { key, allowed } => {
                let list = allowed.join(", ");
                if zh {
                    format!("不认识的设置 {key}（可能拼错了）。这里可以写：{list}")
                } else {
                    format!("unknown setting {key} (a typo?). Allowed here: {list}")
                }
            }
            ConfigProblem::BadValue { key, value } => {
                let allowed = setting(key).map(|s| if zh { s.allowed_zh } else { s.allowed_en });
                match (allowed, zh) {
                    (Some(a), true) => format!("{key} 的值 {value} 不对，应为 {a}"),
                    (Some(a), false) => format!("{key} = {value} is not allowed; use {a}"),
                    (None, true) => format!("{key} 的值 {value} 不对"),
                    (None, false) => format!("{key} = {value} is not allowed"),
                }
            }
        };
        if zh {
            format!("配置文件 {place}：{what}。pointsdesk 没有启动；请改正 config.toml 后重试。")
        } else {
            format!(
                "config file {place}: {what}. pointsdesk did not start; correct config.toml and try again."
            )
        }
    }
}

/// The `lang` of a config.toml that may have mistakes elsewhere (to say what is wrong with it
/// in the operator's language).
pub fn lang_of(path: &Path) -> Option<Lang> {
    let text = std::fs::read_to_string(path).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    table.get("lang")?.as_str().and_then(Lang::parse)
}

/// Reads config.toml; a missing file is the default configuration.
pub fn read(path: &Path) -> Result<Config, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(ConfigError {
            path: path.to_path_buf(),
            line: None,
            problem: ConfigProblem::Unreadable(e.to_string()),
        }),
    }
}

/// Parses and checks the text of config.toml.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| from_toml(path, text, &e))?;
    check(&config).map_err(|(key, value)| ConfigError {
        path: path.to_path_buf(),
        line: line_of_key(text, &key),
        problem: ConfigProblem::BadValue { key, value },
    })?;
    Ok(config)
}

/// Values serde accepted but the counter cannot use: (dotted key, value as written).
fn check(config: &Config) -> Result<(), (String, String)> {
    let bad = |key: &str, value: String| Err((key.to_string(), value));
    if let Some(lang) = &config.lang
        && Lang::parse(lang).is_none()
    {
        return bad("lang", format!("{lang:?}"));
    }
    let security = &config.security;
    if !(1..=20).contains(&security.pin_failures_max) {
        return bad(
            "security.pin_failures_max",
            security.pin_failures_max.to_string(),
        );
    }
    if !(1..=1440).contains(&security.lockout_minutes) {
        return bad(
            "security.lockout_minutes",
            security.lockout_minutes.to_string(),
        );
    }
    if let Some(profile) = &config.printer.profile
        && crate::printer::profile::Profile::built_in(profile).is_none()
    {
        return bad("printer.profile", format!("{profile:?}"));
    }
    if let Some(transport) = &config.printer.transport
        && crate::printer::transport::parse(transport).is_err()
    {
        return bad("printer.transport", format!("{transport:?}"));
    }
    if let Some(baud) = config.scanner.serial_baud
        && !(1200..=921_600).contains(&baud)
    {
        return bad("scanner.serial_baud", baud.to_string());
    }
    if !(0..=100_000).contains(&config.district.away_daily_limit) {
        return bad(
            "district.away_daily_limit",
            config.district.away_daily_limit.to_string(),
        );
    }
    if !(1..=365).contains(&config.sync.backups_keep) {
        return bad("sync.backups_keep", config.sync.backups_keep.to_string());
    }
    if !(1..=1_048_576).contains(&config.log.file_size_max_kib) {
        return bad(
            "log.file_size_max_kib",
            config.log.file_size_max_kib.to_string(),
        );
    }
    if !(1..=100).contains(&config.log.files_keep) {
        return bad("log.files_keep", config.log.files_keep.to_string());
    }
    let wedge = &config.scanner.wedge;
    if !(5..=500).contains(&wedge.gap_ms_max) {
        return bad("scanner.wedge.gap_ms_max", wedge.gap_ms_max.to_string());
    }
    if !(1..=64).contains(&wedge.length_min) {
        return bad("scanner.wedge.length_min", wedge.length_min.to_string());
    }
    Ok(())
}

/// The `[section]` headers in force at each byte offset, and the line of an offset.
fn section_at(text: &str, offset: usize) -> String {
    let mut section = String::new();
    for line in text[..offset.min(text.len())].lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
        }
    }
    section
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn dotted(section: &str, key: &str) -> String {
    if section.is_empty() {
        key.to_string()
    } else {
        format!("{section}.{key}")
    }
}

/// The line where a dotted key is set, if it is.
fn line_of_key(text: &str, dotted_key: &str) -> Option<usize> {
    let mut section = String::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if let Some((key, _)) = trimmed.split_once('=')
            && !trimmed.starts_with('#')
            && dotted(&section, key.trim()) == dotted_key
        {
            return Some(index + 1);
        }
    }
    None
}

/// Turns the TOML parser's error (English, with a byte span) into one we can say in the
/// operator's language.
fn from_toml(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map_or(0, |s| s.start);
    let line = error.span().map(|s| line_at(text, s.start));
    let message = error.message();
    let section = section_at(text, offset);
    let problem = if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default();
        // A section header names a table of the enclosing section, not of itself.
        let enclosing = text[..offset]
            .lines()
            .last()
            .unwrap_or_default()
            .trim_start();
        let section = if enclosing.starts_with('[') {
            section_at(text, text[..offset].rfind('\n').unwrap_or(0))
        } else {
            section
        };
        let allowed = rest
            .split_once("expected ")
            .map(|(_, list)| {
                list.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        ConfigProblem::UnknownKey {
            key: dotted(&section, key),
            allowed,
        }
    } else if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("unknown variant")
    {
        let line_text = text.lines().nth(line.unwrap_or(1) - 1).unwrap_or_default();
        let (key, value) = line_text.split_once('=').unwrap_or((line_text, ""));
        ConfigProblem::BadValue {
            key: dotted(&section, key.trim()),
            value: value.trim().to_string(),
        }
    } else {
        ConfigProblem::Syntax(message.to_string())
    };
    ConfigError {
        path: path.to_path_buf(),
        line,
        problem,
    }
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

    fn problem(text: &str) -> ConfigError {
        parse(Path::new("/home/x/config.toml"), text).unwrap_err()
    }

    #[test]
    fn a_misspelt_key_names_the_file_the_line_the_key_and_what_is_allowed() {
        let error = problem("lang = \"zh-CN\"\n\n[security]\npin_failure_max = 3\n");
        assert_eq!(error.line, Some(4));
        assert_eq!(
            error.problem,
            ConfigProblem::UnknownKey {
                key: "security.pin_failure_max".into(),
                allowed: vec!["pin_failures_max".into(), "lockout_minutes".into()],
            }
        );
        let zh = error.message(Lang::ZhCn);
        assert!(zh.contains("/home/x/config.toml 第 4 行"), "{zh}");
        assert!(zh.contains("pin_failures_max, lockout_minutes"), "{zh}");
        assert!(error.message(Lang::En).contains("line 4"));
        let section = problem("[securty]\n");
        assert_eq!(section.line, Some(1));
        assert!(
            matches!(section.problem, ConfigProblem::UnknownKey { ref key, .. } if key == "securty")
        );
    }

    #[test]
    fn a_value_out_of_range_or_of_the_wrong_type_says_what_is_allowed() {
        for (text, key, line) in [
            (
                "[security]\npin_failures_max = 0\n",
                "security.pin_failures_max",
                2,
            ),
            (
                "\n[security]\nlockout_minutes = \"five\"\n",
                "security.lockout_minutes",
                3,
            ),
            ("lang = \"fr\"\n", "lang", 1),
            ("[printer]\nprofile = \"epson\"\n", "printer.profile", 2),
            ("[printer]\ntransport = \"lpt1\"\n", "printer.transport", 2),
            (
                "[scanner.wedge]\nterminator = \"space\"\n",
                "scanner.wedge.terminator",
                2,
            ),
        ] {
            let error = problem(text);
            assert_eq!(error.line, Some(line), "{text}");
            assert!(
                matches!(&error.problem, ConfigProblem::BadValue { key: k, .. } if k == key),
                "{text}: {error:?}"
            );
            assert!(
                error.message(Lang::ZhCn).contains("应为"),
                "{}",
                error.message(Lang::ZhCn)
            );
        }
        assert!(matches!(
            problem("lang = \n").problem,
            ConfigProblem::Syntax(_)
        ));
    }
}
