//! The stock screen: the goods list and the receive/count form, which names its item.

use super::super::model::*;
use super::super::strings::S;
use super::{bold, field_spans, highlight, window};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

pub(super) fn stock(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let [search, list, form] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(4),
        Constraint::Length(4),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(format!("{}▏", model.search)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(S::StockTitle.get(lang)),
        ),
        search,
    );
    let items = model.stocked_items();
    let rows = window(&items, model.selected, list.height.saturating_sub(2)).map(|(i, c)| {
        Row::new(vec![
            Cell::from(c.item.item.clone()),
            Cell::from(c.item.name.clone()),
            Cell::from(c.item.stock.unwrap_or(0).to_string()),
        ])
        .style(highlight(i == model.selected))
    });
    let widths = [
        Constraint::Length(6),
        Constraint::Min(10),
        Constraint::Length(8),
    ];
    let header = Row::new(vec!["", S::Catalog.get(lang), S::Stock.get(lang)]).style(bold());
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(Block::default().borders(Borders::ALL)),
        list,
    );
    frame.render_widget(
        Paragraph::new(form_lines(model)).block(Block::default().borders(Borders::ALL)),
        form,
    );
}

/// "洗衣皂（G001）库存 120", then "入库数量 24▏": the item booked onto, and what is typed.
fn form_lines(model: &Model) -> Vec<Line<'static>> {
    let lang = model.lang;
    let Some(item) = model
        .stock_item
        .as_deref()
        .and_then(|code| model.item(code))
    else {
        return Vec::new();
    };
    if model.stock_mode == StockMode::Browse {
        return Vec::new();
    }
    let stock = item.stock.unwrap_or(0);
    let values: [(&str, &dyn std::fmt::Display); 3] = [
        ("name", &item.name),
        ("code", &item.item),
        ("stock", &stock),
    ];
    let named = Line::styled(S::StockFormItem.fill(lang, &values), bold());
    let mut spans = Vec::new();
    let qty = &model.qty_input;
    let label = if model.stock_mode == StockMode::Count {
        S::Counted
    } else {
        S::Received
    };
    spans.push(Span::raw(format!("{} ", label.get(lang))));
    let on_qty = model.stock_mode != StockMode::Donor;
    spans.extend(field_spans(qty, qty.text.clone(), on_qty));
    if !on_qty {
        let donor = &model.donor_input;
        spans.push(Span::raw(format!("  {} ", S::Donor.get(lang))));
        spans.extend(field_spans(donor, donor.text.clone(), true));
    }
    vec![named, Line::from(spans)]
}
