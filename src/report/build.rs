//! The reports, made from figures (pure): what a counter's ledger or the hub's store add up for
//! a period, and the names to show. Days are local days, as the tallies are cut.

use super::model::{Cell, Chart, ChartKind, Column, Kind, Report, Section};
use crate::i18n::Lang;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One row of the `tallies` projection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TallyRow {
    pub day: String,
    pub origin: String,
    pub kind: String,
    pub key: String,
    pub count: i64,
    pub qty: i64,
    pub minutes: i64,
    pub points: i64,
}

/// A counter, as reports name it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CounterName {
    pub counter: String,
    pub community: String,
}

/// What a period adds up to, and the names of what it mentions.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub tallies: Vec<TallyRow>,
    /// (day, origin, visits): the passbooks served at a counter on a day.
    pub visits: Vec<(String, String, i64)>,
    /// Item and activity names by (origin, code).
    pub items: HashMap<(String, String), String>,
    pub activities: HashMap<(String, String), String>,
    /// Counters by origin.
    pub counters: HashMap<String, CounterName>,
    /// Lines saying what the figures cover.
    pub covers: Vec<String>,
}

/// The days of a month `YYYY-MM`, or `None` when it is not one.
pub fn days_of_month(month: &str) -> Option<Vec<String>> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    if first.format("%Y-%m").to_string() != month {
        return None;
    }
    Some(
        first
            .iter_days()
            .take_while(|d| d.format("%Y-%m").to_string() == month)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect(),
    )
}

/// A day `YYYY-MM-DD`, checked.
pub fn checked_day(day: &str) -> Option<String> {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .filter(|d| d == day)
}

fn col(name: &str, kind: Kind) -> Column {
    Column {
        name: name.to_string(),
        kind,
    }
}

fn pick(lang: Lang, zh: &str, en: &str) -> String {
    lang.pick(zh, en).to_string()
}

/// Sums of one day (or any set of rows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sums {
    earned: i64,
    spent: i64,
    adjusted: i64,
    units: i64,
    txns: i64,
}

fn sums<'a>(rows: impl Iterator<Item = &'a TallyRow>) -> Sums {
    let mut s = Sums::default();
    for r in rows {
        match r.kind.as_str() {
            "earned" => s.earned += r.points,
            "redeemed" => {
                s.spent += r.points;
                s.units += r.qty;
            }
            "adjusted" => s.adjusted += r.points,
            _ => {}
        }
        if r.kind == "earned" || r.kind == "adjusted" {
            s.txns += r.count;
        }
    }
    s
}

fn counter_label(figures: &Figures, origin: &str) -> (String, String) {
    figures
        .counters
        .get(origin)
        .map(|c| (c.community.clone(), c.counter.clone()))
        .unwrap_or_else(|| (String::new(), origin.chars().take(8).collect()))
}

fn summary_columns(lang: Lang, first: &[(&str, &str, Kind)]) -> Vec<Column> {
    let mut columns: Vec<Column> = first
        .iter()
        .map(|(zh, en, kind)| col(lang.pick(zh, en), *kind))
        .collect();
    for (zh, en) in [
        ("获得积分", "points earned"),
        ("兑换积分", "points spent"),
        ("调整积分", "points adjusted"),
        ("服务人次", "resident visits"),
        ("兑出件数", "units out"),
    ] {
        columns.push(col(lang.pick(zh, en), Kind::Number));
    }
    columns
}

fn summary_cells(s: Sums, served: i64) -> Vec<Cell> {
    vec![
        Cell::Number(s.earned),
        Cell::Number(s.spent),
        Cell::Number(s.adjusted),
        Cell::Number(served),
        Cell::Number(s.units),
    ]
}

/// Resident visits on `days` at `origin` (everywhere when `None`): a passbook served at a counter
/// on a day is one visit, so the days of a month add up to the month, as every other column.
fn visits(figures: &Figures, days: &BTreeSet<&str>, origin: Option<&str>) -> i64 {
    figures
        .visits
        .iter()
        .filter(|(d, h, _)| days.contains(d.as_str()) && origin.is_none_or(|x| x == h))
        .map(|(_, _, n)| n)
        .sum()
}

/// Totals per community and counter, for the hub's district-wide reports.
fn by_counter(figures: &Figures, days: &BTreeSet<&str>, lang: Lang) -> Section {
    let origins: BTreeSet<&str> = figures.tallies.iter().map(|r| r.origin.as_str()).collect();
    let mut rows: Vec<Vec<Cell>> = origins
        .iter()
        .map(|origin| {
            let (community, counter) = counter_label(figures, origin);
            let s = sums(
                figures
                    .tallies
                    .iter()
                    .filter(|r| r.origin == *origin && days.contains(r.day.as_str())),
            );
            let mut row = vec![Cell::Text(community), Cell::Text(counter)];
            row.extend(summary_cells(s, visits(figures, days, Some(origin))));
            row
        })
        .collect();
    rows.sort_by(|a, b| {
        a[0].shown()
            .cmp(&b[0].shown())
            .then(a[1].shown().cmp(&b[1].shown()))
    });
    Section {
        title: pick(lang, "按社区和服务点", "By community and counter"),
        columns: summary_columns(
            lang,
            &[
                ("社区", "community", Kind::Text),
                ("服务点", "counter", Kind::Text),
            ],
        ),
        rows,
        total: None,
        chart: Some(Chart {
            kind: ChartKind::Column,
            title: pick(
                lang,
                "各服务点获得与兑换积分",
                "Points earned and spent by counter",
            ),
            category_column: 1,
            value_columns: vec![2, 3],
            rows_max: None,
            x_title: pick(lang, "服务点", "counter"),
            y_title: pick(lang, "积分", "points"),
        }),
    }
}

/// The month report: one row a day, the month's totals, a chart of points earned and spent
/// per day; with `district`, the month per community and counter too.
pub fn month(figures: &Figures, month: &str, lang: Lang, district: bool) -> Option<Report> {
    let days = days_of_month(month)?;
    let mut rows = Vec::new();
    for day in &days {
        let s = sums(figures.tallies.iter().filter(|r| r.day == *day));
        let one: BTreeSet<&str> = [day.as_str()].into();
        let mut row = vec![Cell::Text(day.clone())];
        row.extend(summary_cells(s, visits(figures, &one, None)));
        rows.push(row);
    }
    let all: BTreeSet<&str> = days.iter().map(String::as_str).collect();
    let s = sums(
        figures
            .tallies
            .iter()
            .filter(|r| all.contains(r.day.as_str())),
    );
    let mut total = vec![Cell::Text(pick(lang, "本月合计", "Month total"))];
    total.extend(summary_cells(s, visits(figures, &all, None)));
    let mut sections = vec![Section {
        title: pick(lang, "每日", "By day"),
        columns: summary_columns(lang, &[("日期", "day", Kind::Text)]),
        rows,
        total: Some(total),
        chart: Some(Chart {
            kind: ChartKind::Column,
            title: pick(
                lang,
                "每日获得与兑换积分",
                "Points earned and spent per day",
            ),
            category_column: 0,
            value_columns: vec![1, 2],
            rows_max: None,
            x_title: pick(lang, "日期", "day"),
            y_title: pick(lang, "积分", "points"),
        }),
    }];
    if district {
        sections.push(by_counter(figures, &all, lang));
    }
    Some(Report {
        kind: "month".into(),
        title: pick(lang, "月报", "Month report"),
        period: month.to_string(),
        covers: figures.covers.clone(),
        sections,
    })
}

fn period_days(period: &str) -> Option<Vec<String>> {
    checked_day(period)
        .map(|d| vec![d])
        .or_else(|| days_of_month(period))
}

fn name_of(names: &HashMap<(String, String), String>, origin: &str, key: &str) -> String {
    names
        .get(&(origin.to_string(), key.to_string()))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// Items redeemed in a period (a day or a month), net of reversals: units, points, txns; the
/// chart shows the top ten by points.
pub fn items(figures: &Figures, period: &str, lang: Lang, district: bool) -> Option<Report> {
    let days: BTreeSet<String> = period_days(period)?.into_iter().collect();
    // By counter and code (an item belongs to its counter's catalogue).
    let mut by: BTreeMap<(String, String), (i64, i64, i64)> = BTreeMap::new();
    for r in figures
        .tallies
        .iter()
        .filter(|r| r.kind == "redeemed" && days.contains(&r.day))
    {
        let e = by.entry((r.origin.clone(), r.key.clone())).or_default();
        e.0 += r.qty;
        e.1 += r.points;
        e.2 += r.count;
    }
    let mut rows: Vec<Vec<Cell>> = by
        .iter()
        .map(|((origin, code), (qty, points, count))| {
            let mut row = Vec::new();
            if district {
                row.push(Cell::Text(counter_label(figures, origin).1));
            }
            row.extend([
                Cell::Text(code.clone()),
                Cell::Text(name_of(&figures.items, origin, code)),
                Cell::Number(*qty),
                Cell::Number(*points),
                Cell::Number(*count),
            ]);
            row
        })
        .collect();
    let points_at = if district { 4 } else { 3 };
    rows.sort_by_key(|r| -r[points_at].number().unwrap_or(0));
    let mut columns = Vec::new();
    if district {
        columns.push(col(lang.pick("服务点", "counter"), Kind::Text));
    }
    columns.extend([
        col(lang.pick("编号", "code"), Kind::Text),
        col(lang.pick("名称", "name"), Kind::Text),
        col(lang.pick("件数", "units"), Kind::Number),
        col(lang.pick("积分", "points"), Kind::Number),
        col(lang.pick("兑换次数", "redemptions"), Kind::Number),
    ]);
    let (qty, points, count) = by
        .values()
        .fold((0, 0, 0), |a, v| (a.0 + v.0, a.1 + v.1, a.2 + v.2));
    let mut total = vec![Cell::Text(pick(lang, "合计", "Total"))];
    if district {
        total.push(Cell::Empty);
    }
    total.extend([
        Cell::Empty,
        Cell::Number(qty),
        Cell::Number(points),
        Cell::Number(count),
    ]);
    let name_column = if district { 2 } else { 1 };
    Some(Report {
        kind: "items".into(),
        title: pick(lang, "商品与服务兑换", "Goods and services redeemed"),
        period: period.to_string(),
        covers: figures.covers.clone(),
        sections: vec![Section {
            title: pick(lang, "按商品", "By item"),
            columns,
            rows,
            total: Some(total),
            chart: Some(Chart {
                kind: ChartKind::Bar,
                title: pick(lang, "兑换最多的商品（积分）", "Top items (points)"),
                category_column: name_column,
                value_columns: vec![points_at],
                rows_max: Some(10),
                x_title: pick(lang, "商品", "item"),
                y_title: pick(lang, "积分", "points"),
            }),
        }],
    })
}

/// Volunteering in a period by activity: check-ins, hours, points; the earnings reversed in
/// the period (their activity is not recorded) in a row of their own.
pub fn activities(figures: &Figures, period: &str, lang: Lang, district: bool) -> Option<Report> {
    let days: BTreeSet<String> = period_days(period)?.into_iter().collect();
    let mut by: BTreeMap<(String, String), (i64, i64, i64)> = BTreeMap::new();
    for r in figures
        .tallies
        .iter()
        .filter(|r| r.kind == "earned" && days.contains(&r.day))
    {
        let e = by.entry((r.origin.clone(), r.key.clone())).or_default();
        e.0 += r.count;
        e.1 += r.minutes;
        e.2 += r.points;
    }
    let mut rows: Vec<Vec<Cell>> = by
        .iter()
        .map(|((origin, code), (count, minutes, points))| {
            let name = if code == crate::domain::effects::REVERSAL_KEY {
                pick(lang, "冲正（撤销的获得）", "Reversed earnings")
            } else {
                name_of(&figures.activities, origin, code)
            };
            let mut row = Vec::new();
            if district {
                row.push(Cell::Text(counter_label(figures, origin).1));
            }
            row.extend([
                Cell::Text(code.clone()),
                Cell::Text(name),
                Cell::Number(*count),
                Cell::Minutes(*minutes),
                Cell::Number(*points),
            ]);
            row
        })
        .collect();
    let minutes_at = if district { 4 } else { 3 };
    rows.sort_by_key(|r| -r[minutes_at].number().unwrap_or(0));
    let mut columns = Vec::new();
    if district {
        columns.push(col(lang.pick("服务点", "counter"), Kind::Text));
    }
    columns.extend([
        col(lang.pick("编号", "code"), Kind::Text),
        col(lang.pick("活动", "activity"), Kind::Text),
        col(lang.pick("人次", "check-ins"), Kind::Number),
        col(lang.pick("小时", "hours"), Kind::Hours),
        col(lang.pick("积分", "points"), Kind::Number),
    ]);
    let (count, minutes, points) = by
        .values()
        .fold((0, 0, 0), |a, v| (a.0 + v.0, a.1 + v.1, a.2 + v.2));
    let mut total = vec![Cell::Text(pick(lang, "合计", "Total"))];
    if district {
        total.push(Cell::Empty);
    }
    total.extend([
        Cell::Empty,
        Cell::Number(count),
        Cell::Minutes(minutes),
        Cell::Number(points),
    ]);
    let name_column = if district { 2 } else { 1 };
    Some(Report {
        kind: "activities".into(),
        title: pick(lang, "志愿服务时长", "Volunteering by activity"),
        period: period.to_string(),
        covers: figures.covers.clone(),
        sections: vec![Section {
            title: pick(lang, "按活动", "By activity"),
            columns,
            rows,
            total: Some(total),
            chart: Some(Chart {
                kind: ChartKind::Bar,
                title: pick(lang, "各活动服务时长（小时）", "Hours by activity"),
                category_column: name_column,
                value_columns: vec![minutes_at],
                rows_max: Some(12),
                x_title: pick(lang, "活动", "activity"),
                y_title: pick(lang, "小时", "hours"),
            }),
        }],
    })
}

/// One day: points by kind, then activities and items.
pub fn day(figures: &Figures, day: &str, lang: Lang, district: bool) -> Option<Report> {
    let day = checked_day(day)?;
    let one: BTreeSet<&str> = [day.as_str()].into();
    let s = sums(figures.tallies.iter().filter(|r| r.day == day));
    let rows = vec![
        vec![
            Cell::Text(pick(lang, "获得", "earned")),
            Cell::Number(s.earned),
        ],
        vec![
            Cell::Text(pick(lang, "兑换", "spent")),
            Cell::Number(s.spent),
        ],
        vec![
            Cell::Text(pick(lang, "调整", "adjusted")),
            Cell::Number(s.adjusted),
        ],
    ];
    let mut sections = vec![Section {
        title: pick(lang, "当日积分", "Points of the day"),
        columns: vec![
            col(lang.pick("类别", "kind"), Kind::Text),
            col(lang.pick("积分", "points"), Kind::Number),
        ],
        rows,
        total: Some(vec![
            Cell::Text(format!(
                "{} {}",
                lang.pick("服务人次", "resident visits"),
                visits(figures, &one, None)
            )),
            Cell::Empty,
        ]),
        chart: Some(Chart {
            kind: ChartKind::Column,
            title: pick(lang, "当日获得、兑换与调整", "Earned, spent and adjusted"),
            category_column: 0,
            value_columns: vec![1],
            rows_max: None,
            x_title: pick(lang, "类别", "kind"),
            y_title: pick(lang, "积分", "points"),
        }),
    }];
    sections.extend(activities(figures, &day, lang, district)?.sections);
    sections.extend(items(figures, &day, lang, district)?.sections);
    if district {
        sections.push(by_counter(figures, &one, lang));
    }
    Some(Report {
        kind: "day".into(),
        title: pick(lang, "日报", "Day report"),
        period: day,
        covers: figures.covers.clone(),
        sections,
    })
}

/// One line of a resident's statement, as a paper time-bank passbook has it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    /// Local date.
    pub date: String,
    pub content: String,
    pub deposit: i64,
    pub withdrawal: i64,
    pub balance: i64,
}

/// A passbook's statement: every movement, the balance after each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub passbook: String,
    /// Masked.
    pub resident_name: String,
    pub lines: Vec<StatementLine>,
    pub closing: i64,
}

impl Statement {
    /// A statement from a passbook's movements, oldest first: (local date, content, points).
    pub fn of(
        passbook: &str,
        resident_name: &str,
        movements: impl IntoIterator<Item = (String, String, i64)>,
    ) -> Statement {
        let mut balance = 0;
        let lines = movements
            .into_iter()
            .map(|(date, content, points)| {
                balance += points;
                StatementLine {
                    date,
                    content,
                    deposit: points.max(0),
                    withdrawal: (-points).max(0),
                    balance,
                }
            })
            .collect();
        Statement {
            passbook: passbook.to_string(),
            resident_name: resident_name.to_string(),
            lines,
            closing: balance,
        }
    }
}

impl Statement {
    /// From the first movement's day to the last's ("no movements yet" without any).
    pub fn period(&self, lang: Lang) -> String {
        match (self.lines.first(), self.lines.last()) {
            (Some(first), Some(last)) if first.date == last.date => first.date.clone(),
            (Some(first), Some(last)) => format!("{} – {}", first.date, last.date),
            _ => pick(lang, "尚无存取记录", "no movements yet"),
        }
    }
}

/// A resident's statement: 日期, 内容, 存入, 取出, 结余; the chart follows the balance.
pub fn resident(statement: &Statement, covers: &[String], lang: Lang) -> Report {
    let rows = statement
        .lines
        .iter()
        .map(|l| {
            vec![
                Cell::Text(l.date.clone()),
                Cell::Text(l.content.clone()),
                if l.deposit != 0 {
                    Cell::Number(l.deposit)
                } else {
                    Cell::Empty
                },
                if l.withdrawal != 0 {
                    Cell::Number(l.withdrawal)
                } else {
                    Cell::Empty
                },
                Cell::Number(l.balance),
            ]
        })
        .collect();
    let deposits: i64 = statement.lines.iter().map(|l| l.deposit).sum();
    let withdrawals: i64 = statement.lines.iter().map(|l| l.withdrawal).sum();
    Report {
        kind: "resident".into(),
        title: format!(
            "{} {} {}",
            lang.pick("存折对账单", "Passbook statement"),
            statement.passbook,
            crate::present::resident_name(lang, &statement.resident_name)
        ),
        period: statement.period(lang),
        covers: covers.to_vec(),
        sections: vec![Section {
            title: pick(lang, "存折明细", "Movements"),
            columns: vec![
                col(lang.pick("日期", "date"), Kind::Text),
                col(lang.pick("内容", "content"), Kind::Text),
                col(lang.pick("存入", "in"), Kind::Number),
                col(lang.pick("取出", "out"), Kind::Number),
                col(lang.pick("结余", "balance"), Kind::Number),
            ],
            rows,
            total: Some(vec![
                Cell::Text(pick(lang, "合计", "Total")),
                Cell::Empty,
                Cell::Number(deposits),
                Cell::Number(withdrawals),
                Cell::Number(statement.closing),
            ]),
            chart: Some(Chart {
                kind: ChartKind::Line,
                title: pick(lang, "结余", "Balance"),
                category_column: 0,
                value_columns: vec![4],
                rows_max: None,
                x_title: pick(lang, "日期", "date"),
                y_title: pick(lang, "积分", "points"),
            }),
        }],
    }
}

/// An overdrawn passbook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OverdraftLine {
    pub passbook: String,
    pub resident_name: String,
    pub points: i64,
    /// The name of the counter that issued it.
    pub counter: String,
}

/// Passbooks below zero, most owed first.
pub fn overdrafts(lines: &[OverdraftLine], covers: &[String], lang: Lang) -> Report {
    let rows = lines
        .iter()
        .map(|o| {
            vec![
                Cell::Text(o.passbook.clone()),
                Cell::Text(crate::present::resident_name(lang, &o.resident_name)),
                Cell::Number(o.points),
                Cell::Text(o.counter.clone()),
            ]
        })
        .collect();
    Report {
        kind: "overdrafts".into(),
        title: pick(lang, "透支的存折", "Overdrawn passbooks"),
        period: String::new(),
        covers: covers.to_vec(),
        sections: vec![Section {
            title: pick(
                lang,
                "已冻结，由发放服务点的管理员核实后用 adjust 补平",
                "Frozen; the issuing counter's administrator settles them with adjust",
            ),
            columns: vec![
                col(lang.pick("存折", "passbook"), Kind::Text),
                col(lang.pick("居民", "resident"), Kind::Text),
                col(lang.pick("积分", "points"), Kind::Number),
                col(lang.pick("发放服务点", "issued at"), Kind::Text),
            ],
            rows,
            total: Some(vec![
                Cell::Text(pick(lang, "合计", "Total")),
                Cell::Empty,
                Cell::Number(lines.iter().map(|o| o.points).sum()),
                Cell::Empty,
            ]),
            chart: Some(Chart {
                kind: ChartKind::Bar,
                title: pick(lang, "透支积分", "Points owed"),
                category_column: 0,
                value_columns: vec![2],
                rows_max: Some(20),
                x_title: pick(lang, "存折", "passbook"),
                y_title: pick(lang, "积分", "points"),
            }),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(day: &str, kind: &str, key: &str, qty: i64, minutes: i64, points: i64) -> TallyRow {
        TallyRow {
            day: day.into(),
            origin: "h".into(),
            kind: kind.into(),
            key: key.into(),
            count: 1,
            qty,
            minutes,
            points,
        }
    }

    #[test]
    fn the_days_of_a_month_add_up_to_the_month() {
        let figures = Figures {
            tallies: vec![
                tally("2026-02-01", "earned", "A01", 0, 60, 10),
                tally("2026-02-28", "earned", "A01", 0, 30, 5),
                tally("2026-02-28", "redeemed", "G001", 2, 0, 10),
                tally("2026-03-01", "earned", "A01", 0, 60, 10),
            ],
            visits: vec![
                ("2026-02-01".into(), "h".into(), 1),
                ("2026-02-28".into(), "h".into(), 2),
                ("2026-03-01".into(), "h".into(), 4),
            ],
            ..Figures::default()
        };
        let report = month(&figures, "2026-02", Lang::ZhCn, false).unwrap();
        let by_day = &report.sections[0];
        assert_eq!(by_day.rows.len(), 28);
        let earned: i64 = by_day.values(1).iter().sum();
        assert_eq!(earned, 15);
        assert_eq!(by_day.total.as_ref().unwrap()[1], Cell::Number(15));
        assert_eq!(by_day.total.as_ref().unwrap()[2], Cell::Number(10));
        // Visits add up like the points: 1 + 2, March's not counted.
        assert_eq!(by_day.total.as_ref().unwrap()[4], Cell::Number(3));
        assert!(month(&figures, "2026-13", Lang::ZhCn, false).is_none());
        let hours = activities(&figures, "2026-02", Lang::En, false).unwrap();
        assert_eq!(
            hours.sections[0].total.as_ref().unwrap()[3],
            Cell::Minutes(90)
        );
        assert_eq!(Cell::Minutes(90).shown(), "1.5");
    }
}
