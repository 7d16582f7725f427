//! The counter UI's state, messages and effects: plain data, no IO.

use crate::i18n::Lang;
use crate::ledger::{AccountSummary, ItemView, Receipt};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    Login,
    Home,
    Resident,
    Redeem,
    Confirm,
    /// Credit one resident: activity × hours.
    Earn,
    /// Set up an event check-in: activity, hours and a name.
    EventSetup,
    /// Event check-in: every scanned passbook is credited once.
    Event,
    /// Reverse a txn: scan the slip's QR (or type the txn), a reason, an administrator's PIN.
    Reverse,
    /// Today's report: points by hour, by item, by activity.
    Report,
    /// Goods received (with a donor) and shelf counts.
    Stock,
    /// Printer status and test print; scanner test with raw keys and their timing.
    Hardware,
    /// The nightly sync's state.
    Sync,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReverseField {
    Txn,
    Reason,
    AdminNo,
    AdminPin,
}

/// The reverse form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReverseForm {
    pub txn: String,
    pub reason: String,
    pub admin_no: String,
    pub admin_pin: String,
    pub field: ReverseField,
}

/// A running event check-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRun {
    pub name: String,
    pub activity: String,
    pub minutes: u32,
    /// Passbooks credited so far at this counter.
    pub credited: u32,
}

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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrinterState {
    Unknown,
    Simulator,
    Ready,
    Problem(String),
}

/// An item of the catalogue with its pinyin initials, for search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogItem {
    pub item: ItemView,
    /// "xyz" for 洗衣皂.
    pub initials: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    pub lang: Lang,
    pub demo: bool,
    /// The counter's name, shown in the title bar.
    pub counter: String,
    /// Today's local date, for event names.
    pub today: String,
    pub screen: Screen,
    pub login_field: LoginField,
    pub operator_input: String,
    pub pin_input: String,
    pub operator: Option<Operator>,
    /// The resident on screen, and exactly what was scanned for them (the redemption needs it).
    pub account: Option<AccountSummary>,
    pub scan: Option<String>,
    pub catalog: Vec<CatalogItem>,
    pub activities: Vec<crate::ledger::ActivityView>,
    pub activity_selected: usize,
    /// Hours as typed ("1.5").
    pub hours_input: String,
    pub event: Option<EventRun>,
    pub reverse: Option<ReverseForm>,
    pub report: Option<crate::ledger::DayReport>,
    pub stock_mode: StockMode,
    pub qty_input: String,
    pub donor_input: String,
    /// Scanner test: what arrived, with the gap to the previous key.
    pub key_log: Vec<String>,
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
    pub busy: bool,
    pub notice: Option<Notice>,
    pub printer: PrinterState,
    pub low_stock: Vec<String>,
    /// The clock looks wrong (earlier than the newest entry, or far ahead): shown on the home
    /// screen; the counter keeps working.
    pub clock_warning: Option<String>,
    pub latest_slip: Option<String>,
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

#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Key(Key, u64),
    /// A whole scan, as the scanner typed it.
    Scan(String, u64),
    Tick(u64),
    LoggedIn(Result<Operator, String>),
    Account(Result<(AccountSummary, String), String>),
    Catalog(Vec<ItemView>),
    Activities(Vec<crate::ledger::ActivityView>),
    Earned(Result<Receipt, String>),
    Reversed(Result<Receipt, String>),
    Report(Result<crate::ledger::DayReport, String>),
    Stocked(Result<ItemView, String>),
    /// Every key as the terminal delivered it, before scan detection (for the scanner test).
    RawKey(Key, u64),
    Redeemed(Result<Receipt, String>),
    Printed(Result<Option<String>, String>),
    Status {
        printer: PrinterState,
        low_stock: Vec<String>,
        /// What looks wrong with the clock, in the operator's language.
        clock: Option<String>,
    },
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
    LoadReport,
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
/// Items below this stock count are shown on the home screen.
pub const LOW_STOCK_UNITS: i64 = 10;

impl Model {
    pub fn new(lang: Lang, demo: bool) -> Model {
        Model {
            lang,
            demo,
            counter: String::new(),
            today: String::new(),
            screen: Screen::Login,
            login_field: LoginField::Operator,
            operator_input: String::new(),
            pin_input: String::new(),
            operator: None,
            account: None,
            scan: None,
            catalog: Vec::new(),
            activities: Vec::new(),
            activity_selected: 0,
            hours_input: String::new(),
            event: None,
            reverse: None,
            report: None,
            stock_mode: StockMode::Browse,
            qty_input: String::new(),
            donor_input: String::new(),
            key_log: Vec::new(),
            last_raw_key_ms: 0,
            search: String::new(),
            selected: 0,
            cart: Vec::new(),
            pending_txn: None,
            switch_to: None,
            busy: false,
            notice: None,
            printer: PrinterState::Unknown,
            low_stock: Vec::new(),
            clock_warning: None,
            latest_slip: None,
            last_receipt: None,
            last_input_ms: 0,
            idle_lock_ms: IDLE_LOCK_MS_DEFAULT,
            quit: false,
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
