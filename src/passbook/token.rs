//! Passbook tokens: `PD1` + 26 base32 characters (128 random bits) + 1 check character.
//!
//! All 30 characters are in the QR alphanumeric set, so the code fits version 2 at error
//! correction M. Only the SHA-256 of the token is stored; a stolen database yields no usable
//! passbook. The check character is a Luhn mod 32 digit over the 26 random characters: it
//! catches every single-character error and every adjacent swap, which is what a scanner that
//! dropped or misread a character produces. (No crate implements Luhn mod N over base32; the
//! algorithm is ten lines.)

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

pub const TOKEN_PREFIX: &str = "PD1";
pub const TOKEN_RANDOM_CHARS: usize = 26;
pub const TOKEN_CHARS: usize = 3 + TOKEN_RANDOM_CHARS + 1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A well-formed passbook token (check character verified).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a whole token into a log by accident.
        write!(f, "Token({}…)", &self.0[..6])
    }
}

/// Why a scan is not a passbook token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanProblem {
    /// Starts like a passbook but is cut short or a character was misread: scan again.
    Incomplete,
    /// Not a pointsdesk passbook at all (a product barcode, another system's QR).
    NotAPassbook,
}

impl Token {
    /// A new random token from the operating system's generator.
    pub fn generate() -> Result<Token, getrandom::Error> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random)?;
        Ok(Token::from_random(random))
    }

    /// The token for 128 given random bits (tests and the demo use fixed ones).
    pub fn from_random(random: [u8; 16]) -> Token {
        let body = data_encoding::BASE32_NOPAD.encode(&random);
        debug_assert_eq!(body.len(), TOKEN_RANDOM_CHARS);
        let check = check_character(body.as_bytes());
        Token(format!("{TOKEN_PREFIX}{body}{}", check as char))
    }

    /// Parses what a scanner typed: case-insensitive (Caps Lock), surrounding white space and
    /// CR/LF ignored, full-width characters from a Chinese input method folded (NFKC).
    pub fn parse(scan: &str) -> Result<Token, ScanProblem> {
        let folded: String = scan.nfkc().collect::<String>();
        let text: String = folded
            .trim()
            .chars()
            .filter(|c| !matches!(c, '\r' | '\n'))
            .collect::<String>()
            .to_ascii_uppercase();
        if !text.starts_with(TOKEN_PREFIX) {
            // A scanner that lost the end still delivers the start; a prefix of "PD1" is a cut scan.
            if !text.is_empty() && TOKEN_PREFIX.starts_with(text.as_str()) {
                return Err(ScanProblem::Incomplete);
            }
            return Err(ScanProblem::NotAPassbook);
        }
        let rest = &text.as_bytes()[TOKEN_PREFIX.len()..];
        if rest.iter().any(|b| !ALPHABET.contains(b)) {
            return Err(if rest.len() < TOKEN_RANDOM_CHARS + 1 {
                ScanProblem::Incomplete
            } else {
                ScanProblem::NotAPassbook
            });
        }
        if rest.len() != TOKEN_RANDOM_CHARS + 1 {
            return Err(ScanProblem::Incomplete);
        }
        let (body, check) = rest.split_at(TOKEN_RANDOM_CHARS);
        if check_character(body) != check[0] {
            return Err(ScanProblem::Incomplete);
        }
        Ok(Token(text))
    }

    /// The QR payload, exactly as printed and scanned.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database keeps instead of the token.
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// Characters of a token left readable by [`mask_tokens`]: the prefix and three more, enough
/// to tell two passbook slips apart, far too few to use one (as `Token`'s `Debug` shows it).
pub const TOKEN_SHOWN_CHARS: usize = 6;

/// The text with every passbook token in it masked (`PD1ABC…`): for copies of printed slips
/// that are kept or shown (the simulator's receipts), where a whole token would be a usable
/// passbook. Anything that looks like one is masked, check character right or not: `PD1` and
/// at least 27 more characters of the token alphabet. Slip QRs (`PDT…`) are no secret and stay.
pub fn mask_tokens(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    // Every turn consumes at least one byte of the text.
    while at < text.len() {
        let Some(found) = text[at..].find(TOKEN_PREFIX).map(|i| at + i) else {
            out.push_str(&text[at..]);
            break;
        };
        let body_start = found + TOKEN_PREFIX.len();
        let body = bytes[body_start..]
            .iter()
            .take_while(|b| ALPHABET.contains(b))
            .count();
        out.push_str(&text[at..found]);
        if body > TOKEN_RANDOM_CHARS {
            out.push_str(&text[found..found + TOKEN_SHOWN_CHARS]);
            out.push('…');
        } else {
            out.push_str(&text[found..body_start + body]);
        }
        at = body_start + body;
    }
    out
}

/// Luhn mod 32: doubling every second code point from the right, summing the base-32 digits.
fn check_character(body: &[u8]) -> u8 {
    let n = ALPHABET.len() as u32;
    let mut sum = 0u32;
    for (i, ch) in body.iter().rev().enumerate() {
        let mut value = code_point(*ch);
        if i % 2 == 0 {
            value *= 2;
            value = value / n + value % n;
        }
        sum += value;
    }
    ALPHABET[((n - sum % n) % n) as usize]
}

fn code_point(ch: u8) -> u32 {
    ALPHABET
        .iter()
        .position(|a| *a == ch)
        .expect("caller checked the alphabet") as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Token {
        Token::from_random([7u8; 16])
    }

    #[test]
    fn a_token_is_thirty_qr_alphanumeric_characters() {
        let token = sample();
        assert_eq!(token.as_str().len(), TOKEN_CHARS);
        assert!(token.as_str().starts_with("PD1"));
        assert_eq!(Token::parse(token.as_str()), Ok(token));
    }

    #[test]
    fn caps_lock_whitespace_and_full_width_scans_still_parse() {
        let token = sample();
        let lower = format!("  {}\r\n", token.as_str().to_lowercase());
        assert_eq!(Token::parse(&lower), Ok(token.clone()));
        let full_width: String = token
            .as_str()
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap())
            .collect();
        assert_eq!(Token::parse(&full_width), Ok(token));
    }

    #[test]
    fn a_cut_or_misread_scan_is_incomplete() {
        let token = sample();
        let text = token.as_str();
        assert_eq!(Token::parse(&text[..29]), Err(ScanProblem::Incomplete));
        assert_eq!(Token::parse(&text[..10]), Err(ScanProblem::Incomplete));
        assert_eq!(Token::parse("PD"), Err(ScanProblem::Incomplete));
        for i in 3..TOKEN_CHARS {
            let mut bytes = text.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert_eq!(
                Token::parse(&changed),
                Err(ScanProblem::Incomplete),
                "at {i}"
            );
        }
    }

    #[test]
    fn adjacent_swaps_are_caught() {
        let token = Token::from_random([0x5a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let text = token.as_str().as_bytes().to_vec();
        for i in 3..TOKEN_CHARS - 2 {
            if text[i] == text[i + 1] {
                continue;
            }
            let mut swapped = text.clone();
            swapped.swap(i, i + 1);
            let swapped = String::from_utf8(swapped).unwrap();
            assert!(Token::parse(&swapped).is_err(), "swap at {i}");
        }
    }

    #[test]
    fn tokens_in_a_text_are_masked_and_other_codes_left_alone() {
        let token = sample();
        let text = format!("[QR: {}]\n[QR: PDT0123ABCD]\n", token.as_str());
        let masked = mask_tokens(&text);
        assert!(!masked.contains(token.as_str()), "{masked}");
        assert_eq!(
            masked,
            format!("[QR: {}…]\n[QR: PDT0123ABCD]\n", &token.as_str()[..6])
        );
        let misread = format!("{}A", &token.as_str()[..TOKEN_CHARS - 1]);
        assert!(
            !mask_tokens(&misread).contains(&misread[6..]),
            "a misread one too"
        );
        for kept in [
            "PD1TESTPRINT",
            "能扫出 PD1TESTPRINT 即二维码正常",
            "PD1",
            "",
            "xPD",
        ] {
            assert_eq!(mask_tokens(kept), kept);
        }
        let two = format!("{0} {0}", token.as_str());
        assert_eq!(mask_tokens(&two).matches('…').count(), 2);
    }

    #[test]
    fn other_codes_are_not_passbooks() {
        assert_eq!(
            Token::parse("6901234567892"),
            Err(ScanProblem::NotAPassbook)
        );
        assert_eq!(
            Token::parse("https://weixin.qq.com/x"),
            Err(ScanProblem::NotAPassbook)
        );
        assert_eq!(Token::parse(""), Err(ScanProblem::NotAPassbook));
    }

    #[test]
    fn only_a_digest_is_kept() {
        let hash = sample().sha256_hex();
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&sample().as_str()[3..]));
    }
}
