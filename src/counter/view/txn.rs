//! The txn screens: the 单号 field, the txns it may mean, the txn found (resident masked,
//! lines, points, time, whether it was reversed), and for a reversal its reason and the
//! administrator's number and PIN.

use super::super::model::*;
use super::super::strings::S;
use super::{bold, highlight, label_width, labelled};
use crate::ledger::{Receipt, ReceiptKind, short_txn};
use crate::present::signed_points;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub(super) fn txn(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(form) = &model.txn_form else {
        return super::home::home(frame, area, model);
    };
    let title = match model.screen {
        Screen::Reverse => S::ReverseTitle,
        Screen::Reprint => S::ReprintTitle,
        _ => S::TxnTitle,
    };
    let labels = [
        S::TxnField.get(lang),
        S::ReverseReason.get(lang),
        S::AdminNo.get(lang),
        S::AdminPin.get(lang),
    ];
    let width = label_width(&labels);
    let on_txn = form.field == ReverseField::Txn || model.screen != Screen::Reverse;
    let mut lines = vec![
        labelled(
            labels[0],
            width,
            &form.txn,
            form.txn.text.clone(),
            on_txn && form.candidates.is_empty(),
        ),
        Line::styled(S::TxnFieldHint.get(lang), Style::new().fg(Color::DarkGray)),
        Line::raw(""),
    ];
    if !form.candidates.is_empty() {
        lines.extend(candidates(model, form));
    }
    if let Some(found) = &form.found {
        lines.extend(receipt_lines(model, found));
    }
    let reversible = form.found.as_ref().is_some_and(|r| r.reversed.is_none());
    if model.screen == Screen::Reverse && reversible {
        lines.push(Line::raw(""));
        let field = |label: &str, f: &TextField, shown: String, which| {
            labelled(label, width, f, shown, form.field == which)
        };
        lines.push(field(
            labels[1],
            &form.reason,
            form.reason.text.clone(),
            ReverseField::Reason,
        ));
        lines.push(field(
            labels[2],
            &form.admin_no,
            form.admin_no.text.clone(),
            ReverseField::AdminNo,
        ));
        let pin = "•".repeat(form.admin_pin.text.chars().count());
        lines.push(field(
            labels[3],
            &form.admin_pin,
            pin,
            ReverseField::AdminPin,
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title.get(lang));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

fn candidates(model: &Model, form: &TxnForm) -> Vec<Line<'static>> {
    let lang = model.lang;
    let short = form.txn.text.clone();
    let mut lines = vec![Line::styled(
        S::TxnPick.fill(lang, &[("short", &short)]),
        bold().fg(Color::Yellow),
    )];
    for (i, c) in form.candidates.iter().enumerate() {
        let text = format!(
            "{}  {}  {} {}  {} {}",
            short_txn(&c.txn),
            c.recorded_at,
            kind_label(model, c.kind),
            signed_points(c.points.0),
            S::Passbook.get(lang),
            c.passbook
        );
        lines.push(Line::styled(text, highlight(i == form.picked)));
    }
    if form.more {
        lines.push(Line::raw(S::TxnMore.get(lang)));
    }
    lines
}

fn kind_label(model: &Model, kind: ReceiptKind) -> &'static str {
    let kind = match kind {
        ReceiptKind::Earn => "points_earned",
        ReceiptKind::Redeem => "points_redeemed",
        ReceiptKind::Reversal => "reversed",
        ReceiptKind::Adjustment => "points_adjusted",
    };
    crate::present::kind_label(model.lang, kind)
}

/// What the txn was: who (masked), when, which lines, how many points.
fn receipt_lines(model: &Model, r: &Receipt) -> Vec<Line<'static>> {
    let lang = model.lang;
    let mut lines = vec![Line::styled(
        format!(
            "{} {}  {}  {} {}  {} {}",
            kind_label(model, r.kind),
            short_txn(&r.txn),
            r.recorded_at,
            S::Passbook.get(lang),
            r.passbook,
            S::Resident.get(lang),
            crate::present::resident_name(lang, &r.resident_name)
        ),
        bold(),
    )];
    if let Some(activity) = &r.activity {
        lines.push(Line::raw(format!("  {activity}")));
    }
    for line in &r.lines {
        lines.push(Line::raw(format!(
            "  {} × {} = {}",
            line.name,
            line.qty,
            line.points()
        )));
    }
    if let Some(reason) = &r.reason {
        lines.push(Line::raw(format!(
            "  {} {reason}",
            S::ReverseReason.get(lang)
        )));
    }
    let values: [(&str, &dyn std::fmt::Display); 3] = [
        ("points", &signed_points(r.points.0)),
        ("before", &r.balance_before),
        ("after", &r.balance_after),
    ];
    lines.push(Line::raw(S::TxnPoints.fill(lang, &values)));
    if let Some(by) = &r.reversed {
        let values: [(&str, &dyn std::fmt::Display); 2] =
            [("at", &by.at), ("by", &short_txn(&by.txn))];
        lines.push(Line::styled(
            S::TxnReversedNote.fill(lang, &values),
            Style::new().fg(Color::Red),
        ));
    }
    lines
}
