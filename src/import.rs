//! Reading resident lists and catalogues from CSV and XLSX files with a header row. Rows are
//! numbered as a spreadsheet shows them (the header is row 1), so a message points at the row
//! to fix. CSV is read as Excel writes it: UTF-8 with or without a byte-order mark, or the
//! GB18030/GBK that Excel on a Chinese Windows writes for "CSV (逗号分隔)".

use crate::domain::ItemKind;
use crate::ledger::{ImportProblem, LedgerError, NewItem, NewResident, Result};
use std::path::Path;

/// Most rows one file may hold; larger lists are split by the administrator.
pub const IMPORT_ROWS_MAX: usize = 50_000;

#[derive(Default)]
struct Columns {
    name: Option<usize>,
    phone: Option<usize>,
    address: Option<usize>,
    note: Option<usize>,
}

fn columns(header: &[String], header_row: usize) -> Result<Columns> {
    let mut columns = Columns::default();
    for (index, title) in header.iter().enumerate() {
        match title.trim().to_lowercase().as_str() {
            "姓名" | "name" => columns.name = Some(index),
            "电话" | "手机" | "phone" => columns.phone = Some(index),
            "地址" | "住址" | "address" => columns.address = Some(index),
            "备注" | "note" | "notes" => columns.note = Some(index),
            _ => {}
        }
    }
    if columns.name.is_none() {
        return Err(LedgerError::ImportRow {
            row: header_row,
            problem: ImportProblem::NoNameColumn,
        });
    }
    Ok(columns)
}

fn resident(columns: &Columns, cells: &[String]) -> NewResident {
    let get = |index: Option<usize>| {
        index
            .and_then(|i| cells.get(i))
            .map(|c| c.trim().to_string())
    };
    NewResident {
        name: get(columns.name).unwrap_or_default(),
        phone: get(columns.phone).filter(|p| !p.is_empty()),
        address: get(columns.address).filter(|a| !a.is_empty()),
        note: get(columns.note).filter(|n| !n.is_empty()),
    }
}

fn file_error(path: &Path, message: impl ToString) -> LedgerError {
    LedgerError::ImportFile {
        file: path.display().to_string(),
        message: message.to_string(),
    }
}

/// The header and the data rows of a `.csv` or `.xlsx` file; blank rows are skipped.
fn read_table(path: &Path) -> Result<((usize, Vec<String>), NumberedRows)> {
    let rows = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => read_csv(path)?,
        Some("xlsx") => read_xlsx(path)?,
        _ => {
            return Err(file_error(
                path,
                "只支持 .csv 和 .xlsx / only .csv and .xlsx files",
            ));
        }
    };
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let Some((header_row, header)) = rows.next() else {
        return Err(file_error(path, "文件是空的 / the file is empty"));
    };
    let data: Vec<(usize, Vec<String>)> = rows.collect();
    if data.len() > IMPORT_ROWS_MAX {
        return Err(file_error(
            path,
            format!("超过 {IMPORT_ROWS_MAX} 行 / more than {IMPORT_ROWS_MAX} rows"),
        ));
    }
    Ok(((header_row, header), data))
}

/// Reads every data row of a resident list.
pub fn read_residents(path: &Path) -> Result<Vec<(usize, NewResident)>> {
    let ((header_row, header), data) = read_table(path)?;
    let columns = columns(&header, header_row)?;
    Ok(data
        .iter()
        .map(|(row, cells)| (*row, resident(&columns, cells)))
        .collect())
}

/// One row of a catalogue file: the item, and the stock to receive with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogRow {
    pub item: NewItem,
    pub stock: Option<i64>,
}

/// Reads a catalogue: 编号, 名称, 类别 (商品/服务/场地/荣誉), 积分, 条码, 每月限额, 库存.
pub fn read_catalog(path: &Path) -> Result<Vec<(usize, CatalogRow)>> {
    let ((header_row, header), data) = read_table(path)?;
    let mut at: [Option<usize>; 7] = [None; 7];
    for (index, title) in header.iter().enumerate() {
        let slot = match title.trim().to_lowercase().as_str() {
            "编号" | "代码" | "code" => 0,
            "名称" | "商品" | "name" => 1,
            "类别" | "种类" | "kind" => 2,
            "积分" | "points" => 3,
            "条码" | "barcode" => 4,
            "每月限额" | "月限额" | "monthly limit" | "monthly_limit" => 5,
            "库存" | "数量" | "stock" => 6,
            _ => continue,
        };
        at[slot] = Some(index);
    }
    if at[0].is_none() || at[1].is_none() || at[3].is_none() {
        return Err(LedgerError::ImportRow {
            row: header_row,
            problem: ImportProblem::CatalogColumns,
        });
    }
    let mut out = Vec::with_capacity(data.len());
    for (row, cells) in &data {
        let get = |i: Option<usize>| {
            i.and_then(|i| cells.get(i))
                .map(|c| c.trim().to_string())
                .unwrap_or_default()
        };
        let bad = |what: &'static str, value: String| LedgerError::ImportRow {
            row: *row,
            problem: ImportProblem::BadValue { what, value },
        };
        let kind = match get(at[2]).to_lowercase().as_str() {
            "" | "商品" | "goods" => ItemKind::Goods,
            "服务" | "service" => ItemKind::Service,
            "场地" | "venue" => ItemKind::Venue,
            "荣誉" | "honour" | "honor" => ItemKind::Honour,
            other => return Err(bad("kind", other.to_string())),
        };
        let points: i64 = get(at[3]).parse().map_err(|_| bad("points", get(at[3])))?;
        let monthly_limit = match get(at[5]) {
            v if v.is_empty() => None,
            v => Some(v.parse::<u32>().map_err(|_| bad("monthly_limit", v))?),
        };
        let stock = match get(at[6]) {
            v if v.is_empty() => None,
            v => Some(
                v.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| bad("stock", v))?,
            ),
        };
        let barcode = Some(get(at[4])).filter(|b| !b.is_empty());
        out.push((
            *row,
            CatalogRow {
                item: NewItem {
                    item: get(at[0]),
                    name: get(at[1]),
                    kind,
                    points,
                    barcode,
                    monthly_limit,
                },
                stock,
            },
        ));
    }
    Ok(out)
}

/// A CSV file's text: UTF-8 (a byte-order mark or none), else GB18030 — a superset of GBK,
/// what Excel on a Chinese Windows writes. `None` when it is neither.
pub fn decode_csv(bytes: &[u8]) -> Option<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(text.to_string());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    (!had_errors).then(|| text.into_owned())
}

/// Rows with their numbers as a spreadsheet shows them (1-based).
type NumberedRows = Vec<(usize, Vec<String>)>;

fn read_csv(path: &Path) -> Result<NumberedRows> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
    let text = decode_csv(&bytes).ok_or(LedgerError::ImportRow {
        row: 1,
        problem: ImportProblem::NotUtf8,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| file_error(path, e))?;
        rows.push((index + 1, record.iter().map(str::to_string).collect()));
    }
    Ok(rows)
}

fn read_xlsx(path: &Path) -> Result<NumberedRows> {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> =
        open_workbook(path).map_err(|e: calamine::XlsxError| file_error(path, e))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| file_error(path, "没有工作表 / no worksheet"))?
        .map_err(|e| file_error(path, e))?;
    // The range starts at its first used cell; keep the sheet's own row and column numbers.
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut rows = Vec::new();
    for (index, row) in range.rows().enumerate() {
        let mut cells = vec![String::new(); first_col];
        cells.extend(row.iter().map(|cell| match cell {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
            other => other.to_string(),
        }));
        rows.push((first_row + index + 1, cells));
    }
    Ok(rows)
}
