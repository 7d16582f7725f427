//! The district's reports at the hub: the same reports as a counter's, made of every series the
//! hub holds, with sections per community and counter. `hub report …` and the web pages both
//! ask here.

use super::service::HubService;
use super::store::{PassbookRow, Store, StoreError};
use crate::domain::Envelope;
use crate::i18n::Lang;
use crate::ledger::HistoryDetail;
use crate::report::build::{self, OverdraftLine, Statement};
use crate::report::{Report, Request};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Why a district report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not a day `YYYY-MM-DD` or a month `YYYY-MM`.
    #[error("not a day or a month: {0}")]
    BadPeriod(String),
    #[error("no such passbook: {0}")]
    NoPassbook(String),
}

impl ReportError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ReportError::Store(e), Lang::ZhCn) => format!("街道中心的数据库出错：{e}"),
            (ReportError::Store(e), Lang::En) => format!("The hub's store failed: {e}"),
            (ReportError::BadPeriod(p), Lang::ZhCn) => {
                format!("“{p}”不是日期或月份：日期写作 2026-03-15，月份写作 2026-03。")
            }
            (ReportError::BadPeriod(p), Lang::En) => {
                format!(
                    "“{p}” is not a day or a month: write a day as 2026-03-15, a month as 2026-03."
                )
            }
            (ReportError::NoPassbook(p), Lang::ZhCn) => {
                format!("街道中心没有存折 {p}：请核对存折号（如 SQ-A000001）。")
            }
            (ReportError::NoPassbook(p), Lang::En) => {
                format!("The hub holds no passbook {p}: check the number (e.g. SQ-A000001).")
            }
        }
    }
}

impl<S: Store> HubService<S> {
    fn local(&self, now: DateTime<Utc>) -> DateTime<chrono::FixedOffset> {
        let offset = chrono::FixedOffset::east_opt(self.utc_offset_minutes * 60)
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"));
        now.with_timezone(&offset)
    }

    /// Today at the street office, `YYYY-MM-DD`.
    pub fn today(&self, now: DateTime<Utc>) -> String {
        self.local(now).format("%Y-%m-%d").to_string()
    }

    /// This month at the street office, `YYYY-MM`.
    pub fn this_month(&self, now: DateTime<Utc>) -> String {
        self.local(now).format("%Y-%m").to_string()
    }

    /// A resident's name as reports show it: masked, empty when erased or unknown.
    pub fn masked_name(&self, row: &PassbookRow) -> String {
        if row.erased {
            return String::new();
        }
        row.sealed
            .as_deref()
            .and_then(crate::store::projection::sealed_of)
            .zip(
                row.key
                    .as_ref()
                    .and_then(|k| self.key.open_resident_key(k, &self.district_id())),
            )
            .and_then(|(sealed, key)| crate::keys::unseal(&key, &row.resident, &sealed))
            .map(|data| crate::domain::text::mask_name(&data.name))
            .unwrap_or_default()
    }

    /// What the district's figures cover: the series held and their entries, the newest and
    /// the oldest last push (the counter furthest behind), when the report was made.
    pub async fn report_covers(
        &self,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let counters = self.store.counters().await?;
        let series: i64 = counters.iter().map(|c| c.series).sum();
        let entries: i64 = counters.iter().map(|c| c.entries).sum();
        let pushed: Vec<(&str, &str)> = counters
            .iter()
            .filter_map(|c| c.last_push_at.as_deref().map(|t| (t, c.counter.as_str())))
            .collect();
        let newest = pushed.iter().max().map(|(t, _)| self.local_time(t));
        let oldest = pushed.iter().min().map(|(t, c)| (self.local_time(t), *c));
        let never: Vec<&str> = counters
            .iter()
            .filter(|c| c.last_push_at.is_none())
            .map(|c| c.counter.as_str())
            .collect();
        let made = self.local(now).format("%Y-%m-%d %H:%M").to_string();
        let mut lines = vec![match lang {
            Lang::ZhCn => format!(
                "依据：街道中心所存 {} 个服务点的 {series} 个记录序列，共 {entries} 条记录",
                counters.len()
            ),
            Lang::En => format!(
                "Made of: {series} series of {} counters held by the hub, {entries} entries",
                counters.len()
            ),
        }];
        if let (Some(newest), Some((oldest, counter))) = (newest, oldest) {
            lines.push(match lang {
                Lang::ZhCn => {
                    format!("最近上传：{newest}；上传最早的服务点：{counter}（{oldest}）")
                }
                Lang::En => {
                    format!("Last push: {newest}; furthest behind: {counter} ({oldest})")
                }
            });
        }
        if !never.is_empty() {
            lines.push(match lang {
                Lang::ZhCn => format!("尚未上传：{}", never.join("，")),
                Lang::En => format!("Never pushed: {}", never.join(", ")),
            });
        }
        lines.push(match lang {
            Lang::ZhCn => format!("制表：{made}"),
            Lang::En => format!("Made {made}"),
        });
        Ok(lines)
    }

    /// The district's report asked for, with sections per community and counter.
    pub async fn district_report(
        &self,
        request: &Request,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Report, ReportError> {
        let covers = self.report_covers(lang, now).await?;
        match request {
            Request::Resident(passbook) => {
                let statement = self.statement(passbook, lang).await?;
                Ok(build::resident(&statement, &covers, lang))
            }
            Request::Overdrafts => {
                let lines: Vec<OverdraftLine> = self
                    .store
                    .overdrafts()
                    .await?
                    .into_iter()
                    .map(|row| OverdraftLine {
                        resident_name: self.masked_name(&row),
                        passbook: row.passbook,
                        points: row.points,
                        counter: row.counter,
                    })
                    .collect();
                Ok(build::overdrafts(&lines, &covers, lang))
            }
            _ => {
                let days = request.days();
                let bad = || ReportError::BadPeriod(period_of(request).to_string());
                let (Some(first), Some(last)) = (days.first(), days.last()) else {
                    return Err(bad());
                };
                let mut figures = self.store.figures(first, last).await?;
                figures.covers = covers;
                request.build(&figures, lang, true).ok_or_else(bad)
            }
        }
    }

    /// A passbook's statement: every movement the hub holds, oldest first, in the local time
    /// of the counter that booked it.
    pub async fn statement(&self, passbook: &str, lang: Lang) -> Result<Statement, ReportError> {
        let number = passbook.trim().to_uppercase();
        let row = self
            .store
            .passbook(&number)
            .await?
            .ok_or_else(|| ReportError::NoPassbook(passbook.trim().to_string()))?;
        let postings = self
            .store
            .postings(&crate::domain::effects::passbook_account(&row.passbook))
            .await?;
        let activities = if postings.is_empty() {
            HashMap::new()
        } else {
            // The names alone: no tallies are cut on a day that far ahead.
            let never = "9999-12-31";
            self.store.figures(never, never).await?.activities
        };
        let movements = postings.iter().map(|p| {
            let date = chrono::FixedOffset::east_opt(p.utc_offset_minutes * 60)
                .zip(DateTime::parse_from_rfc3339(&p.recorded_at).ok())
                .map_or_else(
                    || p.recorded_at.chars().take(10).collect(),
                    |(offset, t)| t.with_timezone(&offset).format("%Y-%m-%d").to_string(),
                );
            let content = serde_json::from_slice::<Envelope>(&p.body).map_or_else(
                |_| String::new(),
                |e| {
                    let detail = HistoryDetail::of(&e.body, |code| {
                        activities
                            .get(&(p.origin.clone(), code.to_string()))
                            .cloned()
                    });
                    crate::present::history_detail(lang, &detail)
                },
            );
            (date, content, p.points)
        });
        let statement = Statement::of(&row.passbook, &self.masked_name(&row), movements);
        Ok(statement)
    }
}

fn period_of(request: &Request) -> &str {
    match request {
        Request::Day(p) | Request::Month(p) | Request::Items(p) | Request::Activities(p) => p,
        Request::Resident(p) => p,
        Request::Overdrafts => "",
    }
}
