//! Golden bytes: every slip on two profiles (58 mm raster QR, 80 mm native QR) is compared
//! byte for byte with `tests/golden/*.hex`, and its decoded text with `*.txt` beside it, so any
//! change to what reaches the paper shows up in review. `UPDATE_GOLDEN=1 cargo test --test
//! printer_golden` rewrites them after a deliberate change.

use pointsdesk::domain::{Line, Points};
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{Receipt, ReceiptKind};
use pointsdesk::printer::decode::{decode_all, render};
use pointsdesk::printer::layout::{self, Block, DayClose, SlipHeader};
use pointsdesk::printer::profile::Profile;
use std::path::PathBuf;

const PROFILES: [&str; 2] = ["generic-58", "generic-80"];
const HEX_BYTES_PER_LINE: usize = 32;

fn header() -> SlipHeader {
    SlipHeader {
        community: "三桥社区".into(),
        counter: "三桥爱心超市".into(),
        operator: "002 李建国".into(),
        local_time: "2026-11-22 14:05".into(),
    }
}

fn line(item: &str, name: &str, qty: u32, unit: i64) -> Line {
    Line {
        item: item.into(),
        name: name.into(),
        qty,
        unit_points: Points(unit),
        stocked: item.starts_with('G'),
    }
}

fn receipt(kind: ReceiptKind) -> Receipt {
    let mut r = Receipt {
        txn: "01a20171-f3d4-7569-9b61-4703d3022e6b".into(),
        kind,
        seq: 42,
        recorded_at: "2026-11-22T06:05:00.000Z".into(),
        operator: Some("002".into()),
        passbook: "SQ-A000123".into(),
        resident: "SQ-RA00123".into(),
        resident_name: "张*明".into(),
        lines: vec![
            line("G001", "洗衣皂", 2, 5),
            line("G005", "酱油", 1, 10),
            line("S002", "理发", 1, 10),
        ],
        points: Points(-30),
        balance_before: Points(120),
        balance_after: Points(90),
        activity: None,
        reason: None,
        of_txn: None,
        replayed: false,
        reversed: None,
        balance_now: Points(90),
    };
    match kind {
        ReceiptKind::Earn => {
            r.lines.clear();
            r.activity = Some("垃圾分类督导".into());
            r.points = Points(30);
            r.balance_after = Points(150);
        }
        ReceiptKind::Reversal => {
            r.txn = "01a20172-0000-7000-8000-00000000c0de".into();
            r.of_txn = Some("01a20171-f3d4-7569-9b61-4703d3022e6b".into());
            r.reason = Some("居民拿错商品".into());
            r.points = Points(30);
            r.balance_before = Points(90);
            r.balance_after = Points(120);
        }
        ReceiptKind::Adjustment | ReceiptKind::Redeem => {}
    }
    r
}

fn slips() -> Vec<(&'static str, Vec<Block>)> {
    let token = pointsdesk::passbook::Token::from_random([9; 16]);
    let day = DayClose {
        day: "2026-11-22".into(),
        rows: vec![
            ("获得".into(), 12, 275),
            ("兑换".into(), 11, 131),
            ("冲正".into(), 1, 20),
        ],
    };
    vec![
        (
            "redemption",
            layout::txn_slip(&header(), &receipt(ReceiptKind::Redeem), Lang::ZhCn, false),
        ),
        (
            "redemption-reprint",
            layout::txn_slip(&header(), &receipt(ReceiptKind::Redeem), Lang::ZhCn, true),
        ),
        (
            "earn",
            layout::txn_slip(&header(), &receipt(ReceiptKind::Earn), Lang::ZhCn, false),
        ),
        (
            "reversal",
            layout::txn_slip(
                &header(),
                &receipt(ReceiptKind::Reversal),
                Lang::ZhCn,
                false,
            ),
        ),
        (
            "passbook",
            layout::passbook_slip(&header(), "SQ-A000123", "张*明", token.as_str(), Lang::ZhCn),
        ),
        (
            "day-close",
            layout::day_close_slip(&header(), &day, Lang::ZhCn, false),
        ),
        (
            "redemption-en",
            layout::txn_slip(&header(), &receipt(ReceiptKind::Redeem), Lang::En, false),
        ),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .chunks(HEX_BYTES_PER_LINE)
        .map(|chunk| {
            chunk
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
                + "\n"
        })
        .collect()
}

#[test]
fn every_slip_matches_its_golden_bytes_on_two_profiles() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differ = Vec::new();
    for profile_name in PROFILES {
        let profile = Profile::built_in(profile_name).unwrap();
        for (slip, blocks) in slips() {
            let bytes = layout::render(&blocks, &profile);
            let text = render(&decode_all(&bytes));
            let stem = dir.join(format!("{slip}.{profile_name}"));
            let (hex_path, text_path) = (
                stem.with_extension(format!("{profile_name}.hex")),
                stem.with_extension(format!("{profile_name}.txt")),
            );
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&hex_path, hex(&bytes)).unwrap();
                std::fs::write(&text_path, &text).unwrap();
                continue;
            }
            let golden = std::fs::read_to_string(&hex_path).unwrap_or_default();
            let golden_text = std::fs::read_to_string(&text_path).unwrap_or_default();
            if golden != hex(&bytes) || golden_text != text {
                differ.push(format!("{slip} on {profile_name}:\n{text}"));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "slips differ from tests/golden (UPDATE_GOLDEN=1 after a deliberate change):\n{}",
        differ.join("\n")
    );
}

#[test]
fn the_qr_in_our_own_gs_k_bytes_is_the_txn() {
    let r = receipt(ReceiptKind::Redeem);
    let bytes = layout::render(
        &layout::txn_slip(&header(), &r, Lang::ZhCn, false),
        &Profile::built_in("generic-80").unwrap(),
    );
    // Find GS ( k … 49 80 48 (store) by hand, independent of the simulator's decoder.
    let at = bytes
        .windows(8)
        .position(|w| w[..3] == [0x1d, b'(', b'k'] && w[5..8] == [49, 80, 48])
        .expect("a QR store command");
    let len = usize::from(bytes[at + 3]) + 256 * usize::from(bytes[at + 4]);
    let payload = std::str::from_utf8(&bytes[at + 8..at + 5 + len]).unwrap();
    assert_eq!(
        payload,
        pointsdesk::passbook::slip_qr::txn_qr_payload(&r.txn)
    );
    assert_eq!(
        pointsdesk::passbook::slip_qr::parse_txn_qr(payload).as_deref(),
        Some(r.txn.as_str())
    );
    let print_at = at + 5 + len;
    assert_eq!(
        &bytes[print_at..print_at + 8],
        &[0x1d, b'(', b'k', 3, 0, 49, 81, 48],
        "print follows store"
    );
}
