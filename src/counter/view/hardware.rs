//! The hardware screen (the printer's status in the words of `hw status`, the scanner test in
//! plain words) and the sync screen.

use super::super::model::*;
use super::super::strings::S;
use super::bold;
use crate::i18n::Lang;
use crate::scanner::ScanKind;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub(super) fn hardware(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let [printer, scanner] =
        Layout::vertical([Constraint::Length(5), Constraint::Min(4)]).areas(area);
    frame.render_widget(
        Paragraph::new(printer_words(model))
            .wrap(Wrap { trim: true })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(S::HardwareTitle.get(lang)),
            ),
        printer,
    );
    let mut lines = vec![Line::styled(
        S::ScannerTestHint.get(lang),
        Style::new().fg(Color::DarkGray),
    )];
    lines.extend(
        model
            .key_log
            .iter()
            .map(|l| Line::raw(key_log_text(lang, l))),
    );
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(S::ScannerTest.get(lang)),
        ),
        scanner,
    );
}

/// What `hw status` says: ready (and paper running low), or the problem and what to do.
fn printer_words(model: &Model) -> Vec<Line<'static>> {
    let lang = model.lang;
    match &model.printer {
        PrinterState::Unknown => vec![Line::raw("…")],
        PrinterState::Ready {
            simulator,
            paper_near_end,
        } => {
            let ready = S::PrinterReadyWords.get(lang);
            let mut lines = vec![Line::styled(ready, bold().fg(Color::Green))];
            if *simulator {
                lines.push(Line::raw(S::PrinterSimulatorNote.get(lang)));
            }
            if *paper_near_end {
                let warning = crate::printer::status::near_end_warning(lang);
                lines.push(Line::styled(warning, bold().fg(Color::Yellow)));
            }
            lines
        }
        PrinterState::Unchecked => vec![Line::styled(
            crate::printer::status::unknown_state_message(lang),
            bold().fg(Color::Yellow),
        )],
        PrinterState::Problem(message) => {
            vec![Line::styled(message.clone(), bold().fg(Color::Red))]
        }
    }
}

/// "按键 a  +210 毫秒", "扫码：商品条码 6901234500011".
pub(super) fn key_log_text(lang: Lang, line: &KeyLogLine) -> String {
    match line {
        KeyLogLine::Key { key, gap_ms } => {
            let values: [(&str, &dyn std::fmt::Display); 2] =
                [("key", &key_name(lang, *key)), ("gap", gap_ms)];
            S::KeyLogKey.fill(lang, &values)
        }
        KeyLogLine::Scan { text, kind } => {
            let kind = match kind {
                ScanKind::Passbook => S::ScanKindPassbook,
                ScanKind::ReceiptQr(_) => S::ScanKindSlip,
                ScanKind::Barcode(_) => S::ScanKindBarcode,
                ScanKind::Unknown => S::ScanKindUnknown,
            };
            let values: [(&str, &dyn std::fmt::Display); 2] =
                [("kind", &kind.get(lang)), ("text", text)];
            S::KeyLogScan.fill(lang, &values)
        }
    }
}

fn key_name(lang: Lang, key: Key) -> String {
    let named = match key {
        Key::Char(' ') => S::KeySpace,
        Key::Char(c) => return c.to_string(),
        Key::F(n) => return format!("F{n}"),
        Key::Enter => S::KeyEnter,
        Key::Tab => S::KeyTab,
        Key::Esc => S::KeyEsc,
        Key::Backspace => S::KeyBackspace,
        Key::Delete => S::KeyDelete,
        Key::Up => S::KeyUp,
        Key::Down => S::KeyDown,
        Key::Left => S::KeyLeft,
        Key::Right => S::KeyRight,
        Key::CtrlC => S::KeyCtrlC,
    };
    named.get(lang).to_string()
}

/// The sync screen: the district, the last import and export, every series this counter
/// holds, overdrafts and forks, in the words of `sync status`.
pub(super) fn sync(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    use crate::present::sync::{Tone, status_lines};
    let lang = model.lang;
    let lines: Vec<Line<'static>> = match &model.sync {
        None => vec![Line::raw("…")],
        Some(status) => status_lines(lang, status)
            .into_iter()
            .map(|(tone, text)| match tone {
                Tone::Plain => Line::raw(text),
                Tone::Heading => Line::styled(text, bold()),
                Tone::Warning => Line::styled(text, bold().fg(Color::Red)),
            })
            .collect(),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((model.sync_scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(S::SyncTitle.get(lang)),
            ),
        area,
    );
}

/// "同步 12-02 02:31", "同步：未加入街道" for the title bar.
pub(super) fn sync_brief(lang: Lang, brief: &SyncBrief) -> String {
    match brief {
        SyncBrief::Unknown => S::SyncUnknown.get(lang).to_string(),
        SyncBrief::NoDistrict => S::SyncNoDistrict.get(lang).to_string(),
        SyncBrief::Enrolled { last: None, .. } => S::SyncNever.get(lang).to_string(),
        SyncBrief::Enrolled { last: Some(at), .. } => {
            let at = crate::present::sync::month_day_time(at);
            S::SyncLast.fill(lang, &[("at", &at)])
        }
    }
}

/// What the sync found that an administrator must settle, for the home screen.
pub(super) fn sync_attention(lang: Lang, brief: &SyncBrief) -> Option<String> {
    match brief {
        SyncBrief::Enrolled {
            overdrafts, forks, ..
        } if *overdrafts > 0 || *forks > 0 => {
            Some(S::SyncAttention.fill(lang, &[("overdrafts", overdrafts), ("forks", forks)]))
        }
        _ => None,
    }
}
