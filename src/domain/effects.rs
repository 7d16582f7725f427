//! What an entry does to the projections, as a pure function of the entry.
//!
//! The same list of effects is applied to the SQLite projection tables when an entry is
//! committed and folded in memory by `ledger verify` and `ledger rebuild`, so the live tables and
//! a fresh fold of the log cannot drift apart by construction; verify checks that nobody made
//! them drift by hand.

use super::body::{ActivityDef, Body, ItemDef, Posting, Role, Sealed, Undo};
use super::points::Points;

pub const ADJUSTMENTS_ACCOUNT: &str = "adjustments";

/// How a passbook's account starts.
pub const PASSBOOK_ACCOUNT_PREFIX: &str = "passbook:";

pub fn passbook_account(passbook: &str) -> String {
    format!("{PASSBOOK_ACCOUNT_PREFIX}{passbook}")
}

pub fn issued_account(community: &str) -> String {
    format!("issued:{community}")
}

pub fn redeemed_account(counter: &str) -> String {
    format!("redeemed:{counter}")
}

/// Where an entry stands: the counter series it belongs to and its local calendar position.
#[derive(Clone, Debug)]
pub struct EntryContext<'a> {
    pub community: &'a str,
    pub counter: &'a str,
    /// The lasting id of the counter that wrote the entry: the origin of what it defines (items,
    /// activities, operators, residents, passbooks) and of the shelf its stock is on.
    pub origin: &'a str,
    /// Local day of `recorded_at`, `YYYY-MM-DD`.
    pub day: &'a str,
    /// Local month of `recorded_at`, `YYYY-MM`.
    pub month: &'a str,
    pub txn: Option<&'a str>,
    pub recorded_at: &'a str,
}

/// One change to one projection. Every effect either belongs to one origin (applied in the order
/// of that counter's series) or commutes with every other (sums, flags that only ever get set),
/// so replicas holding the same entries agree whatever order they arrived in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Post {
        account: String,
        points: Points,
    },
    /// Stock of an item on the shelf of `origin`.
    Stock {
        origin: String,
        item: String,
        delta: i64,
    },
    /// A resident's units of an item of `origin`'s catalogue in a month (monthly limits).
    Usage {
        resident: String,
        origin: String,
        item: String,
        month: String,
        qty: i64,
    },
    /// A passbook's earned and spent points in a local calendar month (what the resident
    /// screen shows as "this month"). Reversals count in the month they are made.
    Monthly {
        passbook: String,
        month: String,
        earned: Points,
        spent: Points,
    },
    /// A counter's totals of one local day.
    Daily {
        day: String,
        origin: String,
        kind: &'static str,
        points: Points,
        count: i64,
    },
    /// What reports add up, per local day and counter: `kind` is `earned` (key: the
    /// activity), `redeemed` (key: the item), `adjusted` (no key); a reversal counts in the
    /// day it is made, negated (an earning's reversal under the key [`REVERSAL_KEY`], since
    /// it does not say the activity).
    Tally {
        day: String,
        origin: String,
        kind: &'static str,
        key: String,
        count: i64,
        qty: i64,
        minutes: i64,
        points: Points,
    },
    /// A passbook that earned or redeemed at `origin` on `day` (residents served).
    Served {
        day: String,
        origin: String,
        passbook: String,
    },
    /// Operators are local to their counter: `(origin, operator)`.
    PutOperator {
        origin: String,
        operator: String,
        name: String,
        role: Role,
        enabled: bool,
    },
    LockOperator {
        origin: String,
        operator: String,
        until: String,
    },
    /// A resident registered at `origin`. An erasure that arrived first stays.
    RegisterResident {
        resident: String,
        origin: String,
        sealed: Sealed,
        registered_at: String,
    },
    /// New personal data, taken only from the counter that registered the resident and only while not erased.
    UpdateResident {
        resident: String,
        origin: String,
        sealed: Sealed,
    },
    /// Erased by any counter; wins over every registration and update, whenever they arrive.
    EraseResident {
        resident: String,
    },
    /// A registration that lost its resident number, settled by an administrator: it no
    /// longer freezes the number's passbook.
    ResolveRegistration {
        resident: String,
        entry: String,
    },
    /// A passbook issued (or reissued with a new token) by its counter.
    PutPassbook {
        passbook: String,
        origin: String,
        resident: String,
        community: String,
        token_sha256: String,
        issued_at: String,
    },
    /// A token blocked by any counter; a blocked token never becomes active again.
    RevokePassbook {
        passbook: String,
        token_sha256: String,
    },
    PutActivity {
        origin: String,
        def: ActivityDef,
    },
    PutItem {
        origin: String,
        def: ItemDef,
    },
    /// A txn of `origin` reversed (by a txn of the same counter).
    MarkReversed {
        origin: String,
        txn: String,
        by_txn: String,
    },
}

/// The key under which the earnings' reversals are tallied (a reversal does not name the
/// activity).
pub const REVERSAL_KEY: &str = "";

/// The effects of one entry, in order.
pub fn effects(body: &Body, ctx: &EntryContext<'_>) -> Vec<Effect> {
    let origin = || ctx.origin.to_string();
    let monthly = |passbook: &str, earned: Points, spent: Points| Effect::Monthly {
        passbook: passbook.to_string(),
        month: ctx.month.to_string(),
        earned,
        spent,
    };
    let tally =
        |kind: &'static str, key: &str, count: i64, qty: i64, minutes: i64, points: Points| {
            Effect::Tally {
                day: ctx.day.to_string(),
                origin: origin(),
                kind,
                key: key.to_string(),
                count,
                qty,
                minutes,
                points,
            }
        };
    let served = |passbook: &str| Effect::Served {
        day: ctx.day.to_string(),
        origin: origin(),
        passbook: passbook.to_string(),
    };
    let day = |kind: &'static str, points: Points| Effect::Daily {
        day: ctx.day.to_string(),
        origin: origin(),
        kind,
        points,
        count: 1,
    };
    match body {
        Body::CounterInitialized { .. } => Vec::new(),
        Body::OperatorAdded {
            operator,
            name,
            role,
        } => vec![Effect::PutOperator {
            origin: origin(),
            operator: operator.clone(),
            name: name.clone(),
            role: *role,
            enabled: true,
        }],
        Body::OperatorUpdated {
            operator,
            name,
            role,
            enabled,
        } => vec![Effect::PutOperator {
            origin: origin(),
            operator: operator.clone(),
            name: name.clone(),
            role: *role,
            enabled: *enabled,
        }],
        Body::OperatorLocked {
            operator, until, ..
        } => vec![Effect::LockOperator {
            origin: origin(),
            operator: operator.clone(),
            until: until.clone(),
        }],
        Body::ResidentRegistered { resident, sealed } => vec![Effect::RegisterResident {
            resident: resident.clone(),
            origin: origin(),
            sealed: sealed.clone(),
            registered_at: ctx.recorded_at.to_string(),
        }],
        Body::ResidentUpdated { resident, sealed } => vec![Effect::UpdateResident {
            resident: resident.clone(),
            origin: origin(),
            sealed: sealed.clone(),
        }],
        Body::ResidentErased { resident } => vec![Effect::EraseResident {
            resident: resident.clone(),
        }],
        Body::RegistrationsResolved { resident, losers } => losers
            .iter()
            .map(|entry| Effect::ResolveRegistration {
                resident: resident.clone(),
                entry: entry.clone(),
            })
            .collect(),
        Body::PassbookIssued {
            passbook,
            resident,
            token_sha256,
            community,
        } => vec![Effect::PutPassbook {
            passbook: passbook.clone(),
            origin: origin(),
            resident: resident.clone(),
            community: community.clone(),
            token_sha256: token_sha256.clone(),
            issued_at: ctx.recorded_at.to_string(),
        }],
        Body::PassbookRevoked {
            passbook,
            token_sha256,
            ..
        } => vec![Effect::RevokePassbook {
            passbook: passbook.clone(),
            token_sha256: token_sha256.clone(),
        }],
        Body::ActivityDefined(def) => vec![Effect::PutActivity {
            origin: origin(),
            def: def.clone(),
        }],
        Body::ItemDefined(def) | Body::ItemUpdated(def) => vec![Effect::PutItem {
            origin: origin(),
            def: def.clone(),
        }],
        Body::PointsEarned {
            passbook,
            points,
            activity,
            minutes,
            ..
        } => vec![
            Effect::Post {
                account: passbook_account(passbook),
                points: *points,
            },
            Effect::Post {
                account: issued_account(ctx.community),
                points: -*points,
            },
            day("earned", *points),
            monthly(passbook, *points, Points::ZERO),
            tally("earned", activity, 1, 0, i64::from(*minutes), *points),
            served(passbook),
        ],
        Body::PointsRedeemed {
            passbook,
            resident,
            lines,
            total,
            ..
        } => {
            let mut out = vec![
                Effect::Post {
                    account: passbook_account(passbook),
                    points: -*total,
                },
                Effect::Post {
                    account: redeemed_account(ctx.counter),
                    points: *total,
                },
                day("redeemed", *total),
                monthly(passbook, Points::ZERO, *total),
                served(passbook),
            ];
            for line in lines {
                out.push(tally(
                    "redeemed",
                    &line.item,
                    1,
                    i64::from(line.qty),
                    0,
                    line.points(),
                ));
                if line.stocked {
                    out.push(Effect::Stock {
                        origin: origin(),
                        item: line.item.clone(),
                        delta: -i64::from(line.qty),
                    });
                }
                out.push(Effect::Usage {
                    resident: resident.clone(),
                    origin: origin(),
                    item: line.item.clone(),
                    month: ctx.month.to_string(),
                    qty: i64::from(line.qty),
                });
            }
            out
        }
        Body::Reversed {
            of_txn,
            passbook,
            resident,
            undo,
            returns,
            postings,
            usage_month,
            ..
        } => {
            let mut out = reversal_undo(
                ctx.origin,
                resident,
                undo,
                postings,
                returns,
                usage_month.as_deref(),
            );
            let passbook_points = passbook_change(passbook, &out);
            // Reports count a reversal on the day and in the month it is made: a closed day's
            // totals never change afterwards.
            out.push(day("reversed", passbook_points));
            out.push(if passbook_points < Points::ZERO {
                monthly(passbook, passbook_points, Points::ZERO)
            } else {
                monthly(passbook, Points::ZERO, -passbook_points)
            });
            if returns.is_empty() {
                // An earning given back: the points leave the passbook again.
                out.push(tally("earned", REVERSAL_KEY, -1, 0, 0, passbook_points));
            } else {
                for line in returns {
                    out.push(tally(
                        "redeemed",
                        &line.item,
                        -1,
                        -i64::from(line.qty),
                        0,
                        -line.points(),
                    ));
                }
            }
            out.push(Effect::MarkReversed {
                origin: origin(),
                txn: of_txn.clone(),
                by_txn: ctx.txn.unwrap_or_default().to_string(),
            });
            out
        }
        Body::PointsAdjusted {
            passbook, points, ..
        } => vec![
            Effect::Post {
                account: passbook_account(passbook),
                points: *points,
            },
            Effect::Post {
                account: ADJUSTMENTS_ACCOUNT.to_string(),
                points: -*points,
            },
            day("adjusted", *points),
            tally("adjusted", "", 1, 0, 0, *points),
        ],
        Body::StockReceived { item, qty, .. } => vec![Effect::Stock {
            origin: origin(),
            item: item.clone(),
            delta: i64::from(*qty),
        }],
        Body::StockCounted { item, delta, .. } => vec![Effect::Stock {
            origin: origin(),
            item: item.clone(),
            delta: *delta,
        }],
    }
}

/// What a reversal gives back: the effects of the original entry on balances, stock and
/// monthly use, negated. Reports (daily and monthly totals) are not undone but record the
/// reversal itself. Derived from [`effects`], so a reversal follows the account rules of the
/// entry it reverses without a second copy of them. A txn is reversed only at the counter that
/// made it, so its stock and monthly uses go back to the reversing counter's own origin.
pub fn undo_of(original: &[Effect]) -> Vec<Undo> {
    original
        .iter()
        .filter_map(|effect| match effect {
            Effect::Post { account, points } => Some(Undo::Post {
                account: account.clone(),
                points: -*points,
            }),
            Effect::Stock { item, delta, .. } => Some(Undo::Stock {
                item: item.clone(),
                delta: -*delta,
            }),
            Effect::Usage {
                resident,
                item,
                month,
                qty,
                ..
            } => Some(Undo::Usage {
                resident: resident.clone(),
                item: item.clone(),
                month: month.clone(),
                qty: -*qty,
            }),
            _ => None,
        })
        .collect()
}

/// The effect of one recorded undo, at the counter `origin` that reverses.
fn undo_effect(undo: &Undo, origin: &str) -> Effect {
    match undo {
        Undo::Post { account, points } => Effect::Post {
            account: account.clone(),
            points: *points,
        },
        Undo::Stock { item, delta } => Effect::Stock {
            origin: origin.to_string(),
            item: item.clone(),
            delta: *delta,
        },
        Undo::Usage {
            resident,
            item,
            month,
            qty,
        } => Effect::Usage {
            resident: resident.clone(),
            origin: origin.to_string(),
            item: item.clone(),
            month: month.clone(),
            qty: *qty,
        },
    }
}

/// What a reversal body gives back at `origin`, whether it carries `undo` or was written before
/// it did.
pub fn reversal_undo(
    origin: &str,
    resident: &str,
    undo: &[Undo],
    postings: &[Posting],
    returns: &[super::body::Line],
    usage_month: Option<&str>,
) -> Vec<Effect> {
    if undo.is_empty() {
        legacy_reversal(origin, resident, postings, returns, usage_month)
    } else {
        undo.iter().map(|u| undo_effect(u, origin)).collect()
    }
}

/// The change of a passbook's balance among `effects`.
pub fn passbook_change(passbook: &str, effects: &[Effect]) -> Points {
    let account = passbook_account(passbook);
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Post { account: a, points } if *a == account => Some(*points),
            _ => None,
        })
        .sum()
}

/// A reversal written before reversals carried `undo`: its postings, goods back on the shelf,
/// and monthly uses given back in the original's month.
fn legacy_reversal(
    origin: &str,
    resident: &str,
    postings: &[Posting],
    returns: &[super::body::Line],
    usage_month: Option<&str>,
) -> Vec<Effect> {
    let mut out: Vec<Effect> = postings
        .iter()
        .map(|Posting { account, points }| Effect::Post {
            account: account.clone(),
            points: *points,
        })
        .collect();
    for line in returns {
        if line.stocked {
            out.push(Effect::Stock {
                origin: origin.to_string(),
                item: line.item.clone(),
                delta: i64::from(line.qty),
            });
        }
        if let Some(month) = usage_month {
            out.push(Effect::Usage {
                resident: resident.to_string(),
                origin: origin.to_string(),
                item: line.item.clone(),
                month: month.to_string(),
                qty: -i64::from(line.qty),
            });
        }
    }
    out
}

/// Double entry: the postings among `effects` sum to zero. Asserted on every commit and fold.
pub fn postings_balance(effects: &[Effect]) -> bool {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Post { points, .. } => Some(*points),
            _ => None,
        })
        .sum::<Points>()
        == Points::ZERO
}
