//! The stock screen: goods received (with a donor) and shelf counts. The form books onto the
//! item it names, and a count that takes away much of the stock asks again.

use super::super::model::*;
use super::super::strings::S;
use super::SEARCH_CHARS_MAX;
use super::ask::ask;

/// Longest quantity typed.
const QTY_CHARS_MAX: usize = 7;
/// Longest donor name typed.
const DONOR_CHARS_MAX: usize = 40;

pub(super) fn open(model: &mut Model) {
    model.screen = Screen::Stock;
    model.stock_mode = StockMode::Browse;
    model.stock_item = None;
    model.search.clear();
    model.selected = 0;
}

pub(super) fn stock_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match model.stock_mode {
        StockMode::Browse => browse_key(model, key),
        StockMode::Receive | StockMode::Count | StockMode::Donor => form_key(model, key),
    }
}

fn browse_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let items = model.stocked_items();
    let chosen = items.get(model.selected).map(|c| c.item.item.clone());
    let count = items.len();
    match key {
        Key::Up => model.selected = model.selected.saturating_sub(1),
        Key::Down if model.selected + 1 < count => model.selected += 1,
        Key::F(6 | 7) if chosen.is_some() => {
            model.stock_mode = if key == Key::F(6) {
                StockMode::Receive
            } else {
                StockMode::Count
            };
            model.stock_item = chosen;
            model.qty_input.clear();
            model.donor_input.clear();
        }
        Key::Char(c) if !c.is_control() && model.search.chars().count() < SEARCH_CHARS_MAX => {
            model.search.push(c);
            model.selected = 0;
        }
        Key::Backspace => {
            model.search.pop();
            model.selected = 0;
        }
        Key::Esc => model.screen = Screen::Home,
        _ => {}
    }
    Vec::new()
}

fn form_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let mode = model.stock_mode;
    let field = if mode == StockMode::Donor {
        &mut model.donor_input
    } else {
        &mut model.qty_input
    };
    match key {
        Key::Char(c) if mode == StockMode::Donor && !c.is_control() => {
            field.push(c, DONOR_CHARS_MAX)
        }
        Key::Char(c) if mode != StockMode::Donor && c.is_ascii_digit() => {
            field.push(c, QTY_CHARS_MAX)
        }
        Key::Backspace => field.backspace(),
        Key::Esc => model.stock_mode = StockMode::Browse,
        Key::Enter if mode == StockMode::Receive && !model.qty_input.is_empty() => {
            model.stock_mode = StockMode::Donor
        }
        Key::Enter if mode != StockMode::Receive => return book(model),
        _ => {}
    }
    Vec::new()
}

fn book(model: &mut Model) -> Vec<Effect> {
    let (Some(item), Ok(qty)) = (
        model.stock_item.clone(),
        model.qty_input.as_str().parse::<i64>(),
    ) else {
        return Vec::new();
    };
    if model.stock_mode == StockMode::Count {
        return count(model, item, qty);
    }
    model.busy = true;
    let donor = Some(model.donor_input.as_str().trim().to_string()).filter(|d| !d.is_empty());
    vec![Effect::Restock { item, qty, donor }]
}

/// A count that takes away more than [`COUNT_DROP_SHARE_MAX_PERCENT`] of the stock is asked
/// again: a typo (10 for 100) would otherwise write off most of the shelf.
fn count(model: &mut Model, item: String, counted: i64) -> Vec<Effect> {
    let Some(found) = model.item(&item) else {
        return Vec::new();
    };
    let stock = found.stock.unwrap_or(0);
    let removed = stock - counted;
    if removed * 100 > stock * COUNT_DROP_SHARE_MAX_PERCENT {
        let values: [(&str, &dyn std::fmt::Display); 5] = [
            ("share", &COUNT_DROP_SHARE_MAX_PERCENT),
            ("name", &found.name),
            ("stock", &stock),
            ("counted", &counted),
            ("removed", &removed),
        ];
        let text = S::AskCountDrop.fill(model.lang, &values);
        ask(model, Ask::CountDrop { item, counted }, text);
        return Vec::new();
    }
    model.busy = true;
    vec![Effect::Count { item, counted }]
}
