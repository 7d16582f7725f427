//! A section's chart as SVG, drawn on the server for the street office's web pages (no
//! JavaScript). Written here rather than with a plotting crate: bars and a line with axis
//! values and a legend are a few dozen lines of SVG, and a plotting crate would bring fonts and
//! a rasteriser the pages do not need.

use super::model::{Cell, ChartKind, Section};

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 90.0;
/// Gridlines and values on the value axis.
const TICKS: usize = 5;
const COLOURS: [&str; 4] = ["#2f6db5", "#e07b1f", "#3a9d5d", "#b23a48"];

/// Escapes a text for XML and HTML (element content and quoted attributes).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round step for `TICKS` gridlines up to `max`.
fn step(max: f64) -> f64 {
    let raw = (max / TICKS as f64).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let scaled = raw / magnitude;
    let nice = if scaled <= 1.0 {
        1.0
    } else if scaled <= 2.0 {
        2.0
    } else if scaled <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The chart of `section`, or `None` when it has none or no rows.
pub fn chart(section: &Section) -> Option<String> {
    let spec = section.chart.as_ref()?;
    let rows: Vec<&Vec<Cell>> = section
        .rows
        .iter()
        .take(spec.rows_max.unwrap_or(usize::MAX))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let is_hours = |c: usize| {
        section
            .columns
            .get(c)
            .is_some_and(|c| c.kind == super::model::Kind::Hours)
    };
    let value = |row: &Vec<Cell>, c: usize| -> f64 {
        let v = row.get(c).and_then(Cell::number).unwrap_or(0) as f64;
        if is_hours(c) { v / 60.0 } else { v }
    };
    let values: Vec<Vec<f64>> = spec
        .value_columns
        .iter()
        .map(|&c| rows.iter().map(|r| value(r, c)).collect())
        .collect();
    let max = values
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(*v))
        .max(1.0);
    let min = values.iter().flatten().fold(0.0f64, |m, v| m.min(*v));
    let step = step(max.max(-min));
    let top_value = (max / step).ceil() * step;
    let bottom_value = (min / step).floor() * step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h * (top_value - v) / (top_value - bottom_value);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{t}" font-family="Noto Sans CJK SC, Microsoft YaHei, WenQuanYi Micro Hei, sans-serif" font-size="12">"#,
        t = escape(&spec.title)
    );
    svg.push_str(&format!(
        r#"<text x="{}" y="20" font-size="15" font-weight="bold" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        escape(&spec.title)
    ));
    // Value axis: gridlines with their values, and the axis title.
    let mut v = bottom_value;
    while v <= top_value + step / 2.0 {
        let yy = y(v);
        svg.push_str(&format!(
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{}" y2="{yy:.1}" stroke="#ddd"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            if step < 1.0 { format!("{v:.1}") } else { format!("{v:.0}") }
        ));
        v += step;
    }
    svg.push_str(&format!(
        r#"<text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle">{}</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        escape(&spec.y_title)
    ));
    let n = rows.len() as f64;
    let band = plot_w / n;
    let series = values.len() as f64;
    for (s, series_values) in values.iter().enumerate() {
        let colour = COLOURS[s % COLOURS.len()];
        match spec.kind {
            ChartKind::Line => {
                let points: Vec<String> = series_values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("{:.1},{:.1}", LEFT + band * (i as f64 + 0.5), y(*v)))
                    .collect();
                svg.push_str(&format!(
                    r#"<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
                    points.join(" ")
                ));
            }
            ChartKind::Column | ChartKind::Bar => {
                // A few categories get bars of a sensible width, centred in their band.
                let bar_w = (band * 0.8 / series).clamp(1.0, 40.0);
                let pad = (band - bar_w * series) / 2.0;
                for (i, v) in series_values.iter().enumerate() {
                    let x = LEFT + band * i as f64 + pad + bar_w * s as f64;
                    let (y0, y1) = (y(v.max(0.0)), y(v.min(0.0)));
                    svg.push_str(&format!(
                        r#"<rect class="bar" x="{x:.1}" y="{y0:.1}" width="{bar_w:.1}" height="{:.1}" fill="{colour}"><title>{}</title></rect>"#,
                        (y1 - y0).max(0.5),
                        v
                    ));
                }
            }
        }
    }
    // Category axis: labels (every k-th when crowded), and the axis title.
    let every = ((n / 16.0).ceil() as usize).max(1);
    for (i, row) in rows.iter().enumerate().step_by(every) {
        let label: String = row
            .get(spec.category_column)
            .map(Cell::shown)
            .unwrap_or_default()
            .chars()
            .take(10)
            .collect();
        let x = LEFT + band * (i as f64 + 0.5);
        let yy = TOP + plot_h + 14.0;
        svg.push_str(&format!(
            r#"<text class="category" x="{x:.1}" y="{yy:.1}" transform="rotate(-35 {x:.1} {yy:.1})" text-anchor="end">{}</text>"#,
            escape(&label)
        ));
    }
    svg.push_str(&format!(
        r##"<line x1="{LEFT}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="#555"/>"##,
        y(0.0),
        WIDTH - RIGHT,
        y(0.0)
    ));
    svg.push_str(&format!(
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 8.0,
        escape(&spec.x_title)
    ));
    // Legend: a swatch and the column's name per series.
    for (s, &c) in spec.value_columns.iter().enumerate() {
        let x = WIDTH - RIGHT - 150.0 * (spec.value_columns.len() - s) as f64;
        let name = section.columns.get(c).map_or("", |c| c.name.as_str());
        svg.push_str(&format!(
            r#"<g class="legend"><rect x="{x:.1}" y="26" width="12" height="12" fill="{}"/><text x="{:.1}" y="36">{}</text></g>"#,
            COLOURS[s % COLOURS.len()],
            x + 16.0,
            escape(name)
        ));
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::build::{Figures, TallyRow, month};

    #[test]
    fn a_month_chart_has_a_bar_per_day_and_series_values_on_its_axis_and_a_legend() {
        let figures = Figures {
            tallies: vec![TallyRow {
                day: "2026-12-02".into(),
                origin: "h".into(),
                kind: "earned".into(),
                key: "A01".into(),
                count: 1,
                minutes: 60,
                points: 40,
                ..TallyRow::default()
            }],
            ..Figures::default()
        };
        let report = month(&figures, "2026-12", crate::i18n::Lang::ZhCn, false).unwrap();
        let svg = chart(&report.sections[0]).unwrap();
        assert_eq!(svg.matches("class=\"bar\"").count(), 31 * 2);
        assert!(svg.contains(">40</text>"), "{svg}");
        assert!(svg.contains("class=\"legend\"") && svg.contains("获得积分"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
