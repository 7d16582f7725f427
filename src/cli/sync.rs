//! The district at a counter's command line: the nightly `sync`, and `sync
//! enroll|export|import|status|heads`.

use super::args::{SyncArgs, SyncCmd};
use super::{CmdResult, Ctx, EXIT_REFUSED, Failure, output, usage};
use crate::district::{EnrolmentFile, Head};
use crate::i18n::Lang;
use crate::ledger::district::{BundleEnd, BundleHeader, ImportReport, SyncStatus};
use crate::ledger::{Ledger, LedgerError};
use crate::sync::bundle::{BundleReader, Frame};
use std::path::{Path, PathBuf};

pub fn sync(ctx: &Ctx, args: SyncArgs) -> CmdResult {
    let Some(cmd) = args.cmd else {
        return super::sync_job::run(ctx, args.hub.as_deref(), args.ca.as_deref());
    };
    match cmd {
        SyncCmd::Enroll {
            file: Some(file), ..
        } => enroll(ctx, &file),
        SyncCmd::Enroll {
            hub: Some(hub),
            code: Some(code),
            ca,
            key,
            allow_http,
            ..
        } => {
            if !allow_http && crate::sync::client::plain_http_elsewhere(&hub) {
                return Err(usage(
                    ctx.lang,
                    &format!(
                        "{hub} 是明文 http://，登记时街道中心会发来全街道居民资料的密钥，网络上谁都能读到。请用 https:// 地址；只有在街道中心信任的内部网络上，才可加 --allow-http。"
                    ),
                    &format!(
                        "{hub} is plain http://: the hub's answer to an enrolment carries the key to every resident's data in the district, readable by anyone on the network. Use the https:// address; only on a network the street office trusts, add --allow-http."
                    ),
                ));
            }
            super::sync_job::enroll(ctx, &hub, &code, ca.as_deref(), key.as_deref())
        }
        SyncCmd::Enroll { .. } => Err(usage(
            ctx.lang,
            "请给 --file 登记文件，或 --hub 地址 和 --code 登记码。",
            "Give --file FILE, or --hub URL and --code CODE.",
        )),
        SyncCmd::Export { out, since } => export(ctx, &out, since.as_deref()),
        SyncCmd::Import { file } => import(ctx, &file),
        SyncCmd::Status => status(ctx),
        SyncCmd::Heads { out } => heads(ctx, &out),
    }
}

pub(super) fn file_error(path: &Path, error: &std::io::Error) -> Failure {
    LedgerError::file(path, error).into()
}

fn enroll(ctx: &Ctx, path: &Path) -> CmdResult {
    let lang = ctx.lang;
    let bytes = std::fs::read(path).map_err(|e| file_error(path, &e))?;
    let file = EnrolmentFile::parse(&bytes).map_err(LedgerError::Enrolment)?;
    let mut ledger = ctx.ledger()?;
    let session = ctx.admin_session(&mut ledger)?;
    let enrolled = ledger.enroll(&session, &file)?;
    ctx.show(&enrolled, || {
        println!(
            "{}",
            match lang {
                Lang::ZhCn => format!(
                    "“{}”已加入“{}”，服务点代码 {}，今后的编号如 {}。登记文件 {} 已用过，请删除。",
                    enrolled.counter,
                    enrolled.district,
                    enrolled.code,
                    example_number(&ledger),
                    path.display()
                ),
                Lang::En => format!(
                    "{} is enrolled in {} with counter code {}; its numbers now read like {}. The enrolment file {} has been used: delete it.",
                    enrolled.counter,
                    enrolled.district,
                    enrolled.code,
                    example_number(&ledger),
                    path.display()
                ),
            }
        );
    });
    Ok(())
}

pub(super) fn example_number(ledger: &Ledger) -> String {
    ledger
        .numbering()
        .number(crate::domain::ids::NumberKind::Passbook, 1)
        .unwrap_or_default()
}

/// The other side's heads: a heads file, or the header of a bundle it made.
fn read_since(lang: Lang, path: &Path) -> Result<Vec<Head>, Failure> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, &e))?;
    if bytes.starts_with(crate::sync::bundle::MAGIC) {
        let mut reader =
            BundleReader::new(bytes.as_slice()).map_err(|_| LedgerError::BundleUnreadable {
                file: path.display().to_string(),
            })?;
        return match reader.next_frame() {
            Ok(Some(Frame::Header(header))) => Ok(header.heads),
            _ => Err(LedgerError::BundleUnreadable {
                file: path.display().to_string(),
            }
            .into()),
        };
    }
    serde_json::from_slice::<HeadsFile>(&bytes)
        .map(|f| f.heads)
        .map_err(|_| {
            usage(
                lang,
                "--since 应为 sync heads 写出的文件，或对方导出的数据包。",
                "--since takes a file written by sync heads, or a bundle the other side made.",
            )
        })
}

#[derive(serde::Serialize, serde::Deserialize)]
struct HeadsFile {
    format: String,
    counter: String,
    heads: Vec<Head>,
}

const HEADS_FORMAT: &str = "pointsdesk-heads";

fn heads(ctx: &Ctx, out: &Path) -> CmdResult {
    let ledger = ctx.ledger_to_read()?;
    let file = HeadsFile {
        format: HEADS_FORMAT.to_string(),
        counter: ledger.series().counter.clone(),
        heads: ledger.heads()?,
    };
    let bytes = serde_json::to_vec_pretty(&file).expect("plain struct serialises");
    crate::hub::home::write_private_new(out, &bytes).map_err(|e| file_error(out, &e))?;
    ctx.show(&file.heads, || {
        println!(
            "{} {} ({} {})",
            ctx.lang.pick("已写出", "Wrote"),
            out.display(),
            file.heads.len(),
            ctx.lang.pick("个序列", "series")
        );
    });
    Ok(())
}

fn export(ctx: &Ctx, out: &Path, since: Option<&Path>) -> CmdResult {
    let lang = ctx.lang;
    let since = match since {
        Some(path) => read_since(lang, path)?,
        None => Vec::new(),
    };
    if out.exists() {
        return Err(LedgerError::FileExists(out.display().to_string()).into());
    }
    let mut ledger = ctx.ledger()?;
    ctx.admin_session(&mut ledger)?;
    // Written beside the target and renamed when whole: a crash leaves no half bundle there.
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    let _ = std::fs::remove_file(&partial);
    let file = crate::keys::create_private_file_replacing(&partial)
        .map_err(|e| file_error(&partial, &e))?;
    let written = write_bundle(&mut ledger, file, &since, &out.display().to_string());
    let header = match written {
        Ok(header) => header,
        Err(failure) => {
            let _ = std::fs::remove_file(&partial);
            return Err(failure);
        }
    };
    std::fs::rename(&partial, out).map_err(|e| file_error(out, &e))?;
    ctx.show(&header, || {
        println!(
            "{}",
            match lang {
                Lang::ZhCn => format!(
                    "已导出 {}：{} 条记录，{} 个序列。",
                    out.display(),
                    header.entries,
                    header.ranges.len()
                ),
                Lang::En => format!(
                    "Exported {}: {} entries of {} series.",
                    out.display(),
                    header.entries,
                    header.ranges.len()
                ),
            }
        );
    });
    Ok(())
}

fn write_bundle(
    ledger: &mut Ledger,
    file: std::fs::File,
    since: &[Head],
    name: &str,
) -> Result<BundleHeader, Failure> {
    let io = |e: std::io::Error| -> LedgerError { LedgerError::file(Path::new(name), &e) };
    let (header, out) =
        crate::sync::export_bundle(ledger, since, name, std::io::BufWriter::new(file))?;
    out.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    Ok(header)
}

fn import(ctx: &Ctx, path: &Path) -> CmdResult {
    let lang = ctx.lang;
    let name = path.display().to_string();
    let input = std::fs::File::open(path).map_err(|e| file_error(path, &e))?;
    let mut ledger = ctx.ledger()?;
    ctx.admin_session(&mut ledger)?;
    let report = crate::sync::import_bundle(&mut ledger, &name, std::io::BufReader::new(input))?;
    // An erasure that arrived is kept in the erasures list too, so that restoring an old
    // backup here never brings the person back.
    for resident in &report.erased {
        ctx.home.record_erasure(resident)?;
    }
    if ctx.json {
        output::json(&report);
    } else {
        print_import(lang, &report);
    }
    let warnings = !report.refused.is_empty()
        || !report.forks.is_empty()
        || !report.missing.is_empty()
        || report.end != Some(BundleEnd::Whole)
        || !report.overdrafts.is_empty();
    if warnings {
        Err(Failure::Exit(EXIT_REFUSED))
    } else {
        Ok(())
    }
}

fn print_import(lang: Lang, report: &ImportReport) {
    print_tone_lines(&crate::present::sync::import_lines(lang, report));
}

pub(super) fn print_tone_lines(lines: &[crate::present::sync::ToneLine]) {
    for (_, line) in lines {
        println!("{line}");
    }
}

fn status(ctx: &Ctx) -> CmdResult {
    let ledger = ctx.ledger_to_read()?;
    let status = ledger.sync_status()?;
    if ctx.json {
        output::json(&status);
    } else {
        print_status(ctx.lang, &status);
    }
    if status.forks.is_empty() && status.overdrafts.is_empty() {
        Ok(())
    } else {
        Err(Failure::Exit(EXIT_REFUSED))
    }
}

fn print_status(lang: Lang, status: &SyncStatus) {
    print_tone_lines(&crate::present::sync::status_lines(lang, status));
}
