//! Slip layouts: what a redemption, earning, reversal, passbook or day-close slip says, as
//! abstract blocks; and rendering those blocks to ESC/POS bytes for one printer profile.
//! Widths are display widths (a Chinese character is two columns), via `super::text`.

use super::escpos::{self, Align};
use super::profile::{ChineseMode, Profile};
use super::text;
use crate::i18n::Lang;
use crate::ledger::{Receipt, ReceiptKind, short_txn};
use crate::passbook::slip_qr::txn_qr_payload;

/// Columns of the right-hand field of a pair line (amounts, quantities) at least. The field
/// starts at a tab stop, so a line costs a `HT` and a few spaces instead of padding across the
/// paper; a slip whose item numbers are wider moves the stop left for all its lines.
pub const RIGHT_FIELD_COLUMNS: usize = 12;

/// The sign between quantity and unit points: GBK A1 C1, one full-width cell.
const TIMES: &str = "×";

/// White modules around a raster QR on every side: the quiet zone of ISO/IEC 18004.
pub const QR_QUIET_MODULES: usize = 4;

/// The narrowest room for an item's name beside its numbers: one Chinese character.
const NAME_COLUMNS_MIN: usize = 2;

/// Spaces at least between an item's name and its numbers, and between `qty×unit` and the
/// line total.
pub const ITEM_GAP_COLUMNS: usize = 2;

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
    /// An item line: name, `qty×unit` and the line total. The numbers of all item lines of a
    /// slip share their columns ([`ItemColumns`]), so the × and the totals line up; a long
    /// name wraps in the room left of them. (Queued jobs from before this variant hold item
    /// lines as `Pair`s and still print, unaligned.)
    Item {
        name: String,
        qty: u32,
        unit_points: i64,
        points: i64,
    },
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
        if r.resident_name.is_empty() {
            lang.pick("（个人信息已删除）", "(personal data erased)")
        } else {
            &r.resident_name
        }
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
        b.push(Block::Item {
            name: line.name.clone(),
            qty: line.qty,
            unit_points: line.unit_points.0,
            points: line.points().0,
        });
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

/// `hw print-test`: Chinese and Latin text, alignment, item and pair lines, a rule and a QR,
/// so one look at the paper tells whether the profile fits the printer.
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
        Block::Item {
            name: "洗衣皂".into(),
            qty: 2,
            unit_points: 5,
            points: 10,
        },
        Block::Item {
            name: "大米 5kg".into(),
            qty: 1,
            unit_points: 40,
            points: 40,
        },
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
    let items = ItemColumns::of(blocks);
    let right_field = RIGHT_FIELD_COLUMNS.max(items.width()).min(columns);
    let tab_column = columns - right_field;
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
                let fits = text::width(left) < tab_column && text::width(right) <= right_field;
                if fits {
                    push_tabbed(&mut out, left, &text::pad_left(right, right_field));
                } else {
                    for line in text::two_columns(left, right, columns) {
                        push_line(&mut out, line.trim_end());
                    }
                }
            }
            Block::Item {
                name,
                qty,
                unit_points,
                points,
            } => {
                set_align(&mut out, Align::Left);
                let numbers = items.numbers(*qty, *unit_points, *points);
                let mut lines = items.lines(name, &numbers, columns).into_iter();
                match lines.next() {
                    // Name and numbers on one line: the name, a tab to the right field, the
                    // numbers right-aligned in it (fewer bytes than the spaces between).
                    Some(ItemLine::WithNumbers(first)) if text::width(&first) < tab_column => {
                        push_tabbed(&mut out, &first, &text::pad_left(&numbers, right_field));
                    }
                    Some(line) => push_line(&mut out, line.text(&numbers, columns).trim_end()),
                    None => {}
                }
                for line in lines {
                    push_line(&mut out, line.text(&numbers, columns).trim_end());
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

/// `left`, a tab to the slip's tab stop, `right` (already padded to the right field).
fn push_tabbed(out: &mut Vec<u8>, left: &str, right: &str) {
    out.extend_from_slice(&text::encode_gbk(left));
    out.push(escpos::HT);
    out.extend_from_slice(&text::encode_gbk(right));
    out.push(escpos::LF);
}

/// The columns of the numbers of a slip's item lines: the widest quantity, unit points and
/// line total among them, so every line puts its × and the end of its total in the same
/// column: `  2×5     10` / `  1×120  120` / `123×1    123`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItemColumns {
    pub qty: usize,
    pub unit: usize,
    pub total: usize,
}

/// One printed line of an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemLine {
    /// (The start of) the name, then the numbers flush right.
    WithNumbers(String),
    /// The rest of a long name, or (on paper too narrow to have them beside the name) the
    /// numbers on their own, flush right.
    Plain(String),
}

impl ItemLine {
    /// The line as text, `columns` wide when it carries the numbers.
    pub fn text(&self, numbers: &str, columns: usize) -> String {
        let numbers_width = text::width(numbers);
        match self {
            ItemLine::WithNumbers(name) => {
                let room = columns.saturating_sub(numbers_width);
                format!("{}{numbers}", text::pad_right(name, room))
            }
            ItemLine::Plain(line) => line.clone(),
        }
    }
}

impl ItemColumns {
    /// The columns the item lines among `blocks` need (all zero without item lines).
    pub fn of(blocks: &[Block]) -> ItemColumns {
        let mut columns = ItemColumns::default();
        for block in blocks {
            if let Block::Item {
                qty,
                unit_points,
                points,
                ..
            } = block
            {
                columns.qty = columns.qty.max(qty.to_string().len());
                columns.unit = columns.unit.max(unit_points.to_string().len());
                columns.total = columns.total.max(points.to_string().len());
            }
        }
        columns
    }

    /// Columns of the numbers: `qty×unit`, the gap, the total (0 without item lines).
    pub fn width(&self) -> usize {
        if *self == ItemColumns::default() {
            return 0;
        }
        self.qty + text::width(TIMES) + self.unit + ITEM_GAP_COLUMNS + self.total
    }

    /// `qty×unit  total`, each number padded to its column: exactly [`Self::width`] wide for
    /// a line these columns were made from.
    pub fn numbers(&self, qty: u32, unit_points: i64, points: i64) -> String {
        format!(
            "{}{TIMES}{}{}{}",
            text::pad_left(&qty.to_string(), self.qty),
            text::pad_right(&unit_points.to_string(), self.unit),
            " ".repeat(ITEM_GAP_COLUMNS),
            text::pad_left(&points.to_string(), self.total),
        )
    }

    /// The lines of one item on paper `columns` wide: the name wrapped in the room left of the
    /// numbers (keeping [`ITEM_GAP_COLUMNS`] free before them), the numbers on the first line.
    /// When that room is narrower than one Chinese character, the name takes whole lines and
    /// the numbers follow on their own.
    pub fn lines(&self, name: &str, numbers: &str, columns: usize) -> Vec<ItemLine> {
        let room = columns.saturating_sub(text::width(numbers) + ITEM_GAP_COLUMNS);
        if room < NAME_COLUMNS_MIN {
            let numbers = text::wrap(numbers, columns)
                .into_iter()
                .map(|line| text::pad_left(&line, columns));
            return text::wrap(name, columns)
                .into_iter()
                .chain(numbers)
                .map(ItemLine::Plain)
                .collect();
        }
        let mut wrapped = text::wrap(name, room).into_iter();
        let first = wrapped.next().unwrap_or_default();
        std::iter::once(ItemLine::WithNumbers(first))
            .chain(wrapped.map(ItemLine::Plain))
            .collect()
    }
}

/// A QR as raster strips for printers without `GS ( k`, centred by the printer's alignment.
/// An even module size is sent at half resolution in quadruple mode (each dot printed 2×2):
/// the same printed code for a quarter of the bytes, which matters at 9600 baud.
///
/// Around the code is the quiet zone the QR standard asks for ([`QR_QUIET_MODULES`]); the
/// dots a row gains by rounding up to whole bytes are split between left and right, so the
/// code sits in the middle of the image and the image in the middle of the paper.
fn raster_qr(payload: &str, profile: &Profile) -> Vec<u8> {
    let Ok(code) = crate::passbook::qr::encode(payload) else {
        return Vec::new();
    };
    let modules = code.width();
    let quiet = QR_QUIET_MODULES;
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
    let left_dots = (width_bytes * 8 - side_dots) / 2;
    let colors = code.to_colors();
    // (x, y) in dots of the image; the code's modules start after the margin and quiet zone.
    let dark = |x: usize, y: usize| -> bool {
        let Some(x) = x.checked_sub(left_dots) else {
            return false;
        };
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
                    if dark(x, y) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, qty: u32, unit_points: i64) -> Block {
        Block::Item {
            name: name.into(),
            qty,
            unit_points,
            points: i64::from(qty) * unit_points,
        }
    }

    #[test]
    fn item_numbers_share_columns_sized_by_the_widest_of_the_slip() {
        let blocks = [item("洗衣皂", 2, 5), item("大米", 12, 345), Block::Rule];
        let columns = ItemColumns::of(&blocks);
        assert_eq!(
            columns,
            ItemColumns {
                qty: 2,
                unit: 3,
                total: 4
            }
        );
        assert_eq!(columns.numbers(2, 5, 10), " 2×5      10");
        assert_eq!(columns.numbers(12, 345, 4140), "12×345  4140");
        assert_eq!(text::width(&columns.numbers(2, 5, 10)), columns.width());
        assert_eq!(ItemColumns::of(&[Block::Rule]).width(), 0);
    }

    #[test]
    fn paper_too_narrow_for_name_and_numbers_gives_the_numbers_their_own_line() {
        let columns = ItemColumns::of(&[item("洗衣皂", 1234, 5678)]);
        let numbers = columns.numbers(1234, 5678, 1234 * 5678);
        let lines = columns.lines("洗衣皂", &numbers, 12);
        let texts: Vec<String> = lines.iter().map(|l| l.text(&numbers, 12)).collect();
        assert_eq!(texts[0], "洗衣皂");
        assert!(texts[1..].iter().all(|t| text::width(t) == 12), "{texts:?}");
    }

    #[test]
    fn a_job_queued_before_item_lines_existed_still_reads_and_prints() {
        // What the print queue held for an item line until item lines got their own block.
        let queued = r#"[{"Line":"居民 张*明"},"Rule",{"Pair":["洗衣皂","2×5  10"]}]"#;
        let blocks: Vec<Block> = serde_json::from_str(queued).unwrap();
        assert_eq!(blocks[2], Block::Pair("洗衣皂".into(), "2×5  10".into()));
        let profile = Profile::built_in("generic-58").unwrap();
        let printed = super::super::decode::render(&super::super::decode::decode_all(&render(
            &blocks, &profile,
        )));
        assert!(
            printed.contains("洗衣皂") && printed.contains("2×5  10"),
            "{printed}"
        );

        let again: Vec<Block> =
            serde_json::from_str(&serde_json::to_string(&[item("酱油", 1, 10)]).unwrap()).unwrap();
        assert_eq!(again, [item("酱油", 1, 10)]);
    }
}
