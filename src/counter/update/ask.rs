//! Questions asked before something that cannot be taken back: dropping a cart, printing the
//! day close, booking a shelf count far below the stock. The footer says which key answers.

use super::super::model::*;
use super::super::strings::S;
use super::notice;

pub(super) fn ask(model: &mut Model, asked: Ask, text: String) {
    model.ask = Some(asked);
    notice(model, NoticeKind::Ask, text);
}

/// Ctrl+C quits, but with a cart open only when pressed twice.
pub(super) fn ctrl_c(model: &mut Model) -> Vec<Effect> {
    let asked = model.ask == Some(Ask::DropCart(Key::CtrlC));
    if model.cart.is_empty() || asked {
        model.quit = true;
        return vec![Effect::Quit];
    }
    let text = S::AskQuitCart.get(model.lang).to_string();
    ask(model, Ask::DropCart(Key::CtrlC), text);
    Vec::new()
}

/// The key that answers a question: the asked key (or Enter) does it, any other key drops the
/// question and does nothing else.
pub(super) fn answer(model: &mut Model, asked: Ask, key: Key) -> Vec<Effect> {
    model.notice = None;
    match (asked, key) {
        (Ask::DropCart(asked), key) if key == asked => {
            model.cart.clear();
            model.pending_txn = None;
            model.search.clear();
            model.screen = Screen::Resident;
            Vec::new()
        }
        (Ask::DayClose, Key::Enter) => vec![Effect::PrintDayClose],
        (Ask::CountDrop { item, counted }, Key::Enter) => {
            model.busy = true;
            vec![Effect::Count { item, counted }]
        }
        _ => Vec::new(),
    }
}

/// A scan came while a question was open: the question is gone.
pub(super) fn cancel(model: &mut Model) {
    if model.ask.take().is_some() {
        model.notice = None;
    }
}
