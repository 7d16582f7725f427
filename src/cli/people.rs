//! Operators and residents at the command line.

use super::args::{OperatorCmd, ResidentCmd};
use super::{CmdResult, Ctx, Failure, done, output, usage};
use crate::domain::Role;
use crate::i18n::Lang;
use crate::ledger::NewResident;

pub fn operator(ctx: &Ctx, cmd: OperatorCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = match cmd {
        OperatorCmd::List => ctx.ledger_to_read()?,
        _ => ctx.ledger()?,
    };
    match cmd {
        OperatorCmd::Add { name, role } => {
            let role = Role::parse(&role).ok_or_else(|| {
                usage(
                    lang,
                    "角色只能是 volunteer 或 admin",
                    "Role is volunteer or admin",
                )
            })?;
            let session = ctx.admin_session(&mut ledger)?;
            let pin = new_operator_pin(lang)?;
            let view = ledger.add_operator(&session, &name, role, &pin)?;
            ctx.show(&view, || {
                println!(
                    "{} {} {}",
                    lang.pick("已添加操作员", "Added operator"),
                    view.operator,
                    view.name
                );
            });
        }
        OperatorCmd::List => {
            let list = ledger.operators()?;
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("工号", "no").to_string(),
                    lang.pick("姓名", "name").to_string(),
                    lang.pick("角色", "role").to_string(),
                    lang.pick("状态", "status").to_string(),
                ]];
                for o in list.iter().cloned() {
                    let status = match (o.enabled, o.locked, &o.locked_until) {
                        (false, _, _) => lang.pick("停用", "disabled").to_string(),
                        (true, true, Some(until)) => format!(
                            "{} {until}",
                            lang.pick("密码错误次数过多，锁定至", "locked after wrong PINs until")
                        ),
                        (true, _, _) => lang.pick("启用", "enabled").to_string(),
                    };
                    rows.push(vec![
                        o.operator,
                        o.name,
                        crate::present::role_label(lang, o.role).to_string(),
                        status,
                    ]);
                }
                output::table(&rows);
            });
        }
        OperatorCmd::Disable { target: operator } => {
            let session = ctx.admin_session(&mut ledger)?;
            ledger.set_operator_enabled(&session, &operator, false)?;
            done(ctx, lang.pick("已停用", "Disabled"), &operator);
        }
        OperatorCmd::Enable { target: operator } => {
            let session = ctx.admin_session(&mut ledger)?;
            ledger.set_operator_enabled(&session, &operator, true)?;
            done(ctx, lang.pick("已启用", "Enabled"), &operator);
        }
        OperatorCmd::Pin { target: operator } => {
            let session = ctx.admin_session(&mut ledger)?;
            let pin = new_operator_pin(lang)?;
            ledger.set_operator_pin(&session, &operator, &pin)?;
            done(ctx, lang.pick("已设新密码", "New PIN set for"), &operator);
        }
    }
    Ok(())
}

/// The new operator's PIN: `POINTSDESK_NEW_PIN`, else prompted twice without echo.
pub(super) fn new_operator_pin(lang: Lang) -> Result<String, Failure> {
    if let Ok(pin) = std::env::var("POINTSDESK_NEW_PIN") {
        return Ok(pin.trim().to_string());
    }
    let prompt = |text: &str| {
        rpassword::prompt_password(text)
            .map(|p| p.trim().to_string())
            .map_err(|_| {
                usage(
                    lang,
                    "无法读取密码：请在终端中运行，或设置 POINTSDESK_NEW_PIN。",
                    "Cannot read the PIN: run in a terminal or set POINTSDESK_NEW_PIN.",
                )
            })
    };
    let pin = prompt(lang.pick(
        "新操作员的密码（4-8 位数字）: ",
        "New operator's PIN (4-8 digits): ",
    ))?;
    if prompt(lang.pick("再输入一次: ", "Again: "))? != pin {
        return Err(usage(
            lang,
            "两次输入的密码不一致，未做任何更改。",
            "The two PINs differ; nothing was changed.",
        ));
    }
    Ok(pin)
}

pub fn resident(ctx: &Ctx, cmd: ResidentCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = match cmd {
        ResidentCmd::List { .. }
        | ResidentCmd::Show { full: false, .. }
        | ResidentCmd::Conflicts => ctx.ledger_to_read()?,
        _ => ctx.ledger()?,
    };
    match cmd {
        ResidentCmd::Add(fields) => {
            let session = ctx.session(&mut ledger)?;
            let view = ledger.add_resident(
                &session,
                &NewResident {
                    name: fields.name,
                    phone: fields.phone,
                    address: fields.address,
                    note: fields.note,
                },
            )?;
            ctx.show(&view, || {
                println!(
                    "{} {} {}",
                    lang.pick("已登记居民", "Registered resident"),
                    view.resident,
                    view.name
                );
            });
        }
        ResidentCmd::List { search, limit } => {
            let list = ledger.residents(search.as_deref(), limit)?;
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("编号", "resident").to_string(),
                    lang.pick("姓名", "name").to_string(),
                    lang.pick("电话", "phone").to_string(),
                    lang.pick("存折", "passbook").to_string(),
                    lang.pick("余额", "balance").to_string(),
                ]];
                for r in list.iter().cloned() {
                    rows.push(vec![
                        r.resident,
                        crate::present::resident_name(lang, &r.name),
                        r.phone.unwrap_or_default(),
                        r.passbook.unwrap_or_default(),
                        r.balance.to_string(),
                    ]);
                }
                output::table(&rows);
            });
        }
        ResidentCmd::Show { resident, full } => {
            let view = if full {
                let session = ctx.admin_session(&mut ledger)?;
                ledger.resident_full(&session, &resident)?
            } else {
                ledger.resident(&resident, false)?
            };
            ctx.show(&view, || {
                let rows = vec![
                    vec![
                        lang.pick("编号", "resident").to_string(),
                        view.resident.clone(),
                    ],
                    vec![
                        lang.pick("姓名", "name").to_string(),
                        crate::present::resident_name(lang, &view.name),
                    ],
                    vec![
                        lang.pick("电话", "phone").to_string(),
                        view.phone.clone().unwrap_or_default(),
                    ],
                    vec![
                        lang.pick("地址", "address").to_string(),
                        view.address.clone().unwrap_or_default(),
                    ],
                    vec![
                        lang.pick("备注", "note").to_string(),
                        view.note.clone().unwrap_or_default(),
                    ],
                    vec![
                        lang.pick("登记时间", "registered").to_string(),
                        view.registered_at.clone(),
                    ],
                    vec![
                        lang.pick("存折", "passbook").to_string(),
                        format!(
                            "{} {}",
                            view.passbook.clone().unwrap_or_default(),
                            view.passbook_status
                                .as_deref()
                                .map(|s| crate::present::passbook_status_label(lang, s))
                                .unwrap_or_default()
                        ),
                    ],
                    vec![
                        lang.pick("余额", "balance").to_string(),
                        view.balance.to_string(),
                    ],
                ];
                output::table(&rows);
            });
        }
        ResidentCmd::Update {
            resident,
            name,
            phone,
            address,
            note,
        } => {
            let session = ctx.admin_session(&mut ledger)?;
            let view = ledger.update_resident(
                &session,
                &resident,
                &crate::ledger::ResidentPatch {
                    name,
                    phone,
                    address,
                    note,
                },
            )?;
            ctx.show(&view, || {
                println!(
                    "{} {} {}",
                    lang.pick("已更正居民信息", "Updated resident"),
                    view.resident,
                    view.name
                );
            });
        }
        ResidentCmd::Import { file } => {
            let rows = crate::import::read_residents(&file)?;
            let session = ctx.session(&mut ledger)?;
            let ids = ledger.import_residents(&session, &rows)?;
            if ctx.json {
                output::json(
                    &serde_json::json!({"ok": true, "imported": ids.len(), "residents": ids}),
                );
            } else {
                println!(
                    "{} {}",
                    lang.pick("已导入居民人数：", "Residents imported:"),
                    ids.len()
                );
            }
        }
        ResidentCmd::Erase { resident } => {
            let session = ctx.admin_session(&mut ledger)?;
            ledger.erase_resident(&session, &resident)?;
            ctx.home.record_erasure(resident.trim())?;
            done(
                ctx,
                lang.pick("已删除个人信息：", "Personal data erased:"),
                &resident,
            );
        }
        ResidentCmd::Conflicts => {
            let conflicts = ledger.registration_conflicts()?;
            ctx.show(&conflicts, || {
                for line in crate::present::people::conflict_lines(lang, &conflicts) {
                    println!("{line}");
                }
            });
        }
        ResidentCmd::Resolve {
            resident,
            to,
            points,
            reason,
        } => {
            let session = ctx.admin_session(&mut ledger)?;
            let moved =
                to.zip(points)
                    .map(|(to_passbook, points)| crate::ledger::conflicts::Move {
                        to_passbook,
                        points,
                    });
            let resolved = ledger.resolve_registrations(&session, &resident, moved, &reason)?;
            ctx.show(&resolved, || {
                for line in crate::present::people::resolved_lines(lang, &resolved) {
                    println!("{line}");
                }
            });
        }
    }
    Ok(())
}
