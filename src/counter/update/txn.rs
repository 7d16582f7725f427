//! The txn screens: look at a txn named by its 单号, reverse it, reprint its slip. Each shows
//! the txn (resident masked, lines, points, time, and whether it was reversed) before anything
//! is done; a 单号 that fits several txns lists them to pick from. The ledger resolves what
//! was typed or scanned ([`Effect::FindTxn`]).

use super::super::model::*;
use super::super::strings::S;
use super::login::OPERATOR_FIELD_CHARS_MAX;
use super::notice;
use crate::ledger::short_txn;

/// Longest text typed into the txn field or the reason.
const TXN_FIELD_CHARS_MAX: usize = 64;

/// A fresh form on a txn screen.
pub(super) fn open(model: &mut Model, screen: Screen, txn: TextField) {
    model.txn_form = Some(TxnForm {
        txn,
        ..TxnForm::default()
    });
    model.screen = screen;
}

/// The reprint form, pre-filled with the last slip's 单号.
pub(super) fn open_reprint(model: &mut Model) {
    let last = model
        .last_receipt
        .as_ref()
        .map(|r| TextField::prefilled(short_txn(&r.txn)))
        .unwrap_or_default();
    open(model, Screen::Reprint, last);
}

/// Opens `screen` on the txn that `text` (a 单号, a txn id) names and asks the ledger for it.
pub(super) fn find(model: &mut Model, screen: Screen, text: &str) -> Vec<Effect> {
    open(model, screen, TextField::from(text));
    model.busy = true;
    vec![Effect::FindTxn {
        text: text.to_string(),
    }]
}

/// A slip's QR scanned: on a txn screen it fills the txn, elsewhere it opens its reversal.
pub(super) fn scanned(model: &mut Model, txn: String) -> Vec<Effect> {
    let screen = match model.screen {
        Screen::Txn | Screen::Reverse | Screen::Reprint => model.screen.clone(),
        _ => Screen::Reverse,
    };
    let effects = find(model, screen, &txn);
    if let Some(form) = &mut model.txn_form {
        form.txn = TextField::prefilled(short_txn(&txn));
    }
    effects
}

/// What the ledger found.
pub(super) fn found(model: &mut Model, result: Result<crate::ledger::Receipt, TxnProblem>) {
    model.busy = false;
    let Some(form) = &mut model.txn_form else {
        return;
    };
    match result {
        Ok(receipt) => {
            form.txn = TextField::prefilled(short_txn(&receipt.txn));
            form.found = Some(receipt);
            form.candidates.clear();
            if model.screen == Screen::Reverse {
                to_reason(model);
            }
        }
        Err(TxnProblem::Ambiguous { candidates, more }) => {
            form.found = None;
            form.candidates = candidates;
            form.more = more;
            form.picked = 0;
        }
        Err(TxnProblem::Refused(message)) => {
            form.found = None;
            notice(model, NoticeKind::Error, message);
        }
    }
}

/// The reversal goes on to the reason, unless the txn was reversed already.
fn to_reason(model: &mut Model) {
    let Some(form) = &mut model.txn_form else {
        return;
    };
    let Some(found) = &form.found else {
        return;
    };
    match &found.reversed {
        Some(by) => {
            let values: [(&str, &dyn std::fmt::Display); 2] =
                [("at", &by.at), ("by", &short_txn(&by.txn))];
            let text = S::TxnCannotReverse.fill(model.lang, &values);
            form.field = ReverseField::Txn;
            notice(model, NoticeKind::Error, text);
        }
        None => form.field = ReverseField::Reason,
    }
}

pub(super) fn txn_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let Some(form) = &mut model.txn_form else {
        model.screen = Screen::Home;
        return Vec::new();
    };
    if key == Key::Esc {
        model.txn_form = None;
        model.screen = Screen::Home;
        return Vec::new();
    }
    if !form.candidates.is_empty() {
        return pick_key(model, key);
    }
    if model.screen == Screen::Reverse && form.field != ReverseField::Txn {
        return reverse_key(model, key);
    }
    txn_field_key(model, key)
}

/// Up and down through the txns that share a 单号; Enter takes one.
fn pick_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let Some(form) = &mut model.txn_form else {
        return Vec::new();
    };
    match key {
        Key::Up => form.picked = form.picked.saturating_sub(1),
        Key::Down => form.picked = (form.picked + 1).min(form.candidates.len() - 1),
        Key::Enter => {
            let picked = form.candidates.swap_remove(form.picked);
            found(model, Ok(picked));
        }
        _ => {
            form.candidates.clear();
            return txn_field_key(model, key);
        }
    }
    Vec::new()
}

/// The txn field, and what Enter, F4 and F5 do once the txn is found.
fn txn_field_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let Some(form) = &mut model.txn_form else {
        return Vec::new();
    };
    let found = form.found.as_ref().map(|r| r.txn.clone());
    match (key, found) {
        (Key::Char(c), _) if !c.is_control() => {
            form.txn.push(c, TXN_FIELD_CHARS_MAX);
            form.found = None;
        }
        (Key::Backspace, _) => {
            form.txn.backspace();
            form.found = None;
        }
        (Key::Enter | Key::Down, None) if !form.txn.is_empty() => {
            let text = form.txn.as_str().trim().to_string();
            model.busy = true;
            return vec![Effect::FindTxn { text }];
        }
        (Key::Enter | Key::Down, Some(_)) if model.screen == Screen::Reverse => to_reason(model),
        (Key::Enter, Some(txn)) if model.screen == Screen::Reprint => return reprint(model, txn),
        (Key::F(5), Some(txn)) if model.screen == Screen::Txn => return reprint(model, txn),
        (Key::F(4), Some(_)) if model.screen == Screen::Txn => {
            model.screen = Screen::Reverse;
            to_reason(model);
        }
        _ => {}
    }
    Vec::new()
}

fn reprint(model: &mut Model, txn: String) -> Vec<Effect> {
    model.txn_form = None;
    model.screen = Screen::Home;
    vec![Effect::Reprint { txn }]
}

/// The reversal's reason, the administrator's number and PIN; Enter on the PIN reverses.
fn reverse_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let Some(form) = &mut model.txn_form else {
        return Vec::new();
    };
    let (field, chars_max, digits_only) = match form.field {
        ReverseField::Txn | ReverseField::Reason => (&mut form.reason, TXN_FIELD_CHARS_MAX, false),
        ReverseField::AdminNo => (&mut form.admin_no, OPERATOR_FIELD_CHARS_MAX, true),
        ReverseField::AdminPin => (&mut form.admin_pin, OPERATOR_FIELD_CHARS_MAX, true),
    };
    match key {
        Key::Char(c) if !c.is_control() && (!digits_only || c.is_ascii_digit()) => {
            field.push(c, chars_max)
        }
        Key::Backspace => field.backspace(),
        Key::Up => {
            form.field = match form.field {
                ReverseField::Txn | ReverseField::Reason => ReverseField::Txn,
                ReverseField::AdminNo => ReverseField::Reason,
                ReverseField::AdminPin => ReverseField::AdminNo,
            }
        }
        Key::Enter | Key::Down if form.field != ReverseField::AdminPin => {
            form.field = match form.field {
                ReverseField::Txn | ReverseField::Reason => ReverseField::AdminNo,
                _ => ReverseField::AdminPin,
            }
        }
        Key::Enter if !form.admin_pin.is_empty() => {
            let Some(found) = &form.found else {
                form.field = ReverseField::Txn;
                return Vec::new();
            };
            let effect = Effect::Reverse {
                admin: form.admin_no.text.clone(),
                pin: form.admin_pin.text.clone(),
                txn: found.txn.clone(),
                reason: form.reason.text.clone(),
                id: uuid::Uuid::now_v7(),
            };
            model.busy = true;
            return vec![effect];
        }
        _ => {}
    }
    Vec::new()
}
