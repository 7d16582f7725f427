//! How the ledger is put into words for a person: the labels, the receipt and account texts,
//! the slip header and width-aware columns that the command line, the counter's screens and
//! the demo all show. One module below the three of them, so that they say the same thing the
//! same way and none of them imports another.
//!
//! Owns wording and layout by display width (a Chinese character takes two columns). Must not
//! print, draw or write: callers put the lines where they belong.

use crate::domain::{ItemKind, Role};
use crate::i18n::Lang;
use crate::ledger::{
    AccountSummary, DayTotal, HistoryDetail, HistoryLine, Ledger, Receipt, ReceiptKind,
};
use crate::printer::layout::{DayClose, SlipHeader};
use unicode_width::UnicodeWidthStr;

pub mod people;
pub mod sync;

/// Columns between two columns of a table.
const TABLE_GAP: &str = "  ";

/// Pads a text with spaces to `width` display columns (a Chinese character is two).
pub fn pad(text: &str, width: usize) -> String {
    let shown = text.width();
    format!("{text}{}", " ".repeat(width.saturating_sub(shown)))
}

/// Rows as lines of columns aligned by display width; the last column is not padded.
pub fn table_lines(rows: &[Vec<String>]) -> Vec<String> {
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
    rows.iter()
        .map(|row| {
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
            cells.join(TABLE_GAP).trim_end().to_string()
        })
        .collect()
}

/// What kind of points entry a history line is.
pub fn kind_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "points_earned" => lang.pick("获得", "earned"),
        "points_redeemed" => lang.pick("兑换", "redeemed"),
        "reversed" => lang.pick("冲正", "reversal"),
        "points_adjusted" => lang.pick("调整", "adjustment"),
        _ => lang.pick("其他", "other"),
    }
}

/// A row of the daily totals (the day-close slip and report).
pub fn daily_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "earned" => lang.pick("获得", "earned"),
        "redeemed" => lang.pick("兑换", "redeemed"),
        "reversed" => lang.pick("冲正", "reversed"),
        "adjusted" => lang.pick("调整", "adjusted"),
        _ => lang.pick("其他", "other"),
    }
}

pub fn role_label(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Volunteer => lang.pick("志愿者", "volunteer"),
        Role::Admin => lang.pick("管理员", "administrator"),
    }
}

pub fn item_kind_label(lang: Lang, kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Goods => lang.pick("商品", "goods"),
        ItemKind::Service => lang.pick("服务", "service"),
        ItemKind::Venue => lang.pick("场地", "venue"),
        ItemKind::Honour => lang.pick("荣誉", "honour"),
    }
}

/// A passbook's status as stored (`active`, `revoked`), in words.
pub fn passbook_status_label(lang: Lang, status: &str) -> &'static str {
    match status {
        "active" => lang.pick("有效", "active"),
        "revoked" => lang.pick("已作废", "revoked"),
        _ => lang.pick("未知", "unknown"),
    }
}

/// What kind of slip a print-queue job is.
pub fn slip_kind_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "redeem" => lang.pick("兑换凭证", "redemption"),
        "earn" => lang.pick("积分入账凭证", "earning"),
        "reversal" => lang.pick("冲正凭证", "reversal"),
        "adjustment" => lang.pick("调整凭证", "adjustment"),
        "passbook" => lang.pick("存折", "passbook"),
        "day_close" => lang.pick("日结单", "day close"),
        "test" => lang.pick("测试页", "test slip"),
        _ => lang.pick("小票", "slip"),
    }
}

/// A resident's (masked) name as shown; an erased resident has none, and this says so.
pub fn resident_name(lang: Lang, name: &str) -> String {
    if name.is_empty() {
        lang.pick("（个人信息已删除）", "(personal data erased)")
            .to_string()
    } else {
        name.to_string()
    }
}

/// Minutes as hours for people: "1.5 小时", "2 h", "0.25 h".
pub fn hours_text(lang: Lang, minutes: u32) -> String {
    let hours = f64::from(minutes) / 60.0;
    let number = format!("{hours:.2}");
    let number = number.trim_end_matches('0').trim_end_matches('.');
    format!("{number} {}", lang.pick("小时", "h"))
}

/// A signed number of points as a person reads it: `+15`, `-10`, `0`.
pub fn signed_points(points: i64) -> String {
    if points == 0 {
        "0".to_string()
    } else {
        format!("{points:+}")
    }
}

/// The text of a points txn for the command line and the demo: what happened, to whom, the
/// lines, and the balance before and after.
pub fn receipt_lines(lang: Lang, r: &Receipt) -> Vec<String> {
    let title = match r.kind {
        ReceiptKind::Earn => lang.pick("积分已入账", "Points earned"),
        ReceiptKind::Redeem => lang.pick("兑换成功", "Redeemed"),
        ReceiptKind::Reversal => lang.pick("冲正成功", "Reversed"),
        ReceiptKind::Adjustment => lang.pick("调整成功", "Adjusted"),
    };
    let mut out = Vec::new();
    if r.replayed {
        out.push(
            lang.pick(
                "（此交易号已处理过，以下是第一次的结果，未重复记账）",
                "(this txn was already done; showing its first result, nothing booked twice)",
            )
            .to_string(),
        );
    }
    out.push(format!("{title}  {} {}", lang.pick("交易号", "txn"), r.txn));
    out.push(format!(
        "{} {}  {} {}",
        lang.pick("存折", "passbook"),
        r.passbook,
        lang.pick("居民", "resident"),
        resident_name(lang, &r.resident_name)
    ));
    if let Some(activity) = &r.activity {
        out.push(format!("{} {activity}", lang.pick("活动", "activity")));
    }
    let rows: Vec<Vec<String>> = r
        .lines
        .iter()
        .map(|line| {
            vec![
                line.name.clone(),
                format!("{} × {}", line.qty, line.unit_points),
                format!("{}", line.points()),
            ]
        })
        .collect();
    out.extend(table_lines(&rows));
    if let Some(reason) = &r.reason {
        out.push(format!("{} {reason}", lang.pick("原因", "reason")));
    }
    out.push(format!(
        "{} {}  {} {} → {}",
        lang.pick("积分", "points"),
        signed_points(r.points.0),
        lang.pick("余额", "balance"),
        r.balance_before,
        r.balance_after
    ));
    if r.replayed && r.balance_now != r.balance_after {
        out.push(format!(
            "{} {}",
            lang.pick("当前余额", "balance now"),
            r.balance_now
        ));
    }
    out
}

/// A passbook's latest entries as a table.
pub fn history_lines(lang: Lang, lines: &[HistoryLine]) -> Vec<String> {
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
            signed_points(line.points.0),
            history_detail(lang, &line.detail),
        ]);
    }
    table_lines(&rows)
}

/// One history line's "what", in words: "垃圾分类督导 1.5 小时", "洗衣皂×2, 酱油×1",
/// "冲正 8c3f2a1b（拿错商品）".
pub fn history_detail(lang: Lang, detail: &HistoryDetail) -> String {
    match detail {
        HistoryDetail::Earned {
            activity,
            minutes,
            event,
        } => match event {
            Some(event) => format!("{activity} {} [{event}]", hours_text(lang, *minutes)),
            None => format!("{activity} {}", hours_text(lang, *minutes)),
        },
        HistoryDetail::Redeemed { lines } => lines
            .iter()
            .map(|(name, qty)| format!("{name}×{qty}"))
            .collect::<Vec<_>>()
            .join(", "),
        HistoryDetail::Reversed { of_txn, reason } => format!(
            "{} {} ({reason})",
            lang.pick("冲正", "reverses"),
            crate::ledger::short_txn(of_txn)
        ),
        HistoryDetail::Adjusted { reason } => reason.clone(),
        HistoryDetail::Other => String::new(),
    }
}

/// What a scan shows on the command line: the resident, the balance, this month, history.
pub fn account_lines(lang: Lang, a: &AccountSummary, with_history: bool) -> Vec<String> {
    let mut out = vec![
        format!(
            "{} {}  {} {} ({})",
            lang.pick("存折", "passbook"),
            a.passbook,
            lang.pick("居民", "resident"),
            resident_name(lang, &a.resident_name),
            a.resident
        ),
        format!(
            "{} {}  {} {} {} / {} {}",
            lang.pick("余额", "balance"),
            a.balance,
            lang.pick("本月", "this month"),
            lang.pick("获得", "earned"),
            a.month_earned,
            lang.pick("兑换", "spent"),
            a.month_spent
        ),
    ];
    if with_history && !a.last.is_empty() {
        out.extend(history_lines(lang, &a.last));
    }
    out
}

/// The day-close (Z) slip's rows: each kind of movement of the day with its count and points.
pub fn day_close(lang: Lang, day: &str, totals: &[DayTotal]) -> DayClose {
    DayClose {
        day: day.to_string(),
        rows: totals
            .iter()
            .map(|t| (daily_label(lang, &t.kind).to_string(), t.count, t.points.0))
            .collect(),
    }
}

/// The header of a slip: community, counter, operator (number and name) and local time.
pub fn slip_header(ledger: &Ledger, operator: Option<&str>, recorded_at: &str) -> SlipHeader {
    let operator = operator
        .map(|no| {
            let name = ledger
                .operators()
                .ok()
                .and_then(|ops| ops.into_iter().find(|o| o.operator == no).map(|o| o.name))
                .unwrap_or_default();
            format!("{no} {name}").trim_end().to_string()
        })
        .unwrap_or_default();
    SlipHeader {
        community: ledger.series().community.clone(),
        counter: ledger.series().counter.clone(),
        operator,
        local_time: ledger.local_time(recorded_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_by_display_width_not_characters() {
        let lines = table_lines(&[
            vec!["工号".into(), "x".into()],
            vec!["002".into(), "y".into()],
        ]);
        assert_eq!(lines, vec!["工号  x", "002   y"]);
        assert_eq!(pad("工号", 8), "工号    ");
    }

    #[test]
    fn hours_read_as_people_write_them() {
        assert_eq!(hours_text(Lang::ZhCn, 90), "1.5 小时");
        assert_eq!(hours_text(Lang::En, 120), "2 h");
        assert_eq!(hours_text(Lang::En, 15), "0.25 h");
        assert_eq!(signed_points(0), "0");
        assert_eq!(signed_points(-5), "-5");
    }
}
