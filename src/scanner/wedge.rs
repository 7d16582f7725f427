//! Telling a keyboard-wedge scanner from a person typing, by the timing of the keys alone.
//!
//! A scanner types a whole code in a burst (1–10 ms per key) and usually ends it with Enter; a
//! person needs 80 ms or more per key. So:
//!
//! - keys whose gaps are all ≤ `gap_ms_max` form a **burst**; a longer gap starts a new one.
//!   (So a burst whose first gap, between key 1 and 2, is longer is not a burst: key 1 is
//!   typing on its own. A fast typist's two- or three-key rollovers make bursts too short to be
//!   scans.)
//! - a burst of ≥ `length_min` keys followed within `gap_ms_max` by the configured terminator
//!   is a **scan**; the terminator is swallowed. With [`Terminator::None`] a burst of
//!   ≥ `length_min` keys that ends by silence (nothing for `gap_ms_max`) is a scan.
//! - everything else is **typing**: its keys come out as [`Detected::Typed`], in order, exactly
//!   once. Enter and Tab that end no scan come out as [`Detected::TypedEnter`] /
//!   [`Detected::TypedTab`].
//!
//! The detector reads no clock: every input carries its time in ms, and [`WedgeDetector::tick`]
//! decides a burst that has gone quiet. A driver polls for input until
//! [`WedgeDetector::deadline`] and calls `tick` when the poll times out; then the last key of a
//! typed burst reaches the screen at most `gap_ms_max` (+1 ms) after it was pressed, and a key
//! typed at a human pace (gaps > `gap_ms_max`) is its own burst, so every key a person types
//! slowly shows within `gap_ms_max`. Keys of a fast burst wait until the burst is decided:
//! they may be a scan, which must never reach the screen as typing.

/// The longest scan: a burst that grows longer is typing (a stuck key, a pasted text), so the
/// buffer of undecided keys never holds more than this. A passbook QR is 30 characters, a
/// receipt QR 35, an EAN-13 13; 512 leaves room for other systems' QR codes.
pub const SCAN_CHARS_MAX: usize = 512;

/// The gap that ends a burst when config.toml says nothing: scanners type at 1–10 ms per key,
/// USB keyboards repeat at ≥ 30 ms, people type at ≥ 80 ms per key.
pub const GAP_MS_MAX_DEFAULT: u64 = 50;

/// The shortest scan by default: EAN-8 is 8, but short in-house codes exist; 3 keys in a burst
/// are within reach of a fast typist's rollover.
pub const LENGTH_MIN_DEFAULT: usize = 4;

/// How a keyboard-wedge scanner is told from a person typing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WedgeConfig {
    /// Longest gap between two keys of one burst (default 50 ms).
    pub gap_ms_max: u64,
    /// Fewest characters of a scan (default 4).
    pub length_min: usize,
    /// The key the scanner sends after a code (default Enter).
    pub terminator: Terminator,
}

impl Default for WedgeConfig {
    fn default() -> Self {
        WedgeConfig {
            gap_ms_max: GAP_MS_MAX_DEFAULT,
            length_min: LENGTH_MIN_DEFAULT,
            terminator: Terminator::Enter,
        }
    }
}

/// The suffix a scanner is set up to send (config.toml: "enter", "tab" or "none").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Terminator {
    #[default]
    Enter,
    Tab,
    /// No suffix: a burst ends by silence, `gap_ms_max` after its last key.
    None,
}

/// One key press, with the time it arrived in ms (any monotonic origin).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Key(char, u64),
    Enter(u64),
    Tab(u64),
    /// Other keys (arrows, Esc, Backspace, F-keys): the UI handles them itself.
    Other(u64),
}

/// What the detector has decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detected {
    /// Keys a person typed, to be handled as ordinary key presses, in order.
    Typed(Vec<char>),
    /// Enter typed by a person (it ended no scan).
    TypedEnter,
    /// Tab typed by a person (it ended no scan).
    TypedTab,
    /// A whole scan, without its terminator.
    Scan(String),
}

/// Splits key presses into typing and scans; see the module documentation.
#[derive(Clone, Debug)]
pub struct WedgeDetector {
    config: WedgeConfig,
    /// Keys of the burst still undecided; at most [`SCAN_CHARS_MAX`].
    burst: Vec<char>,
    /// When the last key of the current burst arrived; `None` when no burst is going on.
    last_key_at: Option<u64>,
    /// The current burst outgrew [`SCAN_CHARS_MAX`]: its keys are typing, released at once,
    /// until a gap ends it.
    overflowed: bool,
}

impl WedgeDetector {
    pub fn new(config: WedgeConfig) -> Self {
        WedgeDetector {
            config,
            burst: Vec::new(),
            last_key_at: None,
            overflowed: false,
        }
    }

    /// Feeds one input; returns what is now decided (possibly nothing while a burst may still
    /// be a scan). A time earlier than the previous input's counts as no gap.
    pub fn feed(&mut self, input: Input) -> Vec<Detected> {
        let mut out = Vec::new();
        match input {
            Input::Key(ch, at) => {
                self.settle(at, &mut out);
                self.key(ch, at, &mut out);
            }
            Input::Enter(at) => self.terminator(Terminator::Enter, at, &mut out),
            Input::Tab(at) => self.terminator(Terminator::Tab, at, &mut out),
            Input::Other(at) => {
                self.settle(at, &mut out);
                self.release_typed(&mut out);
            }
        }
        out
    }

    /// Call when no input arrived: at `now` ms, a pending burst older than `gap_ms_max` is
    /// decided.
    pub fn tick(&mut self, now: u64) -> Vec<Detected> {
        let mut out = Vec::new();
        self.settle(now, &mut out);
        out
    }

    /// The time by which tick() must be called to decide what is pending, if anything is:
    /// 1 ms past the last moment a key could still join the burst.
    pub fn deadline(&self) -> Option<u64> {
        if self.burst.is_empty() {
            return None;
        }
        self.last_key_at.map(|last| {
            last.saturating_add(self.config.gap_ms_max)
                .saturating_add(1)
        })
    }

    /// Whether an input at `at` still belongs to the current burst.
    fn continues_burst(&self, at: u64) -> bool {
        self.last_key_at
            .is_some_and(|last| at.saturating_sub(last) <= self.config.gap_ms_max)
    }

    /// Decides a burst that has ended by silence before `at`.
    fn settle(&mut self, at: u64, out: &mut Vec<Detected>) {
        if self.last_key_at.is_none() || self.continues_burst(at) {
            return;
        }
        let silent_scan = self.config.terminator == Terminator::None
            && self.burst.len() >= self.config.length_min;
        if silent_scan {
            out.push(Detected::Scan(self.take_burst().into_iter().collect()));
        } else {
            self.release_typed(out);
        }
    }

    fn key(&mut self, ch: char, at: u64, out: &mut Vec<Detected>) {
        self.last_key_at = Some(at);
        if self.overflowed {
            out.push(Detected::Typed(vec![ch]));
        } else if self.burst.len() < SCAN_CHARS_MAX {
            self.burst.push(ch);
        } else {
            // Too long for any scan: release it now rather than hold the screen back.
            let mut keys = std::mem::take(&mut self.burst);
            keys.push(ch);
            out.push(Detected::Typed(keys));
            self.overflowed = true;
        }
    }

    /// Enter or Tab: ends a scan when it is the configured terminator right after a long
    /// enough burst; otherwise it is typed, after whatever was pending.
    fn terminator(&mut self, key: Terminator, at: u64, out: &mut Vec<Detected>) {
        self.settle(at, out);
        let ends_scan = key == self.config.terminator
            && self.last_key_at.is_some()
            && self.burst.len() >= self.config.length_min;
        if ends_scan {
            out.push(Detected::Scan(self.take_burst().into_iter().collect()));
            return;
        }
        self.release_typed(out);
        out.push(match key {
            Terminator::Tab => Detected::TypedTab,
            _ => Detected::TypedEnter,
        });
    }

    /// Ends the burst as typing: its keys, if any, come out in order.
    fn release_typed(&mut self, out: &mut Vec<Detected>) {
        let keys = self.take_burst();
        if !keys.is_empty() {
            out.push(Detected::Typed(keys));
        }
    }

    /// Ends the burst and hands over its keys.
    fn take_burst(&mut self) -> Vec<char> {
        self.last_key_at = None;
        self.overflowed = false;
        std::mem::take(&mut self.burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> WedgeDetector {
        WedgeDetector::new(WedgeConfig::default())
    }

    fn keys(text: &str, start: u64, gap: u64) -> Vec<Input> {
        (0u64..)
            .zip(text.chars())
            .map(|(i, ch)| Input::Key(ch, start + i * gap))
            .collect()
    }

    fn feed_all(d: &mut WedgeDetector, inputs: &[Input]) -> Vec<Detected> {
        inputs.iter().flat_map(|i| d.feed(*i)).collect()
    }

    fn typed(text: &str) -> Detected {
        Detected::Typed(text.chars().collect())
    }

    #[test]
    fn defaults_match_the_design_and_read_from_toml() {
        let config = WedgeConfig::default();
        assert_eq!((config.gap_ms_max, config.length_min), (50, 4));
        assert_eq!(config.terminator, Terminator::Enter);
        let read: WedgeConfig = toml::from_str("terminator = \"tab\"\ngap_ms_max = 30").unwrap();
        assert_eq!(read.terminator, Terminator::Tab);
        assert_eq!((read.gap_ms_max, read.length_min), (30, 4));
        assert!(toml::from_str::<WedgeConfig>("gap = 3").is_err());
    }

    #[test]
    fn a_fast_burst_with_enter_is_one_scan_and_nothing_before() {
        let mut d = detector();
        assert!(feed_all(&mut d, &keys("ABCD", 0, 5)).is_empty());
        assert_eq!(d.deadline(), Some(15 + 51));
        assert_eq!(
            d.feed(Input::Enter(20)),
            vec![Detected::Scan("ABCD".into())]
        );
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn enter_exactly_gap_ms_max_after_the_last_key_still_ends_the_scan() {
        let mut d = detector();
        feed_all(&mut d, &keys("ABCD", 0, 5));
        assert!(d.tick(65).is_empty(), "a key may still come at 65");
        assert_eq!(
            d.feed(Input::Enter(65)),
            vec![Detected::Scan("ABCD".into())]
        );
    }

    #[test]
    fn enter_after_the_gap_is_typed_even_without_a_tick() {
        let mut d = detector();
        feed_all(&mut d, &keys("ABCD", 0, 5));
        let out = d.feed(Input::Enter(66));
        assert_eq!(out, vec![typed("ABCD"), Detected::TypedEnter]);
    }

    #[test]
    fn a_tick_after_the_deadline_releases_typing() {
        let mut d = detector();
        feed_all(&mut d, &keys("ab", 0, 20));
        assert!(d.tick(70).is_empty());
        assert_eq!(d.tick(71), vec![typed("ab")]);
        assert_eq!(d.deadline(), None);
        assert!(d.tick(500).is_empty());
    }

    #[test]
    fn a_slow_first_key_is_typing_on_its_own_and_the_burst_after_it_may_scan() {
        let mut d = detector();
        assert!(d.feed(Input::Key('x', 0)).is_empty());
        let mut out = feed_all(&mut d, &keys("1234", 60, 5));
        out.extend(d.feed(Input::Enter(80)));
        assert_eq!(out, vec![typed("x"), Detected::Scan("1234".into())]);
    }

    #[test]
    fn tab_is_the_terminator_only_when_configured() {
        let mut enter = detector();
        feed_all(&mut enter, &keys("ABCD", 0, 5));
        let out = enter.feed(Input::Tab(20));
        assert_eq!(out, vec![typed("ABCD"), Detected::TypedTab]);

        let mut tab = WedgeDetector::new(WedgeConfig {
            terminator: Terminator::Tab,
            ..WedgeConfig::default()
        });
        feed_all(&mut tab, &keys("ABCD", 0, 5));
        assert_eq!(
            tab.feed(Input::Tab(20)),
            vec![Detected::Scan("ABCD".into())]
        );
        feed_all(&mut tab, &keys("ABCD", 100, 5));
        let out = tab.feed(Input::Enter(120));
        assert_eq!(out, vec![typed("ABCD"), Detected::TypedEnter]);
    }

    #[test]
    fn a_lone_terminator_is_typed() {
        let mut d = detector();
        assert_eq!(d.feed(Input::Enter(5)), vec![Detected::TypedEnter]);
        assert_eq!(d.feed(Input::Tab(500)), vec![Detected::TypedTab]);
    }

    #[test]
    fn another_key_releases_the_pending_burst_as_typing() {
        let mut d = detector();
        feed_all(&mut d, &keys("ABCDE", 0, 5));
        assert_eq!(d.feed(Input::Other(25)), vec![typed("ABCDE")]);
        assert!(d.feed(Input::Other(30)).is_empty());
        assert_eq!(d.feed(Input::Enter(35)), vec![Detected::TypedEnter]);
    }

    #[test]
    fn without_terminator_silence_ends_a_scan_and_enter_or_other_keys_do_not() {
        let config = WedgeConfig {
            terminator: Terminator::None,
            ..WedgeConfig::default()
        };
        let mut d = WedgeDetector::new(config);
        feed_all(&mut d, &keys("ABCD", 0, 5));
        assert_eq!(d.tick(66), vec![Detected::Scan("ABCD".into())]);
        // The next burst starting after the silence decides the previous one too.
        feed_all(&mut d, &keys("EFGH", 100, 5));
        let out = d.feed(Input::Key('i', 500));
        assert_eq!(out, vec![Detected::Scan("EFGH".into())]);
        assert_eq!(d.tick(600), vec![typed("i")]);
        feed_all(&mut d, &keys("JKLM", 1000, 5));
        let out = d.feed(Input::Enter(1020));
        assert_eq!(out, vec![typed("JKLM"), Detected::TypedEnter]);
        feed_all(&mut d, &keys("NOPQ", 2000, 5));
        assert_eq!(d.feed(Input::Other(2020)), vec![typed("NOPQ")]);
    }

    #[test]
    fn a_burst_longer_than_any_scan_is_typing_released_as_it_grows() {
        let mut d = detector();
        let text: String = "0123456789".chars().cycle().take(SCAN_CHARS_MAX).collect();
        assert!(feed_all(&mut d, &keys(&text, 0, 2)).is_empty());
        let at = 2 * SCAN_CHARS_MAX as u64;
        let out = d.feed(Input::Key('x', at));
        assert_eq!(
            out,
            vec![Detected::Typed(format!("{text}x").chars().collect())]
        );
        assert_eq!(d.deadline(), None, "nothing is held back any more");
        assert_eq!(d.feed(Input::Key('y', at + 2)), vec![typed("y")]);
        assert_eq!(d.feed(Input::Enter(at + 4)), vec![Detected::TypedEnter]);
        // After the overflowing burst has ended, scanning works again.
        feed_all(&mut d, &keys("ABCD", at + 1000, 5));
        let out = d.feed(Input::Enter(at + 1020));
        assert_eq!(out, vec![Detected::Scan("ABCD".into())]);
    }

    #[test]
    fn a_scan_of_exactly_the_longest_length_is_still_a_scan() {
        let mut d = detector();
        let text: String = "ABCDEFGH".chars().cycle().take(SCAN_CHARS_MAX).collect();
        assert!(feed_all(&mut d, &keys(&text, 0, 1)).is_empty());
        let out = d.feed(Input::Enter(SCAN_CHARS_MAX as u64));
        assert_eq!(out, vec![Detected::Scan(text)]);
    }

    #[test]
    fn time_going_backwards_counts_as_no_gap() {
        let mut d = detector();
        feed_all(&mut d, &keys("ABCD", 100, 5));
        assert!(d.feed(Input::Key('E', 90)).is_empty());
        assert_eq!(
            d.feed(Input::Enter(95)),
            vec![Detected::Scan("ABCDE".into())]
        );
    }

    #[test]
    fn a_huge_gap_setting_does_not_overflow_the_deadline() {
        let mut d = WedgeDetector::new(WedgeConfig {
            gap_ms_max: u64::MAX,
            ..WedgeConfig::default()
        });
        d.feed(Input::Key('a', 10));
        assert_eq!(d.deadline(), Some(u64::MAX));
    }
}
