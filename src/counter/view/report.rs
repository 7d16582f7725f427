//! Today's report: the day's totals, points by hour (with a value axis and a legend), and the
//! items and activities of the day (each chart saying what its bars are and their scale).

use super::super::model::*;
use super::super::strings::S;
use super::bold;
use crate::ledger::DayReport;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph};
use unicode_width::UnicodeWidthStr;

/// Bars shown at most in the item and activity charts.
const REPORT_BARS_MAX: usize = 8;
/// Opening hours the hourly chart always shows; an hour outside them shows when it has points.
const REPORT_HOURS: std::ops::RangeInclusive<u32> = 7..=20;
const EARNED_COLOR: Color = Color::Green;
const REDEEMED_COLOR: Color = Color::Yellow;

/// Round tops of a scale, in tenths of a power of ten.
const AXIS_STEPS_TENTHS: [u64; 10] = [10, 12, 15, 20, 25, 30, 40, 50, 60, 80];

/// The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ) at or above `value`:
/// a scale a person reads at a glance.
fn axis_max(value: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for tenths in AXIS_STEPS_TENTHS {
            let top = (tenths * power).div_ceil(10);
            if value <= top {
                return top;
            }
        }
        power = power.saturating_mul(10);
    }
}

pub(super) fn report(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let lang = model.lang;
    let Some(r) = &model.report else {
        return super::home::home(frame, area, model);
    };
    let [totals, hours, below] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Percentage(50),
        Constraint::Fill(1),
    ])
    .areas(area);
    let values: [(&str, &dyn std::fmt::Display); 4] = [
        ("residents", &r.residents_served),
        ("earned", &r.points_earned),
        ("spent", &r.points_spent),
        ("items", &r.items_out),
    ];
    let line = S::ReportTotals.fill(lang, &values);
    frame.render_widget(Paragraph::new(Line::styled(line, bold())), totals);
    by_hour(frame, hours, model, r);
    let [items, activities] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(below);
    let item_bars = r
        .by_item
        .iter()
        .take(REPORT_BARS_MAX)
        .map(|(name, qty, points)| (name.clone(), *points, format!("{points} ({qty})")));
    horizontal(
        frame,
        items,
        model,
        S::ByItem,
        S::ItemLegend,
        item_bars.collect(),
    );
    let activity_bars = r
        .by_activity
        .iter()
        .take(REPORT_BARS_MAX)
        .map(|(name, points)| (name.clone(), *points, points.to_string()));
    horizontal(
        frame,
        activities,
        model,
        S::ByActivity,
        S::ActivityLegend,
        activity_bars.collect(),
    );
}

/// Earned and redeemed points of each opening hour, with the value axis on the left and a
/// legend in the title.
fn by_hour(frame: &mut Frame<'_>, area: Rect, model: &Model, r: &DayReport) {
    let lang = model.lang;
    let busy = |(_, earned, redeemed): &&(u32, i64, i64)| *earned != 0 || *redeemed != 0;
    let first = r.by_hour.iter().filter(busy).map(|(h, ..)| *h).min();
    let last = r.by_hour.iter().filter(busy).map(|(h, ..)| *h).max();
    let from = first.map_or(*REPORT_HOURS.start(), |h| h.min(*REPORT_HOURS.start()));
    let until = last.map_or(*REPORT_HOURS.end(), |h| h.max(*REPORT_HOURS.end()));
    let hours: Vec<_> = r
        .by_hour
        .iter()
        .filter(|(h, ..)| (from..=until).contains(h))
        .collect();
    let top = hours
        .iter()
        .map(|(_, e, d)| (*e).max(*d).max(0) as u64)
        .max()
        .unwrap_or(0);
    let max = axis_max(top.max(1));
    let title = Line::from(vec![
        Span::raw(format!(
            "{} {}  {}  ",
            S::ReportTitle.get(lang),
            r.day,
            S::ByHour.get(lang)
        )),
        Span::styled("■ ", Style::new().fg(EARNED_COLOR)),
        Span::raw(format!("{}  ", S::Earned.get(lang))),
        Span::styled("■ ", Style::new().fg(REDEEMED_COLOR)),
        Span::raw(S::Spent.get(lang)),
    ]);
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let axis_width = max.to_string().len() as u16 + 2;
    let [axis, chart] =
        Layout::horizontal([Constraint::Length(axis_width), Constraint::Fill(1)]).areas(inner);
    value_axis(frame, axis, model, max);
    let bar = |value: i64, color| {
        Bar::default()
            .value(value.max(0) as u64)
            .style(Style::new().fg(color))
            .text_value(String::new())
    };
    let mut chart_widget = BarChart::default()
        .bar_width(1)
        .bar_gap(0)
        .group_gap(1)
        .max(max);
    for (h, earned, redeemed) in hours {
        let group = BarGroup::default()
            .label(Line::from(h.to_string()))
            .bars(&[bar(*earned, EARNED_COLOR), bar(*redeemed, REDEEMED_COLOR)]);
        chart_widget = chart_widget.data(group);
    }
    frame.render_widget(chart_widget, chart);
}

/// The value axis of the hourly chart: its top, middle and 0, and the unit beside the hour
/// labels.
fn value_axis(frame: &mut Frame<'_>, area: Rect, model: &Model, max: u64) {
    let lang = model.lang;
    let bars_height = area.height.saturating_sub(1);
    let width = usize::from(area.width.saturating_sub(1));
    let tick = |value: u64| format!("{value:>width$}┤");
    let unit = S::HourAxis.get(lang);
    let unit = format!(
        "{}{unit} ",
        " ".repeat(width.saturating_sub(unit.width() + 1))
    );
    let lines: Vec<Line> = (0..area.height)
        .map(|row| {
            let text = if row == bars_height {
                unit.clone()
            } else if row == 0 {
                tick(max)
            } else if row + 1 == bars_height {
                tick(0)
            } else if row == bars_height / 2 && bars_height > 4 {
                tick(max / 2)
            } else {
                format!("{:>width$}│", "")
            };
            Line::raw(text)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// One horizontal bar per item or activity: its value at the bar's end, and below the chart
/// what the bars are and their scale.
fn horizontal(
    frame: &mut Frame<'_>,
    area: Rect,
    model: &Model,
    title: S,
    legend: S,
    bars: Vec<(String, i64, String)>,
) {
    let lang = model.lang;
    let top = bars
        .iter()
        .map(|(_, v, _)| (*v).max(0) as u64)
        .max()
        .unwrap_or(0);
    let max = axis_max(top.max(1));
    let legend = legend.fill(lang, &[("max", &max)]);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title.get(lang))
        .title_bottom(legend);
    if bars.is_empty() {
        frame.render_widget(Paragraph::new(S::NothingYet.get(lang)).block(block), area);
        return;
    }
    let bars: Vec<Bar> = bars
        .into_iter()
        .map(|(name, value, shown)| {
            Bar::default()
                .value(value.max(0) as u64)
                .label(Line::from(name))
                .text_value(shown)
        })
        .collect();
    let chart = BarChart::default()
        .block(block)
        .direction(Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .max(max)
        .data(BarGroup::default().bars(&bars));
    frame.render_widget(chart, area);
}

#[cfg(test)]
mod tests {
    use super::axis_max;

    #[test]
    fn a_chart_scale_tops_out_at_the_next_round_number() {
        assert_eq!(axis_max(1), 1);
        assert_eq!(axis_max(7), 8);
        assert_eq!(axis_max(120), 120);
        assert_eq!(axis_max(121), 150);
        assert_eq!(axis_max(147), 150);
        assert_eq!(axis_max(810), 1000);
    }
}
