//! The counter's promises tried from outside, as an attacker or a careless hand would: parallel
//! processes, the sqlite3 shell, a restore, strange characters, a wrong clock, a full disk, a
//! typo in config.toml. Each test runs the real binary on its own throwaway home.

mod support;

use std::time::Duration;
use support::{Desk, Running};

/// The volunteer every test here adds after `init`.
const VOLUNTEER: &str = "002";
const VOLUNTEER_PIN: &str = "2468";
/// Parallel login attempts in the lockout test.
const PARALLEL_ATTEMPTS: usize = 40;

fn with_volunteer(desk: &Desk) {
    let mut command = desk.command(&["operator", "add", "--name", "李建国", "--role", "volunteer"]);
    command.env("POINTSDESK_NEW_PIN", VOLUNTEER_PIN);
    desk.run_command(command).expect_code(0);
}

// ----- 1. lockout under concurrency -----

#[test]
fn forty_parallel_wrong_pins_check_at_most_five_before_the_operator_is_locked() {
    let desk = Desk::init();
    with_volunteer(&desk);
    let running: Vec<Running> = (0..PARALLEL_ATTEMPTS)
        .map(|i| {
            let mut command = desk.command(&["resident", "add", "--name", &format!("居民{i}")]);
            command
                .env("POINTSDESK_OPERATOR", VOLUNTEER)
                .env("POINTSDESK_PIN", "9999");
            Running::spawn(command)
        })
        .collect();
    let outs: Vec<_> = running
        .into_iter()
        .map(|r| r.finish(Duration::from_secs(120)))
        .collect();
    let wrong = outs
        .iter()
        .filter(|o| o.stderr.contains("还可尝试"))
        .count();
    let locked = outs.iter().filter(|o| o.stderr.contains("已锁定")).count();
    for out in &outs {
        assert_eq!(out.code(), Some(1), "every attempt is refused: {out:?}");
        assert!(
            !out.all().contains("locked"),
            "no database lock reaches anyone: {out:?}"
        );
    }
    assert_eq!(wrong, 4, "four wrong PINs are told how many tries are left");
    assert_eq!(
        locked,
        PARALLEL_ATTEMPTS - 4,
        "the fifth check locks, and every later attempt is refused without a check"
    );
    let locks: i64 = desk
        .db()
        .query_row(
            "SELECT COUNT(*) FROM entries WHERE kind = 'operator_locked'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(locks, 1, "one lock entry");
    assert_eq!(desk.entries_of_kind("resident_registered"), 0);
    let correct = desk
        .as_operator(VOLUNTEER, VOLUNTEER_PIN)
        .run(&["resident", "add", "--name", "王五"]);
    correct.expect_code(1);
    assert!(correct.stderr.contains("已锁定"), "{correct:?}");
}
