//! The earn form (one resident, or an event's set-up), its confirm step, and the running
//! event check-in. Each shows activity × hours = points.

use super::super::model::*;
use super::super::strings::S;
use super::{bold, centered, highlight, label_width, labelled, window};
use crate::domain::Points;
use crate::domain::points::earned_points;
use crate::ledger::ActivityView;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Text};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

/// "垃圾分类督导 10 分/小时 × 1.5 小时 = 15 分".
fn formula(model: &Model, activity: &ActivityView, minutes: u32, points: Points) -> String {
    let hours = crate::present::hours_text(model.lang, minutes);
    let values: [(&str, &dyn std::fmt::Display); 4] = [
        ("activity", &activity.name),
        ("rate", &activity.points_per_hour),
        ("hours", &hours),
        ("points", &points),
    ];
    S::EarnFormula.fill(model.lang, &values)
}

/// The formula for what the form holds now, if its hours are hours.
fn typed_formula(model: &Model) -> Option<String> {
    let activity = model.activities.get(model.activity_selected)?;
    let minutes = parse_minutes(model.hours_input.as_str())?;
    let points = earned_points(activity.points_per_hour, minutes)?;
    Some(formula(model, activity, minutes, points))
}

pub(super) fn earn(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let setup = model.screen == Screen::EventSetup;
    let title = if setup {
        S::EventSetupTitle
    } else {
        S::EarnTitle
    };
    let [who, list, form] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(4),
        Constraint::Length(if setup { 5 } else { 4 }),
    ])
    .areas(area);
    let who_text = match (&model.account, setup) {
        (Some(a), false) => format!(
            "{} {}  {} {}  {} {}",
            S::Resident.get(lang),
            crate::present::resident_name(lang, &a.resident_name),
            S::Passbook.get(lang),
            a.passbook,
            S::Balance.get(lang),
            a.balance
        ),
        _ => S::EventScanHint.get(lang).to_string(),
    };
    frame.render_widget(
        Paragraph::new(who_text).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.get(lang)),
        ),
        who,
    );
    activities(frame, list, model);
    let width = label_width(&[S::Hours.get(lang), S::EventName.get(lang)]);
    let on_name = setup && model.earn_field == EarnField::EventName;
    let hours = &model.hours_input;
    let mut lines = vec![labelled(
        S::Hours.get(lang),
        width,
        hours,
        hours.text.clone(),
        !on_name,
    )];
    if setup {
        let name = &model.event_name;
        lines.push(labelled(
            S::EventName.get(lang),
            width,
            name,
            name.text.clone(),
            on_name,
        ));
    }
    let formula = typed_formula(model).unwrap_or_else(|| "-".into());
    lines.push(Line::styled(formula, bold().fg(Color::Green)));
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL)),
        form,
    );
}

fn activities(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let rows = window(
        &model.activities,
        model.activity_selected,
        area.height.saturating_sub(2),
    )
    .map(|(i, a)| {
        Row::new(vec![
            Cell::from(a.activity.clone()),
            Cell::from(a.name.clone()),
            Cell::from(format!("{} {}", a.points_per_hour, S::PerHour.get(lang))),
        ])
        .style(highlight(i == model.activity_selected))
    });
    let widths = [
        Constraint::Length(5),
        Constraint::Min(10),
        Constraint::Length(12),
    ];
    frame.render_widget(
        Table::new(rows, widths).block(
            Block::default()
                .borders(Borders::ALL)
                .title(S::Activity.get(lang)),
        ),
        area,
    );
}

pub(super) fn earn_confirm(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(draft) = &model.earn_draft else {
        return super::home::home(frame, area, model);
    };
    let sum = formula(model, &draft.activity, draft.minutes, draft.points);
    let (who, ask) = match (&draft.event, &model.account) {
        (Some(name), _) => {
            let values: [(&str, &dyn std::fmt::Display); 2] =
                [("name", name), ("points", &draft.points)];
            (
                format!("{} {name}", S::EventName.get(lang)),
                S::EventConfirmAsk.fill(lang, &values),
            )
        }
        (None, Some(a)) => {
            let values: [(&str, &dyn std::fmt::Display); 2] = [
                (
                    "resident",
                    &crate::present::resident_name(lang, &a.resident_name),
                ),
                ("passbook", &a.passbook),
            ];
            (
                format!(
                    "{} {}  {} {}  {} {}",
                    S::Resident.get(lang),
                    crate::present::resident_name(lang, &a.resident_name),
                    S::Passbook.get(lang),
                    a.passbook,
                    S::Balance.get(lang),
                    a.balance
                ),
                S::EarnConfirmAsk.fill(lang, &values),
            )
        }
        (None, None) => return super::home::home(frame, area, model),
    };
    let text = Text::from(vec![
        Line::raw(who),
        Line::raw(""),
        Line::styled(sum, bold().fg(Color::Green)),
        Line::raw(""),
        Line::styled(ask, bold().fg(Color::Yellow)),
    ]);
    let title = if draft.event.is_some() {
        S::EventTitle
    } else {
        S::EarnConfirmTitle
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title.get(lang));
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .block(block),
        centered(area, area.width.min(76), 9),
    );
}

pub(super) fn event(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(run) = &model.event else {
        return super::home::home(frame, area, model);
    };
    let text = Text::from(vec![
        Line::styled(run.name.clone(), bold()),
        Line::raw(formula(model, &run.activity, run.minutes, run.points)),
        Line::raw(""),
        Line::styled(S::EventScanHint.get(lang), bold().fg(Color::Yellow)),
        Line::raw(""),
        Line::styled(
            format!("{} {}", S::Credited.get(lang), run.credited),
            bold().fg(Color::Green),
        ),
    ]);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(S::EventTitle.get(lang)),
            ),
        area,
    );
}
