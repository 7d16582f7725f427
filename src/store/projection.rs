//! Projections: the derived tables, the operations that change them, and the two places those
//! operations run: inside the commit's SQLite transaction, and in memory for verify/rebuild.

use super::cell::Cell;
use crate::domain::{Effect, Sealed};
use rusqlite::Transaction;
use std::collections::HashMap;

/// A projection table: key columns and value columns, as in the migration.
pub struct TableSpec {
    pub name: &'static str,
    pub keys: &'static [&'static str],
    pub values: &'static [&'static str],
}

pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "series_heads",
        keys: &["counter_id"],
        values: &[
            "seq",
            "hash",
            "public_key",
            "community",
            "prefix",
            "counter",
            "utc_offset_minutes",
        ],
    },
    TableSpec {
        name: "balances",
        keys: &["account"],
        values: &["points"],
    },
    TableSpec {
        name: "postings",
        keys: &["account", "position"],
        values: &["points"],
    },
    TableSpec {
        name: "operators",
        keys: &["operator"],
        values: &["name", "role", "enabled", "locked_until"],
    },
    TableSpec {
        name: "residents",
        keys: &["resident"],
        values: &[
            "name",
            "phone",
            "address",
            "note",
            "erased",
            "registered_at",
        ],
    },
    TableSpec {
        name: "passbooks",
        keys: &["passbook"],
        values: &[
            "resident",
            "community",
            "token_sha256",
            "status",
            "issued_at",
        ],
    },
    TableSpec {
        name: "passbook_tokens",
        keys: &["token_sha256"],
        values: &["passbook", "status"],
    },
    TableSpec {
        name: "activities",
        keys: &["activity"],
        values: &["name", "points_per_hour", "enabled"],
    },
    TableSpec {
        name: "items",
        keys: &["item"],
        values: &[
            "name",
            "kind",
            "points",
            "barcode",
            "monthly_limit",
            "enabled",
        ],
    },
    TableSpec {
        name: "stock",
        keys: &["item"],
        values: &["qty"],
    },
    TableSpec {
        name: "usage",
        keys: &["resident", "item", "month"],
        values: &["qty"],
    },
    TableSpec {
        name: "month_totals",
        keys: &["passbook", "month"],
        values: &["earned", "spent"],
    },
    TableSpec {
        name: "daily_totals",
        keys: &["day", "kind"],
        values: &["points", "count"],
    },
    TableSpec {
        name: "reversed_txns",
        keys: &["txn"],
        values: &["by_txn"],
    },
];

fn spec(name: &str) -> &'static TableSpec {
    TABLES
        .iter()
        .find(|t| t.name == name)
        .expect("projection table is declared in TABLES")
}

/// One change to one row.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Insert or replace the whole row.
    Put {
        table: &'static str,
        key: Vec<Cell>,
        values: Vec<Cell>,
    },
    /// Add to every (integer) value column, inserting the row if it is missing.
    Add {
        table: &'static str,
        key: Vec<Cell>,
        deltas: Vec<i64>,
    },
    /// Set some value columns of an existing row; a missing row is left missing.
    Set {
        table: &'static str,
        key: Vec<Cell>,
        columns: Vec<(&'static str, Cell)>,
    },
}

/// Reads personal data sealed with a resident key; `None` once the key is destroyed.
pub trait Unsealer {
    fn unseal(&self, resident: &str, sealed: &Sealed) -> Option<crate::domain::PersonalData>;
}

/// Translates the domain's effects into row operations. `position` is the entry's local order.
pub fn ops_for(effect: &Effect, position: i64, keys: &dyn Unsealer) -> Vec<Op> {
    use Cell::{Int, Null};
    let t = Cell::text;
    match effect {
        Effect::Post { account, points } => vec![
            Op::Add {
                table: "balances",
                key: vec![t(account)],
                deltas: vec![points.0],
            },
            Op::Put {
                table: "postings",
                key: vec![t(account), Int(position)],
                values: vec![Int(points.0)],
            },
        ],
        Effect::Stock { item, delta } => vec![Op::Add {
            table: "stock",
            key: vec![t(item)],
            deltas: vec![*delta],
        }],
        Effect::Usage {
            resident,
            item,
            month,
            qty,
        } => vec![Op::Add {
            table: "usage",
            key: vec![t(resident), t(item), t(month)],
            deltas: vec![*qty],
        }],
        Effect::Monthly {
            passbook,
            month,
            earned,
            spent,
        } => vec![Op::Add {
            table: "month_totals",
            key: vec![t(passbook), t(month)],
            deltas: vec![earned.0, spent.0],
        }],
        Effect::Daily {
            day,
            kind,
            points,
            count,
        } => vec![Op::Add {
            table: "daily_totals",
            key: vec![t(day), t(kind)],
            deltas: vec![points.0, *count],
        }],
        Effect::PutOperator {
            operator,
            name,
            role,
            enabled,
        } => vec![Op::Put {
            table: "operators",
            key: vec![t(operator)],
            values: vec![t(name), t(role.as_str()), Int(i64::from(*enabled)), Null],
        }],
        Effect::LockOperator { operator, until } => vec![Op::Set {
            table: "operators",
            key: vec![t(operator)],
            columns: vec![("locked_until", t(until))],
        }],
        Effect::PutResident {
            resident,
            sealed,
            registered_at,
        } => {
            let data = keys.unseal(resident, sealed);
            let erased = Int(i64::from(data.is_none()));
            let name = Cell::opt_text(data.as_ref().map(|d| d.name.as_str()));
            let phone = Cell::opt_text(data.as_ref().and_then(|d| d.phone.as_deref()));
            let address = Cell::opt_text(data.as_ref().and_then(|d| d.address.as_deref()));
            let note = Cell::opt_text(data.as_ref().and_then(|d| d.note.as_deref()));
            match registered_at {
                Some(at) => vec![Op::Put {
                    table: "residents",
                    key: vec![t(resident)],
                    values: vec![name, phone, address, note, erased, t(at)],
                }],
                None => vec![Op::Set {
                    table: "residents",
                    key: vec![t(resident)],
                    columns: vec![
                        ("name", name),
                        ("phone", phone),
                        ("address", address),
                        ("note", note),
                        ("erased", erased),
                    ],
                }],
            }
        }
        Effect::EraseResident { resident } => vec![Op::Set {
            table: "residents",
            key: vec![t(resident)],
            columns: vec![
                ("name", Null),
                ("phone", Null),
                ("address", Null),
                ("note", Null),
                ("erased", Int(1)),
            ],
        }],
        Effect::PutPassbook {
            passbook,
            resident,
            community,
            token_sha256,
            issued_at,
        } => vec![
            Op::Put {
                table: "passbooks",
                key: vec![t(passbook)],
                values: vec![
                    t(resident),
                    t(community),
                    t(token_sha256),
                    t("active"),
                    t(issued_at),
                ],
            },
            Op::Put {
                table: "passbook_tokens",
                key: vec![t(token_sha256)],
                values: vec![t(passbook), t("active")],
            },
        ],
        Effect::RevokePassbook {
            passbook,
            token_sha256,
        } => vec![
            Op::Set {
                table: "passbooks",
                key: vec![t(passbook)],
                columns: vec![("status", t("revoked"))],
            },
            Op::Set {
                table: "passbook_tokens",
                key: vec![t(token_sha256)],
                columns: vec![("status", t("revoked"))],
            },
        ],
        Effect::PutActivity(def) => vec![Op::Put {
            table: "activities",
            key: vec![t(&def.activity)],
            values: vec![
                t(&def.name),
                Int(def.points_per_hour.0),
                Int(i64::from(def.enabled)),
            ],
        }],
        Effect::PutItem(def) => vec![Op::Put {
            table: "items",
            key: vec![t(&def.item)],
            values: vec![
                t(&def.name),
                t(def.kind.as_str()),
                Int(def.points.0),
                Cell::opt_text(def.barcode.as_deref()),
                def.monthly_limit.map_or(Null, |l| Int(i64::from(l))),
                Int(i64::from(def.enabled)),
            ],
        }],
        Effect::MarkReversed { txn, by_txn } => vec![Op::Put {
            table: "reversed_txns",
            key: vec![t(txn)],
            values: vec![t(by_txn)],
        }],
    }
}

/// The SQL of an operation, built once per shape and kept: a commit runs a dozen of them and
/// building the text each time cost more than executing the cached statement.
fn sql_for(op: &Op) -> std::rc::Rc<str> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    type ShapeKey = (u8, &'static str, Vec<&'static str>);
    thread_local! {
        static CACHE: RefCell<HashMap<ShapeKey, std::rc::Rc<str>>> = RefCell::new(HashMap::new());
    }
    let shape: ShapeKey = match op {
        Op::Put { table, .. } => (0, table, Vec::new()),
        Op::Add { table, .. } => (1, table, Vec::new()),
        Op::Set { table, columns, .. } => (2, table, columns.iter().map(|(c, _)| *c).collect()),
    };
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .entry(shape)
            .or_insert_with_key(|(kind, table, columns)| {
                build_sql(*kind, spec(table), columns).into()
            })
            .clone()
    })
}

fn build_sql(kind: u8, spec: &TableSpec, set_columns: &[&str]) -> String {
    let all = placeholders(spec.keys.len() + spec.values.len());
    match kind {
        0 => format!(
            "INSERT OR REPLACE INTO {} ({}, {}) VALUES ({all})",
            spec.name,
            spec.keys.join(", "),
            spec.values.join(", "),
        ),
        1 => {
            let updates: Vec<String> = spec
                .values
                .iter()
                .map(|c| format!("{c} = {c} + excluded.{c}"))
                .collect();
            format!(
                "INSERT INTO {} ({}, {}) VALUES ({all}) ON CONFLICT ({}) DO UPDATE SET {}",
                spec.name,
                spec.keys.join(", "),
                spec.values.join(", "),
                spec.keys.join(", "),
                updates.join(", ")
            )
        }
        _ => {
            let sets: Vec<String> = set_columns.iter().map(|c| format!("{c} = ?")).collect();
            let wheres: Vec<String> = spec.keys.iter().map(|k| format!("{k} = ?")).collect();
            format!(
                "UPDATE {} SET {} WHERE {}",
                spec.name,
                sets.join(", "),
                wheres.join(" AND ")
            )
        }
    }
}

/// Applies operations to the live tables, inside the caller's transaction.
pub fn apply_sql(tx: &Transaction<'_>, ops: &[Op]) -> rusqlite::Result<()> {
    for op in ops {
        let sql = sql_for(op);
        let mut stmt = tx.prepare_cached(&sql)?;
        match op {
            Op::Put { key, values, .. } => {
                stmt.execute(rusqlite::params_from_iter(key.iter().chain(values.iter())))?;
            }
            Op::Add { key, deltas, .. } => {
                let delta_cells = deltas.iter().map(|d| Cell::Int(*d));
                let params: Vec<Cell> = key.iter().cloned().chain(delta_cells).collect();
                stmt.execute(rusqlite::params_from_iter(params.iter()))?;
            }
            Op::Set { key, columns, .. } => {
                let values = columns.iter().map(|(_, v)| v);
                stmt.execute(rusqlite::params_from_iter(values.chain(key.iter())))?;
            }
        }
    }
    Ok(())
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Tables whose rows are only ever inserted (never added to or set), and that hold a row per
/// posting: a fold keeps an order-independent digest of them instead of every row, which keeps
/// `ledger verify` of a million entries within memory and time. Only when a digest differs is
/// the log folded again with every row kept, to name the first bad one.
pub const DIGESTED_TABLES: &[&str] = &["postings"];

/// Count and wrapping sum of 128-bit row hashes: equal for equal sets of rows in any order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Digest {
    pub rows: u64,
    pub sum: u128,
}

impl Digest {
    pub fn add(&mut self, key: &[Cell], values: &[Cell]) {
        use std::hash::{Hash, Hasher};
        let mut low = std::hash::DefaultHasher::new();
        let mut high = std::hash::DefaultHasher::new();
        high.write_u8(0x5a);
        for cell in key.iter().chain(values) {
            cell.hash(&mut low);
            cell.hash(&mut high);
        }
        let row = (u128::from(high.finish()) << 64) | u128::from(low.finish());
        self.rows += 1;
        self.sum = self.sum.wrapping_add(row);
    }
}

/// The projections folded in memory from the log.
#[derive(Default)]
pub struct Fold {
    pub tables: HashMap<&'static str, HashMap<Vec<Cell>, Vec<Cell>>>,
    pub digests: HashMap<&'static str, Digest>,
    /// Keep every row of the digested tables too (the slow path that names a bad row).
    pub keep_all_rows: bool,
}

impl Fold {
    pub fn apply(&mut self, ops: &[Op]) {
        for op in ops {
            match op {
                Op::Put { table, key, values }
                    if !self.keep_all_rows && DIGESTED_TABLES.contains(table) =>
                {
                    self.digests.entry(table).or_default().add(key, values);
                }
                Op::Put { table, key, values } => {
                    self.table(table).insert(key.clone(), values.clone());
                }
                Op::Add { table, key, deltas } => {
                    let row = self
                        .table(table)
                        .entry(key.clone())
                        .or_insert_with(|| vec![Cell::Int(0); deltas.len()]);
                    for (cell, delta) in row.iter_mut().zip(deltas) {
                        *cell = Cell::Int(cell.as_int() + delta);
                    }
                }
                Op::Set {
                    table,
                    key,
                    columns,
                } => {
                    let spec = spec(table);
                    if let Some(row) = self.table(table).get_mut(key) {
                        for (column, value) in columns {
                            let index = spec
                                .values
                                .iter()
                                .position(|c| c == column)
                                .expect("Set names a declared column");
                            row[index] = value.clone();
                        }
                    }
                }
            }
        }
    }

    fn table(&mut self, name: &'static str) -> &mut HashMap<Vec<Cell>, Vec<Cell>> {
        self.tables.entry(name).or_default()
    }
}
