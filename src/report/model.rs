//! A report as data: a title, what it covers, and sections of rows with a chart each. Every
//! form a report takes (the screen, CSV, a workbook, a slip, a web page) is drawn from this.

use serde::Serialize;

/// How a column's values are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    /// A whole number (points, units, counts), with thousands separators in a workbook.
    Number,
    /// Minutes, shown as hours with two decimals.
    Hours,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// One value of a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Number(i64),
    /// Minutes.
    Minutes(i64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// The value as a person reads it.
    pub fn shown(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Minutes(m) => hours(*m),
            Cell::Empty => String::new(),
        }
    }

    pub fn number(&self) -> Option<i64> {
        match self {
            Cell::Number(n) | Cell::Minutes(n) => Some(*n),
            _ => None,
        }
    }
}

/// Minutes as hours: "1.5", "0.25", "12".
pub fn hours(minutes: i64) -> String {
    let text = format!("{:.2}", minutes as f64 / 60.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// How a section's chart is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Bars side by side per category (one colour a series).
    Column,
    /// Horizontal bars, for long names (top items, activities).
    Bar,
    Line,
}

/// A chart of some numeric columns of a section against its first column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    /// The column whose texts name the categories.
    pub category_column: usize,
    /// The numeric columns drawn, each a series.
    pub value_columns: Vec<usize>,
    /// Rows drawn, from the first (top items: the first 10).
    pub rows_max: Option<usize>,
    /// Axis titles: categories, values.
    pub x_title: String,
    pub y_title: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Section {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// The totals row, if the section has one.
    pub total: Option<Vec<Cell>>,
    pub chart: Option<Chart>,
}

impl Section {
    /// The values of a numeric column, per row.
    pub fn values(&self, column: usize) -> Vec<i64> {
        self.rows
            .iter()
            .map(|r| r.get(column).and_then(Cell::number).unwrap_or(0))
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// What kind of report: `day`, `month`, `items`, `activities`, `resident`, `overdrafts`.
    pub kind: String,
    pub title: String,
    /// The period, in words ("2026年12月", "2026-12-02").
    pub period: String,
    /// Lines saying what the report is made of: the series and how far, the last sync.
    pub covers: Vec<String>,
    pub sections: Vec<Section>,
}
