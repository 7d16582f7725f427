//! Projections: the derived tables, the operations that change them, and the two places those
//! operations run: inside the commit's SQLite transaction, and in memory for verify/rebuild.

use super::cell::Cell;
use crate::domain::{Effect, Sealed};
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
        keys: &["series_id"],
        values: &[
            "seq",
            "hash",
            "public_key",
            "community",
            "prefix",
            "counter",
            "utc_offset_minutes",
            "origin",
            "code",
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
        keys: &["origin", "operator"],
        values: &["name", "role", "enabled", "locked_until"],
    },
    TableSpec {
        name: "residents",
        keys: &["resident"],
        values: &[
            "origin",
            "sealed",
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
            "origin",
            "resident",
            "community",
            "token_sha256",
            "issued_at",
        ],
    },
    TableSpec {
        name: "passbook_tokens",
        keys: &["token_sha256"],
        values: &["passbook", "status", "resident"],
    },
    TableSpec {
        name: "activities",
        keys: &["origin", "activity"],
        values: &["name", "points_per_hour", "enabled"],
    },
    TableSpec {
        name: "items",
        keys: &["origin", "item"],
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
        keys: &["origin", "item"],
        values: &["qty"],
    },
    TableSpec {
        name: "usage",
        keys: &["resident", "origin", "item", "month"],
        values: &["qty"],
    },
    TableSpec {
        name: "month_totals",
        keys: &["passbook", "month"],
        values: &["earned", "spent"],
    },
    TableSpec {
        name: "daily_totals",
        keys: &["day", "origin", "kind"],
        values: &["points", "count"],
    },
    TableSpec {
        name: "tallies",
        keys: &["day", "origin", "kind", "key"],
        values: &["count", "qty", "minutes", "points"],
    },
    TableSpec {
        name: "served",
        keys: &["day", "origin", "passbook"],
        values: &["seen"],
    },
    TableSpec {
        name: "reversed_txns",
        keys: &["origin", "txn"],
        values: &["by_txn"],
    },
    TableSpec {
        name: "claims",
        keys: &["claim"],
        values: &["entry"],
    },
    TableSpec {
        name: "duplicates",
        keys: &["series_id", "seq", "claim"],
        values: &[],
    },
    TableSpec {
        name: "resolved_registrations",
        keys: &["resident", "entry"],
        values: &[],
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
    /// Set some value columns of an existing row whose `guard` columns hold the given values;
    /// a missing row (or one the guard does not fit) is left as it is.
    Set {
        table: &'static str,
        key: Vec<Cell>,
        columns: Vec<(&'static str, Cell)>,
        guard: Vec<(&'static str, Cell)>,
    },
    /// Insert the row, or merge it into the one there column by column: how effects that may
    /// arrive in any order (an erasure before the registration, a block before the issue)
    /// reach the same row whatever the order.
    Merge {
        table: &'static str,
        key: Vec<Cell>,
        values: Vec<Cell>,
        rules: &'static [Rule],
    },
}

impl Op {
    /// The table the change is to.
    pub fn table(&self) -> &'static str {
        match self {
            Op::Put { table, .. }
            | Op::Add { table, .. }
            | Op::Set { table, .. }
            | Op::Merge { table, .. } => table,
        }
    }
}

/// How [`Op::Merge`] treats one value column of a row that is already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    Replace,
    Keep,
    /// The larger of the two (flags that are only ever set: erased, revoked).
    Max,
    /// Replace unless the row's named (integer) column is already non-zero.
    ReplaceUnlessSet(&'static str),
    /// Replace when the arriving row's named columns, compared in order, are greater than the
    /// row's: the newer of two versions of a row wins whichever arrives last (the last column
    /// breaks ties of the first).
    ReplaceIfGreater(&'static [&'static str]),
}

/// Sealed personal data as one text column: nonce and ciphertext in hex.
pub fn sealed_cell(sealed: &Sealed) -> Cell {
    Cell::Text(format!("{}:{}", sealed.nonce, sealed.ciphertext))
}

/// The sealed data of a residents row, back.
pub fn sealed_of(text: &str) -> Option<Sealed> {
    let (nonce, ciphertext) = text.split_once(':')?;
    Some(Sealed {
        nonce: nonce.to_string(),
        ciphertext: ciphertext.to_string(),
    })
}

const REGISTER_RULES: &[Rule] = &[
    Rule::Replace,
    Rule::ReplaceUnlessSet("erased"),
    Rule::ReplaceUnlessSet("erased"),
    Rule::ReplaceUnlessSet("erased"),
    Rule::ReplaceUnlessSet("erased"),
    Rule::ReplaceUnlessSet("erased"),
    Rule::Max,
    Rule::Replace,
];
const ERASE_RULES: &[Rule] = &[
    Rule::Keep,
    Rule::Replace,
    Rule::Replace,
    Rule::Replace,
    Rule::Replace,
    Rule::Replace,
    Rule::Max,
    Rule::Keep,
];
/// A token's passbook and resident are its issue's (a revocation that arrives first knows only
/// the passbook, and leaves the resident empty until the issue comes); revoked wins.
const TOKEN_RULES: &[Rule] = &[Rule::Replace, Rule::Max, Rule::Max];

/// A passbook's row is its latest issue (a reissue's new token), whichever order the issues
/// arrive in: two series issuing one number (a conflict of registrations) leave the same row
/// at every replica.
const PASSBOOK_RULES: &[Rule] = &[Rule::ReplaceIfGreater(&["issued_at", "token_sha256"]); 5];

/// Personal data as projection cells (name, phone, address, note), NULL when unreadable here.
fn personal_cells(data: Option<&crate::domain::PersonalData>) -> [Cell; 4] {
    [
        Cell::opt_text(data.map(|d| d.name.as_str())),
        Cell::opt_text(data.and_then(|d| d.phone.as_deref())),
        Cell::opt_text(data.and_then(|d| d.address.as_deref())),
        Cell::opt_text(data.and_then(|d| d.note.as_deref())),
    ]
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
        Effect::Stock {
            origin,
            item,
            delta,
        } => vec![Op::Add {
            table: "stock",
            key: vec![t(origin), t(item)],
            deltas: vec![*delta],
        }],
        Effect::Usage {
            resident,
            origin,
            item,
            month,
            qty,
        } => vec![Op::Add {
            table: "usage",
            key: vec![t(resident), t(origin), t(item), t(month)],
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
            origin,
            kind,
            points,
            count,
        } => vec![Op::Add {
            table: "daily_totals",
            key: vec![t(day), t(origin), t(kind)],
            deltas: vec![points.0, *count],
        }],
        Effect::Tally {
            day,
            origin,
            kind,
            key,
            count,
            qty,
            minutes,
            points,
        } => vec![Op::Add {
            table: "tallies",
            key: vec![t(day), t(origin), t(kind), t(key)],
            deltas: vec![*count, *qty, *minutes, points.0],
        }],
        Effect::Served {
            day,
            origin,
            passbook,
        } => vec![Op::Put {
            table: "served",
            key: vec![t(day), t(origin), t(passbook)],
            values: vec![Int(1)],
        }],
        Effect::PutOperator {
            origin,
            operator,
            name,
            role,
            enabled,
        } => vec![Op::Put {
            table: "operators",
            key: vec![t(origin), t(operator)],
            values: vec![t(name), t(role.as_str()), Int(i64::from(*enabled)), Null],
        }],
        Effect::LockOperator {
            origin,
            operator,
            until,
        } => vec![Op::Set {
            table: "operators",
            key: vec![t(origin), t(operator)],
            columns: vec![("locked_until", t(until))],
            guard: Vec::new(),
        }],
        Effect::RegisterResident {
            resident,
            origin,
            sealed,
            registered_at,
        } => {
            let data = keys.unseal(resident, sealed);
            let [name, phone, address, note] = personal_cells(data.as_ref());
            vec![Op::Merge {
                table: "residents",
                key: vec![t(resident)],
                values: vec![
                    t(origin),
                    sealed_cell(sealed),
                    name,
                    phone,
                    address,
                    note,
                    Int(0),
                    t(registered_at),
                ],
                rules: REGISTER_RULES,
            }]
        }
        Effect::UpdateResident {
            resident,
            origin,
            sealed,
        } => {
            let data = keys.unseal(resident, sealed);
            let [name, phone, address, note] = personal_cells(data.as_ref());
            vec![Op::Set {
                table: "residents",
                key: vec![t(resident)],
                columns: vec![
                    ("sealed", sealed_cell(sealed)),
                    ("name", name),
                    ("phone", phone),
                    ("address", address),
                    ("note", note),
                ],
                guard: vec![("origin", t(origin)), ("erased", Int(0))],
            }]
        }
        Effect::EraseResident { resident } => vec![Op::Merge {
            table: "residents",
            key: vec![t(resident)],
            values: vec![Null, Null, Null, Null, Null, Null, Int(1), Null],
            rules: ERASE_RULES,
        }],
        Effect::PutPassbook {
            passbook,
            origin,
            resident,
            community,
            token_sha256,
            issued_at,
        } => vec![
            Op::Merge {
                table: "passbooks",
                key: vec![t(passbook)],
                values: vec![
                    t(origin),
                    t(resident),
                    t(community),
                    t(token_sha256),
                    t(issued_at),
                ],
                rules: PASSBOOK_RULES,
            },
            Op::Merge {
                table: "passbook_tokens",
                key: vec![t(token_sha256)],
                values: vec![t(passbook), t(TOKEN_ACTIVE), t(resident)],
                rules: TOKEN_RULES,
            },
        ],
        Effect::ResolveRegistration { resident, entry } => uuid::Uuid::parse_str(entry)
            .map(|id| Op::Put {
                table: "resolved_registrations",
                key: vec![t(resident), Cell::Blob(id.as_bytes().to_vec())],
                values: Vec::new(),
            })
            .into_iter()
            .collect(),
        Effect::RevokePassbook {
            passbook,
            token_sha256,
        } => vec![Op::Merge {
            table: "passbook_tokens",
            key: vec![t(token_sha256)],
            values: vec![t(passbook), t(TOKEN_REVOKED), t("")],
            rules: TOKEN_RULES,
        }],
        Effect::PutActivity { origin, def } => vec![Op::Put {
            table: "activities",
            key: vec![t(origin), t(&def.activity)],
            values: vec![
                t(&def.name),
                Int(def.points_per_hour.0),
                Int(i64::from(def.enabled)),
            ],
        }],
        Effect::PutItem { origin, def } => vec![Op::Put {
            table: "items",
            key: vec![t(origin), t(&def.item)],
            values: vec![
                t(&def.name),
                t(def.kind.as_str()),
                Int(def.points.0),
                Cell::opt_text(def.barcode.as_deref()),
                def.monthly_limit.map_or(Null, |l| Int(i64::from(l))),
                Int(i64::from(def.enabled)),
            ],
        }],
        Effect::MarkReversed {
            origin,
            txn,
            by_txn,
        } => vec![Op::Put {
            table: "reversed_txns",
            key: vec![t(origin), t(txn)],
            values: vec![t(by_txn)],
        }],
    }
}

/// A token that scans; one that was blocked (lost, reissued) never scans again. Ordered so that
/// the larger wins a merge.
pub const TOKEN_ACTIVE: &str = "active";
pub const TOKEN_REVOKED: &str = "revoked";

/// The SQL of an operation, built once per shape and kept: a commit runs a dozen of them and
/// building the text each time cost more than executing the cached statement.
fn sql_for(op: &Op) -> std::rc::Rc<str> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    type ShapeKey = (u8, &'static str, Vec<&'static str>, &'static [Rule]);
    thread_local! {
        static CACHE: RefCell<HashMap<ShapeKey, std::rc::Rc<str>>> = RefCell::new(HashMap::new());
    }
    let shape: ShapeKey = match op {
        Op::Put { table, .. } => (0, table, Vec::new(), &[]),
        Op::Add { table, .. } => (1, table, Vec::new(), &[]),
        Op::Set {
            table,
            columns,
            guard,
            ..
        } => (
            2,
            table,
            columns.iter().chain(guard).map(|(c, _)| *c).collect(),
            // The guard's columns follow the set ones; their count tells them apart.
            GUARD_COUNTS[guard.len()],
        ),
        Op::Merge { table, rules, .. } => (3, table, Vec::new(), rules),
    };
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .entry(shape)
            .or_insert_with_key(|(kind, table, columns, rules)| {
                build_sql(*kind, spec(table), columns, rules).into()
            })
            .clone()
    })
}

/// Stand-ins that carry a guard's length in the cache key of a Set (0, 1 or 2 columns).
const GUARD_COUNTS: [&[Rule]; 3] = [&[], &[Rule::Keep], &[Rule::Keep, Rule::Keep]];

fn build_sql(kind: u8, spec: &TableSpec, columns: &[&str], rules: &[Rule]) -> String {
    let all = placeholders(spec.keys.len() + spec.values.len());
    match kind {
        0 => format!(
            "INSERT OR REPLACE INTO {} ({}) VALUES ({all})",
            spec.name,
            spec.keys
                .iter()
                .chain(spec.values)
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
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
        2 => {
            let (set_columns, guard_columns) = columns.split_at(columns.len() - rules.len());
            let sets: Vec<String> = set_columns.iter().map(|c| format!("{c} = ?")).collect();
            let wheres: Vec<String> = spec
                .keys
                .iter()
                .map(|k| format!("{k} = ?"))
                .chain(guard_columns.iter().map(|g| format!("{g} IS ?")))
                .collect();
            format!(
                "UPDATE {} SET {} WHERE {}",
                spec.name,
                sets.join(", "),
                wheres.join(" AND ")
            )
        }
        _ => {
            let merges: Vec<String> = spec
                .values
                .iter()
                .zip(rules)
                .filter_map(|(c, rule)| match rule {
                    Rule::Replace => Some(format!("{c} = excluded.{c}")),
                    Rule::Keep => None,
                    Rule::Max => Some(format!("{c} = MAX({c}, excluded.{c})")),
                    Rule::ReplaceUnlessSet(flag) => Some(format!(
                        "{c} = CASE WHEN {flag} != 0 THEN {c} ELSE excluded.{c} END"
                    )),
                    Rule::ReplaceIfGreater(by) => Some(format!(
                        "{c} = CASE WHEN ({}) > ({}) THEN excluded.{c} ELSE {c} END",
                        by.iter()
                            .map(|b| format!("excluded.{b}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        by.join(", ")
                    )),
                })
                .collect();
            format!(
                "INSERT INTO {} ({}, {}) VALUES ({all}) ON CONFLICT ({}) DO UPDATE SET {}",
                spec.name,
                spec.keys.join(", "),
                spec.values.join(", "),
                spec.keys.join(", "),
                merges.join(", ")
            )
        }
    }
}

/// Applies operations to the live tables, inside the caller's transaction.
pub fn apply_sql(tx: &rusqlite::Connection, ops: &[Op]) -> rusqlite::Result<()> {
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
            Op::Set {
                key,
                columns,
                guard,
                ..
            } => {
                let values = columns.iter().map(|(_, v)| v);
                let guards = guard.iter().map(|(_, v)| v);
                stmt.execute(rusqlite::params_from_iter(
                    values.chain(key.iter()).chain(guards),
                ))?;
            }
            Op::Merge { key, values, .. } => {
                stmt.execute(rusqlite::params_from_iter(key.iter().chain(values.iter())))?;
            }
        }
    }
    Ok(())
}

/// Tables that are only ever added to ([`Op::Add`]): summing a batch's additions to a row
/// first gives the same row as adding them one by one, in any order.
pub const ADDITIVE_TABLES: &[&str] =
    &["balances", "stock", "usage", "month_totals", "daily_totals"];

/// The projection changes of many entries written together (an import): additions to one row
/// are summed, and a series' head is written once, at [`Batch::flush`]. Everything else is
/// written at once. Exact because the additive tables are only ever added to and the head's
/// seq and hash are only ever set, and because nothing reads them before the flush.
#[derive(Default)]
pub struct Batch {
    adds: HashMap<(&'static str, Vec<Cell>), Vec<i64>>,
    heads: HashMap<Vec<Cell>, Op>,
    /// An entry displaced a claimant that counted: the projections are folded again from the
    /// log at the flush ([`super::claims::recount`]).
    pub recount: bool,
}

impl Batch {
    pub fn apply(&mut self, tx: &rusqlite::Connection, ops: &[Op]) -> rusqlite::Result<()> {
        for op in ops {
            match op {
                Op::Add { table, key, deltas } => {
                    let sum = self
                        .adds
                        .entry((table, key.clone()))
                        .or_insert_with(|| vec![0; deltas.len()]);
                    for (sum, delta) in sum.iter_mut().zip(deltas) {
                        *sum += delta;
                    }
                }
                Op::Set {
                    table: "series_heads",
                    key,
                    guard,
                    ..
                } if guard.is_empty() => {
                    self.heads.insert(key.clone(), op.clone());
                }
                other => {
                    debug_assert!(
                        !ADDITIVE_TABLES.contains(&other.table()),
                        "{other:?} changes an additive table otherwise than by adding"
                    );
                    apply_sql(tx, std::slice::from_ref(other))?;
                }
            }
        }
        Ok(())
    }

    /// Writes what was held back.
    pub fn flush(&mut self, tx: &rusqlite::Connection) -> rusqlite::Result<()> {
        for ((table, key), deltas) in self.adds.drain() {
            apply_sql(tx, &[Op::Add { table, key, deltas }])?;
        }
        for (_, head) in self.heads.drain() {
            apply_sql(tx, &[head])?;
        }
        if std::mem::take(&mut self.recount) {
            super::claims::recount(tx)?;
        }
        Ok(())
    }
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
                    guard,
                } => {
                    let spec = spec(table);
                    if let Some(row) = self.table(table).get_mut(key)
                        && guard
                            .iter()
                            .all(|(column, value)| row[value_index(spec, column)] == *value)
                    {
                        for (column, value) in columns {
                            row[value_index(spec, column)] = value.clone();
                        }
                    }
                }
                Op::Merge {
                    table,
                    key,
                    values,
                    rules,
                } => {
                    let spec = spec(table);
                    match self.table(table).get_mut(key) {
                        None => {
                            self.table(table).insert(key.clone(), values.clone());
                        }
                        Some(row) => {
                            let old = row.clone();
                            for (index, (value, rule)) in values.iter().zip(*rules).enumerate() {
                                row[index] = match rule {
                                    Rule::Replace => value.clone(),
                                    Rule::Keep => old[index].clone(),
                                    Rule::Max => old[index].clone().max(value.clone()),
                                    Rule::ReplaceUnlessSet(flag) => {
                                        if old[value_index(spec, flag)].as_int() != 0 {
                                            old[index].clone()
                                        } else {
                                            value.clone()
                                        }
                                    }
                                    Rule::ReplaceIfGreater(by) => {
                                        let arriving =
                                            by.iter().map(|b| &values[value_index(spec, b)]);
                                        let held = by.iter().map(|b| &old[value_index(spec, b)]);
                                        if arriving.gt(held) {
                                            value.clone()
                                        } else {
                                            old[index].clone()
                                        }
                                    }
                                };
                            }
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

/// Where a value column sits in a row.
fn value_index(spec: &TableSpec, column: &str) -> usize {
    spec.values
        .iter()
        .position(|c| *c == column)
        .expect("the column is declared in TABLES")
}

/// A digest of every projection table as any replica would hold it: postings are named by the
/// entry that made them (its series and seq), not by this database's local position, so two
/// replicas holding the same entries give the same digests whatever order they took them in.
/// One (table, rows, SHA-256 over the rows in key order) per table.
pub fn replica_digest(
    conn: &rusqlite::Connection,
) -> rusqlite::Result<Vec<(&'static str, u64, String)>> {
    use sha2::{Digest as _, Sha256};
    let mut out = Vec::new();
    for spec in TABLES {
        let sql = if spec.name == "postings" {
            "SELECT p.account, e.series_id, e.seq, p.points FROM postings p
             JOIN entries e ON e.position = p.position ORDER BY p.account, e.series_id, e.seq"
                .to_string()
        } else {
            let columns: Vec<&str> = spec.keys.iter().chain(spec.values).copied().collect();
            format!(
                "SELECT {} FROM {} ORDER BY {}",
                columns.join(", "),
                spec.name,
                spec.keys.join(", ")
            )
        };
        let mut stmt = conn.prepare(&sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut hasher = Sha256::new();
        let mut count = 0u64;
        while let Some(row) = rows.next()? {
            for i in 0..width {
                let cell: Cell = row.get(i)?;
                hasher.update(cell.to_string().as_bytes());
                hasher.update([0x1f]);
            }
            hasher.update([0x1e]);
            count += 1;
        }
        out.push((spec.name, count, hex::encode(hasher.finalize())));
    }
    Ok(out)
}
