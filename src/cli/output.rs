//! Printing results: aligned text tables by display width (a CJK character is two columns),
//! or JSON for scripts.

use crate::i18n::Lang;
use crate::ledger::{AccountSummary, HistoryLine, Receipt, ReceiptKind};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

pub fn json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("views serialise")
    );
}

pub fn error(json: bool, kind: &str, message: &str) {
    if json {
        println!(
            "{}",
            serde_json::json!({ "ok": false, "error": kind, "message": message })
        );
    } else {
        eprintln!("{message}");
    }
}

/// Pads a cell to `width` display columns.
pub fn pad(text: &str, width: usize) -> String {
    let shown = text.width();
    format!("{text}{}", " ".repeat(width.saturating_sub(shown)))
}

/// Prints rows as columns aligned by display width; the first row is the header.
pub fn table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i + 1 == row.len() {
                    cell.clone()
                } else {
                    pad(cell, widths[i])
                }
            })
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
}

pub fn kind_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "points_earned" => lang.pick("获得", "earned"),
        "points_redeemed" => lang.pick("兑换", "redeemed"),
        "reversed" => lang.pick("冲正", "reversal"),
        "points_adjusted" => lang.pick("调整", "adjustment"),
        _ => lang.pick("其他", "other"),
    }
}

pub fn receipt(lang: Lang, r: &Receipt) {
    let title = match r.kind {
        ReceiptKind::Earn => lang.pick("积分已入账", "Points earned"),
        ReceiptKind::Redeem => lang.pick("兑换成功", "Redeemed"),
        ReceiptKind::Reversal => lang.pick("冲正成功", "Reversed"),
        ReceiptKind::Adjustment => lang.pick("调整成功", "Adjusted"),
    };
    if r.replayed {
        println!(
            "{}",
            lang.pick(
                "（此交易号已处理过，以下是第一次的结果，未重复记账）",
                "(this txn was already done; showing its first result, nothing booked twice)"
            )
        );
    }
    println!("{title}  {} {}", lang.pick("交易号", "txn"), r.txn);
    println!(
        "{} {}  {} {}",
        lang.pick("存折", "passbook"),
        r.passbook,
        lang.pick("居民", "resident"),
        r.resident_name
    );
    if let Some(activity) = &r.activity {
        println!("{} {activity}", lang.pick("活动", "activity"));
    }
    let mut rows = Vec::new();
    for line in &r.lines {
        rows.push(vec![
            line.name.clone(),
            format!("{} × {}", line.qty, line.unit_points),
            format!("{}", line.points()),
        ]);
    }
    if !rows.is_empty() {
        table(&rows);
    }
    if let Some(reason) = &r.reason {
        println!("{} {reason}", lang.pick("原因", "reason"));
    }
    println!(
        "{} {:+}  {} {} → {}",
        lang.pick("积分", "points"),
        r.points.0,
        lang.pick("余额", "balance"),
        r.balance_before,
        r.balance_after
    );
}

pub fn history(lang: Lang, lines: &[HistoryLine]) {
    let mut rows = vec![vec![
        lang.pick("时间", "time").to_string(),
        lang.pick("类型", "kind").to_string(),
        lang.pick("积分", "points").to_string(),
        lang.pick("说明", "details").to_string(),
    ]];
    for line in lines {
        rows.push(vec![
            line.recorded_at.clone(),
            kind_label(lang, &line.kind).to_string(),
            format!("{:+}", line.points.0),
            line.description.clone(),
        ]);
    }
    table(&rows);
}

pub fn account(lang: Lang, a: &AccountSummary) {
    println!(
        "{} {}  {} {} ({})",
        lang.pick("存折", "passbook"),
        a.passbook,
        lang.pick("居民", "resident"),
        a.resident_name,
        a.resident
    );
    println!(
        "{} {}  {} +{} / -{}",
        lang.pick("余额", "balance"),
        a.balance,
        lang.pick("本月", "this month"),
        a.month_earned,
        a.month_spent
    );
    if !a.last.is_empty() {
        history(lang, &a.last);
    }
}
