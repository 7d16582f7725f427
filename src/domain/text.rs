//! Text rules for anything a person types: names, notes, reasons, codes.
//!
//! Control characters and escape sequences would corrupt a terminal screen or a receipt
//! printer's command stream, so they are refused at the door rather than cleaned later.

use unicode_normalization::UnicodeNormalization;

/// Longest name, note or reason we accept, in characters.
pub const TEXT_CHARS_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem {
    Empty,
    TooLong,
    ControlCharacter,
}

/// Trims and checks a free text (a name, a reason, a note). NFC-normalises it so that the same
/// name typed by two input methods compares equal.
pub fn clean_text(raw: &str) -> Result<String, TextProblem> {
    if raw.chars().any(is_forbidden) {
        return Err(TextProblem::ControlCharacter);
    }
    let text: String = raw.trim().nfc().collect();
    if text.is_empty() {
        return Err(TextProblem::Empty);
    }
    if text.chars().count() > TEXT_CHARS_MAX {
        return Err(TextProblem::TooLong);
    }
    Ok(text)
}

/// Like [`clean_text`] but an empty text is allowed (an optional field left blank).
pub fn clean_optional(raw: Option<&str>) -> Result<Option<String>, TextProblem> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => clean_text(text).map(Some),
    }
}

/// Codes chosen by an administrator (item and activity codes): ASCII letters, digits, '-', '_'.
pub fn clean_code(raw: &str) -> Result<String, TextProblem> {
    let code = raw.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(TextProblem::Empty);
    }
    if code.len() > 32 {
        return Err(TextProblem::TooLong);
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(TextProblem::ControlCharacter);
    }
    Ok(code)
}

/// Text from elsewhere (a hub's answer) as it may be shown on a terminal: every forbidden
/// character ([`is_forbidden`]: escape sequences, bidi overrides) dropped, since refusing to
/// show what went wrong is no option.
pub fn shown_safely(text: &str) -> String {
    text.chars().filter(|c| !is_forbidden(*c)).collect()
}

/// Whether JSON bytes hold a NUL character, raw or escaped (`\u0000`, and not an escaped
/// backslash before `u0000`). PostgreSQL stores no NUL in text, and no name or note needs one.
pub fn json_holds_nul(json: &[u8]) -> bool {
    if json.contains(&0) {
        return true;
    }
    let mut at = 0;
    while let Some(found) = json[at..].iter().position(|b| *b == b'\\') {
        let start = at + found;
        let run = json[start..].iter().take_while(|b| **b == b'\\').count();
        at = start + run;
        if run % 2 == 1 && json[at..].starts_with(b"u0000") {
            return true;
        }
    }
    false
}

/// C0 and C1 controls (ESC, the ESC/POS command bytes, CSI), DEL, the line and paragraph
/// separators, every invisible format character (Unicode category Cf: zero-width spaces and
/// joiners, the byte order mark, bidi overrides that make a name display as something else,
/// soft hyphens, tags) and the fillers that look like nothing (Hangul fillers, the blank
/// Braille pattern): each would make two names look alike, a name look empty, or corrupt a
/// screen or a printer.
///
/// The Cf list is Unicode 15's, written out here: no dependency of ours carries the general
/// category table, and it changes rarely.
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

/// Masks a personal name for screens and slips: 张三明 → 张*明, 张三 → 张*, Anna Li → A*i.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_string(),
        2 => format!("{}*", chars[0]),
        _ => format!("{}*{}", chars[0], chars[chars.len() - 1]),
    }
}

/// Masks a phone number to its last four digits: 138****5678.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= 4 {
        return "*".repeat(digits.len());
    }
    let head: String = digits.iter().take(3.min(digits.len() - 4)).collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A UTC offset written `+08:00` (or `-05:30`) in minutes; `None` when it is not one.
pub fn parse_utc_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.trim().split_at_checked(1) {
        Some(("+", rest)) => (1, rest),
        Some(("-", rest)) => (-1, rest),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=14).contains(&h) || !(0..=59).contains(&m) {
        return None;
    }
    Some(sign * (h * 60 + m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_raw_or_escaped_but_not_in_an_escaped_backslash() {
        for (json, nul) in [
            (&br#"{"name":"Wang"}"#[..], false),
            (br#"{"name":"Wang\u0000"}"#, true),
            (br#"{"name":"Wang\\u0000"}"#, false),
            (br#"{"name":"Wang\\\u0000"}"#, true),
            (br#"{"name":"Wang\u00001"}"#, true),
            (br#"{"name":"Wang\u0001"}"#, false),
            (b"{\"name\":\"Wang\0\"}", true),
            (br#"\"#, false),
        ] {
            assert_eq!(
                json_holds_nul(json),
                nul,
                "{}",
                String::from_utf8_lossy(json)
            );
        }
    }

    #[test]
    fn text_shown_safely_keeps_words_and_drops_escape_sequences() {
        assert_eq!(shown_safely("bad\u{1b}[2Jgateway\r\n"), "bad[2Jgateway");
        assert_eq!(shown_safely("街道中心 ok"), "街道中心 ok");
    }

    #[test]
    fn escape_sequences_and_printer_commands_are_refused() {
        assert_eq!(
            clean_text("张\u{1b}[31m三"),
            Err(TextProblem::ControlCharacter)
        );
        assert_eq!(
            clean_text("李\u{1d}V\u{0}四"),
            Err(TextProblem::ControlCharacter)
        );
        assert_eq!(
            clean_text("evil\u{202E}txt"),
            Err(TextProblem::ControlCharacter)
        );
        assert_eq!(clean_text("  王芳 "), Ok("王芳".to_string()));
        assert_eq!(clean_text("   "), Err(TextProblem::Empty));
    }

    #[test]
    fn invisible_format_characters_and_separators_are_refused_like_controls() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{FEFF}',
            '\u{2028}',
            '\u{2029}',
            '\u{00AD}',
            '\u{2060}',
            '\u{061C}',
            '\u{180E}',
            '\u{3164}',
            '\u{E0041}',
            '\u{2800}',
        ] {
            assert_eq!(
                clean_text(&format!("张{c}三")),
                Err(TextProblem::ControlCharacter),
                "U+{:04X}",
                c as u32
            );
            assert_eq!(
                clean_text(&c.to_string()),
                Err(TextProblem::ControlCharacter)
            );
        }
        assert_eq!(clean_text("欧阳·娜娜"), Ok("欧阳·娜娜".to_string()));
        assert_eq!(
            clean_text("Zoë O’Brien-Li"),
            Ok("Zoë O’Brien-Li".to_string())
        );
    }

    #[test]
    fn names_are_masked_keeping_first_and_last_character() {
        assert_eq!(mask_name("张三明"), "张*明");
        assert_eq!(mask_name("欧阳娜娜"), "欧*娜");
        assert_eq!(mask_name("王芳"), "王*");
        assert_eq!(mask_name("李"), "*");
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    #[test]
    fn codes_are_upper_case_ascii() {
        assert_eq!(clean_code(" g001 "), Ok("G001".to_string()));
        assert!(clean_code("G 1").is_err());
        assert!(clean_code("米").is_err());
    }
}
