//! The street office at the command line: `hub init|enroll|counters|report|serve`.

use super::args::{HubAdminCmd, HubCmd, HubCountersArgs, HubCountersCmd, ReportKind, ReportOutput};
use super::{CmdResult, Ctx, EXIT_REFUSED, Failure, output};
use crate::hub::HubHome;
use crate::hub::service::HubReport;
use crate::i18n::Lang;
use crate::ledger::LedgerError;
use std::path::Path;

pub fn hub(ctx: &Ctx, cmd: HubCmd) -> CmdResult {
    let home = HubHome {
        dir: ctx.home.dir.clone(),
    };
    match cmd {
        HubCmd::Init { district } => init(ctx, &home, &district),
        HubCmd::Enroll {
            counter,
            community,
            code,
            out: Some(out),
            valid_days,
            store,
            ..
        } => enroll_file(
            ctx,
            &home,
            Named {
                community: community.as_deref(),
                counter: &counter,
            },
            code.as_deref(),
            valid_days,
            &out,
            store.as_deref(),
        ),
        HubCmd::Enroll {
            counter,
            community,
            code,
            valid_hours,
            store,
            ..
        } => enroll_code(
            ctx,
            &home,
            community.as_deref(),
            &counter,
            code.as_deref(),
            valid_hours,
            store.as_deref(),
        ),
        HubCmd::Counters(HubCountersArgs { cmd: None, store }) => {
            counters(ctx, &home, store.as_deref())
        }
        HubCmd::Counters(HubCountersArgs {
            cmd: Some(HubCountersCmd::Revoke { code, store }),
            ..
        }) => revoke(ctx, &home, &code, store.as_deref()),
        HubCmd::Report {
            kind: None,
            xlsx: None,
            csv: None,
            store,
        } => report(ctx, &home, store.as_deref()),
        HubCmd::Report { kind: None, .. } => Err(super::usage(
            ctx.lang,
            "请说明要哪一种报表，例如 hub report month --xlsx 月报.xlsx。",
            "Say which report, e.g. hub report month --xlsx month.xlsx.",
        )),
        HubCmd::Report {
            kind: Some(kind),
            xlsx,
            csv,
            store,
        } => district_report(ctx, &home, kind, xlsx, csv, store.as_deref()),
        HubCmd::Rekey => rekey(ctx, &home),
        HubCmd::Admin(cmd) => admin(ctx, &home, cmd),
        HubCmd::Serve {
            listen,
            store,
            tls_cert,
            tls_key,
        } => serve(ctx, &home, listen, store, tls_cert, tls_key),
    }
}

fn init(ctx: &Ctx, home: &HubHome, district: &str) -> CmdResult {
    let lang = ctx.lang;
    let hub = home.init(district, chrono::Utc::now())?;
    ctx.show(
        &serde_json::json!({"ok": true, "home": home.dir, "district": hub.district_name(), "district_id": hub.district_id()}),
        || {
            println!(
                "{}",
                match lang {
                    Lang::ZhCn => format!(
                        "已创建街道“{}”的家目录 {}。街道密钥在 {}：请备份并妥善保管。设置在 {}。",
                        hub.district_name(),
                        home.dir.display(),
                        home.key_path().display(),
                        home.config_path().display()
                    ),
                    Lang::En => format!(
                        "Created the home of {} in {}. The district key is {}: back it up and keep it safe. Settings are in {}.",
                        hub.district_name(),
                        home.dir.display(),
                        home.key_path().display(),
                        home.config_path().display()
                    ),
                }
            );
        },
    );
    Ok(())
}

/// A counter as `hub enroll` names it: its name, and its community when given.
struct Named<'a> {
    community: Option<&'a str>,
    counter: &'a str,
}

fn enroll_file(
    ctx: &Ctx,
    home: &HubHome,
    named: Named<'_>,
    code: Option<&str>,
    valid_days: i64,
    out: &Path,
    store: Option<&str>,
) -> CmdResult {
    let lang = ctx.lang;
    if out.exists() {
        return Err(LedgerError::FileExists(out.display().to_string()).into());
    }
    let mut hub = home.open_at(store)?;
    let enrolment = hub.enroll_in(
        named.community,
        named.counter,
        code,
        valid_days,
        chrono::Utc::now(),
    )?;
    let bytes = serde_json::to_vec_pretty(&enrolment.file).expect("plain struct serialises");
    crate::hub::home::write_private_new(out, &bytes)
        .map_err(|e| super::sync::file_error(out, &e))?;
    ctx.show(&enrolment, || {
        println!(
            "{}",
            match lang {
                Lang::ZhCn => format!(
                    "已为“{}”写出登记文件 {}（服务点代码 {}，{} 前有效）。把它带到该服务点运行 pointsdesk sync enroll --file {}；文件含密钥，用后请删除。",
                    enrolment.counter,
                    out.display(),
                    enrolment.code,
                    enrolment.expires_at,
                    out.display()
                ),
                Lang::En => format!(
                    "Wrote the enrolment file {} for {} (counter code {}, valid until {}). Take it to the counter and run pointsdesk sync enroll --file {}; it holds secrets: delete it once used.",
                    out.display(),
                    enrolment.counter,
                    enrolment.code,
                    enrolment.expires_at,
                    out.display()
                ),
            }
        );
    });
    Ok(())
}

fn enroll_code(
    ctx: &Ctx,
    home: &HubHome,
    community: Option<&str>,
    counter: &str,
    code: Option<&str>,
    valid_hours: Option<i64>,
    store: Option<&str>,
) -> CmdResult {
    let lang = ctx.lang;
    let mut hub = home.open_at(store)?;
    let hours = valid_hours.unwrap_or(hub.enrol_code_hours);
    let one_time = hub.enrol_code_in(community, counter, code, hours, chrono::Utc::now())?;
    ctx.show(&one_time, || {
        println!(
            "{}",
            match lang {
                Lang::ZhCn => format!(
                    "“{}”的登记码：{}\n（服务点代码 {}，{} 前有效，只能用一次）。在该服务点运行：\n  pointsdesk sync enroll --hub 街道中心地址 --code {}",
                    one_time.counter,
                    one_time.one_time_code,
                    one_time.code,
                    one_time.expires_at,
                    one_time.one_time_code
                ),
                Lang::En => format!(
                    "Enrolment code for {}: {}\n(counter code {}, valid until {}, once). At that counter run:\n  pointsdesk sync enroll --hub HUB-ADDRESS --code {}",
                    one_time.counter,
                    one_time.one_time_code,
                    one_time.code,
                    one_time.expires_at,
                    one_time.one_time_code
                ),
            }
        );
    });
    Ok(())
}

fn counters(ctx: &Ctx, home: &HubHome, store: Option<&str>) -> CmdResult {
    let lang = ctx.lang;
    let hub = home.open_at(store)?;
    let counters = hub.counters()?;
    ctx.show(&counters, || {
        output::table(&counter_rows(lang, &counters));
    });
    let evidence = counters.iter().any(|c| c.forks > 0 || c.refused > 0);
    if evidence {
        Err(Failure::Exit(EXIT_REFUSED))
    } else {
        Ok(())
    }
}

fn counter_rows(lang: Lang, counters: &[crate::hub::store::CounterRow]) -> Vec<Vec<String>> {
    let header: [&str; 11] = match lang {
        Lang::ZhCn => [
            "代码",
            "社区",
            "服务点",
            "记录数",
            "最近上传",
            "最近下载",
            "分叉",
            "拒收",
            "登记被拒",
            "登记至",
            "状态",
        ],
        Lang::En => [
            "code",
            "community",
            "counter",
            "entries",
            "last push",
            "last pull",
            "forks",
            "refused",
            "enrolments refused",
            "enrolment until",
            "state",
        ],
    };
    let mut rows = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    let none = || "—".to_string();
    rows.extend(counters.iter().map(|c| {
        let refusals = match &c.last_enrolment_refusal {
            Some((reason, at)) if c.enrolment_refusals > 0 => {
                format!("{}（{reason} {at}）", c.enrolment_refusals)
            }
            _ => c.enrolment_refusals.to_string(),
        };
        let state = match (c.revoked, lang) {
            (true, Lang::ZhCn) => "已停用",
            (true, Lang::En) => "revoked",
            (false, Lang::ZhCn) => "在用",
            (false, Lang::En) => "active",
        };
        vec![
            c.code.clone(),
            if c.community.is_empty() {
                none()
            } else {
                c.community.clone()
            },
            c.counter.clone(),
            c.entries.to_string(),
            c.last_push_at.clone().unwrap_or_else(none),
            c.last_pull_at.clone().unwrap_or_else(none),
            c.forks.to_string(),
            c.refused.to_string(),
            refusals,
            c.last_expires_at.clone(),
            state.to_string(),
        ]
    }));
    rows
}

fn revoke(ctx: &Ctx, home: &HubHome, code: &str, store: Option<&str>) -> CmdResult {
    let lang = ctx.lang;
    let hub = home.open_at(store)?;
    let code = code.trim().to_ascii_uppercase();
    let series = hub.revoke(&code, chrono::Utc::now())?;
    let counter = hub
        .counters()?
        .into_iter()
        .find(|c| c.code == code)
        .unwrap_or_default();
    ctx.show(
        &serde_json::json!({"ok": true, "code": code, "counter": counter.counter, "community": counter.community, "series_revoked": series}),
        || {
            println!(
                "{}",
                match lang {
                    Lang::ZhCn => format!(
                        "已停用服务点 {code}“{}”（{}）：它的 {series} 个密钥从现在起不能再同步，已有记录保留。新电脑请用 pointsdesk hub enroll --counter {} --community {} 重新登记；若登记文件可能外泄，再运行 pointsdesk hub rekey。",
                        counter.counter, counter.community, counter.counter, counter.community
                    ),
                    Lang::En => format!(
                        "Revoked counter {code} {} ({}): its {series} keys cannot sync from now on; its entries stay. Enrol the new PC with pointsdesk hub enroll --counter {} --community {}; if an enrolment file may have leaked, also run pointsdesk hub rekey.",
                        counter.counter, counter.community, counter.counter, counter.community
                    ),
                }
            );
        },
    );
    Ok(())
}

fn rekey(ctx: &Ctx, home: &HubHome) -> CmdResult {
    let lang = ctx.lang;
    let keys = home.rekey()?;
    ctx.show(
        &serde_json::json!({"ok": true, "data_keys": keys}),
        || {
            println!(
                "{}",
                lang.pick(
                    "已更换街道数据密钥。请重启 hub serve（每个街道中心进程都要重启）。已登记且未停用的服务点在下次同步时收到新密钥；此后登记的居民资料，旧登记文件里的密钥打不开。已停用的服务点收不到新密钥。",
                    "The district data key was replaced. Restart hub serve (every hub process). Enrolled counters that are not revoked get the new key at their next sync; residents' data registered from now on does not open with the key in an old enrolment file. Revoked counters never get the new key."
                )
            );
        },
    );
    Ok(())
}

fn report(ctx: &Ctx, home: &HubHome, store: Option<&str>) -> CmdResult {
    let lang = ctx.lang;
    let hub = home.open_at(store)?;
    let report = hub.report()?;
    ctx.show(&report, || print_report(lang, &report));
    if report.overdrafts.is_empty() && report.evidence.is_empty() {
        Ok(())
    } else {
        Err(Failure::Exit(EXIT_REFUSED))
    }
}

fn print_report(lang: Lang, report: &HubReport) {
    let zh = lang == Lang::ZhCn;
    println!(
        "{}",
        if zh {
            format!(
                "{}：{} 个服务点，{} 条记录",
                report.district,
                report.counters.len(),
                report.entries
            )
        } else {
            format!(
                "{}: {} counters, {} entries",
                report.district,
                report.counters.len(),
                report.entries
            )
        }
    );
    output::table(&counter_rows(lang, &report.counters));
    println!();
    if report.overdrafts.is_empty() {
        println!(
            "{}",
            lang.pick(
                "全区没有透支的存折。",
                "No overdrawn passbook in the district."
            )
        );
    } else {
        println!(
            "{}",
            lang.pick(
                "透支的存折（在各服务点冻结；由发放存折的服务点管理员核实后用 adjust 补平）：",
                "Overdrawn passbooks (frozen at every counter; the issuing counter's administrator settles them with adjust):"
            )
        );
        let mut rows = vec![match lang {
            Lang::ZhCn => vec![
                "存折".to_string(),
                "居民".into(),
                "积分".into(),
                "发放服务点".into(),
            ],
            Lang::En => vec![
                "passbook".to_string(),
                "resident".into(),
                "points".into(),
                "issued at".into(),
            ],
        }];
        rows.extend(report.overdrafts.iter().map(|o| {
            vec![
                o.passbook.clone(),
                crate::present::resident_name(lang, &o.resident_name),
                o.points.to_string(),
                o.counter.clone(),
            ]
        }));
        output::table(&rows);
    }
    println!();
    super::sync::print_tone_lines(&crate::present::sync::duplicate_lines(
        lang,
        &report.duplicates,
    ));
    for s in &report.shared_passbooks {
        println!(
            "{}",
            match lang {
                Lang::ZhCn => format!(
                    "存折 {}（{}）发给了 {} 个人（居民号 {}），各服务点都已冻结：请该服务点运行 pointsdesk passbook conflicts 查看处理办法。",
                    s.passbook,
                    s.counter,
                    s.residents.len(),
                    s.residents.join("、")
                ),
                Lang::En => format!(
                    "Passbook {} ({}) is issued to {} people (resident numbers {}) and frozen at every counter: that counter's pointsdesk passbook conflicts says what to do.",
                    s.passbook,
                    s.counter,
                    s.residents.len(),
                    s.residents.join(", ")
                ),
            }
        );
    }
    if !report.skews.is_empty() {
        println!(
            "{}{}",
            crate::present::sync::skews_heading(lang),
            lang.pick("：", ":")
        );
        let mut rows = vec![match lang {
            Lang::ZhCn => vec![
                "服务点".to_string(),
                "序号".into(),
                "记录时间".into(),
                "问题".into(),
            ],
            Lang::En => vec![
                "counter".to_string(),
                "seq".into(),
                "recorded at".into(),
                "problem".into(),
            ],
        }];
        rows.extend(report.skews.iter().map(|s| {
            let problem = crate::present::sync::skew_words(lang, &s.skew, &s.compared_with);
            vec![
                s.counter.clone(),
                format!("#{}", s.seq),
                s.recorded_at.clone(),
                problem,
            ]
        }));
        output::table(&rows);
        println!();
    }
    for line in refusal_lines(lang, &report.counters) {
        println!("{line}");
    }
    if report.evidence.is_empty() {
        let refused: i64 = report.counters.iter().map(|c| c.refused).sum();
        println!(
            "{}",
            if refused == 0 {
                lang.pick("没有分叉或被拒收的记录。", "No forks or refused entries.")
            } else {
                lang.pick(
                    "没有作为证据保存的记录（分叉或篡改）。",
                    "No entries kept as evidence (forks or tampered entries).",
                )
            }
        );
    } else {
        println!(
            "{}",
            lang.pick(
                "作为证据保存的记录（分叉：同一序号两条不同记录；其余为被拒收的篡改记录）：",
                "Entries kept as evidence (fork: two entries at one seq; the others were refused as tampered):"
            )
        );
        let mut rows = vec![match lang {
            Lang::ZhCn => vec![
                "服务点".to_string(),
                "序号".into(),
                "原因".into(),
                "时间".into(),
                "来自".into(),
            ],
            Lang::En => vec![
                "counter".to_string(),
                "seq".into(),
                "reason".into(),
                "at".into(),
                "from".into(),
            ],
        }];
        rows.extend(report.evidence.iter().map(|e| {
            vec![
                e.counter.clone(),
                format!("#{}", e.seq),
                crate::present::sync::reason_words(lang, &e.reason),
                e.at.clone(),
                e.source.clone(),
            ]
        }));
        output::table(&rows);
    }
}

/// The refusals of each counter that had any, in words: entries refused in its pushes and
/// certificates refused for its grants (the table's columns, said so that nobody misses them).
fn refusal_lines(lang: Lang, counters: &[crate::hub::store::CounterRow]) -> Vec<String> {
    let refusing: Vec<_> = counters
        .iter()
        .filter(|c| c.refused > 0 || c.enrolment_refusals > 0)
        .collect();
    if refusing.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        lang.pick("被拒收的（按服务点）：", "Refused, by counter:")
            .to_string(),
    ];
    lines.extend(refusing.iter().map(|c| {
        let last = c
            .last_enrolment_refusal
            .as_ref()
            .map(|(reason, at)| match lang {
                Lang::ZhCn => format!("，最近一次 {reason} {at}"),
                Lang::En => format!(", last {reason} {at}"),
            })
            .unwrap_or_default();
        match lang {
            Lang::ZhCn => format!(
                "- {} {}（{}）：上传的记录被拒收 {} 条，登记被拒 {} 次{last}",
                c.code, c.counter, c.community, c.refused, c.enrolment_refusals
            ),
            Lang::En => format!(
                "- {} {} ({}): {} entries of its pushes refused, {} enrolments refused{last}",
                c.code, c.counter, c.community, c.refused, c.enrolment_refusals
            ),
        }
    }));
    lines.push(String::new());
    lines
}

fn serve(
    ctx: &Ctx,
    home: &HubHome,
    listen: Option<String>,
    store: Option<String>,
    tls_cert: Option<std::path::PathBuf>,
    tls_key: Option<std::path::PathBuf>,
) -> CmdResult {
    let lang = ctx.lang;
    let config = home.config()?;
    let listen = listen
        .or(config.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8443".to_string());
    let tls = match (
        tls_cert.or(config.tls_cert.clone()),
        tls_key.or(config.tls_key.clone()),
    ) {
        (Some(cert), Some(key)) => {
            Some(crate::hub::server::tls_config(&cert, &key).map_err(|e| {
                Failure::Sync(match lang {
                    Lang::ZhCn => format!("TLS 证书或密钥不能用：{e}"),
                    Lang::En => format!("The TLS certificate or key cannot be used: {e}"),
                })
            })?)
        }
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            return Err(super::usage(
                lang,
                "TLS 证书和密钥要一起给（--tls-cert 和 --tls-key），否则不启动。",
                "Give the TLS certificate and key together (--tls-cert and --tls-key); nothing was started.",
            ));
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| super::sync::file_error(&home.dir, &e))?;
    rt.block_on(async {
        let service = std::sync::Arc::new(home.service(store.as_deref()).await?);
        let listener = tokio::net::TcpListener::bind(&listen).await.map_err(|e| {
            Failure::Sync(match lang {
                Lang::ZhCn => format!("无法在 {listen} 上监听：{e}"),
                Lang::En => format!("Cannot listen on {listen}: {e}"),
            })
        })?;
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or(listen.clone());
        let scheme = if tls.is_some() { "https" } else { "http" };
        // The first line says where the hub is: scripts and tests read it.
        println!(
            "{}",
            match lang {
                Lang::ZhCn => format!("街道中心“{}”已启动：{scheme}://{addr}", service.key.name),
                Lang::En => format!(
                    "The hub of {} is serving at {scheme}://{addr}",
                    service.key.name
                ),
            }
        );
        tracing::info!(%addr, tls = tls.is_some(), "serving");
        crate::hub::server::serve(service, listener, tls, shutdown_signal())
            .await
            .map_err(|e| super::sync::file_error(&home.dir, &e))?;
        tracing::info!("stopped");
        Ok::<(), Failure>(())
    })
}

/// Ctrl+C or SIGTERM (systemd stopping the service).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// The district's report asked for, on screen and in the files asked for.
fn district_report(
    ctx: &Ctx,
    home: &HubHome,
    kind: ReportKind,
    xlsx: Option<std::path::PathBuf>,
    csv: Option<std::path::PathBuf>,
    store: Option<&str>,
) -> CmdResult {
    use crate::hub::reports::ReportError;
    use crate::report::Request;
    use crate::report::build::{checked_day, days_of_month};
    let hub = home.open_at(store)?;
    let now = chrono::Utc::now();
    let day = |date: Option<String>| -> Result<String, Failure> {
        match date {
            Some(d) => checked_day(d.trim())
                .ok_or_else(|| crate::hub::HubError::from(ReportError::BadPeriod(d)).into()),
            None => Ok(hub.service.today(now)),
        }
    };
    let month = |month: Option<String>| -> Result<String, Failure> {
        match month {
            Some(m) if days_of_month(m.trim()).is_some() => Ok(m.trim().to_string()),
            Some(m) => Err(crate::hub::HubError::from(ReportError::BadPeriod(m)).into()),
            None => Ok(hub.service.this_month(now)),
        }
    };
    let period = |m: Option<String>, d: Option<String>| match d {
        Some(_) => day(d),
        None => month(m),
    };
    let request = match kind {
        ReportKind::Day { date } => Request::Day(day(date)?),
        ReportKind::Month { month: m } => Request::Month(month(m)?),
        ReportKind::Items { month, date } => Request::Items(period(month, date)?),
        ReportKind::Activities { month, date } => Request::Activities(period(month, date)?),
        ReportKind::Resident { passbook } => Request::Resident(passbook),
        ReportKind::Overdrafts => Request::Overdrafts,
    };
    let report = hub.district_report(&request, ctx.lang, now)?;
    super::reports::deliver(
        ctx,
        &report,
        &ReportOutput {
            xlsx,
            csv,
            ..ReportOutput::default()
        },
    )
}

fn admin(ctx: &Ctx, home: &HubHome, cmd: HubAdminCmd) -> CmdResult {
    let lang = ctx.lang;
    match cmd {
        HubAdminCmd::Add { name, store } => {
            let hub = home.open_at(store.as_deref())?;
            let password = new_password(lang)?;
            let new = hub.set_admin(&name, &password, chrono::Utc::now())?;
            ctx.show(
                &serde_json::json!({"ok": true, "admin": name, "new": new}),
                || {
                    println!(
                        "{} {}",
                        if new {
                            lang.pick("已添加网页管理员", "Added the web administrator")
                        } else {
                            lang.pick(
                                "已为网页管理员设新密码（原有登录已退出）",
                                "New password set (its sessions were ended) for",
                            )
                        },
                        name.trim()
                    );
                },
            );
        }
        HubAdminCmd::List { store } => {
            let hub = home.open_at(store.as_deref())?;
            let admins = hub.admins()?;
            ctx.show(&admins, || {
                if admins.is_empty() {
                    println!(
                        "{}",
                        lang.pick(
                            "还没有网页管理员：用 pointsdesk hub admin add 名称 添加。",
                            "No web administrator yet: add one with pointsdesk hub admin add NAME."
                        )
                    );
                }
                for a in &admins {
                    println!("{a}");
                }
            });
        }
        HubAdminCmd::Remove { name, store } => {
            let hub = home.open_at(store.as_deref())?;
            hub.remove_admin(&name)?;
            ctx.show(
                &serde_json::json!({"ok": true, "removed": name.trim()}),
                || {
                    println!(
                        "{} {}",
                        lang.pick(
                            "已删除网页管理员（其登录已退出）",
                            "Removed the web administrator (its sessions ended):"
                        ),
                        name.trim()
                    );
                },
            );
        }
    }
    Ok(())
}

/// A new web password: `POINTSDESK_HUB_PASSWORD`, else asked twice without echo.
fn new_password(lang: Lang) -> Result<String, Failure> {
    if let Ok(p) = std::env::var("POINTSDESK_HUB_PASSWORD") {
        return Ok(p);
    }
    let ask = |text: &str| {
        rpassword::prompt_password(text).map_err(|_| {
            super::usage(
                lang,
                "无法读取密码：请在终端中运行，或设置 POINTSDESK_HUB_PASSWORD。",
                "Cannot read the password: run in a terminal or set POINTSDESK_HUB_PASSWORD.",
            )
        })
    };
    let password = ask(lang.pick(
        "新密码（至少 8 个字符）: ",
        "New password (8 characters or more): ",
    ))?;
    if ask(lang.pick("再输入一次: ", "Again: "))? != password {
        return Err(super::usage(
            lang,
            "两次输入的密码不一致，没有做任何更改。",
            "The two passwords differ; nothing was changed.",
        ));
    }
    Ok(password)
}
