//! The home screen: its function keys, and the look-up field that takes whatever is typed on
//! it. Letters never act on their own here: a code typed by hand or by a slow scanner (which
//! the scanner detector rightly sees as typing) lands in the field, and Enter decides what it
//! is — by the same rules as a scan where it is one:
//!
//! - a passbook's QR payload (`PD1…`) opens the resident like a scan: typed in, it is the same
//!   secret as scanned;
//! - a slip's QR payload (`PDT…`) opens its reversal like a scan;
//! - a passbook number (`SQ-A000010`, `sq10`) is a manual look-up: DESIGN says typing the number
//!   alone is never enough to spend points, so an administrator's number and PIN are asked
//!   (checked by the ledger's login) and the resident opens with that confirmation;
//! - a slip's 单号 (4–8 of its 8 characters) or a txn id shows that txn, to reprint or reverse.

use super::super::model::*;
use super::super::strings::S;
use super::login::{OPERATOR_FIELD_CHARS_MAX, lock};
use super::{earn, notice, scan, stock, txn};
use crate::domain::ids::{Numbering, typed_passbook_number};
use crate::scanner::{ScanKind, classify};
use unicode_normalization::UnicodeNormalization;

/// Longest text the look-up field takes: a slip's QR payload is 35 characters.
const LOOKUP_CHARS_MAX: usize = 64;
/// Digits of a passbook number, as the ledger numbers passbooks (SQ-000123).
/// A 单号 is the last 8 characters of a txn id; the ledger looks up 4 or more.
const SHORT_TXN_CHARS: std::ops::RangeInclusive<usize> = 4..=8;

pub(super) fn home_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::F(2) if model.demo => vec![Effect::DemoScanPassbook],
        Key::F(3) => {
            earn::open_event_setup(model);
            Vec::new()
        }
        Key::F(4) => {
            txn::open(model, Screen::Reverse, TextField::default());
            Vec::new()
        }
        Key::F(5) => {
            txn::open_reprint(model);
            Vec::new()
        }
        Key::F(6) => vec![Effect::LoadReport],
        Key::F(7) => {
            stock::open(model);
            Vec::new()
        }
        Key::F(8) => {
            model.screen = Screen::Hardware;
            model.key_log.clear();
            vec![Effect::RefreshStatus]
        }
        Key::F(9) => {
            model.screen = Screen::Sync;
            model.sync_scroll = 0;
            vec![Effect::RefreshStatus]
        }
        Key::F(10) => lock(model),
        Key::Char(c) if !c.is_control() => {
            model.lookup.push(c, LOOKUP_CHARS_MAX);
            Vec::new()
        }
        Key::Backspace => {
            model.lookup.backspace();
            Vec::new()
        }
        Key::Esc => {
            model.lookup.clear();
            Vec::new()
        }
        Key::Enter => look_up(model),
        _ => Vec::new(),
    }
}

/// What a text typed on the home screen is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Typed {
    /// A passbook's or a slip's QR payload: handled exactly like a scan of it.
    Scan,
    /// A passbook number, as the ledger writes it (SQ-A000010).
    PassbookNumber(String),
    /// A 单号 or a txn id.
    Txn(String),
    Unknown,
}

/// Reads a typed text; `numbering` is this counter's (its prefix and code).
pub fn typed_meaning(text: &str, numbering: &Numbering) -> Typed {
    if matches!(classify(text), ScanKind::Passbook | ScanKind::ReceiptQr(_)) {
        return Typed::Scan;
    }
    let folded: String = text.nfkc().collect();
    let upper = folded.trim().to_ascii_uppercase();
    if let Some(number) = typed_passbook_number(&upper, numbering) {
        return Typed::PassbookNumber(number);
    }
    let hex = upper.bytes().all(|b| b.is_ascii_hexdigit());
    if (hex && SHORT_TXN_CHARS.contains(&upper.len())) || uuid::Uuid::try_parse(&upper).is_ok() {
        return Typed::Txn(upper.to_ascii_lowercase());
    }
    Typed::Unknown
}

fn look_up(model: &mut Model) -> Vec<Effect> {
    let text = model.lookup.as_str().trim().to_string();
    if text.is_empty() {
        return Vec::new();
    }
    model.lookup.clear();
    match typed_meaning(&text, &model.numbering) {
        Typed::Scan => scan::scanned(model, text),
        Typed::PassbookNumber(number) => {
            model.admin_form = Some(AdminForm {
                number,
                admin_no: TextField::default(),
                admin_pin: TextField::default(),
                field: LoginField::Operator,
            });
            model.screen = Screen::AdminConfirm;
            Vec::new()
        }
        Typed::Txn(txn) => txn::find(model, Screen::Txn, &txn),
        Typed::Unknown => {
            let values: [(&str, &dyn std::fmt::Display); 2] =
                [("text", &text), ("prefix", &model.numbering.prefix)];
            let message = S::LookupUnknown.fill(model.lang, &values);
            notice(model, NoticeKind::Error, message);
            Vec::new()
        }
    }
}

/// The administrator's number and PIN for a passbook typed by hand.
pub(super) fn admin_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let Some(form) = &mut model.admin_form else {
        model.screen = Screen::Home;
        return Vec::new();
    };
    let on_pin = form.field == LoginField::Pin;
    let field = if on_pin {
        &mut form.admin_pin
    } else {
        &mut form.admin_no
    };
    match key {
        Key::Char(c) if c.is_ascii_digit() => field.push(c, OPERATOR_FIELD_CHARS_MAX),
        Key::Backspace => field.backspace(),
        Key::Up => form.field = LoginField::Operator,
        Key::Enter | Key::Down if !on_pin && !form.admin_no.is_empty() => {
            form.field = LoginField::Pin
        }
        Key::Enter if on_pin && !form.admin_pin.is_empty() => {
            let effect = Effect::LookUpNumber {
                number: form.number.clone(),
                admin: form.admin_no.text.clone(),
                pin: form.admin_pin.text.clone(),
            };
            model.busy = true;
            return vec![effect];
        }
        Key::Esc => {
            model.admin_form = None;
            model.screen = Screen::Home;
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passbook::Token;
    use crate::passbook::slip_qr::txn_qr_payload;

    fn sq() -> Numbering {
        Numbering::new("SQ", "A").unwrap()
    }

    #[test]
    fn a_passbook_or_slip_payload_typed_in_is_taken_as_a_scan() {
        let token = Token::from_random([7u8; 16]);
        assert_eq!(typed_meaning(token.as_str(), &sq()), Typed::Scan);
        assert_eq!(
            typed_meaning(&token.as_str().to_lowercase(), &sq()),
            Typed::Scan
        );
        let slip = txn_qr_payload("0191e0c2-7a3b-7c4d-8e5f-0123456789ab");
        assert_eq!(typed_meaning(&slip, &sq()), Typed::Scan);
    }

    #[test]
    fn a_passbook_number_is_read_with_or_without_hyphen_code_and_zeros() {
        let number = |t| typed_meaning(t, &sq());
        let a10 = Typed::PassbookNumber("SQ-A000010".into());
        assert_eq!(number("SQ-A000010"), a10);
        assert_eq!(number("sq-a10"), a10);
        assert_eq!(number("sq-10"), a10);
        assert_eq!(number("sqa10"), a10);
        assert_eq!(number("ＳＱ-Ａ000010"), a10);
        assert_eq!(
            number("AB-C000001"),
            Typed::PassbookNumber("AB-C000001".into())
        );
        assert_eq!(number("SQ-A1234567"), Typed::Unknown);
    }

    #[test]
    fn a_danhao_is_four_to_eight_hex_characters_or_a_whole_txn_id() {
        let meaning = |t| typed_meaning(t, &sq());
        assert_eq!(meaning("1A2B3C4D"), Typed::Txn("1a2b3c4d".into()));
        assert_eq!(meaning("00001234"), Typed::Txn("00001234".into()));
        assert_eq!(meaning("beef"), Typed::Txn("beef".into()));
        assert_eq!(
            meaning("0191e0c2-7a3b-7c4d-8e5f-0123456789ab"),
            Typed::Txn("0191e0c2-7a3b-7c4d-8e5f-0123456789ab".into())
        );
        assert_eq!(meaning("abc"), Typed::Unknown);
        assert_eq!(meaning("123456789"), Typed::Unknown);
        assert_eq!(meaning("洗衣皂"), Typed::Unknown);
    }

    #[test]
    fn with_a_prefix_made_of_hex_letters_a_number_is_still_a_passbook() {
        let ab = Numbering::new("AB", "C").unwrap();
        assert_eq!(
            typed_meaning("ABC00010", &ab),
            Typed::PassbookNumber("AB-C000010".into())
        );
        assert_eq!(
            typed_meaning("ABC00010", &sq()),
            Typed::Txn("abc00010".into())
        );
    }
}
