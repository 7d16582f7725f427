//! The command line as clap parses it: every command of the CLI contract, its arguments and
//! its help line. No behaviour here; the handlers are in the sibling modules.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "pointsdesk",
    version,
    about = "爱心超市积分柜台 — the counter of a community love supermarket"
)]
pub struct Cli {
    /// Home folder (ledger.db, config.toml, keys); default the XDG data dir.
    #[arg(long, env = "POINTSDESK_HOME", global = true)]
    pub home: Option<PathBuf>,
    /// zh-CN or en.
    #[arg(long, global = true)]
    pub lang: Option<String>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Operator number of the person acting; the PIN comes from POINTSDESK_PIN or a prompt.
    #[arg(long, env = "POINTSDESK_OPERATOR", global = true)]
    pub operator: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a new home: ledger, config, device key, first administrator.
    Init(InitArgs),
    /// The counter UI on a seeded throwaway home (or, with --walkthrough or without a terminal,
    /// a printed walk through issue → earn → redeem → reverse → verify).
    Demo {
        /// Print the walk-through instead of opening the counter UI.
        #[arg(long)]
        walkthrough: bool,
    },
    /// The counter UI (full screen) on this home.
    Counter,
    /// Operators (volunteers and administrators): add, list, disable, enable.
    #[command(subcommand)]
    Operator(OperatorCmd),
    /// Residents: add, list, show, import CSV/XLSX, erase personal data.
    #[command(subcommand)]
    Resident(ResidentCmd),
    /// Passbooks: issue (with QR), reissue a lost one, revoke, show.
    #[command(subcommand)]
    Passbook(PassbookCmd),
    /// Volunteering activities and their points per hour.
    #[command(subcommand)]
    Activity(ActivityCmd),
    /// Goods, services, venues and honours: add, list, update, restock, count.
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Credit points for volunteering (activity × hours).
    Earn(EarnArgs),
    /// Debit points for goods and services.
    Redeem(RedeemArgs),
    /// Undo an earning or a redemption with compensating entries (administrators).
    Reverse(ReverseArgs),
    /// Correct a balance with a reason (administrators).
    Adjust(AdjustArgs),
    /// Balance and this month's totals of a scanned passbook.
    Balance {
        /// Exactly what the scanner typed (the passbook's QR payload).
        #[arg(long)]
        passbook: String,
    },
    /// The latest entries of a scanned passbook.
    History {
        /// Exactly what the scanner typed (the passbook's QR payload).
        #[arg(long)]
        passbook: String,
        /// How many entries, newest first.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Print a copy (重印) of a txn's slip, or a slip that waits in the print queue.
    Reprint {
        /// The txn id, the 8-character 单号 printed on the slip, or the scanned slip QR.
        txn: String,
    },
    /// The day-close (Z) totals of a local day; --print for the slip.
    DayClose {
        /// YYYY-MM-DD, default today.
        #[arg(long)]
        date: Option<String>,
        /// Print the day-close slip.
        #[arg(long)]
        print: bool,
    },
    /// Reports: the day, the month, items, activities, a resident's statement, overdrafts; on
    /// screen, as an Excel workbook (--xlsx), CSV (--csv) or on the receipt printer (--print).
    Report(ReportArgs),
    /// Printer hardware: ports, status, test print, simulator, print queue.
    #[command(subcommand)]
    Hw(HwCmd),
    /// The ledger itself: verify the log and the projections, or rebuild the projections.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Copy the database while the counter runs (administrators).
    Backup {
        /// The file to write; an existing file is not overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// The nightly sync with the street office's hub (backup, push, pull, apply), or, with a
    /// subcommand, enrolment, bundles and what this counter holds of the district ledger.
    Sync(SyncArgs),
    /// The street office: its home and district key, enrolment of counters, the hub server,
    /// the district report.
    #[command(subcommand)]
    Hub(HubCmd),
    /// Is this counter PC ready? Checks the clock (against the newest entry and the hub), free
    /// disk, the ledger (quick_check, head anchor), permissions, the printer, the scanner,
    /// backups, the last sync and a Chinese font. Exit 0 all well, 1 warnings, 3 faults.
    Doctor,
    /// Shell completions on stdout, e.g. `pointsdesk completions bash >
    /// /usr/share/bash-completion/completions/pointsdesk`.
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// The manual page (roff) on stdout; with --out DIR, one page per command into DIR.
    Man {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replace the database with a verified backup of this counter (administrators).
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Do not ask before dropping entries the backup lacks (for scripts).
        #[arg(long)]
        yes: bool,
    },
}

/// The shells `completions` writes for.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub cmd: Option<SyncCmd>,
    /// The hub's address for this sync (default: the one `sync enroll --hub` gave).
    #[arg(long)]
    pub hub: Option<String>,
    /// The hub's certificate authority (PEM), when the street office uses its own.
    #[arg(long)]
    pub ca: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum SyncCmd {
    /// Enrol this counter in its district (administrators): with the file of `hub enroll
    /// --out`, or over the network with the hub's address and the one-time code of `hub
    /// enroll`. On a new PC (no ledger yet) the counter's ledger comes back from the hub.
    #[command(group(clap::ArgGroup::new("how").required(true).args(["file", "code"])))]
    Enroll {
        /// The file of `hub enroll --out`.
        #[arg(long, conflicts_with_all = ["hub", "code"])]
        file: Option<PathBuf>,
        /// The hub's address, e.g. https://hub.example:8443.
        #[arg(long, requires = "code")]
        hub: Option<String>,
        /// The one-time code `hub enroll` printed.
        #[arg(long, requires = "hub")]
        code: Option<String>,
        /// The hub's certificate authority (PEM), when the street office uses its own.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// On a new PC: the counter's old key file (keys/device.key from a backup), which
        /// endorses the PC's new series (it starts one either way).
        #[arg(long, requires = "code")]
        key: Option<PathBuf>,
        /// Enrol over plain http:// with a hub that is not this computer. The answer carries
        /// the district's data key, readable by anyone on the network: only on a network the
        /// street office trusts.
        #[arg(long, requires = "hub")]
        allow_http: bool,
    },
    /// Write a signed bundle of what the other side may lack (administrators).
    Export {
        /// The bundle to write; an existing file is not overwritten.
        #[arg(long)]
        out: PathBuf,
        /// What the other side holds: its heads file (`sync heads`) or a bundle it made.
        /// Without it, everything this counter holds.
        #[arg(long)]
        since: Option<PathBuf>,
    },
    /// Take in a bundle another counter made (administrators); a second import of it changes
    /// nothing.
    Import {
        /// The bundle file.
        file: PathBuf,
    },
    /// The series this counter holds, its last imports and exports, overdrafts and forks.
    Status,
    /// Write how far this counter holds each series, for the other side's `sync export --since`.
    Heads {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum HubCmd {
    /// Create the street office's home with a new district key (in --home).
    Init {
        /// The district's (street office's) name, e.g. 桥西街道.
        #[arg(long)]
        district: String,
    },
    /// Enrol a counter: a one-time code for `sync enroll --hub --code` (valid 24 hours), or,
    /// with --out, an enrolment file for `sync enroll --file`.
    Enroll {
        /// The counter's name, as it was set up (its `init --counter`).
        #[arg(long)]
        counter: String,
        /// Its community (社区), as it was set up (its `init --community`): a counter is known
        /// by its community and code, so it is needed when two communities use one name.
        #[arg(long)]
        community: Option<String>,
        /// Its counter code; default the code it already has, else the next free one.
        #[arg(long)]
        code: Option<String>,
        /// Write an enrolment file here instead (owner-only; it holds secrets: delete it once
        /// installed).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Days the file may wait before it is installed.
        #[arg(long, default_value_t = 14, requires = "out")]
        valid_days: i64,
        /// Hours the one-time code stays valid (default from hub.toml, 24).
        #[arg(long, conflicts_with = "out")]
        valid_hours: Option<i64>,
        /// The store to use (default: hub.toml's, `sqlite:hub.db`).
        #[arg(long)]
        store: Option<String>,
    },
    /// The counters enrolled, with their codes, last syncs, entries, refusals and evidence
    /// held; `hub counters revoke CODE` ends a lost or stolen PC.
    Counters(HubCountersArgs),
    /// The district at a glance (counters, overdrafts to settle, forks and refused entries),
    /// or one of the district's reports per community and counter.
    Report {
        #[command(subcommand)]
        kind: Option<ReportKind>,
        /// Also write the report as an Excel workbook.
        #[arg(long, global = true)]
        xlsx: Option<PathBuf>,
        /// Also write the report as CSV (UTF-8 with a byte-order mark, for Excel).
        #[arg(long, global = true)]
        csv: Option<PathBuf>,
        #[arg(long, global = true)]
        store: Option<String>,
    },
    /// A new district data key (after a revocation, or when an enrolment file may have
    /// leaked): residents' data registered from now on does not open with the old key.
    /// Enrolled counters learn it at their next sync; restart `hub serve` afterwards.
    Rekey,
    /// The administrators of the street office's web pages.
    #[command(subcommand)]
    Admin(HubAdminCmd),
    /// Serve the nightly sync to the district's counters.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8443 (default: hub.toml's `listen`).
        #[arg(long)]
        listen: Option<String>,
        /// `sqlite:PATH` or `postgres://user@host/db` (default: hub.toml's, `sqlite:hub.db`).
        #[arg(long)]
        store: Option<String>,
        /// TLS certificate (PEM); with --tls-key the hub speaks HTTPS.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HubCountersArgs {
    #[command(subcommand)]
    pub cmd: Option<HubCountersCmd>,
    #[arg(long)]
    pub store: Option<String>,
}

#[derive(Subcommand)]
pub enum HubCountersCmd {
    /// End a counter (a lost or stolen PC): the hub refuses every request its keys sign from
    /// now on; its entries stay. Enrol its replacement with `hub enroll` afterwards.
    Revoke {
        /// The counter's code (the 代码 column of `hub counters`).
        code: String,
        #[arg(long)]
        store: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum HubAdminCmd {
    /// Add an administrator, or give one a new password (which unlocks it and ends its
    /// sessions). The password comes from POINTSDESK_HUB_PASSWORD or is asked twice.
    Add {
        /// The administrator's login name.
        name: String,
        #[arg(long)]
        store: Option<String>,
    },
    /// The administrators.
    List {
        #[arg(long)]
        store: Option<String>,
    },
    /// Remove an administrator (its sessions end); the last one stays.
    Remove {
        /// The administrator's login name.
        name: String,
        #[arg(long)]
        store: Option<String>,
    },
}

#[derive(Args)]
pub struct InitArgs {
    /// The community (社区) this counter serves.
    #[arg(long)]
    pub community: String,
    /// Prefix of resident and passbook numbers, e.g. SQ.
    #[arg(long)]
    pub prefix: String,
    /// The counter's name as printed on slips.
    #[arg(long)]
    pub counter: String,
    /// The first administrator's name (the PIN is asked without echo).
    #[arg(long)]
    pub admin: String,
    /// The counter's time zone as an offset from UTC.
    #[arg(long, default_value = "+08:00")]
    pub utc_offset: String,
    /// The counter code its numbers carry (SQ-A000001), one or two letters: the one the street
    /// office gives this counter at enrolment. A counter alone keeps A.
    #[arg(long, default_value = "A")]
    pub code: String,
}

#[derive(Args)]
pub struct EarnArgs {
    /// Exactly what the scanner typed (the passbook's QR payload).
    #[arg(long)]
    pub passbook: String,
    /// Activity code, e.g. A01.
    #[arg(long)]
    pub activity: String,
    /// Hours in quarter hours: 0.25 to 24.
    #[arg(long)]
    pub hours: String,
    /// Event check-in: each passbook is credited once per event.
    #[arg(long)]
    pub event: Option<String>,
    /// Client-made id: a retry with the same id returns the first result.
    #[arg(long)]
    pub txn: Option<Uuid>,
    /// Print the slip.
    #[arg(long)]
    pub print: bool,
}

#[derive(Args)]
pub struct RedeemArgs {
    /// Exactly what the scanner typed (the passbook's QR payload).
    #[arg(long)]
    pub passbook: String,
    /// ITEM or ITEM:QTY (item code or barcode); repeat for several lines.
    #[arg(long = "item", required = true)]
    pub items: Vec<String>,
    /// Client-made id: a retry with the same id returns the first result.
    #[arg(long)]
    pub txn: Option<Uuid>,
    /// Print the slip.
    #[arg(long)]
    pub print: bool,
}

#[derive(Args)]
pub struct ReverseArgs {
    /// The txn id, the 8-character 单号 printed on the slip, or the scanned slip QR.
    pub txn: String,
    /// Why it is reversed (printed on the reversal slip).
    #[arg(long)]
    pub reason: String,
    /// Id of this reversal, for safe retries.
    #[arg(long = "as-txn")]
    pub as_txn: Option<Uuid>,
    /// Print the reversal slip (冲正).
    #[arg(long)]
    pub print: bool,
}

#[derive(Args)]
pub struct AdjustArgs {
    /// A passbook number (SQ-A000001) or what the scanner typed.
    #[arg(long)]
    pub passbook: String,
    /// Points to add (negative to take off).
    #[arg(long, allow_hyphen_values = true)]
    pub points: i64,
    /// Why (kept in the log and printed).
    #[arg(long)]
    pub reason: String,
    /// Client-made id: a retry with the same id returns the first result.
    #[arg(long)]
    pub txn: Option<Uuid>,
}

#[derive(Subcommand)]
pub enum OperatorCmd {
    /// Add a volunteer or an administrator (the new PIN is asked twice without echo).
    Add {
        /// The operator's name.
        #[arg(long)]
        name: String,
        /// volunteer or admin
        #[arg(long, default_value = "volunteer")]
        role: String,
    },
    /// All operators with role and status.
    List,
    /// Stop an operator from logging in (not yourself, not the last administrator).
    Disable {
        /// The number of the operator to disable (you act as --operator).
        #[arg(value_name = "NO")]
        target: String,
    },
    /// Let a disabled operator log in again.
    Enable {
        /// The number of the operator to enable (you act as --operator).
        #[arg(value_name = "NO")]
        target: String,
    },
    /// Give an operator a new PIN (administrators): a forgotten PIN, or a new PC, where PINs
    /// do not come back from the hub. The new PIN is asked twice without echo.
    Pin {
        /// The number of the operator (you act as --operator).
        #[arg(value_name = "NO")]
        target: String,
    },
}

#[derive(Args)]
pub struct ResidentFields {
    /// Full name (shown masked, 张*明).
    #[arg(long)]
    pub name: String,
    /// Phone number.
    #[arg(long)]
    pub phone: Option<String>,
    /// Address.
    #[arg(long)]
    pub address: Option<String>,
    /// A note.
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Subcommand)]
pub enum ResidentCmd {
    /// Register a resident.
    Add(ResidentFields),
    /// Residents whose name, phone or number contains the search text (names masked).
    List {
        /// Part of a name, phone, resident or passbook number.
        #[arg(long)]
        search: Option<String>,
        /// Most residents listed.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// One resident (masked; --full for administrators).
    Show {
        /// The resident number, e.g. SQ-RA00001.
        resident: String,
        /// The unmasked record (administrators).
        #[arg(long)]
        full: bool,
    },
    /// Correct a resident's name, phone, address or note (administrators).
    Update {
        /// The resident number.
        resident: String,
        /// New full name.
        #[arg(long)]
        name: Option<String>,
        /// New phone number ("" clears it).
        #[arg(long)]
        phone: Option<String>,
        /// New address ("" clears it).
        #[arg(long)]
        address: Option<String>,
        /// New note ("" clears it).
        #[arg(long)]
        note: Option<String>,
    },
    /// Import a CSV or XLSX file with a header row (姓名, 电话, 地址, 备注): all rows or none.
    Import {
        /// The .csv or .xlsx file.
        file: PathBuf,
    },
    /// Destroy the resident's personal data key (administrators).
    Erase {
        /// The resident number.
        resident: String,
    },
    /// Resident numbers registered to two people (their passbooks are frozen until resolved).
    Conflicts,
    /// Resolve a number registered twice (administrators, at the counter that registered the number): the
    /// earliest registration keeps it; the passbook tokens issued for the later one are
    /// revoked, and its points can be moved to that person's new passbook.
    Resolve {
        /// The resident number, e.g. SQ-RA00002.
        resident: String,
        /// The new passbook of the person who loses the number (register and issue it first).
        #[arg(long, requires = "points")]
        to: Option<String>,
        /// Points to move to that passbook (see `resident conflicts` for what each
        /// registration's counter booked).
        #[arg(long, requires = "to")]
        points: Option<i64>,
        /// Why (kept in the log).
        #[arg(long, default_value = "管理员核实后处理")]
        reason: String,
    },
}

#[derive(Args)]
pub struct QrFiles {
    /// Also write the QR code as PNG.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Also write the QR code as SVG.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Print the passbook slip (QR and number) to stick into the paper passbook.
    #[arg(long)]
    pub print: bool,
}

#[derive(Subcommand)]
pub enum PassbookCmd {
    /// Issue a passbook to a resident: the QR payload is shown once.
    Issue {
        /// The resident number.
        resident: String,
        #[command(flatten)]
        qr: QrFiles,
    },
    /// A lost passbook: revoke its tokens, issue a new one on the same number.
    Reissue {
        /// The passbook number, e.g. SQ-A000001.
        passbook: String,
        /// Why (kept in the log).
        #[arg(long, default_value = "遗失补办")]
        reason: String,
        #[command(flatten)]
        qr: QrFiles,
    },
    /// Revoke a passbook: its QR codes never debit again.
    Revoke {
        /// The passbook number.
        passbook: String,
        /// Why (kept in the log).
        #[arg(long)]
        reason: String,
    },
    /// A passbook by number or scan: resident (masked), status, balance.
    Show {
        /// The passbook number or what the scanner typed.
        passbook: String,
    },
    /// Passbook numbers issued to two people (a counter PC replaced or restored handed a
    /// number out again): frozen until an administrator reissues or revokes them.
    Conflicts,
}

#[derive(Subcommand)]
pub enum ActivityCmd {
    /// Define a volunteering activity (administrators).
    Add {
        /// Activity code, e.g. A01.
        code: String,
        /// The activity's name.
        #[arg(long)]
        name: String,
        /// Points per hour (1 point = 1 yuan).
        #[arg(long)]
        points_per_hour: i64,
    },
    /// All activities.
    List,
}

#[derive(Subcommand)]
pub enum CatalogCmd {
    /// Import a catalogue from CSV or XLSX (编号, 名称, 类别, 积分, 条码, 每月限额, 库存; an
    /// existing code is updated): all rows or none (administrators).
    Import {
        /// The .csv or .xlsx file.
        file: PathBuf,
    },
    /// Add goods, a service, a venue or an honour to the catalogue (administrators).
    Add {
        /// Item code, e.g. G001.
        code: String,
        /// The item's name.
        #[arg(long)]
        name: String,
        /// goods, service, venue or honour
        #[arg(long, default_value = "goods")]
        kind: String,
        /// Points per unit.
        #[arg(long)]
        points: i64,
        /// The product barcode (EAN-13 etc.).
        #[arg(long)]
        barcode: Option<String>,
        /// Most units per resident per month.
        #[arg(long)]
        monthly_limit: Option<u32>,
    },
    /// The catalogue with points, stock and limits.
    List,
    /// Change an item: name, points, barcode, limit, offered or not (administrators).
    Update {
        /// Item code.
        code: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New points per unit.
        #[arg(long)]
        points: Option<i64>,
        /// New barcode.
        #[arg(long)]
        barcode: Option<String>,
        /// Remove the barcode.
        #[arg(long, conflicts_with = "barcode")]
        no_barcode: bool,
        /// New monthly limit per resident.
        #[arg(long)]
        monthly_limit: Option<u32>,
        /// Remove the monthly limit.
        #[arg(long, conflicts_with = "monthly_limit")]
        no_limit: bool,
        /// No longer offer the item.
        #[arg(long)]
        disable: bool,
        /// Offer the item again.
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
    },
    /// Goods received (a donation or a purchase).
    Restock {
        /// Item code or barcode.
        item: String,
        /// Units received.
        #[arg(long)]
        qty: i64,
        /// Who gave them (if given, not empty).
        #[arg(long)]
        donor: Option<String>,
    },
    /// A shelf count: the stock becomes the counted number.
    Count {
        /// Item code or barcode.
        item: String,
        /// Units counted on the shelf.
        #[arg(long)]
        counted: i64,
    },
}

#[derive(Subcommand)]
pub enum HwCmd {
    /// Serial ports, with USB vendor:product where the system knows them.
    Ports,
    /// Ask the configured printer's status.
    Status,
    /// Print a test slip with Chinese text, alignment and a QR code.
    PrintTest,
    /// A simulated ESC/POS printer on a pseudo-terminal: decodes slips to text.
    PrinterSim {
        /// Where receipts are written as text (default: the home's sim-receipts).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Slips waiting in the print queue.
    Queue,
}

#[derive(Subcommand)]
pub enum LedgerCmd {
    /// Check chain, signatures, seqs, projections, postings and balances.
    Verify,
    /// Recreate every projection from the log (administrators).
    Rebuild,
}

/// Where a report goes besides the screen.
#[derive(Args, Clone, Debug, Default)]
pub struct ReportOutput {
    /// Also write it as an Excel workbook (a sheet a table, with charts).
    #[arg(long, global = true)]
    pub xlsx: Option<PathBuf>,
    /// Also write it as CSV (UTF-8 with a byte-order mark, for Excel).
    #[arg(long, global = true)]
    pub csv: Option<PathBuf>,
    /// Also print it on the receipt printer.
    #[arg(long, global = true)]
    pub print: bool,
    /// Every counter of the district this ledger holds, not this counter only.
    #[arg(long, global = true)]
    pub all: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub kind: ReportKind,
    #[command(flatten)]
    pub output: ReportOutput,
}

#[derive(Subcommand, Clone, Debug)]
pub enum ReportKind {
    /// One local day: points by kind, activities, items, resident visits.
    Day {
        /// YYYY-MM-DD, default today.
        #[arg(long)]
        date: Option<String>,
    },
    /// A month, one row a day, with the month's totals.
    Month {
        /// YYYY-MM, default this month.
        #[arg(long)]
        month: Option<String>,
    },
    /// Goods and services redeemed, by item (a month, or a day with --date).
    Items {
        #[arg(long)]
        month: Option<String>,
        #[arg(long, conflicts_with = "month")]
        date: Option<String>,
    },
    /// Volunteering by activity: check-ins, hours, points (a month, or a day with --date).
    Activities {
        #[arg(long)]
        month: Option<String>,
        #[arg(long, conflicts_with = "month")]
        date: Option<String>,
    },
    /// A resident's statement, as a paper time-bank passbook has it (日期 内容 存入 取出 结余).
    Resident {
        /// What the scanner typed (the passbook's QR), or its number (administrators; at the
        /// hub, its number).
        #[arg(long)]
        passbook: String,
    },
    /// Passbooks below zero, to settle.
    Overdrafts,
}
