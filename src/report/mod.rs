//! Reports for the counter and the street office: the day, the month, items, activities, a
//! resident's statement and overdrafts, made from figures ([`build`], pure) and drawn as a
//! table on the screen, CSV, an Excel workbook with charts, a slip, or SVG charts for the web
//! pages ([`render`], [`xlsx`], [`svg`]).
//!
//! Must not read the ledger or the hub's store: the ledger and the hub gather the figures.

pub mod build;
pub mod model;
pub mod render;
pub mod svg;
pub mod xlsx;

pub use build::{Figures, OverdraftLine, Statement, StatementLine, TallyRow};
pub use model::Report;

/// Which report, and of what (checked by whoever asks: a day `YYYY-MM-DD`, a month
/// `YYYY-MM`, a passbook number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Day(String),
    Month(String),
    /// Items redeemed in a day or a month.
    Items(String),
    /// Volunteering in a day or a month.
    Activities(String),
    Resident(String),
    Overdrafts,
}

impl Request {
    /// The local days whose figures the report needs (none for a statement or overdrafts).
    pub fn days(&self) -> Vec<String> {
        match self {
            Request::Day(p) | Request::Month(p) | Request::Items(p) | Request::Activities(p) => {
                build::checked_day(p)
                    .map(|d| vec![d])
                    .or_else(|| build::days_of_month(p))
                    .unwrap_or_default()
            }
            Request::Resident(_) | Request::Overdrafts => Vec::new(),
        }
    }

    /// The report of these figures (`None` for a period that is not one).
    pub fn build(
        &self,
        figures: &Figures,
        lang: crate::i18n::Lang,
        district: bool,
    ) -> Option<Report> {
        match self {
            Request::Day(d) => build::day(figures, d, lang, district),
            Request::Month(m) => build::month(figures, m, lang, district),
            Request::Items(p) => build::items(figures, p, lang, district),
            Request::Activities(p) => build::activities(figures, p, lang, district),
            Request::Resident(_) | Request::Overdrafts => None,
        }
    }
}
