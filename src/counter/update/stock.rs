//! The stock screen: goods received (with a donor) and shelf counts.

use super::super::model::*;

/// Goods only: services, venues and honours have no shelf.
pub fn stocked_items(model: &Model) -> Vec<&CatalogItem> {
    model
        .filtered()
        .into_iter()
        .filter(|c| c.item.stock.is_some())
        .collect()
}

pub(super) fn stock_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let items = stocked_items(model);
    let chosen = items.get(model.selected).map(|c| c.item.item.clone());
    let count = items.len();
    match (model.stock_mode, key) {
        (StockMode::Browse, Key::Up) => model.selected = model.selected.saturating_sub(1),
        (StockMode::Browse, Key::Down) if model.selected + 1 < count => model.selected += 1,
        (StockMode::Browse, Key::F(6)) | (StockMode::Browse, Key::F(7)) if chosen.is_some() => {
            model.stock_mode = if key == Key::F(6) {
                StockMode::Receive
            } else {
                StockMode::Count
            };
            model.qty_input.clear();
            model.donor_input.clear();
        }
        (StockMode::Browse, Key::Char(c))
            if !c.is_control() && model.search.chars().count() < 16 =>
        {
            model.search.push(c);
            model.selected = 0;
        }
        (StockMode::Browse, Key::Backspace) => {
            model.search.pop();
            model.selected = 0;
        }
        (StockMode::Browse, Key::Esc) => model.screen = Screen::Home,
        (StockMode::Receive | StockMode::Count, Key::Char(c))
            if c.is_ascii_digit() && model.qty_input.len() < 7 =>
        {
            model.qty_input.push(c)
        }
        (StockMode::Receive | StockMode::Count, Key::Backspace) => {
            model.qty_input.pop();
        }
        (StockMode::Donor, Key::Char(c)) if model.donor_input.chars().count() < 40 => {
            model.donor_input.push(c)
        }
        (StockMode::Donor, Key::Backspace) => {
            model.donor_input.pop();
        }
        (StockMode::Receive, Key::Enter) if !model.qty_input.is_empty() => {
            model.stock_mode = StockMode::Donor
        }
        (StockMode::Donor | StockMode::Count, Key::Enter) => {
            let (Some(item), Ok(qty)) = (chosen, model.qty_input.parse::<i64>()) else {
                return Vec::new();
            };
            model.busy = true;
            let donor = Some(model.donor_input.trim().to_string()).filter(|d| !d.is_empty());
            return vec![if model.stock_mode == StockMode::Count {
                Effect::Count { item, counted: qty }
            } else {
                Effect::Restock { item, qty, donor }
            }];
        }
        (_, Key::Esc) => model.stock_mode = StockMode::Browse,
        _ => {}
    }
    Vec::new()
}
