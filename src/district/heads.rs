//! Heads: for each series, the highest seq a side holds without a gap, and that entry's hash.
//! One pure function turns my heads and the other side's into the ranges to send them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The head of one series at one side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub counter_id: Uuid,
    /// The highest seq held with every seq below it (0: none).
    pub seq: i64,
    /// Hex of that entry's hash (empty for seq 0).
    pub hash: String,
}

/// A run of one series to send: seqs `from..=to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub counter_id: Uuid,
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
            let their_seq = theirs
                .iter()
                .find(|t| t.counter_id == head.counter_id)
                .map_or(0, |t| t.seq);
            (head.seq > their_seq).then_some(Range {
                counter_id: head.counter_id,
                from: their_seq + 1,
                to: head.seq,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(n: u128, seq: i64) -> Head {
        Head {
            counter_id: Uuid::from_u128(n),
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
        ];
        for (mine, theirs, want) in cases {
            let got: Vec<(u128, i64, i64)> = to_send(mine, theirs)
                .iter()
                .map(|r| (r.counter_id.as_u128(), r.from, r.to))
                .collect();
            assert_eq!(&got, want, "mine {mine:?} theirs {theirs:?}");
        }
    }
}
