//! Passbooks at the command line: issue (the QR shown once, PNG/SVG, slip), reissue, revoke,
//! show, and the numbers issued to two people.

use super::args::{PassbookCmd, QrFiles};
use super::{CmdResult, Ctx, Failure, done, open_printer_if, output};
use crate::ledger::LedgerError;
use crate::passbook::qr;
use std::path::PathBuf;

pub fn passbook(ctx: &Ctx, cmd: PassbookCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = match cmd {
        PassbookCmd::Show { .. } | PassbookCmd::Conflicts => ctx.ledger_to_read()?,
        _ => ctx.ledger()?,
    };
    match cmd {
        PassbookCmd::Issue { resident, qr } => {
            let mut printer = open_printer_if(ctx, qr.print)?;
            let session = ctx.session(&mut ledger)?;
            let files = QrOutputs::create(&qr)?;
            let issued = ledger.issue_passbook(&session, &resident)?;
            show_issued(ctx, &issued, files)?;
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
            let files = QrOutputs::create(&qr)?;
            let issued = ledger.reissue_passbook(&session, &passbook, &reason)?;
            if !ctx.json {
                println!(
                    "{}",
                    lang.pick("旧存折已作废。", "The old passbook is revoked.")
                );
            }
            show_issued(ctx, &issued, files)?;
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
                        format!(
                            "{} {}",
                            view.resident,
                            crate::present::resident_name(lang, &view.resident_name)
                        ),
                    ],
                    vec![
                        lang.pick("状态", "status").to_string(),
                        crate::present::passbook_status_label(lang, &view.status).to_string(),
                    ],
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
        PassbookCmd::Conflicts => {
            let shared = ledger.shared_passbooks()?;
            ctx.show(&shared, || {
                for line in crate::present::people::shared_passbook_lines(lang, &shared) {
                    println!("{line}");
                }
            });
        }
    }
    Ok(())
}

/// The PNG and SVG files asked for, created (owner-only: they hold the passbook's secret)
/// before the passbook is issued, so that a path that cannot be written is refused before a
/// token exists that nobody could save. Dropped unwritten, they are removed again.
struct QrOutputs {
    png: Option<(PathBuf, std::fs::File)>,
    svg: Option<(PathBuf, std::fs::File)>,
}

impl QrOutputs {
    fn create(files: &QrFiles) -> Result<QrOutputs, Failure> {
        let open = |path: &PathBuf| -> Result<(PathBuf, std::fs::File), Failure> {
            let file = crate::keys::create_private_file_replacing(path)
                .map_err(|e| LedgerError::file(path, &e))?;
            Ok((path.clone(), file))
        };
        let png = files.png.as_ref().map(open).transpose()?;
        let svg = match files.svg.as_ref().map(open).transpose() {
            Ok(svg) => svg,
            Err(e) => {
                if let Some((path, _)) = &png {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
        };
        Ok(QrOutputs { png, svg })
    }

    fn write(mut self, code: &qrcode::QrCode) -> Result<(), Failure> {
        use std::io::Write;
        if let Some((path, file)) = self.png.take() {
            qr::write_png(code, std::io::BufWriter::new(file))
                .map_err(|e| LedgerError::file(&path, &std::io::Error::other(e)))?;
        }
        if let Some((path, mut file)) = self.svg.take() {
            file.write_all(qr::to_svg(code).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| LedgerError::file(&path, &e))?;
        }
        Ok(())
    }
}

impl Drop for QrOutputs {
    fn drop(&mut self) {
        for (path, _) in [self.png.take(), self.svg.take()].into_iter().flatten() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn write_qr_files(ctx: &Ctx, token: &str, files: QrOutputs) -> Result<(), Failure> {
    let code = qr::encode(token).map_err(|e| Failure::Usage(e.to_string()))?;
    files.write(&code)?;
    if !ctx.json {
        println!("{}", qr::to_terminal(&code));
    }
    Ok(())
}

fn show_issued(ctx: &Ctx, issued: &crate::ledger::IssuedPassbook, files: QrOutputs) -> CmdResult {
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
