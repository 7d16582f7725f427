//! What the worker reports back: logins, accounts, txns, bookings, prints, status.

use super::super::model::*;
use super::super::strings::S;
use super::{notice, txn};
use crate::ledger::{Receipt, short_txn};

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
        Msg::TxnFound(result) => {
            txn::found(model, result);
            Vec::new()
        }
        Msg::Reversed(result) => reversed(model, result),
        Msg::Stocked(result) => stocked(model, result),
        Msg::Report(result) => report(model, result),
        Msg::Earned(result) => earned(model, result),
        Msg::Redeemed(result) => redeemed(model, result),
        Msg::Printed(result) => printed(model, result),
        Msg::PrintedAs { what, result } => printed_as(model, what, result),
        Msg::Status {
            printer,
            low_stock,
            clock,
            sync,
        } => {
            model.printer = printer;
            model.low_stock = low_stock;
            model.clock_warning = clock;
            sync_loaded(model, sync);
            Vec::new()
        }
        Msg::Sync(sync) => {
            sync_loaded(model, sync);
            Vec::new()
        }
        Msg::Key(..) | Msg::Scan(..) | Msg::Tick(_) | Msg::RawKey(..) => Vec::new(),
    }
}

fn sync_loaded(model: &mut Model, sync: Option<Box<crate::ledger::district::SyncStatus>>) {
    if let Some(sync) = sync {
        model.sync_brief = SyncBrief::of(&sync);
        // Resident data (overdrafts) only while someone is logged in.
        if model.operator.is_some() {
            model.sync = Some(*sync);
        }
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

fn account(model: &mut Model, result: Result<Opened, String>) -> Vec<Effect> {
    model.busy = false;
    match result {
        Ok(opened) => {
            model.account = Some(opened.account);
            model.scan = Some(opened.scan);
            model.confirmed_by = opened.confirmed_by;
            model.admin_form = None;
            model.screen = Screen::Resident;
        }
        Err(message) => {
            if let Some(form) = &mut model.admin_form {
                form.admin_pin.clear();
            }
            notice(model, NoticeKind::Error, message);
        }
    }
    Vec::new()
}

/// A reloaded catalogue keeps the highlight on the item it was on.
fn catalog(model: &mut Model, items: Vec<crate::ledger::ItemView>) -> Vec<Effect> {
    let kept = selected_code(model);
    model.catalog = items
        .into_iter()
        .map(|item| CatalogItem {
            initials: initials(&item.name),
            item,
        })
        .collect();
    let list = list_of_screen(model);
    model.selected = kept
        .and_then(|code| list.iter().position(|c| c == &code))
        .unwrap_or(0);
    Vec::new()
}

/// The item codes of the list the screen shows.
fn list_of_screen(model: &Model) -> Vec<String> {
    let list = match model.screen {
        Screen::Stock => model.stocked_items(),
        _ => model.filtered(),
    };
    list.into_iter().map(|c| c.item.item.clone()).collect()
}

fn selected_code(model: &Model) -> Option<String> {
    list_of_screen(model).get(model.selected).cloned()
}

fn reversed(model: &mut Model, result: Result<Receipt, String>) -> Vec<Effect> {
    model.busy = false;
    match result {
        Ok(receipt) => {
            let values: [(&str, &dyn std::fmt::Display); 3] = [
                ("passbook", &receipt.passbook),
                ("before", &receipt.balance_before),
                ("after", &receipt.balance_after),
            ];
            let text = S::ReversedNotice.fill(model.lang, &values);
            notice(model, NoticeKind::Info, text);
            model.txn_form = None;
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
            if let Some(form) = &mut model.txn_form {
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
            let stock = item.stock.unwrap_or(0);
            let values: [(&str, &dyn std::fmt::Display); 2] =
                [("name", &item.name), ("stock", &stock)];
            let text = S::StockedNotice.fill(model.lang, &values);
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
    let receipt = match result {
        Ok(receipt) if receipt.replayed => {
            let text = S::AlreadyCheckedIn.fill(lang, &[("passbook", &receipt.passbook)]);
            notice(model, NoticeKind::Error, text);
            return Vec::new();
        }
        Ok(receipt) => receipt,
        Err(message) => {
            if model.screen == Screen::EarnConfirm {
                model.screen = Screen::Earn;
            }
            notice(model, NoticeKind::Error, message);
            return Vec::new();
        }
    };
    let values: [(&str, &dyn std::fmt::Display); 5] = [
        ("passbook", &receipt.passbook),
        (
            "resident",
            &crate::present::resident_name(model.lang, &receipt.resident_name),
        ),
        ("points", &receipt.points),
        ("before", &receipt.balance_before),
        ("after", &receipt.balance_after),
    ];
    let text = S::EarnedNotice.fill(lang, &values);
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

fn redeemed(model: &mut Model, result: Result<Receipt, String>) -> Vec<Effect> {
    model.busy = false;
    match result {
        Ok(receipt) => {
            let values: [(&str, &dyn std::fmt::Display); 2] = [
                ("before", &receipt.balance_before),
                ("after", &receipt.balance_after),
            ];
            let text = S::RedeemedNotice.fill(model.lang, &values);
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

fn printed(model: &mut Model, result: Result<PrintedSlip, String>) -> Vec<Effect> {
    match result {
        Ok(printed) => {
            if let Some(slip) = printed.slip {
                model.latest_slip = Some(slip);
            }
            if let Some(note) = printed.note {
                notice(model, NoticeKind::Info, note);
            }
        }
        Err(message) => {
            model.printer = PrinterState::Problem(message.clone());
            notice(model, NoticeKind::Error, message);
        }
    }
    Vec::new()
}

/// A reprint or the day close: printed like any slip, and the notice says what printed.
fn printed_as(
    model: &mut Model,
    what: Printout,
    result: Result<PrintedSlip, String>,
) -> Vec<Effect> {
    // A printer that cannot say whether it printed: its note stands, not "printed".
    let ok = result.as_ref().is_ok_and(|p| p.note.is_none());
    printed(model, result);
    if ok {
        let text = match what {
            Printout::Reprint { short } => {
                S::ReprintedNotice.fill(model.lang, &[("short", &short_txn(&short))])
            }
            Printout::DayClose { day } => S::DayClosePrinted.fill(model.lang, &[("day", &day)]),
        };
        notice(model, NoticeKind::Info, text);
    }
    Vec::new()
}
