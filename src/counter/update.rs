//! `update(model, msg) -> effects`: every decision of the counter UI, pure and testable.
//!
//! One handler per message group and per screen, each in its own module: keys go to the
//! screen on show, a scan means the same everywhere ([`scan`]), and the worker's results
//! ([`results`]) land in the model.

mod earn;
mod hardware;
mod login;
mod redeem;
mod results;
mod reverse;
mod scan;
mod stock;

use super::model::*;
pub use stock::stocked_items;

pub(super) fn notice(model: &mut Model, kind: NoticeKind, text: impl Into<String>) {
    model.notice = Some(Notice {
        kind,
        text: text.into(),
    });
}

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(Key::CtrlC, _) => {
            model.quit = true;
            vec![Effect::Quit]
        }
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
    match model.screen {
        Screen::Login => login::login_key(model, key),
        Screen::Home => login::home_key(model, key),
        Screen::Resident => redeem::resident_key(model, key),
        Screen::Redeem => redeem::redeem_key(model, key),
        Screen::Confirm => redeem::confirm_key(model, key),
        Screen::Earn | Screen::EventSetup => earn::earn_key(model, key),
        Screen::Event => earn::event_key(model, key),
        Screen::Reverse => reverse::reverse_key(model, key),
        Screen::Report | Screen::Sync => hardware::back_key(model, key),
        Screen::Hardware => hardware::hardware_key(model, key),
        Screen::Stock => stock::stock_key(model, key),
    }
}
