//! A resident number registered to two people, and how an administrator resolves it.
//!
//! Two series of one counter can hand out one number (a lost PC's newest entries relayed to
//! another counter in a bundle, a new PC numbering where the lost one did, a home folder from
//! before number blocks). The district counts the earliest registration ([`crate::district::claims`]);
//! the later one moves nothing and is listed, and every passbook of the number is frozen
//! ([`LedgerError::RegisteredTwice`]): its issues and bookings name the number, not the person,
//! so nobody can tell whose points are on it. An administrator of the counter that registered
//! the number resolves it: the passbook tokens issued for the later registrations are revoked, the points their
//! series booked to the number can be moved to the other person's new passbook, and the
//! number spends again for the person who holds it.

use super::points::{commit_receipt, trusted_balance};
use super::{Ledger, LedgerError, Result, Session, read};
use crate::domain::{Body, Points, text};
use crate::store::claims::{self, RegistrationConflict};
use uuid::Uuid;

/// What a resolution did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Resolved {
    pub resident: String,
    /// The registrations settled (entry ids).
    pub losers: Vec<String>,
    /// The passbook tokens revoked (SHA-256, hex).
    pub revoked: Vec<String>,
    /// Points moved, from which passbook to which, when asked.
    pub moved: Option<(String, String, Points)>,
    pub txn: String,
}

/// Points to move off the number's passbook to the other person's new passbook.
#[derive(Clone, Debug)]
pub struct Move {
    pub to_passbook: String,
    pub points: i64,
}

impl Ledger {
    /// Every resident number registered more than once that this counter holds.
    pub fn registration_conflicts(&self) -> Result<Vec<RegistrationConflict>> {
        Ok(claims::registration_conflicts(&self.conn)?)
    }

    /// Passbook numbers whose active QR codes were issued to more than one resident (frozen
    /// until `passbook reissue` or `passbook revoke` leaves one person's, or none).
    pub fn shared_passbooks(&self) -> Result<Vec<claims::SharedPassbook>> {
        Ok(claims::shared_passbooks(&self.conn)?)
    }

    /// Resolves the number `resident` registered twice: revokes the passbook tokens issued
    /// for the registrations that lost it, moves `moved` points (if asked) to the other
    /// person's passbook, and records the resolution, all in one transaction. Only an
    /// administrator of the counter that registered the number, and only while a registration is unresolved.
    pub fn resolve_registrations(
        &mut self,
        session: &Session,
        resident: &str,
        moved: Option<Move>,
        reason: &str,
    ) -> Result<Resolved> {
        Self::require_admin(session)?;
        let resident = resident.trim().to_ascii_uppercase();
        let reason = text::clean_text(reason).map_err(LedgerError::bad_text("reason"))?;
        if let Some(m) = &moved
            && (m.points <= 0 || m.points > super::points::ADJUST_POINTS_MAX)
        {
            return Err(LedgerError::BadPoints(m.points.to_string()));
        }
        self.write(Some(session.operator()), |w| {
            let conflict = claims::registration_conflicts(&w.tx)?
                .into_iter()
                .find(|c| c.resident == resident && !c.resolved)
                .ok_or_else(|| LedgerError::NoRegistrationConflict(resident.clone()))?;
            let row = read::resident(&w.tx, &resident)?
                .ok_or_else(|| LedgerError::ResidentUnknown(resident.clone()))?;
            super::people::require_own(
                &w.tx,
                &w.series.origin,
                row.origin.as_deref(),
                super::Record::Resident,
                &resident,
            )?;
            let losers: Vec<&claims::Registration> = conflict
                .registrations
                .iter()
                .filter(|r| !r.holds && !r.resolved)
                .collect();
            let txn = Uuid::now_v7().to_string();
            let mut revoked = Vec::new();
            for token in losers.iter().flat_map(|r| &r.tokens) {
                let (sha, true) = token else { continue };
                let Some((passbook, _)) = read::token(&w.tx, sha)? else {
                    continue;
                };
                w.append(
                    Some(&txn),
                    Body::PassbookRevoked {
                        passbook,
                        token_sha256: sha.clone(),
                        reason: format!("居民号 {resident} 重复登记：{reason}"),
                    },
                )?;
                revoked.push(sha.clone());
            }
            let moved = match moved {
                None => None,
                Some(m) => Some(move_points(w, &conflict, &resident, &m, &reason)?),
            };
            w.append(
                Some(&txn),
                Body::RegistrationsResolved {
                    resident: resident.clone(),
                    losers: losers.iter().map(|r| r.entry.clone()).collect(),
                },
            )?;
            Ok(Resolved {
                resident: resident.clone(),
                losers: losers.iter().map(|r| r.entry.clone()).collect(),
                revoked,
                moved,
                txn,
            })
        })
    }
}

/// Moves points off the number's passbook to another person's passbook: two adjustments, each
/// its own txn (a txn is one movement), in the resolution's transaction.
fn move_points(
    w: &super::Writer<'_>,
    conflict: &RegistrationConflict,
    resident: &str,
    m: &Move,
    reason: &str,
) -> Result<(String, String, Points)> {
    let from = conflict
        .passbooks
        .first()
        .cloned()
        .ok_or_else(|| LedgerError::PassbookNumberUnknown(resident.to_string()))?;
    let to_number = m.to_passbook.trim().to_ascii_uppercase();
    let to = read::passbook(&w.tx, &to_number)?
        .ok_or_else(|| LedgerError::PassbookNumberUnknown(to_number.clone()))?;
    if to.passbook == from || to.resident == resident {
        return Err(LedgerError::PassbookNumberUnknown(to_number));
    }
    if to.status != "active" {
        return Err(LedgerError::PassbookRevoked {
            passbook: to.passbook,
        });
    }
    let before = trusted_balance(w, &from)?;
    let points = Points(m.points);
    if before < points {
        return Err(LedgerError::InsufficientBalance {
            passbook: from,
            balance: before,
            needed: points,
        });
    }
    let to_before = trusted_balance(w, &to.passbook)?;
    commit_receipt(
        w,
        &Uuid::now_v7().to_string(),
        Body::PointsAdjusted {
            passbook: from.clone(),
            points: Points(-m.points),
            reason: format!("居民号 {resident} 重复登记，转到 {}：{reason}", to.passbook),
            balance_after: before - points,
            settles: None,
        },
    )?;
    commit_receipt(
        w,
        &Uuid::now_v7().to_string(),
        Body::PointsAdjusted {
            passbook: to.passbook.clone(),
            points,
            reason: format!("居民号 {resident} 重复登记，从 {from} 转来：{reason}"),
            balance_after: to_before + points,
            settles: None,
        },
    )?;
    Ok((from, to.passbook, points))
}
