//! Activities, the catalogue and stock at the command line.

use super::args::{ActivityCmd, CatalogCmd};
use super::{CmdResult, Ctx, output, usage};
use crate::domain::ItemKind;
use crate::ledger::{ItemPatch, NewItem};

pub fn activity(ctx: &Ctx, cmd: ActivityCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = match cmd {
        ActivityCmd::List => ctx.ledger_to_read()?,
        _ => ctx.ledger()?,
    };
    match cmd {
        ActivityCmd::Add {
            code,
            name,
            points_per_hour,
        } => {
            let session = ctx.admin_session(&mut ledger)?;
            let view = ledger.define_activity(&session, &code, &name, points_per_hour)?;
            ctx.show(&view, || {
                println!(
                    "{} {} {}",
                    lang.pick("已添加活动", "Added activity"),
                    view.activity,
                    view.name
                );
            });
        }
        ActivityCmd::List => {
            let list = ledger.activities()?;
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("编号", "code").to_string(),
                    lang.pick("名称", "name").to_string(),
                    lang.pick("每小时积分", "points/hour").to_string(),
                ]];
                for a in list.iter().cloned() {
                    rows.push(vec![a.activity, a.name, a.points_per_hour.to_string()]);
                }
                output::table(&rows);
            });
        }
    }
    Ok(())
}

pub fn catalog(ctx: &Ctx, cmd: CatalogCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = match cmd {
        CatalogCmd::List => ctx.ledger_to_read()?,
        _ => ctx.ledger()?,
    };
    let view = match cmd {
        CatalogCmd::Import { file } => {
            let rows = crate::import::read_catalog(&file)?;
            let session = ctx.admin_session(&mut ledger)?;
            let codes = ledger.import_catalog(&session, &rows)?;
            if ctx.json {
                output::json(
                    &serde_json::json!({"ok": true, "imported": codes.len(), "items": codes}),
                );
            } else {
                println!(
                    "{} {}",
                    lang.pick("已导入商品数：", "Items imported:"),
                    codes.len()
                );
            }
            return Ok(());
        }
        CatalogCmd::Add {
            code,
            name,
            kind,
            points,
            barcode,
            monthly_limit,
        } => {
            let kind = ItemKind::parse(&kind).ok_or_else(|| {
                usage(
                    lang,
                    "种类只能是 goods、service、venue 或 honour",
                    "Kind is goods, service, venue or honour",
                )
            })?;
            let session = ctx.admin_session(&mut ledger)?;
            ledger.define_item(
                &session,
                &NewItem {
                    item: code,
                    name,
                    kind,
                    points,
                    barcode,
                    monthly_limit,
                },
            )?
        }
        CatalogCmd::List => {
            let list = ledger.items()?;
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("编号", "code").to_string(),
                    lang.pick("名称", "name").to_string(),
                    lang.pick("种类", "kind").to_string(),
                    lang.pick("积分", "points").to_string(),
                    lang.pick("库存", "stock").to_string(),
                    lang.pick("每月限额", "monthly limit").to_string(),
                    lang.pick("条码", "barcode").to_string(),
                ]];
                for i in list.iter().cloned() {
                    rows.push(vec![
                        i.item,
                        if i.enabled {
                            i.name
                        } else {
                            format!("{} ({})", i.name, lang.pick("下架", "off"))
                        },
                        crate::present::item_kind_label(lang, i.kind).to_string(),
                        i.points.to_string(),
                        i.stock.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                        i.monthly_limit
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "-".into()),
                        i.barcode.unwrap_or_default(),
                    ]);
                }
                output::table(&rows);
            });
            return Ok(());
        }
        CatalogCmd::Update {
            code,
            name,
            points,
            barcode,
            no_barcode,
            monthly_limit,
            no_limit,
            disable,
            enable,
        } => {
            let session = ctx.admin_session(&mut ledger)?;
            let patch = ItemPatch {
                name,
                points,
                barcode: if no_barcode {
                    Some(None)
                } else {
                    barcode.map(Some)
                },
                monthly_limit: if no_limit {
                    Some(None)
                } else {
                    monthly_limit.map(Some)
                },
                enabled: if disable {
                    Some(false)
                } else if enable {
                    Some(true)
                } else {
                    None
                },
            };
            ledger.update_item(&session, &code, &patch)?
        }
        CatalogCmd::Restock { item, qty, donor } => {
            let session = ctx.session(&mut ledger)?;
            ledger.restock(&session, &item, qty, donor.as_deref())?
        }
        CatalogCmd::Count { item, counted } => {
            let session = ctx.session(&mut ledger)?;
            ledger.count_stock(&session, &item, counted)?
        }
    };
    ctx.show(&view, || {
        println!(
            "{} {} {}  {} {}  {} {}",
            lang.pick("商品", "Item"),
            view.item,
            view.name,
            lang.pick("积分", "points"),
            view.points,
            lang.pick("库存", "stock"),
            view.stock
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into())
        );
    });
    Ok(())
}
