//! A scan means the same on every screen: a passbook opens the resident (or, at an event,
//! checks in), a product barcode adds the item (when a resident is being served), a slip's QR
//! opens its txn.

use super::super::model::*;
use super::super::strings::S;
use super::redeem::add_to_cart;
use super::{ask, notice, txn};
use crate::scanner::{ScanKind, classify};

pub(super) fn scanned(model: &mut Model, scan: String) -> Vec<Effect> {
    if model.screen == Screen::Hardware {
        super::hardware::scan_logged(model, &scan);
        return Vec::new();
    }
    if model.busy || model.screen == Screen::Login {
        return Vec::new();
    }
    ask::cancel(model);
    match classify(&scan) {
        ScanKind::Passbook if model.screen == Screen::Event => event_passbook(model, scan),
        ScanKind::Passbook => passbook(model, scan),
        ScanKind::Barcode(code) => barcode(model, &code),
        ScanKind::ReceiptQr(found) if model.cart.is_empty() => txn::scanned(model, found),
        ScanKind::ReceiptQr(_) | ScanKind::Unknown => {
            notice(model, NoticeKind::Error, S::UselessCode.get(model.lang));
            Vec::new()
        }
    }
}

fn event_passbook(model: &mut Model, scan: String) -> Vec<Effect> {
    let Some(event) = &model.event else {
        return Vec::new();
    };
    model.busy = true;
    vec![Effect::Earn {
        scan,
        activity: event.activity.activity.clone(),
        minutes: event.minutes,
        event: Some(event.name.clone()),
    }]
}

fn passbook(model: &mut Model, scan: String) -> Vec<Effect> {
    if !model.cart.is_empty() && model.switch_to.as_deref() != Some(scan.as_str()) {
        // Ask before dropping another resident's open cart: the same scan again switches.
        notice(model, NoticeKind::Error, S::SwitchPassbook.get(model.lang));
        model.switch_to = Some(scan);
        return Vec::new();
    }
    model.switch_to = None;
    model.cart.clear();
    model.pending_txn = None;
    model.admin_form = None;
    model.confirmed_by = None;
    model.busy = true;
    model.notice = None;
    vec![Effect::LoadAccount { scan }]
}

fn barcode(model: &mut Model, code: &str) -> Vec<Effect> {
    if model.account.is_none() || !matches!(model.screen, Screen::Resident | Screen::Redeem) {
        notice(
            model,
            NoticeKind::Error,
            S::ScanPassbookFirst.get(model.lang),
        );
        return Vec::new();
    }
    model.screen = Screen::Redeem;
    let found = model
        .catalog
        .iter()
        .find(|c| c.item.barcode.as_deref() == Some(code))
        .map(|c| c.item.item.clone());
    match found {
        Some(item) => add_to_cart(model, &item),
        None => {
            let text = S::NoSuchBarcode.fill(model.lang, &[("code", &code)]);
            notice(model, NoticeKind::Error, text);
        }
    }
    Vec::new()
}
