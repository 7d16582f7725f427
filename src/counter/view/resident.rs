//! The resident screen, the redeem screen (catalogue and cart) and the confirm step.

use super::super::model::*;
use super::super::strings::{S, line_problem_text};
use super::{bold, highlight, window};
use crate::present::signed_points;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

pub(super) fn resident(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(a) = &model.account else {
        return super::home::home(frame, area, model);
    };
    let [head, table] = Layout::vertical([Constraint::Length(6), Constraint::Min(3)]).areas(area);
    let mut head_lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", S::Resident.get(lang)), bold()),
            Span::raw(format!(
                "{}   ",
                crate::present::resident_name(lang, &a.resident_name)
            )),
            Span::styled(format!("{} ", S::Passbook.get(lang)), bold()),
            Span::raw(a.passbook.clone()),
        ]),
        Line::from(vec![
            Span::styled(format!("{} ", S::Balance.get(lang)), bold()),
            Span::styled(format!("{}", a.balance), bold().fg(Color::Green)),
        ]),
        Line::raw(format!(
            "{}  {} {}  {} {}",
            S::ThisMonth.get(lang),
            S::Earned.get(lang),
            signed_points(a.month_earned.0),
            S::Spent.get(lang),
            signed_points(-a.month_spent.0)
        )),
    ];
    if let Some(admin) = &model.confirmed_by {
        let text = S::ConfirmedBy.fill(lang, &[("admin", admin)]);
        head_lines.push(Line::styled(text, bold().fg(Color::Magenta)));
    }
    frame.render_widget(
        Paragraph::new(Text::from(head_lines)).block(Block::default().borders(Borders::ALL)),
        head,
    );
    let rows = a.last.iter().map(|h| {
        Row::new(vec![
            Cell::from(h.recorded_at.clone()),
            Cell::from(crate::present::kind_label(lang, &h.kind)),
            Cell::from(signed_points(h.points.0)),
            Cell::from(crate::present::history_detail(lang, &h.detail)),
        ])
    });
    let header = Row::new(vec![
        S::Time.get(lang),
        S::Kind.get(lang),
        S::Points.get(lang),
        S::Details.get(lang),
    ])
    .style(bold());
    let widths = [
        Constraint::Length(16),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Min(10),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .title(S::LastEntries.get(lang));
    frame.render_widget(Table::new(rows, widths).header(header).block(block), table);
}

pub(super) fn redeem(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(area);
    let [search, list] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(left);
    let search_block = Block::default()
        .borders(Borders::ALL)
        .title(S::Search.get(lang));
    frame.render_widget(
        Paragraph::new(format!("{}▏", model.search)).block(search_block),
        search,
    );
    let filtered = model.filtered();
    let dash = || "-".to_string();
    let rows = window(&filtered, model.selected, list.height.saturating_sub(3)).map(|(i, c)| {
        Row::new(vec![
            Cell::from(c.item.item.clone()),
            Cell::from(c.item.name.clone()),
            Cell::from(c.item.points.to_string()),
            Cell::from(c.item.stock.map_or_else(dash, |s| s.to_string())),
            Cell::from(c.item.monthly_limit.map_or_else(dash, |l| l.to_string())),
        ])
        .style(highlight(i == model.selected))
    });
    let header = Row::new(vec![
        "",
        S::Catalog.get(lang),
        S::Points.get(lang),
        S::Stock.get(lang),
        S::Limit.get(lang),
    ])
    .style(bold());
    let widths = [
        Constraint::Length(5),
        Constraint::Min(8),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(5),
    ];
    frame.render_widget(
        Table::new(rows, widths).header(header).block(
            Block::default()
                .borders(Borders::ALL)
                .title(S::Catalog.get(lang)),
        ),
        list,
    );
    cart(frame, right, model, S::Cart.get(lang));
}

/// The cart: each line, marked when it goes beyond the shelf or the monthly limit.
fn cart(frame: &mut Frame<'_>, area: Rect, model: &Model, title: &str) {
    let lang = model.lang;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(a) = &model.account {
        lines.push(Line::raw(format!(
            "{} {}  {} {}",
            S::Resident.get(lang),
            crate::present::resident_name(lang, &a.resident_name),
            S::Balance.get(lang),
            a.balance
        )));
    }
    if model.cart.is_empty() {
        lines.push(Line::styled(
            S::EmptyCart.get(lang),
            Style::new().fg(Color::DarkGray),
        ));
    }
    for (code, qty) in &model.cart {
        let Some(item) = model.item(code) else {
            continue;
        };
        let problem = model.line_problem(code, *qty);
        let style = match problem {
            Some(_) => bold().fg(Color::Red),
            None => Style::new(),
        };
        let text = format!(
            "{} ×{} = {}",
            item.name,
            qty,
            item.points.0 * i64::from(*qty)
        );
        lines.push(Line::styled(text, style));
        if let Some(problem) = problem {
            let why = format!("  ↳ {}", line_problem_text(lang, problem));
            lines.push(Line::styled(why, Style::new().fg(Color::Red)));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("{} {}", S::Total.get(lang), model.cart_total()),
        bold(),
    ));
    if let Some(after) = model.balance_after() {
        let style = if after < 0 {
            bold().fg(Color::Red)
        } else {
            bold().fg(Color::Green)
        };
        let mut text = format!("{} {after}", S::BalanceAfter.get(lang));
        if after < 0 {
            text.push_str(&format!("  {}", S::NotEnoughPoints.get(lang)));
        }
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.to_string()),
        ),
        area,
    );
}

pub(super) fn confirm(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let [summary, prompt] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(3)]).areas(area);
    cart(frame, summary, model, S::Confirm.get(lang));
    frame.render_widget(
        Paragraph::new(Line::styled(
            S::ConfirmRedeem.get(lang),
            bold().fg(Color::Yellow),
        ))
        .alignment(Alignment::Center)
        .block(Block::default().borders(Borders::ALL)),
        prompt,
    );
}
