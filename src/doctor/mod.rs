//! `pointsdesk doctor`: is this counter PC ready for the day? [`probe`] gathers the facts (the
//! clock, the disk, the database, permissions, the printer, the scanner, backups, the last sync,
//! a Chinese font), and [`assess`] turns them into findings a community worker can act on, in
//! the operator's language. `assess` is pure: every threshold is a named constant here, and the
//! tests feed it facts without touching a PC. Owns no state and changes nothing.

pub mod probe;

use crate::i18n::Lang;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::Serialize;

/// A clock this far behind this counter's own newest entry is a fault: the day's entries would
/// carry dates before yesterday's, and reports cut days by them. Less is a warning (two
/// processes stamp entries milliseconds apart, so up to a minute is nothing).
pub const CLOCK_BEHIND_FAULT_HOURS: i64 = 24;
/// A clock this far past the newest entry is probably set to the wrong year (or the counter
/// stood unused that long): a warning.
pub const CLOCK_AHEAD_WARN_DAYS: i64 = crate::ledger::CLOCK_AHEAD_DAYS_MAX;
/// The hub refuses signed requests from a clock further off than this: the sync would fail.
pub const HUB_CLOCK_FAULT_MS: i64 = crate::district::protocol::CLOCK_WINDOW_MS;
/// Off from the hub by more than this: a warning, before the sync starts failing.
pub const HUB_CLOCK_WARN_MS: i64 = 60_000;
/// Free space under which writes (and the nightly backup) are about to fail.
pub const DISK_FREE_FAULT_BYTES: u64 = 200 * 1024 * 1024;
/// Free space under which the administrator should make room soon.
pub const DISK_FREE_WARN_BYTES: u64 = 1024 * 1024 * 1024;
/// The nightly sync makes a backup each night: older than this, the nightly job is not running.
pub const BACKUP_AGE_WARN_HOURS: i64 = 48;
/// Counters that have not synced for this long disagree on balances (a warning) …
pub const SYNC_AGE_WARN_HOURS: i64 = 48;
/// … and after this long, overdrafts across counters go unseen for too long (a fault).
pub const SYNC_AGE_FAULT_DAYS: i64 = 7;

/// How one finding stands. The order is the severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// Does not apply to this counter (no hub enrolled, no scanner device configured).
    Skipped,
    Warning,
    Fault,
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Config,
    Clock,
    HubClock,
    Disk,
    Database,
    Permissions,
    Printer,
    Scanner,
    Backup,
    Sync,
    Font,
}

impl Check {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Check::Config => lang.pick("配置文件", "config.toml"),
            Check::Clock => lang.pick("时钟", "clock"),
            Check::HubClock => lang.pick("与街道时钟", "hub clock"),
            Check::Disk => lang.pick("磁盘", "disk"),
            Check::Database => lang.pick("账本", "database"),
            Check::Permissions => lang.pick("权限", "permissions"),
            Check::Printer => lang.pick("打印机", "printer"),
            Check::Scanner => lang.pick("扫码枪", "scanner"),
            Check::Backup => lang.pick("备份", "backup"),
            Check::Sync => lang.pick("同步", "sync"),
            Check::Font => lang.pick("中文字体", "CJK font"),
        }
    }
}

/// One thing found, said for the operator: what holds or what is wrong and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: Check,
    pub status: Status,
    pub message: String,
}

/// Every finding, and the exit code of the CLI contract: 0 all well, 1 warnings, 3 faults.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub status: Status,
    pub exit_code: u8,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn new(findings: Vec<Finding>) -> Report {
        let status = findings
            .iter()
            .map(|f| f.status)
            .filter(|s| *s != Status::Skipped)
            .max()
            .unwrap_or(Status::Ok);
        let exit_code = match status {
            Status::Ok | Status::Skipped => 0,
            Status::Warning => 1,
            Status::Fault => 3,
        };
        Report {
            status,
            exit_code,
            findings,
        }
    }
}

/// The clock as the hub sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubClock {
    /// Not enrolled, or enrolled from a file: there is no hub to ask.
    NoHub,
    Unreachable {
        hub: String,
        error: String,
    },
    Read {
        hub: String,
        hub_now: DateTime<Utc>,
    },
}

/// Free and total bytes of the file system holding the home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disk {
    pub free_bytes: u64,
    pub total_bytes: u64,
}

/// The database as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// Cannot be opened at all (missing, not a database, a wrong key): the message says why.
    Unopenable(String),
    /// Opened; the problems of `quick_check` and the head anchor, none when sound.
    Checked {
        problems: Vec<String>,
        entries_newest: Option<DateTime<Utc>>,
    },
}

/// A permission or ownership found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PermissionIssue {
    /// The device key can be read by others: anyone on the PC could sign as this counter.
    KeyReadable { path: String, mode: u32 },
    /// The home (residents' data, PIN hashes) can be read by others.
    HomeReadable { path: String, mode: u32 },
    /// Owned by another user than the one running pointsdesk: writes will fail.
    ForeignOwner { path: String },
}

/// The printer as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Printer {
    /// No transport configured (or `sim`): slips go to the simulator.
    Simulated,
    /// config.toml cannot be read, so the printer it names is unknown.
    ConfigBroken,
    /// The configured transport cannot even be set up (a wrong path in config.toml).
    Unusable(String),
    Answered(crate::printer::status::Verdict),
}

/// A scanner device config.toml names, and whether it can be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScannerDevice {
    /// `scanner.serial` or `scanner.grab`.
    pub setting: &'static str,
    pub path: String,
    /// None when it opens; else why not.
    pub error: Option<ScannerError>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScannerError {
    Missing,
    Denied,
    Other(String),
}

/// What `fc-list :lang=zh` said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Font {
    /// fontconfig is not installed.
    NoFcList,
    /// The families found (none: no Chinese font).
    Families(Vec<String>),
}

/// Everything [`probe::gather`] found; [`assess`] needs nothing else.
#[derive(Clone, Debug)]
pub struct Facts {
    pub now: DateTime<Utc>,
    /// The counter's zone, for times shown; UTC when the database cannot be read.
    pub utc_offset_minutes: i32,
    pub home: String,
    /// What is wrong with config.toml, said for the operator; None when it is sound.
    pub config_error: Option<String>,
    pub database: Database,
    pub hub_clock: HubClock,
    pub disk: Result<Disk, String>,
    pub permissions: Vec<PermissionIssue>,
    pub printer: Printer,
    pub scanners: Vec<ScannerDevice>,
    /// The newest backup's time; None when there is none; Err when backups/ cannot be read.
    pub backup_newest: Result<Option<DateTime<Utc>>, String>,
    /// None when not enrolled in a district; Some(last pull from the hub or a bundle).
    pub sync_last: Option<Option<DateTime<Utc>>>,
    pub font: Font,
}

/// The findings, in the order a worker goes through the PC.
pub fn assess(facts: &Facts, lang: Lang) -> Report {
    let shown = |at: DateTime<Utc>| show_time(at, facts.utc_offset_minutes);
    let mut findings = Vec::new();
    if let Some(error) = &facts.config_error {
        // Only when wrong: the counter does not start until it is fixed.
        findings.push(finding(Check::Config, Status::Fault, error.clone()));
    }
    findings.push(clock(facts, lang, &shown));
    findings.push(hub_clock(facts, lang));
    findings.push(disk(facts, lang));
    findings.push(database(facts, lang));
    findings.push(permissions(facts, lang));
    findings.push(printer(facts, lang));
    findings.extend(scanners(facts, lang));
    findings.push(backup(facts, lang, &shown));
    findings.push(sync(facts, lang, &shown));
    findings.push(font(facts, lang));
    Report::new(findings)
}

fn finding(check: Check, status: Status, message: String) -> Finding {
    Finding {
        check,
        status,
        message,
    }
}

fn show_time(at: DateTime<Utc>, utc_offset_minutes: i32) -> String {
    let zone = FixedOffset::east_opt(utc_offset_minutes * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"));
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

fn clock(facts: &Facts, lang: Lang, shown: &dyn Fn(DateTime<Utc>) -> String) -> Finding {
    let now = shown(facts.now);
    let newest = match &facts.database {
        Database::Checked {
            entries_newest: Some(newest),
            ..
        } => *newest,
        _ => {
            return finding(
                Check::Clock,
                Status::Ok,
                match lang {
                    Lang::ZhCn => format!("现在 {now}（账本里没有可比的记录）。"),
                    Lang::En => format!("It is {now} (no entry in the ledger to compare with)."),
                },
            );
        }
    };
    let behind = newest - facts.now;
    if behind > Duration::seconds(crate::ledger::CLOCK_BEHIND_TOLERANCE_SECONDS) {
        let status = if behind > Duration::hours(CLOCK_BEHIND_FAULT_HOURS) {
            Status::Fault
        } else {
            Status::Warning
        };
        let newest = shown(newest);
        return finding(
            Check::Clock,
            status,
            match lang {
                Lang::ZhCn => format!(
                    "电脑时钟显示 {now}，早于本柜台最新一条记录的时间 {newest}：时钟被调回去了。新记录的日期会记错、报表会按错的日期分天。请管理员把时间校准（timedatectl），再运行 doctor。"
                ),
                Lang::En => format!(
                    "The computer's clock says {now}, earlier than this counter's newest entry ({newest}): it was set back. New entries would carry wrong dates and reports would cut days wrongly. Ask an administrator to set the clock (timedatectl), then run doctor again."
                ),
            },
        );
    }
    let ahead_days = (facts.now - newest).num_days();
    if ahead_days > CLOCK_AHEAD_WARN_DAYS {
        let newest = shown(newest);
        return finding(
            Check::Clock,
            Status::Warning,
            match lang {
                Lang::ZhCn => format!(
                    "电脑时钟显示 {now}，比本柜台最新一条记录（{newest}）晚 {ahead_days} 天。若柜台确实停用了这么久则无妨；否则日期设错了，请校准。"
                ),
                Lang::En => format!(
                    "The computer's clock says {now}, {ahead_days} days after this counter's newest entry ({newest}). Fine if the counter stood unused that long; otherwise the date is wrong: set it."
                ),
            },
        );
    }
    finding(
        Check::Clock,
        Status::Ok,
        match lang {
            Lang::ZhCn => format!("现在 {now}，与账本最新记录相符。"),
            Lang::En => format!("It is {now}, consistent with the ledger's newest entry."),
        },
    )
}

fn hub_clock(facts: &Facts, lang: Lang) -> Finding {
    match &facts.hub_clock {
        HubClock::NoHub => finding(
            Check::HubClock,
            Status::Skipped,
            lang.pick(
                "未通过网络登记到街道服务器，无从比对。",
                "Not enrolled with a hub over the network: nothing to compare with.",
            )
            .to_string(),
        ),
        HubClock::Unreachable { hub, error } => finding(
            Check::HubClock,
            Status::Warning,
            match lang {
                Lang::ZhCn => format!(
                    "连不上街道服务器 {hub}（{error}），时钟无法比对。请检查网线或网络；今晚的同步也会失败。"
                ),
                Lang::En => format!(
                    "The hub {hub} cannot be reached ({error}), so the clock cannot be compared. Check the cable or network; tonight's sync would fail too."
                ),
            },
        ),
        HubClock::Read { hub, hub_now } => {
            let offset_ms = (facts.now - *hub_now).num_milliseconds();
            let seconds = offset_ms.abs() / 1000;
            let direction = match (offset_ms > 0, lang) {
                (true, Lang::ZhCn) => "快",
                (false, Lang::ZhCn) => "慢",
                (true, Lang::En) => "ahead of",
                (false, Lang::En) => "behind",
            };
            let (status, advice_zh, advice_en) = if offset_ms.abs() > HUB_CLOCK_FAULT_MS {
                (
                    Status::Fault,
                    "街道服务器会拒绝同步。请把时间校准（timedatectl set-ntp true）。",
                    "The hub refuses the sync. Set the clock (timedatectl set-ntp true).",
                )
            } else if offset_ms.abs() > HUB_CLOCK_WARN_MS {
                (
                    Status::Warning,
                    "请校准时间，差到 5 分钟以上街道服务器会拒绝同步。",
                    "Set the clock: at 5 minutes off the hub refuses the sync.",
                )
            } else {
                (Status::Ok, "", "")
            };
            let amount = human_duration(seconds, lang);
            finding(
                Check::HubClock,
                status,
                match lang {
                    Lang::ZhCn => {
                        format!("本机比街道服务器 {hub} {direction} {amount}。{advice_zh}")
                    }
                    Lang::En => {
                        format!("This PC is {amount} {direction} the hub {hub}. {advice_en}")
                    }
                }
                .trim_end()
                .to_string(),
            )
        }
    }
}

/// Seconds as the largest whole unit a person reads at a glance, rounded to the nearest (a
/// clock read over the network is a few milliseconds short or long of a whole day, and three
/// years less a second are still three years, ahead or behind alike).
fn human_duration(seconds: i64, lang: Lang) -> String {
    const YEAR: i64 = 365 * 86_400;
    let rounded = |unit: i64| (seconds + unit / 2) / unit;
    let (n, zh, en) = if seconds >= 2 * YEAR - YEAR / 2 {
        (rounded(YEAR), "年", "years")
    } else if seconds >= 2 * 86_400 {
        (rounded(86_400), "天", "days")
    } else if seconds >= 2 * 3600 {
        (rounded(3600), "小时", "hours")
    } else if seconds >= 120 {
        (rounded(60), "分钟", "minutes")
    } else {
        (seconds, "秒", "seconds")
    };
    match lang {
        Lang::ZhCn => format!("{n} {zh}"),
        Lang::En => format!("{n} {en}"),
    }
}

fn mebibytes(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

fn disk(facts: &Facts, lang: Lang) -> Finding {
    let disk = match &facts.disk {
        Ok(disk) => disk,
        Err(error) => {
            return finding(
                Check::Disk,
                Status::Warning,
                match lang {
                    Lang::ZhCn => format!("无法读取剩余空间（{error}）。"),
                    Lang::En => format!("The free space cannot be read ({error})."),
                },
            );
        }
    };
    let free = mebibytes(disk.free_bytes);
    let total = mebibytes(disk.total_bytes);
    let (status, zh, en) = if disk.free_bytes < DISK_FREE_FAULT_BYTES {
        (
            Status::Fault,
            "快满了：兑换和夜间备份会失败。请管理员删除不用的文件或换大硬盘。",
            "Nearly full: redemptions and the nightly backup will fail. Ask an administrator to delete unused files or fit a larger disk.",
        )
    } else if disk.free_bytes < DISK_FREE_WARN_BYTES {
        (
            Status::Warning,
            "空间不多了，请尽早清理。",
            "Space is running low: clear some soon.",
        )
    } else {
        (Status::Ok, "", "")
    };
    finding(
        Check::Disk,
        status,
        match lang {
            Lang::ZhCn => format!("剩余 {free} MiB（共 {total} MiB）。{zh}"),
            Lang::En => format!("{free} MiB free of {total} MiB. {en}"),
        }
        .trim_end()
        .to_string(),
    )
}

fn database(facts: &Facts, lang: Lang) -> Finding {
    match &facts.database {
        Database::Unopenable(error) => finding(
            Check::Database,
            Status::Fault,
            match lang {
                Lang::ZhCn => format!(
                    "账本打不开：{error} 柜台不能使用。请联系管理员，用备份恢复（pointsdesk restore）。"
                ),
                Lang::En => format!(
                    "The ledger cannot be opened: {error} The counter cannot work. Call an administrator to restore a backup (pointsdesk restore)."
                ),
            },
        ),
        Database::Checked { problems, .. } if problems.is_empty() => finding(
            Check::Database,
            Status::Ok,
            lang.pick(
                "文件结构完好（quick_check），最新记录与签名锚点一致。",
                "The file's structure is sound (quick_check) and the newest entries match the signed head anchor.",
            )
            .to_string(),
        ),
        Database::Checked { problems, .. } => finding(
            Check::Database,
            Status::Fault,
            match lang {
                Lang::ZhCn => format!(
                    "账本受损或被改动：{} 请勿继续兑换，联系管理员运行 pointsdesk ledger verify，并用备份恢复。",
                    problems.join("；")
                ),
                Lang::En => format!(
                    "The ledger is damaged or was altered: {} Stop redeeming; an administrator should run pointsdesk ledger verify and restore a backup.",
                    problems.join("; ")
                ),
            },
        ),
    }
}

fn permissions(facts: &Facts, lang: Lang) -> Finding {
    if facts.permissions.is_empty() {
        return finding(
            Check::Permissions,
            Status::Ok,
            match lang {
                Lang::ZhCn => format!("{} 只有本账户能读写，设备密钥受保护。", facts.home),
                Lang::En => format!(
                    "{} is readable by this account only; the device key is protected.",
                    facts.home
                ),
            },
        );
    }
    let status = if facts
        .permissions
        .iter()
        .any(|p| matches!(p, PermissionIssue::KeyReadable { .. }))
    {
        Status::Fault
    } else {
        Status::Warning
    };
    let lines: Vec<String> = facts
        .permissions
        .iter()
        .map(|issue| match (issue, lang) {
            (PermissionIssue::KeyReadable { path, mode }, Lang::ZhCn) => format!(
                "设备密钥 {path} 别人也能读（权限 {mode:o}），任何人都可冒充本柜台签名：chmod 600 {path}"
            ),
            (PermissionIssue::KeyReadable { path, mode }, Lang::En) => format!(
                "the device key {path} is readable by others (mode {mode:o}): anyone could sign as this counter. Run chmod 600 {path}"
            ),
            (PermissionIssue::HomeReadable { path, mode }, Lang::ZhCn) => format!(
                "{path} 别人也能读（权限 {mode:o}），内有居民资料：chmod 700 {path}"
            ),
            (PermissionIssue::HomeReadable { path, mode }, Lang::En) => format!(
                "{path} is readable by others (mode {mode:o}) and holds residents' data: chmod 700 {path}"
            ),
            (PermissionIssue::ForeignOwner { path }, Lang::ZhCn) => format!(
                "{path} 属于另一个账户，本账户写入会失败：请以柜台账户运行（sudo -u pointsdesk），或 chown"
            ),
            (PermissionIssue::ForeignOwner { path }, Lang::En) => format!(
                "{path} belongs to another account, so writes from this one fail: run as the counter's account (sudo -u pointsdesk) or chown it"
            ),
        })
        .collect();
    finding(
        Check::Permissions,
        status,
        lines.join(lang.pick("；", "; ")),
    )
}

fn printer(facts: &Facts, lang: Lang) -> Finding {
    use crate::printer::status::{self, Verdict};
    match &facts.printer {
        Printer::Simulated => finding(
            Check::Printer,
            Status::Warning,
            lang.pick(
                "没有设置打印机：小票只进模拟打印机。请在 config.toml 的 [printer] 填上 transport（见 pointsdesk hw ports）。",
                "No printer is set: slips go to the simulator only. Set transport under [printer] in config.toml (see pointsdesk hw ports).",
            )
            .to_string(),
        ),
        Printer::ConfigBroken => finding(
            Check::Printer,
            Status::Skipped,
            lang.pick(
                "配置文件有错，先改正它再检查打印机。",
                "config.toml has a mistake: correct it, then the printer is checked.",
            )
            .to_string(),
        ),
        Printer::Unusable(error) => finding(
            Check::Printer,
            Status::Fault,
            match lang {
                Lang::ZhCn => format!("打印机设置无法使用：{error}"),
                Lang::En => format!("The printer setting cannot be used: {error}"),
            },
        ),
        Printer::Answered(Verdict::Ready {
            paper_near_end: false,
        }) => finding(
            Check::Printer,
            Status::Ok,
            lang.pick("打印机正常。", "The printer is ready.").to_string(),
        ),
        Printer::Answered(Verdict::Ready {
            paper_near_end: true,
        }) => finding(
            Check::Printer,
            Status::Warning,
            status::near_end_warning(lang).to_string(),
        ),
        Printer::Answered(Verdict::Problem(problem)) => finding(
            Check::Printer,
            Status::Fault,
            problem.message(lang).to_string(),
        ),
        Printer::Answered(Verdict::Unknown) => finding(
            Check::Printer,
            Status::Warning,
            status::unknown_state_message(lang).to_string(),
        ),
    }
}

fn scanners(facts: &Facts, lang: Lang) -> Vec<Finding> {
    if facts.scanners.is_empty() {
        return vec![finding(
            Check::Scanner,
            Status::Skipped,
            lang.pick(
                "扫码枪当键盘用（没有设置专用设备），无需检查；扫一本存折试试即可。",
                "The scanner types like a keyboard (no device of its own is set): nothing to check; scan a passbook to try it.",
            )
            .to_string(),
        )];
    }
    facts
        .scanners
        .iter()
        .map(|device| {
            let (setting, path) = (device.setting, &device.path);
            match (&device.error, lang) {
                (None, Lang::ZhCn) => finding(
                    Check::Scanner,
                    Status::Ok,
                    format!("{setting} = {path} 已连接。"),
                ),
                (None, Lang::En) => finding(
                    Check::Scanner,
                    Status::Ok,
                    format!("{setting} = {path} is connected."),
                ),
                (Some(ScannerError::Missing), Lang::ZhCn) => finding(
                    Check::Scanner,
                    Status::Fault,
                    format!(
                        "config.toml 的 {setting} = {path}，但没有这个设备：扫码枪没插好，或路径写错了（ls /dev/input/by-id/ 可查）。"
                    ),
                ),
                (Some(ScannerError::Missing), Lang::En) => finding(
                    Check::Scanner,
                    Status::Fault,
                    format!(
                        "config.toml sets {setting} = {path}, but there is no such device: the scanner is unplugged or the path is wrong (see ls /dev/input/by-id/)."
                    ),
                ),
                (Some(ScannerError::Denied), Lang::ZhCn) => finding(
                    Check::Scanner,
                    Status::Fault,
                    format!(
                        "扫码枪 {path} 无权打开：请把柜台账户加入 input 或 dialout 组（setup-counter 会做），再重新登录。"
                    ),
                ),
                (Some(ScannerError::Denied), Lang::En) => finding(
                    Check::Scanner,
                    Status::Fault,
                    format!(
                        "The scanner {path} may not be opened: add the counter's account to the input or dialout group (setup-counter does), then log in again."
                    ),
                ),
                (Some(ScannerError::Other(error)), Lang::ZhCn) => finding(
                    Check::Scanner,
                    Status::Fault,
                    format!("扫码枪 {path} 打不开：{error}"),
                ),
                (Some(ScannerError::Other(error)), Lang::En) => finding(
                    Check::Scanner,
                    Status::Fault,
                    format!("The scanner {path} cannot be opened: {error}"),
                ),
            }
        })
        .collect()
}

fn backup(facts: &Facts, lang: Lang, shown: &dyn Fn(DateTime<Utc>) -> String) -> Finding {
    match &facts.backup_newest {
        Err(error) => finding(
            Check::Backup,
            Status::Warning,
            match lang {
                Lang::ZhCn => format!("备份目录读不了：{error}"),
                Lang::En => format!("The backups folder cannot be read: {error}"),
            },
        ),
        Ok(None) => finding(
            Check::Backup,
            Status::Warning,
            lang.pick(
                "还没有备份。夜间同步每晚会自动备份；现在可运行 pointsdesk backup --out 文件 备份一次。",
                "No backup yet. The nightly sync makes one each night; run pointsdesk backup --out FILE to make one now.",
            )
            .to_string(),
        ),
        Ok(Some(at)) => {
            let hours = (facts.now - *at).num_hours();
            let when = shown(*at);
            if hours > BACKUP_AGE_WARN_HOURS {
                finding(
                    Check::Backup,
                    Status::Warning,
                    match lang {
                        Lang::ZhCn => format!(
                            "最近一次备份在 {when}，已过 {}：夜间同步没有运行？请查看 systemctl status pointsdesk-sync.timer。",
                            human_duration(hours * 3600, lang)
                        ),
                        Lang::En => format!(
                            "The newest backup is from {when}, {} ago: is the nightly sync running? See systemctl status pointsdesk-sync.timer.",
                            human_duration(hours * 3600, lang)
                        ),
                    },
                )
            } else {
                finding(
                    Check::Backup,
                    Status::Ok,
                    match lang {
                        Lang::ZhCn => format!("最近一次备份在 {when}。"),
                        Lang::En => format!("The newest backup is from {when}."),
                    },
                )
            }
        }
    }
}

fn sync(facts: &Facts, lang: Lang, shown: &dyn Fn(DateTime<Utc>) -> String) -> Finding {
    let last = match facts.sync_last {
        None => {
            return finding(
                Check::Sync,
                Status::Skipped,
                lang.pick(
                    "本柜台还没有加入街道（pointsdesk sync enroll），不同步。",
                    "This counter is not enrolled in a district (pointsdesk sync enroll): it does not sync.",
                )
                .to_string(),
            );
        }
        Some(None) => {
            return finding(
                Check::Sync,
                Status::Warning,
                lang.pick(
                    "已加入街道，但还没有同步过：请运行 pointsdesk sync。",
                    "Enrolled in a district but never synced: run pointsdesk sync.",
                )
                .to_string(),
            );
        }
        Some(Some(at)) => at,
    };
    let age = facts.now - last;
    let when = shown(last);
    let ago = human_duration(age.num_seconds().max(0), lang);
    let status = if age > Duration::days(SYNC_AGE_FAULT_DAYS) {
        Status::Fault
    } else if age > Duration::hours(SYNC_AGE_WARN_HOURS) {
        Status::Warning
    } else {
        Status::Ok
    };
    let advice = match (status, lang) {
        (Status::Ok, _) | (Status::Skipped, _) => "",
        (_, Lang::ZhCn) => {
            "各柜台的余额已不一致，透支发现不了。请检查网络和 systemctl status pointsdesk-sync.timer，或手动运行 pointsdesk sync。"
        }
        (_, Lang::En) => {
            "The counters' balances disagree and overdrafts go unseen. Check the network and systemctl status pointsdesk-sync.timer, or run pointsdesk sync."
        }
    };
    finding(
        Check::Sync,
        status,
        match lang {
            Lang::ZhCn => format!("最近一次同步在 {when}（{ago}前）。{advice}"),
            Lang::En => format!("Last synced {when} ({ago} ago). {advice}"),
        }
        .trim_end()
        .to_string(),
    )
}

fn font(facts: &Facts, lang: Lang) -> Finding {
    match &facts.font {
        Font::NoFcList => finding(
            Check::Font,
            Status::Warning,
            lang.pick(
                "没有 fontconfig（fc-list），查不了中文字体：sudo apt install fontconfig fonts-noto-cjk",
                "fontconfig (fc-list) is missing, so Chinese fonts cannot be checked: sudo apt install fontconfig fonts-noto-cjk",
            )
            .to_string(),
        ),
        Font::Families(families) if families.is_empty() => finding(
            Check::Font,
            Status::Fault,
            lang.pick(
                "没有中文字体：柜台屏幕上的汉字会显示成方块。请安装：sudo apt install fonts-noto-cjk",
                "No Chinese font: the counter's screen would show boxes for every character. Install one: sudo apt install fonts-noto-cjk",
            )
            .to_string(),
        ),
        Font::Families(families) => finding(
            Check::Font,
            Status::Ok,
            match lang {
                Lang::ZhCn => format!("已安装中文字体：{}。", families.join("、")),
                Lang::En => format!("Chinese fonts installed: {}.", families.join(", ")),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::status::{Problem, Verdict};

    fn healthy() -> Facts {
        let now = "2026-12-05T10:00:00Z".parse().unwrap();
        Facts {
            now,
            utc_offset_minutes: 480,
            home: "/var/lib/pointsdesk".into(),
            config_error: None,
            database: Database::Checked {
                problems: vec![],
                entries_newest: Some(now - Duration::hours(1)),
            },
            hub_clock: HubClock::Read {
                hub: "https://hub".into(),
                hub_now: now - Duration::seconds(2),
            },
            disk: Ok(Disk {
                free_bytes: 50 << 30,
                total_bytes: 100 << 30,
            }),
            permissions: vec![],
            printer: Printer::Answered(Verdict::Ready {
                paper_near_end: false,
            }),
            scanners: vec![],
            backup_newest: Ok(Some(now - Duration::hours(8))),
            sync_last: Some(Some(now - Duration::hours(8))),
            font: Font::Families(vec!["Noto Sans CJK SC".into()]),
        }
    }

    fn status_of(report: &Report, check: Check) -> Status {
        report
            .findings
            .iter()
            .filter(|f| f.check == check)
            .map(|f| f.status)
            .max()
            .unwrap()
    }

    #[test]
    fn a_healthy_counter_exits_zero_and_a_skipped_check_does_not_count() {
        let report = assess(&healthy(), Lang::ZhCn);
        assert_eq!((report.status, report.exit_code), (Status::Ok, 0));
        assert_eq!(status_of(&report, Check::Scanner), Status::Skipped);
    }

    #[test]
    fn the_worst_finding_decides_the_exit_code() {
        let mut facts = healthy();
        facts.backup_newest = Ok(None);
        assert_eq!(assess(&facts, Lang::En).exit_code, 1);
        facts.printer = Printer::Answered(Verdict::Problem(Problem::PaperOut));
        let report = assess(&facts, Lang::En);
        assert_eq!(report.exit_code, 3);
        assert_eq!(status_of(&report, Check::Printer), Status::Fault);
        assert_eq!(status_of(&report, Check::Backup), Status::Warning);
    }

    #[test]
    fn the_clock_is_judged_against_the_newest_entry_and_the_hub_with_named_limits() {
        let table: &[(i64, Status)] = &[
            (-30, Status::Ok),
            (-120, Status::Warning),
            (-(CLOCK_BEHIND_FAULT_HOURS * 3600 + 1), Status::Fault),
            ((CLOCK_AHEAD_WARN_DAYS + 1) * 86_400, Status::Warning),
        ];
        for (ahead_seconds, expected) in table {
            let mut facts = healthy();
            facts.database = Database::Checked {
                problems: vec![],
                entries_newest: Some(facts.now - Duration::seconds(*ahead_seconds)),
            };
            let report = assess(&facts, Lang::En);
            assert_eq!(
                status_of(&report, Check::Clock),
                *expected,
                "{ahead_seconds}"
            );
        }
        let hub_table: &[(i64, Status)] = &[
            (HUB_CLOCK_WARN_MS, Status::Ok),
            (HUB_CLOCK_WARN_MS + 1, Status::Warning),
            (-(HUB_CLOCK_FAULT_MS + 1), Status::Fault),
        ];
        for (offset_ms, expected) in hub_table {
            let mut facts = healthy();
            facts.hub_clock = HubClock::Read {
                hub: "https://hub".into(),
                hub_now: facts.now - Duration::milliseconds(*offset_ms),
            };
            let report = assess(&facts, Lang::En);
            assert_eq!(
                status_of(&report, Check::HubClock),
                *expected,
                "{offset_ms}"
            );
        }
    }

    #[test]
    fn a_clock_years_off_the_hub_says_how_far_in_years() {
        let mut facts = healthy();
        facts.hub_clock = HubClock::Read {
            hub: "https://hub".into(),
            hub_now: facts.now + Duration::days(3 * 365),
        };
        let report = assess(&facts, Lang::ZhCn);
        let hub = report
            .findings
            .iter()
            .find(|f| f.check == Check::HubClock)
            .unwrap();
        assert!(hub.message.contains("慢 3 年"), "{}", hub.message);
        assert!(hub.message.contains("拒绝同步"), "{}", hub.message);
    }

    #[test]
    fn three_years_ahead_or_behind_read_three_years_whatever_the_milliseconds() {
        for (days, ms, want) in [
            (1_095, -1, "慢 3 年"),
            (1_095, 1, "慢 3 年"),
            (-1_095, -1, "快 3 年"),
            (-1_095, 1, "快 3 年"),
            (730, 0, "慢 2 年"),
            (3, -5, "慢 3 天"),
        ] {
            let mut facts = healthy();
            facts.hub_clock = HubClock::Read {
                hub: "https://hub".into(),
                hub_now: facts.now + Duration::days(days) + Duration::milliseconds(ms),
            };
            let report = assess(&facts, Lang::ZhCn);
            let hub = report
                .findings
                .iter()
                .find(|f| f.check == Check::HubClock)
                .unwrap();
            assert!(
                hub.message.contains(want),
                "{days} d {ms} ms: {}",
                hub.message
            );
        }
    }

    #[test]
    fn disk_backup_and_sync_ages_cross_their_limits() {
        let mut facts = healthy();
        facts.disk = Ok(Disk {
            free_bytes: DISK_FREE_FAULT_BYTES - 1,
            total_bytes: 10 << 30,
        });
        facts.backup_newest = Ok(Some(facts.now - Duration::hours(BACKUP_AGE_WARN_HOURS + 1)));
        facts.sync_last = Some(Some(facts.now - Duration::days(SYNC_AGE_FAULT_DAYS + 1)));
        let report = assess(&facts, Lang::En);
        assert_eq!(status_of(&report, Check::Disk), Status::Fault);
        assert_eq!(status_of(&report, Check::Backup), Status::Warning);
        assert_eq!(status_of(&report, Check::Sync), Status::Fault);
        facts.sync_last = None;
        assert_eq!(
            status_of(&assess(&facts, Lang::En), Check::Sync),
            Status::Skipped
        );
    }

    #[test]
    fn a_readable_key_is_a_fault_and_a_readable_home_a_warning() {
        let mut facts = healthy();
        facts.permissions = vec![PermissionIssue::HomeReadable {
            path: "/h".into(),
            mode: 0o755,
        }];
        assert_eq!(
            status_of(&assess(&facts, Lang::En), Check::Permissions),
            Status::Warning
        );
        facts.permissions.push(PermissionIssue::KeyReadable {
            path: "/h/keys/device.key".into(),
            mode: 0o644,
        });
        let report = assess(&facts, Lang::ZhCn);
        assert_eq!(status_of(&report, Check::Permissions), Status::Fault);
    }
}
