//! The sample slips shared by the printer tests and the receipt benchmark: one counter header
//! and a typical redemption (5 lines + txn QR).
#![allow(dead_code)]

use pointsdesk::domain::{Line, Points};
use pointsdesk::ledger::{Receipt, ReceiptKind};
use pointsdesk::printer::layout::SlipHeader;

pub const TXN: &str = "01a20171-f3d4-7569-9b61-4703d3022e6b";

pub fn header() -> SlipHeader {
    SlipHeader {
        community: "三桥社区".into(),
        counter: "三桥爱心超市".into(),
        operator: "002 李建国".into(),
        local_time: "2026-11-22 14:05".into(),
    }
}

pub fn line(item: &str, name: &str, qty: u32, unit: i64) -> Line {
    Line {
        item: item.into(),
        name: name.into(),
        qty,
        unit_points: Points(unit),
        stocked: item.starts_with('G'),
    }
}

/// A redemption of `lines`, balance 120 before.
pub fn redemption_of(lines: Vec<Line>) -> Receipt {
    let total: i64 = lines.iter().map(|l| l.points().0).sum();
    Receipt {
        txn: TXN.into(),
        kind: ReceiptKind::Redeem,
        seq: 42,
        recorded_at: "2026-11-22T06:05:00.000Z".into(),
        operator: Some("002".into()),
        passbook: "SQ-A000123".into(),
        resident: "SQ-RA00123".into(),
        resident_name: "张*明".into(),
        lines,
        points: Points(-total),
        balance_before: Points(120),
        balance_after: Points(120 - total),
        activity: None,
        reason: None,
        of_txn: None,
        replayed: false,
        reversed: None,
        balance_now: Points(120 - total),
    }
}

/// The typical slip of the byte budget: five lines and the txn QR.
pub fn typical_redemption() -> Receipt {
    redemption_of(vec![
        line("G001", "洗衣皂", 2, 5),
        line("G002", "抽纸（3包）", 1, 8),
        line("G005", "酱油", 1, 10),
        line("G010", "鸡蛋（10个）", 1, 12),
        line("G011", "面条 1kg", 2, 8),
    ])
}
