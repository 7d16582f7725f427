//! The login screen, the home screen with its look-up field, and the administrator's
//! confirmation of a passbook typed by hand.

use super::super::model::*;
use super::super::strings::S;
use super::{bold, centered, demo_home, field_spans, label_width, labelled};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Widest box of the login and confirmation forms.
const FORM_COLUMNS_MAX: u16 = 72;

pub(super) fn login(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let width = label_width(&[S::OperatorNo.get(lang), S::Pin.get(lang)]);
    let line = |label: S, value: String, field: LoginField| {
        let active = model.login_field == field;
        labelled(label.get(lang), width, &TextField::from(""), value, active)
    };
    let mut lines = vec![
        Line::raw(""),
        line(
            S::OperatorNo,
            model.operator_input.clone(),
            LoginField::Operator,
        ),
        line(S::Pin, "•".repeat(model.pin_input.len()), LoginField::Pin),
        Line::raw(""),
        Line::styled(S::LoginHint.get(lang), Style::new().fg(Color::DarkGray)),
    ];
    if model.demo {
        let demo = Style::new().fg(Color::Magenta);
        lines.push(Line::styled(S::DemoPinHint.get(lang), demo));
        lines.push(Line::styled(demo_home(model), demo));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(S::LoginTitle.get(lang));
    let box_area = centered(area, area.width.min(FORM_COLUMNS_MAX), 10);
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        box_area,
    );
}

pub(super) fn home(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let [big, lookup, low] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(3),
        Constraint::Length(3),
    ])
    .areas(area);
    let mut lines = vec![
        Line::raw(""),
        Line::styled(S::ScanPassbook.get(lang), bold().fg(Color::Yellow)),
        Line::raw(""),
        Line::raw(S::ScanHint.get(lang)),
    ];
    let sync = super::hardware::sync_attention(lang, &model.sync_brief);
    for warning in model.clock_warning.iter().chain(sync.as_ref()) {
        lines.push(Line::raw(""));
        lines.push(Line::styled(warning.clone(), bold().fg(Color::Red)));
    }
    if model.demo {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            demo_home(model),
            Style::new().fg(Color::Magenta),
        ));
    }
    frame.render_widget(
        Paragraph::new(Text::from(lines))
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL)),
        big,
    );
    let typed = field_spans(&model.lookup, model.lookup.text.clone(), true);
    frame.render_widget(
        Paragraph::new(Line::from(typed)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(S::LookupTitle.get(lang)),
        ),
        lookup,
    );
    let low_text = if model.low_stock.is_empty() {
        S::NoneLow.get(lang).to_string()
    } else {
        model.low_stock.join("  ")
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(S::LowStock.get(lang));
    frame.render_widget(Paragraph::new(low_text).block(block), low);
}

pub(super) fn admin_confirm(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(form) = &model.admin_form else {
        return home(frame, area, model);
    };
    let width = label_width(&[S::AdminNo.get(lang), S::AdminPin.get(lang)]);
    let number = S::AdminConfirmNumber.fill(lang, &[("number", &form.number)]);
    let pin = "•".repeat(form.admin_pin.text.chars().count());
    let lines = vec![
        Line::from(Span::styled(number, bold())),
        Line::raw(S::AdminConfirmWhy.get(lang)),
        Line::raw(""),
        labelled(
            S::AdminNo.get(lang),
            width,
            &form.admin_no,
            form.admin_no.text.clone(),
            form.field == LoginField::Operator,
        ),
        labelled(
            S::AdminPin.get(lang),
            width,
            &form.admin_pin,
            pin,
            form.field == LoginField::Pin,
        ),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .title(S::AdminConfirmTitle.get(lang));
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        centered(area, area.width.min(FORM_COLUMNS_MAX), 10),
    );
}
