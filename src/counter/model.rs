//! The counter UI's state, messages and effects: plain data, no IO.

use crate::domain::Points;
use crate::domain::ids::Numbering;
use crate::i18n::Lang;
use crate::ledger::{AccountSummary, ActivityView, ItemView, Receipt};
use crate::printer::paper::Paper;
use crate::scanner::ScanKind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    Login,
    /// "Please scan the passbook", and a field for what is typed by hand.
    Home,
    /// A passbook number typed by hand: an administrator confirms before it opens.
    AdminConfirm,
    Resident,
    Redeem,
    Confirm,
    /// Credit one resident: activity × hours.
    Earn,
    /// Set up an event check-in: activity, hours and a name.
    EventSetup,
    /// Activity × hours = points, asked before one resident is credited or an event starts.
    EarnConfirm,
    /// Event check-in: every scanned passbook is credited once.
    Event,
    /// A txn named by its 单号 on the home screen: what it was; reprint or reverse it.
    Txn,
    /// Reverse a txn: what it was, a reason, an administrator's number and PIN.
    Reverse,
    /// Reprint the slip of any txn, by its 单号.
    Reprint,
    /// Today's report: totals, points by hour, by item, by activity.
    Report,
    /// Goods received (with a donor) and shelf counts.
    Stock,
    /// Printer status and test print; scanner test with raw keys and their timing.
    Hardware,
    /// The nightly sync's state.
    Sync,
}

/// A text being typed. A pre-filled value shows selected: the first character typed replaces
/// it, Backspace edits it and → keeps it to type on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextField {
    pub text: String,
    /// The text is a pre-filled value nobody has touched yet.
    pub selected: bool,
}

impl TextField {
    pub fn prefilled(text: impl Into<String>) -> TextField {
        TextField {
            text: text.into(),
            selected: true,
        }
    }

    /// Types a character: replaces a pre-filled value, else appends up to `chars_max`.
    pub fn push(&mut self, c: char, chars_max: usize) {
        if self.selected {
            self.text.clear();
            self.selected = false;
        }
        if self.text.chars().count() < chars_max {
            self.text.push(c);
        }
    }

    pub fn backspace(&mut self) {
        self.selected = false;
        self.text.pop();
    }

    /// Keeps a pre-filled value as typed text, so the next character goes after it.
    pub fn keep(&mut self) {
        self.selected = false;
    }

    pub fn clear(&mut self) {
        *self = TextField::default();
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

impl From<&str> for TextField {
    /// Text as if typed: not selected.
    fn from(text: &str) -> TextField {
        TextField {
            text: text.to_string(),
            selected: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockMode {
    Browse,
    /// Typing the quantity received, then the donor.
    Receive,
    Donor,
    /// Typing the counted quantity.
    Count,
}

/// Keys and scans the scanner test shows, newest last.
pub const KEY_LOG_LINES_MAX: usize = 12;

/// One line of the scanner test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyLogLine {
    /// A key as the terminal delivered it, and the time since the key before.
    Key { key: Key, gap_ms: u64 },
    /// What the scanner detector took for a scan, and what it means.
    Scan { text: String, kind: ScanKind },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReverseField {
    #[default]
    Txn,
    Reason,
    AdminNo,
    AdminPin,
}

/// The form of the txn screens (look at, reverse, reprint): what was typed or scanned, the
/// txn it names once looked up, and for a reversal the reason and the administrator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxnForm {
    pub txn: TextField,
    /// The txn the text names, with its time in local time: shown before anything is done.
    pub found: Option<Receipt>,
    /// Several txns share the typed 单号: the operator picks one.
    pub candidates: Vec<Receipt>,
    /// More txns share it than are listed.
    pub more: bool,
    pub picked: usize,
    pub reason: TextField,
    pub admin_no: TextField,
    pub admin_pin: TextField,
    pub field: ReverseField,
}

/// An administrator confirming a passbook number typed by hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminForm {
    /// The passbook number as it will be looked up (SQ-A000010).
    pub number: String,
    pub admin_no: TextField,
    pub admin_pin: TextField,
    pub field: LoginField,
}

/// What the earn screens will book, shown for confirmation: activity × hours = points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarnDraft {
    pub activity: ActivityView,
    pub minutes: u32,
    pub points: Points,
    /// The event's name for a check-in; `None` credits the resident on screen.
    pub event: Option<String>,
}

/// A running event check-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRun {
    pub name: String,
    pub activity: ActivityView,
    pub minutes: u32,
    /// Points each passbook gets.
    pub points: Points,
    /// Passbooks credited so far at this counter.
    pub credited: u32,
}

/// Which field of the event set-up is typed into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EarnField {
    Hours,
    EventName,
}

/// A question the counter asks before it does something that cannot be taken back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ask {
    /// Esc or Ctrl+C with a cart open: the same key again drops the cart (and quits).
    DropCart(Key),
    /// Print today's day-close (Z) slip: Enter prints.
    DayClose,
    /// A shelf count that takes away more than [`COUNT_DROP_SHARE_MAX_PERCENT`] of the stock.
    CountDrop { item: String, counted: i64 },
}

/// A count that removes more than this share of an item's stock asks again before booking.
/// (A constant, not a config.toml setting: `home::Config` refuses unknown keys and is not the
/// counter's to change.)
pub const COUNT_DROP_SHARE_MAX_PERCENT: i64 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginField {
    Operator,
    Pin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    pub number: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Error,
    /// A question waiting for an answer ([`Ask`]).
    Ask,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

/// The sync in a few words for the title bar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SyncBrief {
    /// Not read yet.
    #[default]
    Unknown,
    /// The counter has no district yet: every entry stays here.
    NoDistrict,
    /// In a district; `last` is the local time of the last import or export, if any.
    Enrolled {
        last: Option<String>,
        overdrafts: usize,
        forks: usize,
    },
}

impl SyncBrief {
    pub fn of(status: &crate::ledger::district::SyncStatus) -> SyncBrief {
        if status.district.is_none() {
            return SyncBrief::NoDistrict;
        }
        let last = [&status.last_import, &status.last_export]
            .into_iter()
            .flatten()
            .map(|row| row.at.clone())
            .max();
        SyncBrief::Enrolled {
            last,
            overdrafts: status.overdrafts.len(),
            forks: status.forks.len(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrinterState {
    Unknown,
    /// The printer (or the simulator standing in for it) answers that it is ready.
    Ready {
        simulator: bool,
        paper_near_end: bool,
    },
    /// The connection cannot answer status queries (a plain file, `status=none`).
    Unchecked,
    /// What is wrong and what to do, as `hw status` says it.
    Problem(String),
}

/// An item of the catalogue with its pinyin initials, for search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogItem {
    pub item: ItemView,
    /// "xyz" for 洗衣皂.
    pub initials: String,
}

/// Why a cart line cannot be redeemed as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineProblem {
    Stock { available: i64 },
    MonthlyLimit { limit: u32, used: i64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    pub lang: Lang,
    pub demo: bool,
    /// The home folder, shown in demo mode (the demo's throwaway home).
    pub home_dir: String,
    /// The counter's name, shown in the title bar.
    pub counter: String,
    /// How the counter numbers passbooks (prefix and code), to tell a typed passbook number.
    pub numbering: Numbering,
    /// Today's local date, for event names.
    pub today: String,
    pub screen: Screen,
    pub login_field: LoginField,
    pub operator_input: String,
    pub pin_input: String,
    pub operator: Option<Operator>,
    /// What is typed on the home screen: a passbook number, a 单号, a passbook typed in.
    pub lookup: TextField,
    pub admin_form: Option<AdminForm>,
    /// The resident on screen, and exactly what was scanned for them (the redemption needs it).
    pub account: Option<AccountSummary>,
    pub scan: Option<String>,
    /// The administrator who confirmed a resident looked up by number.
    pub confirmed_by: Option<String>,
    pub catalog: Vec<CatalogItem>,
    pub activities: Vec<ActivityView>,
    pub activity_selected: usize,
    /// Hours as typed ("1.5").
    pub hours_input: TextField,
    pub event_name: TextField,
    pub earn_field: EarnField,
    pub earn_draft: Option<EarnDraft>,
    pub event: Option<EventRun>,
    pub txn_form: Option<TxnForm>,
    pub report: Option<crate::ledger::DayReport>,
    pub stock_mode: StockMode,
    /// The item the stock form books onto.
    pub stock_item: Option<String>,
    pub qty_input: TextField,
    pub donor_input: TextField,
    /// Scanner test: what arrived, with the gap to the previous key.
    pub key_log: Vec<KeyLogLine>,
    pub last_raw_key_ms: u64,
    pub search: String,
    /// Index into the filtered catalogue.
    pub selected: usize,
    /// Item codes and quantities chosen.
    pub cart: Vec<(String, u32)>,
    /// The txn id of the redemption being confirmed: made once, reused by any retry.
    pub pending_txn: Option<uuid::Uuid>,
    /// A passbook scanned while another resident's cart is open: scanning it again switches.
    pub switch_to: Option<String>,
    pub ask: Option<Ask>,
    pub busy: bool,
    pub notice: Option<Notice>,
    /// Counts notices made, so that `update` tells a fresh notice from one left over.
    pub notice_serial: u64,
    pub printer: PrinterState,
    pub low_stock: Vec<String>,
    /// The clock looks wrong (earlier than the newest entry, or far ahead): shown on the home
    /// screen; the counter keeps working.
    pub clock_warning: Option<String>,
    /// The district ledger as this counter holds it, for the sync screen (it names residents
    /// of overdrafts, so the lock drops it).
    pub sync: Option<crate::ledger::district::SyncStatus>,
    /// What the title bar says of the sync: no resident data, so it stays through the lock.
    pub sync_brief: SyncBrief,
    /// Lines the sync screen is scrolled down.
    pub sync_scroll: u16,
    /// When the sync's state was last asked for: the nightly job may run while the counter is
    /// open, and the screens show what it did.
    pub sync_asked_ms: u64,
    /// The last slip the simulator printed, as it looks on paper.
    pub latest_slip: Option<Paper>,
    pub last_receipt: Option<Receipt>,
    /// Milliseconds of the last key or scan, for the idle lock.
    pub last_input_ms: u64,
    pub idle_lock_ms: u64,
    pub quit: bool,
}

/// Keys the UI understands (the driver maps terminal events to these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Tab,
    Esc,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    F(u8),
    CtrlC,
}

/// A resident's account as opened: by a scan, or by number with an administrator's consent.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    pub account: AccountSummary,
    /// What the bookings for this resident send as the scan (the token, or the number).
    pub scan: String,
    /// The administrator who confirmed a look-up by number.
    pub confirmed_by: Option<String>,
}

/// Why a typed or scanned txn was not found.
#[derive(Clone, Debug, PartialEq)]
pub enum TxnProblem {
    /// Several txns share the typed 单号; their times are local.
    Ambiguous {
        candidates: Vec<Receipt>,
        more: bool,
    },
    Refused(String),
}

/// A print asked for by name, reported back with what it printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Printout {
    Reprint { short: String },
    DayClose { day: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Key(Key, u64),
    /// A whole scan, as the scanner typed it.
    Scan(String, u64),
    Tick(u64),
    LoggedIn(Result<Operator, String>),
    Account(Result<Opened, String>),
    Catalog(Vec<ItemView>),
    Activities(Vec<ActivityView>),
    Earned(Result<Receipt, String>),
    /// The txn a 单号, txn id or slip QR names, its time in local time.
    TxnFound(Result<Receipt, TxnProblem>),
    Reversed(Result<Receipt, String>),
    Report(Result<crate::ledger::DayReport, String>),
    Stocked(Result<ItemView, String>),
    /// Every key as the terminal delivered it, before scan detection (for the scanner test).
    RawKey(Key, u64),
    Redeemed(Result<Receipt, String>),
    Printed(Result<PrintedSlip, String>),
    /// A reprint or the day-close slip: the same as `Printed`, saying what was printed.
    PrintedAs {
        what: Printout,
        result: Result<PrintedSlip, String>,
    },
    /// The district ledger as held here, asked for by [`Effect::LoadSync`].
    Sync(Option<Box<crate::ledger::district::SyncStatus>>),
    Status {
        printer: PrinterState,
        low_stock: Vec<String>,
        /// What looks wrong with the clock, in the operator's language.
        clock: Option<String>,
        /// The district ledger as held here (`None` when it could not be read).
        sync: Option<Box<crate::ledger::district::SyncStatus>>,
    },
}

/// A slip that left for the printer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintedSlip {
    /// What the simulator printed, when it stands in for the printer.
    pub slip: Option<Paper>,
    /// For the operator when the printer could not say whether it printed.
    pub note: Option<String>,
}

/// What the driver must do; results come back as messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Login {
        operator: String,
        pin: String,
    },
    Logout,
    LoadAccount {
        scan: String,
    },
    /// A passbook number typed by hand, opened with an administrator's PIN (checked by the
    /// ledger's login). The worker keeps the administrator's session for this resident's
    /// bookings until [`Effect::CloseResident`] or another resident.
    LookUpNumber {
        number: String,
        admin: String,
        pin: String,
    },
    /// The resident left the screen: an administrator's confirmation ends with it.
    CloseResident,
    LoadCatalog,
    LoadActivities,
    Earn {
        scan: String,
        activity: String,
        minutes: u32,
        event: Option<String>,
    },
    Redeem {
        scan: String,
        lines: Vec<(String, u32)>,
        txn: uuid::Uuid,
    },
    Print {
        receipt: Box<Receipt>,
    },
    /// The txn a 单号, txn id or slip QR names.
    FindTxn {
        text: String,
    },
    /// A copy (重印) of a txn's slip.
    Reprint {
        txn: String,
    },
    /// Reverses with an administrator's PIN (checked by the ledger, not the UI).
    Reverse {
        admin: String,
        pin: String,
        txn: String,
        reason: String,
        id: uuid::Uuid,
    },
    RefreshStatus,
    /// The sync's state only (cheap: no printer query), asked for now and then.
    LoadSync,
    LoadReport,
    /// Today's day-close (Z) slip.
    PrintDayClose,
    Restock {
        item: String,
        qty: i64,
        donor: Option<String>,
    },
    Count {
        item: String,
        counted: i64,
    },
    TestPrint,
    /// Demo only: scan a random passbook / product barcode.
    DemoScanPassbook,
    DemoScanItem,
    Quit,
}

/// Idle time before the counter locks back to the login screen.
pub const IDLE_LOCK_MS_DEFAULT: u64 = 5 * 60 * 1000;
/// How often the counter asks for the sync's state while someone is logged in.
pub const SYNC_REFRESH_MS: u64 = 10_000;
/// Items below this stock count are shown on the home screen.
pub const LOW_STOCK_UNITS: i64 = 10;

impl Model {
    pub fn new(lang: Lang, demo: bool) -> Model {
        Model {
            lang,
            demo,
            home_dir: String::new(),
            counter: String::new(),
            numbering: Numbering::legacy(""),
            today: String::new(),
            screen: Screen::Login,
            login_field: LoginField::Operator,
            operator_input: String::new(),
            pin_input: String::new(),
            operator: None,
            lookup: TextField::default(),
            admin_form: None,
            account: None,
            scan: None,
            confirmed_by: None,
            catalog: Vec::new(),
            activities: Vec::new(),
            activity_selected: 0,
            hours_input: TextField::default(),
            event_name: TextField::default(),
            earn_field: EarnField::Hours,
            earn_draft: None,
            event: None,
            txn_form: None,
            report: None,
            stock_mode: StockMode::Browse,
            stock_item: None,
            qty_input: TextField::default(),
            donor_input: TextField::default(),
            key_log: Vec::new(),
            last_raw_key_ms: 0,
            search: String::new(),
            selected: 0,
            cart: Vec::new(),
            pending_txn: None,
            switch_to: None,
            ask: None,
            busy: false,
            notice: None,
            notice_serial: 0,
            printer: PrinterState::Unknown,
            low_stock: Vec::new(),
            clock_warning: None,
            sync: None,
            sync_brief: SyncBrief::Unknown,
            sync_scroll: 0,
            sync_asked_ms: 0,
            latest_slip: None,
            last_receipt: None,
            last_input_ms: 0,
            idle_lock_ms: IDLE_LOCK_MS_DEFAULT,
            quit: false,
        }
    }

    /// The model after the idle lock or a logout: the login screen with nothing of any
    /// resident, txn or operator left; only what belongs to the counter stays.
    pub fn locked(&self) -> Model {
        Model {
            home_dir: self.home_dir.clone(),
            counter: self.counter.clone(),
            numbering: self.numbering.clone(),
            today: self.today.clone(),
            catalog: self.catalog.clone(),
            activities: self.activities.clone(),
            printer: self.printer.clone(),
            low_stock: self.low_stock.clone(),
            clock_warning: self.clock_warning.clone(),
            sync_brief: self.sync_brief.clone(),
            sync_asked_ms: self.sync_asked_ms,
            last_input_ms: self.last_input_ms,
            last_raw_key_ms: self.last_raw_key_ms,
            idle_lock_ms: self.idle_lock_ms,
            notice_serial: self.notice_serial,
            ..Model::new(self.lang, self.demo)
        }
    }

    /// The catalogue filtered by the search text: item code prefix, name, or pinyin initials.
    pub fn filtered(&self) -> Vec<&CatalogItem> {
        let needle = self.search.trim().to_lowercase();
        self.catalog
            .iter()
            .filter(|c| c.item.enabled)
            .filter(|c| {
                needle.is_empty()
                    || c.item.item.to_lowercase().starts_with(&needle)
                    || c.item.name.to_lowercase().contains(&needle)
                    || c.initials.contains(&needle)
            })
            .collect()
    }

    /// Goods only: services, venues and honours have no shelf.
    pub fn stocked_items(&self) -> Vec<&CatalogItem> {
        self.filtered()
            .into_iter()
            .filter(|c| c.item.stock.is_some())
            .collect()
    }

    pub fn item(&self, code: &str) -> Option<&ItemView> {
        self.catalog
            .iter()
            .map(|c| &c.item)
            .find(|i| i.item == code)
    }

    pub fn cart_total(&self) -> i64 {
        self.cart
            .iter()
            .filter_map(|(code, qty)| self.item(code).map(|i| i.points.0 * i64::from(*qty)))
            .sum()
    }

    pub fn balance_after(&self) -> Option<i64> {
        self.account
            .as_ref()
            .map(|a| a.balance.0 - self.cart_total())
    }

    /// Units of an item the resident on screen redeemed this month.
    pub fn month_used(&self, code: &str) -> i64 {
        self.account
            .as_ref()
            .and_then(|a| a.month_usage.iter().find(|(item, _)| item == code))
            .map_or(0, |(_, used)| *used)
    }

    /// Why `qty` of an item cannot be redeemed now: more than the shelf holds, or more than
    /// the resident's monthly limit allows. The ledger checks again when it books.
    pub fn line_problem(&self, code: &str, qty: u32) -> Option<LineProblem> {
        let item = self.item(code)?;
        let qty = i64::from(qty);
        if let Some(available) = item.stock
            && qty > available
        {
            return Some(LineProblem::Stock { available });
        }
        let used = self.month_used(code);
        match item.monthly_limit {
            Some(limit) if used + qty > i64::from(limit) => {
                Some(LineProblem::MonthlyLimit { limit, used })
            }
            _ => None,
        }
    }
}

/// Hours as typed → minutes, by the one rule of `domain::hours` (quarter hours, up to a day).
pub fn parse_minutes(hours: &str) -> Option<u32> {
    crate::domain::hours::parse_hours(hours).ok()
}

/// Pinyin initials of a name ("洗衣皂" → "xyz"); other characters kept as they are, lower case.
pub fn initials(name: &str) -> String {
    use pinyin::ToPinyin;
    name.chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefilled_field_is_replaced_by_the_first_character_and_edited_by_backspace() {
        let mut hours = TextField::prefilled("1");
        hours.push('2', 5);
        assert_eq!(hours.as_str(), "2");
        hours.push('5', 5);
        assert_eq!(hours.as_str(), "25");

        let mut edited = TextField::prefilled("1.5");
        edited.backspace();
        edited.push('0', 5);
        assert_eq!(edited.as_str(), "1.0");

        let mut kept = TextField::prefilled("政策宣传 2026-11-22");
        kept.keep();
        kept.push('上', 40);
        assert_eq!(kept.as_str(), "政策宣传 2026-11-22上");
    }

    #[test]
    fn a_cart_line_beyond_the_shelf_or_the_monthly_limit_says_which() {
        use crate::domain::ItemKind;
        let item = |code: &str, stock, monthly_limit| CatalogItem {
            item: ItemView {
                item: code.into(),
                name: code.into(),
                kind: ItemKind::Goods,
                points: Points(5),
                barcode: None,
                monthly_limit,
                enabled: true,
                stock,
            },
            initials: String::new(),
        };
        let mut model = Model::new(Lang::ZhCn, false);
        model.catalog = vec![item("G001", Some(3), Some(4)), item("S001", None, None)];
        model.account = Some(AccountSummary {
            passbook: "SQ-A000001".into(),
            resident: "SQ-RA00001".into(),
            resident_name: "张*明".into(),
            balance: Points(100),
            month_earned: Points(0),
            month_spent: Points(0),
            month_usage: vec![("G001".into(), 2)],
            last: Vec::new(),
        });
        assert_eq!(model.line_problem("G001", 2), None);
        assert_eq!(
            model.line_problem("G001", 3),
            Some(LineProblem::MonthlyLimit { limit: 4, used: 2 })
        );
        assert_eq!(
            model.line_problem("G001", 4),
            Some(LineProblem::Stock { available: 3 })
        );
        assert_eq!(
            model.line_problem("S001", 50),
            None,
            "a service has no shelf"
        );
    }

    #[test]
    fn a_field_takes_no_more_than_its_longest_text() {
        let mut field = TextField::default();
        "123456".chars().for_each(|c| field.push(c, 4));
        assert_eq!(field.as_str(), "1234");
    }
}
