//! What a scan means, the same on every screen: a passbook, a receipt's QR, a product barcode.
//! The passbook and receipt formats are parsed by their owners ([`crate::passbook::Token`],
//! [`crate::passbook::slip_qr::parse_txn_qr`]); this only routes a scan to the right one.

use crate::passbook::slip_qr::parse_txn_qr;
use crate::passbook::{ScanProblem, Token};
use unicode_normalization::UnicodeNormalization;

use super::wedge::SCAN_CHARS_MAX;

/// The meaning of a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanKind {
    /// A passbook token, or a cut-off or misread one (it starts like `PD1`): the ledger parses
    /// it again and says "incomplete scan, scan again" rather than "unknown item".
    Passbook,
    /// The QR of a slip, with its txn id (hyphenated UUID).
    ReceiptQr(String),
    /// A product code: EAN-8/EAN-13/UPC-A digits (check digit not verified here: item look-up
    /// decides, see [`ean_valid`]), or any other code of printable ASCII, trimmed, case kept
    /// (Code 128 codes are case-sensitive).
    Barcode(String),
    /// Empty, too long, or with characters no product code has (an input method's Chinese).
    Unknown,
}

/// Classifies what a scanner delivered. Full-width characters from a Chinese input method are
/// folded first (NFKC), surrounding white space and CR/LF are dropped.
pub fn classify(scan: &str) -> ScanKind {
    let folded: String = scan.nfkc().collect();
    let text = folded.trim();
    if matches!(Token::parse(text), Ok(_) | Err(ScanProblem::Incomplete)) {
        return ScanKind::Passbook;
    }
    if let Some(txn) = parse_txn_qr(text) {
        return ScanKind::ReceiptQr(txn);
    }
    let printable = text.bytes().all(|b| (b' '..=b'~').contains(&b));
    if text.is_empty() || text.len() > SCAN_CHARS_MAX || !printable {
        return ScanKind::Unknown;
    }
    ScanKind::Barcode(text.to_string())
}

/// Whether `digits` is an EAN-13, UPC-A (12) or EAN-8 code with a correct check digit.
/// GS1 rule: from the right, excluding the check digit, weights alternate 3, 1, 3, …; the check
/// digit makes the weighted sum a multiple of 10.
pub fn ean_valid(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    if !matches!(bytes.len(), 8 | 12 | 13) || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (body, check) = bytes.split_at(bytes.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check[0] - b'0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passbook::slip_qr::txn_qr_payload;

    #[test]
    fn passbook_tokens_are_passbooks_in_any_case_width_or_padding() {
        let token = Token::from_random([9u8; 16]);
        let text = token.as_str();
        assert_eq!(classify(text), ScanKind::Passbook);
        assert_eq!(classify(&text.to_lowercase()), ScanKind::Passbook);
        assert_eq!(classify(&format!(" {text}\r\n")), ScanKind::Passbook);
        let full_width: String = text
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap())
            .collect();
        assert_eq!(classify(&full_width), ScanKind::Passbook);
    }

    #[test]
    fn a_cut_off_or_misread_passbook_is_still_a_passbook() {
        let token = Token::from_random([9u8; 16]);
        assert_eq!(classify(&token.as_str()[..20]), ScanKind::Passbook);
        assert_eq!(classify("PD1"), ScanKind::Passbook);
        let mut bytes = token.as_str().as_bytes().to_vec();
        bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
        let misread = String::from_utf8(bytes).unwrap();
        assert_eq!(classify(&misread), ScanKind::Passbook);
    }

    #[test]
    fn a_receipt_qr_gives_its_txn() {
        let txn = "0191e0c2-7a3b-7c4d-8e5f-0123456789ab";
        let payload = txn_qr_payload(txn);
        assert_eq!(classify(&payload), ScanKind::ReceiptQr(txn.into()));
        let lower = format!("{}\r\n", payload.to_lowercase());
        assert_eq!(classify(&lower), ScanKind::ReceiptQr(txn.into()));
    }

    #[test]
    fn product_codes_are_barcodes_valid_or_not() {
        for code in ["6901234567892", "6901234567890", "96385074", "036000291452"] {
            assert_eq!(classify(code), ScanKind::Barcode(code.into()), "{code}");
        }
        assert_eq!(classify(" G001\n"), ScanKind::Barcode("G001".into()));
        assert_eq!(classify("abc-12 x"), ScanKind::Barcode("abc-12 x".into()));
        // An input method turned digits full-width: folded back.
        assert_eq!(classify("６９０１"), ScanKind::Barcode("6901".into()));
    }

    #[test]
    fn empty_chinese_control_or_overlong_scans_are_unknown() {
        assert_eq!(classify(""), ScanKind::Unknown);
        assert_eq!(classify(" \r\n"), ScanKind::Unknown);
        assert_eq!(classify("肥皂"), ScanKind::Unknown);
        assert_eq!(classify("AB\u{1b}[2J"), ScanKind::Unknown);
        assert_eq!(classify(&"1".repeat(SCAN_CHARS_MAX + 1)), ScanKind::Unknown);
        assert_eq!(
            classify(&"1".repeat(SCAN_CHARS_MAX)),
            ScanKind::Barcode("1".repeat(SCAN_CHARS_MAX))
        );
    }

    #[test]
    fn ean_check_digits() {
        assert!(ean_valid("6901234567892"));
        assert!(ean_valid("4006381333931"));
        assert!(ean_valid("96385074"));
        assert!(ean_valid("036000291452"));
        assert!(!ean_valid("6901234567890"));
        assert!(!ean_valid("96385070"));
        assert!(!ean_valid("036000291450"));
        assert!(!ean_valid(""));
        assert!(!ean_valid("690123456789X"));
        assert!(!ean_valid("12345"));
        assert!(!ean_valid("６９０１２３４５６７８９２"));
    }

    #[test]
    fn every_single_digit_error_is_caught() {
        let code = b"6901234567892";
        for i in 0..code.len() {
            for d in b'0'..=b'9' {
                if d == code[i] {
                    continue;
                }
                let mut changed = code.to_vec();
                changed[i] = d;
                let changed = String::from_utf8(changed).unwrap();
                assert!(!ean_valid(&changed), "{changed}");
            }
        }
    }
}
