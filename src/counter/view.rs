//! `view(frame, model)`: draws the counter from the model and nothing else. Usable at 80×24;
//! from 110 columns the latest printed slip is shown beside the work area.

use super::model::*;
use super::strings::S;
use ratatui::Frame;
use ratatui::layout::Direction;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Cell, Paragraph, Row, Table, Wrap,
};

/// Width from which the latest slip gets its own panel.
pub const SLIP_PANEL_COLUMNS_MIN: u16 = 110;
const SLIP_PANEL_WIDTH: u16 = 52;
/// Width from which the title bar also names the product.
const TITLE_COLUMNS_MIN: u16 = 100;

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

pub fn view(frame: &mut Frame<'_>, model: &Model) {
    let [top, main, notice, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(1),
        Constraint::Length(1),
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
        Screen::Login => login(frame, work, model),
        Screen::Home => home(frame, work, model),
        Screen::Resident => resident(frame, work, model),
        Screen::Redeem => redeem(frame, work, model),
        Screen::Confirm => confirm(frame, work, model),
        Screen::Earn | Screen::EventSetup => earn(frame, work, model),
        Screen::Event => event(frame, work, model),
        Screen::Reverse => reverse(frame, work, model),
        Screen::Report => report(frame, work, model),
        Screen::Stock => stock(frame, work, model),
        Screen::Hardware => hardware(frame, work, model),
        Screen::Sync => sync(frame, work, model),
    }
    notice_line(frame, notice, model);
    keys_line(frame, keys, model);
}

fn title_bar(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let printer = match &model.printer {
        PrinterState::Unknown => "…".to_string(),
        PrinterState::Simulator => S::PrinterSimulator.get(lang).to_string(),
        PrinterState::Ready => S::PrinterReady.get(lang).to_string(),
        PrinterState::Unchecked => S::PrinterUnchecked.get(lang).to_string(),
        PrinterState::Problem(_) => S::PrinterProblem.get(lang).to_string(),
    };
    let operator = model
        .operator
        .as_ref()
        .map(|o| format!("{} {} {}", S::Operator.get(lang), o.number, o.name))
        .unwrap_or_default();
    // Narrow screens drop the product name first; the counter, operator and printer stay.
    let mut spans = Vec::new();
    if area.width >= TITLE_COLUMNS_MIN {
        spans.push(Span::styled(
            format!(" {} ", S::AppTitle.get(lang)),
            bold().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    spans.extend([
        Span::styled(
            format!(" {} ", model.counter),
            bold().fg(Color::Black).bg(Color::Yellow),
        ),
        Span::raw(format!(" {operator} ")),
        Span::raw(format!("│ {} {printer} ", S::Printer.get(lang))),
        Span::raw(format!(
            "│ {} {} ",
            S::Sync.get(lang),
            S::SyncNever.get(lang)
        )),
    ]);
    if model.demo {
        spans.push(Span::styled(
            format!(" {} ", S::KeysDemo.get(lang)),
            Style::new().fg(Color::Magenta),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn notice_line(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let line = match (&model.notice, model.busy) {
        (_, true) => Line::styled(S::Working.get(model.lang), Style::new().fg(Color::Yellow)),
        (Some(n), _) => {
            let color = if n.kind == NoticeKind::Error {
                Color::Red
            } else {
                Color::Green
            };
            Line::styled(n.text.clone(), bold().fg(color))
        }
        (None, _) => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn keys_line(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let keys = match model.screen {
        Screen::Login => S::KeysLogin,
        Screen::Home => S::KeysHome,
        Screen::Resident => S::KeysResident,
        Screen::Redeem => S::KeysRedeem,
        Screen::Confirm => S::KeysConfirm,
        Screen::Earn | Screen::EventSetup => S::KeysEarn,
        Screen::Event => S::KeysEvent,
        Screen::Reverse => S::KeysReverse,
        Screen::Report => S::KeysReport,
        Screen::Stock if model.stock_mode == StockMode::Browse => S::KeysStock,
        Screen::Stock => S::KeysStockForm,
        Screen::Hardware => S::KeysHardware,
        Screen::Sync => S::KeysBack,
    };
    let style = Style::new().fg(Color::Black).bg(Color::Gray);
    frame.render_widget(
        Paragraph::new(Line::styled(keys.get(model.lang), style)),
        area,
    );
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

fn login(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let cursor = |field| {
        if model.login_field == field {
            "▏"
        } else {
            ""
        }
    };
    let mut lines = vec![
        Line::raw(""),
        Line::from(vec![
            Span::styled(format!("{:<8}", S::OperatorNo.get(lang)), bold()),
            Span::raw(format!(
                "{}{}",
                model.operator_input,
                cursor(LoginField::Operator)
            )),
        ]),
        Line::from(vec![
            Span::styled(format!("{:<8}", S::Pin.get(lang)), bold()),
            Span::raw(format!(
                "{}{}",
                "•".repeat(model.pin_input.len()),
                cursor(LoginField::Pin)
            )),
        ]),
        Line::raw(""),
        Line::styled(S::LoginHint.get(lang), Style::new().fg(Color::DarkGray)),
    ];
    if model.demo {
        lines.push(Line::styled(
            S::DemoPinHint.get(lang),
            Style::new().fg(Color::Magenta),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(S::LoginTitle.get(lang));
    let box_area = centered(area, area.width.min(64), 9);
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        box_area,
    );
}

fn home(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let [big, low] = Layout::vertical([Constraint::Min(5), Constraint::Length(3)]).areas(area);
    let mut lines = vec![
        Line::raw(""),
        Line::styled(S::ScanPassbook.get(lang), bold().fg(Color::Yellow)),
        Line::raw(""),
        Line::raw(S::ScanHint.get(lang)),
    ];
    if let Some(warning) = &model.clock_warning {
        lines.push(Line::raw(""));
        lines.push(Line::styled(warning.clone(), bold().fg(Color::Red)));
    }
    let text = Text::from(lines);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL)),
        big,
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

fn resident(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(a) = &model.account else {
        return home(frame, area, model);
    };
    let [head, table] = Layout::vertical([Constraint::Length(5), Constraint::Min(3)]).areas(area);
    let head_text = Text::from(vec![
        Line::from(vec![
            Span::styled(format!("{} ", S::Resident.get(lang)), bold()),
            Span::raw(format!("{}   ", a.resident_name)),
            Span::styled(format!("{} ", S::Passbook.get(lang)), bold()),
            Span::raw(a.passbook.clone()),
        ]),
        Line::from(vec![
            Span::styled(format!("{} ", S::Balance.get(lang)), bold()),
            Span::styled(format!("{}", a.balance), bold().fg(Color::Green)),
        ]),
        Line::raw(format!(
            "{}  {} +{}  {} -{}",
            S::ThisMonth.get(lang),
            S::Earned.get(lang),
            a.month_earned,
            S::Spent.get(lang),
            a.month_spent
        )),
    ]);
    frame.render_widget(
        Paragraph::new(head_text).block(Block::default().borders(Borders::ALL)),
        head,
    );
    let rows = a.last.iter().map(|h| {
        Row::new(vec![
            Cell::from(h.recorded_at.clone()),
            Cell::from(kind_label(model, &h.kind)),
            Cell::from(format!("{:+}", h.points.0)),
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

fn kind_label(model: &Model, kind: &str) -> &'static str {
    crate::present::kind_label(model.lang, kind)
}

fn redeem(frame: &mut Frame<'_>, area: Rect, model: &Model) {
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
    let rows = window(&filtered, model.selected, list.height.saturating_sub(3)).map(|(i, c)| {
        let style = highlight(i == model.selected);
        Row::new(vec![
            Cell::from(c.item.item.clone()),
            Cell::from(c.item.name.clone()),
            Cell::from(c.item.points.to_string()),
            Cell::from(c.item.stock.map_or("-".to_string(), |s| s.to_string())),
            Cell::from(
                c.item
                    .monthly_limit
                    .map_or("-".to_string(), |l| l.to_string()),
            ),
        ])
        .style(style)
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
        Constraint::Length(5),
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

fn cart(frame: &mut Frame<'_>, area: Rect, model: &Model, title: &str) {
    let lang = model.lang;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(a) = &model.account {
        lines.push(Line::raw(format!(
            "{} {}  {} {}",
            S::Resident.get(lang),
            a.resident_name,
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
        if let Some(item) = model.item(code) {
            lines.push(Line::raw(format!(
                "{} ×{} = {}",
                item.name,
                qty,
                item.points.0 * i64::from(*qty)
            )));
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

fn confirm(frame: &mut Frame<'_>, area: Rect, model: &Model) {
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

fn earn(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let title = if model.screen == Screen::Earn {
        S::EarnTitle
    } else {
        S::EventSetupTitle
    };
    let [who, list, hours] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(4),
        Constraint::Length(3),
    ])
    .areas(area);
    let who_text = match (&model.account, model.screen == Screen::Earn) {
        (Some(a), true) => format!(
            "{} {}  {} {}  {} {}",
            S::Resident.get(lang),
            a.resident_name,
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
    let rows = window(
        &model.activities,
        model.activity_selected,
        list.height.saturating_sub(2),
    )
    .map(|(i, a)| {
        let style = highlight(i == model.activity_selected);
        Row::new(vec![
            Cell::from(a.activity.clone()),
            Cell::from(a.name.clone()),
            Cell::from(format!("{} {}", a.points_per_hour, S::PerHour.get(lang))),
        ])
        .style(style)
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
        list,
    );
    let points = model
        .activities
        .get(model.activity_selected)
        .zip(parse_minutes(&model.hours_input))
        .and_then(|(a, m)| crate::domain::points::earned_points(a.points_per_hour, m))
        .map_or("-".to_string(), |p| format!("+{p}"));
    let line = format!(
        "{} {}▏   {} {points}",
        S::Hours.get(lang),
        model.hours_input,
        S::Points.get(lang)
    );
    frame.render_widget(
        Paragraph::new(line).block(Block::default().borders(Borders::ALL)),
        hours,
    );
}

fn event(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(run) = &model.event else {
        return home(frame, area, model);
    };
    let text = Text::from(vec![
        Line::styled(run.name.clone(), bold()),
        Line::raw(format!(
            "{} {:.2}h",
            S::Hours.get(lang),
            f64::from(run.minutes) / 60.0
        )),
        Line::raw(""),
        Line::styled(S::EventScanHint.get(lang), bold().fg(Color::Yellow)),
        Line::raw(""),
        Line::styled(
            format!("{} {}", S::Credited.get(lang), run.credited),
            bold().fg(Color::Green),
        ),
    ]);
    frame.render_widget(
        Paragraph::new(text).alignment(Alignment::Center).block(
            Block::default()
                .borders(Borders::ALL)
                .title(S::EventTitle.get(lang)),
        ),
        area,
    );
}

fn reverse(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(form) = &model.reverse else {
        return home(frame, area, model);
    };
    let labels = [S::ReverseTxn, S::ReverseReason, S::AdminNo, S::AdminPin];
    let label_width = labels
        .iter()
        .map(|l| unicode_width::UnicodeWidthStr::width(l.get(lang)))
        .max()
        .unwrap_or(0)
        + 2;
    let field = |label: S, value: String, which: ReverseField| {
        let active = form.field == which;
        let style = if active {
            bold().fg(Color::Yellow)
        } else {
            Style::new()
        };
        Line::from(vec![
            Span::styled(crate::present::pad(label.get(lang), label_width), style),
            Span::raw(format!("{value}{}", if active { "▏" } else { "" })),
        ])
    };
    let lines = vec![
        field(S::ReverseTxn, form.txn.clone(), ReverseField::Txn),
        field(S::ReverseReason, form.reason.clone(), ReverseField::Reason),
        field(S::AdminNo, form.admin_no.clone(), ReverseField::AdminNo),
        field(
            S::AdminPin,
            "•".repeat(form.admin_pin.chars().count()),
            ReverseField::AdminPin,
        ),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .title(S::ReverseTitle.get(lang));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        centered(area, area.width.min(90), 8),
    );
}

/// Bars shown at most in the item and activity charts.
const REPORT_BARS_MAX: usize = 8;

fn report(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(r) = &model.report else {
        return home(frame, area, model);
    };
    let [hours, below] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let [items, activities] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(below);
    let groups: Vec<BarGroup> = r
        .by_hour
        .iter()
        .filter(|(h, ..)| (7..=20).contains(h))
        .map(|(h, earned, redeemed)| {
            BarGroup::default()
                .label(Line::from(format!("{h}")))
                .bars(&[
                    Bar::default()
                        .value((*earned).max(0) as u64)
                        .style(Style::new().fg(Color::Green))
                        .text_value(String::new()),
                    Bar::default()
                        .value((*redeemed).max(0) as u64)
                        .style(Style::new().fg(Color::Yellow))
                        .text_value(String::new()),
                ])
        })
        .collect();
    let mut chart = BarChart::default()
        .block(Block::default().borders(Borders::ALL).title(format!(
            "{} {}",
            S::ReportTitle.get(lang),
            r.day
        )))
        .bar_width(1)
        .bar_gap(0)
        .group_gap(1);
    for group in groups {
        chart = chart.data(group);
    }
    frame.render_widget(chart, hours);
    let horizontal = |title: S, bars: Vec<Bar<'static>>| {
        let block = Block::default()
            .borders(Borders::ALL)
            .title(title.get(lang));
        if bars.is_empty() {
            return BarChart::default().block(block.title_bottom(S::NothingYet.get(lang)));
        }
        BarChart::default()
            .block(block)
            .direction(Direction::Horizontal)
            .bar_width(1)
            .bar_gap(0)
            .data(BarGroup::default().bars(&bars))
    };
    let item_bars = r
        .by_item
        .iter()
        .take(REPORT_BARS_MAX)
        .map(|(name, qty, points)| {
            Bar::default()
                .value((*points).max(0) as u64)
                .label(Line::from(name.clone()))
                .text_value(format!("{points} ({qty})"))
        });
    frame.render_widget(horizontal(S::ByItem, item_bars.collect()), items);
    let activity_bars = r
        .by_activity
        .iter()
        .take(REPORT_BARS_MAX)
        .map(|(name, points)| {
            Bar::default()
                .value((*points).max(0) as u64)
                .label(Line::from(name.clone()))
                .text_value(points.to_string())
        });
    frame.render_widget(
        horizontal(S::ByActivity, activity_bars.collect()),
        activities,
    );
}

fn stock(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let [search, list, form] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(4),
        Constraint::Length(3),
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
    let items = super::update::stocked_items(model);
    let rows = window(&items, model.selected, list.height.saturating_sub(2)).map(|(i, c)| {
        let style = highlight(i == model.selected);
        Row::new(vec![
            Cell::from(c.item.item.clone()),
            Cell::from(c.item.name.clone()),
            Cell::from(c.item.stock.unwrap_or(0).to_string()),
        ])
        .style(style)
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
    let line = match model.stock_mode {
        StockMode::Browse => String::new(),
        StockMode::Receive => format!("{} {}▏", S::Received.get(lang), model.qty_input),
        StockMode::Donor => format!(
            "{} {}  {} {}▏",
            S::Received.get(lang),
            model.qty_input,
            S::Donor.get(lang),
            model.donor_input
        ),
        StockMode::Count => format!("{} {}▏", S::Counted.get(lang), model.qty_input),
    };
    frame.render_widget(
        Paragraph::new(line).block(Block::default().borders(Borders::ALL)),
        form,
    );
}

fn hardware(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let [printer, scanner] =
        Layout::vertical([Constraint::Length(4), Constraint::Min(4)]).areas(area);
    let status = match &model.printer {
        PrinterState::Unknown => "…".to_string(),
        PrinterState::Simulator => S::PrinterSimulator.get(lang).to_string(),
        PrinterState::Ready => S::PrinterReady.get(lang).to_string(),
        PrinterState::Unchecked => crate::printer::status::unknown_state_message(lang).to_string(),
        PrinterState::Problem(message) => message.clone(),
    };
    frame.render_widget(
        Paragraph::new(format!("{} {status}", S::Printer.get(lang)))
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
    lines.extend(model.key_log.iter().map(|l| Line::raw(l.clone())));
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(S::ScannerTest.get(lang)),
        ),
        scanner,
    );
}

fn sync(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let text = vec![
        Line::styled(
            format!("{} {}", S::Sync.get(lang), S::SyncNever.get(lang)),
            bold(),
        ),
        Line::raw(""),
        Line::raw(S::SyncNotSetUp.get(lang)),
    ];
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(S::SyncTitle.get(lang)),
        ),
        area,
    );
}
