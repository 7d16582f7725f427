//! The login screen, the home screen's keys, and the idle lock.

use super::super::model::*;
use super::super::strings::S;
use super::earn::open_earn;
use super::notice;

pub(super) fn tick(model: &mut Model, now: u64) -> Vec<Effect> {
    let idle = now.saturating_sub(model.last_input_ms);
    if model.operator.is_some() && !model.busy && idle >= model.idle_lock_ms {
        lock(model);
        notice(model, NoticeKind::Info, S::Locked.get(model.lang));
        return vec![Effect::Logout];
    }
    Vec::new()
}

pub(super) fn lock(model: &mut Model) {
    model.operator = None;
    model.screen = Screen::Login;
    model.login_field = LoginField::Operator;
    model.pin_input.clear();
    model.account = None;
    model.scan = None;
    model.cart.clear();
    model.pending_txn = None;
    model.event = None;
}

pub(super) fn login_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let field = match model.login_field {
        LoginField::Operator => &mut model.operator_input,
        LoginField::Pin => &mut model.pin_input,
    };
    match key {
        Key::Char(c) if c.is_ascii_digit() && field.len() < 8 => field.push(c),
        Key::Backspace => {
            field.pop();
        }
        Key::Esc => {
            model.operator_input.clear();
            model.pin_input.clear();
            model.login_field = LoginField::Operator;
        }
        Key::Enter
            if model.login_field == LoginField::Operator && !model.operator_input.is_empty() =>
        {
            model.login_field = LoginField::Pin;
        }
        Key::Enter if model.login_field == LoginField::Pin && !model.pin_input.is_empty() => {
            model.busy = true;
            return vec![Effect::Login {
                operator: model.operator_input.clone(),
                pin: model.pin_input.clone(),
            }];
        }
        _ => {}
    }
    Vec::new()
}

pub(super) fn home_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Char('v' | 'V') => {
            open_earn(model, Screen::EventSetup);
            Vec::new()
        }
        Key::Char('t' | 'T') => vec![Effect::LoadReport],
        Key::Char('s' | 'S') => {
            model.screen = Screen::Stock;
            model.stock_mode = StockMode::Browse;
            model.search.clear();
            model.selected = 0;
            Vec::new()
        }
        Key::Char('h' | 'H') => {
            model.screen = Screen::Hardware;
            model.key_log.clear();
            vec![Effect::RefreshStatus]
        }
        Key::Char('y' | 'Y') => {
            model.screen = Screen::Sync;
            Vec::new()
        }
        Key::Char('x' | 'X') => {
            let admin_no = model
                .operator
                .as_ref()
                .map(|o| o.number.clone())
                .unwrap_or_default();
            model.reverse = Some(ReverseForm {
                txn: String::new(),
                reason: String::new(),
                admin_no,
                admin_pin: String::new(),
                field: ReverseField::Txn,
            });
            model.screen = Screen::Reverse;
            model.notice = None;
            Vec::new()
        }
        Key::Char('p' | 'P') => match &model.last_receipt {
            Some(receipt) => vec![Effect::Reprint {
                txn: receipt.txn.clone(),
            }],
            None => {
                notice(model, NoticeKind::Error, S::NoReceiptYet.get(model.lang));
                Vec::new()
            }
        },
        Key::F(2) if model.demo => vec![Effect::DemoScanPassbook],
        Key::F(3) if model.demo => vec![Effect::DemoScanItem],
        Key::F(10) => {
            lock(model);
            vec![Effect::Logout]
        }
        _ => Vec::new(),
    }
}
