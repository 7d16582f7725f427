//! What the reports need of a counter's ledger: the tallies of a period (this counter's, or
//! every counter's it holds), the names they mention, a passbook's whole history, and what the
//! figures cover (which series, how far, the last sync).

use super::{Ledger, LedgerError, Result, Session};
use crate::i18n::Lang;
use crate::ledger::HistoryLine;
use crate::report::build::{CounterName, Figures, TallyRow};
use std::collections::HashMap;

impl Ledger {
    /// The figures of `days` (local days, ascending): this counter's, or with `district`
    /// every counter's this ledger holds.
    pub fn report_figures(&self, days: &[String], district: bool, lang: Lang) -> Result<Figures> {
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Ok(Figures::default());
        };
        let origin = (!district).then(|| self.series.origin.clone());
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, origin, kind, key, count, qty, minutes, points FROM tallies
             WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR origin = ?3)",
        )?;
        let tallies = stmt
            .query_map(rusqlite::params![first, last, origin], |r| {
                Ok(TallyRow {
                    day: r.get(0)?,
                    origin: r.get(1)?,
                    kind: r.get(2)?,
                    key: r.get(3)?,
                    count: r.get(4)?,
                    qty: r.get(5)?,
                    minutes: r.get(6)?,
                    points: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let visits = self
            .conn
            .prepare_cached(
                "SELECT day, origin, COUNT(*) FROM served
                 WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR origin = ?3) GROUP BY day, origin",
            )?
            .query_map(rusqlite::params![first, last, origin], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let names = |sql: &str| -> Result<HashMap<(String, String), String>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt
                .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        };
        let counters: HashMap<String, CounterName> = self
            .conn
            .prepare_cached("SELECT origin, counter, community FROM series_heads ORDER BY seq")?
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    CounterName {
                        counter: r.get(1)?,
                        community: r.get(2)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Figures {
            tallies,
            visits,
            items: names("SELECT origin, item, name FROM items")?,
            activities: names("SELECT origin, activity, name FROM activities")?,
            counters,
            covers: self.report_covers(district, lang)?,
        })
    }

    /// What this ledger's figures cover: the series it holds and how far, and the last sync.
    pub fn report_covers(&self, district: bool, lang: Lang) -> Result<Vec<String>> {
        let status = self.sync_status()?;
        let held: Vec<String> = status
            .series
            .iter()
            .filter(|s| district || s.own)
            .map(|s| format!("{} #{}", s.counter, s.seq))
            .collect();
        let last_sync = [&status.last_import, &status.last_export]
            .into_iter()
            .flatten()
            .map(|r| r.at.clone())
            .max();
        let made = self.local_time(&crate::store::log::format_time(self.now()));
        Ok(vec![
            match lang {
                Lang::ZhCn => format!("依据：{}", held.join("，")),
                Lang::En => format!("Made of: {}", held.join(", ")),
            },
            match (last_sync, lang) {
                (Some(at), Lang::ZhCn) => format!("最近同步：{at}；制表：{made}"),
                (Some(at), Lang::En) => format!("Last sync: {at}; made {made}"),
                (None, Lang::ZhCn) => format!("尚未同步；制表：{made}"),
                (None, Lang::En) => format!("Not synced yet; made {made}"),
            },
        ])
    }

    /// Every movement of a passbook, oldest first: by its scan, or by its number for an
    /// administrator.
    pub fn statement(
        &self,
        scan_or_number: &str,
        session: Option<&Session>,
    ) -> Result<(super::AccountSummary, Vec<HistoryLine>)> {
        let summary = match self.account(scan_or_number, 0) {
            Ok(summary) => summary,
            Err(scan_error) => match session {
                Some(session) => self.account_by_number(session, scan_or_number, 0)?,
                None => return Err(scan_error),
            },
        };
        let mut lines = self.history_of(
            &crate::domain::effects::passbook_account(&summary.passbook),
            usize::MAX >> 1,
        )?;
        lines.reverse();
        Ok((summary, lines))
    }

    /// A month `YYYY-MM` checked, or the current local month.
    pub fn report_month(&self, month: Option<&str>) -> Result<String> {
        match month {
            Some(m) => crate::report::build::days_of_month(m)
                .map(|_| m.to_string())
                .ok_or_else(|| LedgerError::BadMonth(m.to_string())),
            None => Ok(self
                .series
                .local_day_month(&crate::store::log::format_time(self.now()))
                .1),
        }
    }
}
