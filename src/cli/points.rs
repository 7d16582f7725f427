//! Points at the command line: earn, redeem, reverse, adjust, balance and history, reprint and
//! the day close.

use super::args::{AdjustArgs, EarnArgs, RedeemArgs, ReverseArgs};
use super::printing::CounterPrinter;
use super::{
    CmdResult, Ctx, Failure, done, open_printer_if, output, print_if, show_receipt, usage,
};
use crate::i18n::Lang;
use crate::ledger::{EarnRequest, RedeemRequest};

pub fn earn(ctx: &Ctx, args: EarnArgs) -> CmdResult {
    let EarnArgs {
        passbook,
        activity,
        hours,
        event,
        txn,
        print,
    } = args;
    let minutes = parse_hours(&hours)?;
    let mut printer = open_printer_if(ctx, print)?;
    let mut ledger = ctx.ledger()?;
    let session = ctx.session(&mut ledger)?;
    let receipt = ledger.earn(
        &session,
        &EarnRequest {
            scan: passbook,
            activity,
            minutes,
            event,
            txn,
            confirmed_by: None,
        },
    )?;
    show_receipt(ctx, &receipt);
    print_if(ctx, &ledger, &receipt, printer.as_mut())
}

pub fn redeem(ctx: &Ctx, args: RedeemArgs) -> CmdResult {
    let lang = ctx.lang;
    let RedeemArgs {
        passbook,
        items,
        txn,
        print,
    } = args;
    let lines = items
        .iter()
        .map(|i| parse_item(lang, i))
        .collect::<Result<Vec<_>, _>>()?;
    let mut printer = open_printer_if(ctx, print)?;
    let mut ledger = ctx.ledger()?;
    let session = ctx.session(&mut ledger)?;
    let receipt = ledger.redeem(
        &session,
        &RedeemRequest {
            scan: passbook,
            lines,
            txn,
            confirmed_by: None,
        },
    )?;
    show_receipt(ctx, &receipt);
    print_if(ctx, &ledger, &receipt, printer.as_mut())
}

pub fn reverse(ctx: &Ctx, args: ReverseArgs) -> CmdResult {
    let ReverseArgs {
        txn,
        reason,
        as_txn,
        print,
    } = args;
    let mut printer = open_printer_if(ctx, print)?;
    let mut ledger = ctx.ledger()?;
    let session = ctx.admin_session(&mut ledger)?;
    let receipt = ledger.reverse(&session, &txn, &reason, as_txn)?;
    show_receipt(ctx, &receipt);
    print_if(ctx, &ledger, &receipt, printer.as_mut())
}

pub fn adjust(ctx: &Ctx, args: AdjustArgs) -> CmdResult {
    let AdjustArgs {
        passbook,
        points,
        reason,
        txn,
    } = args;
    let mut ledger = ctx.ledger()?;
    let session = ctx.admin_session(&mut ledger)?;
    let receipt = ledger.adjust(&session, &passbook, points, &reason, txn)?;
    show_receipt(ctx, &receipt);
    Ok(())
}

/// Latest entries a `balance --json` carries (a person reading `balance` gets none).
const BALANCE_JSON_LAST_ENTRIES: usize = 10;

/// A balance is the account without its history lines (for a person; scripts get the last
/// entries too).
pub fn show_account(ctx: &Ctx, scan: &str, history_lines: usize) -> CmdResult {
    let history_lines = if ctx.json && history_lines == 0 {
        BALANCE_JSON_LAST_ENTRIES
    } else {
        history_lines
    };
    let account = ctx.ledger_to_read()?.account(scan, history_lines)?;
    ctx.show(&account, || {
        output::lines(&crate::present::account_lines(
            ctx.lang,
            &account,
            history_lines > 0,
        ))
    });
    Ok(())
}

pub fn reprint(ctx: &Ctx, scan: &str) -> CmdResult {
    let mut printer = CounterPrinter::open(ctx)?;
    let mut ledger = ctx.ledger()?;
    let txn = ledger.resolve_txn(scan)?;
    ctx.session(&mut ledger)?;
    match ledger.receipt(&txn) {
        Ok(receipt) => printer.print_receipt(ctx, &ledger, &receipt, true)?,
        Err(crate::ledger::LedgerError::TxnUnknown(_)) => {
            // Not a points txn: a slip of its own that waits in the queue (a passbook slip).
            let waiting = printer
                .service()
                .queue()
                .waiting_for(&txn)
                .map_err(crate::ledger::LedgerError::from)?;
            let job = waiting
                .last()
                .ok_or(crate::ledger::LedgerError::TxnUnknown(txn.clone()))?;
            let blocks = crate::printer::print::mark_copy(&job.blocks, ctx.lang);
            let kind = job.kind.clone();
            let outcome = printer
                .service()
                .reprint(&txn, &kind, &blocks)
                .map_err(crate::ledger::LedgerError::from)?;
            printer.report(ctx, Some(&txn), outcome)?;
        }
        Err(e) => return Err(e.into()),
    }
    done(ctx, ctx.lang.pick("已重印", "Reprinted"), &txn);
    Ok(())
}

pub fn day_close(ctx: &Ctx, date: Option<String>, print: bool) -> CmdResult {
    let lang = ctx.lang;
    let mut printer = open_printer_if(ctx, print)?;
    let mut ledger = if print {
        ctx.ledger()?
    } else {
        ctx.ledger_to_read()?
    };
    let day = date.unwrap_or_else(|| ledger.today());
    let totals = ledger.day_totals(&day)?;
    ctx.show(&totals, || {
        let mut rows = vec![vec![
            lang.pick("类型", "kind").to_string(),
            lang.pick("笔数", "count").to_string(),
            lang.pick("积分", "points").to_string(),
        ]];
        for t in &totals {
            rows.push(vec![
                crate::present::daily_label(lang, &t.kind).to_string(),
                t.count.to_string(),
                t.points.to_string(),
            ]);
        }
        println!("{} {day}", lang.pick("日结", "Day close"));
        output::table(&rows);
    });
    if let Some(printer) = printer.as_mut() {
        let session = ctx.session(&mut ledger)?;
        let now = crate::store::log::format_time(ledger.now());
        let header = crate::present::slip_header(&ledger, Some(session.operator()), &now);
        let close = crate::printer::layout::DayClose {
            day: day.clone(),
            rows: totals
                .iter()
                .map(|t| {
                    (
                        crate::present::daily_label(lang, &t.kind).to_string(),
                        t.count,
                        t.points.0,
                    )
                })
                .collect(),
        };
        printer.print_blocks(
            ctx,
            "day_close",
            &crate::printer::layout::day_close_slip(&header, &close, lang, false),
        )?;
    }
    Ok(())
}

/// Hours as typed → minutes, by the one rule of `domain::hours`.
fn parse_hours(text: &str) -> Result<u32, Failure> {
    crate::domain::hours::parse_hours(text)
        .map_err(|_| crate::ledger::LedgerError::BadHours(text.trim().to_string()).into())
}

/// "G001:2" → ("G001", 2); "G001" → ("G001", 1).
fn parse_item(lang: Lang, text: &str) -> Result<(String, u32), Failure> {
    match text.rsplit_once(':') {
        Some((item, qty)) => {
            let qty = qty.trim().parse().map_err(|_| {
                Failure::from(crate::ledger::LedgerError::BadQuantity(qty.to_string()))
            })?;
            Ok((item.to_string(), qty))
        }
        None if text.trim().is_empty() => Err(usage(lang, "商品编号为空", "Empty item code")),
        None => Ok((text.to_string(), 1)),
    }
}
