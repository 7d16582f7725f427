//! A counter's reports as the community worker hands them in: the month report's figures
//! reconcile with the ledger's postings day by day (a property over random ledgers), the
//! workbook opens again with every cell where the report put it and a chart a sheet, the CSV
//! carries a BOM, a resident's statement closes on the balance and prints like a paper
//! passbook on the simulator, and both imports take the GBK CSV that Excel on a Chinese Windows
//! writes.

mod common;
mod support;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use common::*;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{Ledger, ReceiptKind};
use pointsdesk::report::build::{self, Statement};
use pointsdesk::report::model::{Cell, Report};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeMap;
use std::io::Cursor;

/// The counter's local day of a stored UTC time (the test homes are UTC+8).
fn local_day(recorded_at: &str) -> String {
    DateTime::parse_from_rfc3339(recorded_at)
        .unwrap()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string()
}

fn month_report(ledger: &Ledger, month: &str) -> Report {
    let days = build::days_of_month(month).unwrap();
    build::month(
        &ledger.report_figures(&days, false, Lang::ZhCn).unwrap(),
        month,
        Lang::ZhCn,
        false,
    )
    .unwrap()
}

/// (earned, spent, adjusted) of a row of the month's "by day" section.
fn row_sums(row: &[Cell]) -> (i64, i64, i64) {
    (
        row[1].number().unwrap(),
        row[2].number().unwrap(),
        row[3].number().unwrap(),
    )
}

/// A text as calamine reads it back: an empty text is an empty cell.
fn text(t: &str) -> Data {
    if t.is_empty() {
        Data::Empty
    } else {
        Data::String(t.to_string())
    }
}

/// Every cell of every section, as calamine reads the workbook back, against the report.
fn assert_workbook_matches(report: &Report, bytes: &[u8]) {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).expect("a workbook");
    let names = book.sheet_names().to_vec();
    assert_eq!(names.len(), report.sections.len(), "a sheet a section");
    let top = pointsdesk::report::xlsx::table_header_row(report) as usize;
    for (section, name) in report.sections.iter().zip(&names) {
        let range = book.worksheet_range(name).expect("the sheet reads");
        let at = |r: usize, c: usize| -> Data {
            range
                .get_value((r as u32, c as u32))
                .cloned()
                .unwrap_or(Data::Empty)
        };
        assert_eq!(at(0, 0), Data::String(report.title.clone()));
        assert_eq!(at(1, 0), Data::String(report.period.clone()));
        for (i, line) in report.covers.iter().enumerate() {
            assert_eq!(at(2 + i, 0), text(line));
        }
        for (c, column) in section.columns.iter().enumerate() {
            assert_eq!(at(top, c), Data::String(column.name.clone()), "{name}");
        }
        let rows = section.rows.iter().chain(section.total.iter());
        for (r, row) in rows.enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let got = at(top + 1 + r, c);
                match cell {
                    Cell::Text(t) => assert_eq!(got, text(t), "{name} {r},{c}"),
                    Cell::Number(n) => assert_eq!(got, Data::Float(*n as f64), "{name} {r},{c}"),
                    Cell::Minutes(m) => match got {
                        Data::Float(h) => assert!((h - *m as f64 / 60.0).abs() < 1e-9),
                        other => panic!("{name} {r},{c}: hours as {other:?}"),
                    },
                    Cell::Empty => assert_eq!(got, Data::Empty, "{name} {r},{c}"),
                }
            }
        }
    }
    // The charts are parts of the package (calamine reads cells, not drawings): one a sheet
    // that has rows to draw, each plotting the section's own cells.
    let charted = report
        .sections
        .iter()
        .filter(|s| s.chart.is_some() && !s.rows.is_empty())
        .count();
    for n in 1..=charted {
        let part = format!("xl/charts/chart{n}.xml");
        assert!(
            contains_bytes(bytes, part.as_bytes()),
            "{part} is in the workbook"
        );
    }
    assert!(!contains_bytes(
        bytes,
        format!("xl/charts/chart{}.xml", charted + 1).as_bytes()
    ));
}

#[test]
fn a_month_reconciles_day_by_day_and_reopens_cell_by_cell_in_excel_with_its_charts() {
    let (_dir, mut ledger, admin, volunteer, now) = new_home();
    let (_, a) = resident_with_passbook(&mut ledger, &volunteer, "张三明");
    let (_, b) = resident_with_passbook(&mut ledger, &volunteer, "李秀英");
    let (a_scan, b_scan) = (a.token.as_str().to_string(), b.token.as_str().to_string());
    // 2025-03-14 10:00 local: two hours each.
    earn(&mut ledger, &volunteer, &a_scan, 120);
    earn(&mut ledger, &volunteer, &b_scan, 120);
    redeem(
        &mut ledger,
        &volunteer,
        &a_scan,
        &[("G001", 2), ("S001", 1)],
    )
    .unwrap();
    // 2025-03-31 23:30 local is still March; 00:30 the next day is April.
    set_now(&now, Utc.with_ymd_and_hms(2025, 3, 31, 15, 30, 0).unwrap());
    let late = earn(&mut ledger, &volunteer, &b_scan, 60);
    ledger
        .adjust(&admin, &b.passbook, -3, "盘点调整", None)
        .unwrap();
    set_now(&now, Utc.with_ymd_and_hms(2025, 3, 31, 16, 30, 0).unwrap());
    ledger.reverse(&admin, &late.txn, "记错了", None).unwrap();

    let march = month_report(&ledger, "2025-03");
    let by_day = &march.sections[0];
    assert_eq!(by_day.rows.len(), 31);
    let day = |d: usize| row_sums(&by_day.rows[d - 1]);
    assert_eq!(day(14), (40, 20, 0));
    assert_eq!(day(31), (10, 0, -3));
    let total = by_day.total.as_ref().unwrap();
    assert_eq!(row_sums(total), (50, 20, -3));
    // Visits in March: both on the 14th, B again on the 31st.
    assert_eq!(by_day.rows[13][4], Cell::Number(2));
    assert_eq!(total[4], Cell::Number(3));
    // The reversal is April's: it took back March's last earning on April 1.
    let april = month_report(&ledger, "2025-04");
    assert_eq!(
        row_sums(april.sections[0].total.as_ref().unwrap()),
        (-10, 0, 0)
    );
    let activities = build::activities(
        &ledger
            .report_figures(&build::days_of_month("2025-04").unwrap(), false, Lang::ZhCn)
            .unwrap(),
        "2025-04",
        Lang::ZhCn,
        false,
    )
    .unwrap();
    assert_eq!(
        activities.sections[0].rows[0][1].shown(),
        "冲正（撤销的获得）"
    );

    // The workbook: every cell back, numbers as numbers, a chart.
    let bytes = pointsdesk::report::xlsx::workbook(&march).unwrap();
    assert_workbook_matches(&march, &bytes);
    let items = build::items(
        &ledger
            .report_figures(&build::days_of_month("2025-03").unwrap(), false, Lang::En)
            .unwrap(),
        "2025-03",
        Lang::En,
        false,
    )
    .unwrap();
    assert_workbook_matches(&items, &pointsdesk::report::xlsx::workbook(&items).unwrap());
    assert_eq!(items.sections[0].rows.len(), 2);

    // CSV: a BOM, then the same figures in UTF-8.
    let csv = pointsdesk::report::render::csv(&march);
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.contains("2025-03-14,40,20,0,"), "{text}");
    assert!(text.contains("获得积分"));
}

#[test]
fn a_statement_closes_on_the_balance_and_reads_like_a_paper_passbook() {
    let (_dir, mut ledger, admin, volunteer, now) = new_home();
    let (_, issued) = resident_with_passbook(&mut ledger, &volunteer, "张三明");
    let scan = issued.token.as_str().to_string();
    earn(&mut ledger, &volunteer, &scan, 180);
    advance(&now, Duration::days(2));
    redeem(&mut ledger, &volunteer, &scan, &[("G001", 1)]).unwrap();
    ledger
        .adjust(&admin, &issued.passbook, 7, "补录", None)
        .unwrap();
    let (summary, lines) = ledger.statement(&issued.passbook, Some(&admin)).unwrap();
    let statement = Statement::of(
        &summary.passbook,
        &summary.resident_name,
        lines.iter().map(|l| {
            (
                l.recorded_at[..10].to_string(),
                pointsdesk::present::history_detail(Lang::ZhCn, &l.detail),
                l.points.0,
            )
        }),
    );
    assert_eq!(statement.closing, balance(&ledger, &issued.passbook));
    assert_eq!(statement.closing, 30 - 5 + 7);
    let report = build::resident(&statement, &[], Lang::ZhCn);
    let section = &report.sections[0];
    let heads: Vec<&str> = section.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(heads, ["日期", "内容", "存入", "取出", "结余"]);
    let balances: Vec<i64> = section
        .rows
        .iter()
        .map(|r| r[4].number().unwrap())
        .collect();
    assert_eq!(balances, [30, 25, 32]);
    assert_eq!(section.rows[1][3], Cell::Number(5));
    assert_eq!(section.rows[1][2], Cell::Empty);
    assert!(
        report.title.contains("张*明"),
        "the name is masked: {}",
        report.title
    );
    assert_workbook_matches(
        &report,
        &pointsdesk::report::xlsx::workbook(&report).unwrap(),
    );
}

/// What the test booked, by local day: earned, spent, adjusted.
type Booked = BTreeMap<String, (i64, i64, i64)>;

#[derive(Clone, Debug)]
enum Op {
    Earn { who: usize, quarters: u32 },
    Redeem { who: usize, item: usize, qty: u32 },
    Adjust { who: usize, points: i64 },
    Reverse { pick: usize },
    Hours { hours: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 1..=16u32).prop_map(|(who, quarters)| Op::Earn { who, quarters }),
        3 => (0..3usize, 0..3usize, 1..=3u32).prop_map(|(who, item, qty)| Op::Redeem { who, item, qty }),
        1 => (0..3usize, -20..=20i64).prop_map(|(who, points)| Op::Adjust { who, points }),
        1 => (0..20usize).prop_map(|pick| Op::Reverse { pick }),
        3 => (1..=30i64).prop_map(|hours| Op::Hours { hours }),
    ]
}

fn book(booked: &mut Booked, day: &str, earned: i64, spent: i64, adjusted: i64) {
    let e = booked.entry(day.to_string()).or_default();
    e.0 += earned;
    e.1 += spent;
    e.2 += adjusted;
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let (_dir, mut ledger, admin, volunteer, now) = new_home_with(|l| {
        l.connection()
            .pragma_update(None, "synchronous", "OFF")
            .unwrap()
    });
    // Close to a month's end, so that cases cross into the next month.
    set_now(&now, Utc.with_ymd_and_hms(2025, 3, 27, 1, 0, 0).unwrap());
    ledger.restock(&admin, "G002", 50, None).unwrap();
    let who: Vec<(String, String)> = ["张三明", "李秀英", "王建国"]
        .iter()
        .map(|name| {
            let (_, issued) = resident_with_passbook(&mut ledger, &volunteer, name);
            (issued.passbook, issued.token.as_str().to_string())
        })
        .collect();
    let mut booked = Booked::new();
    let mut txns: Vec<(String, ReceiptKind)> = Vec::new();
    for op in ops {
        let result = match op {
            Op::Earn { who: w, quarters } => ledger
                .earn(&volunteer, &earn_request(&who[*w].1, quarters * 15))
                .map(Some),
            Op::Redeem { who: w, item, qty } => redeem(
                &mut ledger,
                &volunteer,
                &who[*w].1,
                &[(["G001", "G002", "S001"][*item], *qty)],
            )
            .map(Some),
            Op::Adjust { who: w, points } => ledger
                .adjust(&admin, &who[*w].0, *points, "调整", None)
                .map(Some),
            Op::Reverse { pick } if !txns.is_empty() => {
                let (txn, _) = txns[pick % txns.len()].clone();
                ledger.reverse(&admin, &txn, "冲正", None).map(Some)
            }
            Op::Reverse { .. } => Ok(None),
            Op::Hours { hours } => {
                advance(&now, Duration::hours(*hours));
                Ok(None)
            }
        };
        let receipt = match result {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                prop_assert_eq!(e.kind(), pointsdesk::ledger::ErrorKind::Refused, "{:?}", e);
                continue;
            }
        };
        let day = local_day(&receipt.recorded_at);
        let p = receipt.points.0;
        match receipt.kind {
            ReceiptKind::Earn => book(&mut booked, &day, p, 0, 0),
            ReceiptKind::Redeem => book(&mut booked, &day, 0, -p, 0),
            ReceiptKind::Adjustment => book(&mut booked, &day, 0, 0, p),
            ReceiptKind::Reversal => {
                let of = receipt.of_txn.clone().unwrap_or_default();
                match txns.iter().find(|(t, _)| *t == of).map(|(_, k)| *k) {
                    Some(ReceiptKind::Earn) => book(&mut booked, &day, p, 0, 0),
                    Some(ReceiptKind::Redeem) => book(&mut booked, &day, 0, -p, 0),
                    other => prop_assert!(false, "reversed {:?}", other),
                }
            }
        }
        if matches!(receipt.kind, ReceiptKind::Earn | ReceiptKind::Redeem) {
            txns.push((receipt.txn.clone(), receipt.kind));
        }
    }
    let months: std::collections::BTreeSet<String> = ["2025-03".to_string(), "2025-04".to_string()]
        .into_iter()
        .chain(booked.keys().map(|d| d[..7].to_string()))
        .collect();
    let conn = ledger.connection();
    for month in &months {
        let report = month_report(&ledger, month);
        let by_day = &report.sections[0];
        let mut sum = (0, 0, 0);
        for row in &by_day.rows {
            let day = row[0].shown();
            let got = row_sums(row);
            let want = booked.get(&day).copied().unwrap_or_default();
            prop_assert_eq!(got, want, "{}", day);
            // The day report says the same as the month's row.
            let one = build::day(
                &ledger
                    .report_figures(std::slice::from_ref(&day), false, Lang::ZhCn)
                    .unwrap(),
                &day,
                Lang::ZhCn,
                false,
            )
            .unwrap();
            let points: Vec<i64> = one.sections[0]
                .rows
                .iter()
                .map(|r| r[1].number().unwrap())
                .collect();
            prop_assert_eq!(points, vec![got.0, got.1, got.2]);
            sum = (sum.0 + got.0, sum.1 + got.1, sum.2 + got.2);
        }
        // The days add up to the month, every column.
        prop_assert_eq!(row_sums(by_day.total.as_ref().unwrap()), sum);
        for column in [4, 5] {
            let days: i64 = by_day
                .rows
                .iter()
                .map(|r| r[column].number().unwrap())
                .sum();
            prop_assert_eq!(by_day.total.as_ref().unwrap()[column].number(), Some(days));
        }
        // And the month is what the ledger posted to passbooks in it.
        let days = build::days_of_month(month).unwrap();
        let posted: i64 = {
            let mut stmt = conn
                .prepare(
                    "SELECT e.recorded_at, p.points FROM postings p
                     JOIN entries e ON e.position = p.position
                     WHERE p.account LIKE 'passbook:%'",
                )
                .unwrap();
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .filter(|(at, _)| days.contains(&local_day(at)))
                .map(|(_, p)| p)
                .sum()
        };
        prop_assert_eq!(sum.0 - sum.1 + sum.2, posted, "{}", month);
    }
    // Every statement closes on its balance.
    for (passbook, _) in &who {
        let (_, lines) = ledger.statement(passbook, Some(&admin)).unwrap();
        let closing = Statement::of(
            passbook,
            "",
            lines
                .iter()
                .map(|l| (String::new(), String::new(), l.points.0)),
        )
        .closing;
        prop_assert_eq!(closing, balance(&ledger, passbook));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_ledger_reports_what_it_posted_day_by_day_and_statements_close_on_the_balance(
        ops in prop::collection::vec(op(), 1..=40)
    ) {
        run(&ops)?;
    }
}
