//! A scan means the same on every screen: a passbook opens the resident, a product barcode
//! adds the item (when a resident is being served), a slip's QR opens its reversal.

use super::super::model::*;
use super::notice;
use super::redeem::add_to_cart;
use crate::scanner::{ScanKind, classify};

pub(super) fn scanned(model: &mut Model, scan: String) -> Vec<Effect> {
    if model.screen == Screen::Hardware {
        super::hardware::scan_logged(model, &scan);
        return Vec::new();
    }
    if model.busy || model.screen == Screen::Login {
        return Vec::new();
    }
    match classify(&scan) {
        ScanKind::Passbook if model.screen == Screen::Event => event_passbook(model, scan),
        ScanKind::Passbook => passbook(model, scan),
        ScanKind::Barcode(code) => barcode(model, &code),
        ScanKind::ReceiptQr(txn) => slip_qr(model, txn),
        ScanKind::Unknown => {
            useless(model);
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
        activity: event.activity.clone(),
        minutes: event.minutes,
        event: Some(event.name.clone()),
    }]
}

fn passbook(model: &mut Model, scan: String) -> Vec<Effect> {
    if !model.cart.is_empty() && model.switch_to.as_deref() != Some(scan.as_str()) {
        // Ask before dropping another resident's open cart: the same scan again switches.
        let text = model.lang.pick(
            "正在为另一位居民兑换：再扫一次这本存折即切换（已选商品清空），或先完成兑换",
            "Another resident's redemption is open: scan this passbook again to switch (the cart is emptied), or finish first",
        );
        notice(model, NoticeKind::Error, text);
        model.switch_to = Some(scan);
        return Vec::new();
    }
    model.switch_to = None;
    model.cart.clear();
    model.pending_txn = None;
    model.busy = true;
    model.notice = None;
    vec![Effect::LoadAccount { scan }]
}

fn barcode(model: &mut Model, code: &str) -> Vec<Effect> {
    if model.account.is_none() || !matches!(model.screen, Screen::Resident | Screen::Redeem) {
        let text = model
            .lang
            .pick("请先扫描居民存折", "Scan the resident's passbook first");
        notice(model, NoticeKind::Error, text);
        return Vec::new();
    }
    model.screen = Screen::Redeem;
    match model
        .catalog
        .iter()
        .find(|c| c.item.barcode.as_deref() == Some(code))
    {
        Some(found) => {
            let item = found.item.item.clone();
            add_to_cart(model, &item);
        }
        None => {
            let text = format!(
                "{} {code}",
                model
                    .lang
                    .pick("没有这个条码的商品：", "No item has the barcode")
            );
            notice(model, NoticeKind::Error, text);
        }
    }
    Vec::new()
}

fn slip_qr(model: &mut Model, txn: String) -> Vec<Effect> {
    if model.screen == Screen::Reverse {
        if let Some(form) = &mut model.reverse {
            form.txn = txn;
            form.field = ReverseField::Reason;
        }
        return Vec::new();
    }
    if !model.cart.is_empty() {
        useless(model);
        return Vec::new();
    }
    // A slip's QR opens its reversal (which still needs an administrator's PIN).
    let admin_no = model
        .operator
        .as_ref()
        .map(|o| o.number.clone())
        .unwrap_or_default();
    model.reverse = Some(ReverseForm {
        txn,
        reason: String::new(),
        admin_no,
        admin_pin: String::new(),
        field: ReverseField::Reason,
    });
    model.screen = Screen::Reverse;
    model.notice = None;
    Vec::new()
}

fn useless(model: &mut Model) {
    let text = model.lang.pick(
        "这个码在此处无用：请扫描存折或商品条码",
        "That code means nothing here: scan a passbook or a product barcode",
    );
    notice(model, NoticeKind::Error, text);
}
