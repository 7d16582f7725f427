//! The printer simulator on a real pseudo-terminal: slips written by a client come out as the
//! text and QR the layout meant; status queries are answered as the state says; paper out,
//! a client closing mid-receipt and unread garbage replies are handled. Every wait is bounded.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use pointsdesk::i18n::Lang;
use pointsdesk::passbook::slip_qr::txn_qr_payload;
use pointsdesk::printer::decode::{decode_all, render};
use pointsdesk::printer::escpos;
use pointsdesk::printer::layout;
use pointsdesk::printer::profile::Profile;
use pointsdesk::printer::sim::{
    GARBAGE_REPLY, Notice, SimConfig, SimState, Simulator, status_reply,
};
use serialport::{SerialPort, TTYPort};
use slip_samples::{header, line, redemption_of};

mod slip_samples;

/// Longest wait for anything the simulator does; it normally takes a few milliseconds.
const WAIT: Duration = Duration::from_secs(3);

/// How long a client waits for a status reply that must not come.
const SILENCE: Duration = Duration::from_millis(150);

/// Pause between looks at files and notices while waiting.
const POLL: Duration = Duration::from_millis(10);

/// The slip's bytes for a profile, and the text the layout meant (decoded without a pty).
fn redemption() -> pointsdesk::ledger::Receipt {
    redemption_of(vec![
        line("G001", "洗衣皂", 2, 5),
        line("G002", "抽纸（3包）", 1, 8),
        line("G005", "酱油", 1, 10),
    ])
}

fn slip(profile: &str) -> (Vec<u8>, String) {
    let profile = Profile::built_in(profile).unwrap();
    let blocks = layout::txn_slip(&header(), &redemption(), Lang::ZhCn, false);
    let bytes = layout::render(&blocks, &profile);
    let meant = render(&decode_all(&bytes));
    (bytes, meant)
}

fn start(dir: &Path, state: SimState) -> Simulator {
    Simulator::start(SimConfig {
        out_dir: dir.to_path_buf(),
        state,
        paper_columns: 48,
    })
    .unwrap()
}

fn client(sim: &Simulator) -> TTYPort {
    serialport::new(sim.path(), 9600)
        .timeout(WAIT)
        .open_native()
        .unwrap()
}

fn send(client: &mut TTYPort, bytes: &[u8]) {
    client.write_all(bytes).unwrap();
    client.flush().unwrap();
}

/// Sends `DLE EOT n` and reads `len` reply bytes.
fn ask(client: &mut TTYPort, n: u8, len: usize) -> Vec<u8> {
    send(client, &escpos::status_query(n));
    let mut reply = vec![0; len];
    client.read_exact(&mut reply).unwrap();
    reply
}

/// Everything that arrives within [`SILENCE`].
fn unasked_bytes(client: &mut TTYPort) -> Vec<u8> {
    client.set_timeout(SILENCE).unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16];
    while let Ok(n) = client.read(&mut buf) {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    client.set_timeout(WAIT).unwrap();
    bytes
}

/// Collects notices until one matches (bounded by [`WAIT`]); returns all seen.
fn wait_for_notice(sim: &Simulator, wanted: impl Fn(&Notice) -> bool) -> Vec<Notice> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        seen.extend(sim.take_notices());
        if seen.iter().any(&wanted) {
            return seen;
        }
        std::thread::sleep(POLL);
    }
    panic!("notice not seen within {WAIT:?}: {seen:?}");
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn a_redemption_slip_through_the_pty_decodes_to_exactly_the_text_and_qr_the_layout_meant() {
    let receipt = redemption();
    for profile in ["generic-80", "generic-58"] {
        let dir = tempfile::tempdir().unwrap();
        let sim = start(dir.path(), SimState::Ready);
        let mut client = client(&sim);
        let (bytes, meant) = slip(profile);
        send(&mut client, &bytes);

        let receipts = sim.wait_receipts(1, WAIT);
        assert_eq!(receipts, vec![meant.clone()], "{profile}");
        let text = &receipts[0];
        for expected in ["三桥社区", "洗衣皂", "张*明", "SQ-A000123"] {
            assert!(text.contains(expected), "{profile}: {expected} in\n{text}");
        }
        let payload = txn_qr_payload(&receipt.txn);
        assert!(payload.starts_with("PDT"));
        // Native QR on the 80 mm printer; a raster image the decoder reads back on the 58 mm.
        let (qr, end) = match profile {
            "generic-80" => (format!("\n[CENTER][QR: {payload}]\n"), "[CUT partial]\n"),
            _ => (format!(" QR: {payload}]\n"), "\n\n\n\n"),
        };
        assert!(text.contains(&qr), "{profile}: {qr} in\n{text}");
        assert!(text.ends_with(end), "{profile}: ends with {end:?}\n{text}");
        assert_eq!(file_names(dir.path()), ["receipt-0001.txt"], "{profile}");
        assert_eq!(read(dir.path(), "receipt-0001.txt"), meant, "{profile}");
    }
}

#[test]
fn two_slips_in_one_write_are_two_receipts_in_two_files() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::Ready);
    let mut client = client(&sim);
    let (bytes, meant) = slip("generic-80");
    send(&mut client, &[bytes.clone(), bytes].concat());
    assert_eq!(sim.wait_receipts(2, WAIT), vec![meant.clone(), meant]);
    assert_eq!(
        file_names(dir.path()),
        ["receipt-0001.txt", "receipt-0002.txt"]
    );
}

#[test]
fn status_queries_get_the_reply_byte_of_each_state() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::Ready);
    let mut client = client(&sim);
    for state in [
        SimState::Ready,
        SimState::PaperNearEnd,
        SimState::PaperOut,
        SimState::CoverOpen,
        SimState::Offline,
    ] {
        sim.set_state(state);
        for n in [1, 2, 3, 4] {
            let expected = status_reply(state, n).unwrap();
            assert_eq!(ask(&mut client, n, 1), [expected], "{state:?} n={n}");
        }
    }
    assert_eq!(ask(&mut client, 1, 1), [0x1A], "offline");
    sim.set_state(SimState::PaperOut);
    assert_eq!(ask(&mut client, 4, 1), [0x7E], "paper out (and near end)");
    sim.set_state(SimState::CoverOpen);
    assert_eq!(ask(&mut client, 2, 1), [0x16], "cover open");
    sim.set_state(SimState::Ready);
    assert_eq!(ask(&mut client, 1, 1), [0x12]);
    assert!(unasked_bytes(&mut client).is_empty(), "one byte per query");
}

#[test]
fn a_silent_printer_answers_nothing_and_a_garbled_one_sends_junk() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::Silent);
    let mut client = client(&sim);
    send(&mut client, &escpos::status_query(1));
    assert!(unasked_bytes(&mut client).is_empty());

    sim.set_state(SimState::Garbage);
    assert_eq!(ask(&mut client, 1, GARBAGE_REPLY.len()), GARBAGE_REPLY);
    assert!(unasked_bytes(&mut client).is_empty());

    // Silence and junk are about replies only: the slip still prints.
    let (bytes, meant) = slip("generic-58");
    send(&mut client, &bytes);
    assert_eq!(sim.wait_receipts(1, WAIT), vec![meant]);
}

#[test]
fn paper_out_before_a_job_prints_nothing_but_status_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::PaperOut);
    let mut client = client(&sim);
    let (bytes, meant) = slip("generic-80");
    send(&mut client, &bytes);
    // The reply comes after the slip's bytes were read: the stream is in order.
    assert_eq!(ask(&mut client, 4, 1), [0x7E]);
    assert!(sim.receipts().is_empty());
    assert!(sim.partials().is_empty());
    assert!(
        file_names(dir.path()).is_empty(),
        "no file for a discarded job"
    );
    let notices = sim.take_notices();
    assert!(
        notices.contains(&Notice::Discarding(SimState::PaperOut)),
        "{notices:?}"
    );

    sim.set_state(SimState::Ready);
    send(&mut client, &bytes);
    assert_eq!(sim.wait_receipts(1, WAIT), vec![meant]);
}

#[test]
fn paper_out_mid_job_keeps_the_printed_part_as_partial_and_the_reprint_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::Ready);
    let mut client = client(&sim);
    let (bytes, meant) = slip("generic-80");
    let (printed, lost) = bytes.split_at(bytes.len() / 2);
    send(&mut client, printed);
    assert_eq!(ask(&mut client, 1, 1), [0x12]);
    sim.set_state(SimState::PaperOut);
    send(&mut client, lost);
    assert_eq!(ask(&mut client, 1, 1), [0x1A]);

    let partials = sim.partials();
    assert_eq!(partials.len(), 1, "{partials:?}");
    assert!(partials[0].contains("三桥社区"), "{}", partials[0]);
    assert!(
        partials[0].ends_with("[PARTIAL: paper-out]\n"),
        "{}",
        partials[0]
    );
    assert!(sim.receipts().is_empty());

    sim.set_state(SimState::Ready);
    send(&mut client, &bytes);
    assert_eq!(sim.wait_receipts(1, WAIT), vec![meant]);
    assert_eq!(
        file_names(dir.path()),
        ["receipt-0001-partial.txt", "receipt-0002.txt"]
    );
}

#[test]
fn a_port_closed_mid_receipt_leaves_a_partial_file_and_the_next_client_prints() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::Ready);
    let (bytes, meant) = slip("generic-80");
    let half = &bytes[..bytes.len() / 2];

    // Read by the simulator before the close (the reply proves it) ...
    let mut first = client(&sim);
    send(&mut first, half);
    assert_eq!(ask(&mut first, 1, 1), [0x12]);
    drop(first);
    wait_for_notice(&sim, |n| matches!(n, Notice::Disconnected));

    // ... and closed right after writing: the bytes may still wait in the pty.
    let mut second = client(&sim);
    send(&mut second, half);
    drop(second);
    wait_for_notice(&sim, |n| matches!(n, Notice::Disconnected));

    let partials = sim.partials();
    assert_eq!(partials.len(), 2, "{partials:?}");
    for partial in &partials {
        assert!(partial.starts_with("[INIT]\n"), "{partial}");
        assert!(partial.contains("三桥社区"), "{partial}");
        assert!(partial.ends_with("[PARTIAL: port closed]\n"), "{partial}");
    }
    // The second half-slip has no status query in it.
    assert_eq!(
        partials[1].replace("[PARTIAL: port closed]\n", ""),
        render(&{
            let mut decoder = pointsdesk::printer::decode::Decoder::new();
            let mut events = decoder.feed(half);
            events.extend(decoder.finish());
            events
        })
    );
    assert!(sim.receipts().is_empty());

    let mut third = client(&sim);
    send(&mut third, &bytes);
    assert_eq!(sim.wait_receipts(1, WAIT), vec![meant.clone()]);
    assert_eq!(
        file_names(dir.path()),
        [
            "receipt-0001-partial.txt",
            "receipt-0002-partial.txt",
            "receipt-0003.txt"
        ]
    );
    assert_eq!(read(dir.path(), "receipt-0003.txt"), meant);
    assert_eq!(read(dir.path(), "receipt-0002-partial.txt"), partials[1]);
}

#[test]
fn a_slip_for_a_printer_without_a_cutter_written_and_closed_at_once_is_a_whole_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::Ready);
    let (bytes, meant) = slip("generic-58");
    let mut client = client(&sim);
    send(&mut client, &bytes);
    drop(client);
    assert_eq!(sim.wait_receipts(1, WAIT), vec![meant]);
    wait_for_notice(&sim, |n| matches!(n, Notice::Disconnected));
    assert!(sim.partials().is_empty());
    assert_eq!(file_names(dir.path()), ["receipt-0001.txt"]);
}

#[test]
fn replies_a_closed_client_left_unread_do_not_greet_the_next_client() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::Garbage);
    let mut first = client(&sim);
    send(&mut first, &escpos::status_query(1));
    let mut one = [0u8; 1];
    first.read_exact(&mut one).unwrap();
    assert_eq!(one[0], GARBAGE_REPLY[0]);
    // Wait until the rest of the reply arrived, then leave it unread.
    let deadline = std::time::Instant::now() + WAIT;
    while first.bytes_to_read().unwrap() < (GARBAGE_REPLY.len() - 1) as u32 {
        assert!(
            std::time::Instant::now() < deadline,
            "the rest of the reply never came"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(first);
    wait_for_notice(&sim, |n| matches!(n, Notice::Disconnected));

    sim.set_state(SimState::Ready);
    let mut second = client(&sim);
    assert!(unasked_bytes(&mut second).is_empty());
    assert_eq!(ask(&mut second, 1, 1), [0x12]);
}

#[test]
fn stopping_ends_the_thread_promptly_and_keeps_an_unfinished_receipt_as_partial() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::Ready);
    let mut client = client(&sim);
    let (bytes, _) = slip("generic-80");
    send(&mut client, &bytes[..bytes.len() / 3]);
    assert_eq!(ask(&mut client, 1, 1), [0x12]);

    let started = Instant::now();
    sim.stop();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(file_names(dir.path()), ["receipt-0001-partial.txt"]);
    let partial = read(dir.path(), "receipt-0001-partial.txt");
    assert!(
        partial.ends_with("[PARTIAL: simulator stopped]\n"),
        "{partial}"
    );
}

#[test]
fn receipt_files_continue_after_those_of_an_earlier_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("receipt-0004.txt"), "earlier run").unwrap();
    let sim = start(dir.path(), SimState::Ready);
    let mut client = client(&sim);
    let (bytes, meant) = slip("generic-80");
    send(&mut client, &bytes);
    assert_eq!(sim.wait_receipts(1, WAIT), vec![meant.clone()]);
    assert_eq!(read(dir.path(), "receipt-0005.txt"), meant);
    assert_eq!(read(dir.path(), "receipt-0004.txt"), "earlier run");
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A passbook slip's bytes for a profile, and its token.
fn passbook_slip(profile: &str) -> (Vec<u8>, pointsdesk::passbook::Token) {
    let token = pointsdesk::passbook::Token::from_random([7; 16]);
    let blocks =
        layout::passbook_slip(&header(), "SQ-A000123", "张*明", token.as_str(), Lang::ZhCn);
    let bytes = layout::render(&blocks, &Profile::built_in(profile).unwrap());
    (bytes, token)
}

#[test]
fn receipt_files_and_their_folder_are_owner_only_and_keep_no_passbook_token() {
    for profile in ["generic-80", "generic-58"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sim-receipts");
        let sim = start(&out, SimState::Ready);
        let (bytes, token) = passbook_slip(profile);
        let mut first = client(&sim);
        send(&mut first, &bytes);
        assert_eq!(sim.wait_receipts(1, WAIT).len(), 1, "{profile}");
        // Half a slip, then the port closes: a partial receipt.
        send(&mut first, &bytes[..bytes.len() / 2]);
        drop(first);
        wait_for_notice(&sim, |n| matches!(n, Notice::Partial { .. }));

        assert_eq!(
            mode(&out),
            0o700,
            "{profile}: the folder the simulator made"
        );
        let names = file_names(&out);
        assert_eq!(
            names,
            ["receipt-0001.txt", "receipt-0002-partial.txt"],
            "{profile}"
        );
        let shown = format!("{}…", &token.as_str()[..6]);
        for name in &names {
            assert_eq!(mode(&out.join(name)), 0o600, "{profile}: {name}");
            let text = read(&out, name);
            assert!(!text.contains(token.as_str()), "{profile}: {name}:\n{text}");
            assert!(!text.contains(&token.as_str()[6..]), "{profile}: {name}");
        }
        assert!(
            read(&out, &names[0]).contains(&format!("QR: {shown}]")),
            "{profile}"
        );
        let handed_out = [sim.receipts(), sim.partials()].concat();
        assert_eq!(handed_out.len(), 2);
        for text in handed_out {
            assert!(!text.contains(&token.as_str()[6..]), "{profile}:\n{text}");
        }
    }
}

#[test]
fn a_txn_slip_qr_stays_readable_in_the_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimState::Ready);
    let mut client = client(&sim);
    let (bytes, _) = slip("generic-58");
    send(&mut client, &bytes);
    let receipts = sim.wait_receipts(1, WAIT);
    assert!(receipts[0].contains(&txn_qr_payload(&redemption().txn)));
}

#[test]
fn hw_printer_sim_keeps_its_state_file_owner_only() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pointsdesk"))
        .args(["--lang", "en", "hw", "printer-sim", "--out"])
        .arg(&out)
        .env("POINTSDESK_HOME", dir.path().join("home"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"paper-out\nquit\n").unwrap();
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("hw printer-sim did not quit within {WAIT:?}");
        }
        std::thread::sleep(POLL);
    };
    assert!(status.success());
    assert_eq!(mode(&out), 0o700);
    let state = out.join(pointsdesk::printer::sim::STATE_FILE_NAME);
    assert_eq!(mode(&state), 0o600);
    assert_eq!(read(&out, "state"), "paper-out\n");
}
