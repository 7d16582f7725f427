//! `pointsdesk doctor` at the command line: gathers the facts, prints each finding with its
//! verdict in the operator's language (or the whole report as JSON), exits 0, 1 or 3.

use super::{CmdResult, Ctx, Failure};
use crate::doctor::{Report, Status};
use crate::i18n::Lang;
use unicode_width::UnicodeWidthStr;

pub fn doctor(ctx: &Ctx) -> CmdResult {
    let facts = crate::doctor::probe::gather(&ctx.home, ctx.lang);
    let report = crate::doctor::assess(&facts, Lang::En);
    // The log keeps the English wording, whatever the screen's language.
    for finding in report
        .findings
        .iter()
        .filter(|f| f.status >= Status::Warning)
    {
        tracing::warn!(check = ?finding.check, status = ?finding.status, "doctor: {}", finding.message);
    }
    tracing::info!(exit_code = report.exit_code, "doctor done");
    let report = if ctx.lang == Lang::En {
        report
    } else {
        crate::doctor::assess(&facts, ctx.lang)
    };
    ctx.show(&report, || print(ctx.lang, &report));
    match report.exit_code {
        0 => Ok(()),
        code => Err(Failure::Exit(code)),
    }
}

fn verdict(status: Status, lang: Lang) -> &'static str {
    match status {
        Status::Ok => lang.pick("正常", "ok"),
        Status::Skipped => lang.pick("不适用", "n/a"),
        Status::Warning => lang.pick("注意", "WARNING"),
        Status::Fault => lang.pick("故障", "FAULT"),
    }
}

fn print(lang: Lang, report: &Report) {
    let pad = |text: &str, width: usize| {
        format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
    };
    let verdict_width = report
        .findings
        .iter()
        .map(|f| verdict(f.status, lang).width())
        .max()
        .unwrap_or(0);
    let label_width = report
        .findings
        .iter()
        .map(|f| f.check.label(lang).width())
        .max()
        .unwrap_or(0);
    for f in &report.findings {
        println!(
            "[{}] {}  {}",
            pad(verdict(f.status, lang), verdict_width),
            pad(f.check.label(lang), label_width),
            f.message
        );
    }
    let count = |s: Status| report.findings.iter().filter(|f| f.status == s).count();
    let (faults, warnings) = (count(Status::Fault), count(Status::Warning));
    println!();
    println!(
        "{}",
        match (report.status, lang) {
            (Status::Fault, Lang::ZhCn) => format!(
                "{faults} 项故障、{warnings} 项注意：请先处理“故障”各项（柜台可能无法正常兑换或打印）。"
            ),
            (Status::Fault, Lang::En) => format!(
                "{faults} faults, {warnings} warnings: deal with the faults first (the counter may not redeem or print)."
            ),
            (Status::Warning, Lang::ZhCn) => format!("柜台可以使用；有 {warnings} 项需要注意。"),
            (Status::Warning, Lang::En) =>
                format!("The counter works; {warnings} things need attention."),
            (_, Lang::ZhCn) => "一切正常。".to_string(),
            (_, Lang::En) => "All is well.".to_string(),
        }
    );
}
