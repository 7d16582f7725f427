//! Identifiers handed out without asking anyone: resident and passbook numbers, event check-in
//! txns. Counters are offline all day, so what one hands out must never be what another does.
//!
//! A human number carries the community prefix first and the **counter code** next, a letter
//! (or two) that the street office gives each counter of the district once, at enrolment:
//! `SQ-A000123` is passbook 123 of counter A, `SQ-RA00045` resident 45 of counter A. Two
//! counters with different codes can never make the same number, and numbers stay at most
//! [`HUMAN_NUMBER_CHARS_MAX`] characters, short enough to read aloud and type. Homes made
//! before codes existed keep their numbers (`SQ-000123`, `SQ-R000045`): a code is a letter
//! where those have a digit, so the two forms never meet.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The longest human number (prefix included).
pub const HUMAN_NUMBER_CHARS_MAX: usize = 10;
/// Fewest digits a resident number may have: a counter with a prefix and code too long for
/// this would run out after a few hundred residents.
pub const NUMBER_DIGITS_MIN: usize = 4;
/// Digits of the numbers of a home made before counter codes.
pub const LEGACY_DIGITS: usize = 6;
/// Letters a counter code is made of: no I and O (read as 1 and 0), no R (a passbook number
/// of counter R would read like a resident number).
pub const CODE_LETTERS: &str = "ABCDEFGHJKLMNPQSTUVWXYZ";
/// The most letters of a code: 23 one-letter codes, then 529 two-letter ones.
pub const CODE_CHARS_MAX: usize = 2;

/// Why a prefix or counter code cannot make numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdProblem {
    /// The code is empty, too long, or has a character outside [`CODE_LETTERS`].
    BadCode(String),
    /// The prefix is empty or has something other than A–Z and 0–9.
    BadPrefix(String),
    /// Prefix and code leave fewer than [`NUMBER_DIGITS_MIN`] digits in ten characters.
    TooLong { prefix: String, code: String },
}

/// Checks a counter code as typed (case and surrounding space forgiven).
pub fn clean_counter_code(raw: &str) -> Result<String, IdProblem> {
    let code = raw.trim().to_ascii_uppercase();
    let ok = !code.is_empty()
        && code.chars().count() <= CODE_CHARS_MAX
        && code.chars().all(|c| CODE_LETTERS.contains(c));
    if ok {
        Ok(code)
    } else {
        Err(IdProblem::BadCode(raw.trim().to_string()))
    }
}

/// The code after `code` in the order the street office hands them out: A, B, …, Z, then
/// AA, AB, …; `None` after the last.
pub fn next_counter_code(taken: &[String]) -> Option<String> {
    let letters: Vec<char> = CODE_LETTERS.chars().collect();
    let singles = letters.iter().map(|c| c.to_string());
    let doubles = letters
        .iter()
        .flat_map(|a| letters.iter().map(move |b| format!("{a}{b}")));
    singles
        .chain(doubles)
        .find(|code| !taken.iter().any(|t| t == code))
}

/// How one counter numbers what it registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Numbering {
    pub prefix: String,
    /// `None` for a home made before counter codes (legacy numbers).
    pub code: Option<String>,
    /// Which block of numbers a series hands out: 0, the counter's first series, numbers from
    /// 1 on; block `b` > 0 (a series that continues the counter after a restore or a lost PC)
    /// numbers within `b × 10^(digits − 1) + 1 ..= (b + 1) × 10^(digits − 1)` (`SQ-RA10001` …
    /// `SQ-RA19999` for block 1), which no earlier series of the counter reached.
    pub block: u32,
}

/// Which kind of number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberKind {
    Passbook,
    Resident,
}

impl Numbering {
    /// Checks that the prefix and code make numbers of at most ten characters with at least
    /// [`NUMBER_DIGITS_MIN`] digits.
    pub fn new(prefix: &str, code: &str) -> Result<Numbering, IdProblem> {
        let prefix = prefix.trim().to_ascii_uppercase();
        if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(IdProblem::BadPrefix(prefix));
        }
        let code = clean_counter_code(code)?;
        let numbering = Numbering {
            prefix,
            code: Some(code),
            block: 0,
        };
        if numbering.digits(NumberKind::Resident) < NUMBER_DIGITS_MIN {
            return Err(IdProblem::TooLong {
                prefix: numbering.prefix,
                code: numbering.code.unwrap_or_default(),
            });
        }
        Ok(numbering)
    }

    /// The numbering of a home made before counter codes: its prefix as it was, six digits.
    pub fn legacy(prefix: &str) -> Numbering {
        Numbering {
            prefix: prefix.to_string(),
            code: None,
            block: 0,
        }
    }

    /// The same numbering in another block.
    pub fn in_block(self, block: u32) -> Numbering {
        Numbering { block, ..self }
    }

    /// The numbers of a kind in block `block`, as a range of sequence numbers; `None` when the
    /// block lies beyond the digits (a counter restored more than 9 times).
    pub fn block_range(
        &self,
        kind: NumberKind,
        block: u32,
    ) -> Option<std::ops::RangeInclusive<u64>> {
        let size = 10u64.checked_pow(self.digits(kind).checked_sub(1)? as u32)?;
        let max = 10u64.checked_pow(self.digits(kind) as u32)? - 1;
        let first = size.checked_mul(u64::from(block))? + 1;
        let last = size.checked_mul(u64::from(block) + 1)?.min(max);
        (first <= max).then_some(first..=last)
    }

    /// The block a sequence number lies in.
    pub fn block_of(&self, kind: NumberKind, n: u64) -> u32 {
        let size = 10u64.pow(self.digits(kind).saturating_sub(1) as u32).max(1);
        u32::try_from(n.saturating_sub(1) / size).unwrap_or(u32::MAX)
    }

    /// The part before the digits: `SQ-A` (passbooks), `SQ-RA` (residents).
    pub fn namespace(&self, kind: NumberKind) -> String {
        let code = self.code.as_deref().unwrap_or("");
        match kind {
            NumberKind::Passbook => format!("{}-{code}", self.prefix),
            NumberKind::Resident => format!("{}-R{code}", self.prefix),
        }
    }

    /// How many digits follow the namespace.
    pub fn digits(&self, kind: NumberKind) -> usize {
        match self.code {
            None => LEGACY_DIGITS,
            Some(_) => HUMAN_NUMBER_CHARS_MAX.saturating_sub(self.namespace(kind).len()),
        }
    }

    /// The `n`th number of a kind, or `None` when `n` does not fit its digits.
    pub fn number(&self, kind: NumberKind, n: u64) -> Option<String> {
        let width = self.digits(kind);
        let max = 10u64.checked_pow(width as u32)?.saturating_sub(1);
        (1..=max)
            .contains(&n)
            .then(|| format!("{}{n:0width$}", self.namespace(kind)))
    }

    /// The sequence number of a number this numbering made, `None` for any other.
    pub fn parse(&self, kind: NumberKind, number: &str) -> Option<u64> {
        let digits = number.strip_prefix(&self.namespace(kind))?;
        (digits.len() == self.digits(kind) && digits.chars().all(|c| c.is_ascii_digit()))
            .then(|| digits.parse().ok())
            .flatten()
    }
}

/// A passbook number as a person types it, in the form the ledger writes it: `SQ-A000010`,
/// `sq-a10`, `SQ-10` (this counter's own code is meant) or, with this counter's prefix, `SQA10`
/// and `SQ10`. A home made before codes reads `SQ-10` as `SQ-000010`. `None` for anything else.
pub fn typed_passbook_number(text: &str, own: &Numbering) -> Option<String> {
    let upper = text.trim().to_ascii_uppercase();
    let (prefix, rest) = match upper.split_once('-') {
        Some((prefix, rest)) => (prefix.to_string(), rest.to_string()),
        None => (
            own.prefix.clone(),
            upper
                .strip_prefix(&own.prefix.to_ascii_uppercase())?
                .to_string(),
        ),
    };
    let prefix_ok = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphanumeric());
    let letters: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
    let digits = &rest[letters.len()..];
    if !prefix_ok || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let numbering = match (letters.as_str(), &own.code) {
        ("", Some(code)) if prefix == own.prefix.to_ascii_uppercase() => {
            Numbering::new(&prefix, code).ok()?
        }
        ("", _) => Numbering::legacy(&prefix),
        (code, _) => Numbering::new(&prefix, code).ok()?,
    };
    let n: u64 = digits.parse().ok()?;
    (digits.len() <= numbering.digits(NumberKind::Passbook))
        .then(|| numbering.number(NumberKind::Passbook, n))
        .flatten()
}

/// The txn of "this passbook checked in at this event of this counter": a second scan at the
/// same event is the same request and credits nothing, and an event of the same name at another
/// counter (`origin`, the counter's lasting id) is another event with other txns.
pub fn event_txn(home: &str, event: &str, passbook: &str) -> String {
    let digest =
        Sha256::digest(format!("event v2\u{0}{home}\u{0}{event}\u{0}{passbook}").as_bytes());
    let bytes: [u8; 16] = digest[..16].try_into().expect("16 of 32 bytes");
    Uuid::new_v8(bytes).to_string()
}

/// The txn an event check-in had in a home made before counters shared a ledger (kept to
/// recognise a retried check-in of such an event).
pub fn legacy_event_txn(event: &str, passbook: &str) -> String {
    let digest = Sha256::digest(format!("event\u{0}{event}\u{0}{passbook}").as_bytes());
    let bytes: [u8; 16] = digest[..16].try_into().expect("16 of 32 bytes");
    Uuid::new_v8(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_put_prefix_then_code_and_stay_within_ten_characters() {
        let a = Numbering::new("sq", "a").unwrap();
        assert_eq!(a.number(NumberKind::Passbook, 1).unwrap(), "SQ-A000001");
        assert_eq!(a.number(NumberKind::Resident, 45).unwrap(), "SQ-RA00045");
        assert_eq!(a.parse(NumberKind::Resident, "SQ-RA00045"), Some(45));
        assert_eq!(a.parse(NumberKind::Resident, "SQ-RB00045"), None);
        assert_eq!(a.number(NumberKind::Resident, 100_000), None);
        let long = Numbering::new("ABC", "XY");
        assert!(matches!(long, Err(IdProblem::TooLong { .. })));
        let legacy = Numbering::legacy("SQ");
        assert_eq!(legacy.number(NumberKind::Passbook, 7).unwrap(), "SQ-000007");
        assert_eq!(
            legacy.number(NumberKind::Resident, 7).unwrap(),
            "SQ-R000007"
        );
    }

    #[test]
    fn codes_are_letters_that_do_not_read_as_digits_or_as_a_resident_number() {
        for bad in ["", "I", "O", "R", "A1", "ABC", "-"] {
            assert!(clean_counter_code(bad).is_err(), "{bad:?}");
        }
        assert_eq!(clean_counter_code(" b ").unwrap(), "B");
        assert_eq!(next_counter_code(&[]).unwrap(), "A");
        assert_eq!(next_counter_code(&["A".into(), "B".into()]).unwrap(), "C");
        let all: Vec<String> = CODE_LETTERS.chars().map(|c| c.to_string()).collect();
        assert_eq!(next_counter_code(&all).unwrap(), "AA");
    }

    #[test]
    fn typed_passbook_numbers_are_read_as_the_ledger_writes_them() {
        let own = Numbering::new("SQ", "A").unwrap();
        let typed = |t| typed_passbook_number(t, &own);
        let a10 = Some("SQ-A000010".to_string());
        for text in ["SQ-A000010", "sq-a10", "SQ-10", "sqa10", "sq10", " SQ-A10 "] {
            assert_eq!(typed(text), a10, "{text}");
        }
        assert_eq!(typed("SQ-B7"), Some("SQ-B000007".into()));
        assert_eq!(typed("QX-B7"), Some("QX-B000007".into()));
        assert_eq!(typed("QX-7"), Some("QX-000007".into()));
        for bad in [
            "SQ-A1234567",
            "SQ-I10",
            "SQ-",
            "SQ-A",
            "洗衣皂",
            "10",
            "SQ-1O",
        ] {
            assert_eq!(typed(bad), None, "{bad}");
        }
        let legacy = Numbering::legacy("SQ");
        assert_eq!(
            typed_passbook_number("sq-10", &legacy),
            Some("SQ-000010".into())
        );
        assert_eq!(
            typed_passbook_number("sq10", &legacy),
            Some("SQ-000010".into())
        );
    }

    #[test]
    fn event_txns_differ_between_counters() {
        assert_ne!(
            event_txn("one", "植树节", "SQ-A000001"),
            event_txn("two", "植树节", "SQ-A000001")
        );
        assert_eq!(
            event_txn("one", "植树节", "SQ-A000001"),
            event_txn("one", "植树节", "SQ-A000001")
        );
    }

    #[test]
    fn each_block_of_numbers_is_its_own() {
        let a = Numbering::new("SQ", "A").unwrap().in_block(1);
        assert_eq!(
            a.block_range(NumberKind::Resident, 1),
            Some(10_001..=20_000)
        );
        assert_eq!(
            a.block_range(NumberKind::Passbook, 1),
            Some(100_001..=200_000)
        );
        assert_eq!(
            a.number(NumberKind::Resident, 10_001).unwrap(),
            "SQ-RA10001"
        );
        // The last block ends at the last number the digits hold; none lies beyond.
        assert_eq!(
            a.block_range(NumberKind::Resident, 9),
            Some(90_001..=99_999)
        );
        assert_eq!(a.block_range(NumberKind::Resident, 10), None);
        assert_eq!(a.block_of(NumberKind::Resident, 10_000), 0);
        assert_eq!(a.block_of(NumberKind::Resident, 10_001), 1);
    }
}
