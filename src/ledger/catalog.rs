//! Activities, the catalogue of items, and stock.

use super::read::{self, ItemRow};
use super::views::*;
use super::{Ledger, LedgerError, Result, Session};
use crate::domain::{ActivityDef, Body, ItemDef, Points, text};

/// Highest price or rate we accept; anything above is a typing slip.
pub const POINTS_MAX: i64 = 1_000_000;
/// Most units received or counted at once.
pub const STOCK_QTY_MAX: i64 = 1_000_000;

fn item_view(row: ItemRow) -> ItemView {
    ItemView {
        stock: row.kind.has_stock().then_some(row.stock),
        item: row.item,
        name: row.name,
        kind: row.kind,
        points: row.points,
        barcode: row.barcode,
        monthly_limit: row.monthly_limit,
        enabled: row.enabled,
    }
}

/// An item of this counter's catalogue; one that only another counter has is refused with that
/// counter named (only it changes the item, and the catalogue shown here is this counter's).
pub(crate) fn own_item(conn: &rusqlite::Connection, origin: &str, code: &str) -> Result<ItemRow> {
    if let Some(row) = read::item(conn, origin, code)? {
        return Ok(row);
    }
    match read::item_elsewhere(conn, origin, code)? {
        Some(other) => Err(LedgerError::KeptElsewhere {
            record: super::Record::Item,
            id: code.trim().to_ascii_uppercase(),
            counter: read::counter_name(conn, &other)?.unwrap_or(other),
        }),
        None => Err(LedgerError::ItemUnknown(code.trim().to_string())),
    }
}

/// An activity of this counter; another counter's is refused with that counter named.
pub(crate) fn own_activity(
    conn: &rusqlite::Connection,
    origin: &str,
    code: &str,
) -> Result<read::ActivityRow> {
    if let Some(row) = read::activity(conn, origin, code)? {
        return Ok(row);
    }
    match read::activity_elsewhere(conn, origin, code)? {
        Some(other) => Err(LedgerError::KeptElsewhere {
            record: super::Record::Activity,
            id: code.trim().to_ascii_uppercase(),
            counter: read::counter_name(conn, &other)?.unwrap_or(other),
        }),
        None => Err(LedgerError::ActivityUnknown(
            code.trim().to_ascii_uppercase(),
        )),
    }
}

/// A price or a rate: at least one point, so that no entry ever moves 0 points.
fn check_points(points: i64) -> Result<Points> {
    if (1..=POINTS_MAX).contains(&points) {
        Ok(Points(points))
    } else {
        Err(LedgerError::BadPoints(points.to_string()))
    }
}

fn clean_barcode(barcode: Option<&str>) -> Result<Option<String>> {
    let barcode = text::clean_optional(barcode).map_err(LedgerError::bad_text("barcode"))?;
    if let Some(code) = &barcode
        && (code.chars().any(char::is_whitespace) || code.len() > 64)
    {
        return Err(LedgerError::BadText {
            field: "barcode",
            problem: text::TextProblem::ControlCharacter,
        });
    }
    Ok(barcode)
}

impl Ledger {
    pub fn define_activity(
        &mut self,
        session: &Session,
        code: &str,
        name: &str,
        points_per_hour: i64,
    ) -> Result<ActivityView> {
        Self::require_admin(session)?;
        let def = ActivityDef {
            activity: text::clean_code(code).map_err(LedgerError::bad_text("code"))?,
            name: text::clean_text(name).map_err(LedgerError::bad_text("name"))?,
            points_per_hour: check_points(points_per_hour)?,
            enabled: true,
        };
        self.write(Some(session.operator()), |w| {
            if read::activity(&w.tx, &w.series.origin, &def.activity)?.is_some() {
                return Err(LedgerError::ActivityExists(def.activity.clone()));
            }
            w.append(None, Body::ActivityDefined(def.clone()))?;
            Ok(())
        })?;
        Ok(ActivityView {
            activity: def.activity,
            name: def.name,
            points_per_hour: def.points_per_hour,
            enabled: true,
        })
    }

    pub fn activities(&self) -> Result<Vec<ActivityView>> {
        Ok(read::activities(&self.conn, &self.series.origin)?
            .into_iter()
            .map(|a| ActivityView {
                activity: a.activity,
                name: a.name,
                points_per_hour: a.points_per_hour,
                enabled: a.enabled,
            })
            .collect())
    }

    pub fn define_item(&mut self, session: &Session, new: &NewItem) -> Result<ItemView> {
        Self::require_admin(session)?;
        let def = ItemDef {
            item: text::clean_code(&new.item).map_err(LedgerError::bad_text("code"))?,
            name: text::clean_text(&new.name).map_err(LedgerError::bad_text("name"))?,
            kind: new.kind,
            points: check_points(new.points)?,
            barcode: clean_barcode(new.barcode.as_deref())?,
            monthly_limit: new.monthly_limit,
            enabled: true,
        };
        self.write(Some(session.operator()), |w| {
            if read::item(&w.tx, &w.series.origin, &def.item)?.is_some_and(|i| i.item == def.item) {
                return Err(LedgerError::ItemExists(def.item.clone()));
            }
            if let Some(barcode) = &def.barcode
                && let Some(other) = read::item(&w.tx, &w.series.origin, barcode)?
            {
                return Err(LedgerError::BarcodeTaken {
                    barcode: barcode.clone(),
                    item: other.item,
                });
            }
            w.append(None, Body::ItemDefined(def.clone()))?;
            Ok(())
        })?;
        self.item(&def.item)
    }

    pub fn update_item(
        &mut self,
        session: &Session,
        code: &str,
        patch: &ItemPatch,
    ) -> Result<ItemView> {
        Self::require_admin(session)?;
        let name = patch
            .name
            .as_deref()
            .map(text::clean_text)
            .transpose()
            .map_err(LedgerError::bad_text("name"))?;
        let points = patch.points.map(check_points).transpose()?;
        let barcode = match &patch.barcode {
            Some(b) => Some(clean_barcode(b.as_deref())?),
            None => None,
        };
        let code = code.trim().to_ascii_uppercase();
        self.write(Some(session.operator()), |w| {
            let row = own_item(&w.tx, &w.series.origin, &code)?;
            if let Some(Some(barcode)) = &barcode
                && let Some(other) =
                    read::item(&w.tx, &w.series.origin, barcode)?.filter(|o| o.item != row.item)
            {
                return Err(LedgerError::BarcodeTaken {
                    barcode: barcode.clone(),
                    item: other.item,
                });
            }
            let def = ItemDef {
                item: row.item.clone(),
                name: name.clone().unwrap_or(row.name),
                kind: row.kind,
                points: points.unwrap_or(row.points),
                barcode: barcode.clone().unwrap_or(row.barcode),
                monthly_limit: patch.monthly_limit.unwrap_or(row.monthly_limit),
                enabled: patch.enabled.unwrap_or(row.enabled),
            };
            w.append(None, Body::ItemUpdated(def))?;
            Ok(())
        })?;
        self.item(&code)
    }

    /// Imports a catalogue (administrators): every row is checked first, as `catalog add`
    /// checks it; an item of this catalogue with the row's code is updated, a new one added,
    /// and stock given is received. All rows or none, in one transaction; a refusal names
    /// the row.
    pub fn import_catalog(
        &mut self,
        session: &Session,
        rows: &[(usize, crate::import::CatalogRow)],
    ) -> Result<Vec<String>> {
        Self::require_admin(session)?;
        let row_error = |row: usize, e: LedgerError| LedgerError::ImportRow {
            row,
            problem: super::ImportProblem::Cell(Box::new(e)),
        };
        let mut defs = Vec::with_capacity(rows.len());
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (row, r) in rows {
            let item = &r.item;
            let def = (|| -> Result<ItemDef> {
                Ok(ItemDef {
                    item: text::clean_code(&item.item).map_err(LedgerError::bad_text("code"))?,
                    name: text::clean_text(&item.name).map_err(LedgerError::bad_text("name"))?,
                    kind: item.kind,
                    points: check_points(item.points)?,
                    barcode: clean_barcode(item.barcode.as_deref())?,
                    monthly_limit: item.monthly_limit,
                    enabled: true,
                })
            })()
            .map_err(|e| row_error(*row, e))?;
            if let Some(first) = seen.insert(def.item.clone(), *row) {
                return Err(LedgerError::ImportRow {
                    row: *row,
                    problem: super::ImportProblem::DuplicateCode { first_row: first },
                });
            }
            if r.stock.is_some_and(|q| q > 0) && !def.kind.has_stock() {
                return Err(row_error(
                    *row,
                    LedgerError::ItemNotStocked(def.item.clone()),
                ));
            }
            if r.stock.is_some_and(|q| q > STOCK_QTY_MAX) {
                return Err(row_error(
                    *row,
                    LedgerError::BadQuantity(r.stock.unwrap_or(0).to_string()),
                ));
            }
            defs.push((*row, def, r.stock));
        }
        self.write(Some(session.operator()), |w| {
            let mut codes = Vec::with_capacity(defs.len());
            for (row, def, stock) in &defs {
                let existing =
                    read::item(&w.tx, &w.series.origin, &def.item)?.filter(|i| i.item == def.item);
                if let Some(barcode) = &def.barcode
                    && let Some(other) =
                        read::item(&w.tx, &w.series.origin, barcode)?.filter(|o| o.item != def.item)
                {
                    return Err(row_error(
                        *row,
                        LedgerError::BarcodeTaken {
                            barcode: barcode.clone(),
                            item: other.item,
                        },
                    ));
                }
                w.append(
                    None,
                    if existing.is_some() {
                        Body::ItemUpdated(def.clone())
                    } else {
                        Body::ItemDefined(def.clone())
                    },
                )?;
                if let Some(qty) = stock.filter(|q| *q > 0) {
                    w.append(
                        None,
                        Body::StockReceived {
                            item: def.item.clone(),
                            qty: qty as u32,
                            donor: None,
                        },
                    )?;
                }
                codes.push(def.item.clone());
            }
            Ok(codes)
        })
    }

    /// An item of this counter's catalogue, by code or barcode.
    pub fn item(&self, code_or_barcode: &str) -> Result<ItemView> {
        match read::item(&self.conn, &self.series.origin, code_or_barcode)? {
            Some(row) => Ok(item_view(row)),
            None => own_item(&self.conn, &self.series.origin, code_or_barcode).map(item_view),
        }
    }

    /// This counter's catalogue (another counter's items are its own).
    pub fn items(&self) -> Result<Vec<ItemView>> {
        Ok(read::items(&self.conn, &self.series.origin)?
            .into_iter()
            .map(item_view)
            .collect())
    }

    /// Goods received, from a donor or bought.
    pub fn restock(
        &mut self,
        session: &Session,
        code: &str,
        qty: i64,
        donor: Option<&str>,
    ) -> Result<ItemView> {
        if !(1..=STOCK_QTY_MAX).contains(&qty) {
            return Err(LedgerError::BadQuantity(qty.to_string()));
        }
        // The donor is optional, but one that is given must say something.
        let donor = donor
            .map(text::clean_text)
            .transpose()
            .map_err(LedgerError::bad_text("donor"))?;
        let code = code.trim().to_string();
        self.write(Some(session.operator()), |w| {
            let row = own_item(&w.tx, &w.series.origin, &code)?;
            if !row.kind.has_stock() {
                return Err(LedgerError::ItemNotStocked(row.item));
            }
            w.append(
                None,
                Body::StockReceived {
                    item: row.item,
                    qty: qty as u32,
                    donor: donor.clone(),
                },
            )?;
            Ok(())
        })?;
        self.item(&code)
    }

    /// A shelf count: the stock becomes what was counted; the difference is recorded.
    pub fn count_stock(&mut self, session: &Session, code: &str, counted: i64) -> Result<ItemView> {
        if !(0..=STOCK_QTY_MAX).contains(&counted) {
            return Err(LedgerError::BadQuantity(counted.to_string()));
        }
        let code = code.trim().to_string();
        self.write(Some(session.operator()), |w| {
            let row = own_item(&w.tx, &w.series.origin, &code)?;
            if !row.kind.has_stock() {
                return Err(LedgerError::ItemNotStocked(row.item));
            }
            w.append(
                None,
                Body::StockCounted {
                    item: row.item,
                    counted,
                    delta: counted - row.stock,
                },
            )?;
            Ok(())
        })?;
        self.item(&code)
    }
}
