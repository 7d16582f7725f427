//! The Chinese text layer of receipts: what of a text may reach the printer, its GBK bytes, and
//! how many printer columns it takes.
//!
//! Owns control-character stripping, GBK-safe text (what a Chinese-mode ESC/POS printer can
//! print), its encoding, display width, and wrapping, truncating, padding and two-column lines
//! by that width. Every function here that returns text returns GBK-safe text, so its width is
//! exactly what the printer uses and [`encode_gbk`] of it substitutes nothing.
//!
//! Must not do IO or build printer commands (that is `escpos`), nor decide what a receipt says
//! (that is `layout`). Names and item texts reach the printer only through [`gbk_safe`].

use encoding_rs::{EncoderResult, GBK};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// What the printer prints instead of a character it has no glyph for.
const UNPRINTABLE: char = '?';

/// Ends a truncated text. GBK has it (A1 AD); a test keeps us honest, `..` would be the fallback.
const ELLIPSIS: &str = "…";

/// Columns a GBK double-byte (full-width) character takes.
const FULL_WIDTH_COLUMNS: usize = 2;

/// Spaces at least between the left and the right text of a two-column line.
const COLUMN_GAP: usize = 1;

/// Characters replaced before encoding, because GBK lacks them (they would need four GB18030
/// bytes or are unmappable) or because their GBK form prints badly.
///
/// Kept as they are, because GBK has them: — (A1 AA), “ ” ‘ ’ (A1 B0, A1 B1, A1 AE, A1 AF),
/// … (A1 AD), ° (A1 E3), · × ÷ ℃ ～. Anything else GBK lacks falls back to its Unicode
/// compatibility form (ﬁ → fi) when that prints, else to `?` (emoji, rare characters).
pub const SUBSTITUTIONS: &[(char, &str)] = &[
    ('\u{00A5}', "￥"), // ¥ needs four GB18030 bytes; the full-width yen is A3 A4
    // GBK's encoder writes € as the single byte 0x80, a CP936 extension printers don't have.
    ('\u{20AC}', "EUR"),
    ('\u{2122}', "TM"),
    ('\u{00A9}', "(C)"),
    ('\u{00AE}', "(R)"),
    // GBK has – only in its extension rows (A8 43); '-' reads the same in every printer font.
    ('\u{2013}', "-"),
    ('\u{2212}', "-"), // minus sign
    ('\u{00A0}', " "), // non-breaking space
    ('\u{00BD}', "1/2"),
    ('\u{00BC}', "1/4"),
    ('\u{00BE}', "3/4"),
    ('\u{00A3}', "￡"),
    ('\u{00A2}', "￠"),
    ('\u{2022}', "·"),  // bullet
    ('\u{301C}', "～"), // wave dash, typed by Japanese input methods
    ('\u{00AB}', "<<"),
    ('\u{00BB}', ">>"),
];

/// Removes C0 and C1 control characters (ESC, GS, FS, DLE, NUL, DEL, CR, LF, …), Unicode line
/// and paragraph separators, and bidi overrides and isolates; a tab becomes a space.
///
/// A control byte inside a name would be read by the printer as the start of a command.
pub fn strip_controls(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            _ if is_stripped(c) => None,
            _ => Some(c),
        })
        .collect()
}

fn is_stripped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// The text as a Chinese-mode printer can print it: controls stripped, NFC, [`SUBSTITUTIONS`]
/// applied, zero-width characters dropped, and anything else GBK cannot encode in one or two
/// bytes replaced by its compatibility form or `?`.
pub fn gbk_safe(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for c in strip_controls(text).nfc() {
        push_printable(&mut safe, c);
    }
    safe
}

fn push_printable(safe: &mut String, c: char) {
    if is_invisible(c) {
        return;
    }
    if let Some(&(_, replacement)) = SUBSTITUTIONS.iter().find(|(from, _)| *from == c) {
        safe.push_str(replacement);
    } else if gbk_len(c).is_some() {
        safe.push(c);
    } else if let Some(compatible) = printable_compatibility_form(c) {
        safe.push_str(&compatible);
    } else {
        safe.push(UNPRINTABLE);
    }
}

/// Characters that take no room: they only join, select a variant of, or decorate the
/// character before them, so printing `?` for them would add noise.
fn is_invisible(c: char) -> bool {
    is_combining_mark(c)
        || matches!(
            c,
            '\u{00AD}' // soft hyphen
                | '\u{200B}'..='\u{200F}' // zero-width space, joiners, direction marks
                | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
                | '\u{FEFF}' // byte order mark
                | '\u{FE00}'..='\u{FE0F}' // variation selectors (emoji presentation)
                | '\u{1F3FB}'..='\u{1F3FF}' // emoji skin tones
                | '\u{E0020}'..='\u{E007F}' // emoji tags
                | '\u{E0100}'..='\u{E01EF}' // variation selectors supplement
        )
}

/// The NFKC form (ﬁ → fi, ｱ → ア, µ → μ) when every character of it prints.
fn printable_compatibility_form(c: char) -> Option<String> {
    let compatible: String = std::iter::once(c).nfkc().collect();
    let differs = compatible.chars().ne(std::iter::once(c));
    (differs && compatible.chars().all(|k| gbk_len(k).is_some())).then_some(compatible)
}

/// GBK bytes of one character, or `None` when the printer can't print it: unmappable or
/// four-byte GB18030, a control, the lone byte 0x80, or the user-defined (private use) area,
/// for which printers have no glyphs.
fn gbk_len(c: char) -> Option<usize> {
    if c.is_control() || matches!(c, '\u{E000}'..='\u{F8FF}') {
        return None;
    }
    let mut utf8 = [0u8; 4];
    let mut gbk = [0u8; 4];
    let (result, _, written) = GBK.new_encoder().encode_from_utf8_without_replacement(
        c.encode_utf8(&mut utf8),
        &mut gbk,
        true,
    );
    match (result, written) {
        (EncoderResult::InputEmpty, 1) if c.is_ascii() => Some(1),
        (EncoderResult::InputEmpty, FULL_WIDTH_COLUMNS) => Some(FULL_WIDTH_COLUMNS),
        _ => None,
    }
}

/// [`gbk_safe`] text in GBK, ready for a printer in Chinese mode.
pub fn encode_gbk(text: &str) -> Vec<u8> {
    let safe = gbk_safe(text);
    let (bytes, _, had_unmappable) = GBK.encode(&safe);
    debug_assert!(
        !had_unmappable,
        "gbk_safe left an unmappable character in {safe:?}"
    );
    bytes.into_owned()
}

/// Display width in printer columns.
///
/// In Chinese mode an ESC/POS printer prints a GBK single byte in one column and a double-byte
/// character in one full-width cell of exactly two columns, whatever Unicode's East Asian Width
/// says (é is two bytes in GBK, so two columns). So the width is the GBK byte count of the
/// GBK-safe text, and substitutions count as printed (€ → EUR is three columns).
pub fn width(text: &str) -> usize {
    safe_width(&gbk_safe(text))
}

fn safe_width(safe: &str) -> usize {
    safe.chars().map(char_columns).sum()
}

fn char_columns(c: char) -> usize {
    let len = gbk_len(c);
    debug_assert!(len.is_some(), "{c:?} is not GBK-safe");
    len.unwrap_or(1)
}

/// Lines of at most `columns` columns (0 counts as 1). Breaks at spaces between Latin words and
/// anywhere between full-width characters; a Latin word longer than a line is cut. No line
/// starts or ends with a space; an empty text is one empty line. The only line wider than
/// `columns` is a lone full-width character when `columns` is 1.
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let safe = gbk_safe(text);
    let mut lines = LineBuilder::new(columns.max(1));
    for piece in pieces(&safe) {
        match piece {
            Piece::Space(space) => lines.push_space(space),
            Piece::Word(word) => lines.push_word(word),
        }
    }
    lines.finish()
}

/// A run of spaces, or what must not be split by a line break: a run of half-width characters
/// (a Latin word, a number) or one full-width character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Space(&'a str),
    Word(&'a str),
}

fn pieces(safe: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in safe.char_indices() {
        let end = i + c.len_utf8();
        let next = safe[end..].chars().next();
        let joins_next = next.is_some_and(|n| {
            let (a, b) = (kind(c), kind(n));
            a == b && a != Kind::FullWidth
        });
        if !joins_next {
            let text = &safe[start..end];
            pieces.push(match kind(c) {
                Kind::Space => Piece::Space(text),
                Kind::HalfWidth | Kind::FullWidth => Piece::Word(text),
            });
            start = end;
        }
    }
    pieces
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Space,
    HalfWidth,
    FullWidth,
}

fn kind(c: char) -> Kind {
    if c.is_whitespace() {
        Kind::Space
    } else if char_columns(c) == 1 {
        Kind::HalfWidth
    } else {
        Kind::FullWidth
    }
}

/// Greedy line filling; spaces are held back until a word follows on the same line, so a
/// break swallows them.
struct LineBuilder<'a> {
    columns: usize,
    lines: Vec<String>,
    line: String,
    line_width: usize,
    pending_space: &'a str,
}

impl<'a> LineBuilder<'a> {
    fn new(columns: usize) -> Self {
        Self {
            columns,
            lines: Vec::new(),
            line: String::new(),
            line_width: 0,
            pending_space: "",
        }
    }

    fn push_space(&mut self, space: &'a str) {
        if !self.line.is_empty() {
            self.pending_space = space;
        }
    }

    fn push_word(&mut self, word: &str) {
        let space_width = safe_width(self.pending_space);
        if self.line_width + space_width + safe_width(word) > self.columns {
            self.break_line();
        } else {
            self.line.push_str(self.pending_space);
            self.line_width += space_width;
        }
        self.pending_space = "";
        for c in word.chars() {
            let c_width = char_columns(c);
            if self.line_width + c_width > self.columns {
                self.break_line();
            }
            self.line.push(c);
            self.line_width += c_width;
        }
    }

    fn break_line(&mut self) {
        if !self.line.is_empty() {
            self.lines.push(std::mem::take(&mut self.line));
        }
        self.line_width = 0;
        self.pending_space = "";
    }

    fn finish(mut self) -> Vec<String> {
        if !self.line.is_empty() || self.lines.is_empty() {
            self.lines.push(self.line);
        }
        debug_assert!(
            self.lines
                .iter()
                .all(|line| { safe_width(line) <= self.columns || line.chars().count() == 1 })
        );
        self.lines
    }
}

/// At most `columns` columns of the text; a cut ends with "…" when there are two columns for it.
pub fn truncate(text: &str, columns: usize) -> String {
    let safe = gbk_safe(text);
    if safe_width(&safe) <= columns {
        return safe;
    }
    let ellipsis_width = safe_width(ELLIPSIS);
    if columns < ellipsis_width {
        return prefix(&safe, columns).to_string();
    }
    let kept = prefix(&safe, columns - ellipsis_width).trim_end();
    format!("{kept}{ELLIPSIS}")
}

/// The longest start of a GBK-safe text that fits in `columns`.
fn prefix(safe: &str, columns: usize) -> &str {
    let mut used = 0;
    for (i, c) in safe.char_indices() {
        used += char_columns(c);
        if used > columns {
            return &safe[..i];
        }
    }
    safe
}

/// The text, truncated if longer, followed by spaces to exactly `columns` columns.
pub fn pad_right(text: &str, columns: usize) -> String {
    let (kept, room) = fit(text, columns);
    format!("{kept}{}", spaces(room))
}

/// Spaces, then the text (truncated if longer), to exactly `columns` columns.
pub fn pad_left(text: &str, columns: usize) -> String {
    let (kept, room) = fit(text, columns);
    format!("{}{kept}", spaces(room))
}

/// The text centred in exactly `columns` columns; an odd space left over goes to the right.
pub fn center(text: &str, columns: usize) -> String {
    let (kept, room) = fit(text, columns);
    format!("{}{kept}{}", spaces(room / 2), spaces(room - room / 2))
}

/// The truncated text and the columns left beside it.
fn fit(text: &str, columns: usize) -> (String, usize) {
    let kept = truncate(text, columns);
    let room = columns - safe_width(&kept);
    (kept, room)
}

fn spaces(columns: usize) -> String {
    " ".repeat(columns)
}

/// A left text (an item name) wrapped beside a right text (quantity and points) that ends flush
/// at the last column of the first line:
/// `洗衣皂                  2×5  10`. When the right text would squeeze the left into less
/// than half the line (and the left needs more), the right text gets its own right-aligned
/// line(s) after the left.
pub fn two_columns(left: &str, right: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let (left, right) = (gbk_safe(left), gbk_safe(right));
    if right.is_empty() {
        return wrap(&left, columns);
    }
    let right_lines = || {
        wrap(&right, columns)
            .into_iter()
            .map(|line| pad_left(&line, columns))
    };
    if left.is_empty() {
        return right_lines().collect();
    }
    let right_width = safe_width(&right);
    let left_columns = columns.saturating_sub(right_width + COLUMN_GAP);
    let left_columns_min = safe_width(&left).min(columns / 2).max(FULL_WIDTH_COLUMNS);
    if left_columns < left_columns_min {
        return wrap(&left, columns)
            .into_iter()
            .chain(right_lines())
            .collect();
    }
    let mut lines = wrap(&left, left_columns);
    lines[0] = format!("{}{right}", pad_right(&lines[0], columns - right_width));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn non_space(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn escpos_bytes_and_escape_sequences_in_a_name_are_stripped() {
        let name = "张\u{1b}@三\u{1d}V\u{0}\u{1c}&\u{10}\u{4}明\u{7f}\u{9b}\u{1b}[31m";
        assert_eq!(strip_controls(name), "张@三V&明[31m");
        let bytes = encode_gbk(name);
        for command_byte in [0x1b, 0x1d, 0x1c, 0x10, 0x00, 0x04, 0x7f] {
            assert!(
                !bytes.contains(&command_byte),
                "{command_byte:#04x} reached the printer"
            );
        }
        assert_eq!(strip_controls("evil\u{202E}gnp.exe\u{2066}"), "evilgnp.exe");
        assert_eq!(strip_controls("大米\t5kg\r\n"), "大米 5kg");
    }

    #[test]
    fn yen_becomes_full_width_yen_and_encodes_to_a3_a4() {
        assert_eq!(gbk_safe("¥5"), "￥5");
        assert_eq!(encode_gbk("¥"), [0xA3, 0xA4]);
        assert_eq!(width("¥5"), 3);
    }

    #[test]
    fn an_emoji_and_a_four_byte_gb18030_character_become_question_marks() {
        assert_eq!(gbk_safe("苹果😀𠀀"), "苹果??");
        assert_eq!(gbk_safe("❤\u{fe0f}👍🏽"), "??");
        assert_eq!(encode_gbk("😀"), b"?");
        assert_eq!(gbk_safe("\u{e000}"), "?");
    }

    #[test]
    fn every_substitution_encodes_to_gbk_without_errors() {
        for &(from, to) in SUBSTITUTIONS {
            let (_, _, had_errors) = GBK.encode(to);
            assert!(!had_errors, "{from:?} → {to:?} is not GBK");
            assert!(
                to.chars().all(|c| gbk_len(c).is_some()),
                "{to:?} prints badly"
            );
            assert_eq!(gbk_safe(&from.to_string()), to);
        }
        assert_eq!(gbk_safe("€5 ™ © ® – ½"), "EUR5 TM (C) (R) - 1/2");
    }

    #[test]
    fn typographic_punctuation_that_gbk_has_is_kept() {
        let kept = "—“”‘’…°·×÷℃～";
        assert_eq!(gbk_safe(kept), kept);
        assert_eq!(width(kept), 2 * kept.chars().count());
        assert_eq!(gbk_safe(ELLIPSIS), ELLIPSIS);
    }

    #[test]
    fn compatibility_forms_stand_in_for_what_gbk_lacks() {
        assert_eq!(gbk_safe("ﬁsh m²"), "fish m2");
        assert_eq!(gbk_safe("a\u{2009}b"), "a b");
    }

    #[test]
    fn names_and_passbook_codes_have_their_printer_widths() {
        assert_eq!(width("张三明"), 6);
        assert_eq!(width("SQ-000123"), 9);
        assert_eq!(width("€"), 3);
        assert_eq!(width("e\u{301}"), 2, "é is a GBK double-byte character");
        assert_eq!(
            width("a\u{200b}b\u{301}"),
            2,
            "zero-width characters take no room"
        );
        assert_eq!(width(""), 0);
    }

    #[test]
    fn wrapping_an_item_line_at_10_columns_keeps_characters_whole() {
        let lines = wrap("大米 5kg 和 食用油 1.8L", 10);
        assert_eq!(lines, ["大米 5kg", "和 食用油", "1.8L"]);
        assert!(lines.iter().all(|line| width(line) <= 10));
    }

    #[test]
    fn wrapping_hard_breaks_long_words_and_never_starts_a_line_with_a_space() {
        assert_eq!(wrap("SQ-000123456", 4), ["SQ-0", "0012", "3456"]);
        assert_eq!(wrap("  ab   cd  ", 3), ["ab", "cd"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("   ", 10), [""]);
        assert_eq!(wrap("ab", 0), ["a", "b"]);
        assert_eq!(wrap("张三", 1), ["张", "三"]);
    }

    #[test]
    fn a_mixed_32_column_line_pads_to_exactly_32_columns() {
        let line = "张三明 SQ-000123 余额";
        assert_eq!(width(line), 21);
        for padded in [pad_right(line, 32), pad_left(line, 32), center(line, 32)] {
            assert_eq!(width(&padded), 32, "{padded:?}");
        }
        assert_eq!(pad_right(line, 32), format!("{line}{}", " ".repeat(11)));
        assert_eq!(center("合计", 8), "  合计  ");
        assert_eq!(width(&pad_right(&line.repeat(3), 32)), 32);
    }

    #[test]
    fn a_cut_text_ends_with_an_ellipsis() {
        assert_eq!(truncate("农夫山泉饮用天然水", 9), "农夫山…");
        assert_eq!(truncate("Soap and towels", 9), "Soap an…");
        assert_eq!(truncate("Soap bar", 8), "Soap bar");
        assert_eq!(truncate("大米", 1), "");
        assert_eq!(pad_right("大米", 3), "… ");
    }

    #[test]
    fn two_columns_puts_the_right_text_flush_at_the_last_column() {
        let lines = two_columns("洗衣皂", "2×5  10", 32);
        assert_eq!(lines.len(), 1);
        assert_eq!(width(&lines[0]), 32);
        assert!(lines[0].starts_with("洗衣皂 ") && lines[0].ends_with(" 2×5  10"));

        let lines = two_columns("农夫山泉饮用天然水550ml整箱装24瓶", "1×120  120", 32);
        assert_eq!(width(&lines[0]), 32);
        assert!(lines[0].ends_with(" 1×120  120"));
        assert!(lines[1..].iter().all(|line| width(line) <= 32 - 12));
        assert_eq!(
            non_space(&lines.concat()),
            "农夫山泉饮用天然水1×120120550ml整箱装24瓶"
        );
    }

    #[test]
    fn a_right_text_that_does_not_fit_beside_gets_its_own_right_aligned_line() {
        let lines = two_columns("大米和食用油", "已兑换 120 积分", 20);
        assert_eq!(lines, ["大米和食用油", "     已兑换 120 积分"]);
        assert_eq!(two_columns("", "10", 6), ["    10"]);
        assert_eq!(two_columns("大米", "", 6), ["大米"]);
    }

    fn receipt_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z0-9 .:-]{1,12}",
            "[大米食用油洗衣皂张三明和积分 ]{1,8}",
            "[\u{0}-\u{1f}\u{7f}-\u{9f}\u{202a}-\u{202e}\u{200b}-\u{200d}\u{fe0f}]",
            "[¥€™©®–—“”…½°\u{a0}\u{301}]",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn wrapped_lines_fit_and_keep_every_character_in_order(
            text in receipt_text(),
            columns in 1usize..40,
        ) {
            let lines = wrap(&text, columns);
            for line in &lines {
                prop_assert!(
                    width(line) <= columns || line.chars().count() == 1,
                    "{line:?} is wider than {columns}"
                );
                prop_assert!(!line.starts_with(char::is_whitespace), "{line:?}");
                prop_assert!(!line.ends_with(char::is_whitespace), "{line:?}");
            }
            prop_assert_eq!(non_space(&lines.concat()), non_space(&gbk_safe(&text)));
        }

        #[test]
        fn gbk_safe_text_always_encodes_and_its_width_is_its_byte_count(text in receipt_text()) {
            let safe = gbk_safe(&text);
            let (bytes, _, had_errors) = GBK.encode(&safe);
            prop_assert!(!had_errors);
            prop_assert_eq!(encode_gbk(&text), bytes.as_ref());
            prop_assert_eq!(width(&text), bytes.len());
            prop_assert_eq!(gbk_safe(&safe), safe);
        }

        #[test]
        fn padded_and_two_column_lines_fit_the_paper(
            left in receipt_text(),
            right in receipt_text(),
            columns in 2usize..48,
        ) {
            prop_assert_eq!(width(&pad_right(&left, columns)), columns);
            prop_assert_eq!(width(&pad_left(&left, columns)), columns);
            prop_assert_eq!(width(&center(&left, columns)), columns);
            prop_assert!(width(&truncate(&left, columns)) <= columns);
            for line in two_columns(&left, &right, columns) {
                prop_assert!(width(&line) <= columns, "{line:?} is wider than {columns}");
            }
        }
    }
}
