//! Entries whose time cannot be right: a counter's clock that ran years fast and was then
//! set back writes entries dated in the future of their arrival, then entries dated before
//! their predecessor. They are valid entries (signed, linked) and are kept; the hub lists them
//! so that the street office sees why a month holds bookings it should not.

use chrono::{DateTime, Duration, FixedOffset};

/// How far an entry may be dated after it reached the hub (clocks a little apart, a sync
/// that ran across midnight).
pub const AHEAD_OF_ARRIVAL_MAX: Duration = Duration::hours(24);

/// How far an entry may be dated before the entry its series wrote just before it (a clock
/// set back by an hour for summer time elsewhere, a few minutes by NTP).
pub const BEFORE_PREDECESSOR_MAX: Duration = Duration::hours(24);

/// What is wrong with an entry's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skew {
    /// Dated after it arrived, by more than [`AHEAD_OF_ARRIVAL_MAX`].
    AheadOfArrival,
    /// Dated before its series' previous entry, by more than [`BEFORE_PREDECESSOR_MAX`].
    BeforePredecessor,
}

impl Skew {
    pub fn code(self) -> &'static str {
        match self {
            Skew::AheadOfArrival => "ahead_of_arrival",
            Skew::BeforePredecessor => "before_predecessor",
        }
    }

    pub fn from_code(code: &str) -> Option<Skew> {
        match code {
            "ahead_of_arrival" => Some(Skew::AheadOfArrival),
            "before_predecessor" => Some(Skew::BeforePredecessor),
            _ => None,
        }
    }
}

/// Judges an entry's time (RFC 3339) against when it arrived and its series' previous entry.
/// Returns the skew and the time it was compared with. A time that does not parse is no skew
/// here (the entry itself was read already).
pub fn skew(recorded_at: &str, arrived_at: &str, previous: Option<&str>) -> Option<(Skew, String)> {
    let parse = |t: &str| DateTime::<FixedOffset>::parse_from_rfc3339(t).ok();
    let recorded = parse(recorded_at)?;
    if let Some(arrived) = parse(arrived_at)
        && recorded - arrived > AHEAD_OF_ARRIVAL_MAX
    {
        return Some((Skew::AheadOfArrival, arrived_at.to_string()));
    }
    let previous_text = previous?;
    let previous = parse(previous_text)?;
    (previous - recorded > BEFORE_PREDECESSOR_MAX)
        .then(|| (Skew::BeforePredecessor, previous_text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_three_years_fast_then_set_right_is_seen_both_ways() {
        let arrived = "2026-12-07T02:00:00Z";
        // Written while the clock was three years fast.
        assert_eq!(
            skew(
                "2029-12-06T10:00:00+08:00",
                arrived,
                Some("2026-12-05T10:00:00Z")
            ),
            Some((Skew::AheadOfArrival, arrived.to_string()))
        );
        // The clock set right: the next entry is dated before the one above.
        assert_eq!(
            skew(
                "2026-12-06T11:00:00+08:00",
                arrived,
                Some("2029-12-06T10:00:00+08:00")
            ),
            Some((
                Skew::BeforePredecessor,
                "2029-12-06T10:00:00+08:00".to_string()
            ))
        );
        // Ordinary days: a sync after a week offline, an hour back, a few minutes ahead.
        assert_eq!(skew("2026-11-30T09:00:00Z", arrived, None), None);
        assert_eq!(
            skew(
                "2026-12-06T09:00:00Z",
                arrived,
                Some("2026-12-06T10:00:00Z")
            ),
            None
        );
        assert_eq!(skew("2026-12-07T02:05:00Z", arrived, None), None);
        assert_eq!(skew("not a time", arrived, None), None);
    }
}
