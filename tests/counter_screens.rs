//! Snapshots of every counter screen at 80×24 and 120×40, in zh-CN and en (insta). The model
//! is built by hand, so a snapshot changes only when the drawing does.

use pointsdesk::counter::model::*;
use pointsdesk::counter::update::update;
use pointsdesk::counter::view::view;
use pointsdesk::domain::{ItemKind, Points};
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::district::{
    DistrictInfo, ForkView, Overdraft, SeriesStatus, SyncLogRow, SyncStatus,
};
use pointsdesk::ledger::{
    AccountSummary, HistoryDetail, HistoryLine, ItemView, Receipt, ReceiptKind,
};
use pointsdesk::printer::decode::{Align, Style};
use pointsdesk::printer::paper::{Paper, PaperLine, PaperSpan, Picture};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn item(
    code: &str,
    name: &str,
    kind: ItemKind,
    points: i64,
    stock: Option<i64>,
    limit: Option<u32>,
) -> ItemView {
    ItemView {
        item: code.into(),
        name: name.into(),
        kind,
        points: Points(points),
        barcode: None,
        monthly_limit: limit,
        enabled: true,
        stock,
    }
}

fn account() -> AccountSummary {
    let line = |t: &str, kind: &str, points: i64, detail: HistoryDetail| HistoryLine {
        seq: 1,
        recorded_at: t.into(),
        kind: kind.into(),
        txn: None,
        points: Points(points),
        detail,
    };
    let earned = |activity: &str, minutes: u32| HistoryDetail::Earned {
        activity: activity.into(),
        minutes,
        event: None,
    };
    AccountSummary {
        passbook: "SQ-A000123".into(),
        resident: "SQ-RA00123".into(),
        resident_name: "张*明".into(),
        balance: Points(64),
        month_earned: Points(120),
        month_spent: Points(56),
        month_usage: vec![("G001".into(), 2)],
        last: vec![
            line(
                "2026-11-22 14:05",
                "points_redeemed",
                -56,
                HistoryDetail::Redeemed {
                    lines: vec![
                        ("洗衣皂".into(), 2),
                        ("抽纸（3包）".into(), 1),
                        ("酱油".into(), 1),
                    ],
                },
            ),
            line(
                "2026-11-21 09:30",
                "points_earned",
                30,
                earned("垃圾分类督导", 180),
            ),
            line(
                "2026-11-20 16:00",
                "points_earned",
                90,
                earned("探望独居老人", 450),
            ),
        ],
    }
}

fn base(lang: Lang) -> Model {
    let mut model = Model::new(lang, false);
    model.counter = "三桥爱心超市".into();
    model.numbering = pointsdesk::domain::ids::Numbering::new("SQ", "A").unwrap();
    model.today = "2026-11-22".into();
    model.printer = PrinterState::Ready {
        simulator: false,
        paper_near_end: false,
    };
    model
}

fn logged_in(lang: Lang) -> Model {
    let mut model = base(lang);
    model.operator = Some(Operator {
        number: "002".into(),
        name: "李建国".into(),
    });
    model.screen = Screen::Home;
    model.low_stock = vec!["保温杯 3".into(), "雨伞 5".into()];
    update(
        &mut model,
        Msg::Catalog(vec![
            item("G001", "洗衣皂", ItemKind::Goods, 5, Some(117), Some(4)),
            item("G002", "抽纸（3包）", ItemKind::Goods, 8, Some(89), Some(3)),
            item("G003", "大米 5kg", ItemKind::Goods, 40, Some(30), Some(1)),
            item("S001", "上门康复理疗", ItemKind::Service, 50, None, Some(2)),
            item("V001", "活动室（2小时）", ItemKind::Venue, 15, None, None),
        ]),
    );
    model.activities = vec![
        pointsdesk::ledger::ActivityView {
            activity: "A01".into(),
            name: "垃圾分类督导".into(),
            points_per_hour: Points(10),
            enabled: true,
        },
        pointsdesk::ledger::ActivityView {
            activity: "A06".into(),
            name: "探望独居老人".into(),
            points_per_hour: Points(12),
            enabled: true,
        },
    ];
    model
}

fn receipt(txn: &str, kind: ReceiptKind, points: i64) -> Receipt {
    Receipt {
        txn: txn.into(),
        kind,
        seq: 7,
        recorded_at: "2026-11-22 14:05".into(),
        operator: Some("002".into()),
        passbook: "SQ-A000123".into(),
        resident: "SQ-RA00123".into(),
        resident_name: "张*明".into(),
        lines: vec![pointsdesk::domain::Line {
            item: "G001".into(),
            name: "洗衣皂".into(),
            qty: 2,
            unit_points: Points(5),
            stocked: true,
        }],
        points: Points(points),
        balance_before: Points(74),
        balance_after: Points(74 + points),
        activity: None,
        reason: None,
        of_txn: None,
        replayed: false,
        reversed: None,
        balance_now: Points(64),
    }
}

fn notice(kind: NoticeKind, text: &str) -> Option<Notice> {
    Some(Notice {
        kind,
        text: text.into(),
    })
}

/// A slip as the simulator keeps it for the screen: a centred double-size bold title, a
/// centred line, a bold heading, item lines, the QR and a thanks (80 mm paper, 48 columns).
fn slip_paper() -> Paper {
    let line = |align, text: &str, style: Style| PaperLine {
        align,
        spans: vec![PaperSpan {
            text: text.into(),
            style,
        }],
        picture: None,
    };
    let bold = Style {
        bold: true,
        ..Style::default()
    };
    let title = Style {
        double_width: true,
        double_height: true,
        ..bold
    };
    let plain = Style::default();
    let rule = "-".repeat(48);
    Paper {
        columns: 48,
        lines: vec![
            line(Align::Center, "三桥社区", title),
            line(Align::Center, "三桥爱心超市", plain),
            line(Align::Center, "兑换凭证", bold),
            line(Align::Left, "时间 2026-11-22 14:05", plain),
            line(Align::Left, &rule, plain),
            line(
                Align::Left,
                &format!("洗衣皂{}2×5   10", " ".repeat(34)),
                plain,
            ),
            line(
                Align::Left,
                &format!("酱油{}1×10  10", " ".repeat(36)),
                plain,
            ),
            line(Align::Left, &rule, plain),
            PaperLine {
                align: Align::Center,
                spans: Vec::new(),
                picture: Some(Picture::Qr("PDT01A20171F3D475699B614703D3022E6B".into())),
            },
            line(Align::Center, "感谢您参与志愿服务！", plain),
        ],
    }
}

fn series(
    n: u128,
    counter: &str,
    code: Option<&str>,
    seq: i64,
    own: bool,
    last_import: Option<&str>,
    last_export: Option<&str>,
) -> SeriesStatus {
    SeriesStatus {
        series_id: uuid::Uuid::from_u128(n),
        counter: counter.into(),
        community: "三桥社区".into(),
        code: code.map(Into::into),
        seq,
        own,
        last_import: last_import.map(Into::into),
        last_export: last_export.map(Into::into),
    }
}

/// A counter of a district of three, after an import that found an overdraft and a fork.
fn sync_status() -> SyncStatus {
    SyncStatus {
        district: Some(DistrictInfo {
            district_id: "0193f1a2-0000-7000-8000-000000000001".into(),
            name: "桥西街道".into(),
            enrolled_at: "2026-11-30 09:00".into(),
            code: Some("A".into()),
            hub: Some("https://hub.qiaoxi.example:8443".into()),
        }),
        series: vec![
            series(
                1,
                "三桥爱心超市",
                Some("A"),
                1204,
                true,
                None,
                Some("2026-12-02 02:31"),
            ),
            series(
                2,
                "二桥爱心超市",
                Some("B"),
                877,
                false,
                Some("2026-12-02 02:33"),
                None,
            ),
            series(
                3,
                "桥西爱心超市",
                Some("C"),
                15,
                false,
                Some("2026-12-02 02:33"),
                None,
            ),
        ],
        overdrafts: vec![Overdraft {
            passbook: "SQ-B000012".into(),
            resident: "SQ-RB00012".into(),
            resident_name: "张*明".into(),
            balance: Points(-15),
            counter: "二桥爱心超市".into(),
        }],
        duplicates: vec![pointsdesk::ledger::district::Duplicate {
            counter: "三桥爱心超市".into(),
            series_id: uuid::Uuid::from_u128(4).to_string(),
            seq: 41,
            kind: "reversal".into(),
            subject: "0192f3a4-7c1d-7b2e-9a11-5d3c2b1a0f9e".into(),
            recorded_at: "2026-12-01 16:05".into(),
        }],
        forks: vec![ForkView {
            series_id: uuid::Uuid::from_u128(3),
            counter: "桥西爱心超市".into(),
            seq: 16,
            held_hash: Some("9f2c4e1a7b3d5f60".into()),
            other_hash: "41aa07c93e2b8d11".into(),
            found_at: "2026-12-02 02:33".into(),
            source: "桥西-1202.bundle".into(),
        }],
        last_import: Some(SyncLogRow {
            at: "2026-12-02 02:33".into(),
            file: "桥西-1202.bundle".into(),
            entries: 940,
            new: 892,
            present: 47,
            refused: 1,
            forks: 1,
        }),
        last_export: Some(SyncLogRow {
            at: "2026-12-02 02:31".into(),
            file: "三桥-1202.bundle".into(),
            entries: 2096,
            new: 0,
            present: 0,
            refused: 0,
            forks: 0,
        }),
    }
}

fn screens(lang: Lang) -> Vec<(&'static str, Model)> {
    let mut login = base(lang);
    login.operator_input = "002".into();
    login.pin_input = "12".into();
    login.login_field = LoginField::Pin;
    let mut login_error = login.clone();
    login_error.notice = notice(
        NoticeKind::Error,
        lang.pick(
            "工号或密码错误，还可尝试 4 次。",
            "Wrong operator number or PIN; 4 tries left.",
        ),
    );
    let mut demo_login = login.clone();
    demo_login.demo = true;
    demo_login.home_dir = "/tmp/pointsdesk-demo-20261122-140500-4242".into();
    let home = logged_in(lang);
    let mut home_sync_attention = logged_in(lang);
    home_sync_attention.sync_brief = SyncBrief::of(&sync_status());
    let mut home_typing = logged_in(lang);
    home_typing.lookup = TextField::from("SQ-0001");
    let mut demo_home = logged_in(lang);
    demo_home.demo = true;
    demo_home.home_dir = demo_login.home_dir.clone();
    demo_home.printer = PrinterState::Ready {
        simulator: true,
        paper_near_end: false,
    };
    let mut admin_confirm = logged_in(lang);
    admin_confirm.screen = Screen::AdminConfirm;
    admin_confirm.admin_form = Some(AdminForm {
        number: "SQ-A000010".into(),
        admin_no: TextField::from("001"),
        admin_pin: TextField::from("12"),
        field: LoginField::Pin,
    });
    let mut resident = logged_in(lang);
    resident.account = Some(account());
    resident.scan = Some("PD1...".into());
    resident.screen = Screen::Resident;
    let mut resident_by_number = resident.clone();
    resident_by_number.confirmed_by = Some("001".into());
    if let Some(a) = &mut resident_by_number.account {
        a.month_spent = Points(0);
    }
    let mut redeem = resident.clone();
    redeem.screen = Screen::Redeem;
    redeem.cart = vec![("G001".into(), 2), ("G002".into(), 1)];
    redeem.search = "xyz".into();
    let mut over_limit = resident.clone();
    over_limit.screen = Screen::Redeem;
    over_limit.cart = vec![("G001".into(), 3), ("G003".into(), 1)];
    over_limit.notice = notice(
        NoticeKind::Error,
        lang.pick(
            "不能结算：洗衣皂 超出月限：每月限4件，已兑2件。请按 - 减少数量，或按 Del 移除",
            "Cannot check out: 洗衣皂 over the monthly limit: 4 a month, 2 this month. Press - to take fewer, or Del to remove it",
        ),
    );
    let mut drop_ask = redeem.clone();
    drop_ask.search.clear();
    drop_ask.ask = Some(Ask::DropCart(Key::Esc));
    drop_ask.notice = notice(
        NoticeKind::Ask,
        lang.pick(
            "已选商品还没有兑换：再按一次 Esc 清空已选商品并返回，按其他键继续兑换",
            "The cart is not redeemed: press Esc again to empty it and go back, any other key to go on",
        ),
    );
    let mut confirm = redeem.clone();
    confirm.search.clear();
    confirm.screen = Screen::Confirm;
    let mut short = redeem.clone();
    short.cart = vec![("S001".into(), 2)];
    short.search.clear();
    short.notice = notice(
        NoticeKind::Error,
        lang.pick(
            "积分不足：存折 SQ-A000123 余额 64 分，本次需要 100 分。请减少商品。",
            "Not enough points: passbook SQ-A000123 has 64, this needs 100. Remove some items.",
        ),
    );
    let mut printed = resident.clone();
    printed.latest_slip = Some(slip_paper());
    let mut earn = resident.clone();
    earn.screen = Screen::Earn;
    earn.activity_selected = 1;
    earn.hours_input = TextField::prefilled("1.5");
    let mut event_setup = logged_in(lang);
    event_setup.screen = Screen::EventSetup;
    event_setup.hours_input = TextField::from("2");
    event_setup.event_name = TextField::prefilled("垃圾分类督导 2026-11-22");
    event_setup.earn_field = EarnField::EventName;
    let activity = event_setup.activities[0].clone();
    let mut earn_confirm = earn.clone();
    earn_confirm.screen = Screen::EarnConfirm;
    earn_confirm.earn_draft = Some(EarnDraft {
        activity: activity.clone(),
        minutes: 90,
        points: Points(15),
        event: None,
    });
    let mut event_confirm = event_setup.clone();
    event_confirm.screen = Screen::EarnConfirm;
    event_confirm.earn_draft = Some(EarnDraft {
        activity: activity.clone(),
        minutes: 120,
        points: Points(20),
        event: Some("垃圾分类督导 2026-11-22 上午".into()),
    });
    let mut event = logged_in(lang);
    event.screen = Screen::Event;
    event.event = Some(EventRun {
        name: "政策宣传 2026-11-22".into(),
        activity: pointsdesk::ledger::ActivityView {
            activity: "A03".into(),
            name: "政策宣传".into(),
            points_per_hour: Points(10),
            enabled: true,
        },
        minutes: 120,
        points: Points(20),
        credited: 17,
    });
    let txn = "01a20171-f3d4-7569-9b61-4703d3022e6b";
    let mut reverse = logged_in(lang);
    reverse.screen = Screen::Reverse;
    reverse.txn_form = Some(TxnForm {
        txn: TextField::prefilled("d3022e6b"),
        found: Some(receipt(txn, ReceiptKind::Redeem, -10)),
        reason: TextField::from("居民拿错商品"),
        admin_no: TextField::from("001"),
        admin_pin: TextField::from("12"),
        field: ReverseField::AdminPin,
        ..TxnForm::default()
    });
    let mut reversed_already = logged_in(lang);
    reversed_already.screen = Screen::Reverse;
    let mut done = receipt(txn, ReceiptKind::Redeem, -10);
    done.reversed = Some(pointsdesk::ledger::ReversedBy {
        txn: "01a20172-0000-7000-8000-00000000beef".into(),
        at: "2026-11-22 15:30".into(),
    });
    reversed_already.txn_form = Some(TxnForm {
        txn: TextField::prefilled("d3022e6b"),
        found: Some(done),
        ..TxnForm::default()
    });
    reversed_already.notice = notice(
        NoticeKind::Error,
        lang.pick(
            "这笔交易已于 2026-11-22 15:30 冲正（冲正单 0000beef），不能再冲正",
            "This txn was reversed at 2026-11-22 15:30 (reversal 0000beef); it cannot be reversed again",
        ),
    );
    let mut pick = logged_in(lang);
    pick.screen = Screen::Reprint;
    let mut earned = receipt(
        "01a20171-f3d4-7569-9b61-4703abcd2222",
        ReceiptKind::Earn,
        15,
    );
    earned.lines.clear();
    earned.activity = Some("垃圾分类督导".into());
    pick.txn_form = Some(TxnForm {
        txn: TextField::from("abcd"),
        candidates: vec![
            receipt(
                "01a20171-f3d4-7569-9b61-4703abcd1111",
                ReceiptKind::Redeem,
                -10,
            ),
            earned,
        ],
        picked: 1,
        ..TxnForm::default()
    });
    let mut txn_view = logged_in(lang);
    txn_view.screen = Screen::Txn;
    txn_view.txn_form = Some(TxnForm {
        txn: TextField::prefilled("d3022e6b"),
        found: Some(receipt(txn, ReceiptKind::Redeem, -10)),
        ..TxnForm::default()
    });
    let mut report = logged_in(lang);
    report.screen = Screen::Report;
    let mut by_hour: Vec<(u32, i64, i64)> = (0..24).map(|h| (h, 0, 0)).collect();
    by_hour[9] = (9, 120, 40);
    by_hour[10] = (10, 60, 95);
    by_hour[15] = (15, 30, 12);
    report.report = Some(pointsdesk::ledger::DayReport {
        day: "2026-11-22".into(),
        by_hour,
        by_item: vec![
            ("大米 5kg".into(), 2, 80),
            ("洗衣皂".into(), 7, 35),
            ("理发".into(), 2, 20),
        ],
        by_activity: vec![("垃圾分类督导".into(), 120), ("探望独居老人".into(), 90)],
        residents_served: 9,
        points_earned: 210,
        points_spent: 147,
        items_out: 11,
    });
    let mut day_close = report.clone();
    day_close.ask = Some(Ask::DayClose);
    day_close.notice = notice(
        NoticeKind::Ask,
        lang.pick(
            "打印今日（2026-11-22）的日结单？回车打印，Esc 取消",
            "Print today's (2026-11-22) day-close slip? Enter prints, Esc cancels",
        ),
    );
    let mut stock = logged_in(lang);
    stock.screen = Screen::Stock;
    stock.selected = 2;
    stock.stock_mode = StockMode::Donor;
    stock.stock_item = Some("G003".into());
    stock.qty_input = TextField::from("24");
    stock.donor_input = TextField::from("区慈善超市");
    let mut hardware = logged_in(lang);
    hardware.screen = Screen::Hardware;
    hardware.printer = PrinterState::Ready {
        simulator: true,
        paper_near_end: true,
    };
    hardware.key_log = vec![
        KeyLogLine::Key {
            key: Key::Char('1'),
            gap_ms: 210,
        },
        KeyLogLine::Key {
            key: Key::Enter,
            gap_ms: 180,
        },
        KeyLogLine::Scan {
            text: "6901234500011".into(),
            kind: pointsdesk::scanner::ScanKind::Barcode("6901234500011".into()),
        },
    ];
    let mut printer_problem = hardware.clone();
    printer_problem.printer = PrinterState::Problem(
        pointsdesk::printer::status::Problem::PaperOut
            .message(lang)
            .into(),
    );
    let mut sync = logged_in(lang);
    sync.screen = Screen::Sync;
    sync.sync = Some(sync_status());
    sync.sync_brief = SyncBrief::of(sync.sync.as_ref().unwrap());
    let mut no_district = logged_in(lang);
    no_district.screen = Screen::Sync;
    no_district.sync = Some(SyncStatus {
        district: None,
        series: vec![series(1, "三桥爱心超市", None, 25, true, None, None)],
        overdrafts: Vec::new(),
        duplicates: Vec::new(),
        forks: Vec::new(),
        last_import: None,
        last_export: None,
    });
    no_district.sync_brief = SyncBrief::NoDistrict;
    vec![
        ("stock", stock),
        ("hardware", hardware),
        ("hardware-paper-out", printer_problem),
        ("sync", sync),
        ("sync-no-district", no_district),
        ("report", report),
        ("report-day-close", day_close),
        ("reverse", reverse),
        ("reverse-already-reversed", reversed_already),
        ("reprint-pick", pick),
        ("txn", txn_view),
        ("earn", earn),
        ("earn-confirm", earn_confirm),
        ("event-setup", event_setup),
        ("event-confirm", event_confirm),
        ("event", event),
        ("login", login),
        ("login-error", login_error),
        ("login-demo", demo_login),
        ("home", home),
        ("home-typing", home_typing),
        ("home-sync-attention", home_sync_attention),
        ("home-demo", demo_home),
        ("admin-confirm", admin_confirm),
        ("resident", resident),
        ("resident-by-number", resident_by_number),
        ("redeem", redeem),
        ("redeem-over-limit", over_limit),
        ("redeem-drop-ask", drop_ask),
        ("confirm", confirm),
        ("redeem-insufficient", short),
        ("resident-with-slip", printed),
    ]
}

/// The screen as text: a wide character's shadow cell is skipped, so columns read as they look.
fn screen_text(buffer: &ratatui::buffer::Buffer) -> String {
    use unicode_width::UnicodeWidthStr;
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let symbol = buffer[(x, y)].symbol();
            out.push_str(symbol);
            x += (symbol.width() as u16).max(1);
        }
        out.push('\n');
    }
    out
}

#[test]
fn every_screen_at_two_sizes_in_both_languages() {
    for lang in [Lang::ZhCn, Lang::En] {
        for (name, model) in screens(lang) {
            for (width, height) in SIZES {
                let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
                terminal.draw(|frame| view(frame, &model)).unwrap();
                let snapshot = screen_text(terminal.backend().buffer());
                insta::assert_snapshot!(
                    format!("{name}-{}-{width}x{height}", lang.code()),
                    snapshot
                );
            }
        }
    }
}

#[test]
fn a_frame_of_every_screen_renders_without_panicking_at_small_and_odd_sizes() {
    for (name, model) in screens(Lang::ZhCn) {
        for (width, height) in [(40, 12), (81, 25), (200, 60), (1, 1)] {
            let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
            terminal
                .draw(|frame| view(frame, &model))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn a_prefilled_field_is_drawn_selected_and_a_typed_one_is_not() {
    let drawn = |hours: TextField| {
        let mut model = logged_in(Lang::ZhCn);
        model.account = Some(account());
        model.screen = Screen::Earn;
        model.hours_input = hours;
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|frame| view(frame, &model)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        let row = screen_text(&buffer)
            .lines()
            .position(|line| line.contains("时长（小时）"))
            .expect("the hours row") as u16;
        let x = (0..80)
            .find(|&x| buffer[(x, row)].symbol() == "1")
            .expect("the hours");
        buffer[(x, row)].modifier
    };
    let selected = ratatui::style::Modifier::REVERSED;
    assert!(drawn(TextField::prefilled("1")).contains(selected));
    assert!(!drawn(TextField::from("1")).contains(selected));
}

#[test]
fn the_slip_panel_shows_the_paper_centred_and_bold_without_markup() {
    let mut model = screens(Lang::ZhCn)
        .into_iter()
        .find(|(name, _)| *name == "resident-with-slip")
        .unwrap()
        .1;
    model.lang = Lang::ZhCn;
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|frame| view(frame, &model)).unwrap();
    let buffer = terminal.backend().buffer();
    let text = screen_text(buffer);
    for markup in ["[CENTER]", "[BOLD]", "[2x]", "[INIT]", "[CUT", "[QR:"] {
        assert!(!text.contains(markup), "{markup} on screen:\n{text}");
    }
    assert!(text.contains("[二维码]"), "{text}");
    // The panel is the last 52 columns; its paper strip the middle 48 of its inner 50.
    let row_of = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen:\n{text}"))
    };
    let strip = 120 - 52 + 1 + 1..120 - 1 - 1;
    let title_row = row_of("三桥社区") as u16;
    let cells: Vec<u16> = strip
        .clone()
        .filter(|&x| buffer[(x, title_row)].symbol() != " ")
        .collect();
    let (first, last) = (cells[0], *cells.last().unwrap());
    let (left, right) = (first - strip.start, strip.end - 1 - last);
    assert!(
        left.abs_diff(right) <= 1,
        "title centred: {left} left, {right} right"
    );
    assert!(left > 10, "not at the left edge: {left}");
    let modifier = buffer[(first, title_row)].modifier;
    assert!(
        modifier.contains(ratatui::style::Modifier::BOLD),
        "the title is bold: {modifier:?}"
    );
    let item_row = row_of("洗衣皂") as u16;
    assert_eq!(
        buffer[(strip.start, item_row)].symbol(),
        "洗",
        "item lines start at the left"
    );
    assert!(
        !buffer[(strip.start, item_row)]
            .modifier
            .contains(ratatui::style::Modifier::BOLD)
    );
}
