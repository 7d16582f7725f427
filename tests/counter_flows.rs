//! Scripted counter flows on a real ledger and the printer simulator, through the same
//! update/worker code and the same scanner detector the terminal runs: keys come at a person's
//! pace (125 ms), a slow scanner's (60–90 ms, typing for the detector) or a scanner's
//! (≤ 20 ms, a scan). What a volunteer would see and what the ledger keeps.

use pointsdesk::counter::driver::Headless;
use pointsdesk::counter::model::{Key, NoticeKind, Screen};
use pointsdesk::demo;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{EarnRequest, Ledger, RedeemRequest, short_txn};
use std::time::Duration;

struct Counter {
    dir: tempfile::TempDir,
    ui: Headless,
    scans: Vec<String>,
}

impl Counter {
    fn home(&self) -> pointsdesk::home::Home {
        pointsdesk::home::Home {
            dir: self.dir.path().join("home"),
        }
    }

    /// The screen at 120×40, as the volunteer sees it.
    fn screen(&self) -> String {
        self.ui.screen(120, 40)
    }

    fn notice(&self) -> String {
        self.ui
            .model
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    }

    fn slips(&self) -> usize {
        self.ui.simulator().map_or(0, |s| s.receipts().len())
    }

    fn number_of(&self, scan: &str) -> String {
        self.ui.ledger().account(scan, 0).unwrap().passbook
    }
}

/// A seeded home (60 passbooks with points), the counter logged in as the volunteer.
fn counter(lang: Lang) -> Counter {
    counter_printing_to(lang, None)
}

/// Like [`counter`], with `[printer] transport` set in config.toml (else the simulator).
fn counter_printing_to(lang: Lang, transport: Option<&str>) -> Counter {
    let dir = tempfile::tempdir().unwrap();
    let seeded = demo::seed(dir.path().join("home"), 20, 0).unwrap();
    let scans = seeded.scans.clone();
    let home = seeded.home;
    drop(seeded.ledger);
    if let Some(transport) = transport {
        let config = format!("[printer]\ntransport = \"{transport}\"\n");
        std::fs::write(home.config_path(), config).unwrap();
    }
    let mut ui = Headless::open(&home, lang, None).unwrap();
    ui.type_text("002");
    ui.press(Key::Enter);
    ui.type_text(demo::DEMO_VOLUNTEER_PIN);
    ui.press(Key::Enter);
    assert_eq!(ui.model.screen, Screen::Home, "{:?}", ui.model.notice);
    Counter { dir, ui, scans }
}

fn balance(ledger: &Ledger, scan: &str) -> i64 {
    ledger.account(scan, 0).unwrap().balance.0
}

fn count_entries(ledger: &Ledger, kind: &str) -> i64 {
    ledger
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM entries WHERE kind = ?1",
            [kind],
            |r| r.get(0),
        )
        .unwrap()
}

fn body_of(ledger: &Ledger, txn: &str) -> String {
    let body: Vec<u8> = ledger
        .connection()
        .query_row("SELECT body FROM entries WHERE txn = ?1", [txn], |r| {
            r.get(0)
        })
        .unwrap();
    String::from_utf8(body).unwrap()
}

/// Redeems one bar of soap for `scan` through the screens; returns the receipt's txn. Ends on
/// the resident screen.
fn redeem_soap(c: &mut Counter, scan: &str) -> String {
    c.ui.scan(scan);
    c.ui.press(Key::Enter);
    c.ui.scan("6901234500011");
    c.ui.press(Key::F(5));
    c.ui.press(Key::Enter);
    assert_eq!(
        c.ui.model.screen,
        Screen::Resident,
        "{:?}",
        c.ui.model.notice
    );
    c.ui.model
        .last_receipt
        .as_ref()
        .expect("redeemed")
        .txn
        .clone()
}

#[test]
fn scan_redeem_confirm_prints_the_slip_and_debits_once() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[0].clone();
    let before = balance(c.ui.ledger(), &scan);
    let redeemed_before = count_entries(c.ui.ledger(), "points_redeemed");
    c.ui.scan(&scan);
    assert_eq!(c.ui.model.screen, Screen::Resident);
    c.ui.press(Key::Enter);
    c.ui.scan("6901234500011"); // soap, by barcode
    c.ui.type_text("xyz"); // 洗衣皂 again, by pinyin initials
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.cart, vec![("G001".to_string(), 2)]);
    c.ui.press(Key::F(5));
    assert_eq!(c.ui.model.screen, Screen::Confirm);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Resident);
    assert_eq!(balance(c.ui.ledger(), &scan), before - 10, "debited once");
    assert_eq!(
        count_entries(c.ui.ledger(), "points_redeemed"),
        redeemed_before + 1
    );
    let slips =
        c.ui.simulator()
            .unwrap()
            .wait_receipts(1, Duration::from_secs(5));
    assert!(
        slips[0].contains("洗衣皂") && slips[0].contains("兑换凭证"),
        "{}",
        slips[0]
    );
    let papers =
        c.ui.simulator()
            .unwrap()
            .wait_papers(1, Duration::from_secs(5));
    assert_eq!(c.ui.model.latest_slip.as_ref(), papers.last());
    let shown: String = papers[0]
        .lines
        .iter()
        .map(pointsdesk::printer::paper::PaperLine::text)
        .collect();
    assert!(
        shown.contains("兑换凭证") && !shown.contains("[CENTER]"),
        "{shown}"
    );
    assert_eq!(
        c.ui.model.account.as_ref().unwrap().balance.0,
        before - 10,
        "the screen shows the new balance"
    );
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
fn insufficient_points_show_the_ledgers_message_and_keep_the_cart() {
    let mut c = counter(Lang::En);
    let scan = c.scans[1].clone();
    let before = balance(c.ui.ledger(), &scan);
    c.ui.scan(&scan);
    c.ui.press(Key::Enter);
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
fn a_revoked_passbook_is_refused_with_the_ledgers_message() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[2].clone();
    let number = c.number_of(&scan);
    let mut admin_ledger = c.home().open().unwrap();
    let admin = admin_ledger.login("001", demo::DEMO_ADMIN_PIN).unwrap();
    admin_ledger
        .revoke_passbook(&admin, &number, "遗失")
        .unwrap();
    c.ui.scan(&scan);
    assert_eq!(c.ui.model.screen, Screen::Home);
    assert!(c.notice().contains("作废"), "{}", c.notice());
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
fn after_the_idle_lock_no_resident_data_stays_on_screen_not_even_the_slip() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[3].clone();
    redeem_soap(&mut c, &scan);
    let account = c.ui.model.account.clone().unwrap();
    let screen = c.screen();
    assert!(screen.contains(&account.passbook), "{screen}");
    assert!(c.ui.model.latest_slip.is_some(), "the slip panel shows it");
    c.ui.idle(c.ui.model.idle_lock_ms + 1);
    assert_eq!(c.ui.model.screen, Screen::Login);
    assert!(c.ui.model.account.is_none() && c.ui.model.latest_slip.is_none());
    let screen = c.screen();
    let private = [
        account.passbook.as_str(),
        &account.resident_name,
        "洗衣皂",
        "兑换",
    ];
    for text in private {
        assert!(!screen.contains(text), "{text}:\n{screen}");
    }
    assert_eq!(c.notice(), "已锁定，请重新登录");
}

#[test]
fn a_product_barcode_before_a_passbook_asks_for_the_passbook() {
    let mut c = counter(Lang::ZhCn);
    c.ui.scan("6901234500011");
    assert_eq!(c.ui.model.screen, Screen::Home);
    assert!(c.notice().contains("存折"));
}

#[test]
fn earnings_made_elsewhere_show_after_the_next_scan() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[4].clone();
    c.ui.scan(&scan);
    let shown = c.ui.model.account.as_ref().unwrap().balance.0;
    let mut other = c.home().open().unwrap();
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
fn earning_shows_activity_times_hours_and_books_only_after_enter_on_the_confirm_step() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[5].clone();
    let before = balance(c.ui.ledger(), &scan);
    c.ui.scan(&scan);
    c.ui.press(Key::F(4));
    assert_eq!(c.ui.model.screen, Screen::Earn);
    c.ui.type_text("1.5"); // A01 at 10 points an hour
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::EarnConfirm);
    let screen = c.screen();
    assert!(
        screen.contains("垃圾分类督导 10 分/小时 × 1.5 小时 = 15 分"),
        "{screen}"
    );
    assert_eq!(balance(c.ui.ledger(), &scan), before, "not booked yet");
    c.ui.press(Key::Esc);
    assert_eq!(
        c.ui.model.screen,
        Screen::Earn,
        "Esc goes back to change it"
    );
    assert_eq!(balance(c.ui.ledger(), &scan), before);
    c.ui.press(Key::Enter);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Resident);
    assert_eq!(balance(c.ui.ledger(), &scan), before + 15);
    assert_eq!(c.ui.model.account.as_ref().unwrap().balance.0, before + 15);
    assert!(c.notice().contains("+15"), "{}", c.notice());
}

#[test]
fn typing_2_into_the_prefilled_hours_books_2_hours_not_12() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[15].clone();
    let before = balance(c.ui.ledger(), &scan);
    c.ui.scan(&scan);
    c.ui.press(Key::F(4));
    assert_eq!(c.ui.model.hours_input.as_str(), "1", "pre-filled");
    c.ui.type_text("2");
    assert_eq!(c.ui.model.hours_input.as_str(), "2");
    c.ui.press(Key::Enter);
    c.ui.press(Key::Enter);
    assert_eq!(balance(c.ui.ledger(), &scan), before + 20, "2 h × 10");
    // Backspace edits the pre-filled value instead: 1 → "" → 1.5.
    c.ui.press(Key::F(4));
    c.ui.press(Key::Backspace);
    c.ui.type_text("1.5");
    assert_eq!(c.ui.model.hours_input.as_str(), "1.5");
}

#[test]
fn an_event_check_in_asks_first_then_credits_a_passbook_scanned_twice_only_once() {
    let mut c = counter(Lang::ZhCn);
    let (first, second) = (c.scans[6].clone(), c.scans[7].clone());
    let (first_before, second_before) = (
        balance(c.ui.ledger(), &first),
        balance(c.ui.ledger(), &second),
    );
    c.ui.press(Key::F(3));
    assert_eq!(c.ui.model.screen, Screen::EventSetup);
    c.ui.type_text("2");
    c.ui.press(Key::Enter); // to the event's name
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::EarnConfirm);
    let screen = c.screen();
    assert!(
        screen.contains("垃圾分类督导 10 分/小时 × 2 小时 = 20 分"),
        "{screen}"
    );
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Event);
    c.ui.scan(&first);
    c.ui.scan(&second);
    c.ui.scan(&first);
    assert!(c.notice().contains("已签到过"), "{}", c.notice());
    assert_eq!(c.ui.model.event.as_ref().unwrap().credited, 2);
    assert_eq!(
        balance(c.ui.ledger(), &first),
        first_before + 20,
        "credited once"
    );
    assert_eq!(balance(c.ui.ledger(), &second), second_before + 20);
    c.ui.press(Key::Esc);
    assert_eq!(c.ui.model.screen, Screen::Home);
    assert!(
        c.notice().contains("签到结束") && c.notice().contains("共 2 本存折"),
        "{}",
        c.notice()
    );
}

#[test]
fn two_sessions_of_one_activity_on_one_day_are_two_events_by_their_names() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[16].clone();
    let before = balance(c.ui.ledger(), &scan);
    for session in ["上午", "下午"] {
        c.ui.press(Key::F(3));
        let prefilled = c.ui.model.event_name.as_str().to_string();
        assert!(
            prefilled.starts_with("垃圾分类督导 ") && prefilled.ends_with(&c.ui.model.today),
            "{prefilled}"
        );
        c.ui.press(Key::Enter); // hours stay 1
        c.ui.press(Key::Right); // keep the pre-filled name, type after it
        c.ui.type_text(session);
        assert_eq!(
            c.ui.model.event_name.as_str(),
            format!("{prefilled} {session}")
        );
        c.ui.press(Key::Enter);
        c.ui.press(Key::Enter);
        c.ui.scan(&scan);
        assert_eq!(c.ui.model.event.as_ref().unwrap().credited, 1, "{session}");
        c.ui.press(Key::Esc);
    }
    assert_eq!(balance(c.ui.ledger(), &scan), before + 20, "10 in each");
}

#[test]
fn paper_out_during_a_redemption_books_once_and_a_reprint_prints_one_copy_and_says_so() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[8].clone();
    let before = balance(c.ui.ledger(), &scan);
    c.ui.simulator()
        .expect("the simulator stands in for the printer")
        .set_state(pointsdesk::printer::sim::SimState::PaperOut);
    let txn = redeem_soap(&mut c, &scan);
    assert!(c.notice().contains("换纸"), "{}", c.notice());
    assert_eq!(
        balance(c.ui.ledger(), &scan),
        before - 5,
        "booked once although nothing printed"
    );
    c.ui.simulator()
        .unwrap()
        .set_state(pointsdesk::printer::sim::SimState::Ready);
    c.ui.press(Key::Esc);
    assert!(
        c.notice().is_empty(),
        "the paper-out notice left with the screen"
    );
    c.ui.press(Key::F(5));
    assert_eq!(c.ui.model.screen, Screen::Reprint);
    c.ui.press(Key::Enter); // the last slip's 单号 is pre-filled: look it up
    let screen = c.screen();
    assert!(
        screen.contains(short_txn(&txn)) && screen.contains("洗衣皂"),
        "{screen}"
    );
    c.ui.simulator().unwrap().take_notices();
    c.ui.press(Key::Enter);
    let slips =
        c.ui.simulator()
            .unwrap()
            .wait_receipts(1, Duration::from_secs(5));
    // The reprint closed the port: everything it sent was read.
    c.ui.simulator()
        .unwrap()
        .wait_disconnected(Duration::from_secs(5))
        .expect("the reprint closed the port");
    assert_eq!(c.slips(), 1, "one slip after the reprint");
    assert!(slips[0].contains("重印"), "{}", slips[0]);
    assert!(c.notice().contains("已重印") && c.notice().contains(short_txn(&txn)));
    assert_eq!(
        balance(c.ui.ledger(), &scan),
        before - 5,
        "the reprint booked nothing"
    );
}

#[test]
fn a_reprint_by_danhao_prints_any_txn_not_only_the_last() {
    let mut c = counter(Lang::ZhCn);
    let (one, two) = (c.scans[17].clone(), c.scans[18].clone());
    let first = redeem_soap(&mut c, &one);
    c.ui.press(Key::Esc);
    redeem_soap(&mut c, &two);
    c.ui.press(Key::Esc);
    let printed = c.slips();
    c.ui.press(Key::F(5));
    c.ui.type_text(short_txn(&first)); // replaces the pre-filled last 单号
    c.ui.press(Key::Enter);
    assert_eq!(
        c.ui.model
            .txn_form
            .as_ref()
            .unwrap()
            .found
            .as_ref()
            .unwrap()
            .txn,
        first
    );
    c.ui.press(Key::Enter);
    let slips =
        c.ui.simulator()
            .unwrap()
            .wait_receipts(printed + 1, Duration::from_secs(5));
    let copy = slips.last().unwrap();
    assert!(
        copy.contains("重印") && copy.contains(short_txn(&first)),
        "{copy}"
    );
}

#[test]
fn reversing_by_scanning_the_slip_qr_shows_the_txn_and_needs_an_administrator_pin_once() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[9].clone();
    let before = balance(c.ui.ledger(), &scan);
    let txn = redeem_soap(&mut c, &scan);
    let name = c.ui.model.account.as_ref().unwrap().resident_name.clone();
    c.ui.press(Key::Esc);
    let slip_qr = pointsdesk::passbook::slip_qr::txn_qr_payload(&txn);

    c.ui.press(Key::F(4));
    assert_eq!(c.ui.model.screen, Screen::Reverse);
    assert_eq!(c.ui.model.txn_form.as_ref().unwrap().admin_no.as_str(), "");
    c.ui.scan(&slip_qr);
    let screen = c.screen();
    for shown in [name.as_str(), "洗衣皂 × 1 = 5", "积分 -5", short_txn(&txn)] {
        assert!(screen.contains(shown), "{shown}:\n{screen}");
    }
    assert!(name.contains('*'), "masked: {name}");
    c.ui.type_text("拿错了");
    c.ui.press(Key::Enter);
    c.ui.type_text("002"); // the volunteer is not an administrator
    c.ui.press(Key::Enter);
    c.ui.type_text(demo::DEMO_VOLUNTEER_PIN);
    c.ui.press(Key::Enter);
    assert!(c.notice().contains("管理员"), "{}", c.notice());
    assert_eq!(
        balance(c.ui.ledger(), &scan),
        before - 5,
        "nothing reversed"
    );

    c.ui.press(Key::Up);
    for _ in 0..3 {
        c.ui.press(Key::Backspace);
    }
    c.ui.type_text("001");
    c.ui.press(Key::Enter);
    c.ui.type_text(demo::DEMO_ADMIN_PIN);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Home, "{:?}", c.ui.model.notice);
    assert_eq!(balance(c.ui.ledger(), &scan), before, "the points are back");
    let done = format!("余额 {} → {}", before - 5, before);
    assert!(c.notice().contains(&done), "{} / {done}", c.notice());

    c.ui.press(Key::F(4));
    c.ui.scan(&slip_qr);
    assert!(c.screen().contains("已于"), "the reversal is shown");
    assert!(c.notice().contains("不能再冲正"), "{}", c.notice());
    c.ui.type_text("again");
    assert_ne!(
        c.ui.model.txn_form.as_ref().unwrap().field,
        pointsdesk::counter::model::ReverseField::AdminPin
    );
    assert_eq!(balance(c.ui.ledger(), &scan), before, "reversed once");
}

#[test]
fn a_typed_danhao_reverses_and_an_ambiguous_start_lists_the_txns_to_pick_from() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[19].clone();
    let mut other = c.home().open().unwrap();
    let volunteer = other.login("002", demo::DEMO_VOLUNTEER_PIN).unwrap();
    let txns = [
        "0191e0c2-7a3b-7c4d-8e5f-0000abcd1111",
        "0191e0c2-7a3b-7c4d-8e5f-0000abcd2222",
    ];
    for txn in txns {
        other
            .redeem(
                &volunteer,
                &RedeemRequest {
                    scan: scan.clone(),
                    lines: vec![("G001".into(), 1)],
                    txn: Some(txn.parse().unwrap()),
                    confirmed_by: None,
                },
            )
            .unwrap();
    }
    let before = balance(c.ui.ledger(), &scan);
    c.ui.press(Key::F(4));
    c.ui.type_text("abcd");
    c.ui.press(Key::Enter);
    let form = c.ui.model.txn_form.clone().unwrap();
    assert_eq!(form.candidates.len(), 2, "{:?}", c.ui.model.notice);
    let screen = c.screen();
    assert!(
        screen.contains("abcd1111") && screen.contains("abcd2222"),
        "{screen}"
    );
    let second = form
        .candidates
        .iter()
        .position(|r| r.txn == txns[1])
        .unwrap();
    for _ in 0..second {
        c.ui.press(Key::Down);
    }
    c.ui.press(Key::Enter);
    let found = c.ui.model.txn_form.as_ref().unwrap().found.clone().unwrap();
    assert_eq!(found.txn, txns[1]);
    c.ui.type_text("错了");
    c.ui.press(Key::Enter);
    c.ui.type_text("001");
    c.ui.press(Key::Enter);
    c.ui.type_text(demo::DEMO_ADMIN_PIN);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Home, "{:?}", c.ui.model.notice);
    assert_eq!(balance(c.ui.ledger(), &scan), before + 5);
    assert!(
        c.ui.ledger().receipt(txns[1]).unwrap().reversed.is_some()
            && c.ui.ledger().receipt(txns[0]).unwrap().reversed.is_none()
    );
}

#[test]
fn todays_report_counts_a_redemption_by_item_and_prints_the_day_close_after_asking() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[10].clone();
    redeem_soap(&mut c, &scan);
    c.ui.press(Key::Esc);
    c.ui.press(Key::F(6));
    assert_eq!(c.ui.model.screen, Screen::Report);
    let report = c.ui.model.report.clone().unwrap();
    assert!(
        report
            .by_item
            .iter()
            .any(|(name, qty, points)| name == "洗衣皂" && *qty >= 1 && *points >= 5),
        "{report:?}"
    );
    assert!(report.points_spent >= 5 && report.residents_served >= 1);
    let screen = c.screen();
    assert!(
        screen.contains("服务 ") && screen.contains("■ 获得"),
        "{screen}"
    );
    let printed = c.slips();
    c.ui.press(Key::F(4));
    assert!(c.notice().contains("日结单"), "asks first: {}", c.notice());
    assert_eq!(c.slips(), printed, "nothing printed before Enter");
    c.ui.press(Key::Enter);
    let slips =
        c.ui.simulator()
            .unwrap()
            .wait_receipts(printed + 1, Duration::from_secs(5));
    assert!(
        slips.last().unwrap().contains("日结单"),
        "{:?}",
        slips.last()
    );
    assert!(c.notice().contains("日结单已打印"), "{}", c.notice());
}

#[test]
fn receiving_a_donation_and_counting_the_shelf_change_the_stock() {
    let mut c = counter(Lang::ZhCn);
    let stock = |c: &Counter| c.ui.ledger().item("G001").unwrap().stock.unwrap();
    let before = stock(&c);
    c.ui.press(Key::F(7));
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
fn the_stock_form_names_its_item_and_the_highlight_stays_on_it_after_booking() {
    let mut c = counter(Lang::ZhCn);
    let stock = |c: &Counter, item: &str| c.ui.ledger().item(item).unwrap().stock.unwrap();
    c.ui.press(Key::F(7));
    c.ui.press(Key::Down);
    c.ui.press(Key::Down); // G003 大米 5kg
    c.ui.press(Key::F(6));
    assert!(c.screen().contains("大米 5kg（G003）"), "{}", c.screen());
    let (rice, soap) = (stock(&c, "G003"), stock(&c, "G001"));
    c.ui.type_text("5");
    c.ui.press(Key::Enter);
    c.ui.press(Key::Enter); // no donor
    assert_eq!(stock(&c, "G003"), rice + 5);
    c.ui.press(Key::F(6)); // again, onto the item still highlighted
    assert!(c.screen().contains("大米 5kg（G003）"), "{}", c.screen());
    c.ui.type_text("5");
    c.ui.press(Key::Enter);
    c.ui.press(Key::Enter);
    assert_eq!(stock(&c, "G003"), rice + 10, "booked onto the same item");
    assert_eq!(stock(&c, "G001"), soap, "not onto the first row");
}

#[test]
fn a_shelf_count_that_removes_more_than_half_the_stock_asks_again() {
    let mut c = counter(Lang::ZhCn);
    let stock = |c: &Counter| c.ui.ledger().item("G001").unwrap().stock.unwrap();
    let before = stock(&c);
    c.ui.press(Key::F(7));
    c.ui.press(Key::F(7));
    c.ui.type_text("12"); // meant 120
    c.ui.press(Key::Enter);
    assert!(c.notice().contains("50%"), "{}", c.notice());
    assert_eq!(stock(&c), before, "not booked yet");
    c.ui.press(Key::Esc);
    assert_eq!(stock(&c), before, "Esc books nothing");
    c.ui.press(Key::Backspace);
    c.ui.press(Key::Backspace);
    c.ui.type_text("10");
    c.ui.press(Key::Enter);
    c.ui.press(Key::Enter);
    assert_eq!(stock(&c), 10, "asked, then booked with Enter");
}

#[test]
fn the_hardware_screen_says_the_printers_state_and_the_scanner_test_speaks_plain_words() {
    let mut c = counter(Lang::ZhCn);
    c.ui.press(Key::F(8));
    assert_eq!(c.ui.model.screen, Screen::Hardware);
    assert!(c.screen().contains("打印机正常。"), "{}", c.screen());
    c.ui.scan("6901234500011");
    c.ui.press(Key::Char('a'));
    let screen = c.screen();
    assert!(screen.contains("扫码：商品条码 6901234500011"), "{screen}");
    assert!(screen.contains("按键 a  +125 毫秒"), "{screen}");
    assert!(!screen.contains("Char("), "{screen}");
    c.ui.simulator()
        .unwrap()
        .set_state(pointsdesk::printer::sim::SimState::PaperOut);
    c.ui.press(Key::F(4));
    assert!(c.screen().contains("打印机缺纸"), "{}", c.screen());
    c.ui.simulator()
        .unwrap()
        .set_state(pointsdesk::printer::sim::SimState::Ready);
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
    c.ui.press(Key::Enter);
    c.ui.scan("6901234500011");
    c.ui.scan(&second);
    assert_eq!(
        c.ui.model.cart.len(),
        1,
        "nothing dropped on the first scan"
    );
    assert!(c.notice().contains("再扫一次"));
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
    let form = c.ui.model.txn_form.as_ref().unwrap();
    assert_eq!(form.found.as_ref().unwrap().txn, txn);
}

#[test]
fn a_passbook_typed_by_a_slow_scanner_on_home_opens_the_resident_and_fires_no_key() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[0].clone();
    assert!(scan.contains('P'), "PD1… has the P that used to reprint");
    c.ui.scan_slowly(&scan);
    assert_eq!(
        c.ui.model.screen,
        Screen::Resident,
        "{:?}",
        c.ui.model.notice
    );
    assert_eq!(
        c.ui.model.account.as_ref().unwrap().passbook,
        c.number_of(&scan)
    );
    assert_eq!(c.slips(), 0, "no reprint");
    assert!(c.ui.model.txn_form.is_none(), "no reversal");
}

#[test]
fn typing_a_passbook_number_on_home_opens_no_screen_of_its_own_letters() {
    let mut c = counter(Lang::ZhCn);
    c.ui.type_text("SQ-A000010");
    assert_eq!(c.ui.model.screen, Screen::Home, "the S did not open stock");
    assert!(
        c.screen().contains("SQ-A000010"),
        "shown in the look-up field"
    );
    c.ui.press(Key::Esc);
    assert_eq!(c.ui.model.lookup.as_str(), "");
}

#[test]
fn a_passbook_number_typed_by_hand_opens_only_with_an_administrators_pin_recorded_in_the_entry() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[1].clone();
    let number = c.number_of(&scan);
    let before = balance(c.ui.ledger(), &scan);
    c.ui.type_text(&number.to_lowercase());
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::AdminConfirm);
    assert!(c.ui.model.account.is_none(), "nothing shown before the PIN");
    c.ui.type_text("002"); // a volunteer cannot confirm
    c.ui.press(Key::Enter);
    c.ui.type_text(demo::DEMO_VOLUNTEER_PIN);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::AdminConfirm);
    assert!(c.notice().contains("管理员"), "{}", c.notice());
    assert!(c.ui.model.account.is_none());
    c.ui.press(Key::Up);
    for _ in 0..3 {
        c.ui.press(Key::Backspace);
    }
    c.ui.type_text("001");
    c.ui.press(Key::Enter);
    c.ui.type_text(demo::DEMO_ADMIN_PIN);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Resident, "{}", c.notice());
    assert_eq!(c.ui.model.account.as_ref().unwrap().passbook, number);
    assert!(c.screen().contains("管理员 001 确认"), "{}", c.screen());
    c.ui.press(Key::Enter);
    c.ui.scan("6901234500011");
    c.ui.press(Key::F(5));
    c.ui.press(Key::Enter);
    assert_eq!(balance(c.ui.ledger(), &scan), before - 5, "{}", c.notice());
    let txn = c.ui.model.last_receipt.as_ref().unwrap().txn.clone();
    assert!(
        body_of(c.ui.ledger(), &txn).contains(r#""confirmed_by":"001""#),
        "{}",
        body_of(c.ui.ledger(), &txn)
    );
    assert_eq!(
        c.ui.model.account.as_ref().unwrap().balance.0,
        before - 5,
        "refreshed under the same confirmation"
    );
}

#[test]
fn a_danhao_typed_on_home_shows_its_txn_to_reprint_or_reverse() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[2].clone();
    let txn = redeem_soap(&mut c, &scan);
    c.ui.press(Key::Esc);
    c.ui.type_text(short_txn(&txn));
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Txn);
    assert!(c.screen().contains("洗衣皂 × 1 = 5"), "{}", c.screen());
    c.ui.press(Key::F(4));
    assert_eq!(c.ui.model.screen, Screen::Reverse);
    assert_eq!(
        c.ui.model.txn_form.as_ref().unwrap().field,
        pointsdesk::counter::model::ReverseField::Reason,
        "the txn is known: on to the reason"
    );
}

#[test]
fn esc_with_a_cart_open_asks_and_only_a_second_esc_drops_the_cart() {
    let mut c = counter(Lang::ZhCn);
    c.ui.scan(&c.scans[3].clone());
    c.ui.press(Key::Enter);
    c.ui.scan("6901234500011");
    c.ui.press(Key::Esc);
    assert_eq!(c.ui.model.screen, Screen::Redeem);
    assert_eq!(c.ui.model.cart.len(), 1, "kept");
    assert!(c.notice().contains("再按一次 Esc"), "{}", c.notice());
    assert!(
        c.screen().contains("再按 Esc 清空已选"),
        "the footer says so"
    );
    c.ui.press(Key::Down); // any other key: the cart stays
    assert_eq!(c.ui.model.cart.len(), 1);
    assert!(c.notice().is_empty());
    c.ui.press(Key::Esc);
    c.ui.press(Key::Esc);
    assert!(c.ui.model.cart.is_empty());
    assert_eq!(c.ui.model.screen, Screen::Resident);
}

#[test]
fn ctrl_c_with_a_cart_open_asks_before_quitting() {
    let mut c = counter(Lang::ZhCn);
    c.ui.scan(&c.scans[4].clone());
    c.ui.press(Key::Enter);
    c.ui.scan("6901234500011");
    c.ui.press(Key::CtrlC);
    assert!(!c.ui.model.quit, "asked first");
    assert!(c.notice().contains("Ctrl+C"), "{}", c.notice());
    c.ui.press(Key::CtrlC);
    assert!(c.ui.model.quit);
}

#[test]
fn a_cart_line_over_the_monthly_limit_is_marked_and_f5_refuses_with_the_reason() {
    let mut c = counter(Lang::ZhCn);
    let scan = c.scans[5].clone();
    c.ui.scan(&scan);
    c.ui.press(Key::Enter);
    for _ in 0..4 {
        c.ui.scan("6901234500011"); // soap: 4 a month
    }
    assert!(c.notice().is_empty(), "{}", c.notice());
    c.ui.scan("6901234500011");
    assert!(
        c.notice().contains("超出月限"),
        "marked as it is added: {}",
        c.notice()
    );
    assert!(c.screen().contains("每月限4件"), "{}", c.screen());
    c.ui.press(Key::F(5));
    assert_eq!(c.ui.model.screen, Screen::Redeem, "no confirm step");
    assert!(c.notice().contains("不能结算"), "{}", c.notice());
    c.ui.press(Key::Char('-'));
    c.ui.press(Key::F(5));
    assert_eq!(c.ui.model.screen, Screen::Confirm);
}

#[test]
fn a_notice_belongs_to_its_screen_and_goes_when_the_screen_changes() {
    let mut c = counter(Lang::ZhCn);
    c.ui.scan("6901234500011");
    assert!(c.notice().contains("请先扫描"));
    c.ui.press(Key::F(9));
    assert_eq!(c.ui.model.screen, Screen::Sync);
    assert!(c.notice().is_empty(), "{}", c.notice());
}

#[test]
fn a_slip_sent_to_a_printer_that_cannot_answer_says_to_look_at_the_paper() {
    let slips = tempfile::NamedTempFile::new().unwrap();
    let transport = format!("file:{}", slips.path().display());
    let mut c = counter_printing_to(Lang::ZhCn, Some(&transport));
    let scan = c.scans[14].clone();
    redeem_soap(&mut c, &scan);
    let notice = c.ui.model.notice.clone().unwrap();
    assert_eq!(notice.kind, NoticeKind::Info, "{}", notice.text);
    assert!(notice.text.contains("不回报状态"), "{}", notice.text);
    assert!(
        std::fs::metadata(slips.path()).unwrap().len() > 0,
        "the slip went to the file"
    );
    c.ui.press(Key::Esc);
    c.ui.press(Key::F(8));
    assert_eq!(c.ui.model.screen, Screen::Hardware);
    c.ui.press(Key::F(4));
    let notice = c.ui.model.notice.clone().unwrap();
    assert!(notice.text.contains("是否出纸"), "{}", notice.text);
    assert_eq!(
        c.ui.model.printer,
        pointsdesk::counter::model::PrinterState::Unchecked,
        "the test print's status check says the state cannot be known, not ready"
    );
}

#[test]
fn a_passbook_scanned_again_at_an_event_after_its_check_in_was_reversed_says_so() {
    let mut c = counter(Lang::ZhCn);
    let first = c.scans[6].clone();
    c.ui.press(Key::F(3));
    c.ui.press(Key::Enter);
    c.ui.press(Key::Enter);
    c.ui.press(Key::Enter);
    assert_eq!(c.ui.model.screen, Screen::Event);
    c.ui.scan(&first);
    let txn =
        c.ui.model
            .last_receipt
            .as_ref()
            .expect("credited")
            .txn
            .clone();
    let credited = balance(c.ui.ledger(), &first);
    {
        let mut ledger = c.home().open().unwrap();
        let admin = ledger.login("001", demo::DEMO_ADMIN_PIN).unwrap();
        ledger.reverse(&admin, &txn, "签到记错了", None).unwrap();
    }
    c.ui.scan(&first);
    let notice = c.notice();
    assert!(
        notice.contains("已于") && notice.contains("冲正"),
        "{notice}"
    );
    assert!(notice.contains("当前余额"), "{notice}");
    assert_eq!(c.ui.model.notice.as_ref().unwrap().kind, NoticeKind::Error);
    assert_eq!(
        balance(c.ui.ledger(), &first),
        credited - 10,
        "the reversal stands and nothing is credited again"
    );
}

#[test]
fn a_clock_behind_this_counters_newest_entry_shows_a_warning_on_the_home_screen() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = demo::seed(dir.path().join("home"), 5, 0).unwrap();
    let home = seeded.home;
    let mut ledger = seeded.ledger;
    ledger.set_clock(Box::new(|| chrono::Utc::now() + chrono::Duration::days(2)));
    ledger
        .restock(&seeded.admin, "G001", 1, Some("区慈善超市"))
        .unwrap();
    drop(ledger);
    let mut ui = Headless::open(&home, Lang::ZhCn, None).unwrap();
    ui.type_text("002");
    ui.press(Key::Enter);
    ui.type_text(demo::DEMO_VOLUNTEER_PIN);
    ui.press(Key::Enter);
    assert_eq!(ui.model.screen, Screen::Home);
    let screen = ui.screen(120, 40);
    assert!(screen.contains("电脑时钟可能不准"), "{screen}");
    assert!(
        screen.contains("早于本柜台最新一条记录"),
        "the counter keeps working but says why: {screen}"
    );
}
