//! The nightly sync while the counter's screens are open: the volunteer keeps booking, the
//! sync takes its turns on the database without a lock error, and the sync screen shows what
//! the sync did.

mod hub;

use hub::{ADMIN_PIN, Counter, StoreKind, TestHub};
use pointsdesk::counter::driver::Headless;
use pointsdesk::counter::model::{Key, SYNC_REFRESH_MS, Screen};
use pointsdesk::i18n::Lang;

#[test]
fn the_sync_runs_while_the_counter_books_and_the_sync_screen_shows_what_it_did() {
    let hub = TestHub::start(StoreKind::Sqlite);
    let mut a = Counter::enrolled(&hub, 0);
    let mut b = Counter::enrolled(&hub, 1);
    // B's counter has a few hundred entries for A to pull.
    let theirs: Vec<(String, String)> = (0..10).map(|n| b.resident(&format!("居民{n}"))).collect();
    for i in 0..300 {
        b.earn(&theirs[i % theirs.len()].1, 15);
    }
    b.sync(&hub);
    let (_, scan) = a.resident("张三明");
    a.earn(&scan, 600);
    let mut ui = Headless::open(&a.home, Lang::ZhCn, None).unwrap();
    ui.type_text("001");
    ui.press(Key::Enter);
    ui.type_text(ADMIN_PIN);
    ui.press(Key::Enter);
    assert_eq!(ui.model.screen, Screen::Home);

    let url = hub.url.clone();
    let home = pointsdesk::home::Home {
        dir: a.home.dir.clone(),
    };
    let job = std::thread::spawn(move || {
        let mut ledger = home.open().unwrap();
        let client = pointsdesk::sync::client::HubClient::new(&url, None).unwrap();
        pointsdesk::sync::nightly::sync(&home, &mut ledger, &client, 3, &mut |_| {})
    });
    // Meanwhile the volunteer redeems soap three times.
    for _ in 0..3 {
        ui.scan(&scan);
        ui.press(Key::Enter);
        ui.type_text("G001");
        ui.press(Key::Enter);
        ui.press(Key::F(5));
        ui.press(Key::Enter);
        assert_eq!(ui.model.screen, Screen::Resident, "{:?}", ui.model.notice);
        ui.press(Key::Esc);
    }
    let summary = job
        .join()
        .unwrap()
        .expect("the sync ran beside the counter");
    assert!(summary.pulled_new >= 300, "{summary:?}");
    // The counter asks for the sync's state now and then; the title bar and the sync screen
    // show the import.
    ui.idle(SYNC_REFRESH_MS);
    ui.press(Key::F(9));
    let screen = ui.screen(120, 40);
    assert!(screen.contains("二桥爱心超市"), "{screen}");
    assert!(
        screen.contains("最近导入：") && !screen.contains("最近导入：还没有"),
        "{screen}"
    );
    assert!(!screen.contains("同步：尚未同步"), "{screen}");
    // Everything booked at the counter during the sync reaches the hub next time.
    let next = a.sync(&hub);
    assert!(next.push_refusals.is_empty(), "{next:?}");
    assert_eq!(a.heads(), hub::hub_heads(&hub));
    a.assert_verifies();
}
