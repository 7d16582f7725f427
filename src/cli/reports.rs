//! `pointsdesk report …`: a counter's reports on screen, as a workbook, CSV, or a slip.

use super::args::{ReportArgs, ReportKind, ReportOutput};
use super::{CmdResult, Ctx, Failure, output};
use crate::i18n::Lang;
use crate::ledger::{Ledger, LedgerError};
use crate::report::Report;
use crate::report::build::{self, OverdraftLine, Statement};
use std::path::Path;

pub fn report(ctx: &Ctx, args: ReportArgs) -> CmdResult {
    let lang = ctx.lang;
    let ReportArgs { kind, output: out } = args;
    let mut ledger = ctx.ledger_to_read()?;
    let report = match kind {
        ReportKind::Day { date } => {
            let day = checked_day(&ledger, date.as_deref())?;
            let figures = ledger.report_figures(std::slice::from_ref(&day), out.all, lang)?;
            build::day(&figures, &day, lang, out.all)
        }
        ReportKind::Month { month } => {
            let month = ledger.report_month(month.as_deref())?;
            let days = build::days_of_month(&month).unwrap_or_default();
            build::month(
                &ledger.report_figures(&days, out.all, lang)?,
                &month,
                lang,
                out.all,
            )
        }
        ReportKind::Items { month, date } => {
            let (period, days) = period(&ledger, month.as_deref(), date.as_deref())?;
            build::items(
                &ledger.report_figures(&days, out.all, lang)?,
                &period,
                lang,
                out.all,
            )
        }
        ReportKind::Activities { month, date } => {
            let (period, days) = period(&ledger, month.as_deref(), date.as_deref())?;
            build::activities(
                &ledger.report_figures(&days, out.all, lang)?,
                &period,
                lang,
                out.all,
            )
        }
        ReportKind::Resident { passbook } => Some(statement(ctx, &mut ledger, &passbook)?),
        ReportKind::Overdrafts => {
            let lines: Vec<OverdraftLine> = ledger
                .overdrafts()?
                .into_iter()
                .map(|o| OverdraftLine {
                    passbook: o.passbook,
                    resident_name: o.resident_name,
                    points: o.balance.0,
                    counter: o.counter,
                })
                .collect();
            Some(build::overdrafts(
                &lines,
                &ledger.report_covers(true, lang)?,
                lang,
            ))
        }
    }
    .ok_or_else(|| LedgerError::BadMonth(String::new()))?;
    deliver(ctx, &report, &out)
}

fn checked_day(ledger: &Ledger, date: Option<&str>) -> Result<String, Failure> {
    match date {
        Some(d) => build::checked_day(d).ok_or_else(|| LedgerError::BadDate(d.to_string()).into()),
        None => Ok(ledger.today()),
    }
}

/// A month (default this one) or a day, and its days.
fn period(
    ledger: &Ledger,
    month: Option<&str>,
    date: Option<&str>,
) -> Result<(String, Vec<String>), Failure> {
    if date.is_some() {
        let day = checked_day(ledger, date)?;
        return Ok((day.clone(), vec![day]));
    }
    let month = ledger.report_month(month)?;
    let days = build::days_of_month(&month).unwrap_or_default();
    Ok((month, days))
}

/// A resident's statement, by scan, or by number for an administrator.
fn statement(ctx: &Ctx, ledger: &mut Ledger, passbook: &str) -> Result<Report, Failure> {
    let lang = ctx.lang;
    let by_scan = ledger.statement(passbook, None);
    let (summary, lines) = match by_scan {
        Ok(found) => found,
        Err(_) if ctx.operator.is_some() => {
            let session = ctx.admin_session(ledger)?;
            ledger.statement(passbook, Some(&session))?
        }
        Err(e) => return Err(e.into()),
    };
    let statement = Statement::of(
        &summary.passbook,
        &summary.resident_name,
        lines.iter().map(|l| {
            (
                l.recorded_at
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                crate::present::history_detail(lang, &l.detail),
                l.points.0,
            )
        }),
    );
    debug_assert_eq!(statement.closing, summary.balance.0);
    Ok(build::resident(
        &statement,
        &ledger.report_covers(true, lang)?,
        lang,
    ))
}

/// Writes a file owner-only, replacing one that is there.
pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let mut file = crate::keys::create_private_file_replacing(path)
        .map_err(|e| super::sync::file_error(path, &e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| super::sync::file_error(path, &e))
}

/// Shows the report and writes or prints it as asked.
pub(super) fn deliver(ctx: &Ctx, report: &Report, out: &ReportOutput) -> CmdResult {
    let lang = ctx.lang;
    if ctx.json {
        output::json(report);
    } else {
        output::lines(&crate::report::render::lines(report));
    }
    if let Some(path) = &out.csv {
        write_file(path, &crate::report::render::csv(report))?;
        said(ctx, lang, path);
    }
    if let Some(path) = &out.xlsx {
        let bytes = crate::report::xlsx::workbook(report).map_err(|e| {
            Failure::from(LedgerError::file(
                path,
                &std::io::Error::other(e.to_string()),
            ))
        })?;
        write_file(path, &bytes)?;
        said(ctx, lang, path);
    }
    if out.print {
        let mut printer = super::printing::CounterPrinter::open(ctx)?;
        printer.print_blocks(ctx, "report", &crate::report::render::slip(report, lang))?;
    }
    Ok(())
}

fn said(ctx: &Ctx, lang: Lang, path: &Path) {
    if !ctx.json {
        eprintln!("{} {}", lang.pick("已写出", "Wrote"), path.display());
    }
}
