//! Points txns: earn, redeem, reverse, adjust; and what a scan shows (balance, history).

use super::people::{masked_name, passbook_of_scan, resolve_scan};
use super::read;
use super::views::*;
use super::{Ledger, LedgerError, Result, Session, Writer};
use crate::domain::effects::{passbook_account, passbook_change, reversal_undo};
use crate::domain::{Body, Envelope, Line, Points, Undo, ids, points::earned_points, text};
use crate::store::claims::POINTS_KINDS_SQL;
use crate::store::log::{self, ENTRY_COLUMNS, EntryRow, SeriesInfo};
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

/// Characters of the 单号 printed on a slip: the end of the txn id ([`short_txn`]).
pub const SHORT_TXN_CHARS: usize = 8;
/// The fewest characters of a 单号 that are looked up.
pub const SHORT_TXN_CHARS_MIN: usize = 4;
/// Txns listed at most when a typed 单号 fits several.
pub const TXN_CANDIDATES_MAX: usize = 10;
/// Most units of one item in one redemption.
pub const LINE_QTY_MAX: u32 = 999;
/// Most distinct lines in one redemption.
pub const REDEEM_LINES_MAX: usize = 50;
/// Largest single adjustment, either way.
pub const ADJUST_POINTS_MAX: i64 = 100_000;

/// Minutes as the hours a person would have typed, for messages ("0.02", "1.5").
fn hours_of(minutes: u32) -> String {
    let text = format!("{:.2}", f64::from(minutes) / 60.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The entry that carries a txn's points movement, if the txn exists: of the counter `origin`
/// (a txn id of one counter never names another's), or of any counter with `None`. Of two
/// entries with one txn, the one that counts (the smaller id) is the txn.
fn points_entry(
    conn: &Connection,
    origin: Option<&str>,
    txn: &str,
) -> Result<Option<(EntryRow, Envelope)>> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE txn = ?1
             AND kind IN {POINTS_KINDS_SQL}
             AND (?2 IS NULL OR series_id IN (SELECT series_id FROM series_heads WHERE origin = ?2))
             ORDER BY id LIMIT 1"
        ))?
        .query_row(rusqlite::params![txn, origin], EntryRow::from_row)
        .optional()?;
    Ok(row.and_then(|r| r.envelope().map(|e| (r, e))))
}

/// Whether an entry of the counter `origin` carries the txn id `txn`.
fn any_entry_with_txn(conn: &Connection, origin: &str, txn: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM entries WHERE txn = ?1
             AND series_id IN (SELECT series_id FROM series_heads WHERE origin = ?2) LIMIT 1",
        )?
        .query_row([txn, origin], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Rebuilds the receipt of a stored points entry (a retried request, a reprint).
pub(crate) fn receipt_of(
    conn: &Connection,
    series: &SeriesInfo,
    origin: &str,
    seq: i64,
    envelope: &Envelope,
    replayed: bool,
) -> Result<Receipt> {
    let mut receipt = Receipt {
        txn: envelope.txn.clone().unwrap_or_default(),
        kind: ReceiptKind::Earn,
        seq,
        recorded_at: envelope.recorded_at.clone(),
        operator: envelope.operator.clone(),
        passbook: String::new(),
        resident: String::new(),
        resident_name: String::new(),
        lines: Vec::new(),
        points: Points::ZERO,
        balance_before: Points::ZERO,
        balance_after: Points::ZERO,
        activity: None,
        reason: None,
        of_txn: None,
        replayed,
        reversed: None,
        balance_now: Points::ZERO,
    };
    let resident_of = |passbook: &str| -> Result<String> {
        Ok(read::passbook(conn, passbook)?
            .map(|p| p.resident)
            .unwrap_or_default())
    };
    match &envelope.body {
        Body::PointsEarned {
            passbook,
            resident,
            activity,
            points,
            balance_after,
            ..
        } => {
            receipt.passbook = passbook.clone();
            receipt.resident = resident.clone();
            receipt.points = *points;
            receipt.balance_after = *balance_after;
            receipt.activity = Some(
                read::activity(conn, origin, activity)?
                    .map(|a| a.name)
                    .unwrap_or_else(|| activity.clone()),
            );
        }
        Body::PointsRedeemed {
            passbook,
            resident,
            lines,
            total,
            balance_after,
            ..
        } => {
            receipt.kind = ReceiptKind::Redeem;
            receipt.passbook = passbook.clone();
            receipt.resident = resident.clone();
            receipt.lines = lines.clone();
            receipt.points = -*total;
            receipt.balance_after = *balance_after;
        }
        Body::Reversed {
            of_txn,
            reason,
            passbook,
            resident,
            undo,
            postings,
            returns,
            usage_month,
            balance_after,
            ..
        } => {
            receipt.kind = ReceiptKind::Reversal;
            receipt.passbook = passbook.clone();
            receipt.resident = resident.clone();
            receipt.lines = returns.clone();
            receipt.points = passbook_change(
                passbook,
                &reversal_undo(
                    &series.origin,
                    resident,
                    undo,
                    postings,
                    returns,
                    usage_month.as_deref(),
                ),
            );
            receipt.balance_after = *balance_after;
            receipt.reason = Some(reason.clone());
            receipt.of_txn = Some(of_txn.clone());
        }
        Body::PointsAdjusted {
            passbook,
            points,
            reason,
            balance_after,
            ..
        } => {
            receipt.kind = ReceiptKind::Adjustment;
            receipt.passbook = passbook.clone();
            receipt.resident = resident_of(passbook)?;
            receipt.points = *points;
            receipt.balance_after = *balance_after;
            receipt.reason = Some(reason.clone());
        }
        _ => return Err(LedgerError::NotReversible(receipt.txn)),
    }
    receipt.balance_before = receipt.balance_after - receipt.points;
    receipt.resident_name = masked_name(conn, &receipt.resident)?;
    receipt.balance_now = read::passbook_balance(conn, &receipt.passbook)?;
    receipt.reversed = reversal_of(conn, series, origin, &receipt.txn)?;
    Ok(receipt)
}

/// The reversal of a txn, with its local time, if there is one.
fn reversal_of(
    conn: &Connection,
    series: &SeriesInfo,
    origin: &str,
    txn: &str,
) -> Result<Option<ReversedBy>> {
    let Some(by_txn) = reversed_by(conn, origin, txn)? else {
        return Ok(None);
    };
    let at = points_entry(conn, Some(origin), &by_txn)?
        .map(|(_, e)| series.local_time(&e.recorded_at))
        .unwrap_or_default();
    Ok(Some(ReversedBy { txn: by_txn, at }))
}

/// The txn that reversed the txn `txn` of the counter `origin`, if one did.
fn reversed_by(conn: &Connection, origin: &str, txn: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT by_txn FROM reversed_txns WHERE origin = ?1 AND txn = ?2")?
        .query_row([origin, txn], |r| r.get(0))
        .optional()?)
}

/// The settlements of a passbook's overdrafts this ledger holds.
fn settlements_known(conn: &Connection, passbook: &str) -> Result<u32> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM claims WHERE claim >= ?1 AND claim < ?2")?
        .query_row(
            [
                format!("settlement:{passbook}:"),
                format!("settlement:{passbook};"),
            ],
            |r| r.get(0),
        )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// A retried txn: the first result if the request is the same, a refusal if it is not or if
/// the txn was reversed since (the goods must not be handed over again).
fn replay(
    conn: &Connection,
    series: &SeriesInfo,
    txn: &str,
    same: impl FnOnce(&Body) -> bool,
) -> Result<Option<Receipt>> {
    match points_entry(conn, Some(&series.origin), txn)? {
        Some((row, envelope)) if same(&envelope.body) => {
            let origin = origin_of(conn, &row.series_id)?;
            let receipt = receipt_of(conn, series, &origin, row.seq, &envelope, true)?;
            match receipt.reversed {
                Some(reversal) => Err(LedgerError::TxnReversed {
                    txn: receipt.txn,
                    kind: receipt.kind,
                    by_txn: reversal.txn,
                    at: reversal.at,
                    balance: receipt.balance_now,
                }),
                None => Ok(Some(receipt)),
            }
        }
        Some(_) => Err(LedgerError::TxnConflict(txn.to_string())),
        None if any_entry_with_txn(conn, &series.origin, txn)? => {
            Err(LedgerError::TxnConflict(txn.to_string()))
        }
        None => Ok(None),
    }
}

/// Merges repeated items and resolves barcodes to item codes, keeping first-seen order.
fn merge_lines(
    conn: &Connection,
    origin: &str,
    lines: &[(String, u32)],
) -> Result<Vec<(read::ItemRow, u32)>> {
    if lines.is_empty() {
        return Err(LedgerError::EmptyRedemption);
    }
    if lines.len() > REDEEM_LINES_MAX {
        return Err(LedgerError::BadQuantity(lines.len().to_string()));
    }
    let mut merged: Vec<(read::ItemRow, u32)> = Vec::new();
    for (code, qty) in lines {
        if !(1..=LINE_QTY_MAX).contains(qty) {
            return Err(LedgerError::BadQuantity(qty.to_string()));
        }
        let item = match read::item(conn, origin, code)? {
            Some(item) => item,
            None => super::catalog::own_item(conn, origin, code)?,
        };
        if !item.enabled {
            return Err(LedgerError::ItemDisabled(item.item));
        }
        match merged.iter_mut().find(|(m, _)| m.item == item.item) {
            Some((_, total)) => *total += qty,
            None => merged.push((item, *qty)),
        }
    }
    Ok(merged)
}

impl Ledger {
    /// Points for volunteering: activity rate × time. In event mode a passbook is credited once.
    pub fn earn(&mut self, session: &Session, request: &EarnRequest) -> Result<Receipt> {
        crate::domain::hours::check_minutes(request.minutes)
            .map_err(|_| LedgerError::BadHours(hours_of(request.minutes)))?;
        // An event check-in needs a name: an empty one is refused, not taken as "no event".
        let event = request
            .event
            .as_deref()
            .map(text::clean_text)
            .transpose()
            .map_err(LedgerError::bad_text("event"))?;
        let activity = request.activity.trim().to_ascii_uppercase();
        self.write(Some(session.operator()), |w| {
            let passbook = match &event {
                // The event's txn needs the passbook number; revoked scans are refused here.
                Some(_) => Some(resolve_scan(&w.tx, &request.scan, request.confirmed_by.as_ref())?),
                None => None,
            };
            let txn = match (&event, &passbook) {
                (Some(e), Some(p)) => {
                    // A check-in made before counters shared a ledger had a txn without the
                    // counter in it: the same check-in now is still a second scan.
                    if any_entry_with_txn(
                        &w.tx,
                        &w.series.origin,
                        &ids::legacy_event_txn(e, &p.passbook),
                    )? {
                        return Err(LedgerError::AlreadyCheckedIn {
                            passbook: p.passbook.clone(),
                            event: e.clone(),
                        });
                    }
                    ids::event_txn(&w.series.origin, e, &p.passbook)
                }
                _ => request.txn.unwrap_or_else(Uuid::now_v7).to_string(),
            };
            let same = |body: &Body| {
                let scanned = passbook_of_scan(&w.tx, &request.scan, request.confirmed_by.as_ref()).ok().flatten();
                matches!(body, Body::PointsEarned { passbook: p, activity: a, minutes: m, event: e, .. }
                    if Some(p) == scanned.as_ref() && *a == activity && *m == request.minutes && *e == event)
            };
            match replay(&w.tx, w.series, &txn, same) {
                Ok(Some(receipt)) => return Ok(receipt),
                Ok(None) => {}
                Err(LedgerError::TxnConflict(_)) if event.is_some() => {
                    return Err(LedgerError::AlreadyCheckedIn {
                        passbook: passbook_of_scan(&w.tx, &request.scan, request.confirmed_by.as_ref())?.unwrap_or_default(),
                        event: event.clone().unwrap_or_default(),
                    });
                }
                Err(e) => return Err(e),
            }
            let passbook = match passbook {
                Some(p) => p,
                None => resolve_scan(&w.tx, &request.scan, request.confirmed_by.as_ref())?,
            };
            let def = super::catalog::own_activity(&w.tx, &w.series.origin, &activity)?;
            if !def.enabled {
                return Err(LedgerError::ActivityDisabled(def.activity));
            }
            let points = earned_points(def.points_per_hour, request.minutes)
                .ok_or_else(|| LedgerError::BadPoints(def.points_per_hour.to_string()))?;
            if points <= Points::ZERO {
                return Err(LedgerError::EarnsNothing {
                    activity: def.name.clone(),
                    hours: hours_of(request.minutes),
                });
            }
            let before = trusted_balance(w, &passbook.passbook)?;
            let body = Body::PointsEarned {
                passbook: passbook.passbook.clone(),
                resident: passbook.resident.clone(),
                activity: def.activity.clone(),
                minutes: request.minutes,
                points,
                event: event.clone(),
                balance_after: before + points,
                confirmed_by: request.confirmed_by.as_ref().map(|s| s.operator().to_string()),
            };
            self::commit_receipt(w, &txn, body)
        })
    }

    /// Goods and services for points. Checks, in one transaction: the passbook, each item, stock,
    /// monthly limits and the balance; then debits. A retry with the same txn returns the first
    /// result and writes nothing.
    pub fn redeem(&mut self, session: &Session, request: &RedeemRequest) -> Result<Receipt> {
        let txn = request.txn.unwrap_or_else(Uuid::now_v7).to_string();
        self.write(Some(session.operator()), |w| {
            // Only a retried txn pays for resolving the request to compare it.
            let same = |body: &Body| {
                let scanned = passbook_of_scan(&w.tx, &request.scan, request.confirmed_by.as_ref())
                    .ok()
                    .flatten();
                let wanted: Option<Vec<(String, u32)>> =
                    merge_lines(&w.tx, &w.series.origin, &request.lines)
                        .ok()
                        .map(|m| m.into_iter().map(|(i, q)| (i.item, q)).collect());
                matches!(body, Body::PointsRedeemed { passbook, lines, .. }
                if Some(passbook) == scanned.as_ref()
                && wanted.as_ref().is_some_and(|want| {
                    want.len() == lines.len()
                        && want.iter().zip(lines).all(|((i, q), l)| *i == l.item && *q == l.qty)
                }))
            };
            if let Some(receipt) = replay(&w.tx, w.series, &txn, same)? {
                return Ok(receipt);
            }
            let passbook = resolve_scan(&w.tx, &request.scan, request.confirmed_by.as_ref())?;
            let month = w.month();
            let mut lines = Vec::new();
            for (item, qty) in merge_lines(&w.tx, &w.series.origin, &request.lines)? {
                let qty_wanted = i64::from(qty);
                if item.kind.has_stock() && item.stock < qty_wanted {
                    return Err(LedgerError::StockShort {
                        item: item.item,
                        name: item.name,
                        available: item.stock,
                        wanted: qty_wanted,
                    });
                }
                if let Some(limit) = item.monthly_limit {
                    let used = read::usage(
                        &w.tx,
                        &passbook.resident,
                        &w.series.origin,
                        &item.item,
                        &month,
                    )?;
                    if used + qty_wanted > i64::from(limit) {
                        return Err(LedgerError::MonthlyLimit {
                            item: item.item,
                            name: item.name,
                            limit,
                            used,
                            wanted: qty_wanted,
                        });
                    }
                }
                item.points
                    .times(qty)
                    .ok_or_else(|| LedgerError::BadQuantity(qty.to_string()))?;
                lines.push(Line {
                    item: item.item,
                    name: item.name,
                    qty,
                    unit_points: item.points,
                    stocked: item.kind.has_stock(),
                });
            }
            let total = lines
                .iter()
                .try_fold(Points::ZERO, |sum, l| sum.checked_add(l.points()))
                .ok_or_else(|| LedgerError::BadPoints("overflow".into()))?;
            if total <= Points::ZERO {
                return Err(LedgerError::BadPoints(total.to_string()));
            }
            let before = trusted_balance(w, &passbook.passbook)?;
            if before < Points::ZERO {
                return Err(LedgerError::PassbookFrozen {
                    passbook: passbook.passbook,
                    balance: before,
                });
            }
            if let Some(limit) = w.policy.away_daily_limit
                && passbook.origin != w.series.origin
            {
                let spent = super::district::spent_here_since(
                    &w.tx,
                    &passbook.passbook,
                    &w.series.origin,
                    &w.local_day_start(),
                )?;
                if spent + total.0 > limit {
                    return Err(LedgerError::AwayDailyLimit {
                        counter: super::read::counter_name(&w.tx, &passbook.origin)?
                            .unwrap_or_else(|| passbook.origin.clone()),
                        passbook: passbook.passbook,
                        limit,
                        spent,
                        wanted: total.0,
                    });
                }
            }
            if before < total {
                return Err(LedgerError::InsufficientBalance {
                    passbook: passbook.passbook,
                    balance: before,
                    needed: total,
                });
            }
            let body = Body::PointsRedeemed {
                passbook: passbook.passbook.clone(),
                resident: passbook.resident.clone(),
                lines,
                total,
                balance_after: before - total,
                confirmed_by: request
                    .confirmed_by
                    .as_ref()
                    .map(|s| s.operator().to_string()),
            };
            commit_receipt(w, &txn, body)
        })
    }

    /// Undoes an earning or a redemption with compensating entries (administrators only). Goods
    /// go back on the shelf and monthly uses are given back. A txn is reversed at most once.
    pub fn reverse(
        &mut self,
        session: &Session,
        of_txn: &str,
        reason: &str,
        txn: Option<Uuid>,
    ) -> Result<Receipt> {
        Self::require_admin(session)?;
        let reason = text::clean_text(reason).map_err(LedgerError::bad_text("reason"))?;
        let of_txn = self.resolve_txn(of_txn)?;
        let txn = txn.unwrap_or_else(Uuid::now_v7).to_string();
        self.write(Some(session.operator()), |w| {
            let same =
                |body: &Body| matches!(body, Body::Reversed { of_txn: o, .. } if *o == of_txn);
            if let Some(receipt) = replay(&w.tx, w.series, &txn, same)? {
                return Ok(receipt);
            }
            let (row, envelope) = match points_entry(&w.tx, Some(&w.series.origin), &of_txn)? {
                Some(own) => own,
                None => points_entry(&w.tx, None, &of_txn)?
                    .ok_or_else(|| LedgerError::TxnUnknown(of_txn.clone()))?,
            };
            // Goods go back on the shelf they came from: a txn is reversed at its own counter.
            let txn_series = log::series_of(&w.tx, &row.series_id)?
                .ok_or_else(|| LedgerError::TxnUnknown(of_txn.clone()))?;
            super::people::require_own(
                &w.tx,
                &w.series.origin,
                Some(&txn_series.origin),
                super::Record::Txn,
                short_txn(&of_txn),
            )?;
            if let Some(by_txn) = reversed_by(&w.tx, &txn_series.origin, &of_txn)? {
                return Err(LedgerError::AlreadyReversed {
                    txn: of_txn.clone(),
                    by_txn,
                });
            }
            let (passbook, resident, returns) = match &envelope.body {
                Body::PointsEarned {
                    passbook, resident, ..
                } => (passbook.clone(), resident.clone(), Vec::new()),
                Body::PointsRedeemed {
                    passbook,
                    resident,
                    lines,
                    ..
                } => (passbook.clone(), resident.clone(), lines.clone()),
                _ => return Err(LedgerError::NotReversible(of_txn.clone())),
            };
            let undo = crate::domain::undo_of(&log::entry_effects(&envelope, w.series));
            let delta: Points = undo
                .iter()
                .filter_map(|u| match u {
                    Undo::Post { account, points } if *account == passbook_account(&passbook) => {
                        Some(*points)
                    }
                    _ => None,
                })
                .sum();
            let before = trusted_balance(w, &passbook)?;
            let after = before + delta;
            if after < Points::ZERO {
                return Err(LedgerError::InsufficientBalance {
                    passbook,
                    balance: before,
                    needed: -delta,
                });
            }
            let body = Body::Reversed {
                of_txn: of_txn.clone(),
                of_kind: row.kind.clone(),
                reason: reason.clone(),
                passbook,
                resident,
                undo,
                returns,
                postings: Vec::new(),
                usage_month: None,
                balance_after: after,
            };
            commit_receipt(w, &txn, body)
        })
    }

    /// A correction with a reason (administrators only); the balance may not go below zero.
    /// Takes a passbook number or a scan: an administrator may correct a lost passbook's account.
    pub fn adjust(
        &mut self,
        session: &Session,
        passbook: &str,
        points: i64,
        reason: &str,
        txn: Option<Uuid>,
    ) -> Result<Receipt> {
        Self::require_admin(session)?;
        if points == 0 || points.abs() > ADJUST_POINTS_MAX {
            return Err(LedgerError::BadPoints(points.to_string()));
        }
        let reason = text::clean_text(reason).map_err(LedgerError::bad_text("reason"))?;
        let txn = txn.unwrap_or_else(Uuid::now_v7).to_string();
        self.write(Some(session.operator()), |w| {
            let number = match passbook_of_scan(&w.tx, passbook, None)? {
                Some(n) => n,
                None => passbook.trim().to_ascii_uppercase(),
            };
            let same = |body: &Body| {
                matches!(body, Body::PointsAdjusted { passbook: p, points: q, reason: r, .. }
                    if *p == number && q.0 == points && *r == reason)
            };
            if let Some(receipt) = replay(&w.tx, w.series, &txn, same)? {
                return Ok(receipt);
            }
            let row = read::passbook(&w.tx, &number)?
                .ok_or_else(|| LedgerError::PassbookNumberUnknown(number.clone()))?;
            let before = trusted_balance(w, &row.passbook)?;
            let after = before + Points(points);
            if after < Points::ZERO {
                return Err(LedgerError::InsufficientBalance {
                    passbook: row.passbook,
                    balance: before,
                    needed: Points(-points),
                });
            }
            // A credit to an overdrawn passbook settles its overdraft: it names which one, so
            // a second administrator settling it at another counter moves nothing.
            let settles = if before < Points::ZERO && points > 0 {
                Some(settlements_known(&w.tx, &row.passbook)? + 1)
            } else {
                None
            };
            let body = Body::PointsAdjusted {
                passbook: row.passbook,
                points: Points(points),
                reason: reason.clone(),
                balance_after: after,
                settles,
            };
            commit_receipt(w, &txn, body)
        })
    }

    /// The txn meant by what an operator typed or scanned: a txn id, a slip's QR, or the
    /// 8-character 单号 printed on the slip (or at least its first
    /// [`SHORT_TXN_CHARS_MIN`] characters). Several txns sharing the typed start are refused
    /// with the candidates listed, so the operator can pick one.
    pub fn resolve_txn(&self, input: &str) -> Result<String> {
        let folded: String = unicode_normalization::UnicodeNormalization::nfkc(input).collect();
        let text = folded.trim();
        if let Some(txn) = crate::passbook::slip_qr::parse_txn_qr(text) {
            return Ok(txn);
        }
        if let Ok(id) = Uuid::try_parse(text) {
            return Ok(id.hyphenated().to_string());
        }
        let short = text.to_ascii_lowercase();
        let is_short = (SHORT_TXN_CHARS_MIN..=SHORT_TXN_CHARS).contains(&short.len())
            && short.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_short {
            return Err(LedgerError::TxnUnknown(text.to_string()));
        }
        // Hex digits sort below 'g': [short, short + "g") holds every 单号 starting with it.
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT txn FROM entries
             WHERE substr(txn, -8) >= ?1 AND substr(txn, -8) < ?2
               AND kind IN ('points_earned', 'points_redeemed', 'reversed', 'points_adjusted')
             ORDER BY position DESC LIMIT ?3",
        )?;
        let txns: Vec<String> = stmt
            .query_map(
                rusqlite::params![short, format!("{short}g"), (TXN_CANDIDATES_MAX + 1) as i64],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<_>>()?;
        match txns.as_slice() {
            [] => Err(LedgerError::TxnUnknown(text.to_string())),
            [one] => Ok(one.clone()),
            many => {
                let candidates = many
                    .iter()
                    .take(TXN_CANDIDATES_MAX)
                    .map(|t| {
                        self.receipt_of_txn(t).map(|mut r| {
                            r.recorded_at = self.local_time(&r.recorded_at);
                            r
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Err(LedgerError::TxnAmbiguous {
                    short: text.to_string(),
                    more: many.len() > TXN_CANDIDATES_MAX,
                    candidates,
                })
            }
        }
    }

    fn receipt_of_txn(&self, txn: &str) -> Result<Receipt> {
        let (row, envelope) = match points_entry(&self.conn, Some(&self.series.origin), txn)? {
            Some(own) => own,
            None => points_entry(&self.conn, None, txn)?
                .ok_or_else(|| LedgerError::TxnUnknown(txn.to_string()))?,
        };
        let origin = origin_of(&self.conn, &row.series_id)?;
        receipt_of(&self.conn, &self.series, &origin, row.seq, &envelope, false)
    }

    /// The receipt of a stored txn (for a reprint or a check), by any form of its id.
    pub fn receipt(&self, txn: &str) -> Result<Receipt> {
        self.receipt_of_txn(&self.resolve_txn(txn)?)
    }

    /// What the counter shows after a scan: balance, this month, the last entries.
    pub fn account(&self, scan: &str, last_entries: usize) -> Result<AccountSummary> {
        let passbook = resolve_scan(&self.conn, scan, None)?;
        self.summary(&passbook.passbook, &passbook.resident, last_entries)
    }

    fn summary(
        &self,
        passbook: &str,
        resident: &str,
        last_entries: usize,
    ) -> Result<AccountSummary> {
        let account = passbook_account(passbook);
        let month = self
            .series
            .local_day_month(&crate::store::log::format_time(self.now()))
            .1;
        let (earned, spent): (i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT earned, spent FROM month_totals WHERE passbook = ?1 AND month = ?2",
            )?
            .query_row(rusqlite::params![passbook, month], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .unwrap_or((0, 0));
        Ok(AccountSummary {
            passbook: passbook.to_string(),
            resident: resident.to_string(),
            resident_name: masked_name(&self.conn, resident)?,
            balance: read::balance(&self.conn, &account)?,
            month_earned: Points(earned),
            month_spent: Points(spent),
            month_usage: read::usage_of_month(&self.conn, resident, &self.series.origin, &month)?,
            last: self.history_of(&account, last_entries)?,
        })
    }

    /// The totals of one local day (`YYYY-MM-DD`), for the day-close slip and reports.
    pub fn day_totals(&self, day: &str) -> Result<Vec<DayTotal>> {
        chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
            .map_err(|_| LedgerError::BadDate(day.to_string()))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, count, points FROM daily_totals WHERE day = ?1 AND origin = ?2
             ORDER BY kind",
        )?;
        let rows = stmt.query_map([day, &self.series.origin], |r| {
            Ok(DayTotal {
                kind: r.get(0)?,
                count: r.get(1)?,
                points: Points(r.get(2)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Earnings and redemptions of one local day by hour, item and activity (reversals net
    /// out of what they reverse). Reads only that day's entries, through the time index.
    pub fn day_report(&self, day: &str) -> Result<DayReport> {
        let offset = self.series.offset();
        let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map_err(|_| LedgerError::BadDate(day.to_string()))?;
        let start = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        let to_utc = |t: chrono::NaiveDateTime| {
            chrono::TimeZone::from_local_datetime(&offset, &t)
                .single()
                .map(|t| crate::store::log::format_time(t.with_timezone(&chrono::Utc)))
                .unwrap_or_default()
        };
        let (from, until) = (to_utc(start), to_utc(start + chrono::Duration::days(1)));
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM entries WHERE recorded_at >= ?1 AND recorded_at < ?2
             AND kind IN ('points_earned', 'points_redeemed', 'reversed')
             AND series_id IN (SELECT series_id FROM series_heads WHERE origin = ?3)",
        )?;
        let bodies = stmt.query_map(rusqlite::params![from, until, self.series.origin], |r| {
            r.get::<_, Vec<u8>>(0)
        })?;
        let mut report = DayReport {
            day: day.to_string(),
            by_hour: (0..24).map(|h| (h, 0, 0)).collect(),
            ..DayReport::default()
        };
        let mut items: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        let mut activities: std::collections::BTreeMap<String, i64> = Default::default();
        let mut served: std::collections::HashSet<String> = Default::default();
        for body in bodies {
            let Ok(envelope) = serde_json::from_slice::<Envelope>(&body?) else {
                continue;
            };
            let hour = chrono::DateTime::parse_from_rfc3339(&envelope.recorded_at)
                .map(|t| chrono::Timelike::hour(&t.with_timezone(&offset)))
                .unwrap_or(0) as usize;
            match envelope.body {
                Body::PointsEarned {
                    activity,
                    points,
                    passbook,
                    ..
                } => {
                    served.insert(passbook);
                    report.by_hour[hour].1 += points.0;
                    let name = read::activity(&self.conn, &self.series.origin, &activity)?
                        .map_or(activity, |a| a.name);
                    *activities.entry(name).or_default() += points.0;
                }
                Body::PointsRedeemed {
                    lines,
                    total,
                    passbook,
                    ..
                } => {
                    served.insert(passbook);
                    report.by_hour[hour].2 += total.0;
                    for line in lines {
                        let entry = items.entry(line.name.clone()).or_default();
                        entry.0 += i64::from(line.qty);
                        entry.1 += line.points().0;
                    }
                }
                Body::Reversed {
                    of_kind,
                    returns,
                    undo,
                    postings,
                    usage_month,
                    passbook,
                    resident,
                    ..
                } => {
                    let delta = passbook_change(
                        &passbook,
                        &reversal_undo(
                            &self.series.origin,
                            &resident,
                            &undo,
                            &postings,
                            &returns,
                            usage_month.as_deref(),
                        ),
                    )
                    .0;
                    if of_kind == "points_redeemed" {
                        report.by_hour[hour].2 -= delta;
                        for line in returns {
                            let entry = items.entry(line.name.clone()).or_default();
                            entry.0 -= i64::from(line.qty);
                            entry.1 -= line.points().0;
                        }
                    } else {
                        report.by_hour[hour].1 += delta;
                    }
                }
                _ => {}
            }
        }
        report.by_item = items
            .into_iter()
            .map(|(n, (q, p))| (n, q, p))
            .filter(|(_, q, _)| *q != 0)
            .collect();
        report.residents_served = served.len() as i64;
        report.points_earned = report.by_hour.iter().map(|(_, e, _)| e).sum();
        report.points_spent = report.by_hour.iter().map(|(_, _, r)| r).sum();
        report.items_out = report.by_item.iter().map(|(_, q, _)| q).sum();
        report
            .by_item
            .sort_by_key(|(_, _, points)| std::cmp::Reverse(*points));
        report.by_activity = activities.into_iter().collect();
        report
            .by_activity
            .sort_by_key(|(_, points)| std::cmp::Reverse(*points));
        Ok(report)
    }

    /// Today's local date, `YYYY-MM-DD`.
    pub fn today(&self) -> String {
        self.series
            .local_day_month(&crate::store::log::format_time(self.now()))
            .0
    }

    /// The account of a passbook by its number (administrators looking up a lost passbook).
    pub fn account_by_number(
        &self,
        session: &Session,
        number: &str,
        last_entries: usize,
    ) -> Result<AccountSummary> {
        Self::require_admin(session)?;
        let number = number.trim().to_ascii_uppercase();
        let row = read::passbook(&self.conn, &number)?
            .ok_or(LedgerError::PassbookNumberUnknown(number))?;
        self.summary(&row.passbook, &row.resident, last_entries)
    }

    pub(crate) fn history_of(&self, account: &str, limit: usize) -> Result<Vec<HistoryLine>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.seq, e.recorded_at, e.kind, e.txn, p.points, e.body, e.series_id
             FROM postings p JOIN entries e ON e.position = p.position
             WHERE p.account = ?1 ORDER BY p.position DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![account, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Vec<u8>>(5)?,
                r.get::<_, Vec<u8>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, recorded_at, kind, txn, points, body, series_id) = row?;
            let series_id = Uuid::from_slice(&series_id).unwrap_or(Uuid::nil());
            let detail = serde_json::from_slice::<Envelope>(&body)
                .map_or(HistoryDetail::Other, |e| {
                    describe(&self.conn, &series_id, &e.body)
                });
            out.push(HistoryLine {
                seq,
                recorded_at: self.local_time(&recorded_at),
                kind,
                txn,
                points: Points(points),
                detail,
            });
        }
        Ok(out)
    }
}

/// Postings of a passbook read at most, newest first, to reach this counter's newest own
/// entry for it (entries of other counters applied after it; a handful in practice).
const TRUSTED_BALANCE_POSTINGS_MAX: i64 = 10_000;

/// The balance a points write starts from, never taken from the balances row alone: the row
/// must carry this counter's seal (written with every points entry, see `ledger::seal`), or
/// else be what this counter's newest signed entry for the passbook says it left (its
/// `balance_after`; its hash and signature checked), plus any postings applied after it. A
/// balance changed with the sqlite3 shell, with or without made-up or changed postings, is
/// refused here; `ledger verify` names what was changed. The cost does not grow with the
/// passbook's history: a seal check, or one index walk back to that entry.
pub(super) fn trusted_balance(w: &Writer<'_>, passbook: &str) -> Result<Points> {
    let account = passbook_account(passbook);
    let stored = read::balance(&w.tx, &account)?;
    let key = w.device.seal_key();
    if super::seal::holds(&w.tx, &key, &account, stored.0)? {
        return Ok(stored);
    }
    let checked = signed_balance(w, passbook, &account, stored)?;
    super::seal::write(&w.tx, &key, &account)?;
    Ok(checked)
}

/// The slow path of [`trusted_balance`]: the row held against this counter's newest signed
/// entry for the passbook.
fn signed_balance(w: &Writer<'_>, passbook: &str, account: &str, stored: Points) -> Result<Points> {
    let changed = || LedgerError::ProjectionChanged {
        passbook: passbook.to_string(),
    };
    let own = w.device.series_id.as_bytes().to_vec();
    let mut later = Points::ZERO;
    let mut newest_own: Option<i64> = None;
    {
        let mut stmt = w.tx.prepare_cached(
            "SELECT p.position, p.points, e.series_id FROM postings p
             LEFT JOIN entries e ON e.position = p.position
             WHERE p.account = ?1 ORDER BY p.position DESC LIMIT ?2",
        )?;
        let mut rows = stmt.query(rusqlite::params![account, TRUSTED_BALANCE_POSTINGS_MAX])?;
        while let Some(row) = rows.next()? {
            let series_id: Option<Vec<u8>> = row.get(2)?;
            match series_id {
                None => return Err(changed()),
                Some(id) if id == own => {
                    newest_own = Some(row.get(0)?);
                    break;
                }
                Some(_) => later = later + Points(row.get(1)?),
            }
        }
    }
    // A passbook with a duplicate entry: a balance this counter signed may have counted it
    // before it was known to be one; the rows are held against the log's sum instead.
    if newest_own.is_some() && crate::store::claims::has_duplicates(&w.tx, passbook)? {
        newest_own = None;
    }
    let Some(position) = newest_own else {
        // Only other counters' entries so far (or none): nothing this counter signed to hold
        // the row against but their sum.
        let sum: i64 = w
            .tx
            .prepare_cached("SELECT COALESCE(SUM(points), 0) FROM postings WHERE account = ?1")?
            .query_row([&account], |r| r.get(0))?;
        return if sum == stored.0 {
            Ok(stored)
        } else {
            Err(changed())
        };
    };
    let entry =
        w.tx.prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE position = ?1"
        ))?
        .query_row([position], EntryRow::from_row)?;
    let hash = log::entry_hash(&entry.prev_hash, &entry.series_id, entry.seq, &entry.body);
    let signed = hash[..] == entry.hash[..]
        && ed25519_dalek::Signature::from_slice(&entry.signature)
            .is_ok_and(|s| w.device.public_key().verify_strict(&hash, &s).is_ok());
    let envelope = entry.envelope();
    let claim = envelope
        .as_ref()
        .and_then(|e| e.body.passbook_balance_after());
    match claim {
        Some((named, after)) if signed && named == passbook && after + later == stored => {
            Ok(stored)
        }
        _ => Err(changed()),
    }
}

pub(super) fn commit_receipt(w: &Writer<'_>, txn: &str, body: Body) -> Result<Receipt> {
    let appended = w.append(Some(txn), body.clone())?;
    let envelope = Envelope {
        v: crate::domain::ENVELOPE_VERSION,
        id: appended.id.to_string(),
        recorded_at: appended.recorded_at,
        operator: w.operator.clone(),
        txn: Some(txn.to_string()),
        body,
    };
    let receipt = receipt_of(
        &w.tx,
        w.series,
        &w.series.origin,
        appended.seq,
        &envelope,
        false,
    )?;
    debug_assert!(
        receipt.balance_after >= Points::ZERO,
        "a passbook never goes below zero"
    );
    debug_assert_eq!(
        read::passbook_balance(&w.tx, &receipt.passbook)?,
        receipt.balance_after,
        "the projection agrees with the entry"
    );
    Ok(receipt)
}

/// The origin (lasting id) of the counter whose series `series_id` is.
fn origin_of(conn: &Connection, series_id: &Uuid) -> Result<String> {
    Ok(log::series_of(conn, series_id)?.map_or_else(|| series_id.to_string(), |s| s.origin))
}

/// The last 8 characters of a txn id: the random part of a UUIDv7, what slips and screens show.
pub fn short_txn(txn: &str) -> &str {
    &txn[txn.len().saturating_sub(SHORT_TXN_CHARS)..]
}

/// What a points entry is about, for history lists.
fn describe(conn: &Connection, series_id: &Uuid, body: &Body) -> HistoryDetail {
    HistoryDetail::of(body, |activity| {
        origin_of(conn, series_id)
            .ok()
            .and_then(|origin| read::activity(conn, &origin, activity).ok().flatten())
            .map(|a| a.name)
    })
}
