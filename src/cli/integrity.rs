//! The ledger's own care at the command line: verify, rebuild, backup, restore.

use super::{CmdResult, Ctx, Failure, output};
use std::path::PathBuf;

pub fn verify(ctx: &Ctx) -> CmdResult {
    let ledger = ctx.ledger_to_read()?;
    let report = ledger.verify()?;
    if ctx.json {
        output::json(&report);
    } else {
        print_report(ctx, &report);
    }
    if !report.ok {
        Err(Failure::Exit(super::EXIT_SYSTEM))
    } else if !report.forks.is_empty() {
        // The database is sound; the district is not: a counter signed two entries at one seq.
        Err(Failure::Exit(super::EXIT_REFUSED))
    } else {
        Ok(())
    }
}

/// Verify's findings for a person: the counts when all is well, else every problem in words;
/// then the forks held as evidence, the overdrafts a merge found and the duplicates kept.
fn print_report(ctx: &Ctx, report: &crate::ledger::VerifyView) {
    print_verdict(ctx, report);
    let lang = ctx.lang;
    for fork in &report.forks {
        println!(
            "{}",
            match lang {
                crate::i18n::Lang::ZhCn => format!(
                    "警告：分叉——“{}”第 {} 条有两条不同的记录，另一条已作为证据保存（{}），没有合并。请街道核查该服务点。",
                    fork.counter, fork.seq, fork.source
                ),
                crate::i18n::Lang::En => format!(
                    "Warning: fork — {} seq {} exists with other content too; the other one is kept as evidence ({}), not merged. The street office should look into that counter.",
                    fork.counter, fork.seq, fork.source
                ),
            }
        );
    }
    if !report.overdrafts.is_empty() {
        println!(
            "{}",
            match lang {
                crate::i18n::Lang::ZhCn => format!(
                    "另有 {} 本存折在各服务点账目合并后透支（已冻结，见 sync status）。",
                    report.overdrafts.len()
                ),
                crate::i18n::Lang::En => format!(
                    "{} passbooks are overdrawn after the counters' ledgers were merged (frozen; see sync status).",
                    report.overdrafts.len()
                ),
            }
        );
    }
    super::sync::print_tone_lines(&crate::present::sync::duplicate_lines(
        lang,
        &report.duplicates,
    ));
}

fn print_verdict(ctx: &Ctx, report: &crate::ledger::VerifyView) {
    let lang = ctx.lang;
    if report.ok {
        println!(
            "{}",
            match lang {
                crate::i18n::Lang::ZhCn => format!(
                    "账本校验通过：{} 条记录，{} 个序列。",
                    report.entries, report.series
                ),
                crate::i18n::Lang::En => format!(
                    "Ledger verified: {} entries, {} series.",
                    report.entries, report.series
                ),
            }
        );
        return;
    }
    eprintln!(
        "{}",
        lang.pick(
            "账本校验失败，发现以下问题：",
            "Ledger verification FAILED; found:"
        )
    );
    for problem in &report.problems {
        eprintln!("- {}", crate::ledger::problem_message(problem, lang));
    }
}

pub fn rebuild(ctx: &Ctx) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    ctx.admin_session(&mut ledger)?;
    let entries = ledger.rebuild()?;
    // Rebuilt tables are a fresh fold; what the log itself shows (a passbook below zero, a
    // signed balance it does not reach, a missing anchor) is said now, not hidden.
    let report = ledger.verify()?;
    if ctx.json {
        output::json(
            &serde_json::json!({"ok": report.ok, "entries": entries, "problems": report.problems}),
        );
    } else {
        println!(
            "{} {entries}",
            lang.pick(
                "已从账本重建全部视图，记录数",
                "Rebuilt all projections from entries:"
            )
        );
        if !report.ok {
            print_report(ctx, &report);
        }
    }
    if report.ok {
        Ok(())
    } else {
        Err(Failure::Exit(super::EXIT_SYSTEM))
    }
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
    let mut plan = ctx.home.plan_restore(&file)?;
    ask_hub_before_writing_on(ctx, &mut plan);
    let Some(operator) = ctx.operator.clone() else {
        return Err(super::usage(
            lang,
            "恢复需要管理员：请加 --operator 工号（或设置 POINTSDESK_OPERATOR）。",
            "A restore needs an administrator: add --operator NO (or set POINTSDESK_OPERATOR).",
        ));
    };
    let pin = super::read_pin(lang, lang.pick("管理员密码 PIN: ", "Administrator PIN: "))?;
    ctx.home.restore_login(&plan, &operator, &pin)?;
    if !ctx.json {
        for line in plan_lines(lang, &plan) {
            eprintln!("{line}");
        }
    }
    if !yes && !confirmed(lang)? {
        return Err(super::usage(
            lang,
            "没有恢复，什么都没有改变。",
            "Not restored; nothing was changed.",
        ));
    }
    let hub = plan.hub.clone();
    let outcome = ctx.home.restore(plan, &operator, &pin)?;
    let caught_up = hub.map(|hub| catch_up_with_hub(ctx, &hub));
    let caught_up_json = caught_up.as_ref().map(|r| match r {
        Ok((pushed, pulled)) => serde_json::json!({"pushed": pushed, "pulled": pulled}),
        Err(error) => serde_json::json!({"error": error}),
    });
    ctx.show(
        &serde_json::json!({"ok": true, "restore": outcome, "synced": caught_up_json}),
        || {
        println!(
            "{}",
            match lang {
                crate::i18n::Lang::ZhCn => format!(
                    "已恢复并校验，记录数 {}；原数据库保存在 {}",
                    outcome.entries,
                    outcome.previous.display()
                ),
                crate::i18n::Lang::En => format!(
                    "Restored and verified, entries {}; the previous database is kept at {}",
                    outcome.entries,
                    outcome.previous.display()
                ),
            }
        );
        if outcome.new_series.is_some() {
            println!(
                "{}",
                lang.pick(
                    "本柜台已换用新的签名密钥，在新序列中继续记账（不会重复使用已用过的序号）。",
                    "This counter now signs with a new key and goes on in a new series (no used seq is signed again)."
                )
            );
        }
        if !outcome.erased_again.is_empty() {
            println!(
                "{} {}",
                lang.pick(
                    "备份之后删除过个人信息的居民，已再次删除：",
                    "Residents erased after the backup was taken, erased again:"
                ),
                outcome.erased_again.join(", ")
            );
        }
        match (&caught_up, lang) {
            (None, _) => {}
            (Some(Ok((pushed, pulled))), crate::i18n::Lang::ZhCn) => println!(
                "已与街道中心同步：取回 {pulled} 条记录（包括备份之后在别处记下、备份里没有的），送出 {pushed} 条。"
            ),
            (Some(Ok((pushed, pulled))), crate::i18n::Lang::En) => println!(
                "Synced with the hub: {pulled} entries brought back (those booked after the backup elsewhere among them), {pushed} sent."
            ),
            (Some(Err(error)), crate::i18n::Lang::ZhCn) => println!(
                "这次没能与街道中心同步（{error}）：今晚的同步会再试。在那之前，本柜台不知道备份之后记下的账；再次记下的冲正、签到、补平会在同步后被认出是重复的，只算一次。"
            ),
            (Some(Err(error)), crate::i18n::Lang::En) => println!(
                "Could not sync with the hub now ({error}); tonight's sync tries again. Until then this counter does not know what was booked after the backup; a reversal, check-in or settlement booked again is recognised as a duplicate after the sync and counts once."
            ),
        }
        },
    );
    Ok(())
}

/// Right after a restore, where the counter has a hub: one sync, so that the counter learns
/// what its earlier series synced after the backup before it books again (and the hub learns
/// the new series). Returns (pushed, pulled), or why it could not.
fn catch_up_with_hub(
    ctx: &Ctx,
    hub: &(String, Option<String>),
) -> std::result::Result<(u64, u64), String> {
    let printable = |text: String| text.chars().filter(|c| !c.is_control()).collect::<String>();
    let client = crate::sync::client::HubClient::new(&hub.0, hub.1.as_deref())
        .map_err(|e| printable(e.to_string()))?;
    let mut ledger = ctx
        .home
        .open()
        .map_err(|e| printable(e.message(ctx.lang)))?;
    let keep = ctx
        .home
        .config()
        .map(|c| c.sync.backups_keep)
        .unwrap_or(crate::home::config::BACKUPS_KEEP_DEFAULT);
    crate::sync::nightly::sync(&ctx.home, &mut ledger, &client, keep, &mut |_| {})
        .map(|s| (s.pushed_new, s.pulled_new))
        .map_err(|e| printable(e.to_string()))
}

/// What the administrator is asked to confirm.
/// A restore with the old key would write on in the backup's series; if the old PC synced
/// anything after the backup, those seqs would be signed twice (a fork every replica refuses).
/// The hub says how far it holds the series; unreachable, the counter goes on in a new series.
fn ask_hub_before_writing_on(ctx: &Ctx, plan: &mut crate::home::restore::RestorePlan) {
    let (Some(series), Some((url, ca))) = (plan.writes_on_in(), plan.hub.clone()) else {
        return;
    };
    let answer = crate::keys::Device::load(&ctx.home.key_path())
        .map_err(|e| e.to_string())
        .and_then(|device| {
            crate::sync::client::HubClient::new(&url, ca.as_deref())
                .and_then(|client| client.series_head(&device, series))
                .map_err(|e| e.to_string())
        });
    plan.learn_from_hub(answer);
}

fn plan_lines(lang: crate::i18n::Lang, plan: &crate::home::restore::RestorePlan) -> Vec<String> {
    let zh = lang == crate::i18n::Lang::ZhCn;
    let mut lines = vec![if zh {
        format!("备份中有 {} 条记录，已校验。", plan.backup_entries)
    } else {
        format!(
            "The backup holds {} entries and verifies.",
            plan.backup_entries
        )
    }];
    if plan.lacking > 0 {
        let newest = plan
            .lacking_newest_at
            .as_deref()
            .map(|at| {
                if zh {
                    format!("（最新一条在 {at}）")
                } else {
                    format!(" (the newest at {at})")
                }
            })
            .unwrap_or_default();
        lines.push(if zh {
            format!(
                "备份缺少当前账本中的 {} 条记录{newest}：恢复后它们不在本机账本中（打印过的小票仍在），本柜台将在新序列中继续记账。",
                plan.lacking
            )
        } else {
            format!(
                "The backup lacks {} entries of the current ledger{newest}: after the restore they are not in this counter's ledger (printed slips remain), and the counter goes on in a new series.",
                plan.lacking
            )
        });
    } else {
        lines.push(
            if zh {
                "备份没有缺少当前账本中的记录。"
            } else {
                "The backup lacks no entry of the current ledger."
            }
            .to_string(),
        );
    }
    match &plan.hub_check {
        crate::home::restore::HubCheck::NotAsked => {}
        crate::home::restore::HubCheck::Agrees => lines.push(
            lang.pick(
                "街道中心的记录没有超出备份：本柜台在原序列中继续记账。",
                "The hub holds nothing after the backup: the counter writes on in its series.",
            )
            .to_string(),
        ),
        crate::home::restore::HubCheck::Ahead { hub_seq } => lines.push(if zh {
            format!(
                "街道中心已有备份之后的记录（到第 {hub_seq} 条）：本柜台将在新序列中继续记账，不会重复签名；那些记录在下次同步时从街道中心取回。"
            )
        } else {
            format!(
                "The hub holds entries after the backup (up to #{hub_seq}): the counter goes on in a new series, signing no seq twice; the next sync brings those entries back from the hub."
            )
        }),
        crate::home::restore::HubCheck::Unreachable { error } => lines.push(if zh {
            format!(
                "问不到街道中心（{}）：为了不重复签名，本柜台将在新序列中继续记账；下次同步时由原来的密钥向街道中心引荐。",
                error.chars().filter(|c| !c.is_control()).collect::<String>()
            )
        } else {
            format!(
                "The hub cannot be asked ({}): so that no seq is signed twice, the counter goes on in a new series, introduced to the hub by its earlier key at the next sync.",
                error.chars().filter(|c| !c.is_control()).collect::<String>()
            )
        }),
    }
    if !plan.current_readable {
        lines.push(
            if zh {
                "当前数据库无法读取，将原样移到一旁保存。"
            } else {
                "The current database cannot be read; it is moved aside as it is."
            }
            .to_string(),
        );
    }
    if !plan.erase_again.is_empty() {
        lines.push(if zh {
            format!(
                "备份之后删除过个人信息的 {} 位居民将再次删除。",
                plan.erase_again.len()
            )
        } else {
            format!(
                "{} residents erased after the backup was taken are erased again.",
                plan.erase_again.len()
            )
        });
    }
    lines
}

/// Asks on the terminal; without one (a script), only `--yes` confirms.
fn confirmed(lang: crate::i18n::Lang) -> Result<bool, Failure> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(super::usage(
            lang,
            "恢复需要确认：请在终端中运行并回答，或加 --yes。没有做任何更改。",
            "A restore needs confirming: run it in a terminal and answer, or add --yes. Nothing was changed.",
        ));
    }
    eprint!(
        "{}",
        lang.pick("确认恢复？输入 yes 继续：", "Restore? Type yes to go on: ")
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(crate::ledger::LedgerError::from)?;
    Ok(matches!(
        answer.trim().to_lowercase().as_str(),
        "yes" | "y" | "是"
    ))
}
