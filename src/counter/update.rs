//! `update(model, msg) -> effects`: every decision of the counter UI, pure and testable.
//!
//! One handler per message group and per screen, each in its own module: keys go to the
//! screen on show (or to the question it asks, `ask`), a scan means the same everywhere
//! (`scan`), and the worker's results (`results`) land in the model. What a notice or a
//! half-typed look-up belongs to is decided here, once, for every message.

mod ask;
mod earn;
mod hardware;
mod home;
mod login;
mod redeem;
mod results;
mod scan;
mod stock;
mod txn;

use super::model::*;
pub use home::{Typed, typed_meaning};

/// Longest search text of the catalogue and stock lists.
const SEARCH_CHARS_MAX: usize = 16;

pub(super) fn notice(model: &mut Model, kind: NoticeKind, text: impl Into<String>) {
    model.notice_serial += 1;
    model.notice = Some(Notice {
        kind,
        text: text.into(),
    });
}

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let before = Before::of(model);
    let effects = dispatch(model, msg);
    before.tidy(model);
    effects
}

/// The state a notice and the home screen's look-up field belong to.
struct Before {
    screen: Screen,
    cart: Vec<(String, u32)>,
    notice_serial: u64,
}

impl Before {
    fn of(model: &Model) -> Before {
        Before {
            screen: model.screen.clone(),
            cart: model.cart.clone(),
            notice_serial: model.notice_serial,
        }
    }

    /// A notice belongs to the screen and the cart it was made for: it goes when either
    /// changes, unless this very message made it. What was typed on the home screen goes
    /// when the home screen does.
    fn tidy(self, model: &mut Model) {
        let changed = model.screen != self.screen || model.cart != self.cart;
        if changed && model.notice_serial == self.notice_serial {
            model.notice = None;
        }
        if self.screen == Screen::Home && model.screen != Screen::Home {
            model.lookup.clear();
        }
    }
}

fn dispatch(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(Key::CtrlC, _) => ask::ctrl_c(model),
        Msg::Key(key, at) => {
            model.last_input_ms = at;
            if model.busy {
                return Vec::new();
            }
            key_pressed(model, key)
        }
        Msg::Scan(scan, at) => {
            model.last_input_ms = at;
            scan::scanned(model, scan)
        }
        Msg::Tick(now) => login::tick(model, now),
        Msg::RawKey(key, at) => hardware::raw_key(model, key, at),
        result => results::handle(model, result),
    }
}

fn key_pressed(model: &mut Model, key: Key) -> Vec<Effect> {
    if let Some(asked) = model.ask.take() {
        return ask::answer(model, asked, key);
    }
    match model.screen {
        Screen::Login => login::login_key(model, key),
        Screen::Home => home::home_key(model, key),
        Screen::AdminConfirm => home::admin_key(model, key),
        Screen::Resident => redeem::resident_key(model, key),
        Screen::Redeem => redeem::redeem_key(model, key),
        Screen::Confirm => redeem::confirm_key(model, key),
        Screen::Earn | Screen::EventSetup => earn::earn_key(model, key),
        Screen::EarnConfirm => earn::earn_confirm_key(model, key),
        Screen::Event => earn::event_key(model, key),
        Screen::Txn | Screen::Reverse | Screen::Reprint => txn::txn_key(model, key),
        Screen::Report => hardware::report_key(model, key),
        Screen::Sync => hardware::sync_key(model, key),
        Screen::Hardware => hardware::hardware_key(model, key),
        Screen::Stock => stock::stock_key(model, key),
    }
}
