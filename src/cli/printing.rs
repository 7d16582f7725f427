//! The command line's printer: the configured profile and transport, or the built-in
//! simulator when none is configured (and the operator is told so). Turns print outcomes into
//! messages: a slip that did not print says why, what to do, and that the points are booked.

use super::{Ctx, Failure};
use crate::ledger::{Ledger, LedgerError, Receipt, Session};
use crate::printer::layout::{self, Block};
use crate::printer::print::{Outcome, PrintService};
use crate::printer::setup;
use crate::printer::sim::Simulator;
use crate::printer::status;
use std::time::Duration;

/// How long the command waits for the simulator to show a slip it was sent.
const SIM_RECEIPT_WAIT_MS: u64 = 5_000;

pub struct CounterPrinter {
    service: PrintService,
    /// The simulator standing in for a printer, when none is configured.
    sim: Option<Simulator>,
}

/// The command that prints a slip again.
fn reprint_command(txn: Option<&str>) -> String {
    match txn {
        Some(txn) => format!("pointsdesk reprint {txn}"),
        None => "pointsdesk reprint".to_string(),
    }
}

impl CounterPrinter {
    pub fn open(ctx: &Ctx) -> Result<CounterPrinter, Failure> {
        let (service, sim) = setup::configured(&ctx.home).map_err(|e| match e {
            setup::SetupError::Config(_) => Failure::Usage(e.message(ctx.lang)),
            setup::SetupError::Queue(e) => Failure::Ledger(LedgerError::from(e)),
            setup::SetupError::Io(_) => Failure::Printer(e.message(ctx.lang)),
        })?;
        if sim.is_some() && !ctx.json {
            eprintln!(
                "{} {}",
                ctx.lang.pick(
                    "未配置打印机，小票发到模拟打印机，文本保存在",
                    "No printer configured: slips go to the printer simulator, saved in"
                ),
                ctx.home.sim_receipts_dir().display()
            );
        }
        Ok(CounterPrinter { service, sim })
    }

    pub fn service(&mut self) -> &mut PrintService {
        &mut self.service
    }

    /// Says what happened to a slip. `Err` (exit 3) when it did not print: the points are
    /// booked, the slip waits in the queue, and the message says how to get it. `Ok(true)`
    /// when the printer confirmed it, `Ok(false)` when it was sent to one that cannot say.
    pub fn report(&self, ctx: &Ctx, txn: Option<&str>, outcome: Outcome) -> Result<bool, Failure> {
        match outcome {
            Outcome::Printed { paper_near_end, .. } => {
                if let Some(sim) = &self.sim {
                    let shown = sim.wait_receipts(
                        sim.receipts().len().max(1),
                        Duration::from_millis(SIM_RECEIPT_WAIT_MS),
                    );
                    if let (Some(slip), false) = (shown.last(), ctx.json) {
                        println!(
                            "{}\n{slip}",
                            ctx.lang.pick(
                                "—— 模拟打印机打印的小票 ——",
                                "—— slip printed by the simulator ——"
                            )
                        );
                    }
                }
                if paper_near_end {
                    eprintln!("{}", status::near_end_warning(ctx.lang));
                }
                Ok(true)
            }
            Outcome::SentUnchecked { .. } => {
                // Sent, so not a failure (exit 0); but nobody knows whether paper came out, and
                // the operator is the only one who can look.
                eprintln!(
                    "{} {} {}",
                    status::sent_unchecked_message(ctx.lang),
                    ctx.lang.pick("重印：", "To reprint:"),
                    reprint_command(txn)
                );
                Ok(false)
            }
            Outcome::Queued { problem, .. } => {
                let then = reprint_command(txn);
                Err(Failure::Printer(format!(
                    "{} {} {then}",
                    problem.message(ctx.lang),
                    ctx.lang.pick(
                        "已记账的内容不受影响；小票已排队，处理好后运行：",
                        "What was booked stands; the slip is queued. When fixed, run:"
                    )
                )))
            }
        }
    }

    /// Prints the slip of a points txn just committed (or a copy of an earlier one).
    pub fn print_receipt(
        &mut self,
        ctx: &Ctx,
        ledger: &Ledger,
        receipt: &Receipt,
        copy: bool,
    ) -> Result<(), Failure> {
        let header =
            crate::present::slip_header(ledger, receipt.operator.as_deref(), &receipt.recorded_at);
        let blocks = layout::txn_slip(&header, receipt, ctx.lang, copy);
        let kind = format!("{:?}", receipt.kind).to_lowercase();
        let outcome = if copy {
            self.service.reprint(&receipt.txn, &kind, &blocks)
        } else {
            self.service.submit(Some(&receipt.txn), &kind, &blocks)
        }
        .map_err(LedgerError::from)?;
        self.report(ctx, Some(&receipt.txn), outcome).map(drop)
    }

    /// Prints the slip of a passbook just issued: its QR and number.
    pub fn print_passbook(
        &mut self,
        ctx: &Ctx,
        ledger: &Ledger,
        session: &Session,
        issued: &crate::ledger::IssuedPassbook,
    ) -> Result<(), Failure> {
        let now = crate::store::log::format_time(ledger.now());
        let header = crate::present::slip_header(ledger, Some(session.operator()), &now);
        let name = ledger.passbook(&issued.passbook)?.resident_name;
        let blocks = layout::passbook_slip(
            &header,
            &issued.passbook,
            &name,
            issued.token.as_str(),
            ctx.lang,
        );
        let outcome = self
            .service
            .submit(Some(&issued.txn), "passbook", &blocks)
            .map_err(LedgerError::from)?;
        self.report(ctx, Some(&issued.txn), outcome).map(drop)
    }

    /// Prints any slip given as blocks (test prints, day close); `Ok(true)` when the printer
    /// confirmed it (see [`CounterPrinter::report`]).
    pub fn print_blocks(
        &mut self,
        ctx: &Ctx,
        kind: &str,
        blocks: &[Block],
    ) -> Result<bool, Failure> {
        let outcome = self
            .service
            .submit(None, kind, blocks)
            .map_err(LedgerError::from)?;
        self.report(ctx, None, outcome)
    }
}
