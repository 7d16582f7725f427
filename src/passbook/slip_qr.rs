//! The QR printed on a slip: it finds its txn again at the counter (a reversal, a reprint).
//! It sits beside the passbook token format because both are what a scanner reads, and the
//! scanner, the printer and the command line all need it without needing each other.

/// Prefix of a slip's QR payload.
pub const TXN_QR_PREFIX: &str = "PDT";

/// The QR payload of a txn: `PDT` + the UUID's 32 hex digits upper case, all in the QR
/// alphanumeric set (35 characters, version 2).
pub fn txn_qr_payload(txn: &str) -> String {
    format!(
        "{TXN_QR_PREFIX}{}",
        txn.replace('-', "").to_ascii_uppercase()
    )
}

/// The txn id in a scanned slip QR, if it is one.
pub fn parse_txn_qr(scan: &str) -> Option<String> {
    let text = scan.trim().to_ascii_uppercase();
    let hex = text.strip_prefix(TXN_QR_PREFIX)?;
    let id = uuid::Uuid::try_parse(hex).ok()?;
    Some(id.hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slip_qr_reads_back_as_its_txn_in_any_case() {
        let txn = "0191e0c2-7a3b-7c4d-8e5f-0123456789ab";
        let payload = txn_qr_payload(txn);
        assert_eq!(payload.len(), 35);
        assert_eq!(parse_txn_qr(&payload).as_deref(), Some(txn));
        assert_eq!(
            parse_txn_qr(&format!(" {}\r\n", payload.to_lowercase())).as_deref(),
            Some(txn)
        );
        assert_eq!(parse_txn_qr("PD1ABC"), None);
    }
}
