//! Scans and typing with the timings they have at a real counter: a USB scanner types 1–10 ms
//! per key and ends with Enter; a volunteer types 80–300 ms per key, fast typists roll two keys
//! over within 10–30 ms. Each trace is replayed as the counter's driver does it: it waits for
//! input until the detector's deadline and ticks when nothing came.

use pointsdesk::passbook::Token;
use pointsdesk::passbook::slip_qr::txn_qr_payload;
use pointsdesk::scanner::{
    Detected, Input, ScanKind, Terminator, WedgeConfig, WedgeDetector, classify, ean_valid,
};
use proptest::prelude::*;

const EAN_13: &str = "6901234567892";
/// Scanner gaps between keys, ms (2–8 ms, irregular as USB polling makes them).
const SCANNER_GAPS: [u64; 8] = [3, 5, 2, 8, 4, 6, 7, 2];

/// Key presses with their times, as the terminal delivers them.
struct Trace {
    inputs: Vec<Input>,
    now: u64,
}

impl Trace {
    fn new() -> Trace {
        Trace {
            inputs: Vec::new(),
            now: 10_000,
        }
    }

    /// Types `text`; each key comes the next of `gaps` (cycled) after the input before it.
    fn keys(mut self, text: &str, gaps: &[u64]) -> Trace {
        for (ch, gap) in text.chars().zip(gaps.iter().cycle()) {
            self.now += gap;
            self.inputs.push(Input::Key(ch, self.now));
        }
        self
    }

    fn enter_after(mut self, gap: u64) -> Trace {
        self.now += gap;
        self.inputs.push(Input::Enter(self.now));
        self
    }

    fn pause(mut self, ms: u64) -> Trace {
        self.now += ms;
        self
    }
}

fn time_of(input: &Input) -> u64 {
    match *input {
        Input::Key(_, at) | Input::Enter(at) | Input::Tab(at) | Input::Other(at) => at,
    }
}

/// Replays `inputs` like the driver: before each input, a deadline that has passed is ticked
/// (the driver's poll timed out then); after the last, the deadline is waited out. Returns what
/// was decided, each with the time it was decided.
fn replay_timed(config: WedgeConfig, inputs: &[Input]) -> Vec<(Detected, u64)> {
    let mut detector = WedgeDetector::new(config);
    let mut out = Vec::new();
    for input in inputs {
        if let Some(deadline) = detector.deadline()
            && deadline <= time_of(input)
        {
            out.extend(detector.tick(deadline).into_iter().map(|d| (d, deadline)));
        }
        let at = time_of(input);
        out.extend(detector.feed(*input).into_iter().map(|d| (d, at)));
    }
    if let Some(deadline) = detector.deadline() {
        out.extend(detector.tick(deadline).into_iter().map(|d| (d, deadline)));
    }
    assert_eq!(detector.deadline(), None, "nothing may stay pending");
    out
}

fn replay(config: WedgeConfig, trace: Trace) -> Vec<Detected> {
    let timed = replay_timed(config, &trace.inputs);
    timed.into_iter().map(|(d, _)| d).collect()
}

fn scans(out: &[Detected]) -> Vec<String> {
    out.iter()
        .filter_map(|d| match d {
            Detected::Scan(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// What a person typed, as text: Enter is `\n`, Tab `\t`; scans are left out.
fn typed_text(out: &[Detected]) -> String {
    let mut text = String::new();
    for d in out {
        match d {
            Detected::Typed(keys) => text.extend(keys),
            Detected::TypedEnter => text.push('\n'),
            Detected::TypedTab => text.push('\t'),
            Detected::Scan(_) => {}
        }
    }
    text
}

fn no_terminator() -> WedgeConfig {
    WedgeConfig {
        terminator: Terminator::None,
        ..WedgeConfig::default()
    }
}

#[test]
fn a_scanner_typing_a_passbook_at_2_to_8_ms_a_key_then_enter_gives_one_scan() {
    let token = Token::from_random([0x42; 16]);
    let trace = Trace::new()
        .keys(token.as_str(), &SCANNER_GAPS)
        .enter_after(4);
    let out = replay(WedgeConfig::default(), trace);
    assert_eq!(out, vec![Detected::Scan(token.as_str().into())]);
    assert_eq!(classify(token.as_str()), ScanKind::Passbook);
}

#[test]
fn a_passbook_scanned_with_caps_lock_on_is_a_lower_case_scan_and_still_a_passbook() {
    let token = Token::from_random([0x17; 16]);
    let lower = token.as_str().to_lowercase();
    let trace = Trace::new().keys(&lower, &SCANNER_GAPS).enter_after(6);
    let out = replay(WedgeConfig::default(), trace);
    assert_eq!(out, vec![Detected::Scan(lower.clone())]);
    assert_eq!(classify(&lower), ScanKind::Passbook);
    assert_eq!(Token::parse(&lower), Ok(token));
}

#[test]
fn an_ean_13_scanned_at_10_ms_a_key_is_a_scan_of_a_barcode() {
    let trace = Trace::new().keys(EAN_13, &[10]).enter_after(10);
    let out = replay(WedgeConfig::default(), trace);
    assert_eq!(out, vec![Detected::Scan(EAN_13.into())]);
    assert_eq!(classify(EAN_13), ScanKind::Barcode(EAN_13.into()));
    assert!(ean_valid(EAN_13));
}

#[test]
fn a_receipt_qr_scanned_is_a_scan_of_its_txn() {
    let txn = "0191e0c2-7a3b-7c4d-8e5f-0123456789ab";
    let payload = txn_qr_payload(txn);
    let trace = Trace::new().keys(&payload, &SCANNER_GAPS).enter_after(3);
    let out = replay(WedgeConfig::default(), trace);
    assert_eq!(out, vec![Detected::Scan(payload.clone())]);
    assert_eq!(classify(&payload), ScanKind::ReceiptQr(txn.into()));
}

#[test]
fn a_person_typing_1234_and_enter_at_120_to_250_ms_a_key_is_typing() {
    let trace = Trace::new()
        .keys("1234", &[200, 120, 250, 180])
        .enter_after(140);
    let out = replay(WedgeConfig::default(), trace);
    assert!(scans(&out).is_empty(), "{out:?}");
    assert_eq!(typed_text(&out), "1234\n");
    assert_eq!(out.last(), Some(&Detected::TypedEnter));
}

#[test]
fn a_fast_typist_rolling_over_two_keys_at_a_time_never_scans() {
    // G-0 rolled, pause, 0-1 rolled, Enter after a pause or rolled onto the 1.
    for enter_gap in [140, 20] {
        let trace = Trace::new().keys("G001", &[140, 20]).enter_after(enter_gap);
        let out = replay(WedgeConfig::default(), trace);
        assert!(scans(&out).is_empty(), "{out:?}");
        assert_eq!(typed_text(&out), "G001\n");
    }
}

#[test]
fn a_scan_right_after_typing_comes_out_after_the_typed_keys() {
    let trace = Trace::new()
        .keys("G0", &[150, 170])
        .pause(60)
        .keys(EAN_13, &[10])
        .enter_after(8);
    let out = replay(WedgeConfig::default(), trace);
    let expected = vec![
        Detected::Typed(vec!['G']),
        Detected::Typed(vec!['0']),
        Detected::Scan(EAN_13.into()),
    ];
    assert_eq!(out, expected);
}

#[test]
fn a_scanner_whose_enter_comes_40_ms_after_the_last_character_still_scans() {
    let trace = Trace::new().keys(EAN_13, &SCANNER_GAPS).enter_after(40);
    let out = replay(WedgeConfig::default(), trace);
    assert_eq!(out, vec![Detected::Scan(EAN_13.into())]);
}

#[test]
fn an_enter_60_ms_after_a_burst_is_typed_and_the_burst_with_it() {
    let trace = Trace::new().keys(EAN_13, &SCANNER_GAPS).enter_after(60);
    let out = replay(WedgeConfig::default(), trace);
    assert_eq!(typed_text(&out), format!("{EAN_13}\n"));
    assert!(scans(&out).is_empty());
}

#[test]
fn a_burst_of_3_characters_and_enter_is_typing_below_the_shortest_scan() {
    let trace = Trace::new().keys("G01", &[5]).enter_after(5);
    let out = replay(WedgeConfig::default(), trace);
    assert_eq!(
        out,
        vec![Detected::Typed(vec!['G', '0', '1']), Detected::TypedEnter]
    );
}

#[test]
fn without_a_terminator_a_scan_ends_by_silence() {
    let trace = Trace::new().keys(EAN_13, &[10]);
    let last = trace.now;
    let mut detector = WedgeDetector::new(no_terminator());
    for input in &trace.inputs {
        assert!(detector.feed(*input).is_empty());
    }
    assert_eq!(detector.deadline(), Some(last + 51));
    assert!(detector.tick(last + 50).is_empty(), "a key may still come");
    assert_eq!(
        detector.tick(last + 51),
        vec![Detected::Scan(EAN_13.into())]
    );
    // The same through the driver, with typing before and after.
    let trace = Trace::new()
        .keys("ab", &[300])
        .pause(200)
        .keys(EAN_13, &SCANNER_GAPS)
        .pause(400)
        .keys("c", &[1]);
    let out = replay(no_terminator(), trace);
    assert_eq!(scans(&out), [EAN_13]);
    assert_eq!(typed_text(&out), "abc");
}

#[test]
fn a_driver_that_never_ticks_still_gets_every_decision_with_the_next_input() {
    let trace = Trace::new()
        .keys("G0", &[150, 170])
        .pause(60)
        .keys(EAN_13, &[10])
        .enter_after(8)
        .keys("x", &[900])
        .enter_after(300);
    let mut detector = WedgeDetector::new(WedgeConfig::default());
    let out: Vec<Detected> = trace
        .inputs
        .iter()
        .flat_map(|i| detector.feed(*i))
        .collect();
    assert_eq!(scans(&out), [EAN_13]);
    assert_eq!(typed_text(&out), "G0x\n");
}

#[test]
fn keys_typed_at_a_human_pace_reach_the_screen_within_the_gap() {
    let trace = Trace::new()
        .keys("G001", &[200, 120, 250, 180])
        .enter_after(140);
    let out = replay_timed(WedgeConfig::default(), &trace.inputs);
    let presses: Vec<u64> = trace.inputs.iter().map(time_of).collect();
    let releases: Vec<u64> = out
        .iter()
        .flat_map(|(d, at)| match d {
            Detected::Typed(keys) => vec![*at; keys.len()],
            _ => vec![*at],
        })
        .collect();
    for (pressed, released) in presses.iter().zip(&releases) {
        assert!(released - pressed <= 51, "{pressed} → {released}");
    }
}

/// A person's key: a character, Enter or Tab.
fn human_key() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::char::range(' ', '~'),
        1 => Just('\n'),
        1 => Just('\t'),
        1 => proptest::char::range('一', '龥'),
    ]
}

fn human_input(key: char, at: u64) -> Input {
    match key {
        '\n' => Input::Enter(at),
        '\t' => Input::Tab(at),
        ch => Input::Key(ch, at),
    }
}

fn any_terminator() -> impl Strategy<Value = Terminator> {
    prop_oneof![
        Just(Terminator::Enter),
        Just(Terminator::Tab),
        Just(Terminator::None)
    ]
}

proptest! {
    #[test]
    fn a_person_typing_with_gaps_of_80_ms_or_more_never_scans_and_every_key_comes_out_once(
        typed in proptest::collection::vec((human_key(), 80u64..3_000), 0..80),
        terminator in any_terminator(),
    ) {
        let mut now = 0u64;
        let mut inputs = Vec::new();
        for (key, gap) in &typed {
            now += gap;
            inputs.push(human_input(*key, now));
        }
        let config = WedgeConfig { terminator, ..WedgeConfig::default() };
        let out = replay_timed(config, &inputs);
        let decided: Vec<Detected> = out.iter().map(|(d, _)| d.clone()).collect();
        prop_assert!(scans(&decided).is_empty(), "{:?}", decided);
        let expected: String = typed.iter().map(|(key, _)| *key).collect();
        prop_assert_eq!(typed_text(&decided), expected);
        for (input, (_, released)) in inputs.iter().zip(&out) {
            prop_assert!(released - time_of(input) <= 51);
        }
    }

    #[test]
    fn a_scanner_typing_4_to_64_characters_with_gaps_of_1_to_30_ms_and_enter_is_exactly_one_scan(
        codes in proptest::collection::vec(
            ("[!-~]{4,64}", proptest::collection::vec(1u64..=30, 65), 1u64..=30, 60u64..5_000),
            1..4,
        ),
    ) {
        let mut trace = Trace::new();
        for (code, gaps, enter_gap, pause) in &codes {
            trace = trace.pause(*pause).keys(code, gaps).enter_after(*enter_gap);
        }
        let out = replay(WedgeConfig::default(), trace);
        let expected: Vec<Detected> =
            codes.iter().map(|(code, ..)| Detected::Scan(code.clone())).collect();
        prop_assert_eq!(out, expected);
    }
}
