//! Heads: for each series, the highest seq a side holds without a gap, and that entry's hash.
//! One pure function turns my heads and the other side's into the ranges to send them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The head of one series at one side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    #[serde(alias = "counter_id")]
    pub series_id: Uuid,
    /// The highest seq held with every seq below it (0: none).
    pub seq: i64,
    /// Hex of that entry's hash (empty for seq 0).
    pub hash: String,
}

/// A run of one series to send: seqs `from..=to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    #[serde(alias = "counter_id")]
    pub series_id: Uuid,
    pub from: i64,
    pub to: i64,
}

/// What the side with `mine` sends the side with `theirs`: every seq of every series it holds
/// past the other's head, in the order of `mine`. A series the other side holds further is
/// left out; one whose hash differs at the other's head is sent from there anyway, so that the
/// other side sees the fork and keeps it as evidence.
pub fn to_send(mine: &[Head], theirs: &[Head]) -> Vec<Range> {
    mine.iter()
        .filter_map(|head| {
            let their = theirs.iter().find(|t| t.series_id == head.series_id);
            let their_seq = their.map_or(0, |t| t.seq);
            if head.seq > their_seq {
                return Some(Range {
                    series_id: head.series_id,
                    from: their_seq + 1,
                    to: head.seq,
                });
            }
            // Level, but not the same entry: a fork. The other side gets ours to keep as
            // evidence (beyond its head, the broken link shows it; below, its pull does).
            let forked = their.is_some_and(|t| {
                t.seq == head.seq
                    && head.seq > 0
                    && !head.hash.is_empty()
                    && !t.hash.is_empty()
                    && t.hash != head.hash
            });
            forked.then_some(Range {
                series_id: head.series_id,
                from: head.seq,
                to: head.seq,
            })
        })
        .collect()
}

/// The highest seq held without a gap, of a series' seqs in ascending order (0: none, or the
/// first is missing). A hole shows as the head stopping before it, never hidden by a max().
pub fn gapless_head(ascending_seqs: impl IntoIterator<Item = i64>) -> i64 {
    let mut head = 0;
    for seq in ascending_seqs {
        if seq != head + 1 {
            break;
        }
        head = seq;
    }
    head
}

/// The ranges cut into pages of at most `entries_max` entries each, in order.
pub fn paged(ranges: &[Range], entries_max: usize) -> Vec<Range> {
    let step = entries_max.max(1) as i64;
    let mut pages = Vec::new();
    for range in ranges {
        let mut from = range.from;
        while from <= range.to {
            let to = (from + step - 1).min(range.to);
            pages.push(Range {
                series_id: range.series_id,
                from,
                to,
            });
            from = to + 1;
        }
    }
    pages
}

/// The first `entries_max` entries of the ranges (what one pull answers with), and whether
/// any are left for the next.
pub fn first_entries(ranges: &[Range], entries_max: usize) -> (Vec<Range>, bool) {
    let mut left = entries_max as i64;
    let mut taken = Vec::new();
    for range in ranges {
        if left == 0 {
            return (taken, true);
        }
        let to = range.to.min(range.from + left - 1);
        taken.push(Range {
            series_id: range.series_id,
            from: range.from,
            to,
        });
        left -= to - range.from + 1;
        if to < range.to {
            return (taken, true);
        }
    }
    (taken, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(n: u128, seq: i64) -> Head {
        Head {
            series_id: Uuid::from_u128(n),
            seq,
            hash: format!("h{seq}"),
        }
    }

    #[test]
    fn ranges_for_every_case_of_two_heads() {
        type Case<'a> = (&'a [Head], &'a [Head], &'a [(u128, i64, i64)]);
        let cases: &[Case<'_>] = &[
            // the other side knows nothing: everything from the start
            (&[head(1, 5)], &[], &[(1, 1, 5)]),
            // the other side is behind
            (&[head(1, 5)], &[head(1, 2)], &[(1, 3, 5)]),
            // level, or ahead: nothing
            (&[head(1, 5)], &[head(1, 5)], &[]),
            (&[head(1, 5)], &[head(1, 9)], &[]),
            // a series only the other side has is theirs to send
            (&[], &[head(1, 5)], &[]),
            // several series, each on its own
            (
                &[head(1, 5), head(2, 3), head(3, 1)],
                &[head(1, 5), head(2, 1)],
                &[(2, 2, 3), (3, 1, 1)],
            ),
            // an empty series of mine sends nothing
            (&[head(1, 0)], &[], &[]),
            // level with another entry at the head: a fork, sent to be kept as evidence
            (
                &[Head {
                    hash: "mine".into(),
                    ..head(1, 5)
                }],
                &[head(1, 5)],
                &[(1, 5, 5)],
            ),
        ];
        for (mine, theirs, want) in cases {
            let got: Vec<(u128, i64, i64)> = to_send(mine, theirs)
                .iter()
                .map(|r| (r.series_id.as_u128(), r.from, r.to))
                .collect();
            assert_eq!(&got, want, "mine {mine:?} theirs {theirs:?}");
        }
    }

    fn range(n: u128, from: i64, to: i64) -> Range {
        Range {
            series_id: Uuid::from_u128(n),
            from,
            to,
        }
    }

    fn triples(ranges: &[Range]) -> Vec<(u128, i64, i64)> {
        ranges
            .iter()
            .map(|r| (r.series_id.as_u128(), r.from, r.to))
            .collect()
    }

    /// What one side sends the other, in pages of 1,000: the page edges and a hole.
    #[test]
    fn pages_of_what_to_send_at_the_edges() {
        const PAGE: usize = 1_000;
        type Case<'a> = (&'a str, &'a [i64], i64, &'a [(u128, i64, i64)]);
        // (what, the seqs the sender holds, the receiver's head, the pages sent)
        let held_1000: Vec<i64> = (1..=1000).collect();
        let held_1001: Vec<i64> = (1..=1001).collect();
        let with_hole: Vec<i64> = (1..=10).chain(12..=20).collect();
        let held_2500: Vec<i64> = (1..=2500).collect();
        let cases: &[Case<'_>] = &[
            ("exactly one page", &held_1000, 0, &[(1, 1, 1000)]),
            (
                "one page plus one",
                &held_1001,
                0,
                &[(1, 1, 1000), (1, 1001, 1001)],
            ),
            (
                "the receiver holds all but one",
                &held_1001,
                1000,
                &[(1, 1001, 1001)],
            ),
            ("level", &held_1000, 1000, &[]),
            // The sender's hole at 11: its head is 10, so it sends up to 10 only and the
            // receiver fetches 11 onwards from whoever holds it.
            (
                "a hole in the middle of the sender",
                &with_hole,
                0,
                &[(1, 1, 10)],
            ),
            ("a hole, the receiver past it", &with_hole, 10, &[]),
            (
                "two and a half pages",
                &held_2500,
                0,
                &[(1, 1, 1000), (1, 1001, 2000), (1, 2001, 2500)],
            ),
        ];
        for (what, held, theirs, want) in cases {
            let mine = [Head {
                series_id: Uuid::from_u128(1),
                seq: gapless_head(held.iter().copied()),
                hash: String::new(),
            }];
            let theirs = [head(1, *theirs)];
            let pages = paged(&to_send(&mine, &theirs), PAGE);
            assert_eq!(&triples(&pages), want, "{what}");
        }
    }

    #[test]
    fn a_pull_answers_with_the_first_entries_and_says_when_more_are_left() {
        type Case<'a> = (&'a [(u128, i64, i64)], usize, &'a [(u128, i64, i64)], bool);
        let cases: &[Case<'_>] = &[
            (&[(1, 1, 1000)], 1000, &[(1, 1, 1000)], false),
            (&[(1, 1, 1001)], 1000, &[(1, 1, 1000)], true),
            (
                &[(1, 1, 600), (2, 5, 900)],
                1000,
                &[(1, 1, 600), (2, 5, 404)],
                true,
            ),
            (
                &[(1, 1, 600), (2, 5, 404)],
                1000,
                &[(1, 1, 600), (2, 5, 404)],
                false,
            ),
            (&[(1, 1, 1000), (2, 1, 1)], 1000, &[(1, 1, 1000)], true),
            (&[], 1000, &[], false),
        ];
        for (ranges, max, want, more) in cases {
            let ranges: Vec<Range> = ranges.iter().map(|(n, f, t)| range(*n, *f, *t)).collect();
            let (taken, left) = first_entries(&ranges, *max);
            assert_eq!(
                (triples(&taken).as_slice(), left),
                (*want, *more),
                "{ranges:?}"
            );
        }
    }

    #[test]
    fn the_head_stops_before_a_hole() {
        assert_eq!(gapless_head([]), 0);
        assert_eq!(gapless_head([2, 3]), 0);
        assert_eq!(gapless_head([1, 2, 3]), 3);
        assert_eq!(gapless_head([1, 2, 4, 5]), 2);
    }
}
