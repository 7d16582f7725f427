//! `pointsdesk sync` (the nightly job) and `sync enroll --hub --code`: a counter and the hub
//! over the network. A person at a terminal sees a progress bar; under systemd (no terminal)
//! every step is one plain log line.

use super::{CmdResult, Ctx, EXIT_REFUSED, Failure, output};
use crate::i18n::Lang;
use crate::ledger::LedgerError;
use crate::sync::client::{ClientError, HubClient};
use crate::sync::nightly::{self, Step, Summary};
use std::io::IsTerminal;
use std::path::Path;

fn read_ca(ca: Option<&Path>) -> Result<Option<String>, Failure> {
    ca.map(|path| std::fs::read_to_string(path).map_err(|e| super::sync::file_error(path, &e)))
        .transpose()
}

/// A refused enrolment is the operator's to put right (exit 1); anything else is a failure of
/// the sync (exit 3).
fn client_failure(lang: Lang, hub: &str, error: &ClientError) -> Failure {
    use crate::district::protocol::Refusal;
    match error {
        ClientError::Refused(body)
            if matches!(
                body.refusal,
                Refusal::BadCode | Refusal::UsedCode | Refusal::ExpiredCode | Refusal::OtherCounter
            ) =>
        {
            Failure::HubRefused(error.message(lang, hub))
        }
        _ => Failure::Sync(error.message(lang, hub)),
    }
}

/// Why `sync enroll --hub` failed, and that nothing was installed: the enrolment file is
/// installed only once the hub took the certificate, so the counter is as it was before.
fn enrolment_failure(lang: Lang, hub: &str, error: &ClientError, was_enrolled: bool) -> Failure {
    let state = match (was_enrolled, lang) {
        (false, Lang::ZhCn) => {
            "本机没有加入街道（什么都没有改）。问题解决后，用新的登记码再运行一次 sync enroll。"
        }
        (false, Lang::En) => {
            "This counter is not enrolled (nothing was changed). Once the problem is solved, run sync enroll again with a new code."
        }
        (true, Lang::ZhCn) => {
            "本机的登记没有改变，仍按原来的登记同步。问题解决后，用新的登记码再运行一次 sync enroll。"
        }
        (true, Lang::En) => {
            "This counter's enrolment is unchanged; it syncs as before. Once the problem is solved, run sync enroll again with a new code."
        }
    };
    match client_failure(lang, hub, error) {
        Failure::HubRefused(message) => Failure::HubRefused(format!("{message}\n{state}")),
        Failure::Sync(message)
            if matches!(error, ClientError::Refused(body)
                if body.refusal != crate::district::protocol::Refusal::Store) =>
        {
            Failure::HubRefused(format!("{message}\n{state}"))
        }
        Failure::Sync(message) => Failure::Sync(format!("{message}\n{state}")),
        other => other,
    }
}

/// `sync enroll --hub URL --code CODE`: enrols this counter over the network; on a new PC
/// (no ledger here yet) takes the counter's ledger back from the hub.
pub fn enroll(
    ctx: &Ctx,
    hub: &str,
    code: &str,
    ca: Option<&Path>,
    key: Option<&Path>,
) -> CmdResult {
    let lang = ctx.lang;
    let ca_pem = read_ca(ca)?;
    let client =
        HubClient::new(hub, ca_pem.as_deref()).map_err(|e| client_failure(lang, hub, &e))?;
    if !ctx.home.db_path().exists() {
        return recover(ctx, &client, code, key, ca_pem.as_deref());
    }
    if key.is_some() {
        return Err(super::usage(
            lang,
            "--key 只用于在新电脑上找回服务点：这里已经有服务点了。",
            "--key is for taking a counter back onto a new PC: there is a counter here already.",
        ));
    }
    let mut ledger = ctx.ledger()?;
    let session = ctx.admin_session(&mut ledger)?;
    let was_enrolled = ledger.district()?.is_some();
    let enrolled = match nightly::enroll(&mut ledger, &session, &client, code, ca_pem.as_deref()) {
        Ok(enrolled) => enrolled,
        Err(nightly::SyncError::Client(e)) => {
            return Err(enrolment_failure(lang, hub, &e, was_enrolled));
        }
        Err(nightly::SyncError::Ledger(e)) => return Err(e.into()),
    };
    ctx.show(&enrolled, || {
        println!(
            "{}",
            match lang {
                Lang::ZhCn => format!(
                    "“{}”已加入“{}”，服务点代码 {}，今后的编号如 {}。每晚的同步连到 {}（pointsdesk sync）。",
                    enrolled.counter,
                    enrolled.district,
                    enrolled.code,
                    super::sync::example_number(&ledger),
                    client.base()
                ),
                Lang::En => format!(
                    "{} is enrolled in {} with counter code {}; its numbers now read like {}. The nightly sync goes to {} (pointsdesk sync).",
                    enrolled.counter,
                    enrolled.district,
                    enrolled.code,
                    super::sync::example_number(&ledger),
                    client.base()
                ),
            }
        );
    });
    Ok(())
}

/// Why taking a counter back onto a new PC failed, and that the folder is as it was: a
/// recovery that fails removes what it made, so `sync enroll` runs again there.
fn recovery_failure(lang: Lang, hub: &str, error: &ClientError) -> Failure {
    let state = lang.pick(
        "本机没有留下找回的任何东西。问题解决后再运行一次 sync enroll；如果街道中心说登记码已经用过，请向街道中心要一个新的。",
        "Nothing of the recovery was left on this PC. Once the problem is solved, run sync enroll again; if the hub says the code was used, ask the street office for a new one.",
    );
    match client_failure(lang, hub, error) {
        Failure::HubRefused(message) => Failure::HubRefused(format!("{message}\n{state}")),
        Failure::Sync(message) => Failure::Sync(format!("{message}\n{state}")),
        other => other,
    }
}

/// A new PC: the counter's ledger comes back from the hub.
fn recover(
    ctx: &Ctx,
    client: &HubClient,
    code: &str,
    key: Option<&Path>,
    ca_pem: Option<&str>,
) -> CmdResult {
    let lang = ctx.lang;
    let Some(admin) = ctx.operator.clone() else {
        return Err(super::usage(
            lang,
            "在新电脑上找回服务点需要一位管理员：请加 --operator 工号（该服务点原有的管理员），并设置新密码。",
            "Taking a counter back onto a new PC needs an administrator: add --operator NO (one of the counter's administrators), who gets a new PIN here.",
        ));
    };
    let pin = super::people::new_operator_pin(lang)?;
    let mut progress = Progress::new(lang, ctx.json);
    let result = crate::sync::recover::recover(
        &ctx.home,
        client,
        code,
        key,
        &admin,
        &pin,
        ca_pem,
        lang,
        &mut |s| progress.step(s),
    );
    progress.finish();
    let recovered = match result {
        Ok(r) => r,
        Err(nightly::SyncError::Client(e)) => {
            return Err(recovery_failure(lang, client.base(), &e));
        }
        Err(nightly::SyncError::Ledger(e)) => return Err(e.into()),
    };
    ctx.show(&recovered, || {
        let how = match (recovered.endorsed, lang) {
            (true, Lang::ZhCn) => format!(
                "在原序列第 {} 条记录之后从新的序列开始，由原来的密钥认可",
                recovered.head
            ),
            (true, Lang::En) => format!(
                "starts a new series after entry #{} of the old one, endorsed by the old key",
                recovered.head
            ),
            (false, Lang::ZhCn) => "没有原来的密钥，从新的序列开始（接续原序列）".to_string(),
            (false, Lang::En) => "starts a new series continuing the old one (no old key)".to_string(),
        };
        println!(
            "{}",
            match lang {
                Lang::ZhCn => format!(
                    "已从街道中心找回“{}”（{}，代码 {}）：取回 {} 条记录，{how}。管理员 {admin} 已设新密码；其他操作员的密码请管理员重新设置。",
                    recovered.counter, recovered.district, recovered.code, recovered.pulled
                ),
                Lang::En => format!(
                    "Took {} ({}, code {}) back from the hub: {} entries; it {how}. Administrator {admin} has a new PIN here; set the other operators' PINs again.",
                    recovered.counter, recovered.district, recovered.code, recovered.pulled
                ),
            }
        );
    });
    Ok(())
}

/// Shows the job's steps: a bar for a person, plain lines for a log.
struct Progress {
    lang: Lang,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(lang: Lang, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        Progress { lang, bar }
    }

    fn step(&mut self, step: Step) {
        let zh = self.lang == Lang::ZhCn;
        match (&self.bar, step) {
            (Some(bar), Step::Pushed { done, total }) => {
                bar.set_message(if zh { "上传" } else { "push" });
                bar.set_length(total);
                bar.set_position(done);
            }
            (Some(bar), Step::Pulled { done, total }) => {
                bar.set_message(if zh { "下载" } else { "pull" });
                bar.set_length(total);
                bar.set_position(done);
            }
            (Some(bar), Step::BackedUp(path)) => bar.println(if zh {
                format!("已备份到 {}", path.display())
            } else {
                format!("Backed up to {}", path.display())
            }),
            (Some(bar), Step::Introduced) => bar.println(log_line(zh, &Step::Introduced)),
            (Some(_), Step::Planned { .. }) => {}
            (None, step) => eprintln!("{}", log_line(zh, &step)),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn log_line(zh: bool, step: &Step) -> String {
    match (step, zh) {
        (Step::BackedUp(path), true) => format!("sync: 已备份到 {}", path.display()),
        (Step::BackedUp(path), false) => format!("sync: backed up to {}", path.display()),
        (Step::Introduced, true) => {
            "sync: 恢复备份后的新记录序列已由本机原来的密钥向街道中心引荐".to_string()
        }
        (Step::Introduced, false) => {
            "sync: the new series begun by the restore was introduced to the hub by this counter's earlier key".to_string()
        }
        (Step::Planned { to_push, to_pull }, true) => {
            format!("sync: 待上传 {to_push} 条，待下载约 {to_pull} 条")
        }
        (Step::Planned { to_push, to_pull }, false) => {
            format!("sync: {to_push} entries to push, about {to_pull} to pull")
        }
        (Step::Pushed { done, total }, true) => format!("sync: 已上传 {done}/{total}"),
        (Step::Pushed { done, total }, false) => format!("sync: pushed {done}/{total}"),
        (Step::Pulled { done, total }, true) => format!("sync: 已下载 {done}/{total}"),
        (Step::Pulled { done, total }, false) => format!("sync: pulled {done}/{total}"),
    }
}

/// `pointsdesk sync`: the nightly job.
pub fn run(ctx: &Ctx, hub: Option<&str>, ca: Option<&Path>) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    let (url, stored_ca) = match (hub, ledger.hub_address()?) {
        (Some(url), stored) => (url.to_string(), stored.and_then(|(_, ca)| ca)),
        (None, Some((url, ca))) => (url, ca),
        (None, None) => {
            return Err(Failure::Usage(
                lang.pick(
                    "本服务点还没有街道中心的地址：请先运行 pointsdesk sync enroll --hub 地址 --code 登记码，或加 --hub 地址。",
                    "This counter has no hub address yet: run pointsdesk sync enroll --hub URL --code CODE first, or give --hub URL.",
                )
                .to_string(),
            ));
        }
    };
    let ca_pem = match read_ca(ca)? {
        Some(pem) => Some(pem),
        None => stored_ca,
    };
    let client =
        HubClient::new(&url, ca_pem.as_deref()).map_err(|e| client_failure(lang, &url, &e))?;
    let keep = ctx
        .home
        .config()
        .map_err(LedgerError::Config)?
        .sync
        .backups_keep;
    let mut progress = Progress::new(lang, ctx.json);
    let result = nightly::sync(&ctx.home, &mut ledger, &client, keep, &mut |s| {
        progress.step(s)
    });
    progress.finish();
    let summary = match result {
        Ok(summary) => summary,
        Err(nightly::SyncError::Client(e)) => return Err(client_failure(lang, &url, &e)),
        Err(nightly::SyncError::Ledger(e)) => return Err(e.into()),
    };
    tracing::info!(
        hub = %url,
        warnings = summary.warnings(),
        "sync done: {}",
        summary_lines(Lang::En, &summary).join(" | ")
    );
    for resident in ledger_erasures(&summary) {
        ctx.home.record_erasure(&resident)?;
    }
    if ctx.json {
        output::json(&summary);
    } else {
        for line in summary_lines(lang, &summary) {
            println!("{line}");
        }
    }
    if summary.warnings() {
        Err(Failure::Exit(EXIT_REFUSED))
    } else {
        Ok(())
    }
}

/// Erasures that arrived are kept in the erasures list (a restored backup erases them again).
fn ledger_erasures(summary: &Summary) -> Vec<String> {
    summary.erased.clone()
}

fn summary_lines(lang: Lang, s: &Summary) -> Vec<String> {
    let zh = lang == Lang::ZhCn;
    let mut lines = vec![if zh {
        format!(
            "同步完成（{}）：上传新增 {} 条（已有 {} 条），下载新增 {} 条（已有 {} 条）。",
            s.hub, s.pushed_new, s.pushed_present, s.pulled_new, s.pulled_present
        )
    } else {
        format!(
            "Synced with {}: pushed {} new ({} already there), pulled {} new ({} already here).",
            s.hub, s.pushed_new, s.pushed_present, s.pulled_new, s.pulled_present
        )
    }];
    let minutes = s.clock_offset_ms.abs() / 60_000;
    if minutes >= 2 {
        lines.push(if zh {
            format!("注意：本机时钟与街道中心相差约 {minutes} 分钟，请校准。")
        } else {
            format!("Note: this computer's clock is about {minutes} minutes off the hub's; set it right.")
        });
    }
    for r in &s.push_refusals {
        lines.push(if zh {
            format!(
                "- 街道中心没有接收 {} #{}–#{}：{}",
                r.counter,
                r.from,
                r.to,
                crate::present::sync::reason_words(lang, &r.reason)
            )
        } else {
            format!(
                "- The hub did not take {} #{}–#{}: {}",
                r.counter,
                r.from,
                r.to,
                crate::present::sync::reason_words(lang, &r.reason)
            )
        });
    }
    for refused in &s.pull_refusals {
        lines.push(format!(
            "- {}",
            crate::present::sync::refusal_message(refused, lang)
        ));
    }
    for fork in &s.pull_forks {
        lines.push(crate::present::sync::fork_line(lang, fork));
    }
    lines.extend(
        crate::present::sync::overdraft_lines(lang, &s.overdrafts)
            .into_iter()
            .map(|(_, l)| l),
    );
    lines
}
