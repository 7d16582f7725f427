//! Residents and their passbooks.

use super::read::{self, PassbookRow, ResidentRow};
use super::views::*;
use super::{Ledger, LedgerError, Result, Session, Writer};
use crate::domain::ids::NumberKind;
use crate::domain::{Body, PersonalData, text};
use crate::keys;
use crate::passbook::{ScanProblem, Token};
use rusqlite::Connection;
use uuid::Uuid;

/// A resident form, checked: every field free of control characters.
fn clean_resident(raw: &NewResident) -> Result<PersonalData> {
    let phone =
        text::clean_optional(raw.phone.as_deref()).map_err(LedgerError::bad_text("phone"))?;
    if let Some(phone) = &phone
        && !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' '))
    {
        return Err(LedgerError::BadText {
            field: "phone",
            problem: text::TextProblem::ControlCharacter,
        });
    }
    Ok(PersonalData {
        name: text::clean_text(&raw.name).map_err(LedgerError::bad_text("name"))?,
        phone,
        address: text::clean_optional(raw.address.as_deref())
            .map_err(LedgerError::bad_text("address"))?,
        note: text::clean_optional(raw.note.as_deref()).map_err(LedgerError::bad_text("note"))?,
    })
}

/// The next number of a kind in this counter's own namespace (prefix and counter code), so
/// numbers handed out at different counters never meet once their logs are merged. After a
/// restore that lost entries, the numbers they may have used are skipped (`number_floor`).
fn next_number(w: &Writer<'_>, kind: NumberKind) -> Result<String> {
    let (table, column) = match kind {
        NumberKind::Passbook => ("passbooks", "passbook"),
        NumberKind::Resident => ("residents", "resident"),
    };
    let used_up = || LedgerError::NumbersUsedUp {
        namespace: w.numbering.namespace(kind),
    };
    if w.numbering.block > 0 {
        // A series that continues the counter numbers in a block of its own.
        let range = w
            .numbering
            .block_range(kind, w.numbering.block)
            .ok_or_else(used_up)?;
        let highest =
            read::highest_number_in(&w.tx, table, column, w.numbering, kind, range.clone())?;
        let next = highest.map_or(*range.start(), |h| h + 1);
        return if range.contains(&next) {
            w.numbering.number(kind, next).ok_or_else(used_up)
        } else {
            Err(used_up())
        };
    }
    let highest = read::highest_number(&w.tx, table, column, w.numbering, kind)?;
    let floor = read::number_floor(&w.tx, &w.numbering.namespace(kind))?;
    w.numbering
        .number(kind, highest.max(floor) + 1)
        .ok_or_else(used_up)
}

/// Refuses a change of a record that another counter keeps, naming that counter.
pub(crate) fn require_own(
    conn: &Connection,
    own_origin: &str,
    record_origin: Option<&str>,
    record: super::Record,
    id: &str,
) -> Result<()> {
    match record_origin {
        Some(origin) if origin != own_origin => Err(LedgerError::KeptElsewhere {
            record,
            id: id.to_string(),
            counter: read::counter_name(conn, origin)?.unwrap_or_else(|| origin.to_string()),
        }),
        _ => Ok(()),
    }
}

/// Revokes every token that still opens `passbook`: the row's, and any another series issued
/// for the number (a number issued to two people). How many it revoked.
fn revoke_every_token(w: &Writer<'_>, passbook: &str, txn: &str, reason: &str) -> Result<usize> {
    let tokens = read::active_tokens(&w.tx, passbook)?;
    for token_sha256 in &tokens {
        w.append(
            Some(txn),
            Body::PassbookRevoked {
                passbook: passbook.to_string(),
                token_sha256: token_sha256.clone(),
                reason: reason.to_string(),
            },
        )?;
    }
    Ok(tokens.len())
}

fn register(w: &Writer<'_>, data: &PersonalData) -> Result<String> {
    let resident = next_number(w, NumberKind::Resident)?;
    let key = keys::random_bytes::<32>()?;
    w.tx.execute(
        "INSERT INTO resident_keys (resident, key) VALUES (?1, ?2)",
        rusqlite::params![resident, key.as_slice()],
    )?;
    let sealed = keys::seal(&key, &resident, data)?;
    w.append(
        None,
        Body::ResidentRegistered {
            resident: resident.clone(),
            sealed,
        },
    )?;
    Ok(resident)
}

/// Resolves exactly what a scanner typed to an active passbook of the district (any counter
/// credits and debits any passbook it knows). A passbook number typed by hand is taken only
/// with an administrator's confirmation: the number is printed in the passbook, so knowing it
/// is no proof of holding it.
pub(crate) fn resolve_scan(
    conn: &Connection,
    scan: &str,
    confirmed_by: Option<&Session>,
) -> Result<PassbookRow> {
    let number = match (Token::parse(scan), confirmed_by) {
        (Ok(token), _) => {
            let (number, status) =
                read::token(conn, &token.sha256_hex())?.ok_or(LedgerError::PassbookUnknown)?;
            if status != "active" {
                return Err(LedgerError::PassbookRevoked { passbook: number });
            }
            number
        }
        (Err(ScanProblem::NotAPassbook), Some(admin)) => {
            if !admin.is_admin() {
                return Err(LedgerError::NotAdmin(admin.operator().to_string()));
            }
            let number = scan.trim().to_ascii_uppercase();
            let row = read::passbook(conn, &number)?
                .ok_or_else(|| LedgerError::PassbookNumberUnknown(number.clone()))?;
            if row.status != "active" {
                return Err(LedgerError::PassbookRevoked { passbook: number });
            }
            number
        }
        (Err(ScanProblem::Incomplete), _) => return Err(LedgerError::ScanIncomplete),
        (Err(ScanProblem::NotAPassbook), None) => return Err(LedgerError::NotAPassbook),
    };
    let row = read::passbook(conn, &number)?.ok_or(LedgerError::PassbookUnknown)?;
    // A number registered to two people: nobody knows whose points these are until an
    // administrator resolves it, so the passbook neither earns nor spends (nor shows a balance
    // that may be someone else's).
    if crate::store::claims::registration_conflict(conn, &row.resident)? {
        return Err(LedgerError::RegisteredTwice {
            passbook: row.passbook,
            resident: row.resident,
        });
    }
    // The number issued to two people whose resident numbers differ: the same, whichever of
    // their QR codes is scanned.
    let residents = crate::store::claims::token_holders(conn, &row.passbook)?;
    if residents.len() > 1 {
        return Err(LedgerError::PassbookShared {
            passbook: row.passbook,
            residents,
        });
    }
    Ok(row)
}

/// The passbook a scan names, whatever its status (for matching a retried txn); a typed
/// number only when an administrator confirmed it.
pub(crate) fn passbook_of_scan(
    conn: &Connection,
    scan: &str,
    confirmed_by: Option<&Session>,
) -> Result<Option<String>> {
    match (Token::parse(scan), confirmed_by) {
        (Ok(token), _) => Ok(read::token(conn, &token.sha256_hex())?.map(|(n, _)| n)),
        (Err(_), Some(_)) => Ok(Some(scan.trim().to_ascii_uppercase())),
        (Err(_), None) => Ok(None),
    }
}

/// The masked display name of a resident; empty once their data is erased (screens say so in
/// the operator's language, `present::resident_name`).
pub(crate) fn masked_name(conn: &Connection, resident: &str) -> Result<String> {
    Ok(match read::resident(conn, resident)? {
        Some(ResidentRow {
            name: Some(name), ..
        }) => text::mask_name(&name),
        _ => String::new(),
    })
}

impl Ledger {
    pub fn add_resident(&mut self, session: &Session, raw: &NewResident) -> Result<ResidentView> {
        let data = clean_resident(raw)?;
        let resident = self.write(Some(session.operator()), |w| register(w, &data))?;
        self.resident(&resident, false)
    }

    /// Corrects a resident's personal data (administrators): the fields given replace the
    /// old ones (an empty text clears an optional field), sealed again with their key.
    pub fn update_resident(
        &mut self,
        session: &Session,
        resident: &str,
        patch: &ResidentPatch,
    ) -> Result<ResidentView> {
        Self::require_admin(session)?;
        let row = read::resident(&self.conn, resident)?
            .ok_or_else(|| LedgerError::ResidentUnknown(resident.trim().to_string()))?;
        require_own(
            &self.conn,
            &self.series.origin,
            row.origin.as_deref(),
            super::Record::Resident,
            &row.resident,
        )?;
        let (Some(name), false) = (row.name.clone(), row.erased) else {
            return Err(LedgerError::ResidentErased(row.resident));
        };
        let pick = |new: &Option<String>, old: Option<String>| match new {
            Some(text) => Some(text.clone()),
            None => old,
        };
        let data = clean_resident(&NewResident {
            name: patch.name.clone().unwrap_or(name),
            phone: pick(&patch.phone, row.phone.clone()),
            address: pick(&patch.address, row.address.clone()),
            note: pick(&patch.note, row.note.clone()),
        })?;
        let id = row.resident.clone();
        self.write(Some(session.operator()), |w| {
            let key: Vec<u8> = w.tx.query_row(
                "SELECT key FROM resident_keys WHERE resident = ?1",
                [&id],
                |r| r.get(0),
            )?;
            let key: [u8; 32] = key
                .try_into()
                .map_err(|_| LedgerError::ResidentErased(id.clone()))?;
            let sealed = keys::seal(&key, &id, &data)?;
            w.append(
                None,
                Body::ResidentUpdated {
                    resident: id.clone(),
                    sealed,
                },
            )?;
            Ok(())
        })?;
        self.resident(&id, true)
    }

    /// Registers many residents in one transaction: all or nothing. Rows are numbered as in the
    /// file (the header is row 1), so a bad row is reported by the number the operator sees.
    pub fn import_residents(
        &mut self,
        session: &Session,
        rows: &[(usize, NewResident)],
    ) -> Result<Vec<String>> {
        let mut cleaned = Vec::with_capacity(rows.len());
        let mut seen = std::collections::HashMap::new();
        for (row, raw) in rows {
            let data = clean_resident(raw).map_err(|e| LedgerError::ImportRow {
                row: *row,
                problem: super::ImportProblem::Cell(Box::new(e)),
            })?;
            let identity = (data.name.clone(), data.phone.clone());
            if let Some(first) = seen.insert(identity, *row) {
                return Err(LedgerError::ImportRow {
                    row: *row,
                    problem: super::ImportProblem::Duplicate { first_row: first },
                });
            }
            cleaned.push(data);
        }
        self.write(Some(session.operator()), |w| {
            cleaned.iter().map(|data| register(w, data)).collect()
        })
    }

    /// A resident; the name is masked unless `full` (administrators only).
    pub fn resident(&self, resident: &str, full: bool) -> Result<ResidentView> {
        let row = read::resident(&self.conn, resident)?
            .ok_or_else(|| LedgerError::ResidentUnknown(resident.to_string()))?;
        self.resident_view(row, full)
    }

    pub fn resident_full(&self, session: &Session, resident: &str) -> Result<ResidentView> {
        Self::require_admin(session)?;
        self.resident(resident, true)
    }

    fn resident_view(&self, row: ResidentRow, full: bool) -> Result<ResidentView> {
        let passbook = read::passbook_of_resident(&self.conn, &row.resident)?;
        let balance = match &passbook {
            Some(p) => read::passbook_balance(&self.conn, &p.passbook)?,
            None => crate::domain::Points::ZERO,
        };
        let name = match (&row.name, full) {
            (None, _) => String::new(),
            (Some(name), true) => name.clone(),
            (Some(name), false) => text::mask_name(name),
        };
        Ok(ResidentView {
            resident: row.resident,
            name,
            phone: row
                .phone
                .map(|p| if full { p } else { text::mask_phone(&p) }),
            address: row.address.filter(|_| full),
            note: row.note.filter(|_| full),
            erased: row.erased,
            registered_at: self.local_time(&row.registered_at),
            passbook: passbook.as_ref().map(|p| p.passbook.clone()),
            passbook_status: passbook.map(|p| p.status),
            balance,
        })
    }

    /// Residents whose name, phone, resident number or passbook number contains `search`.
    pub fn residents(&self, search: Option<&str>, limit: usize) -> Result<Vec<ResidentView>> {
        let pattern = format!("%{}%", search.unwrap_or("").trim());
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE name LIKE ?1 OR phone LIKE ?1 OR resident LIKE ?1
                OR resident IN (SELECT resident FROM passbooks WHERE passbook LIKE ?1)
             ORDER BY resident LIMIT ?2",
            read::RESIDENT_SELECT
        ))?;
        let rows: Vec<ResidentRow> = stmt
            .query_map(
                rusqlite::params![pattern, limit as i64],
                read::resident_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|r| self.resident_view(r, false))
            .collect()
    }

    /// Destroys the resident's key: their name, phone and address can no longer be read from
    /// the log or shown anywhere, and the log still verifies.
    pub fn erase_resident(&mut self, session: &Session, resident: &str) -> Result<()> {
        Self::require_admin(session)?;
        let row = read::resident(&self.conn, resident)?
            .ok_or_else(|| LedgerError::ResidentUnknown(resident.to_string()))?;
        if row.erased {
            return Err(LedgerError::ResidentErased(row.resident));
        }
        self.write(Some(session.operator()), |w| {
            w.tx.execute(
                "DELETE FROM resident_keys WHERE resident = ?1",
                [&row.resident],
            )?;
            w.append(
                None,
                Body::ResidentErased {
                    resident: row.resident.clone(),
                },
            )?;
            Ok(())
        })
    }

    /// Issues a passbook to a resident who has none; a resident whose passbook was revoked gets a
    /// new token on the same number, so the balance stays theirs.
    pub fn issue_passbook(&mut self, session: &Session, resident: &str) -> Result<IssuedPassbook> {
        let row = read::resident(&self.conn, resident)?
            .ok_or_else(|| LedgerError::ResidentUnknown(resident.to_string()))?;
        if row.erased {
            return Err(LedgerError::ResidentErased(row.resident));
        }
        // A resident's passbook is issued by the counter that registered them.
        require_own(
            &self.conn,
            &self.series.origin,
            row.origin.as_deref(),
            super::Record::Resident,
            &row.resident,
        )?;
        let token = Token::generate().map_err(|_| crate::keys::KeyError::Random)?;
        let txn = Uuid::now_v7().to_string();
        self.write(Some(session.operator()), |w| {
            refuse_while_registered_twice(&w.tx, &row.resident)?;
            let number = match read::passbook_of_resident(&w.tx, &row.resident)? {
                Some(p) if p.status == "active" => {
                    return Err(LedgerError::ResidentHasPassbook {
                        resident: row.resident.clone(),
                        passbook: p.passbook,
                    });
                }
                Some(p) => p.passbook,
                None => next_number(w, NumberKind::Passbook)?,
            };
            w.append(
                Some(&txn),
                Body::PassbookIssued {
                    passbook: number.clone(),
                    resident: row.resident.clone(),
                    token_sha256: token.sha256_hex(),
                    community: w.series.community.clone(),
                },
            )?;
            Ok(IssuedPassbook {
                passbook: number,
                resident: row.resident.clone(),
                token: token.clone(),
                txn: txn.clone(),
            })
        })
    }

    /// A lost passbook: revokes its token and issues a new one on the same number, in one txn.
    /// (Revoking alone is always possible: blocking a lost passbook must never wait.)
    pub fn reissue_passbook(
        &mut self,
        session: &Session,
        passbook: &str,
        reason: &str,
    ) -> Result<IssuedPassbook> {
        let reason = text::clean_text(reason).map_err(LedgerError::bad_text("reason"))?;
        let token = Token::generate().map_err(|_| crate::keys::KeyError::Random)?;
        let txn = Uuid::now_v7().to_string();
        let number = passbook.trim().to_ascii_uppercase();
        self.write(Some(session.operator()), |w| {
            let row = read::passbook(&w.tx, &number)?
                .ok_or_else(|| LedgerError::PassbookNumberUnknown(number.clone()))?;
            // Any counter blocks a lost passbook; the new one comes from the counter that issued it.
            require_own(
                &w.tx,
                &w.series.origin,
                Some(&row.origin),
                super::Record::Passbook,
                &row.passbook,
            )?;
            if read::resident(&w.tx, &row.resident)?.is_some_and(|r| r.erased) {
                return Err(LedgerError::ResidentErased(row.resident));
            }
            refuse_while_registered_twice(&w.tx, &row.resident)?;
            revoke_every_token(w, &row.passbook, &txn, &reason)?;
            w.append(
                Some(&txn),
                Body::PassbookIssued {
                    passbook: row.passbook.clone(),
                    resident: row.resident.clone(),
                    token_sha256: token.sha256_hex(),
                    community: row.community.clone(),
                },
            )?;
            Ok(IssuedPassbook {
                passbook: row.passbook,
                resident: row.resident,
                token: token.clone(),
                txn: txn.clone(),
            })
        })
    }

    pub fn revoke_passbook(
        &mut self,
        session: &Session,
        passbook: &str,
        reason: &str,
    ) -> Result<()> {
        let reason = text::clean_text(reason).map_err(LedgerError::bad_text("reason"))?;
        let number = passbook.trim().to_ascii_uppercase();
        self.write(Some(session.operator()), |w| {
            let row = read::passbook(&w.tx, &number)?
                .ok_or_else(|| LedgerError::PassbookNumberUnknown(number.clone()))?;
            let revoked =
                revoke_every_token(w, &row.passbook, &Uuid::now_v7().to_string(), &reason)?;
            if revoked == 0 {
                return Err(LedgerError::PassbookRevoked {
                    passbook: row.passbook,
                });
            }
            Ok(())
        })
    }

    /// A passbook by its human number or by a scan of its QR.
    pub fn passbook(&self, number_or_scan: &str) -> Result<PassbookView> {
        let number = match passbook_of_scan(&self.conn, number_or_scan, None)? {
            Some(number) => number,
            None => number_or_scan.trim().to_ascii_uppercase(),
        };
        let row = read::passbook(&self.conn, &number)?
            .ok_or_else(|| LedgerError::PassbookNumberUnknown(number.clone()))?;
        Ok(PassbookView {
            balance: read::passbook_balance(&self.conn, &row.passbook)?,
            resident_name: masked_name(&self.conn, &row.resident)?,
            passbook: row.passbook,
            resident: row.resident,
            community: row.community,
            status: row.status,
            issued_at: self.local_time(&row.issued_at),
        })
    }
}

/// A passbook issued for a resident number registered twice would belong to one of two people
/// that nobody can tell apart, and `resident resolve` revokes what the losing registration's
/// series issued, which could be the holder's new passbook: issuing waits for the resolution.
fn refuse_while_registered_twice(conn: &Connection, resident: &str) -> Result<()> {
    if crate::store::claims::registration_conflict(conn, resident)? {
        return Err(LedgerError::IssueWhileRegisteredTwice(resident.to_string()));
    }
    Ok(())
}
