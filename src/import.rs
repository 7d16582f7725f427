//! Reading resident lists from CSV and XLSX files with a header row. Rows are numbered as a
//! spreadsheet shows them (the header is row 1), so a message points at the row to fix.

use crate::ledger::{ImportProblem, LedgerError, NewResident, Result};
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

/// Reads every data row of a `.csv` or `.xlsx` file; blank rows are skipped.
pub fn read_residents(path: &Path) -> Result<Vec<(usize, NewResident)>> {
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
    let columns = columns(&header, header_row)?;
    Ok(data
        .iter()
        .map(|(row, cells)| (*row, resident(&columns, cells)))
        .collect())
}

/// Rows with their numbers as a spreadsheet shows them (1-based).
type NumberedRows = Vec<(usize, Vec<String>)>;

fn read_csv(path: &Path) -> Result<NumberedRows> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
    // Excel saves CSV with a UTF-8 byte order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (index, record) in reader.byte_records().enumerate() {
        let record = record.map_err(|e| file_error(path, e))?;
        let mut cells = Vec::with_capacity(record.len());
        for field in record.iter() {
            let text = std::str::from_utf8(field).map_err(|_| LedgerError::ImportRow {
                row: index + 1,
                problem: ImportProblem::NotUtf8,
            })?;
            cells.push(text.to_string());
        }
        rows.push((index + 1, cells));
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
