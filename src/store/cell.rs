//! A database value that can be a map key: the unit in which projections are folded in memory
//! and compared with the tables.

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    pub fn text(value: &str) -> Cell {
        Cell::Text(value.to_string())
    }

    pub fn opt_text(value: Option<&str>) -> Cell {
        value.map_or(Cell::Null, Cell::text)
    }

    pub fn as_int(&self) -> i64 {
        match self {
            Cell::Int(v) => *v,
            _ => 0,
        }
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Null => write!(f, "NULL"),
            Cell::Int(v) => write!(f, "{v}"),
            Cell::Text(v) => write!(f, "{v:?}"),
            Cell::Blob(v) => write!(f, "x'{}'", hex::encode(v)),
        }
    }
}

impl ToSql for Cell {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Cell::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Cell::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Cell::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Cell::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

impl FromSql for Cell {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Ok(match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(v) => Cell::Int(v),
            ValueRef::Real(v) => Cell::Text(v.to_string()),
            ValueRef::Text(v) => Cell::Text(String::from_utf8_lossy(v).into_owned()),
            ValueRef::Blob(v) => Cell::Blob(v.to_vec()),
        })
    }
}
