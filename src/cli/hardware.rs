//! Printer hardware at the command line: ports, status, test print, the simulator, the queue.

use super::args::HwCmd;
use super::printing::CounterPrinter;
use super::{CmdResult, Ctx, Failure, done, output};

pub fn hw(ctx: &Ctx, cmd: HwCmd) -> CmdResult {
    let lang = ctx.lang;
    match cmd {
        HwCmd::Ports => {
            let ports =
                crate::printer::transport::ports().map_err(crate::ledger::LedgerError::from)?;
            let list: Vec<serde_json::Value> = ports
                .iter()
                .map(|(p, k)| serde_json::json!({"port": p, "kind": k}))
                .collect();
            ctx.show(&list, || {
                if ports.is_empty() {
                    println!("{}", lang.pick("没有找到串口。", "No serial ports found."));
                }
                let mut rows = vec![vec![
                    lang.pick("端口", "port").to_string(),
                    lang.pick("类型", "kind").to_string(),
                ]];
                rows.extend(ports.iter().map(|(p, k)| vec![p.clone(), k.clone()]));
                output::table(&rows);
            });
        }
        HwCmd::Status => {
            let mut printer = CounterPrinter::open(ctx)?;
            match printer.service().status() {
                crate::printer::status::Verdict::Ready { paper_near_end } => {
                    println!("{}", lang.pick("打印机正常。", "The printer is ready."));
                    if paper_near_end {
                        println!("{}", crate::printer::status::near_end_warning(lang));
                    }
                }
                crate::printer::status::Verdict::Problem(problem) => {
                    return Err(Failure::Printer(problem.message(lang).to_string()));
                }
                // Not a fault (exit 0): the connection is configured as one that cannot answer.
                crate::printer::status::Verdict::Unknown => {
                    println!("{}", crate::printer::status::unknown_state_message(lang));
                }
            }
        }
        HwCmd::PrintTest => {
            let mut printer = CounterPrinter::open(ctx)?;
            let blocks = crate::printer::layout::test_slip(&printer.service().profile, lang);
            let confirmed = printer.print_blocks(ctx, "test", &blocks)?;
            done(
                ctx,
                if confirmed {
                    lang.pick("测试页已打印", "Test slip printed")
                } else {
                    lang.pick("测试页已发送", "Test slip sent")
                },
                &printer.service().profile.name.clone(),
            );
        }
        HwCmd::PrinterSim { out } => {
            let out_dir = out.unwrap_or_else(|| ctx.home.sim_receipts_dir());
            crate::printer::sim::run_foreground(
                crate::printer::sim::SimConfig {
                    out_dir,
                    state: crate::printer::sim::SimState::Ready,
                    // The paper of the printer it stands in for; the default's when the
                    // config names none (or cannot be read: the simulator needs no home).
                    paper_columns: crate::printer::setup::configured_profile(&ctx.home)
                        .ok()
                        .or_else(|| {
                            crate::printer::profile::Profile::built_in(
                                crate::printer::profile::DEFAULT_PROFILE,
                            )
                        })
                        .map_or(0, |p| p.columns),
                },
                lang,
            )
            .map_err(crate::ledger::LedgerError::from)?;
        }
        HwCmd::Queue => {
            let queue = crate::printer::queue::Queue::open(&ctx.home.print_queue_path())
                .map_err(crate::ledger::LedgerError::from)?;
            let waiting = queue.waiting().map_err(crate::ledger::LedgerError::from)?;
            let list: Vec<serde_json::Value> = waiting
                .iter()
                .map(|j| serde_json::json!({"job": j.id, "txn": j.txn, "kind": j.kind, "problem": j.problem, "attempts": j.attempts, "created_at": j.created_at}))
                .collect();
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("编号", "job").to_string(),
                    lang.pick("交易号", "txn").to_string(),
                    lang.pick("类型", "kind").to_string(),
                    lang.pick("原因", "problem").to_string(),
                ]];
                for j in &waiting {
                    rows.push(vec![
                        j.id.to_string(),
                        j.txn.clone().unwrap_or_default(),
                        crate::present::slip_kind_label(lang, &j.kind).to_string(),
                        j.problem
                            .as_deref()
                            .and_then(crate::printer::status::Problem::parse)
                            .map(|p| p.message(lang).to_string())
                            .unwrap_or_default(),
                    ]);
                }
                output::table(&rows);
            });
        }
    }
    Ok(())
}
