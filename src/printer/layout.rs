//! Slip layouts: what a redemption, earning, reversal, passbook or day-close slip says, as
//! abstract blocks; and rendering those blocks to ESC/POS bytes for one printer profile.
//! Widths are display widths (a Chinese character is two columns), via `super::text`.

use super::escpos::{self, Align};
use super::profile::{ChineseMode, Profile};
use super::text;
use crate::i18n::Lang;
use crate::ledger::{Receipt, ReceiptKind, short_txn};
use crate::passbook::slip_qr::txn_qr_payload;

/// Columns of the right-hand field of a pair line (amounts, quantities). The field starts at a
/// tab stop, so a line costs a `HT` and a few spaces instead of padding across the paper.
pub const RIGHT_FIELD_COLUMNS: usize = 12;

/// One piece of a slip. Serialisable: the print queue keeps blocks, not bytes, so a job
/// waiting for paper can print on whichever profile is configured when it finally prints.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Block {
    /// Double size, bold, centred.
    Title(String),
    /// Bold, centred.
    Heading(String),
    Center(String),
    Line(String),
    /// Left text and right-aligned text on one line (wrapped if needed).
    Pair(String, String),
    Rule,
    Qr(String),
    Feed(u8),
}

/// Who and where: printed on every slip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlipHeader {
    pub community: String,
    pub counter: String,
    /// Operator number and name, e.g. "002 李建国".
    pub operator: String,
    /// Local date and time of the txn, "2026-11-22 14:05".
    pub local_time: String,
}

fn copy_mark(lang: Lang, copy: bool) -> Option<Block> {
    copy.then(|| copy_heading(lang))
}

/// The mark of a reprint: 重印 / COPY.
pub fn copy_heading(lang: Lang) -> Block {
    Block::Heading(lang.pick("*** 重印 ***", "*** COPY ***").to_string())
}

fn header_blocks(h: &SlipHeader, title: &str, lang: Lang, copy: bool) -> Vec<Block> {
    let mut blocks = vec![
        Block::Title(h.community.clone()),
        Block::Center(h.counter.clone()),
        Block::Heading(title.to_string()),
    ];
    blocks.extend(copy_mark(lang, copy));
    blocks.push(Block::Line(format!(
        "{} {}",
        lang.pick("时间", "Time"),
        h.local_time
    )));
    blocks.push(Block::Line(format!(
        "{} {}",
        lang.pick("操作员", "Operator"),
        h.operator
    )));
    blocks
}

/// The slip of a points txn (redemption, earning, reversal, adjustment).
pub fn txn_slip(h: &SlipHeader, r: &Receipt, lang: Lang, copy: bool) -> Vec<Block> {
    let title = match r.kind {
        ReceiptKind::Redeem => lang.pick("兑换凭证", "Redemption"),
        ReceiptKind::Earn => lang.pick("积分入账凭证", "Points earned"),
        ReceiptKind::Reversal => lang.pick("冲正凭证", "Reversal"),
        ReceiptKind::Adjustment => lang.pick("积分调整凭证", "Adjustment"),
    };
    let mut b = header_blocks(h, title, lang, copy);
    b.push(Block::Pair(
        format!("{} {}", lang.pick("单号", "Txn"), short_txn(&r.txn)),
        format!("{} {}", lang.pick("存折", "Passbook"), r.passbook),
    ));
    b.push(Block::Line(format!(
        "{} {}",
        lang.pick("居民", "Resident"),
        r.resident_name
    )));
    if let Some(of) = &r.of_txn {
        b.push(Block::Line(format!(
            "{} {}",
            lang.pick("原单号", "Reverses"),
            short_txn(of)
        )));
    }
    if let Some(activity) = &r.activity {
        b.push(Block::Line(format!(
            "{} {activity}",
            lang.pick("活动", "Activity")
        )));
    }
    b.push(Block::Rule);
    for line in &r.lines {
        b.push(Block::Pair(
            line.name.clone(),
            format!("{}×{}  {}", line.qty, line.unit_points, line.points()),
        ));
    }
    if !r.lines.is_empty() {
        b.push(Block::Rule);
    }
    if let Some(reason) = &r.reason {
        b.push(Block::Line(format!(
            "{} {reason}",
            lang.pick("原因", "Reason")
        )));
    }
    let points_label = match r.kind {
        ReceiptKind::Redeem => lang.pick("合计扣减", "Total"),
        _ => lang.pick("积分变动", "Points"),
    };
    let points = if r.kind == ReceiptKind::Redeem {
        -r.points.0
    } else {
        r.points.0
    };
    let signed = if r.kind == ReceiptKind::Redeem {
        points.to_string()
    } else {
        format!("{points:+}")
    };
    b.push(Block::Pair(
        points_label.into(),
        format!("{signed} {}", lang.pick("分", "pts")),
    ));
    b.push(Block::Pair(
        lang.pick("原余额", "Balance before").into(),
        r.balance_before.to_string(),
    ));
    b.push(Block::Pair(
        lang.pick("现余额", "Balance after").into(),
        r.balance_after.to_string(),
    ));
    if matches!(r.kind, ReceiptKind::Redeem | ReceiptKind::Earn) {
        b.push(Block::Qr(txn_qr_payload(&r.txn)));
        b.push(Block::Center(
            lang.pick("如需冲正请出示此码", "Show this code to reverse")
                .into(),
        ));
    }
    b.push(Block::Center(
        lang.pick("感谢您参与志愿服务！", "Thank you for volunteering!")
            .into(),
    ));
    b
}

/// The slip to stick into a paper passbook: the QR and the human number.
pub fn passbook_slip(
    h: &SlipHeader,
    passbook: &str,
    resident_name: &str,
    scan: &str,
    lang: Lang,
) -> Vec<Block> {
    vec![
        Block::Title(h.community.clone()),
        Block::Heading(lang.pick("时间银行存折", "Time-bank passbook").into()),
        Block::Qr(scan.to_string()),
        Block::Title(passbook.to_string()),
        Block::Center(resident_name.to_string()),
        Block::Center(format!("{} {}", lang.pick("发放", "Issued"), h.local_time)),
        Block::Center(
            lang.pick(
                "请妥善保管，遗失请到柜台挂失补办",
                "Keep it safe; report a loss at the counter",
            )
            .into(),
        ),
    ]
}

/// Totals of one local day for the day-close (Z) slip.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayClose {
    pub day: String,
    /// (kind label, count, points) rows, e.g. ("兑换", 12, 340).
    pub rows: Vec<(String, i64, i64)>,
}

pub fn day_close_slip(h: &SlipHeader, day: &DayClose, lang: Lang, copy: bool) -> Vec<Block> {
    let mut b = header_blocks(h, lang.pick("日结单", "Day close (Z)"), lang, copy);
    b.push(Block::Line(format!(
        "{} {}",
        lang.pick("营业日", "Day"),
        day.day
    )));
    b.push(Block::Rule);
    for (label, count, points) in &day.rows {
        b.push(Block::Pair(format!("{label} ×{count}"), points.to_string()));
    }
    b.push(Block::Rule);
    b
}

/// `hw print-test`: Chinese and Latin text, alignment, a pair line, a rule and a QR, so one
/// look at the paper tells whether the profile fits the printer.
pub fn test_slip(profile: &Profile, lang: Lang) -> Vec<Block> {
    vec![
        Block::Title(lang.pick("打印测试", "Test print").into()),
        Block::Center(format!(
            "{} ({} dots, {} cols)",
            profile.description, profile.dots_per_line, profile.columns
        )),
        Block::Rule,
        Block::Line("中文测试：爱心超市 时间银行 ￥12.50".into()),
        Block::Line("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789".into()),
        Block::Pair("洗衣皂".into(), "2×5  10".into()),
        Block::Pair("Left".into(), "Right".into()),
        Block::Rule,
        Block::Qr("PD1TESTPRINT".into()),
        Block::Center(
            lang.pick(
                "能扫出 PD1TESTPRINT 即二维码正常",
                "The QR reads PD1TESTPRINT",
            )
            .into(),
        ),
    ]
}

/// Renders blocks for a profile: init, Chinese mode on, the blocks, feed, cut.
pub fn render(blocks: &[Block], profile: &Profile) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&escpos::init());
    if profile.chinese_mode == ChineseMode::FsAmpersand {
        out.extend_from_slice(&escpos::chinese_on());
    }
    let columns = profile.columns;
    let tab_column = columns.saturating_sub(RIGHT_FIELD_COLUMNS);
    out.extend_from_slice(&escpos::tab_stop(tab_column as u8));
    let mut aligned = Align::Left;
    let mut set_align = |out: &mut Vec<u8>, align: Align| {
        if aligned != align {
            out.extend_from_slice(&escpos::align(align));
            aligned = align;
        }
    };
    for block in blocks {
        match block {
            Block::Title(t) => {
                set_align(&mut out, Align::Center);
                out.extend_from_slice(&escpos::bold(true));
                out.extend_from_slice(&escpos::double(true));
                for line in text::wrap(t, columns / 2) {
                    push_line(&mut out, &line);
                }
                out.extend_from_slice(&escpos::double(false));
                out.extend_from_slice(&escpos::bold(false));
            }
            Block::Heading(t) => {
                set_align(&mut out, Align::Center);
                out.extend_from_slice(&escpos::bold(true));
                for line in text::wrap(t, columns) {
                    push_line(&mut out, &line);
                }
                out.extend_from_slice(&escpos::bold(false));
            }
            Block::Center(t) => {
                set_align(&mut out, Align::Center);
                for line in text::wrap(t, columns) {
                    push_line(&mut out, &line);
                }
            }
            Block::Line(t) => {
                set_align(&mut out, Align::Left);
                for line in text::wrap(t, columns) {
                    push_line(&mut out, &line);
                }
            }
            Block::Pair(left, right) => {
                set_align(&mut out, Align::Left);
                let fits =
                    text::width(left) < tab_column && text::width(right) <= RIGHT_FIELD_COLUMNS;
                if fits {
                    let mut line = text::encode_gbk(left);
                    line.push(escpos::HT);
                    line.extend_from_slice(&text::encode_gbk(&text::pad_left(
                        right,
                        RIGHT_FIELD_COLUMNS,
                    )));
                    out.extend_from_slice(&line);
                    out.push(escpos::LF);
                } else {
                    for line in text::two_columns(left, right, columns) {
                        push_line(&mut out, line.trim_end());
                    }
                }
            }
            Block::Rule => {
                set_align(&mut out, Align::Left);
                push_line(&mut out, &"-".repeat(columns));
            }
            Block::Qr(payload) => {
                set_align(&mut out, Align::Center);
                if profile.native_qr {
                    out.extend_from_slice(&escpos::qr(payload.as_bytes(), profile.qr_module_dots));
                    out.push(escpos::LF);
                } else {
                    out.extend_from_slice(&raster_qr(payload, profile));
                }
            }
            Block::Feed(n) => out.extend_from_slice(&escpos::feed(*n)),
        }
    }
    set_align(&mut out, Align::Left);
    out.extend_from_slice(&escpos::feed(profile.feed_lines_end));
    if profile.cutter {
        out.extend_from_slice(&escpos::cut());
    }
    out
}

fn push_line(out: &mut Vec<u8>, line: &str) {
    out.extend_from_slice(&text::encode_gbk(line));
    out.push(escpos::LF);
}

/// A QR as raster strips for printers without `GS ( k`, centred by the printer's alignment.
/// An even module size is sent at half resolution in quadruple mode (each dot printed 2×2):
/// the same printed code for a quarter of the bytes, which matters at 9600 baud.
fn raster_qr(payload: &str, profile: &Profile) -> Vec<u8> {
    let Ok(code) = crate::passbook::qr::encode(payload) else {
        return Vec::new();
    };
    let modules = code.width();
    let quiet = 2;
    let side_modules = modules + 2 * quiet;
    let module_dots = usize::from(profile.qr_module_dots.max(1));
    let quadruple = module_dots >= 2 && module_dots % 2 == 0;
    let scale = if quadruple {
        module_dots / 2
    } else {
        module_dots
    };
    let side_dots = side_modules * scale;
    let width_bytes = side_dots.div_ceil(8);
    let colors = code.to_colors();
    let dark = |x: usize, y: usize| -> bool {
        let (mx, my) = (x / scale, y / scale);
        (quiet..quiet + modules).contains(&mx)
            && (quiet..quiet + modules).contains(&my)
            && colors[(my - quiet) * modules + (mx - quiet)] == qrcode::Color::Dark
    };
    let mut out = Vec::new();
    let strip_rows = profile.raster_strip_rows.max(1) as usize;
    for strip_start in (0..side_dots).step_by(strip_rows) {
        let mut rows = Vec::with_capacity(width_bytes * strip_rows);
        for y in strip_start..(strip_start + strip_rows).min(side_dots) {
            for byte in 0..width_bytes {
                let mut bits = 0u8;
                for bit in 0..8 {
                    let x = byte * 8 + bit;
                    if x < side_dots && dark(x, y) {
                        bits |= 0x80 >> bit;
                    }
                }
                rows.push(bits);
            }
        }
        out.extend_from_slice(&escpos::raster(width_bytes as u16, &rows, quadruple));
    }
    out
}
