//! The resident screen, the redeem screen (catalogue and cart) and the confirm step. A cart
//! line beyond the shelf or the resident's monthly limit is marked as it is added and stops
//! the check-out with the reason; the ledger checks again when it books.

use super::super::model::*;
use super::super::strings::{S, line_problem_text};
use super::ask::ask;
use super::{SEARCH_CHARS_MAX, earn, notice};

/// Most units of one item in a cart (the ledger's limit for one line).
const LINE_QTY_MAX: u32 = crate::ledger::points::LINE_QTY_MAX;

pub(super) fn resident_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Enter => {
            model.screen = Screen::Redeem;
            model.search.clear();
            model.selected = 0;
            Vec::new()
        }
        Key::F(4) => {
            earn::open_earn(model);
            Vec::new()
        }
        Key::Esc => {
            close_resident(model);
            vec![Effect::CloseResident]
        }
        Key::F(2) if model.demo => vec![Effect::DemoScanPassbook],
        Key::F(3) if model.demo => vec![Effect::DemoScanItem],
        _ => Vec::new(),
    }
}

fn close_resident(model: &mut Model) {
    model.screen = Screen::Home;
    model.account = None;
    model.scan = None;
    model.confirmed_by = None;
}

pub(super) fn redeem_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let count = model.filtered().len();
    match key {
        Key::Char('+') => change_last(model, 1),
        Key::Char('-') => change_last(model, -1),
        Key::Char(c) if !c.is_control() && model.search.chars().count() < SEARCH_CHARS_MAX => {
            model.search.push(c);
            model.selected = 0;
        }
        Key::Backspace => {
            model.search.pop();
            model.selected = 0;
        }
        Key::Up => model.selected = model.selected.saturating_sub(1),
        Key::Down if model.selected + 1 < count => model.selected += 1,
        Key::Enter => add_selected(model),
        Key::Delete => {
            model.cart.pop();
        }
        Key::F(5) => check_out(model),
        Key::F(3) if model.demo => return vec![Effect::DemoScanItem],
        Key::Esc if !model.search.is_empty() => model.search.clear(),
        Key::Esc if !model.cart.is_empty() => {
            let text = S::AskDropCart.get(model.lang).to_string();
            ask(model, Ask::DropCart(Key::Esc), text);
        }
        Key::Esc => model.screen = Screen::Resident,
        _ => {}
    }
    Vec::new()
}

fn add_selected(model: &mut Model) {
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

/// One more of an item; a line that now goes beyond the shelf or the monthly limit says so.
pub(super) fn add_to_cart(model: &mut Model, item: &str) {
    match model.cart.iter_mut().find(|(code, _)| code == item) {
        Some((_, qty)) => *qty = (*qty + 1).min(LINE_QTY_MAX),
        None => model.cart.push((item.to_string(), 1)),
    }
    mark_line(model, item);
}

fn change_last(model: &mut Model, by: i64) {
    let Some((code, qty)) = model.cart.last_mut() else {
        return;
    };
    let next = i64::from(*qty) + by;
    if next <= 0 {
        model.cart.pop();
        return;
    }
    *qty = next.min(i64::from(LINE_QTY_MAX)) as u32;
    let code = code.clone();
    mark_line(model, &code);
}

fn mark_line(model: &mut Model, item: &str) {
    let qty = model
        .cart
        .iter()
        .find(|(code, _)| code == item)
        .map_or(0, |(_, q)| *q);
    if let Some(problem) = model.line_problem(item, qty) {
        let text = line_text(model, item, problem, S::LineProblem);
        notice(model, NoticeKind::Error, text);
    }
}

fn line_text(model: &Model, item: &str, problem: LineProblem, template: S) -> String {
    let name = model.item(item).map_or(item, |i| i.name.as_str());
    let problem = line_problem_text(model.lang, problem);
    template.fill(model.lang, &[("item", &name), ("problem", &problem)])
}

/// F5: the confirm step, unless the cart is empty or a line cannot be redeemed.
fn check_out(model: &mut Model) {
    if model.cart.is_empty() {
        notice(model, NoticeKind::Error, S::EmptyCart.get(model.lang));
        return;
    }
    let problem = model
        .cart
        .iter()
        .find_map(|(code, qty)| model.line_problem(code, *qty).map(|p| (code.clone(), p)));
    if let Some((code, problem)) = problem {
        let text = line_text(model, &code, problem, S::CartRefused);
        notice(model, NoticeKind::Error, text);
        return;
    }
    model.screen = Screen::Confirm;
    model.pending_txn = Some(uuid::Uuid::now_v7());
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
