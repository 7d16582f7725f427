//! Entry bodies: what an entry says happened. Serialised once to JSON when the entry is made;
//! the bytes are kept exactly as hashed and only ever parsed, never re-serialised to verify.

use super::points::Points;
use serde::{Deserialize, Serialize};

/// What an operator may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the counter: earn, redeem, issue passbooks, receive stock.
    Volunteer,
    /// Also corrects (reverse, adjust), keeps operators and the catalogue, sees full records.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Volunteer => "volunteer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "volunteer" | "志愿者" => Some(Role::Volunteer),
            "admin" | "管理员" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The kinds of catalogue item. Only goods carry stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Soap, tissues, rice, oil: counted stock.
    Goods,
    /// Home rehabilitation therapy, a haircut.
    Service,
    /// A slot in the community room.
    Venue,
    /// Honour items (a certificate, a star volunteer badge): no stock.
    Honour,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Goods => "goods",
            ItemKind::Service => "service",
            ItemKind::Venue => "venue",
            ItemKind::Honour => "honour",
        }
    }

    pub fn parse(text: &str) -> Option<ItemKind> {
        match text {
            "goods" | "商品" => Some(ItemKind::Goods),
            "service" | "服务" => Some(ItemKind::Service),
            "venue" | "场地" => Some(ItemKind::Venue),
            "honour" | "honor" | "荣誉" => Some(ItemKind::Honour),
            _ => None,
        }
    }

    pub fn has_stock(self) -> bool {
        self == ItemKind::Goods
    }
}

/// An item of the catalogue as defined by an administrator. `ItemDefined` and `ItemUpdated`
/// both carry the whole definition, so the projection is a plain replace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDef {
    pub item: String,
    pub name: String,
    pub kind: ItemKind,
    pub points: Points,
    pub barcode: Option<String>,
    /// Most units one resident may redeem in one calendar month (local time).
    pub monthly_limit: Option<u32>,
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityDef {
    pub activity: String,
    pub name: String,
    pub points_per_hour: Points,
    pub enabled: bool,
}

/// One line of a redemption: `qty` × `unit_points` of `item`, priced when redeemed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub item: String,
    pub name: String,
    pub qty: u32,
    pub unit_points: Points,
    pub stocked: bool,
}

impl Line {
    pub fn points(&self) -> Points {
        Points(self.unit_points.0 * i64::from(self.qty))
    }
}

/// A movement on one account. The postings of one entry sum to zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub account: String,
    pub points: Points,
}

/// Where a new series of a counter takes over from an earlier one: the earlier series' id and
/// the seq and hash of the last entry of it that the new series builds on (entries after it,
/// lost with a restore, are never signed again), and, when the earlier series' key was at
/// hand, its signature over [`SeriesLink::endorsed_bytes`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesLink {
    /// Named `counter_id` in the signed entries, as it was when the first were written.
    #[serde(rename = "counter_id")]
    pub series_id: String,
    pub seq: i64,
    pub hash: String,
    /// The highest seq the earlier series ever signed (more than `seq` when entries were lost).
    pub used_seq: i64,
    /// The counter's origin (its lasting id: its first series, which what it registers
    /// carries); absent in links written before it was carried, where it is `series_id`'s
    /// own origin. Named `origin` in links signed before the word was kept for the folder.
    #[serde(default, alias = "home", skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement: Option<String>,
}

impl SeriesLink {
    /// What the earlier series' key signs: the new series' id and key, and the link.
    pub fn endorsed_bytes(&self, new_series_id: &str, new_public_key: &str) -> Vec<u8> {
        format!(
            "pointsdesk series link v1\n{}\n{}\n{}\n{}\n{}\n{}",
            self.series_id, self.seq, self.hash, self.used_seq, new_series_id, new_public_key
        )
        .into_bytes()
    }
}

/// One effect of an entry on what can be given back: a posting, a stock movement, a monthly
/// use. A reversal carries the original's, negated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Undo {
    Post {
        account: String,
        points: Points,
    },
    Stock {
        item: String,
        delta: i64,
    },
    Usage {
        resident: String,
        item: String,
        month: String,
        qty: i64,
    },
}

/// Personal data sealed with the resident's own key (kept outside the log, so that destroying
/// it erases the person while the log stays verifiable). Hex of nonce and ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub nonce: String,
    pub ciphertext: String,
}

/// The personal fields that are sealed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalData {
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
}

/// Everything that can happen, as recorded in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Externally tagged (`{"points_redeemed": {...}}`): parsed without buffering, which matters
// when `ledger verify` reads a million bodies.
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// The first entry of a counter's series: who it is and how it cuts days. A counter
    /// restored from a backup that lacked some of its entries goes on in a new series, whose
    /// first entry says which series and head it continues.
    CounterInitialized {
        community: String,
        prefix: String,
        counter: String,
        public_key: String,
        utc_offset_minutes: i32,
        /// The counter code its numbers carry (`SQ-A000001`); absent in homes made before
        /// codes, which number `SQ-000001`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        continues: Option<SeriesLink>,
        /// The block of numbers this series hands out ([`crate::domain::ids::Numbering::block`]):
        /// a series that continues a counter after a restore or a lost PC numbers in a block
        /// no earlier series of the counter used, so numbers the lost entries may have handed
        /// out are never handed out again. Absent: block 0, the first series.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number_block: Option<u32>,
    },
    OperatorAdded {
        operator: String,
        name: String,
        role: Role,
    },
    OperatorUpdated {
        operator: String,
        name: String,
        role: Role,
        enabled: bool,
    },
    /// Too many wrong PINs: the operator may not log in before `until` (UTC, RFC 3339).
    OperatorLocked {
        operator: String,
        failures: u32,
        until: String,
    },
    ResidentRegistered {
        resident: String,
        sealed: Sealed,
    },
    ResidentUpdated {
        resident: String,
        sealed: Sealed,
    },
    /// The resident's key was destroyed: their personal data can no longer be read anywhere.
    ResidentErased {
        resident: String,
    },
    PassbookIssued {
        passbook: String,
        resident: String,
        token_sha256: String,
        community: String,
    },
    PassbookRevoked {
        passbook: String,
        token_sha256: String,
        reason: String,
    },
    /// A resident number registered twice (see [`crate::district::claims`]) resolved by an
    /// administrator of the counter that registered it: the registrations that lost the number (`losers`, entry ids)
    /// are settled, so the number's passbook spends again. The passbook tokens issued for them
    /// are revoked in the same txn; the person they were for is registered anew.
    RegistrationsResolved {
        resident: String,
        losers: Vec<String>,
    },
    ActivityDefined(ActivityDef),
    ItemDefined(ItemDef),
    ItemUpdated(ItemDef),
    PointsEarned {
        passbook: String,
        resident: String,
        activity: String,
        minutes: u32,
        points: Points,
        event: Option<String>,
        balance_after: Points,
        /// The administrator who confirmed a passbook typed by its number instead of scanned.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confirmed_by: Option<String>,
    },
    PointsRedeemed {
        passbook: String,
        resident: String,
        lines: Vec<Line>,
        total: Points,
        balance_after: Points,
        /// The administrator who confirmed a passbook typed by its number instead of scanned.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confirmed_by: Option<String>,
    },
    /// Compensates every posting, stock movement and monthly use of `of_txn`: `undo` is the
    /// original entry's effects on them, negated (see [`super::effects::undo_of`]).
    Reversed {
        of_txn: String,
        of_kind: String,
        reason: String,
        passbook: String,
        resident: String,
        #[serde(default)]
        undo: Vec<Undo>,
        /// The lines given back, as the reversal slip shows them.
        returns: Vec<Line>,
        /// Entries written before `undo` existed carry their postings and the month of the
        /// monthly uses they give back instead; they are folded the way they were written.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        postings: Vec<Posting>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage_month: Option<String>,
        balance_after: Points,
    },
    PointsAdjusted {
        passbook: String,
        points: Points,
        reason: String,
        balance_after: Points,
        /// A settlement of an overdraft: the count of this passbook's settlements before it
        /// plus one, so two administrators settling one overdraft claim the same one
        /// ([`crate::district::claims`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settles: Option<u32>,
    },
    StockReceived {
        item: String,
        qty: u32,
        donor: Option<String>,
    },
    StockCounted {
        item: String,
        counted: i64,
        delta: i64,
    },
}

impl Body {
    /// Whether it is a points entry (its txn is one movement of points).
    pub fn moves_points(&self) -> bool {
        self.passbook_balance_after().is_some()
    }

    /// The passbook a points entry moves and the balance it says it left.
    pub fn passbook_balance_after(&self) -> Option<(&str, Points)> {
        match self {
            Body::PointsEarned {
                passbook,
                balance_after,
                ..
            }
            | Body::PointsRedeemed {
                passbook,
                balance_after,
                ..
            }
            | Body::Reversed {
                passbook,
                balance_after,
                ..
            }
            | Body::PointsAdjusted {
                passbook,
                balance_after,
                ..
            } => Some((passbook, *balance_after)),
            _ => None,
        }
    }

    /// The body's type tag, as stored in the `entries.kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::CounterInitialized { .. } => "counter_initialized",
            Body::OperatorAdded { .. } => "operator_added",
            Body::OperatorUpdated { .. } => "operator_updated",
            Body::OperatorLocked { .. } => "operator_locked",
            Body::ResidentRegistered { .. } => "resident_registered",
            Body::ResidentUpdated { .. } => "resident_updated",
            Body::ResidentErased { .. } => "resident_erased",
            Body::PassbookIssued { .. } => "passbook_issued",
            Body::PassbookRevoked { .. } => "passbook_revoked",
            Body::RegistrationsResolved { .. } => "registrations_resolved",
            Body::ActivityDefined(_) => "activity_defined",
            Body::ItemDefined(_) => "item_defined",
            Body::ItemUpdated(_) => "item_updated",
            Body::PointsEarned { .. } => "points_earned",
            Body::PointsRedeemed { .. } => "points_redeemed",
            Body::Reversed { .. } => "reversed",
            Body::PointsAdjusted { .. } => "points_adjusted",
            Body::StockReceived { .. } => "stock_received",
            Body::StockCounted { .. } => "stock_counted",
        }
    }
}

/// What is hashed and signed: the body together with the entry's own header fields, so that
/// none of them (id, time, operator, txn) can be changed without breaking the hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Format version of the envelope.
    pub v: u32,
    pub id: String,
    pub recorded_at: String,
    pub operator: Option<String>,
    pub txn: Option<String>,
    pub body: Body,
}

pub const ENVELOPE_VERSION: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Body> {
        let item = ItemDef {
            item: "G001".into(),
            name: "洗衣皂".into(),
            kind: ItemKind::Goods,
            points: Points(5),
            barcode: Some("6901234500011".into()),
            monthly_limit: Some(4),
            enabled: true,
        };
        let line = Line {
            item: "G001".into(),
            name: "洗衣皂".into(),
            qty: 2,
            unit_points: Points(5),
            stocked: true,
        };
        let sealed = Sealed {
            nonce: "00".into(),
            ciphertext: "ff".into(),
        };
        let s = |t: &str| t.to_string();
        vec![
            Body::CounterInitialized {
                community: s("三桥社区"),
                prefix: s("SQ"),
                counter: s("三桥爱心超市"),
                public_key: s("ab"),
                utc_offset_minutes: 480,
                code: None,
                continues: None,
                number_block: None,
            },
            Body::CounterInitialized {
                community: s("三桥社区"),
                prefix: s("SQ"),
                counter: s("三桥爱心超市"),
                public_key: s("cd"),
                utc_offset_minutes: 480,
                code: Some(s("A")),
                continues: Some(SeriesLink {
                    series_id: s("0191e0c2-7a3b-7c4d-8e5f-0123456789ab"),
                    seq: 10,
                    hash: s("00"),
                    used_seq: 13,
                    origin: Some(s("0191e0c2-7a3b-7c4d-8e5f-000000000000")),
                    endorsement: Some(s("ff")),
                }),
                number_block: Some(1),
            },
            Body::OperatorAdded {
                operator: s("001"),
                name: s("王芳"),
                role: Role::Admin,
            },
            Body::OperatorUpdated {
                operator: s("002"),
                name: s("李"),
                role: Role::Volunteer,
                enabled: false,
            },
            Body::OperatorLocked {
                operator: s("002"),
                failures: 5,
                until: s("2026-11-22T04:00:00.000Z"),
            },
            Body::ResidentRegistered {
                resident: s("R000001"),
                sealed: sealed.clone(),
            },
            Body::ResidentUpdated {
                resident: s("R000001"),
                sealed,
            },
            Body::ResidentErased {
                resident: s("R000001"),
            },
            Body::PassbookIssued {
                passbook: s("SQ-000001"),
                resident: s("R000001"),
                token_sha256: s("00"),
                community: s("三桥社区"),
            },
            Body::PassbookRevoked {
                passbook: s("SQ-000001"),
                token_sha256: s("00"),
                reason: s("遗失"),
            },
            Body::RegistrationsResolved {
                resident: s("R000001"),
                losers: vec![s("0191e0c2-7a3b-7c4d-8e5f-0123456789ab")],
            },
            Body::ActivityDefined(ActivityDef {
                activity: s("A01"),
                name: s("垃圾分类"),
                points_per_hour: Points(10),
                enabled: true,
            }),
            Body::ItemDefined(item.clone()),
            Body::ItemUpdated(item),
            Body::PointsEarned {
                passbook: s("SQ-000001"),
                resident: s("R000001"),
                activity: s("A01"),
                minutes: 90,
                points: Points(15),
                event: None,
                balance_after: Points(15),
                confirmed_by: None,
            },
            Body::PointsRedeemed {
                passbook: s("SQ-000001"),
                resident: s("R000001"),
                lines: vec![line.clone()],
                total: Points(10),
                balance_after: Points(5),
                confirmed_by: Some(s("001")),
            },
            Body::Reversed {
                of_txn: s("t"),
                of_kind: s("points_redeemed"),
                reason: s("退货"),
                passbook: s("SQ-000001"),
                resident: s("R000001"),
                undo: vec![
                    Undo::Post {
                        account: s("passbook:SQ-000001"),
                        points: Points(10),
                    },
                    Undo::Stock {
                        item: s("G001"),
                        delta: 2,
                    },
                    Undo::Usage {
                        resident: s("R000001"),
                        item: s("G001"),
                        month: s("2026-11"),
                        qty: -2,
                    },
                ],
                returns: vec![line.clone()],
                postings: Vec::new(),
                usage_month: None,
                balance_after: Points(15),
            },
            Body::Reversed {
                of_txn: s("t"),
                of_kind: s("points_redeemed"),
                reason: s("written before undo existed"),
                passbook: s("SQ-000001"),
                resident: s("R000001"),
                undo: Vec::new(),
                returns: vec![line],
                postings: vec![Posting {
                    account: s("passbook:SQ-000001"),
                    points: Points(10),
                }],
                usage_month: Some(s("2026-11")),
                balance_after: Points(15),
            },
            Body::PointsAdjusted {
                passbook: s("SQ-000001"),
                points: Points(-3),
                reason: s("更正"),
                balance_after: Points(12),
                settles: None,
            },
            Body::StockReceived {
                item: s("G001"),
                qty: 10,
                donor: Some(s("区慈善超市")),
            },
            Body::StockCounted {
                item: s("G001"),
                counted: 9,
                delta: -1,
            },
        ]
    }

    #[test]
    fn every_body_reads_back_as_written_and_names_its_kind() {
        for body in every_kind() {
            let bytes = serde_json::to_vec(&body).unwrap();
            let back: Body = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(back, body);
            let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let tag = value
                .as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap();
            assert_eq!(tag, body.kind());
        }
    }
}
