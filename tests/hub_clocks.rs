//! A counter whose clock ran three years fast and was then set right: its entries are kept,
//! and the hub lists the ones whose time cannot be right, on both stores.

mod hub;

use hub::{Counter, StoreKind, TestHub};

fn clock_years_off(kind: StoreKind) {
    let hub = TestHub::start(kind);
    let mut a = Counter::enrolled(&hub, 0);
    let (_passbook, scan) = a.resident("赵六");
    a.earn(&scan, 60);
    a.sync(&hub);
    assert!(hub.hub().report().unwrap().skews.is_empty());
    // The clock runs three years fast for two bookings, then it is set right.
    let fast = chrono::Utc::now() + chrono::Duration::days(3 * 365);
    a.ledger.set_clock(Box::new(move || fast));
    a.earn(&scan, 60);
    a.earn(&scan, 60);
    a.ledger.set_clock(Box::new(chrono::Utc::now));
    a.earn(&scan, 60);
    a.sync(&hub);
    let report = hub.hub().report().unwrap();
    let skews: Vec<&str> = report.skews.iter().map(|s| s.skew.as_str()).collect();
    assert_eq!(
        skews.iter().filter(|s| **s == "ahead_of_arrival").count(),
        2,
        "{report:?}"
    );
    assert_eq!(
        skews.iter().filter(|s| **s == "before_predecessor").count(),
        1,
        "{report:?}"
    );
    assert!(report.skews.iter().all(|s| s.counter.contains(&a.name)));
    let page = pointsdesk::hub::pages::overview(pointsdesk::i18n::Lang::ZhCn, &report);
    assert!(
        page.contains("时间不对的记录") && page.contains("晚于送达街道的时间"),
        "{page}"
    );
}

#[test]
fn entries_dated_years_off_are_listed_at_the_hub_on_sqlite() {
    clock_years_off(StoreKind::Sqlite);
}

#[cfg(feature = "system-tests")]
#[test]
fn entries_dated_years_off_are_listed_at_the_hub_on_postgresql() {
    clock_years_off(StoreKind::Postgres);
}
