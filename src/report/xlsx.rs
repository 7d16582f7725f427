//! A report as an Excel workbook (rust_xlsxwriter): one worksheet a section, the title and
//! what the report covers above the table, a frozen header row, columns as wide as their
//! Chinese text, numbers as numbers (hours with two decimals), and the section's chart beside
//! its table.

use super::model::{Cell, ChartKind, Kind, Report, Section};
use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, XlsxError};
use unicode_width::UnicodeWidthStr;

/// The row of the table header (0-based): title, period and covers lines come first.
fn header_row(report: &Report) -> u32 {
    (report.covers.len() + 3) as u32
}

/// A worksheet name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str, index: usize, used: &mut Vec<String>) -> String {
    let clean: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    let mut name = if clean.is_empty() {
        format!("{}", index + 1)
    } else {
        clean
    };
    if used.contains(&name) {
        name = format!("{name}{}", index + 1);
    }
    used.push(name.clone());
    name
}

fn write_section(
    workbook: &mut Workbook,
    report: &Report,
    section: &Section,
    name: &str,
) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xDDEBF7))
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let number = Format::new().set_num_format("#,##0");
    let hours = Format::new().set_num_format("0.00");
    let number_bold = Format::new().set_bold().set_num_format("#,##0");
    let hours_bold = Format::new().set_bold().set_num_format("0.00");
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    sheet.write_string_with_format(0, 0, &report.title, &title)?;
    sheet.write_string(1, 0, &report.period)?;
    for (i, line) in report.covers.iter().enumerate() {
        sheet.write_string(2 + i as u32, 0, line)?;
    }
    let top = header_row(report);
    sheet.write_string_with_format(top - 1, 0, &section.title, &bold)?;
    // Widths by display width: a Chinese character is two columns wide.
    let mut widths: Vec<usize> = section.columns.iter().map(|c| c.name.width()).collect();
    for (c, column) in section.columns.iter().enumerate() {
        sheet.write_string_with_format(top, c as u16, &column.name, &header)?;
    }
    let rows = section.rows.iter().map(|r| (r, false));
    let total = section.total.iter().map(|r| (r, true));
    for (i, (row, is_total)) in rows.chain(total).enumerate() {
        let r = top + 1 + i as u32;
        for (c, cell) in row.iter().enumerate() {
            let c16 = c as u16;
            let kind = section.columns.get(c).map_or(Kind::Text, |col| col.kind);
            match cell {
                Cell::Text(t) if is_total => {
                    sheet.write_string_with_format(r, c16, t, &bold)?;
                }
                Cell::Text(t) => {
                    sheet.write_string(r, c16, t)?;
                }
                Cell::Number(n) => {
                    let f = if is_total { &number_bold } else { &number };
                    sheet.write_number_with_format(r, c16, *n as f64, f)?;
                }
                Cell::Minutes(m) => {
                    let f = if is_total { &hours_bold } else { &hours };
                    sheet.write_number_with_format(r, c16, *m as f64 / 60.0, f)?;
                }
                Cell::Empty => {}
            }
            let shown = match (cell, kind) {
                (Cell::Number(n), _) => format!("{n},000").width(),
                _ => cell.shown().width(),
            };
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(shown);
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, (*w as f64 + 2.0).min(60.0))?;
    }
    sheet.set_freeze_panes(top + 1, 0)?;
    if let Some(spec) = &section.chart {
        let rows_drawn = spec
            .rows_max
            .map_or(section.rows.len(), |m| m.min(section.rows.len()));
        if rows_drawn > 0 {
            let mut chart = Chart::new(match spec.kind {
                ChartKind::Column => ChartType::Column,
                ChartKind::Bar => ChartType::Bar,
                ChartKind::Line => ChartType::Line,
            });
            let first = top + 1;
            let last = top + rows_drawn as u32;
            for &column in &spec.value_columns {
                chart
                    .add_series()
                    .set_name((name, top, column as u16))
                    .set_categories((
                        name,
                        first,
                        spec.category_column as u16,
                        last,
                        spec.category_column as u16,
                    ))
                    .set_values((name, first, column as u16, last, column as u16));
            }
            chart.title().set_name(&spec.title);
            chart.x_axis().set_name(&spec.x_title);
            chart.y_axis().set_name(&spec.y_title);
            chart.set_width(720).set_height(400);
            sheet.insert_chart(top, section.columns.len() as u16 + 1, &chart)?;
        }
    }
    Ok(())
}

/// The workbook's bytes.
pub fn workbook(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let mut used = Vec::new();
    for (i, section) in report.sections.iter().enumerate() {
        let name = sheet_name(&section.title, i, &mut used);
        write_section(&mut workbook, report, section, &name)?;
    }
    workbook.save_to_buffer()
}

/// The row (0-based) of a section's table header in its worksheet, for readers of the file.
pub fn table_header_row(report: &Report) -> u32 {
    header_row(report)
}
