//! Passbooks at the command line: issue (the QR shown once, PNG/SVG, slip), reissue, revoke,
//! show.

use super::args::{PassbookCmd, QrFiles};
use super::{CmdResult, Ctx, Failure, done, open_printer_if, output};
use crate::passbook::qr;

pub fn passbook(ctx: &Ctx, cmd: PassbookCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    match cmd {
        PassbookCmd::Issue { resident, qr } => {
            let mut printer = open_printer_if(ctx, qr.print)?;
            let session = ctx.session(&mut ledger)?;
            let issued = ledger.issue_passbook(&session, &resident)?;
            show_issued(ctx, &issued, &qr)?;
            if let Some(printer) = printer.as_mut() {
                printer.print_passbook(ctx, &ledger, &session, &issued)?;
            }
        }
        PassbookCmd::Reissue {
            passbook,
            reason,
            qr,
        } => {
            let mut printer = open_printer_if(ctx, qr.print)?;
            let session = ctx.session(&mut ledger)?;
            let issued = ledger.reissue_passbook(&session, &passbook, &reason)?;
            if !ctx.json {
                println!(
                    "{}",
                    lang.pick("旧存折已作废。", "The old passbook is revoked.")
                );
            }
            show_issued(ctx, &issued, &qr)?;
            if let Some(printer) = printer.as_mut() {
                printer.print_passbook(ctx, &ledger, &session, &issued)?;
            }
        }
        PassbookCmd::Revoke { passbook, reason } => {
            let session = ctx.session(&mut ledger)?;
            ledger.revoke_passbook(&session, &passbook, &reason)?;
            done(ctx, lang.pick("已作废存折", "Revoked passbook"), &passbook);
        }
        PassbookCmd::Show { passbook } => {
            let view = ledger.passbook(&passbook)?;
            ctx.show(&view, || {
                output::table(&[
                    vec![
                        lang.pick("存折", "passbook").to_string(),
                        view.passbook.clone(),
                    ],
                    vec![
                        lang.pick("居民", "resident").to_string(),
                        format!("{} {}", view.resident, view.resident_name),
                    ],
                    vec![lang.pick("状态", "status").to_string(), view.status.clone()],
                    vec![
                        lang.pick("发放时间", "issued").to_string(),
                        view.issued_at.clone(),
                    ],
                    vec![
                        lang.pick("余额", "balance").to_string(),
                        view.balance.to_string(),
                    ],
                ]);
            });
        }
    }
    Ok(())
}

fn write_qr_files(ctx: &Ctx, token: &str, files: &QrFiles) -> Result<(), Failure> {
    let code = qr::encode(token).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(path) = &files.png {
        let file = std::fs::File::create(path).map_err(crate::ledger::LedgerError::from)?;
        qr::write_png(&code, std::io::BufWriter::new(file))
            .map_err(|e| crate::ledger::LedgerError::Io(std::io::Error::other(e)))?;
    }
    if let Some(path) = &files.svg {
        std::fs::write(path, qr::to_svg(&code)).map_err(crate::ledger::LedgerError::from)?;
    }
    if !ctx.json {
        println!("{}", qr::to_terminal(&code));
    }
    Ok(())
}

fn show_issued(ctx: &Ctx, issued: &crate::ledger::IssuedPassbook, files: &QrFiles) -> CmdResult {
    if ctx.json {
        output::json(&serde_json::json!({
            "ok": true, "passbook": issued.passbook, "resident": issued.resident,
            "scan": issued.token.as_str(), "txn": issued.txn,
        }));
    } else {
        println!(
            "{} {}  {} {}",
            ctx.lang.pick("存折编号", "Passbook"),
            issued.passbook,
            ctx.lang.pick("居民", "resident"),
            issued.resident
        );
        println!(
            "{} {}",
            ctx.lang.pick(
                "扫码内容（只显示这一次，请立即打印或保存二维码）：",
                "Scan payload (shown only this once; print or save the QR now):"
            ),
            issued.token.as_str()
        );
    }
    write_qr_files(ctx, issued.token.as_str(), files)
}
