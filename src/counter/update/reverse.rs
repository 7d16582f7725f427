//! The reverse form: the txn, a reason, an administrator's number and PIN.

use super::super::model::*;

/// Longest text typed into a field of the reverse form.
const REVERSE_FIELD_CHARS_MAX: usize = 64;

pub(super) fn reverse_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let Some(form) = &mut model.reverse else {
        model.screen = Screen::Home;
        return Vec::new();
    };
    let field = match form.field {
        ReverseField::Txn => &mut form.txn,
        ReverseField::Reason => &mut form.reason,
        ReverseField::AdminNo => &mut form.admin_no,
        ReverseField::AdminPin => &mut form.admin_pin,
    };
    match key {
        Key::Char(c) if field.chars().count() < REVERSE_FIELD_CHARS_MAX => field.push(c),
        Key::Backspace => {
            field.pop();
        }
        Key::Esc => {
            model.reverse = None;
            model.screen = Screen::Home;
        }
        Key::Up => {
            form.field = match form.field {
                ReverseField::Txn | ReverseField::Reason => ReverseField::Txn,
                ReverseField::AdminNo => ReverseField::Reason,
                ReverseField::AdminPin => ReverseField::AdminNo,
            }
        }
        Key::Enter | Key::Down if form.field != ReverseField::AdminPin => {
            form.field = match form.field {
                ReverseField::Txn => ReverseField::Reason,
                ReverseField::Reason => ReverseField::AdminNo,
                _ => ReverseField::AdminPin,
            }
        }
        Key::Enter => {
            let txn = crate::passbook::slip_qr::parse_txn_qr(&form.txn)
                .unwrap_or_else(|| form.txn.trim().to_string());
            model.busy = true;
            return vec![Effect::Reverse {
                admin: form.admin_no.clone(),
                pin: form.admin_pin.clone(),
                txn,
                reason: form.reason.clone(),
                id: uuid::Uuid::now_v7(),
            }];
        }
        _ => {}
    }
    Vec::new()
}
