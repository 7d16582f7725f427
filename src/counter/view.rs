//! `view(frame, model)`: draws the counter from the model and nothing else. Usable at 80×24;
//! from 110 columns the latest printed slip is shown beside the work area. The frame (title
//! bar, notice line, footer with the keys) is drawn here, each screen by its own module.

mod earn;
mod hardware;
mod home;
mod report;
mod resident;
mod stock;
mod txn;

use super::model::*;
use super::strings::S;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

/// Width from which the latest slip gets its own panel.
pub const SLIP_PANEL_COLUMNS_MIN: u16 = 110;
const SLIP_PANEL_WIDTH: u16 = 52;
/// Width from which the title bar also names the product.
const TITLE_COLUMNS_MIN: u16 = 100;
/// Lines the footer may take when its keys do not fit one, and the notice line when its text
/// does not.
const KEYS_LINES_MAX: usize = 2;
const NOTICE_LINES_MAX: u16 = 2;

/// The row under the cursor.
fn highlight(selected: bool) -> Style {
    if selected {
        Style::new().fg(Color::Black).bg(Color::Cyan)
    } else {
        Style::new()
    }
}

/// The rows of a list that fit `height`, scrolled so that the selected one stays in view.
fn window<T>(items: &[T], selected: usize, height: u16) -> impl Iterator<Item = (usize, &T)> {
    let visible = usize::from(height).max(1);
    let first = selected.saturating_sub(visible - 1);
    items.iter().enumerate().skip(first).take(visible)
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// A typed field: a pre-filled value shows selected (typing replaces it); the field being
/// typed into has a cursor.
fn field_spans(field: &TextField, shown: String, active: bool) -> Vec<Span<'static>> {
    let cursor = if active { "▏" } else { "" };
    if field.selected && !field.is_empty() {
        let selected = Style::new()
            .fg(Color::Black)
            .bg(Color::Yellow)
            .add_modifier(Modifier::REVERSED);
        return vec![Span::styled(shown, selected), Span::raw(cursor)];
    }
    vec![Span::raw(format!("{shown}{cursor}"))]
}

/// A label padded to `width` columns, then its field.
fn labelled(
    label: &str,
    width: usize,
    field: &TextField,
    shown: String,
    active: bool,
) -> Line<'static> {
    let style = if active {
        bold().fg(Color::Yellow)
    } else {
        bold()
    };
    let mut spans = vec![Span::styled(crate::present::pad(label, width), style)];
    spans.extend(field_spans(field, shown, active));
    Line::from(spans)
}

/// The widest of some labels, plus a gap.
fn label_width(labels: &[&str]) -> usize {
    labels.iter().map(|l| l.width()).max().unwrap_or(0) + 2
}

pub fn view(frame: &mut Frame<'_>, model: &Model) {
    let width = usize::from(frame.area().width);
    let keys = keys_lines(&keys_text(model), width);
    let notice_width = model.notice.as_ref().map_or(0, |n| n.text.width());
    let notice_lines = if notice_width > width {
        NOTICE_LINES_MAX
    } else {
        1
    };
    let [top, main, notice, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(notice_lines),
        Constraint::Length(keys.len() as u16),
    ])
    .areas(frame.area());
    title_bar(frame, top, model);
    let work = if main.width >= SLIP_PANEL_COLUMNS_MIN {
        let [work, slip] =
            Layout::horizontal([Constraint::Min(40), Constraint::Length(SLIP_PANEL_WIDTH)])
                .areas(main);
        slip_panel(frame, slip, model);
        work
    } else {
        main
    };
    match model.screen {
        Screen::Login => home::login(frame, work, model),
        Screen::Home => home::home(frame, work, model),
        Screen::AdminConfirm => home::admin_confirm(frame, work, model),
        Screen::Resident => resident::resident(frame, work, model),
        Screen::Redeem => resident::redeem(frame, work, model),
        Screen::Confirm => resident::confirm(frame, work, model),
        Screen::Earn | Screen::EventSetup => earn::earn(frame, work, model),
        Screen::EarnConfirm => earn::earn_confirm(frame, work, model),
        Screen::Event => earn::event(frame, work, model),
        Screen::Txn | Screen::Reverse | Screen::Reprint => txn::txn(frame, work, model),
        Screen::Report => report::report(frame, work, model),
        Screen::Stock => stock::stock(frame, work, model),
        Screen::Hardware => hardware::hardware(frame, work, model),
        Screen::Sync => hardware::sync(frame, work, model),
    }
    notice_line(frame, notice, model);
    let style = Style::new().fg(Color::Black).bg(Color::Gray);
    let keys: Vec<Line> = keys.into_iter().map(Line::raw).collect();
    frame.render_widget(Paragraph::new(keys).style(style), footer);
}

/// The footer's keys in lines of `width` columns, broken only between two keys (which are
/// two spaces apart), at most [`KEYS_LINES_MAX`] lines.
fn keys_lines(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for key in text.split("  ") {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.width() + 2 + key.width() > width {
            lines.push(key.to_string());
        } else {
            if !line.is_empty() {
                line.push_str("  ");
            }
            line.push_str(key);
        }
    }
    lines.truncate(KEYS_LINES_MAX);
    lines
}

fn title_bar(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let printer = match &model.printer {
        PrinterState::Unknown => "…",
        PrinterState::Ready {
            simulator: true, ..
        } => S::PrinterSimulator.get(lang),
        PrinterState::Ready { .. } => S::PrinterReady.get(lang),
        PrinterState::Unchecked => S::PrinterUnchecked.get(lang),
        PrinterState::Problem(_) => S::PrinterProblem.get(lang),
    };
    let operator = model
        .operator
        .as_ref()
        .map(|o| format!("{} {} {}", S::Operator.get(lang), o.number, o.name));
    // Narrow screens drop the product name first; the counter, operator and printer stay.
    let mut spans = Vec::new();
    if area.width >= TITLE_COLUMNS_MIN {
        spans.push(Span::styled(
            format!(" {} ", S::AppTitle.get(lang)),
            bold().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    spans.push(Span::styled(
        format!(" {} ", model.counter),
        bold().fg(Color::Black).bg(Color::Yellow),
    ));
    let printer = format!("{} {printer}", S::Printer.get(lang));
    let items = operator
        .into_iter()
        .chain([printer, hardware::sync_brief(lang, &model.sync_brief)]);
    for (i, item) in items.enumerate() {
        let bar = if i == 0 { " " } else { "│ " };
        spans.push(Span::raw(format!("{bar}{item} ")));
    }
    if model.demo {
        spans.push(Span::styled(
            format!(" {} ", demo_home(model)),
            Style::new().fg(Color::Magenta),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// "演示数据：/tmp/pointsdesk-demo-…": where the demo's throwaway home is.
fn demo_home(model: &Model) -> String {
    S::DemoHome.fill(model.lang, &[("path", &model.home_dir)])
}

fn notice_line(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let line = match (&model.notice, model.busy) {
        (_, true) => Line::styled(S::Working.get(model.lang), Style::new().fg(Color::Yellow)),
        (Some(n), _) => {
            let color = match n.kind {
                NoticeKind::Error => Color::Red,
                NoticeKind::Info => Color::Green,
                NoticeKind::Ask => Color::Yellow,
            };
            Line::styled(n.text.clone(), bold().fg(color))
        }
        (None, _) => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), area);
}

/// The keys of the screen on show (or of the question it asks), demo keys in demo mode.
fn keys_text(model: &Model) -> String {
    let lang = model.lang;
    if let Some(asked) = &model.ask {
        let keys = match asked {
            Ask::DropCart(Key::CtrlC) => S::KeysAskQuitCart,
            Ask::DropCart(_) => S::KeysAskDropCart,
            Ask::DayClose | Ask::CountDrop { .. } => S::KeysAskEnter,
        };
        return keys.get(lang).to_string();
    }
    let picking = model
        .txn_form
        .as_ref()
        .is_some_and(|f| !f.candidates.is_empty());
    let keys = match model.screen {
        Screen::Login => S::KeysLogin,
        Screen::Home => S::KeysHome,
        Screen::AdminConfirm => S::KeysAdminConfirm,
        Screen::Resident => S::KeysResident,
        Screen::Redeem => S::KeysRedeem,
        Screen::Confirm => S::KeysConfirm,
        Screen::Earn => S::KeysEarn,
        Screen::EventSetup => S::KeysEventSetup,
        Screen::EarnConfirm => S::KeysEarnConfirm,
        Screen::Event => S::KeysEvent,
        Screen::Txn | Screen::Reverse | Screen::Reprint if picking => S::KeysTxnPick,
        Screen::Txn => S::KeysTxn,
        Screen::Reverse => S::KeysReverse,
        Screen::Reprint => S::KeysReprint,
        Screen::Report => S::KeysReport,
        Screen::Stock if model.stock_mode == StockMode::Browse => S::KeysStock,
        Screen::Stock => S::KeysStockForm,
        Screen::Hardware => S::KeysHardware,
        Screen::Sync => S::KeysSync,
    };
    let mut text = keys.get(lang).to_string();
    if model.demo {
        let demo: &[S] = match model.screen {
            Screen::Home | Screen::Event => &[S::KeysDemoPassbook],
            Screen::Resident => &[S::KeysDemoPassbook, S::KeysDemoItem],
            Screen::Redeem => &[S::KeysDemoItem],
            _ => &[],
        };
        for key in demo {
            text.push_str("  ");
            text.push_str(key.get(lang));
        }
    }
    text
}

/// The latest slip as it looks on paper: a strip as wide as the printer's paper (at most the
/// panel) in the middle of the panel, its lines aligned and styled as printed, double-size
/// text bold and underlined, a QR code as a marker.
fn slip_panel(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let block = Block::default()
        .borders(Borders::ALL)
        .title(S::LatestReceipt.get(lang));
    let Some(paper) = &model.latest_slip else {
        let none = Paragraph::new(S::NoReceiptYet.get(lang)).block(block);
        frame.render_widget(none, area);
        return;
    };
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner
        .width
        .min(u16::try_from(paper.columns).unwrap_or(u16::MAX));
    let [_, strip, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(width),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let lines: Vec<Line> = paper
        .lines
        .iter()
        .map(|line| paper_line(line, lang))
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), strip);
}

fn paper_line(line: &crate::printer::paper::PaperLine, lang: crate::i18n::Lang) -> Line<'static> {
    use crate::printer::decode::Align;
    use crate::printer::paper::Picture;
    let alignment = match line.align {
        Align::Left => Alignment::Left,
        Align::Center => Alignment::Center,
        Align::Right => Alignment::Right,
    };
    let spans: Vec<Span> = match &line.picture {
        Some(Picture::Qr(_)) => vec![Span::raw(S::SlipQr.get(lang))],
        Some(Picture::Image { .. }) => vec![Span::raw(S::SlipImage.get(lang))],
        None => line
            .spans
            .iter()
            .map(|span| {
                let mut style = Style::new();
                if span.style.bold {
                    style = style.add_modifier(Modifier::BOLD);
                }
                if span.double() {
                    style = style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
                }
                if span.style.underline {
                    style = style.add_modifier(Modifier::UNDERLINED);
                }
                Span::styled(span.text.clone(), style)
            })
            .collect(),
    };
    Line::from(spans).alignment(alignment)
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, center, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(width),
        Constraint::Fill(1),
    ])
    .areas(middle);
    center
}
