//! `update(model, msg) -> effects`: every decision of the counter UI, pure and testable.

use super::model::*;
use super::strings::S;
use crate::scanner::{ScanKind, classify};

fn notice(model: &mut Model, kind: NoticeKind, text: impl Into<String>) {
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
        Msg::Scan(scan, at) if model.screen == Screen::Hardware => {
            model.last_input_ms = at;
            let kind = format!("{:?}", classify(&scan));
            log_key(model, format!("SCAN {scan} → {kind}"));
            Vec::new()
        }
        Msg::Scan(scan, at) => {
            model.last_input_ms = at;
            if model.busy || model.screen == Screen::Login {
                return Vec::new();
            }
            scanned(model, scan)
        }
        Msg::Tick(now) => {
            let idle = now.saturating_sub(model.last_input_ms);
            if model.operator.is_some() && !model.busy && idle >= model.idle_lock_ms {
                lock(model);
                notice(model, NoticeKind::Info, S::Locked.get(model.lang));
                return vec![Effect::Logout];
            }
            Vec::new()
        }
        Msg::LoggedIn(result) => {
            model.busy = false;
            model.pin_input.clear();
            match result {
                Ok(operator) => {
                    model.operator = Some(operator);
                    model.operator_input.clear();
                    model.login_field = LoginField::Operator;
                    model.screen = Screen::Home;
                    model.notice = None;
                    vec![
                        Effect::LoadCatalog,
                        Effect::LoadActivities,
                        Effect::RefreshStatus,
                    ]
                }
                Err(message) => {
                    model.login_field = LoginField::Pin;
                    notice(model, NoticeKind::Error, message);
                    Vec::new()
                }
            }
        }
        Msg::Account(result) => {
            model.busy = false;
            match result {
                Ok((account, scan)) => {
                    model.account = Some(account);
                    model.scan = Some(scan);
                    model.screen = Screen::Resident;
                    // The notice stays: a refreshed account must not hide "done" or a printer
                    // problem; a new scan clears it (in `scanned`).
                }
                Err(message) => notice(model, NoticeKind::Error, message),
            }
            Vec::new()
        }
        Msg::Catalog(items) => {
            model.catalog = items
                .into_iter()
                .map(|item| CatalogItem {
                    initials: initials(&item.name),
                    item,
                })
                .collect();
            model.selected = 0;
            Vec::new()
        }
        Msg::Activities(activities) => {
            model.activities = activities.into_iter().filter(|a| a.enabled).collect();
            model.activity_selected = 0;
            Vec::new()
        }
        Msg::Reversed(result) => {
            model.busy = false;
            match result {
                Ok(receipt) => {
                    let text = format!(
                        "{} {} {:+} → {}",
                        model.lang.pick("冲正完成", "Reversed"),
                        receipt.passbook,
                        receipt.points,
                        receipt.balance_after
                    );
                    notice(model, NoticeKind::Info, text);
                    model.reverse = None;
                    model.screen = Screen::Home;
                    model.last_receipt = Some(receipt.clone());
                    vec![
                        Effect::Print {
                            receipt: Box::new(receipt),
                        },
                        Effect::LoadCatalog,
                    ]
                }
                Err(message) => {
                    if let Some(form) = &mut model.reverse {
                        form.admin_pin.clear();
                    }
                    notice(model, NoticeKind::Error, message);
                    Vec::new()
                }
            }
        }
        Msg::Stocked(result) => {
            model.busy = false;
            match result {
                Ok(item) => {
                    let text = format!(
                        "{} {} {}",
                        item.name,
                        S::Stock.get(model.lang),
                        item.stock.unwrap_or(0)
                    );
                    notice(model, NoticeKind::Info, text);
                    model.stock_mode = StockMode::Browse;
                    return vec![Effect::LoadCatalog, Effect::RefreshStatus];
                }
                Err(message) => notice(model, NoticeKind::Error, message),
            }
            Vec::new()
        }
        Msg::RawKey(key, at) => {
            if model.screen == Screen::Hardware {
                let gap = at.saturating_sub(model.last_raw_key_ms);
                log_key(model, format!("{key:<8} +{gap} ms"));
            }
            model.last_raw_key_ms = at;
            Vec::new()
        }
        Msg::Report(result) => {
            match result {
                Ok(report) => {
                    model.report = Some(report);
                    model.screen = Screen::Report;
                }
                Err(message) => notice(model, NoticeKind::Error, message),
            }
            Vec::new()
        }
        Msg::Earned(result) => {
            model.busy = false;
            earned(model, result)
        }
        Msg::Redeemed(result) => {
            model.busy = false;
            match result {
                Ok(receipt) => {
                    let text = format!(
                        "{} {} → {}",
                        S::Done.get(model.lang),
                        receipt.balance_before,
                        receipt.balance_after
                    );
                    notice(model, NoticeKind::Info, text);
                    model.cart.clear();
                    model.search.clear();
                    model.pending_txn = None;
                    model.last_receipt = Some(receipt.clone());
                    let scan = model.scan.clone().unwrap_or_default();
                    model.screen = Screen::Resident;
                    vec![
                        Effect::Print {
                            receipt: Box::new(receipt),
                        },
                        Effect::LoadAccount { scan },
                        Effect::LoadCatalog,
                    ]
                }
                Err(message) => {
                    // Refused: nothing was booked. Back to the cart as it was, to change it.
                    model.screen = Screen::Redeem;
                    model.pending_txn = None;
                    notice(model, NoticeKind::Error, message);
                    Vec::new()
                }
            }
        }
        Msg::Printed(result) => {
            match result {
                Ok(printed) => {
                    if let Some(slip) = printed.slip {
                        model.latest_slip = Some(slip);
                    }
                    if let Some(note) = printed.note {
                        notice(model, NoticeKind::Info, note);
                    }
                }
                Err(message) => {
                    model.printer = PrinterState::Problem(message.clone());
                    notice(model, NoticeKind::Error, message);
                }
            }
            Vec::new()
        }
        Msg::Status {
            printer,
            low_stock,
            clock,
        } => {
            model.printer = printer;
            model.low_stock = low_stock;
            model.clock_warning = clock;
            Vec::new()
        }
    }
}

fn log_key(model: &mut Model, line: String) {
    model.key_log.push(line);
    let excess = model.key_log.len().saturating_sub(KEY_LOG_LINES_MAX);
    model.key_log.drain(..excess);
}

fn earned(model: &mut Model, result: Result<crate::ledger::Receipt, String>) -> Vec<Effect> {
    let lang = model.lang;
    match result {
        Ok(receipt) if receipt.replayed => {
            let text = format!(
                "{} {}",
                receipt.passbook,
                lang.pick(
                    "已签到过，不重复加分",
                    "already checked in: no points twice"
                )
            );
            notice(model, NoticeKind::Error, text);
            Vec::new()
        }
        Ok(receipt) => {
            let text = format!(
                "{} {} +{} → {}",
                receipt.passbook, receipt.resident_name, receipt.points, receipt.balance_after
            );
            notice(model, NoticeKind::Info, text);
            model.last_receipt = Some(receipt.clone());
            let mut effects = vec![Effect::Print {
                receipt: Box::new(receipt),
            }];
            match &mut model.event {
                Some(event) if model.screen == Screen::Event => event.credited += 1,
                _ => {
                    model.screen = Screen::Resident;
                    if let Some(scan) = model.scan.clone() {
                        effects.push(Effect::LoadAccount { scan });
                    }
                }
            }
            effects
        }
        Err(message) => {
            notice(model, NoticeKind::Error, message);
            Vec::new()
        }
    }
}

fn lock(model: &mut Model) {
    model.operator = None;
    model.screen = Screen::Login;
    model.login_field = LoginField::Operator;
    model.pin_input.clear();
    model.account = None;
    model.scan = None;
    model.cart.clear();
    model.pending_txn = None;
    model.event = None;
}

/// A scan means the same on every screen: a passbook opens the resident, a product barcode
/// adds the item (when a resident is being served).
fn scanned(model: &mut Model, scan: String) -> Vec<Effect> {
    match classify(&scan) {
        ScanKind::Passbook if model.screen == Screen::Event => {
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
        ScanKind::Passbook => {
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
        ScanKind::Barcode(code) => {
            if model.account.is_none() || !matches!(model.screen, Screen::Resident | Screen::Redeem)
            {
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
                .find(|c| c.item.barcode.as_deref() == Some(code.as_str()))
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
        ScanKind::ReceiptQr(txn) if model.screen == Screen::Reverse => {
            if let Some(form) = &mut model.reverse {
                form.txn = txn;
                form.field = ReverseField::Reason;
            }
            Vec::new()
        }
        ScanKind::ReceiptQr(txn) if model.cart.is_empty() => {
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
        ScanKind::ReceiptQr(_) | ScanKind::Unknown => {
            let text = model.lang.pick(
                "这个码在此处无用：请扫描存折或商品条码",
                "That code means nothing here: scan a passbook or a product barcode",
            );
            notice(model, NoticeKind::Error, text);
            Vec::new()
        }
    }
}

fn add_to_cart(model: &mut Model, item: &str) {
    match model.cart.iter_mut().find(|(code, _)| code == item) {
        Some((_, qty)) => *qty += 1,
        None => model.cart.push((item.to_string(), 1)),
    }
    model.notice = None;
}

fn key_pressed(model: &mut Model, key: Key) -> Vec<Effect> {
    match model.screen {
        Screen::Login => login_key(model, key),
        Screen::Home => home_key(model, key),
        Screen::Resident => resident_key(model, key),
        Screen::Redeem => redeem_key(model, key),
        Screen::Confirm => confirm_key(model, key),
        Screen::Earn | Screen::EventSetup => earn_key(model, key),
        Screen::Event => event_key(model, key),
        Screen::Reverse => reverse_key(model, key),
        Screen::Report | Screen::Sync => {
            if key == Key::Esc {
                model.screen = Screen::Home;
            }
            Vec::new()
        }
        Screen::Hardware => match key {
            Key::Esc => {
                model.screen = Screen::Home;
                Vec::new()
            }
            Key::F(4) => vec![Effect::TestPrint, Effect::RefreshStatus],
            _ => Vec::new(),
        },
        Screen::Stock => stock_key(model, key),
    }
}

fn login_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let field = match model.login_field {
        LoginField::Operator => &mut model.operator_input,
        LoginField::Pin => &mut model.pin_input,
    };
    match key {
        Key::Char(c) if c.is_ascii_digit() && field.len() < 8 => field.push(c),
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

fn home_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Char('v' | 'V') => {
            open_earn(model, Screen::EventSetup);
            Vec::new()
        }
        Key::Char('t' | 'T') => vec![Effect::LoadReport],
        Key::Char('s' | 'S') => {
            model.screen = Screen::Stock;
            model.stock_mode = StockMode::Browse;
            model.search.clear();
            model.selected = 0;
            Vec::new()
        }
        Key::Char('h' | 'H') => {
            model.screen = Screen::Hardware;
            model.key_log.clear();
            vec![Effect::RefreshStatus]
        }
        Key::Char('y' | 'Y') => {
            model.screen = Screen::Sync;
            Vec::new()
        }
        Key::Char('x' | 'X') => {
            let admin_no = model
                .operator
                .as_ref()
                .map(|o| o.number.clone())
                .unwrap_or_default();
            model.reverse = Some(ReverseForm {
                txn: String::new(),
                reason: String::new(),
                admin_no,
                admin_pin: String::new(),
                field: ReverseField::Txn,
            });
            model.screen = Screen::Reverse;
            model.notice = None;
            Vec::new()
        }
        Key::Char('p' | 'P') => match &model.last_receipt {
            Some(receipt) => vec![Effect::Reprint {
                txn: receipt.txn.clone(),
            }],
            None => {
                notice(
                    model,
                    NoticeKind::Error,
                    super::strings::S::NoReceiptYet.get(model.lang),
                );
                Vec::new()
            }
        },
        Key::F(2) if model.demo => vec![Effect::DemoScanPassbook],
        Key::F(3) if model.demo => vec![Effect::DemoScanItem],
        Key::F(10) => {
            lock(model);
            vec![Effect::Logout]
        }
        _ => Vec::new(),
    }
}

fn resident_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Char('r' | 'R') | Key::Enter => {
            model.screen = Screen::Redeem;
            model.search.clear();
            model.selected = 0;
            Vec::new()
        }
        Key::Char('e' | 'E') => {
            open_earn(model, Screen::Earn);
            Vec::new()
        }
        Key::Esc => {
            model.screen = Screen::Home;
            model.account = None;
            model.scan = None;
            Vec::new()
        }
        Key::F(2) if model.demo => vec![Effect::DemoScanPassbook],
        Key::F(3) if model.demo => vec![Effect::DemoScanItem],
        _ => Vec::new(),
    }
}

fn redeem_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let count = model.filtered().len();
    match key {
        Key::Char('+') => change_last(model, 1),
        Key::Char('-') => change_last(model, -1),
        Key::Char(c) if !c.is_control() && model.search.chars().count() < 16 => {
            model.search.push(c);
            model.selected = 0;
        }
        Key::Backspace => {
            model.search.pop();
            model.selected = 0;
        }
        Key::Up => model.selected = model.selected.saturating_sub(1),
        Key::Down if model.selected + 1 < count => model.selected += 1,
        Key::Enter => {
            let chosen = model
                .filtered()
                .get(model.selected)
                .map(|c| c.item.item.clone());
            if let Some(item) = chosen {
                add_to_cart(model, &item);
                model.search.clear();
                model.selected = 0;
            }
        }
        Key::Delete => {
            model.cart.pop();
        }
        Key::F(5) if !model.cart.is_empty() => {
            model.screen = Screen::Confirm;
            model.pending_txn = Some(uuid::Uuid::now_v7());
        }
        Key::F(5) => notice(model, NoticeKind::Error, S::EmptyCart.get(model.lang)),
        Key::F(3) if model.demo => return vec![Effect::DemoScanItem],
        Key::Esc if !model.search.is_empty() => model.search.clear(),
        Key::Esc => {
            model.cart.clear();
            model.screen = Screen::Resident;
        }
        _ => {}
    }
    Vec::new()
}

fn open_earn(model: &mut Model, screen: Screen) {
    model.screen = screen;
    model.activity_selected = 0;
    model.hours_input = "1".into();
    model.notice = None;
}

fn earn_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let lang = model.lang;
    match key {
        Key::Up => model.activity_selected = model.activity_selected.saturating_sub(1),
        Key::Down if model.activity_selected + 1 < model.activities.len() => {
            model.activity_selected += 1
        }
        Key::Char(c) if (c.is_ascii_digit() || c == '.') && model.hours_input.len() < 5 => {
            model.hours_input.push(c)
        }
        Key::Backspace => {
            model.hours_input.pop();
        }
        Key::Esc => {
            model.screen = if model.screen == Screen::Earn {
                Screen::Resident
            } else {
                Screen::Home
            };
        }
        Key::Enter => {
            let (Some(activity), Some(minutes)) = (
                model.activities.get(model.activity_selected),
                parse_minutes(&model.hours_input),
            ) else {
                let text =
                    crate::ledger::LedgerError::BadHours(model.hours_input.clone()).message(lang);
                notice(model, NoticeKind::Error, text);
                return Vec::new();
            };
            let activity = activity.clone();
            if model.screen == Screen::EventSetup {
                model.event = Some(EventRun {
                    name: format!("{} {}", activity.name, model.today),
                    activity: activity.activity,
                    minutes,
                    credited: 0,
                });
                model.screen = Screen::Event;
                return Vec::new();
            }
            let Some(scan) = model.scan.clone() else {
                model.screen = Screen::Home;
                return Vec::new();
            };
            model.busy = true;
            return vec![Effect::Earn {
                scan,
                activity: activity.activity,
                minutes,
                event: None,
            }];
        }
        _ => {}
    }
    Vec::new()
}

fn event_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Esc => {
            model.event = None;
            model.screen = Screen::Home;
            Vec::new()
        }
        Key::F(2) if model.demo => vec![Effect::DemoScanPassbook],
        _ => Vec::new(),
    }
}

fn reverse_key(model: &mut Model, key: Key) -> Vec<Effect> {
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

/// Goods only: services, venues and honours have no shelf.
pub fn stocked_items(model: &Model) -> Vec<&CatalogItem> {
    model
        .filtered()
        .into_iter()
        .filter(|c| c.item.stock.is_some())
        .collect()
}

fn stock_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let items = stocked_items(model);
    let chosen = items.get(model.selected).map(|c| c.item.item.clone());
    let count = items.len();
    match (model.stock_mode, key) {
        (StockMode::Browse, Key::Up) => model.selected = model.selected.saturating_sub(1),
        (StockMode::Browse, Key::Down) if model.selected + 1 < count => model.selected += 1,
        (StockMode::Browse, Key::F(6)) | (StockMode::Browse, Key::F(7)) if chosen.is_some() => {
            model.stock_mode = if key == Key::F(6) {
                StockMode::Receive
            } else {
                StockMode::Count
            };
            model.qty_input.clear();
            model.donor_input.clear();
        }
        (StockMode::Browse, Key::Char(c))
            if !c.is_control() && model.search.chars().count() < 16 =>
        {
            model.search.push(c);
            model.selected = 0;
        }
        (StockMode::Browse, Key::Backspace) => {
            model.search.pop();
            model.selected = 0;
        }
        (StockMode::Browse, Key::Esc) => model.screen = Screen::Home,
        (StockMode::Receive | StockMode::Count, Key::Char(c))
            if c.is_ascii_digit() && model.qty_input.len() < 7 =>
        {
            model.qty_input.push(c)
        }
        (StockMode::Receive | StockMode::Count, Key::Backspace) => {
            model.qty_input.pop();
        }
        (StockMode::Donor, Key::Char(c)) if model.donor_input.chars().count() < 40 => {
            model.donor_input.push(c)
        }
        (StockMode::Donor, Key::Backspace) => {
            model.donor_input.pop();
        }
        (StockMode::Receive, Key::Enter) if !model.qty_input.is_empty() => {
            model.stock_mode = StockMode::Donor
        }
        (StockMode::Donor | StockMode::Count, Key::Enter) => {
            let (Some(item), Ok(qty)) = (chosen, model.qty_input.parse::<i64>()) else {
                return Vec::new();
            };
            model.busy = true;
            let donor = Some(model.donor_input.trim().to_string()).filter(|d| !d.is_empty());
            return vec![if model.stock_mode == StockMode::Count {
                Effect::Count { item, counted: qty }
            } else {
                Effect::Restock { item, qty, donor }
            }];
        }
        (_, Key::Esc) => model.stock_mode = StockMode::Browse,
        _ => {}
    }
    Vec::new()
}

/// Longest text typed into a field of the reverse form.
const REVERSE_FIELD_CHARS_MAX: usize = 64;

fn change_last(model: &mut Model, by: i32) {
    if let Some((_, qty)) = model.cart.last_mut() {
        let next = i64::from(*qty) + i64::from(by);
        if next <= 0 {
            model.cart.pop();
        } else {
            *qty = next.min(999) as u32;
        }
    }
}

fn confirm_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Enter => {
            let (Some(scan), Some(txn)) = (model.scan.clone(), model.pending_txn) else {
                model.screen = Screen::Redeem;
                return Vec::new();
            };
            model.busy = true;
            vec![Effect::Redeem {
                scan,
                lines: model.cart.clone(),
                txn,
            }]
        }
        Key::Esc => {
            model.screen = Screen::Redeem;
            model.pending_txn = None;
            Vec::new()
        }
        _ => Vec::new(),
    }
}
