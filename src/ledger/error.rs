//! Typed errors of the ledger, each with a message in zh-CN and en that says what happened and
//! what to do next. `kind()` sorts them into refusals (exit 1) and system faults (exit 3).

use crate::domain::Points;
use crate::domain::text::TextProblem;
use crate::i18n::Lang;
use crate::store::{self, verify::Problem};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request was refused; nothing was written. Exit code 1.
    Refused,
    /// The disk, the database or the key store failed. Exit code 3.
    System,
    /// config.toml is wrong: nothing started. Exit code 2, like wrong usage.
    Config,
}

/// What is wrong with one row of an imported file.
#[derive(Debug)]
pub enum ImportProblem {
    /// A cell was refused as it would be if typed (control characters, empty name, …).
    Cell(Box<LedgerError>),
    /// The same name and phone as an earlier row.
    Duplicate { first_row: usize },
    /// The header row has no 姓名 / name column.
    NoNameColumn,
    /// The file is neither UTF-8 nor GB18030/GBK.
    NotUtf8,
    /// A catalogue's header row lacks 编号, 名称 or 积分.
    CatalogColumns,
    /// A cell that is not what its column takes (a kind, a number).
    BadValue { what: &'static str, value: String },
    /// The same item code as an earlier row.
    DuplicateCode { first_row: usize },
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("insufficient balance on {passbook}: {balance} points, {needed} needed")]
    InsufficientBalance {
        passbook: String,
        balance: Points,
        needed: Points,
    },
    #[error("not enough stock of {name} ({item}): {available} left, {wanted} wanted")]
    StockShort {
        item: String,
        name: String,
        available: i64,
        wanted: i64,
    },
    #[error(
        "monthly limit of {name} ({item}) is {limit}; already {used} this month, {wanted} more wanted"
    )]
    MonthlyLimit {
        item: String,
        name: String,
        limit: u32,
        used: i64,
        wanted: i64,
    },
    #[error("passbook {passbook} is revoked")]
    PassbookRevoked { passbook: String },
    #[error("unknown passbook")]
    PassbookUnknown,
    #[error("incomplete scan")]
    ScanIncomplete,
    #[error("not a pointsdesk passbook")]
    NotAPassbook,
    #[error("no passbook numbered {0}")]
    PassbookNumberUnknown(String),
    #[error("operator {0} is disabled")]
    OperatorDisabled(String),
    #[error("operator number or PIN is wrong")]
    WrongPin { failures_left: u32 },
    #[error("operator {operator} is locked until {until}")]
    OperatorLocked { operator: String, until: String },
    #[error("operator {0} is not an administrator")]
    NotAdmin(String),
    #[error("unknown operator {0}")]
    OperatorUnknown(String),
    #[error("operator {0} cannot disable themselves")]
    DisableSelf(String),
    #[error("operator {0} is the last enabled administrator")]
    LastAdmin(String),
    #[error("a PIN has 4 to 8 digits")]
    BadPin,
    #[error("txn {txn} was already reversed by {by_txn}")]
    AlreadyReversed { txn: String, by_txn: String },
    #[error("txn {txn} was reversed at {at} by {by_txn}; the balance is {balance}")]
    TxnReversed {
        txn: String,
        kind: crate::ledger::ReceiptKind,
        by_txn: String,
        at: String,
        balance: Points,
    },
    #[error("txn {0} cannot be reversed")]
    NotReversible(String),
    /// A change of a record that another counter keeps: only that counter changes it.
    #[error("{id} belongs to {counter}")]
    KeptElsewhere {
        record: Record,
        id: String,
        /// The name of the counter that keeps it.
        counter: String,
    },
    /// A passbook below zero after counters' ledgers were merged: no redemption until an
    /// administrator settles it.
    #[error("passbook {passbook} is overdrawn ({balance}) and frozen")]
    PassbookFrozen { passbook: String, balance: Points },
    /// The passbook's resident number was registered to two people (two series handed it
    /// out): frozen until an administrator resolves it.
    #[error("passbook {passbook}: resident number {resident} is registered twice")]
    RegisteredTwice { passbook: String, resident: String },
    /// The passbook number was issued to two people (two series issued it): frozen until an
    /// administrator revokes or reissues it.
    #[error("passbook {passbook} was issued to {residents:?}")]
    PassbookShared {
        passbook: String,
        residents: Vec<String>,
    },
    /// A passbook issued or reissued for a resident number registered to two people: it would
    /// be one of theirs, and resolving the number revokes what was issued to the other.
    #[error("resident number {0} is registered twice: resolve it before issuing a passbook")]
    IssueWhileRegisteredTwice(String),
    /// A resolution asked for a resident number that no unresolved conflict names.
    #[error("resident number {0} is not registered twice (or it is resolved)")]
    NoRegistrationConflict(String),
    /// The day's limit for passbooks of other counters.
    #[error(
        "passbook {passbook} of {counter}: {spent} of {limit} points spent here today, {wanted} more asked"
    )]
    AwayDailyLimit {
        passbook: String,
        /// The name of the counter that issued the passbook.
        counter: String,
        limit: i64,
        spent: i64,
        wanted: i64,
    },
    #[error("bad prefix or counter code: {0:?}")]
    BadNumbering(crate::domain::ids::IdProblem),
    #[error("this counter is not enrolled in a district")]
    NotEnrolled,
    #[error("the enrolment file cannot be used: {0:?}")]
    Enrolment(crate::district::TrustProblem),
    #[error("the enrolment file is for {file_counter}, this counter is {this_counter}")]
    EnrolmentForOther {
        file_counter: String,
        this_counter: String,
    },
    #[error(
        "the enrolment file is for {counter} of {file_community}, this counter is of {this_community}"
    )]
    EnrolmentForOtherCommunity {
        counter: String,
        file_community: String,
        this_community: String,
    },
    #[error("this counter's numbers carry code {this_code}, the enrolment file gives {file_code}")]
    EnrolmentCode {
        this_code: String,
        file_code: String,
    },
    #[error("this counter is enrolled in {district}")]
    EnrolledElsewhere { district: String },
    /// A new PC asked the hub for its counter's ledger, and the hub holds none of it.
    #[error("the hub holds nothing of {counter}")]
    NothingToRecover { counter: String },
    /// The key given to a new PC is not the key of the counter's newest series.
    #[error("the key {key} is not of {counter}'s newest series")]
    KeyOfOtherSeries { key: String, counter: String },
    #[error("the bundle is of district {district}, this counter is of {ours}")]
    OtherDistrictBundle { district: String, ours: String },
    #[error("{file} is not a pointsdesk bundle")]
    BundleUnreadable { file: String },
    #[error("the numbers {namespace}… are used up")]
    NumbersUsedUp { namespace: String },
    #[error("passbook {passbook} already checked in at {event}")]
    AlreadyCheckedIn { passbook: String, event: String },
    #[error("unknown txn {0}")]
    TxnUnknown(String),
    #[error("{short} fits several txns")]
    TxnAmbiguous {
        short: String,
        candidates: Vec<crate::ledger::Receipt>,
        /// More txns fit than are listed.
        more: bool,
    },
    #[error("txn {0} was already used for a different request")]
    TxnConflict(String),
    #[error("bad {field}: {problem:?}")]
    BadText {
        field: &'static str,
        problem: TextProblem,
    },
    #[error("unknown resident {0}")]
    ResidentUnknown(String),
    #[error("resident {0} was erased")]
    ResidentErased(String),
    #[error("resident {resident} already has passbook {passbook}")]
    ResidentHasPassbook { resident: String, passbook: String },
    #[error("resident {0} has no passbook")]
    ResidentWithoutPassbook(String),
    #[error("unknown item {0}")]
    ItemUnknown(String),
    #[error("item {0} is not offered any more")]
    ItemDisabled(String),
    #[error("item {0} already exists")]
    ItemExists(String),
    #[error("item {0} has no stock to count")]
    ItemNotStocked(String),
    #[error("barcode {barcode} already belongs to {item}")]
    BarcodeTaken { barcode: String, item: String },
    #[error("unknown activity {0}")]
    ActivityUnknown(String),
    #[error("activity {0} is no longer offered")]
    ActivityDisabled(String),
    #[error("activity {0} already exists")]
    ActivityExists(String),
    #[error("bad quantity: {0}")]
    BadQuantity(String),
    #[error("bad number of hours: {0}")]
    BadHours(String),
    #[error("{hours} hours of {activity} earn no points")]
    EarnsNothing { activity: String, hours: String },
    #[error("bad date: {0}")]
    BadDate(String),
    #[error("bad month: {0}")]
    BadMonth(String),
    #[error("bad number of points: {0}")]
    BadPoints(String),
    #[error("a redemption needs at least one item")]
    EmptyRedemption,
    #[error("row {row}: {problem:?}")]
    ImportRow { row: usize, problem: ImportProblem },
    #[error("cannot read {file}: {message}")]
    ImportFile { file: String, message: String },
    #[error("{0} already holds a pointsdesk home")]
    HomeExists(String),
    #[error("{0} holds no pointsdesk home")]
    HomeMissing(String),
    #[error("{0} already exists")]
    FileExists(String),
    #[error("the backup {0} belongs to another counter")]
    RestoreMismatch(String),
    #[error("{0}")]
    Config(crate::home::ConfigError),
    #[error("the balance of passbook {passbook} does not match the log")]
    ProjectionChanged { passbook: String },
    #[error("the ledger does not verify: {0}")]
    LedgerBroken(Problem),
    #[error("database error: {0}")]
    Database(rusqlite::Error),
    /// The disk (or the database's room on it) is full: nothing was written.
    #[error("the disk is full")]
    DiskFull,
    #[error("key error: {0}")]
    Key(#[from] crate::keys::KeyError),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// A file the operator named, or one of the home's, cannot be written or read.
    #[error("{path}: {reason:?}")]
    File { path: String, reason: FileProblem },
}

/// The kinds of record that one counter keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Record {
    Resident,
    Passbook,
    Item,
    Activity,
    Txn,
}

impl Record {
    fn kept_elsewhere_message(self, id: &str, counter: &str, zh: bool) -> String {
        match (self, zh) {
            (Record::Txn, true) => format!("交易 {id} 是在{counter}办理的，请到{counter}冲正。"),
            (Record::Txn, false) => {
                format!("Txn {id} was made at {counter}; it can only be reversed there.")
            }
            (_, true) => {
                let what = match self {
                    Record::Resident => "居民",
                    Record::Passbook => "存折",
                    Record::Item => "商品",
                    _ => "活动",
                };
                format!("{what} {id} 由{counter}登记管理，只能在{counter}修改。")
            }
            (_, false) => {
                let what = match self {
                    Record::Resident => "Resident",
                    Record::Passbook => "Passbook",
                    Record::Item => "Item",
                    _ => "Activity",
                };
                format!("{what} {id} is kept by {counter}; only {counter} can change it.")
            }
        }
    }
}

fn enrolment_message(problem: &crate::district::TrustProblem, zh: bool) -> String {
    use crate::district::TrustProblem as T;
    match (problem, zh) {
        (T::Expired { expires_at }, true) => {
            format!("登记文件已于 {expires_at} 过期。请向街道索取新的登记文件。")
        }
        (T::Expired { expires_at }, false) => format!(
            "The enrolment file expired at {expires_at}. Ask the street office for a new one."
        ),
        (T::OtherDistrict { district }, true) => format!("登记文件属于另一个街道（{district}）。"),
        (T::OtherDistrict { district }, false) => {
            format!("The enrolment file belongs to another district ({district}).")
        }
        (_, true) => "登记文件无法使用：文件损坏或被改动过。请向街道重新索取。".to_string(),
        (_, false) => {
            "The enrolment file cannot be used: it is damaged or was changed. Ask the street office for it again."
                .to_string()
        }
    }
}

fn numbering_message(problem: &crate::domain::ids::IdProblem, zh: bool) -> String {
    use crate::domain::ids::{CODE_LETTERS, IdProblem};
    match (problem, zh) {
        (IdProblem::BadCode(code), true) => format!(
            "服务点代码“{code}”不对：代码是 1 到 2 个字母，取自 {CODE_LETTERS}（不用 I、O、R）。"
        ),
        (IdProblem::BadCode(code), false) => format!(
            "The counter code {code:?} is not valid: one or two letters from {CODE_LETTERS} (no I, O or R)."
        ),
        (IdProblem::BadPrefix(prefix), true) => {
            format!("编号前缀“{prefix}”不对：只能用字母和数字，例如 SQ。")
        }
        (IdProblem::BadPrefix(prefix), false) => {
            format!("The number prefix {prefix:?} is not valid: letters and digits only, e.g. SQ.")
        }
        (IdProblem::TooLong { prefix, code }, true) => format!(
            "编号前缀“{prefix}”加服务点代码“{code}”太长：编号最多 10 位，还要留 4 位数字。请用更短的前缀（例如 2 个字母）。"
        ),
        (IdProblem::TooLong { prefix, code }, false) => format!(
            "The prefix {prefix:?} with the counter code {code:?} is too long: numbers have at most 10 characters and need 4 digits. Use a shorter prefix (two letters, say)."
        ),
    }
}

/// Linux's "no space left on device".
const ENOSPC: i32 = 28;

/// Why a file cannot be used, in words an operator can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    FolderMissing,
    NotAllowed,
    DiskFull,
    Exists,
    Other(String),
}

impl FileProblem {
    pub fn of(error: &std::io::Error) -> FileProblem {
        match error.kind() {
            std::io::ErrorKind::NotFound => FileProblem::FolderMissing,
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                FileProblem::NotAllowed
            }
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                FileProblem::DiskFull
            }
            _ if error.raw_os_error() == Some(ENOSPC) => FileProblem::DiskFull,
            std::io::ErrorKind::AlreadyExists => FileProblem::Exists,
            _ => FileProblem::Other(error.to_string()),
        }
    }

    fn words(&self, zh: bool) -> String {
        match (self, zh) {
            (FileProblem::FolderMissing, true) => "文件夹不存在".into(),
            (FileProblem::FolderMissing, false) => "the folder does not exist".into(),
            (FileProblem::NotAllowed, true) => "没有写入权限".into(),
            (FileProblem::NotAllowed, false) => "permission denied".into(),
            (FileProblem::DiskFull, true) => "磁盘已满".into(),
            (FileProblem::DiskFull, false) => "the disk is full".into(),
            (FileProblem::Exists, true) => "文件已存在".into(),
            (FileProblem::Exists, false) => "the file already exists".into(),
            (FileProblem::Other(e), _) => e.clone(),
        }
    }
}

impl From<rusqlite::Error> for LedgerError {
    /// A full disk reaches SQLite as SQLITE_FULL on a write, or as a failure to size the
    /// shared-memory index when a connection opens: both mean the same to an operator.
    fn from(error: rusqlite::Error) -> LedgerError {
        if store::is_disk_full(&error) {
            LedgerError::DiskFull
        } else {
            LedgerError::Database(error)
        }
    }
}

impl LedgerError {
    /// A file problem that names the path.
    pub fn file(path: &std::path::Path, error: &std::io::Error) -> LedgerError {
        LedgerError::File {
            path: path.display().to_string(),
            reason: FileProblem::of(error),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            LedgerError::Database(_)
            | LedgerError::DiskFull
            | LedgerError::Key(_)
            | LedgerError::Io(_)
            | LedgerError::LedgerBroken(_)
            | LedgerError::ProjectionChanged { .. } => ErrorKind::System,
            LedgerError::Config(_) => ErrorKind::Config,
            _ => ErrorKind::Refused,
        }
    }

    pub fn bad_text(field: &'static str) -> impl Fn(TextProblem) -> LedgerError {
        move |problem| LedgerError::BadText { field, problem }
    }

    /// The message for the operator, in their language.
    pub fn message(&self, lang: Lang) -> String {
        use LedgerError as E;
        let zh = lang == Lang::ZhCn;
        match self {
            E::InsufficientBalance {
                passbook,
                balance,
                needed,
            } => if zh {
                format!("积分不足：存折 {passbook} 余额 {balance} 分，本次需要 {needed} 分。请减少商品。")
            } else {
                format!("Not enough points: passbook {passbook} has {balance}, this needs {needed}. Remove some items.")
            },
            E::StockShort {
                item,
                name,
                available,
                wanted,
            } => if zh {
                format!("库存不足：{name}（{item}）只剩 {available} 件，需要 {wanted} 件。")
            } else {
                format!("Not enough stock: {name} ({item}) has {available} left, {wanted} wanted.")
            },
            E::MonthlyLimit {
                item,
                name,
                limit,
                used,
                wanted,
            } => if zh {
                format!("超出每月限额：{name}（{item}）每人每月限 {limit} 件，本月已兑 {used} 件，本次 {wanted} 件。")
            } else {
                format!("Monthly limit: {name} ({item}) is limited to {limit} a month; {used} already this month, {wanted} more asked.")
            },
            E::PassbookRevoked { passbook } => if zh {
                format!("存折 {passbook} 已挂失作废，不能使用。请居民到管理员处补办。")
            } else {
                format!("Passbook {passbook} was revoked and cannot be used. The resident should ask an administrator for a new one.")
            },
            E::PassbookUnknown => lang.pick("未知存折：本系统中没有这本存折。请核对后重扫，或请管理员查询。", "Unknown passbook: it is not in this ledger. Check it and scan again, or ask an administrator.").into(),
            E::ScanIncomplete => lang.pick("扫描不完整，请重新扫描存折。", "Incomplete scan, please scan the passbook again.").into(),
            E::NotAPassbook => lang.pick("这不是时间银行存折的二维码，请扫描存折上的二维码。", "This is not a time-bank passbook code. Scan the QR code in the passbook.").into(),
            E::PassbookNumberUnknown(no) => if zh { format!("没有编号为 {no} 的存折。") } else { format!("No passbook is numbered {no}.") },
            E::OperatorDisabled(op) => if zh { format!("操作员 {op} 已停用，请联系管理员。") } else { format!("Operator {op} is disabled. Ask an administrator.") },
            E::WrongPin { failures_left } => if zh {
                format!("工号或密码错误，还可尝试 {failures_left} 次。")
            } else {
                let tries = if *failures_left == 1 { "try" } else { "tries" };
                format!("Wrong operator number or PIN; {failures_left} {tries} left.")
            },
            E::OperatorLocked { operator, until } => if zh {
                format!("操作员 {operator} 密码错误次数过多，已锁定到 {until}。请稍后再试。")
            } else {
                format!("Operator {operator} is locked after too many wrong PINs until {until}. Try again later.")
            },
            E::NotAdmin(op) => if zh { format!("操作员 {op} 不是管理员，此操作需要管理员。") } else { format!("Operator {op} is not an administrator; this needs an administrator.") },
            E::DisableSelf(op) => if zh {
                format!("不能停用自己（工号 {op}）。请由另一位管理员操作。")
            } else {
                format!("You cannot disable yourself (operator {op}); ask another administrator.")
            },
            E::LastAdmin(op) => if zh {
                format!("{op} 是最后一位启用的管理员，停用后就没有人能管理本柜台，未做更改。请先添加另一位管理员。")
            } else {
                format!("{op} is the last enabled administrator; nobody could manage this counter after that, so nothing was changed. Add another administrator first.")
            },
            E::OperatorUnknown(op) => if zh { format!("没有工号为 {op} 的操作员。") } else { format!("No operator numbered {op}.") },
            E::BadPin => lang.pick("密码须为 4 到 8 位数字。", "A PIN is 4 to 8 digits.").into(),
            E::AlreadyReversed { txn, by_txn } => if zh {
                format!("交易 {txn} 已被冲正（冲正单 {by_txn}），不能重复冲正。")
            } else {
                format!("Txn {txn} was already reversed (by {by_txn}); it cannot be reversed twice.")
            },
            E::TxnReversed { txn, kind, by_txn, at, balance } => {
                let short = super::short_txn(txn);
                let by = super::short_txn(by_txn);
                let redeemed = *kind == crate::ledger::ReceiptKind::Redeem;
                match (zh, redeemed) {
                    (true, true) => format!("交易 {short} 已于 {at} 冲正（冲正单 {by}），这次没有记账，也不要再交付商品。当前余额 {balance} 分。"),
                    (true, false) => format!("交易 {short} 已于 {at} 冲正（冲正单 {by}），这次没有记账。当前余额 {balance} 分。"),
                    (false, true) => format!("Txn {short} was reversed at {at} (reversal {by}); nothing was booked now, do not hand the goods over again. The balance is {balance}."),
                    (false, false) => format!("Txn {short} was reversed at {at} (reversal {by}); nothing was booked now. The balance is {balance}."),
                }
            }
            E::NotReversible(txn) => if zh { format!("交易 {txn} 不是积分获得或兑换，不能冲正。") } else { format!("Txn {txn} is not an earning or a redemption and cannot be reversed.") },
            E::KeptElsewhere { record, id, counter } => record.kept_elsewhere_message(id, counter, zh),
            E::PassbookFrozen { passbook, balance } => if zh {
                format!("存折 {passbook} 透支 {} 分（各服务点的账合并后余额为 {balance} 分），已冻结，暂不能兑换。请管理员核实后用“调整积分”补平（pointsdesk adjust --passbook {passbook} --points +{} --reason …），补平后自动解冻。", -balance.0, -balance.0)
            } else {
                format!("Passbook {passbook} is overdrawn by {} points (its balance is {balance} after the counters' ledgers were merged) and is frozen: no redemptions. An administrator settles it with an adjustment (pointsdesk adjust --passbook {passbook} --points +{} --reason …), which unfreezes it.", -balance.0, -balance.0)
            },
            E::RegisteredTwice { passbook, resident } => if zh {
                format!("存折 {passbook} 暂停使用：居民号 {resident} 被登记给了两个人（更换或恢复服务点电脑时号码重复了）。管理员处理之前，这本存折不能记分也不能兑换，以免记到别人的账上。请管理员查看并处理：pointsdesk resident conflicts")
            } else {
                format!("Passbook {passbook} is on hold: resident number {resident} was registered to two people (a counter PC that was replaced or restored handed the number out again). Until an administrator resolves it the passbook neither earns nor redeems, so no one's points land on someone else's account. An administrator: pointsdesk resident conflicts")
            },
            E::PassbookShared { passbook, residents } => if zh {
                format!("存折 {passbook} 暂停使用：这个存折号发给了 {} 个人（居民号 {}；更换或恢复服务点电脑时号码重复了）。管理员处理之前，这本存折不能记分也不能兑换，以免记到别人的账上。请管理员查看并处理：pointsdesk passbook conflicts", residents.len(), residents.join("、"))
            } else {
                format!("Passbook {passbook} is on hold: its number was issued to {} people (resident numbers {}; a counter PC that was replaced or restored handed the number out again). Until an administrator sorts it out the passbook neither earns nor redeems, so no one's points land on someone else's account. An administrator: pointsdesk passbook conflicts", residents.len(), residents.join(", "))
            },
            E::IssueWhileRegisteredTwice(resident) => if zh {
                format!("居民号 {resident} 被登记给了两个人，处理之前不能为这个号码发存折或补发存折（发出的存折不知道是谁的）。请管理员先处理：pointsdesk resident conflicts，然后 pointsdesk resident resolve {resident} …；另一个人重新登记后再发存折。")
            } else {
                format!("Resident number {resident} is registered to two people: no passbook can be issued or reissued for it until that is resolved (nobody could tell whose it is). An administrator first: pointsdesk resident conflicts, then pointsdesk resident resolve {resident} …; register the other person anew and issue them a passbook then.")
            },
            E::NoRegistrationConflict(resident) => if zh {
                format!("居民号 {resident} 没有重复登记，或者已经处理过了。要查看重复登记的居民号：pointsdesk resident conflicts")
            } else {
                format!("Resident number {resident} is not registered twice, or it was resolved already. To list numbers registered twice: pointsdesk resident conflicts")
            },
            E::AwayDailyLimit { passbook, counter, limit, spent, wanted } => if zh {
                format!("存折 {passbook} 属于{counter}，在本服务点每天最多兑换 {limit} 分；今天已兑换 {spent} 分，本次 {wanted} 分，超出限额。请减少商品，或到{counter}兑换。")
            } else {
                format!("Passbook {passbook} belongs to {counter}: at this counter it may spend at most {limit} points a day; {spent} already today, {wanted} more asked. Remove some items, or redeem at {counter}.")
            },
            E::BadNumbering(problem) => numbering_message(problem, zh),
            E::NotEnrolled => lang.pick(
                "本服务点还没有加入街道的积分网络：请向街道索取登记文件，然后运行 pointsdesk sync enroll --file 文件。",
                "This counter is not enrolled in a district yet: ask the street office for an enrolment file, then run pointsdesk sync enroll --file FILE.",
            ).into(),
            E::Enrolment(problem) => enrolment_message(problem, zh),
            E::EnrolmentForOther { file_counter, this_counter } => if zh {
                format!("这个登记文件是给“{file_counter}”的，本服务点是“{this_counter}”。请向街道索取本服务点的登记文件。")
            } else {
                format!("This enrolment file is for {file_counter}; this counter is {this_counter}. Ask the street office for this counter's file.")
            },
            E::EnrolmentForOtherCommunity { counter, file_community, this_community } => if zh {
                format!("这个登记文件是给“{file_community}”的“{counter}”的，本服务点属于“{this_community}”。请街道用 pointsdesk hub enroll --counter {counter} --community {this_community} 为本服务点登记。")
            } else {
                format!("This enrolment file is for {counter} of {file_community}; this counter belongs to {this_community}. Ask the street office to enrol it with pointsdesk hub enroll --counter {counter} --community {this_community}.")
            },
            E::EnrolmentCode { this_code, file_code } => if zh {
                format!("本服务点已发出的编号用代码 {this_code}，登记文件给的是 {file_code}。请街道按代码 {this_code} 重新登记（pointsdesk hub enroll --counter … --code {this_code}），以免编号重复。")
            } else {
                format!("The numbers this counter has handed out carry code {this_code}, the enrolment file gives {file_code}. Ask the street office to enrol it with code {this_code} (pointsdesk hub enroll --counter … --code {this_code}), so that no number is handed out twice.")
            },
            E::EnrolledElsewhere { district } => if zh {
                format!("本服务点已加入“{district}”，不能再加入另一个街道。")
            } else {
                format!("This counter is already enrolled in {district} and cannot join another district.")
            },
            E::NothingToRecover { counter } => if zh {
                format!("街道中心没有“{counter}”的任何记录，无法在新电脑上找回：这是一个新服务点，请运行 pointsdesk init 创建。")
            } else {
                format!("The hub holds nothing of {counter}, so there is nothing to take back onto a new PC: for a new counter run pointsdesk init.")
            },
            E::KeyOfOtherSeries { key, counter } => if zh {
                format!("密钥 {key} 不是街道中心所知“{counter}”最新序列的密钥（可能是恢复备份之前的旧密钥，或者恢复备份之后的新序列还没有同步到街道中心）。这个登记码已经用掉了：请向街道中心要一个新的，不加 --key 再登记一次，本机将开始一个新的序列。")
            } else {
                format!("The key {key} is not the key of {counter}'s newest series at the hub (perhaps one from before a restore, or of a series a restore began that never reached the hub). This code is used up: ask the street office for a new one and enrol again without --key, and this PC starts a new series.")
            },
            E::OtherDistrictBundle { district, ours } => if zh {
                format!("这个数据包来自“{district}”，本服务点属于“{ours}”：不能导入，什么都没有改变。")
            } else {
                format!("This bundle comes from {district}; this counter belongs to {ours}: nothing was imported.")
            },
            E::BundleUnreadable { file } => if zh {
                format!("{file} 不是积分柜台的数据包（或已损坏），什么都没有导入。")
            } else {
                format!("{file} is not a pointsdesk bundle (or is damaged); nothing was imported.")
            },
            E::NumbersUsedUp { namespace } => if zh {
                format!("编号 {namespace}… 已用完。请街道为本服务点另发一个服务点代码（hub enroll --counter … --code …）。")
            } else {
                format!("The numbers {namespace}… are used up. Ask the street office for another counter code for this counter (hub enroll --counter … --code …).")
            },
            E::AlreadyCheckedIn { passbook, event } => if zh {
                format!("存折 {passbook} 已在活动“{event}”签到过，不重复加分。")
            } else {
                format!("Passbook {passbook} already checked in at {event}; no points added twice.")
            },
            E::TxnUnknown(txn) => if zh {
                format!("找不到交易 {txn}。请核对小票上的单号（8 位），或扫描小票二维码。")
            } else {
                format!("No txn {txn} in this ledger. Check the 8-character number on the slip, or scan the slip's QR.")
            },
            E::TxnAmbiguous { short, candidates, more } => {
                let mut text = if zh {
                    format!("单号 {short} 对应多笔交易，请输入完整的 8 位单号：")
                } else {
                    format!("{short} fits several txns; type the whole 8-character number:")
                };
                for c in candidates {
                    let kind = match (c.kind, zh) {
                        (crate::ledger::ReceiptKind::Earn, true) => "获得",
                        (crate::ledger::ReceiptKind::Redeem, true) => "兑换",
                        (crate::ledger::ReceiptKind::Reversal, true) => "冲正",
                        (crate::ledger::ReceiptKind::Adjustment, true) => "调整",
                        (crate::ledger::ReceiptKind::Earn, false) => "earned",
                        (crate::ledger::ReceiptKind::Redeem, false) => "redeemed",
                        (crate::ledger::ReceiptKind::Reversal, false) => "reversal",
                        (crate::ledger::ReceiptKind::Adjustment, false) => "adjustment",
                    };
                    text.push_str(&format!(
                        "\n  {}  {}  {kind} {:+}  {} {}",
                        super::short_txn(&c.txn),
                        c.recorded_at,
                        c.points.0,
                        if zh { "存折" } else { "passbook" },
                        c.passbook
                    ));
                }
                if *more {
                    text.push_str(if zh { "\n  ……（还有更多）" } else { "\n  … (and more)" });
                }
                text
            }
            E::TxnConflict(txn) => if zh {
                format!("交易号 {txn} 已用于另一笔不同的交易，未做任何更改。请使用新的交易号。")
            } else {
                format!("Txn id {txn} was already used for a different request; nothing was changed. Use a new txn id.")
            },
            E::BadText { field, problem } => {
                let field_zh = match *field {
                    "name" => "姓名/名称",
                    "reason" => "原因",
                    "note" => "备注",
                    "phone" => "电话",
                    "address" => "地址",
                    "donor" => "捐赠人",
                    "code" => "编号",
                    "barcode" => "条码",
                    "community" => "社区名",
                    "prefix" => "前缀",
                    "counter" => "服务点名",
                    "event" => "活动名称",
                    other => other,
                };
                match (problem, zh) {
                    (TextProblem::Empty, true) => format!("{field_zh}不能为空。"),
                    (TextProblem::Empty, false) => format!("The {field} must not be empty."),
                    (TextProblem::TooLong, true) => format!("{field_zh}太长（最多 200 字）。"),
                    (TextProblem::TooLong, false) => format!("The {field} is too long (200 characters at most)."),
                    (TextProblem::ControlCharacter, true) => format!("{field_zh}含有控制字符或不允许的符号，请重新输入。"),
                    (TextProblem::ControlCharacter, false) => format!("The {field} contains control characters or characters that are not allowed; type it again."),
                }
            }
            E::ResidentUnknown(r) => if zh { format!("没有编号为 {r} 的居民。") } else { format!("No resident {r}.") },
            E::ResidentErased(r) => if zh { format!("居民 {r} 的个人信息已删除。") } else { format!("Resident {r} was erased.") },
            E::ResidentHasPassbook { resident, passbook } => if zh {
                format!("居民 {resident} 已有存折 {passbook}。遗失请用“补办”（reissue）。")
            } else {
                format!("Resident {resident} already has passbook {passbook}. For a lost one use reissue.")
            },
            E::ResidentWithoutPassbook(r) => if zh { format!("居民 {r} 还没有存折。") } else { format!("Resident {r} has no passbook yet.") },
            E::ItemUnknown(i) => if zh { format!("没有编号或条码为 {i} 的商品。") } else { format!("No item with code or barcode {i}.") },
            E::ItemDisabled(i) => if zh { format!("商品 {i} 已下架。") } else { format!("Item {i} is no longer offered.") },
            E::ItemExists(i) => if zh { format!("商品编号 {i} 已存在。") } else { format!("Item {i} already exists.") },
            E::ItemNotStocked(i) => if zh { format!("{i} 不是实物商品，没有库存。") } else { format!("{i} is not goods and has no stock.") },
            E::BarcodeTaken { barcode, item } => if zh { format!("条码 {barcode} 已属于商品 {item}。") } else { format!("Barcode {barcode} already belongs to {item}.") },
            E::ActivityUnknown(a) => if zh { format!("没有编号为 {a} 的活动。") } else { format!("No activity {a}.") },
            E::ActivityDisabled(a) => if zh { format!("活动 {a} 已停止。") } else { format!("Activity {a} is no longer offered.") },
            E::ActivityExists(a) => if zh { format!("活动编号 {a} 已存在。") } else { format!("Activity {a} already exists.") },
            E::BadQuantity(q) => if zh { format!("数量不对：{q}。数量须为 1 到 999 的整数。") } else { format!("Bad quantity {q}: a whole number from 1 to 999.") },
            E::BadHours(h) => if zh {
                format!("时长不对：{h}。时长按一刻钟计，请填 0.25 到 24 之间 0.25 的倍数（如 0.5、1、1.5）。")
            } else {
                format!("Bad hours {h}: quarter hours from 0.25 to 24 (such as 0.5, 1, 1.5).")
            },
            E::EarnsNothing { activity, hours } => if zh {
                format!("{activity} {hours} 小时得 0 分，没有记账。请填更长的时长，或请管理员调整这项活动的积分。")
            } else {
                format!("{hours} hours of {activity} earn 0 points; nothing was booked. Enter a longer time, or ask an administrator to change the activity's points.")
            },
            E::BadDate(d) => if zh {
                format!("日期不对：{d}。请写成 2026-11-22 的形式。")
            } else {
                format!("Bad date {d}: write it as 2026-11-22.")
            },
            E::BadMonth(m) => if zh {
                format!("月份不对：{m}。请写成 2026-11 的形式。")
            } else {
                format!("Bad month {m}: write it as 2026-11.")
            },
            E::BadPoints(p) => if zh { format!("积分数不对：{p}。") } else { format!("Bad number of points: {p}.") },
            E::EmptyRedemption => lang.pick("请至少选择一件商品。", "Pick at least one item.").into(),
            E::ImportRow { row, problem } => {
                let what = match problem {
                    ImportProblem::Cell(e) => e.message(lang).trim_end_matches(['。', '.']).to_string(),
                    ImportProblem::Duplicate { first_row } => if zh {
                        format!("与第 {first_row} 行的姓名和电话相同")
                    } else {
                        format!("same name and phone as row {first_row}")
                    },
                    ImportProblem::NoNameColumn => lang.pick("表头没有“姓名”列", "the header row has no 姓名 (name) column").to_string(),
                    ImportProblem::NotUtf8 => lang.pick("既不是 UTF-8 也不是 GBK 编码，请在 Excel 中另存为“CSV UTF-8”", "neither UTF-8 nor GBK; save it from Excel as \"CSV UTF-8\"").to_string(),
                    ImportProblem::CatalogColumns => lang.pick("表头须有“编号”“名称”“积分”三列", "the header row needs 编号 (code), 名称 (name) and 积分 (points) columns").to_string(),
                    ImportProblem::BadValue { what, value } => {
                        let (zh_what, allowed_zh, allowed_en) = match *what {
                            "kind" => ("类别", "商品、服务、场地或荣誉", "goods, service, venue or honour"),
                            "points" => ("积分", "正整数", "a whole number above 0"),
                            "monthly_limit" => ("每月限额", "正整数或空", "a whole number, or empty"),
                            _ => ("库存", "0 或正整数", "0 or a whole number above 0"),
                        };
                        if zh {
                            format!("{zh_what}“{value}”不对，应为{allowed_zh}")
                        } else {
                            format!("{what} {value:?} is not valid: {allowed_en}")
                        }
                    }
                    ImportProblem::DuplicateCode { first_row } => if zh {
                        format!("编号与第 {first_row} 行相同")
                    } else {
                        format!("the same code as row {first_row}")
                    },
                };
                if zh {
                    format!("第 {row} 行有误：{what}。整个文件都没有导入，请改正后重试。")
                } else {
                    format!("Row {row}: {what}. Nothing of the file was imported; correct it and try again.")
                }
            }
            E::ImportFile { file, message } => if zh { format!("无法读取文件 {file}：{message}") } else { format!("Cannot read {file}: {message}") },
            E::HomeExists(dir) => if zh {
                format!("{dir} 已经是一个 pointsdesk 数据目录，未做任何更改。")
            } else {
                format!("{dir} already holds a pointsdesk home; nothing was changed.")
            },
            E::HomeMissing(dir) => if zh {
                format!("{dir} 中没有 pointsdesk 数据。请先运行 pointsdesk init。")
            } else {
                format!("{dir} holds no pointsdesk home. Run pointsdesk init first.")
            },
            E::FileExists(file) => if zh { format!("{file} 已存在，未覆盖。请换一个文件名。") } else { format!("{file} already exists and was not overwritten; choose another name.") },
            E::RestoreMismatch(file) => if zh { format!("备份 {file} 属于另一个服务点，不能恢复到这里。") } else { format!("The backup {file} belongs to another counter and cannot be restored here.") },
            E::Config(e) => e.message(lang),
            E::ProjectionChanged { passbook } => if zh {
                format!("账本数据被改动过：存折 {passbook} 的余额与账本记录不符，本次没有记账。请管理员运行 ledger verify 核查。")
            } else {
                format!("The ledger's data was changed: the balance of passbook {passbook} does not match its entries, so nothing was booked. An administrator should run ledger verify.")
            },
            E::LedgerBroken(problem) => if zh {
                format!("账本校验失败：{}", problem_message(problem, lang))
            } else {
                format!("The ledger does not verify: {}", problem_message(problem, lang))
            },
            E::DiskFull => if zh {
                "磁盘已满：本次没有记账。请删除不需要的文件（例如旧的备份）腾出空间后重试；查询余额、历史和校验账本仍可使用。".to_string()
            } else {
                "The disk is full: nothing was booked. Delete files that are not needed (old backups, for example) to make room and try again; balances, history and ledger verify still work.".to_string()
            },
            E::Database(e) => if zh { format!("数据库错误：{e}。什么都没有记账；请检查磁盘后重试。") } else { format!("Database error: {e}. Nothing was booked; check the disk and try again.") },
            E::Key(crate::keys::KeyError::Io { path, source }) => {
                let why = FileProblem::of(source).words(zh);
                if zh {
                    format!("无法读写设备密钥 {path}：{why}。请检查文件夹和权限；密钥丢失时请从管理员的备份恢复 keys/device.key。")
                } else {
                    format!("Cannot read or write the device key {path}: {why}. Check the folder and its permissions; if the key is lost, restore keys/device.key from the administrator's backup.")
                }
            }
            E::Key(crate::keys::KeyError::Damaged(path)) => if zh {
                format!("设备密钥文件 {path} 已损坏。请从管理员的备份恢复 keys/device.key。")
            } else {
                format!("The device key file {path} is damaged. Restore keys/device.key from the administrator's backup.")
            },
            E::Key(crate::keys::KeyError::Random) => lang.pick("系统的随机数发生器出错，什么都没有做。请重启电脑后重试。", "The system's random generator failed; nothing was done. Restart the computer and try again.").into(),
            E::Io(e) => if zh { format!("文件错误：{e}") } else { format!("File error: {e}") },
            E::File { path, reason } => if zh {
                format!("无法写入或读取 {path}：{}。请换一个位置，或检查文件夹和权限。", reason.words(true))
            } else {
                format!("Cannot write or read {path}: {}. Choose another place, or check the folder and its permissions.", reason.words(false))
            },
        }
    }
}

pub type Result<T> = std::result::Result<T, LedgerError>;

/// What `ledger verify` found, in the operator's words: which counter and seq (or table row),
/// what is wrong, and what to do.
pub fn problem_message(problem: &Problem, lang: Lang) -> String {
    use crate::store::verify::EntryProblem as W;
    let zh = lang == Lang::ZhCn;
    let call = if zh {
        "请勿再修改数据库，联系管理员核查；备份中可能有完好的账本。"
    } else {
        "Do not change the database any further and call an administrator; a backup may hold an intact ledger."
    };
    match problem {
        Problem::Entry {
            counter, seq, what, ..
        } => {
            let what_zh = match what {
                W::Gap { expected_seq } => {
                    format!("缺少第 {expected_seq} 条起的记录（记录被删除）")
                }
                W::BrokenLink => "与上一条记录的链接断开（记录被删除或替换）".to_string(),
                W::HashMismatch => "内容被改动过（哈希不符）".to_string(),
                W::BadSignature => "签名无效（记录被伪造或改动）".to_string(),
                W::Unreadable => "内容无法读取".to_string(),
                W::ColumnMismatch(column) => format!("列 {column} 与签名内容不符（被改动过）"),
                W::NoGenesis => "序列的第一条不是柜台开通记录".to_string(),
            };
            let what_en = match what {
                W::Gap { expected_seq } => {
                    format!("entries from seq {expected_seq} are missing (deleted)")
                }
                W::BrokenLink => {
                    "does not link to the entry before it (an entry was deleted or replaced)"
                        .to_string()
                }
                W::HashMismatch => "was changed (its hash does not match)".to_string(),
                W::BadSignature => "has no valid signature (forged or changed)".to_string(),
                W::Unreadable => "cannot be read".to_string(),
                W::ColumnMismatch(column) => {
                    format!("column {column} differs from what was signed (changed)")
                }
                W::NoGenesis => {
                    "does not start its series with the counter's opening entry".to_string()
                }
            };
            if zh {
                format!("柜台“{counter}”的第 {seq} 条记录{what_zh}。{call}")
            } else {
                format!("Entry seq {seq} of counter {counter} {what_en}. {call}")
            }
        }
        Problem::Table {
            table,
            key,
            stored,
            expected,
        } => {
            if zh {
                format!(
                    "数据表 {table} 的 {key} 行被改动：现为 {stored}，按账本应为 {expected}。账本本身完好：管理员运行 ledger rebuild 即可按账本重建。"
                )
            } else {
                format!(
                    "Table {table}, row {key} was changed: it holds {stored}, the log says {expected}. The log itself is intact: an administrator's ledger rebuild restores the table from it."
                )
            }
        }
        Problem::Uncertified { counter } => {
            if zh {
                format!(
                    "账本里有“{counter}”的记录，但它没有街道的认证证书：这些记录不应被导入。{call}"
                )
            } else {
                format!(
                    "The ledger holds entries of {counter}, which has no certificate of the district: they should never have been taken in. {call}"
                )
            }
        }
        Problem::ForkUnsigned { counter, seq } => {
            if zh {
                format!(
                    "作为分叉证据保存的“{counter}”第 {seq} 条记录没有该服务点的有效签名（被改动过）。{call}"
                )
            } else {
                format!(
                    "The fork evidence kept for {counter} seq {seq} is not signed by that counter (it was changed). {call}"
                )
            }
        }
        Problem::NegativeBalance { passbook, points } => {
            if zh {
                format!(
                    "存折 {passbook} 的余额按账本为 {points} 分（低于 0）。请管理员核查，用“调整”（adjust）补正。"
                )
            } else {
                format!(
                    "Passbook {passbook} is at {points} points by the log (below 0). An administrator should look into it and settle it with an adjustment."
                )
            }
        }
        Problem::BalanceAfter {
            counter,
            seq,
            passbook,
            signed,
            folded,
        } => {
            if zh {
                format!(
                    "柜台“{counter}”的第 {seq} 条记录写明存折 {passbook} 余额为 {signed}，按账本应为 {folded}：它是在被改动的数据上记账的。{call}"
                )
            } else {
                format!(
                    "Entry seq {seq} of counter {counter} says passbook {passbook} was left at {signed}; the log gives {folded}: it was booked on changed data. {call}"
                )
            }
        }
        Problem::LineTotal {
            counter,
            seq,
            lines,
            total,
        } => {
            if zh {
                format!(
                    "柜台“{counter}”的第 {seq} 条兑换记录各行合计 {lines} 分，与总计 {total} 分不符。{call}"
                )
            } else {
                format!(
                    "Redemption seq {seq} of counter {counter}: its lines add up to {lines}, its total says {total}. {call}"
                )
            }
        }
        Problem::Truncated {
            counter,
            anchored_seq,
            log_seq,
        } => {
            if zh {
                format!(
                    "柜台“{counter}”已签到第 {anchored_seq} 条记录，但账本只到第 {log_seq} 条：最后的记录被删除了。{call}"
                )
            } else {
                format!(
                    "Counter {counter} signed up to seq {anchored_seq}, but the log ends at seq {log_seq}: its last entries were deleted. {call}"
                )
            }
        }
        Problem::AnchorMismatch { counter, seq } => {
            if zh {
                format!("柜台“{counter}”的第 {seq} 条记录不是当初记下的那一条（被替换）。{call}")
            } else {
                format!(
                    "Entry seq {seq} of counter {counter} is not the one that was recorded then (replaced). {call}"
                )
            }
        }
        Problem::AnchorForged { counter } => {
            if zh {
                format!("柜台“{counter}”的记录锚点（ledger.head）签名无效，可能被伪造。{call}")
            } else {
                format!(
                    "The head anchor (ledger.head) of counter {counter} has no valid signature; it may be forged. {call}"
                )
            }
        }
        Problem::AnchorMissing => {
            if zh {
                "数据库旁的记录锚点 ledger.head 不见了，无法确认最后的记录是否被删。若确认账本无误，管理员运行 ledger rebuild 会在当前位置重建锚点。".to_string()
            } else {
                "The head anchor ledger.head beside the database is missing, so deleted last entries cannot be ruled out. If the ledger is known to be right, an administrator's ledger rebuild makes a new anchor at its head.".to_string()
            }
        }
        Problem::AnchorUnreadable { reason } => {
            if zh {
                format!("记录锚点 ledger.head 无法读取（{reason}）。{call}")
            } else {
                format!("The head anchor ledger.head cannot be read ({reason}). {call}")
            }
        }
    }
}
