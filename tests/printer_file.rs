//! The `file:` transport: a plain file (or a device configured with `status=none`) cannot
//! answer status queries, so it gets the slip without them, the slip leaves the queue as sent,
//! and the operator is told the printer's state is unknown; a character device is still asked.

mod support;

use pointsdesk::home::Home;
use pointsdesk::i18n::Lang;
use pointsdesk::printer::decode::{Event, decode_all, render};
use pointsdesk::printer::layout;
use pointsdesk::printer::print::{Outcome, PrintService};
use pointsdesk::printer::setup;
use pointsdesk::printer::status::{self, Problem};
use slip_samples::{TXN, header, typical_redemption};
use std::path::Path;
use support::Desk;

mod slip_samples;

/// A home whose config.toml sends slips to `transport` on the generic-80 profile.
fn home_printing_to(dir: &Path, transport: &str) -> Home {
    std::fs::write(
        dir.join("config.toml"),
        format!("[printer]\nprofile = \"generic-80\"\ntransport = \"{transport}\"\n"),
    )
    .unwrap();
    Home {
        dir: dir.to_path_buf(),
    }
}

fn configured(home: &Home) -> PrintService {
    let (service, sim) = setup::configured(home).unwrap();
    assert!(sim.is_none(), "a transport is configured");
    service
}

#[test]
fn a_slip_to_a_plain_file_lands_in_it_whole_is_marked_printed_and_its_state_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let slips = dir.path().join("slips.bin");
    std::fs::write(&slips, b"").unwrap();
    let home = home_printing_to(dir.path(), &format!("file:{}", slips.display()));
    let mut service = configured(&home);

    let blocks = layout::txn_slip(&header(), &typical_redemption(), Lang::ZhCn, false);
    let outcome = service.submit(Some(TXN), "redeem", &blocks).unwrap();
    assert!(
        matches!(outcome, Outcome::SentUnchecked { .. }),
        "not queued with a garbled reply, not claimed ready: {outcome:?}"
    );

    let written = std::fs::read(&slips).unwrap();
    let events = decode_all(&written);
    assert!(
        !events.iter().any(|e| matches!(e, Event::StatusQuery(_))),
        "no status query was written into the file"
    );
    let meant = layout::render(&blocks, &service.profile);
    assert_eq!(render(&events), render(&decode_all(&meant)));
    assert!(render(&events).contains("洗衣皂"));

    assert!(
        service.queue().waiting().unwrap().is_empty(),
        "nothing waits"
    );
    assert_eq!(service.queue().printed_count(TXN).unwrap(), 1);
    assert!(status::sent_unchecked_message(Lang::ZhCn).contains("不回报状态"));
}

#[test]
fn a_second_slip_to_the_same_file_follows_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let slips = dir.path().join("slips.bin");
    std::fs::write(&slips, b"").unwrap();
    let home = home_printing_to(dir.path(), &format!("file:{}", slips.display()));
    let mut service = configured(&home);
    let blocks = layout::test_slip(&service.profile, Lang::En);
    for _ in 0..2 {
        service.submit(None, "test", &blocks).unwrap();
    }
    let cuts = decode_all(&std::fs::read(&slips).unwrap())
        .into_iter()
        .filter(|e| matches!(e, Event::Cut { .. }))
        .count();
    assert_eq!(cuts, 2);
}

#[test]
fn a_character_device_is_asked_for_its_status_unless_configured_not_to_be() {
    // /dev/null takes the bytes and never answers: asked, it is a printer that gives no reply.
    let dir = tempfile::tempdir().unwrap();
    let blocks = layout::test_slip(
        &pointsdesk::printer::profile::Profile::built_in("generic-80").unwrap(),
        Lang::ZhCn,
    );
    let mut asked = configured(&home_printing_to(dir.path(), "file:/dev/null"));
    let outcome = asked.submit(None, "test", &blocks).unwrap();
    assert!(
        matches!(
            outcome,
            Outcome::Queued {
                problem: Problem::NoReply,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(asked.status(), status::Verdict::Problem(Problem::NoReply));

    let dir = tempfile::tempdir().unwrap();
    let mut not_asked = configured(&home_printing_to(dir.path(), "file:/dev/null?status=none"));
    let outcome = not_asked.submit(None, "test", &blocks).unwrap();
    assert!(
        matches!(outcome, Outcome::SentUnchecked { .. }),
        "{outcome:?}"
    );
    assert_eq!(not_asked.status(), status::Verdict::Unknown);
}

/// Sets `[printer] transport` in the home's config.toml (the template has the section).
fn set_transport(desk: &Desk, transport: &str) {
    let path = desk.home.join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let config = config.replacen(
        "[printer]\n",
        &format!("[printer]\ntransport = \"{transport}\"\n"),
        1,
    );
    std::fs::write(&path, config).unwrap();
}

#[test]
fn redeem_with_print_to_a_plain_file_succeeds_and_says_to_look_at_the_paper() {
    let (desk, scan) = Desk::seeded();
    let slips = desk.path("slips.bin");
    std::fs::write(&slips, b"").unwrap();
    set_transport(&desk, &format!("file:{}", slips.display()));
    desk.ok(&[
        "earn",
        "--passbook",
        &scan,
        "--activity",
        "A01",
        "--hours",
        "3",
    ]);

    let out = desk.run(&["redeem", "--passbook", &scan, "--item", "S001", "--print"]);
    out.expect_code(0);
    assert!(
        out.stderr.contains("此设备不回报状态") && out.stderr.contains("是否出纸"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("pointsdesk reprint "), "{}", out.stderr);
    assert!(
        !out.stderr.contains("波特率"),
        "not a garbled reply: {}",
        out.stderr
    );
    let text = render(&decode_all(&std::fs::read(&slips).unwrap()));
    assert!(text.contains("兑换凭证") && text.contains("理发"), "{text}");

    let queue = desk.json(&["hw", "queue"]);
    assert_eq!(queue, serde_json::json!([]), "nothing waits in the queue");

    let en = desk.run(&["--lang", "en", "hw", "status"]);
    en.expect_code(0);
    assert!(
        en.stdout.contains("does not report status"),
        "{}",
        en.stdout
    );

    let test = desk.run(&["--lang", "en", "hw", "print-test"]);
    test.expect_code(0);
    assert!(
        test.stdout.contains("Test slip sent"),
        "not 'printed': {}",
        test.stdout
    );
    assert!(
        test.stderr.contains("check that the slip came out"),
        "{}",
        test.stderr
    );
}
