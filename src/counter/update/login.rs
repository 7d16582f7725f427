//! The login screen, the idle lock and logging out.

use super::super::model::*;
use super::super::strings::S;
use super::notice;

/// Longest operator number or PIN typed.
pub(super) const OPERATOR_FIELD_CHARS_MAX: usize = 8;

pub(super) fn tick(model: &mut Model, now: u64) -> Vec<Effect> {
    let idle = now.saturating_sub(model.last_input_ms);
    if model.operator.is_some() && !model.busy && idle >= model.idle_lock_ms {
        let effects = lock(model);
        notice(model, NoticeKind::Info, S::Locked.get(model.lang));
        return effects;
    }
    if model.operator.is_some() && now.saturating_sub(model.sync_asked_ms) >= SYNC_REFRESH_MS {
        model.sync_asked_ms = now;
        return vec![Effect::LoadSync];
    }
    Vec::new()
}

/// Back to the login screen with nothing of the last resident left on it.
pub(super) fn lock(model: &mut Model) -> Vec<Effect> {
    *model = model.locked();
    vec![Effect::Logout]
}

pub(super) fn login_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let field = match model.login_field {
        LoginField::Operator => &mut model.operator_input,
        LoginField::Pin => &mut model.pin_input,
    };
    match key {
        Key::Char(c) if c.is_ascii_digit() && field.len() < OPERATOR_FIELD_CHARS_MAX => {
            field.push(c)
        }
        Key::Backspace => {
            field.pop();
        }
        Key::Esc => {
            model.operator_input.clear();
            model.pin_input.clear();
            model.login_field = LoginField::Operator;
        }
        Key::Enter
            if model.login_field == LoginField::Operator && !model.operator_input.is_empty() =>
        {
            model.login_field = LoginField::Pin;
        }
        Key::Enter if model.login_field == LoginField::Pin && !model.pin_input.is_empty() => {
            model.busy = true;
            return vec![Effect::Login {
                operator: model.operator_input.clone(),
                pin: model.pin_input.clone(),
            }];
        }
        _ => {}
    }
    Vec::new()
}
