//! What the worker reports back: logins, accounts, bookings, prints, status.

use super::super::model::*;
use super::super::strings::S;
use super::notice;
use crate::ledger::Receipt;

pub(super) fn handle(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::LoggedIn(result) => logged_in(model, result),
        Msg::Account(result) => account(model, result),
        Msg::Catalog(items) => catalog(model, items),
        Msg::Activities(activities) => {
            model.activities = activities.into_iter().filter(|a| a.enabled).collect();
            model.activity_selected = 0;
            Vec::new()
        }
        Msg::Reversed(result) => reversed(model, result),
        Msg::Stocked(result) => stocked(model, result),
        Msg::Report(result) => report(model, result),
        Msg::Earned(result) => earned(model, result),
        Msg::Redeemed(result) => redeemed(model, result),
        Msg::Printed(result) => printed(model, result),
        Msg::Status {
            printer,
            low_stock,
            clock,
        } => {
            model.printer = printer;
            model.low_stock = low_stock;
            model.clock_warning = clock;
            Vec::new()
        }
        Msg::Key(..) | Msg::Scan(..) | Msg::Tick(_) | Msg::RawKey(..) => Vec::new(),
    }
}

fn logged_in(model: &mut Model, result: Result<Operator, String>) -> Vec<Effect> {
    model.busy = false;
    model.pin_input.clear();
    match result {
        Ok(operator) => {
            model.operator = Some(operator);
            model.operator_input.clear();
            model.login_field = LoginField::Operator;
            model.screen = Screen::Home;
            model.notice = None;
            vec![
                Effect::LoadCatalog,
                Effect::LoadActivities,
                Effect::RefreshStatus,
            ]
        }
        Err(message) => {
            model.login_field = LoginField::Pin;
            notice(model, NoticeKind::Error, message);
            Vec::new()
        }
    }
}

fn account(
    model: &mut Model,
    result: Result<(crate::ledger::AccountSummary, String), String>,
) -> Vec<Effect> {
    model.busy = false;
    match result {
        Ok((account, scan)) => {
            model.account = Some(account);
            model.scan = Some(scan);
            model.screen = Screen::Resident;
            // The notice stays: a refreshed account must not hide "done" or a printer
            // problem; a new scan clears it (in `scanned`).
        }
        Err(message) => notice(model, NoticeKind::Error, message),
    }
    Vec::new()
}

fn catalog(model: &mut Model, items: Vec<crate::ledger::ItemView>) -> Vec<Effect> {
    model.catalog = items
        .into_iter()
        .map(|item| CatalogItem {
            initials: initials(&item.name),
            item,
        })
        .collect();
    model.selected = 0;
    Vec::new()
}

fn reversed(model: &mut Model, result: Result<Receipt, String>) -> Vec<Effect> {
    model.busy = false;
    match result {
        Ok(receipt) => {
            let text = format!(
                "{} {} {:+} → {}",
                model.lang.pick("冲正完成", "Reversed"),
                receipt.passbook,
                receipt.points,
                receipt.balance_after
            );
            notice(model, NoticeKind::Info, text);
            model.reverse = None;
            model.screen = Screen::Home;
            model.last_receipt = Some(receipt.clone());
            vec![
                Effect::Print {
                    receipt: Box::new(receipt),
                },
                Effect::LoadCatalog,
            ]
        }
        Err(message) => {
            if let Some(form) = &mut model.reverse {
                form.admin_pin.clear();
            }
            notice(model, NoticeKind::Error, message);
            Vec::new()
        }
    }
}

fn stocked(model: &mut Model, result: Result<crate::ledger::ItemView, String>) -> Vec<Effect> {
    model.busy = false;
    match result {
        Ok(item) => {
            let text = format!(
                "{} {} {}",
                item.name,
                S::Stock.get(model.lang),
                item.stock.unwrap_or(0)
            );
            notice(model, NoticeKind::Info, text);
            model.stock_mode = StockMode::Browse;
            vec![Effect::LoadCatalog, Effect::RefreshStatus]
        }
        Err(message) => {
            notice(model, NoticeKind::Error, message);
            Vec::new()
        }
    }
}

fn report(model: &mut Model, result: Result<crate::ledger::DayReport, String>) -> Vec<Effect> {
    match result {
        Ok(report) => {
            model.report = Some(report);
            model.screen = Screen::Report;
        }
        Err(message) => notice(model, NoticeKind::Error, message),
    }
    Vec::new()
}

fn earned(model: &mut Model, result: Result<Receipt, String>) -> Vec<Effect> {
    model.busy = false;
    let lang = model.lang;
    match result {
        Ok(receipt) if receipt.replayed => {
            let text = format!(
                "{} {}",
                receipt.passbook,
                lang.pick(
                    "已签到过，不重复加分",
                    "already checked in: no points twice"
                )
            );
            notice(model, NoticeKind::Error, text);
            Vec::new()
        }
        Ok(receipt) => {
            let text = format!(
                "{} {} +{} → {}",
                receipt.passbook, receipt.resident_name, receipt.points, receipt.balance_after
            );
            notice(model, NoticeKind::Info, text);
            model.last_receipt = Some(receipt.clone());
            let mut effects = vec![Effect::Print {
                receipt: Box::new(receipt),
            }];
            match &mut model.event {
                Some(event) if model.screen == Screen::Event => event.credited += 1,
                _ => {
                    model.screen = Screen::Resident;
                    if let Some(scan) = model.scan.clone() {
                        effects.push(Effect::LoadAccount { scan });
                    }
                }
            }
            effects
        }
        Err(message) => {
            notice(model, NoticeKind::Error, message);
            Vec::new()
        }
    }
}

fn redeemed(model: &mut Model, result: Result<Receipt, String>) -> Vec<Effect> {
    model.busy = false;
    match result {
        Ok(receipt) => {
            let text = format!(
                "{} {} → {}",
                S::Done.get(model.lang),
                receipt.balance_before,
                receipt.balance_after
            );
            notice(model, NoticeKind::Info, text);
            model.cart.clear();
            model.search.clear();
            model.pending_txn = None;
            model.last_receipt = Some(receipt.clone());
            let scan = model.scan.clone().unwrap_or_default();
            model.screen = Screen::Resident;
            vec![
                Effect::Print {
                    receipt: Box::new(receipt),
                },
                Effect::LoadAccount { scan },
                Effect::LoadCatalog,
            ]
        }
        Err(message) => {
            // Refused: nothing was booked. Back to the cart as it was, to change it.
            model.screen = Screen::Redeem;
            model.pending_txn = None;
            notice(model, NoticeKind::Error, message);
            Vec::new()
        }
    }
}

fn printed(model: &mut Model, result: Result<Option<String>, String>) -> Vec<Effect> {
    match result {
        Ok(slip) => {
            if let Some(slip) = slip {
                model.latest_slip = Some(slip);
            }
        }
        Err(message) => {
            model.printer = PrinterState::Problem(message.clone());
            notice(model, NoticeKind::Error, message);
        }
    }
    Vec::new()
}
