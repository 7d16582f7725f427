//! What the ledger hands to a screen or the CLI: plain data, serialisable for `--json`.

use crate::domain::{ItemKind, Line, Points, Role};
use crate::passbook::Token;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OperatorView {
    pub operator: String,
    pub name: String,
    pub role: Role,
    pub enabled: bool,
    /// Locked now, after too many wrong PINs.
    pub locked: bool,
    /// The end of the latest lock (local time), even if it is over.
    pub locked_until: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ResidentView {
    pub resident: String,
    /// Masked (张*明) unless an administrator asked for the full record.
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub erased: bool,
    pub registered_at: String,
    pub passbook: Option<String>,
    pub passbook_status: Option<String>,
    pub balance: Points,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PassbookView {
    pub passbook: String,
    pub resident: String,
    pub resident_name: String,
    pub community: String,
    pub status: String,
    pub issued_at: String,
    pub balance: Points,
}

/// A passbook just issued: the token is shown once and never stored.
#[derive(Clone, Debug)]
pub struct IssuedPassbook {
    pub passbook: String,
    pub resident: String,
    pub token: Token,
    pub txn: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ItemView {
    pub item: String,
    pub name: String,
    pub kind: ItemKind,
    pub points: Points,
    pub barcode: Option<String>,
    pub monthly_limit: Option<u32>,
    pub enabled: bool,
    /// Units on the shelf; `None` for services, venues and honours.
    pub stock: Option<i64>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ActivityView {
    pub activity: String,
    pub name: String,
    pub points_per_hour: Points,
    pub enabled: bool,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    Earn,
    Redeem,
    Reversal,
    Adjustment,
}

/// The outcome of a points txn: everything a slip or a screen shows.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Receipt {
    pub txn: String,
    pub kind: ReceiptKind,
    pub seq: i64,
    pub recorded_at: String,
    pub operator: Option<String>,
    pub passbook: String,
    pub resident: String,
    pub resident_name: String,
    pub lines: Vec<Line>,
    /// Change of the passbook balance (negative for a redemption).
    pub points: Points,
    pub balance_before: Points,
    pub balance_after: Points,
    pub activity: Option<String>,
    pub reason: Option<String>,
    pub of_txn: Option<String>,
    /// True when this is the first result of an earlier request with the same txn id.
    pub replayed: bool,
    /// The reversal of this txn, if it was reversed.
    pub reversed: Option<ReversedBy>,
    /// The passbook's balance when this receipt was read (differs from `balance_after` for an
    /// earlier txn).
    pub balance_now: Points,
}

/// The reversal that undid a txn.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ReversedBy {
    pub txn: String,
    /// Local time of the reversal, `YYYY-MM-DD HH:MM`.
    pub at: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HistoryLine {
    pub seq: i64,
    pub recorded_at: String,
    pub kind: String,
    pub txn: Option<String>,
    pub points: Points,
    /// What happened, as data: `present::history_detail` says it in the operator's language.
    pub detail: HistoryDetail,
}

/// What one history line is about.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "what")]
pub enum HistoryDetail {
    Earned {
        activity: String,
        minutes: u32,
        event: Option<String>,
    },
    Redeemed {
        /// (item name, quantity)
        lines: Vec<(String, u32)>,
    },
    Reversed {
        of_txn: String,
        reason: String,
    },
    Adjusted {
        reason: String,
    },
    Other,
}

impl HistoryDetail {
    /// What an entry's body is about, with its activity named by `activity_name` (its code
    /// when the name is unknown).
    pub fn of(body: &crate::domain::Body, activity_name: impl Fn(&str) -> Option<String>) -> Self {
        use crate::domain::Body;
        match body {
            Body::PointsEarned {
                activity,
                minutes,
                event,
                ..
            } => HistoryDetail::Earned {
                activity: activity_name(activity).unwrap_or_else(|| activity.clone()),
                minutes: *minutes,
                event: event.clone(),
            },
            Body::PointsRedeemed { lines, .. } => HistoryDetail::Redeemed {
                lines: lines.iter().map(|l| (l.name.clone(), l.qty)).collect(),
            },
            Body::Reversed { of_txn, reason, .. } => HistoryDetail::Reversed {
                of_txn: of_txn.clone(),
                reason: reason.clone(),
            },
            Body::PointsAdjusted { reason, .. } => HistoryDetail::Adjusted {
                reason: reason.clone(),
            },
            _ => HistoryDetail::Other,
        }
    }
}

/// What a scan shows: the resident screen's data.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AccountSummary {
    pub passbook: String,
    pub resident: String,
    pub resident_name: String,
    pub balance: Points,
    pub month_earned: Points,
    pub month_spent: Points,
    /// Units of each item the resident redeemed this month (for monthly limits), by item code.
    pub month_usage: Vec<(String, i64)>,
    pub last: Vec<HistoryLine>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct VerifyView {
    pub ok: bool,
    pub entries: u64,
    pub series: usize,
    /// Everything found wrong, first the broken entry or table row, then the anchor, then
    /// balances and totals (`ledger::problem_message` says each in words).
    pub problems: Vec<crate::store::verify::Problem>,
    /// Own entries committed after the head anchor last moved (harmless: a crash or a full
    /// disk between a commit and the anchor's update).
    pub anchor_lag: i64,
    /// Entries of other counters that conflict with what is held: evidence, not merged.
    pub forks: Vec<crate::ledger::district::ForkView>,
    /// Passbooks below zero after a merge (frozen; not a fault of this database).
    pub overdrafts: Vec<crate::ledger::district::Overdraft>,
    /// Entries that move nothing: another entry made their claim first.
    pub duplicates: Vec<crate::ledger::district::Duplicate>,
}

/// A resident as typed or imported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewResident {
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
}

/// Changes to a resident's personal data; `None` leaves a field as it is, an empty text clears
/// an optional one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResidentPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewItem {
    pub item: String,
    pub name: String,
    pub kind: ItemKind,
    pub points: i64,
    pub barcode: Option<String>,
    pub monthly_limit: Option<u32>,
}

/// Changes to an item; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemPatch {
    pub name: Option<String>,
    pub points: Option<i64>,
    pub barcode: Option<Option<String>>,
    pub monthly_limit: Option<Option<u32>>,
    pub enabled: Option<bool>,
}

pub struct RedeemRequest {
    /// Exactly what the scanner typed.
    pub scan: String,
    /// Item codes or barcodes with quantities.
    pub lines: Vec<(String, u32)>,
    /// Client-made id: a retry with the same id and content returns the first result.
    pub txn: Option<uuid::Uuid>,
    /// An administrator who confirmed that `scan` is a passbook number typed by hand.
    pub confirmed_by: Option<super::Session>,
}

pub struct EarnRequest {
    pub scan: String,
    pub activity: String,
    pub minutes: u32,
    /// Event check-in: each passbook is credited once per event.
    pub event: Option<String>,
    pub txn: Option<uuid::Uuid>,
    /// An administrator who confirmed that `scan` is a passbook number typed by hand.
    pub confirmed_by: Option<super::Session>,
}

/// One kind of movement on one local day (earned, redeemed, reversed, adjusted).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DayTotal {
    pub kind: String,
    pub count: i64,
    pub points: Points,
}

/// What happened on one local day, for the counter's report screen.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DayReport {
    pub day: String,
    /// (local hour 0–23, points earned, points redeemed), every hour.
    pub by_hour: Vec<(u32, i64, i64)>,
    /// (item name, units, points) redeemed, most points first.
    pub by_item: Vec<(String, i64, i64)>,
    /// (activity name, points) earned, most points first.
    pub by_activity: Vec<(String, i64)>,
    /// Passbooks that earned or redeemed that day.
    pub residents_served: i64,
    pub points_earned: i64,
    /// Points redeemed, net of reversals.
    pub points_spent: i64,
    /// Units of goods and services handed out, net of reversals.
    pub items_out: i64,
}

impl Receipt {
    /// The log line of a booked txn (id, kind, points, passbook number; never a name), for
    /// whoever booked it (`by`: the CLI or the counter).
    pub fn log_booked(&self, by: &str) {
        tracing::info!(
            txn = %self.txn,
            kind = ?self.kind,
            points = self.points.0,
            passbook = %self.passbook,
            replayed = self.replayed,
            "{by}booked"
        );
    }
}
