//! Slips rendered for real printer profiles and read back through the simulator's decoder:
//! what the layout meant is what a printer would print.

use pointsdesk::i18n::Lang;
use pointsdesk::ledger::Receipt;
use pointsdesk::passbook::slip_qr::{parse_txn_qr, txn_qr_payload};
use pointsdesk::printer::decode::{Event, decode_all, render};
use pointsdesk::printer::layout;
use pointsdesk::printer::profile::Profile;
use pointsdesk::printer::text;
use slip_samples::{header, typical_redemption as redemption};

mod slip_samples;

fn printed(profile: &str, receipt: &Receipt, copy: bool) -> (Vec<u8>, Vec<Event>, String) {
    let profile = Profile::built_in(profile).unwrap();
    let blocks = layout::txn_slip(&header(), receipt, Lang::ZhCn, copy);
    let bytes = layout::render(&blocks, &profile);
    let events = decode_all(&bytes);
    let text = render(&events);
    (bytes, events, text)
}

fn qr_payloads(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Qr { payload, .. } => Some(payload.clone()),
            Event::Raster {
                qr: Some(payload), ..
            } => Some(payload.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_redemption_slip_reads_back_with_its_chinese_lines_totals_and_txn_qr() {
    let receipt = redemption();
    for profile in ["generic-80", "xprinter-80", "epson-tm-t88", "generic-58"] {
        let (_, events, text) = printed(profile, &receipt, false);
        for expected in [
            "三桥社区",
            "三桥爱心超市",
            "兑换凭证",
            "张*明",
            "SQ-000123",
            "洗衣皂",
            "鸡蛋（10个）",
            "3022e6b",
        ] {
            assert!(
                text.contains(expected),
                "{profile}: {expected} missing in\n{text}"
            );
        }
        let qrs = qr_payloads(&events);
        assert_eq!(qrs, vec![txn_qr_payload(&receipt.txn)], "{profile}");
        assert_eq!(parse_txn_qr(&qrs[0]).as_deref(), Some(receipt.txn.as_str()));
        assert!(
            events.iter().any(|e| matches!(e, Event::ChineseMode(true))),
            "FS & is always sent"
        );
        assert!(!text.contains("重印"));
    }
}

#[test]
fn totals_are_right_aligned_at_the_last_column_by_display_width() {
    let (_, _, text) = printed("generic-80", &redemption(), false);
    let columns = Profile::built_in("generic-80").unwrap().columns;
    let item_lines: Vec<&str> = text.lines().filter(|l| l.contains('×')).collect();
    assert_eq!(item_lines.len(), 5, "{text}");
    for l in item_lines {
        assert_eq!(text::width(l), columns, "{l:?} ends at the last column");
    }
}

#[test]
fn a_typical_redemption_slip_stays_within_the_byte_budget_on_native_qr_printers() {
    for profile in ["generic-80", "xprinter-80", "epson-tm-t88"] {
        let (bytes, ..) = printed(profile, &redemption(), false);
        assert!(bytes.len() <= 700, "{profile}: {} bytes", bytes.len());
    }
}

#[test]
fn a_reprint_is_marked_as_a_copy() {
    let (_, _, text) = printed("generic-80", &redemption(), true);
    assert!(text.contains("重印"), "{text}");
}

#[test]
fn names_with_printer_commands_cannot_inject_bytes_into_the_slip() {
    let mut receipt = redemption();
    receipt.lines[0].name = "洗衣皂\u{1d}V\u{0}\u{1b}@".into();
    let (_, events, _) = printed("generic-80", &receipt, false);
    let cuts = events
        .iter()
        .filter(|e| matches!(e, Event::Cut { .. }))
        .count();
    let inits = events.iter().filter(|e| matches!(e, Event::Init)).count();
    assert_eq!((cuts, inits), (1, 1), "only the layout's own init and cut");
    assert!(!events.iter().any(|e| matches!(e, Event::Unknown(_))));
}

#[test]
fn a_passbook_slip_carries_the_scan_payload_and_the_human_number() {
    let token = pointsdesk::passbook::Token::from_random([9; 16]);
    for profile in ["generic-80", "generic-58"] {
        let blocks =
            layout::passbook_slip(&header(), "SQ-000123", "张*明", token.as_str(), Lang::ZhCn);
        let bytes = layout::render(&blocks, &Profile::built_in(profile).unwrap());
        let events = decode_all(&bytes);
        assert_eq!(
            qr_payloads(&events),
            vec![token.as_str().to_string()],
            "{profile}"
        );
        assert!(render(&events).contains("SQ-000123"));
    }
}
