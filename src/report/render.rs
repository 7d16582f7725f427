//! A report in the forms that are text: lines for the screen (columns aligned by display
//! width), CSV for Excel (UTF-8 with a byte-order mark, so Excel on a Chinese Windows reads the
//! Chinese), and the blocks of a slip for the receipt printer.

use super::model::{Cell, Report, Section};
use crate::i18n::Lang;
use crate::printer::layout::Block;

fn header_lines(report: &Report) -> Vec<String> {
    let mut lines = vec![if report.period.is_empty() {
        report.title.clone()
    } else {
        format!("{}  {}", report.title, report.period)
    }];
    lines.extend(report.covers.iter().cloned());
    lines
}

fn section_rows(section: &Section) -> Vec<Vec<String>> {
    let mut rows = vec![section.columns.iter().map(|c| c.name.clone()).collect()];
    rows.extend(
        section
            .rows
            .iter()
            .chain(section.total.iter())
            .map(|r| r.iter().map(Cell::shown).collect()),
    );
    rows
}

/// The report for the screen.
pub fn lines(report: &Report) -> Vec<String> {
    let mut out = header_lines(report);
    for section in &report.sections {
        out.push(String::new());
        out.push(format!("【{}】", section.title));
        out.extend(crate::present::table_lines(&section_rows(section)));
    }
    out
}

/// One CSV field, quoted when it needs to be. A text Excel would run as a formula (an item
/// named `=HYPERLINK(…)`) is kept a text with a leading apostrophe.
fn field(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '@', '\t', '\r'])
        || (text.starts_with('-') && text[1..].parse::<f64>().is_err());
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_string()
    };
    let text = text.as_str();
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The report as CSV: UTF-8 with a BOM, sections one after another under their titles.
pub fn csv(report: &Report) -> Vec<u8> {
    let mut text = String::from("\u{feff}");
    for line in header_lines(report) {
        text.push_str(&field(&line));
        text.push_str("\r\n");
    }
    for section in &report.sections {
        text.push_str("\r\n");
        text.push_str(&field(&section.title));
        text.push_str("\r\n");
        for row in section_rows(section) {
            let fields: Vec<String> = row.iter().map(|f| field(f)).collect();
            text.push_str(&fields.join(","));
            text.push_str("\r\n");
        }
    }
    text.into_bytes()
}

/// A statement as a paper time-bank passbook has it: date and content on the left, what
/// went in, what went out and the balance on the right.
fn statement_blocks(section: &Section, lang: Lang) -> Vec<Block> {
    let numbers = |i: &str, o: &str, b: &str| format!("{i:>6}{o:>6}{b:>7}");
    let mut out = vec![Block::Pair(
        lang.pick("日期  内容", "date  content").to_string(),
        numbers(
            lang.pick("存入", "in"),
            lang.pick("取出", "out"),
            lang.pick("结余", "bal."),
        ),
    )];
    for row in section.rows.iter().chain(section.total.iter()) {
        let cell = |i: usize| row.get(i).map(Cell::shown).unwrap_or_default();
        let date = cell(0);
        let date = date.get(5..).unwrap_or(&date).to_string();
        out.push(Block::Pair(
            format!("{date} {}", cell(1)),
            numbers(&cell(2), &cell(3), &cell(4)),
        ));
    }
    out
}

/// The report as slip blocks: a title, then each section's rows as label and value (a
/// statement as a paper passbook).
pub fn slip(report: &Report, lang: Lang) -> Vec<Block> {
    if report.kind == "resident" {
        let mut b = vec![Block::Title(
            lang.pick("存折对账单", "Statement").to_string(),
        )];
        b.push(Block::Center(report.title.clone()));
        b.push(Block::Rule);
        for section in &report.sections {
            b.extend(statement_blocks(section, lang));
        }
        b.push(Block::Rule);
        return b;
    }
    let mut b = vec![Block::Title(report.title.clone())];
    if !report.period.is_empty() {
        b.push(Block::Center(report.period.clone()));
    }
    for line in &report.covers {
        b.push(Block::Line(line.clone()));
    }
    for section in &report.sections {
        b.push(Block::Rule);
        b.push(Block::Heading(section.title.clone()));
        let names: Vec<&str> = section.columns.iter().map(|c| c.name.as_str()).collect();
        for row in section.rows.iter().chain(section.total.iter()) {
            let label = row.first().map(Cell::shown).unwrap_or_default();
            let values: Vec<String> = row
                .iter()
                .enumerate()
                .skip(1)
                .filter(|(_, c)| !matches!(c, Cell::Empty))
                .map(|(i, c)| {
                    if row.len() > 2 {
                        format!("{} {}", names.get(i).copied().unwrap_or(""), c.shown())
                    } else {
                        c.shown()
                    }
                })
                .collect();
            b.push(Block::Pair(label, values.join(" ")));
        }
    }
    b.push(Block::Rule);
    b.push(Block::Center(
        lang.pick("—— 完 ——", "-- end --").to_string(),
    ));
    b
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn a_text_excel_would_run_as_a_formula_stays_a_text() {
        assert_eq!(
            field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(field("+86 138"), "'+86 138");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("-cmd"), "'-cmd");
        assert_eq!(field("-3"), "-3", "a negative figure stays a number");
        assert_eq!(field("洗衣皂"), "洗衣皂");
        assert_eq!(field("a,b"), "\"a,b\"");
    }
}
