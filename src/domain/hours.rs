//! How long someone volunteered: the one rule for hours, used by the command line, the counter
//! and the ledger alike. Hours are counted in quarter hours (一刻钟), from a quarter hour to a
//! day, and parsed exactly (no floating point: "0.01" must not round to a minute that then
//! earns nothing).

use unicode_normalization::UnicodeNormalization;

/// The finest step of a time: a quarter hour.
pub const MINUTES_STEP: u32 = 15;
/// The shortest time recorded.
pub const MINUTES_MIN: u32 = MINUTES_STEP;
/// The longest time recorded at once: one day.
pub const MINUTES_MAX: u32 = 24 * 60;
/// Characters of an hours text looked at; anything longer is not an amount of hours.
const HOURS_TEXT_CHARS_MAX: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoursProblem {
    /// Not a number of hours at all.
    NotANumber,
    /// Not a whole number of quarter hours, or outside a quarter hour to a day.
    NotQuarterHours,
}

/// Minutes that obey the rule: a multiple of a quarter hour, from a quarter hour to a day.
pub fn check_minutes(minutes: u32) -> Result<u32, HoursProblem> {
    if (MINUTES_MIN..=MINUTES_MAX).contains(&minutes) && minutes.is_multiple_of(MINUTES_STEP) {
        Ok(minutes)
    } else {
        Err(HoursProblem::NotQuarterHours)
    }
}

/// Hours as a person types them ("1.5", "2", "0.75", full-width "１.５", an optional "h" or
/// "小时") to minutes, exactly.
pub fn parse_hours(text: &str) -> Result<u32, HoursProblem> {
    let folded: String = text.nfkc().collect();
    let trimmed = folded.trim();
    let number = trimmed
        .strip_suffix("小时")
        .or_else(|| trimmed.strip_suffix(['h', 'H']))
        .unwrap_or(trimmed)
        .trim();
    if number.is_empty() || number.chars().count() > HOURS_TEXT_CHARS_MAX {
        return Err(HoursProblem::NotANumber);
    }
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(HoursProblem::NotANumber);
    }
    // Hundredths of an hour; digits after the second must be zeros.
    let (kept, rest) = fraction.split_at(fraction.len().min(2));
    if rest.bytes().any(|b| b != b'0') {
        return Err(HoursProblem::NotQuarterHours);
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| HoursProblem::NotQuarterHours)?
    };
    let hundredths = format!("{kept:0<2}")
        .parse::<u32>()
        .expect("two ASCII digits");
    let total_hundredths = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(hundredths))
        .ok_or(HoursProblem::NotQuarterHours)?;
    // A quarter hour is 25 hundredths of an hour.
    if !total_hundredths.is_multiple_of(25) {
        return Err(HoursProblem::NotQuarterHours);
    }
    check_minutes(total_hundredths / 25 * MINUTES_STEP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_hours_from_a_quarter_to_a_day_are_accepted_exactly() {
        assert_eq!(parse_hours("1.5"), Ok(90));
        assert_eq!(parse_hours("2"), Ok(120));
        assert_eq!(parse_hours("0.25"), Ok(15));
        assert_eq!(parse_hours(".75"), Ok(45));
        assert_eq!(parse_hours(" 24 "), Ok(1440));
        assert_eq!(parse_hours("1.50"), Ok(90));
        assert_eq!(parse_hours("１.５"), Ok(90));
        assert_eq!(parse_hours("3小时"), Ok(180));
        assert_eq!(parse_hours("1.5h"), Ok(90));
    }

    #[test]
    fn anything_that_would_round_is_refused() {
        for text in [
            "0.01",
            "0.1",
            "1.3",
            "0",
            "0.00",
            "24.25",
            "25",
            "1.333",
            "99999999999",
        ] {
            assert_eq!(
                parse_hours(text),
                Err(HoursProblem::NotQuarterHours),
                "{text}"
            );
        }
        for text in ["", "abc", "1.2.3", "-1", "1e2", ".", "NaN", "inf"] {
            assert_eq!(parse_hours(text), Err(HoursProblem::NotANumber), "{text}");
        }
    }

    #[test]
    fn minutes_obey_the_same_rule() {
        assert_eq!(check_minutes(90), Ok(90));
        assert!(check_minutes(0).is_err());
        assert!(check_minutes(1).is_err());
        assert!(check_minutes(1441).is_err());
        assert!(check_minutes(1455).is_err());
    }
}
