//! The ledger's own care at the command line: verify, rebuild, backup, restore.

use super::{CmdResult, Ctx, Failure, output};
use std::path::PathBuf;

pub fn verify(ctx: &Ctx) -> CmdResult {
    let lang = ctx.lang;
    let ledger = ctx.ledger()?;
    let report = ledger.verify()?;
    if ctx.json {
        output::json(&report);
    } else if report.ok {
        println!(
            "{} {} {}，{} {}",
            lang.pick("账本校验通过：", "Ledger verified:"),
            report.entries,
            lang.pick("条记录", "entries"),
            report.series,
            lang.pick("个序列", "series")
        );
    } else {
        eprintln!(
            "{} {}",
            lang.pick("账本校验失败：", "Ledger verification FAILED:"),
            report.problem.clone().unwrap_or_default()
        );
    }
    if report.ok {
        Ok(())
    } else {
        Err(Failure::Exit(super::EXIT_SYSTEM))
    }
}

pub fn rebuild(ctx: &Ctx) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    ctx.admin_session(&mut ledger)?;
    let entries = ledger.rebuild()?;
    ctx.show(&serde_json::json!({"ok": true, "entries": entries}), || {
        println!(
            "{} {entries}",
            lang.pick(
                "已从账本重建全部视图，记录数",
                "Rebuilt all projections from entries:"
            )
        );
    });
    Ok(())
}

pub fn backup(ctx: &Ctx, out: PathBuf) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    ctx.admin_session(&mut ledger)?;
    ledger.backup(&out)?;
    ctx.show(&serde_json::json!({"ok": true, "backup": out}), || {
        println!(
            "{} {}",
            lang.pick("已备份到", "Backed up to"),
            out.display()
        );
    });
    Ok(())
}

pub fn restore(ctx: &Ctx, file: PathBuf, yes: bool) -> CmdResult {
    let lang = ctx.lang;
    let _ = yes;
    let mut ledger = ctx.ledger()?;
    ctx.admin_session(&mut ledger)?;
    let aside = crate::home::aside(&ctx.home.db_path(), "before-restore");
    let entries = ledger.restore(&file, &aside)?;
    if ctx.json {
        output::json(&serde_json::json!({"ok": true, "entries": entries, "previous": aside}));
    } else {
        println!(
            "{} {entries}；{} {}",
            lang.pick("已恢复并校验，记录数", "Restored and verified, entries"),
            lang.pick("原数据库保存在", "previous database kept at"),
            aside.display()
        );
    }
    Ok(())
}
