//! Slips rendered for real printer profiles and read back through the simulator's decoder:
//! what the layout meant is what a printer would print.

use pointsdesk::i18n::Lang;
use pointsdesk::ledger::Receipt;
use pointsdesk::passbook::slip_qr::{parse_txn_qr, txn_qr_payload};
use pointsdesk::printer::decode::{Align, Bitmap, Event, decode_all, render};
use pointsdesk::printer::layout;
use pointsdesk::printer::profile::Profile;
use pointsdesk::printer::text;
use slip_samples::{header, line, redemption_of, typical_redemption as redemption};

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
            "SQ-A000123",
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

const PROFILES: [&str; 4] = ["generic-58", "generic-80", "epson-tm-t88", "xprinter-80"];

/// Redemptions whose item numbers have 1 to 4 digits in every field, and names of every width
/// up to the paper's (Chinese and Latin), so some fill the room left of the numbers and some wrap.
fn receipts_with_every_width(columns: usize) -> Vec<Receipt> {
    let numbers = redemption_of(vec![
        line("G001", "洗衣皂", 2, 5),
        line("G002", "大米", 1234, 5),
        line("G003", "酱油", 1, 9999),
        line("G004", "食用油", 12, 345),
        line("G005", "面条", 9, 88),
        line("G006", "农夫山泉饮用天然水550ml整箱装24瓶", 1, 120),
    ]);
    let chinese = (1..=columns / 2)
        .map(|n| line("G100", &"米".repeat(n), 1, n as i64))
        .collect();
    let latin = (1..=columns)
        .map(|n| line("G200", &"x".repeat(n), 3, 7))
        .collect();
    vec![
        redemption(),
        numbers,
        redemption_of(chinese),
        redemption_of(latin),
    ]
}

/// The item lines of a decoded slip: left-aligned lines with `qty×unit` in them.
fn item_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with('[') && l.contains('×'))
        .collect()
}

#[test]
fn item_lines_put_the_times_sign_in_one_column_and_the_totals_at_the_last() {
    for profile_name in PROFILES {
        let columns = Profile::built_in(profile_name).unwrap().columns;
        for receipt in receipts_with_every_width(columns) {
            let (_, _, text) = printed(profile_name, &receipt, false);
            let lines = item_lines(&text);
            assert_eq!(lines.len(), receipt.lines.len(), "{profile_name}:\n{text}");
            let times_column = |l: &str| text::width(&l[..l.find('×').unwrap()]);
            let first = times_column(lines[0]);
            for l in &lines {
                assert_eq!(
                    times_column(l),
                    first,
                    "{profile_name}: the × of {l:?} is not in column {first}:\n{text}"
                );
                assert_eq!(
                    text::width(l.trim_end()),
                    columns,
                    "{profile_name}: {l:?} does not end at the last column"
                );
                assert!(
                    l.trim_end().ends_with(|c: char| c.is_ascii_digit()),
                    "{profile_name}: {l:?} ends with its total"
                );
            }
        }
    }
}

#[test]
fn an_item_name_that_fills_its_room_keeps_two_spaces_before_the_numbers() {
    for profile_name in PROFILES {
        let columns = Profile::built_in(profile_name).unwrap().columns;
        for receipt in receipts_with_every_width(columns) {
            let (_, _, text) = printed(profile_name, &receipt, false);
            for (l, item) in item_lines(&text).into_iter().zip(&receipt.lines) {
                let before_qty =
                    l[..l.find('×').unwrap()].trim_end_matches(|c: char| c.is_ascii_digit());
                assert!(
                    before_qty.ends_with("  "),
                    "{profile_name}: fewer than two spaces before the numbers in {l:?}"
                );
                let shown = before_qty.trim_end();
                assert!(
                    !shown.is_empty() && item.name.starts_with(shown),
                    "{profile_name}: {l:?} starts with the name {:?}",
                    item.name
                );
            }
        }
    }
}

#[test]
fn a_long_item_name_wraps_beside_its_numbers_and_keeps_every_character() {
    let name = "农夫山泉饮用天然水550ml整箱装24瓶（每户限购一箱）";
    let receipt = redemption_of(vec![
        line("G001", "洗衣皂", 2, 5),
        line("G006", name, 1, 120),
    ]);
    for profile_name in PROFILES {
        let (_, _, text) = printed(profile_name, &receipt, false);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("农夫"))
            .unwrap_or_else(|| panic!("{profile_name}:\n{text}"));
        let first = lines[at][..lines[at].find('×').unwrap()]
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .trim_end();
        let rest: Vec<&str> = lines[at + 1..]
            .iter()
            .take_while(|l| !l.starts_with('-') && !l.contains('×'))
            .copied()
            .collect();
        assert!(!rest.is_empty(), "{profile_name}: the name wraps:\n{text}");
        let shown: String = std::iter::once(first).chain(rest).collect();
        let strip = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        assert_eq!(strip(&shown), strip(name), "{profile_name}:\n{text}");
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
            layout::passbook_slip(&header(), "SQ-A000123", "张*明", token.as_str(), Lang::ZhCn);
        let bytes = layout::render(&blocks, &Profile::built_in(profile).unwrap());
        let events = decode_all(&bytes);
        assert_eq!(
            qr_payloads(&events),
            vec![token.as_str().to_string()],
            "{profile}"
        );
        assert!(render(&events).contains("SQ-A000123"));
    }
}

/// White dots around the black ones of a bitmap: (left, right, top, bottom).
fn margins(bitmap: &Bitmap) -> (usize, usize, usize, usize) {
    let black: Vec<(usize, usize)> = (0..bitmap.height)
        .flat_map(|y| (0..bitmap.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| bitmap.black(x, y))
        .collect();
    let xs = || black.iter().map(|&(x, _)| x);
    let ys = || black.iter().map(|&(_, y)| y);
    let (min_x, max_x) = (xs().min().unwrap(), xs().max().unwrap());
    let (min_y, max_y) = (ys().min().unwrap(), ys().max().unwrap());
    (
        min_x,
        bitmap.width() - 1 - max_x,
        min_y,
        bitmap.height - 1 - max_y,
    )
}

/// Dots per module, read from the top-left finder pattern (7 modules of black across).
fn module_dots(bitmap: &Bitmap) -> usize {
    let (left, _, top, _) = margins(bitmap);
    let run = (left..bitmap.width())
        .take_while(|&x| bitmap.black(x, top))
        .count();
    assert_eq!(run % 7, 0, "a finder pattern is 7 modules wide");
    run / 7
}

#[test]
fn a_raster_qr_has_a_four_module_quiet_zone_and_sits_in_the_middle_of_its_image() {
    let token = pointsdesk::passbook::Token::from_random([9; 16]);
    let profile = Profile::built_in("generic-58").unwrap();
    assert!(!profile.native_qr);
    let slips = [
        (
            txn_qr_payload(&redemption().txn),
            layout::txn_slip(&header(), &redemption(), Lang::ZhCn, false),
        ),
        (
            token.as_str().to_string(),
            layout::passbook_slip(&header(), "SQ-A000123", "张*明", token.as_str(), Lang::ZhCn),
        ),
    ];
    for (payload, blocks) in slips {
        let events = decode_all(&layout::render(&blocks, &profile));
        let at = events
            .iter()
            .position(|e| matches!(e, Event::Raster { .. }))
            .expect("a raster QR");
        let Event::Raster {
            qr,
            bitmap: Some(bitmap),
            ..
        } = &events[at]
        else {
            panic!("{:?}", events[at]);
        };
        assert_eq!(qr.as_deref(), Some(payload.as_str()), "the payload decodes");
        let module = module_dots(bitmap);
        let (left, right, top, bottom) = margins(bitmap);
        for (side, white) in [
            ("left", left),
            ("right", right),
            ("top", top),
            ("bottom", bottom),
        ] {
            assert!(
                white >= 4 * module,
                "{payload}: {white} white dots {side}, less than 4 modules of {module}"
            );
        }
        assert!(
            left.abs_diff(right) <= 1,
            "{payload}: left {left}, right {right}"
        );
        let centred = events[..at].iter().rev().find_map(|e| match e {
            Event::Align(align) => Some(*align),
            _ => None,
        });
        assert_eq!(centred, Some(Align::Center), "printed with ESC a 1");
    }
}
