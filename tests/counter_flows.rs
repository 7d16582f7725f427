//! Scripted counter flows on a real ledger and the printer simulator, through the same
//! update/worker code the terminal runs: what a volunteer would see and what the ledger keeps.

use pointsdesk::counter::driver::Headless;
use pointsdesk::counter::model::{Key, NoticeKind, Screen};
use pointsdesk::demo;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{EarnRequest, Ledger};
use std::time::Duration;

struct Counter {
    _dir: tempfile::TempDir,
    ui: Headless,
    scans: Vec<String>,
}

/// A seeded home (60 passbooks with points), the counter logged in as the volunteer.
fn counter(lang: Lang) -> Counter {
    let dir = tempfile::tempdir().unwrap();
    let seeded = demo::seed(dir.path().join("home"), 20, 0).unwrap();
    let scans = seeded.scans.clone();
    let home = seeded.home;
    drop(seeded.ledger);
    let mut ui = Headless::open(&home, lang, None).unwrap();
    ui.type_text("002");
    ui.press(Key::Enter);
    ui.type_text(demo::DEMO_VOLUNTEER_PIN);
    ui.press(Key::Enter);
    assert_eq!(ui.model.screen, Screen::Home, "{:?}", ui.model.notice);
    Counter {
        _dir: dir,
        ui,
        scans,
    }
}

fn balance(ledger: &Ledger, scan: &str) -> i64 {
    ledger.account(scan, 0).unwrap().balance.0
}

fn redemptions(ledger: &Ledger) -> i64 {
    ledger
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM entries WHERE kind = 'points_redeemed'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn scan_redeem_confirm_prints_the_slip_and_debits_once() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[0].clone();
    let before = balance(c.ui.ledger(), &scan);
    let redeemed_before = redemptions(c.ui.ledger());
    c.ui.scan(&scan);
    assert_eq!(c.ui.model.screen, Screen::Resident);
    c.ui.press(Key::Char('r'));
    c.ui.scan("6901234500011"); // soap, by barcode
    c.ui.type_text("xyz"); // 洗衣皂 again, by pinyin initials
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.cart, vec![("G001".to_string(), 2)]);
    c.ui.press(Key::F(5));
    assert_eq!(c.ui.model.screen, Screen::Confirm);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Resident);
    assert_eq!(balance(c.ui.ledger(), &scan), before - 10, "debited once");
    assert_eq!(redemptions(c.ui.ledger()), redeemed_before + 1);
    let slips =
        c.ui.simulator()
            .unwrap()
            .wait_receipts(1, Duration::from_secs(5));
    assert!(
        slips[0].contains("洗衣皂") && slips[0].contains("兑换凭证"),
        "{}",
        slips[0]
    );
    assert_eq!(
        c.ui.model.latest_slip.as_deref(),
        slips.last().map(String::as_str)
    );
    assert_eq!(
        c.ui.model.account.as_ref().unwrap().balance.0,
        before - 10,
        "the screen shows the new balance"
    );
}

#[test]
fn insufficient_points_show_the_ledgers_message_and_keep_the_cart() {
    let mut c = counter(Lang::En);
    let scan = c.scans[1].clone();
    let before = balance(c.ui.ledger(), &scan);
    c.ui.scan(&scan);
    c.ui.press(Key::Char('r'));
    c.ui.type_text("H001"); // the 100-point honour certificate
    c.ui.press(Key::Enter);
    c.ui.press(Key::F(5));
    c.ui.press(Key::Enter);
    assert_eq!(
        c.ui.model.screen,
        Screen::Redeem,
        "back to the cart, not a half state"
    );
    assert_eq!(c.ui.model.cart, vec![("H001".to_string(), 1)]);
    let notice = c.ui.model.notice.clone().unwrap();
    assert_eq!(notice.kind, NoticeKind::Error);
    assert!(notice.text.contains("Not enough points"), "{}", notice.text);
    assert_eq!(balance(c.ui.ledger(), &scan), before, "nothing booked");
}

#[test]
fn a_barcode_from_a_scanner_adds_the_item_but_typed_slowly_it_is_a_search() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[14].clone();
    c.ui.scan(&scan);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Redeem);
    c.ui.scan_slowly("6901234500011");
    assert!(c.ui.model.cart.is_empty(), "{:?}", c.ui.model.cart);
    assert_eq!(c.ui.model.search, "6901234500011");
    c.ui.press(Key::Esc);
    c.ui.scan("6901234500011");
    assert_eq!(c.ui.model.cart, vec![("G001".to_string(), 1)]);
}

#[test]
fn a_revoked_passbook_is_refused_with_the_ledgers_message() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[2].clone();
    let number = c.ui.ledger().account(&scan, 0).unwrap().passbook;
    let home = pointsdesk::home::Home {
        dir: c._dir.path().join("home"),
    };
    let mut admin_ledger = home.open().unwrap();
    let admin = admin_ledger.login("001", demo::DEMO_ADMIN_PIN).unwrap();
    admin_ledger
        .revoke_passbook(&admin, &number, "遗失")
        .unwrap();
    c.ui.scan(&scan);
    assert_eq!(c.ui.model.screen, Screen::Home);
    let notice = c.ui.model.notice.clone().unwrap();
    assert!(notice.text.contains("作废"), "{}", notice.text);
}

#[test]
fn wrong_pins_lock_the_operator_and_the_screen_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = demo::seed(dir.path().join("home"), 5, 0).unwrap();
    let home = seeded.home;
    drop(seeded.ledger);
    let mut ui = Headless::open(&home, Lang::ZhCn, None).unwrap();
    for _ in 0..5 {
        ui.type_text("002");
        ui.press(Key::Enter);
        ui.type_text("0000");
        ui.press(Key::Enter);
        ui.press(Key::Esc);
    }
    let notice = ui.model.notice.clone().unwrap();
    assert!(notice.text.contains("锁定"), "{}", notice.text);
    ui.type_text("002");
    ui.press(Key::Enter);
    ui.type_text(demo::DEMO_VOLUNTEER_PIN);
    ui.press(Key::Enter);
    assert_eq!(
        ui.model.screen,
        Screen::Login,
        "still locked with the right PIN"
    );
}

#[test]
fn an_idle_counter_locks_back_to_login() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[3].clone();
    c.ui.scan(&scan);
    c.ui.idle(c.ui.model.idle_lock_ms + 1);
    assert_eq!(c.ui.model.screen, Screen::Login);
    assert!(
        c.ui.model.account.is_none(),
        "the resident's data left the screen"
    );
}

#[test]
fn a_product_barcode_before_a_passbook_asks_for_the_passbook() {
    let mut c = counter(Lang::ZhCn);
    c.ui.scan("6901234500011");
    assert_eq!(c.ui.model.screen, Screen::Home);
    assert!(c.ui.model.notice.clone().unwrap().text.contains("存折"));
}

#[test]
fn earnings_made_elsewhere_show_after_the_next_scan() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[4].clone();
    c.ui.scan(&scan);
    let shown = c.ui.model.account.as_ref().unwrap().balance.0;
    let home = pointsdesk::home::Home {
        dir: c._dir.path().join("home"),
    };
    let mut other = home.open().unwrap();
    let volunteer = other.login("002", demo::DEMO_VOLUNTEER_PIN).unwrap();
    other
        .earn(
            &volunteer,
            &EarnRequest {
                scan: scan.clone(),
                activity: "A01".into(),
                minutes: 60,
                event: None,
                txn: None,
                confirmed_by: None,
            },
        )
        .unwrap();
    c.ui.press(Key::Esc);
    c.ui.scan(&scan);
    assert_eq!(c.ui.model.account.as_ref().unwrap().balance.0, shown + 10);
}

#[test]
fn earning_for_one_resident_credits_activity_times_hours() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[5].clone();
    let before = balance(c.ui.ledger(), &scan);
    c.ui.scan(&scan);
    c.ui.press(Key::Char('e'));
    assert_eq!(c.ui.model.screen, Screen::Earn);
    c.ui.press(Key::Backspace);
    c.ui.type_text("1.5"); // A01 at 10 points an hour
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Resident);
    assert_eq!(balance(c.ui.ledger(), &scan), before + 15);
    assert_eq!(c.ui.model.account.as_ref().unwrap().balance.0, before + 15);
}

#[test]
fn an_event_check_in_credits_a_passbook_scanned_twice_only_once() {
    let mut c = counter(Lang::ZhCn);
    let (first, second) = (c.scans[6].clone(), c.scans[7].clone());
    let (first_before, second_before) = (
        balance(c.ui.ledger(), &first),
        balance(c.ui.ledger(), &second),
    );
    c.ui.press(Key::Char('v'));
    assert_eq!(c.ui.model.screen, Screen::EventSetup);
    c.ui.press(Key::Backspace);
    c.ui.type_text("2");
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Event);
    c.ui.scan(&first);
    c.ui.scan(&second);
    c.ui.scan(&first);
    let notice = c.ui.model.notice.clone().unwrap();
    assert!(notice.text.contains("已签到过"), "{}", notice.text);
    assert_eq!(c.ui.model.event.as_ref().unwrap().credited, 2);
    assert_eq!(
        balance(c.ui.ledger(), &first),
        first_before + 20,
        "credited once"
    );
    assert_eq!(balance(c.ui.ledger(), &second), second_before + 20);
    c.ui.press(Key::Esc);
    assert_eq!(c.ui.model.screen, Screen::Home);
}

/// Redeems one bar of soap for `scan` through the screens; returns the receipt's txn.
fn redeem_soap(c: &mut Counter, scan: &str) -> String {
    c.ui.scan(scan);
    c.ui.press(Key::Char('r'));
    c.ui.scan("6901234500011");
    c.ui.press(Key::F(5));
    c.ui.press(Key::Enter);
    c.ui.model
        .last_receipt
        .as_ref()
        .expect("redeemed")
        .txn
        .clone()
}

#[test]
fn paper_out_during_a_redemption_books_once_and_a_reprint_prints_one_copy() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[8].clone();
    let before = balance(c.ui.ledger(), &scan);
    c.ui.simulator()
        .expect("the simulator stands in for the printer")
        .set_state(pointsdesk::printer::sim::SimState::PaperOut);
    redeem_soap(&mut c, &scan);
    let notice = c.ui.model.notice.clone().unwrap();
    assert!(notice.text.contains("换纸"), "{}", notice.text);
    assert_eq!(
        balance(c.ui.ledger(), &scan),
        before - 5,
        "booked once although nothing printed"
    );
    c.ui.simulator()
        .unwrap()
        .set_state(pointsdesk::printer::sim::SimState::Ready);
    c.ui.press(Key::Esc);
    c.ui.press(Key::Char('p'));
    let slips =
        c.ui.simulator()
            .unwrap()
            .wait_receipts(1, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        c.ui.simulator().unwrap().receipts().len(),
        1,
        "one slip after the reprint"
    );
    assert!(slips[0].contains("重印"), "{}", slips[0]);
    assert_eq!(
        balance(c.ui.ledger(), &scan),
        before - 5,
        "the reprint booked nothing"
    );
}

#[test]
fn reversing_by_scanning_the_slip_qr_needs_an_administrator_pin_and_works_once() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[9].clone();
    let before = balance(c.ui.ledger(), &scan);
    let txn = redeem_soap(&mut c, &scan);
    c.ui.press(Key::Esc);
    let slip_qr = pointsdesk::passbook::slip_qr::txn_qr_payload(&txn);

    c.ui.press(Key::Char('x'));
    assert_eq!(c.ui.model.screen, Screen::Reverse);
    c.ui.scan(&slip_qr);
    c.ui.type_text("拿错了");
    c.ui.press(Key::Enter);
    c.ui.press(Key::Enter); // the volunteer's own number is not an administrator's
    c.ui.type_text(demo::DEMO_VOLUNTEER_PIN);
    c.ui.press(Key::Enter);
    assert!(
        c.ui.model.notice.clone().unwrap().text.contains("管理员"),
        "{:?}",
        c.ui.model.notice
    );
    assert_eq!(
        balance(c.ui.ledger(), &scan),
        before - 5,
        "nothing reversed"
    );

    let form = c.ui.model.reverse.as_mut().unwrap();
    form.admin_no = "001".into();
    c.ui.type_text(demo::DEMO_ADMIN_PIN);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Home, "{:?}", c.ui.model.notice);
    assert_eq!(balance(c.ui.ledger(), &scan), before, "the points are back");

    c.ui.press(Key::Char('x'));
    c.ui.scan(&slip_qr);
    c.ui.type_text("again");
    c.ui.press(Key::Enter);
    c.ui.press(Key::Backspace);
    c.ui.press(Key::Backspace);
    c.ui.press(Key::Backspace);
    c.ui.type_text("001");
    c.ui.press(Key::Enter);
    c.ui.type_text(demo::DEMO_ADMIN_PIN);
    c.ui.press(Key::Enter);
    assert!(
        c.ui.model.notice.clone().unwrap().text.contains("已被冲正"),
        "{:?}",
        c.ui.model.notice
    );
    assert_eq!(balance(c.ui.ledger(), &scan), before, "reversed once");
}

#[test]
fn todays_report_counts_a_redemption_by_item_and_nets_a_reversal() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[10].clone();
    redeem_soap(&mut c, &scan);
    c.ui.press(Key::Esc);
    c.ui.press(Key::Char('t'));
    assert_eq!(c.ui.model.screen, Screen::Report);
    let report = c.ui.model.report.clone().unwrap();
    assert!(
        report
            .by_item
            .iter()
            .any(|(name, qty, points)| name == "洗衣皂" && *qty >= 1 && *points >= 5),
        "{report:?}"
    );
    let redeemed: i64 = report.by_hour.iter().map(|(_, _, r)| r).sum();
    assert!(redeemed >= 5);
}

#[test]
fn receiving_a_donation_and_counting_the_shelf_change_the_stock() {
    let mut c = counter(Lang::ZhCn);
    let stock = |c: &Counter| c.ui.ledger().item("G001").unwrap().stock.unwrap();
    let before = stock(&c);
    c.ui.press(Key::Char('s'));
    assert_eq!(c.ui.model.screen, Screen::Stock);
    c.ui.type_text("xyz");
    c.ui.press(Key::F(6));
    c.ui.type_text("24");
    c.ui.press(Key::Enter);
    c.ui.type_text("爱心企业");
    c.ui.press(Key::Enter);
    assert_eq!(stock(&c), before + 24, "{:?}", c.ui.model.notice);
    c.ui.press(Key::F(7));
    c.ui.type_text("100");
    c.ui.press(Key::Enter);
    assert_eq!(stock(&c), 100);
    let donors: i64 = c
        .ui
        .ledger()
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM entries WHERE kind = 'stock_received' AND body LIKE '%爱心企业%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(donors, 1, "the donor is in the log");
}

#[test]
fn the_scanner_test_shows_raw_keys_with_their_gaps_and_recognises_a_scan() {
    let mut c = counter(Lang::ZhCn);
    c.ui.press(Key::Char('h'));
    assert_eq!(c.ui.model.screen, Screen::Hardware);
    let scan = c.scans[0].clone();
    c.ui.scan(&scan);
    c.ui.press(Key::Char('a'));
    let log = c.ui.model.key_log.join("\n");
    assert!(log.contains("Char('a')") && log.contains("ms"), "{log}");
    assert!(log.contains("SCAN") && log.contains("Passbook"), "{log}");
    c.ui.press(Key::F(4));
    let slips =
        c.ui.simulator()
            .unwrap()
            .wait_receipts(1, Duration::from_secs(5));
    assert!(slips.last().unwrap().contains("打印测试"));
}

#[test]
fn another_passbook_during_a_redemption_asks_before_switching() {
    let mut c = counter(Lang::ZhCn);
    let (first, second) = (c.scans[11].clone(), c.scans[12].clone());
    c.ui.scan(&first);
    c.ui.press(Key::Char('r'));
    c.ui.scan("6901234500011");
    c.ui.scan(&second);
    assert_eq!(
        c.ui.model.cart.len(),
        1,
        "nothing dropped on the first scan"
    );
    assert!(c.ui.model.notice.clone().unwrap().text.contains("再扫一次"));
    let first_passbook = c.ui.model.account.as_ref().unwrap().passbook.clone();
    c.ui.scan(&second);
    assert!(c.ui.model.cart.is_empty());
    assert_ne!(
        c.ui.model.account.as_ref().unwrap().passbook,
        first_passbook,
        "switched"
    );
}

#[test]
fn scanning_a_slip_qr_on_the_home_screen_opens_its_reversal() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[13].clone();
    let txn = redeem_soap(&mut c, &scan);
    c.ui.press(Key::Esc);
    c.ui.scan(&pointsdesk::passbook::slip_qr::txn_qr_payload(&txn));
    assert_eq!(c.ui.model.screen, Screen::Reverse);
    assert_eq!(c.ui.model.reverse.as_ref().unwrap().txn, txn);
}
