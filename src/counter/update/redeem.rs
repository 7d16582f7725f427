//! The resident screen, the redeem screen (catalogue and cart) and the confirm step.

use super::super::model::*;
use super::super::strings::S;
use super::earn::open_earn;
use super::notice;

pub(super) fn resident_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Char('r' | 'R') | Key::Enter => {
            model.screen = Screen::Redeem;
            model.search.clear();
            model.selected = 0;
            Vec::new()
        }
        Key::Char('e' | 'E') => {
            open_earn(model, Screen::Earn);
            Vec::new()
        }
        Key::Esc => {
            model.screen = Screen::Home;
            model.account = None;
            model.scan = None;
            Vec::new()
        }
        Key::F(2) if model.demo => vec![Effect::DemoScanPassbook],
        Key::F(3) if model.demo => vec![Effect::DemoScanItem],
        _ => Vec::new(),
    }
}

pub(super) fn redeem_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let count = model.filtered().len();
    match key {
        Key::Char('+') => change_last(model, 1),
        Key::Char('-') => change_last(model, -1),
        Key::Char(c) if !c.is_control() && model.search.chars().count() < 16 => {
            model.search.push(c);
            model.selected = 0;
        }
        Key::Backspace => {
            model.search.pop();
            model.selected = 0;
        }
        Key::Up => model.selected = model.selected.saturating_sub(1),
        Key::Down if model.selected + 1 < count => model.selected += 1,
        Key::Enter => {
            let chosen = model
                .filtered()
                .get(model.selected)
                .map(|c| c.item.item.clone());
            if let Some(item) = chosen {
                add_to_cart(model, &item);
                model.search.clear();
                model.selected = 0;
            }
        }
        Key::Delete => {
            model.cart.pop();
        }
        Key::F(5) if !model.cart.is_empty() => {
            model.screen = Screen::Confirm;
            model.pending_txn = Some(uuid::Uuid::now_v7());
        }
        Key::F(5) => notice(model, NoticeKind::Error, S::EmptyCart.get(model.lang)),
        Key::F(3) if model.demo => return vec![Effect::DemoScanItem],
        Key::Esc if !model.search.is_empty() => model.search.clear(),
        Key::Esc => {
            model.cart.clear();
            model.screen = Screen::Resident;
        }
        _ => {}
    }
    Vec::new()
}

pub(super) fn add_to_cart(model: &mut Model, item: &str) {
    match model.cart.iter_mut().find(|(code, _)| code == item) {
        Some((_, qty)) => *qty += 1,
        None => model.cart.push((item.to_string(), 1)),
    }
    model.notice = None;
}

fn change_last(model: &mut Model, by: i32) {
    if let Some((_, qty)) = model.cart.last_mut() {
        let next = i64::from(*qty) + i64::from(by);
        if next <= 0 {
            model.cart.pop();
        } else {
            *qty = next.min(999) as u32;
        }
    }
}

pub(super) fn confirm_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Enter => {
            let (Some(scan), Some(txn)) = (model.scan.clone(), model.pending_txn) else {
                model.screen = Screen::Redeem;
                return Vec::new();
            };
            model.busy = true;
            vec![Effect::Redeem {
                scan,
                lines: model.cart.clone(),
                txn,
            }]
        }
        Key::Esc => {
            model.screen = Screen::Redeem;
            model.pending_txn = None;
            Vec::new()
        }
        _ => Vec::new(),
    }
}
