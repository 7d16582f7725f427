//! `pointsdesk demo`: a throwaway home seeded with a realistic community, and a walk through
//! one real issue → earn → redeem → refusal → reverse → verify, printed in the terminal.
//! Everything goes through the same ledger commands as the counter; nothing is faked.

use crate::domain::{ItemKind, Role};
use crate::home::Home;
use crate::i18n::Lang;
use crate::ledger::{
    EarnRequest, InitRequest, Ledger, LedgerError, NewItem, NewResident, RedeemRequest, Result,
    Session,
};
use crate::passbook::qr;
use chrono::{Duration, Utc};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The demo administrator's PIN (shown on screen in demo mode only).
pub const DEMO_ADMIN_PIN: &str = "1234";
pub const DEMO_VOLUNTEER_PIN: &str = "2468";
pub const DEMO_RESIDENTS: usize = 200;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "欧阳",
    "司马",
];
const GIVEN: &[&str] = &[
    "秀英", "桂英", "建国", "志强", "秀兰", "玉兰", "明", "伟", "芳", "娜", "敏", "静", "丽", "强",
    "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "超", "霞", "平", "刚", "桂兰", "淑珍", "国华",
    "海燕", "德明", "春梅", "文彬",
];
const BUILDINGS: &[&str] = &["三桥新村", "桥西小区", "幸福里", "和平苑", "滨江花园"];

/// Activities: code, name, points per hour.
pub const ACTIVITIES: &[(&str, &str, i64)] = &[
    ("A01", "垃圾分类督导", 10),
    ("A02", "社区清洁", 8),
    ("A03", "政策宣传", 10),
    ("A04", "心理疏导", 20),
    ("A05", "邻里调解", 15),
    ("A06", "探望独居老人", 12),
    ("A07", "文明劝导", 8),
];

/// Items: code, name, kind, points, barcode, monthly limit, opening stock.
#[allow(clippy::type_complexity)]
pub const ITEMS: &[(&str, &str, ItemKind, i64, Option<&str>, Option<u32>, i64)] = &[
    (
        "G001",
        "洗衣皂",
        ItemKind::Goods,
        5,
        Some("6901234500011"),
        Some(4),
        120,
    ),
    (
        "G002",
        "抽纸（3包）",
        ItemKind::Goods,
        8,
        Some("6901234500028"),
        Some(3),
        90,
    ),
    (
        "G003",
        "大米 5kg",
        ItemKind::Goods,
        40,
        Some("6901234500035"),
        Some(1),
        30,
    ),
    (
        "G004",
        "食用油 1.8L",
        ItemKind::Goods,
        35,
        Some("6901234500042"),
        Some(1),
        25,
    ),
    (
        "G005",
        "酱油",
        ItemKind::Goods,
        10,
        Some("6901234500059"),
        Some(2),
        60,
    ),
    (
        "G006",
        "牙膏",
        ItemKind::Goods,
        8,
        Some("6901234500066"),
        Some(2),
        80,
    ),
    (
        "G007",
        "牙刷（2支）",
        ItemKind::Goods,
        5,
        Some("6901234500073"),
        None,
        100,
    ),
    (
        "G008",
        "洗洁精",
        ItemKind::Goods,
        9,
        Some("6901234500080"),
        Some(2),
        70,
    ),
    (
        "G009",
        "毛巾",
        ItemKind::Goods,
        10,
        Some("6901234500097"),
        None,
        50,
    ),
    (
        "G010",
        "鸡蛋（10个）",
        ItemKind::Goods,
        12,
        Some("6901234500103"),
        Some(2),
        40,
    ),
    (
        "G011",
        "面条 1kg",
        ItemKind::Goods,
        8,
        Some("6901234500110"),
        None,
        60,
    ),
    (
        "G012",
        "食盐",
        ItemKind::Goods,
        3,
        Some("6901234500127"),
        None,
        90,
    ),
    (
        "G013",
        "白糖 500g",
        ItemKind::Goods,
        6,
        Some("6901234500134"),
        None,
        50,
    ),
    (
        "G014",
        "洗发水",
        ItemKind::Goods,
        18,
        Some("6901234500141"),
        Some(1),
        35,
    ),
    (
        "G015",
        "沐浴露",
        ItemKind::Goods,
        18,
        Some("6901234500158"),
        Some(1),
        35,
    ),
    (
        "G016",
        "卷纸（10卷）",
        ItemKind::Goods,
        20,
        Some("6901234500165"),
        Some(1),
        40,
    ),
    (
        "G017",
        "垃圾袋",
        ItemKind::Goods,
        4,
        Some("6901234500172"),
        None,
        150,
    ),
    (
        "G018",
        "雨伞",
        ItemKind::Goods,
        25,
        Some("6901234500189"),
        Some(1),
        15,
    ),
    (
        "G019",
        "保温杯",
        ItemKind::Goods,
        30,
        Some("6901234500196"),
        Some(1),
        12,
    ),
    (
        "G020",
        "老花镜",
        ItemKind::Goods,
        15,
        Some("6901234500202"),
        Some(1),
        20,
    ),
    (
        "G021",
        "口罩（10只）",
        ItemKind::Goods,
        5,
        Some("6901234500219"),
        None,
        200,
    ),
    (
        "G022",
        "洗衣液 2kg",
        ItemKind::Goods,
        22,
        Some("6901234500226"),
        Some(1),
        30,
    ),
    (
        "G023",
        "香皂",
        ItemKind::Goods,
        4,
        Some("6901234500233"),
        None,
        100,
    ),
    (
        "G024",
        "醋",
        ItemKind::Goods,
        6,
        Some("6901234500240"),
        None,
        40,
    ),
    (
        "S001",
        "上门康复理疗",
        ItemKind::Service,
        50,
        None,
        Some(2),
        0,
    ),
    ("S002", "理发", ItemKind::Service, 10, None, Some(2), 0),
    ("S003", "家电维修", ItemKind::Service, 20, None, None, 0),
    ("S004", "磨刀", ItemKind::Service, 3, None, None, 0),
    (
        "V001",
        "活动室（2小时）",
        ItemKind::Venue,
        15,
        None,
        Some(4),
        0,
    ),
    ("V002", "棋牌室（半天）", ItemKind::Venue, 10, None, None, 0),
    (
        "H001",
        "优秀志愿者证书",
        ItemKind::Honour,
        100,
        None,
        Some(1),
        0,
    ),
];

/// A tiny deterministic generator so every demo has the same community.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

pub fn demo_resident(i: usize) -> NewResident {
    let mut rng = Lcg(i as u64 * 7919 + 17);
    let name = format!(
        "{}{}",
        SURNAMES[rng.next(SURNAMES.len())],
        GIVEN[rng.next(GIVEN.len())]
    );
    NewResident {
        name,
        phone: Some(format!("13{:09}", 100_000_000 + rng.next(899_999_999))),
        address: Some(format!(
            "{}{}栋{}室",
            BUILDINGS[rng.next(BUILDINGS.len())],
            1 + rng.next(30),
            101 + rng.next(6) * 100 + rng.next(4)
        )),
        note: None,
    }
}

/// A seeded home: the ledger, the administrator's session, and some passbook scans.
pub struct Seeded {
    pub home: Home,
    pub ledger: Ledger,
    pub admin: Session,
    pub volunteer: Session,
    /// Scan payloads of the residents who got passbooks, in order.
    pub scans: Vec<String>,
}

/// Creates and fills a home in `dir`: operators, activities, catalogue with stock, residents
/// with passbooks, and `history_days` days of earnings and redemptions.
pub fn seed(dir: PathBuf, residents: usize, history_days: i64) -> Result<Seeded> {
    let home = Home { dir };
    let start = Utc::now() - Duration::days(history_days);
    let now = Arc::new(Mutex::new(start));
    let clock_now = Arc::clone(&now);
    let clock = Box::new(move || *clock_now.lock().expect("clock lock"));
    let (mut ledger, admin) = home.init(
        InitRequest {
            community: "三桥社区".into(),
            prefix: "SQ".into(),
            counter: "三桥爱心超市".into(),
            admin_name: "王芳".into(),
            admin_pin: DEMO_ADMIN_PIN.into(),
            utc_offset_minutes: 8 * 60,
            code: "A".into(),
        },
        Lang::ZhCn,
        clock,
    )?;
    ledger.add_operator(&admin, "李建国", Role::Volunteer, DEMO_VOLUNTEER_PIN)?;
    let volunteer = ledger.login("002", DEMO_VOLUNTEER_PIN)?;
    for (code, name, rate) in ACTIVITIES {
        ledger.define_activity(&admin, code, name, *rate)?;
    }
    for (code, name, kind, points, barcode, limit, stock) in ITEMS {
        ledger.define_item(
            &admin,
            &NewItem {
                item: (*code).into(),
                name: (*name).into(),
                kind: *kind,
                points: *points,
                barcode: barcode.map(str::to_string),
                monthly_limit: *limit,
            },
        )?;
        if *stock > 0 {
            ledger.restock(&admin, code, *stock, Some("区慈善超市"))?;
        }
    }
    let rows: Vec<(usize, NewResident)> =
        (0..residents).map(|i| (i + 2, demo_resident(i))).collect();
    let ids = ledger.import_residents(&admin, &rows)?;
    let mut scans = Vec::new();
    for (i, id) in ids.iter().take(residents.min(60)).enumerate() {
        let scan = ledger
            .issue_passbook(&volunteer, id)?
            .token
            .as_str()
            .to_string();
        // Everyone starts with some volunteering, so every demo passbook can redeem something.
        ledger.earn(
            &volunteer,
            &EarnRequest {
                scan: scan.clone(),
                activity: ACTIVITIES[i % ACTIVITIES.len()].0.into(),
                minutes: 120,
                event: None,
                txn: None,
                confirmed_by: None,
            },
        )?;
        scans.push(scan);
    }
    let mut rng = Lcg(42);
    for day in 0..history_days {
        for _ in 0..12 {
            *now.lock().expect("clock lock") =
                start + Duration::days(day) + Duration::minutes(60 * 9 + rng.next(480) as i64);
            let scan = scans[rng.next(scans.len())].clone();
            let (activity, _, _) = ACTIVITIES[rng.next(ACTIVITIES.len())];
            ledger.earn(
                &volunteer,
                &EarnRequest {
                    scan: scan.clone(),
                    activity: activity.into(),
                    minutes: 60 + 30 * rng.next(4) as u32,
                    event: None,
                    txn: None,
                    confirmed_by: None,
                },
            )?;
            let (item, ..) = ITEMS[rng.next(12)];
            // Some redemptions are refused (limits, balance): that is real counter life.
            let _ = ledger.redeem(
                &volunteer,
                &RedeemRequest {
                    scan,
                    lines: vec![(item.into(), 1)],
                    txn: None,
                    confirmed_by: None,
                },
            );
        }
    }
    ledger.set_clock(Box::new(Utc::now));
    Ok(Seeded {
        home,
        ledger,
        admin,
        volunteer,
        scans,
    })
}

/// Prints a slip on the printer simulator (the demo has no printer) and shows what came out.
fn print_slip(
    lang: Lang,
    ledger: &Ledger,
    receipt: &crate::ledger::Receipt,
    dir: &std::path::Path,
) {
    use crate::printer::{layout, print, profile, setup};
    let profile = profile::Profile::built_in(profile::DEFAULT_PROFILE)
        .expect("the default profile is built in");
    let Ok((mut service, simulator)) = setup::simulated(
        profile,
        &dir.join("print-queue.db"),
        &dir.join("sim-receipts"),
    ) else {
        println!(
            "{}",
            lang.pick(
                "（模拟打印机无法启动，跳过打印）",
                "(the printer simulator could not start; not printing)"
            )
        );
        return;
    };
    let header =
        crate::present::slip_header(ledger, receipt.operator.as_deref(), &receipt.recorded_at);
    let blocks = layout::txn_slip(&header, receipt, lang, false);
    println!(
        "{} {}",
        lang.pick(
            "没有接打印机：小票发到模拟打印机",
            "No printer attached: the slip goes to the printer simulator on"
        ),
        simulator.path()
    );
    match service.submit(Some(&receipt.txn), "redeem", &blocks) {
        Ok(print::Outcome::Printed { .. }) => {
            let slips = simulator.wait_receipts(1, std::time::Duration::from_secs(5));
            if let Some(slip) = slips.last() {
                println!("{slip}");
            }
        }
        Ok(print::Outcome::SentUnchecked { .. }) => {
            println!("{}", crate::printer::status::sent_unchecked_message(lang))
        }
        Ok(print::Outcome::Queued { problem, .. }) => println!("{}", problem.message(lang)),
        Err(e) => println!("{e}"),
    }
}

/// A seeded throwaway home for the counter UI, and the scans its demo keys simulate.
pub fn seed_for_counter() -> Result<(Home, crate::counter::driver::DemoScans)> {
    let seeded = seed(throwaway_dir(), DEMO_RESIDENTS, 3)?;
    let barcodes = ITEMS
        .iter()
        .filter_map(|(_, _, _, _, barcode, _, _)| barcode.map(str::to_string))
        .collect();
    Ok((
        seeded.home,
        crate::counter::driver::DemoScans {
            passbooks: seeded.scans,
            barcodes,
        },
    ))
}

/// A fresh folder for a throwaway demo home.
pub fn throwaway_dir() -> PathBuf {
    let stamp = Utc::now().format("%Y%m%d-%H%M%S");
    std::env::temp_dir().join(format!("pointsdesk-demo-{stamp}-{}", std::process::id()))
}

fn print_lines(lines: &[String]) {
    for line in lines {
        println!("{line}");
    }
}

fn step(lang: Lang, n: u32, zh: &str, en: &str) {
    println!("\n== {n}. {}", lang.pick(zh, en));
}

/// The terminal walk-through (until the counter UI exists).
pub fn run(lang: Lang) -> Result<()> {
    let dir = throwaway_dir();
    println!(
        "{} {}",
        lang.pick(
            "正在创建演示数据（社区、商品、200 位居民、几天的记录）：",
            "Seeding a demo home (community, catalogue, 200 residents, a few days of history):"
        ),
        dir.display()
    );
    let Seeded {
        mut ledger,
        admin,
        volunteer,
        ..
    } = seed(dir.clone(), DEMO_RESIDENTS, 3)?;

    step(
        lang,
        1,
        "登记新居民并发放存折",
        "Register a new resident and issue a passbook",
    );
    let resident = ledger.add_resident(
        &volunteer,
        &NewResident {
            name: "张三明".into(),
            phone: Some("13812345678".into()),
            address: Some("三桥新村 8 栋 302 室".into()),
            note: None,
        },
    )?;
    let issued = ledger.issue_passbook(&volunteer, &resident.resident)?;
    println!(
        "{} {}  {} {}",
        lang.pick("居民", "resident"),
        resident.name,
        lang.pick("存折", "passbook"),
        issued.passbook
    );
    println!(
        "{} {}",
        lang.pick("二维码内容", "QR payload"),
        issued.token.as_str()
    );
    let code = qr::encode(issued.token.as_str())
        .map_err(|e| LedgerError::Io(std::io::Error::other(e.to_string())))?;
    println!("{}", qr::to_terminal(&code));
    let scan = issued.token.as_str().to_lowercase() + "\r\n";
    println!(
        "{}",
        lang.pick(
            "（下面用小写加回车模拟扫码枪的输入，同样能识别）",
            "(the scans below are lower case with CR/LF, as a scanner with Caps Lock types them)"
        )
    );

    step(
        lang,
        2,
        "参加垃圾分类督导 3 小时，获得积分",
        "Three hours of garbage-sorting duty earn points",
    );
    let earned = ledger.earn(
        &volunteer,
        &EarnRequest {
            scan: scan.clone(),
            activity: "A01".into(),
            minutes: 180,
            event: None,
            txn: None,
            confirmed_by: None,
        },
    )?;
    print_lines(&crate::present::receipt_lines(lang, &earned));

    step(
        lang,
        3,
        "兑换：洗衣皂 2 块、酱油 1 瓶（扫商品条码）",
        "Redeem: 2 bars of soap and soy sauce (by barcode)",
    );
    let redeemed = ledger.redeem(
        &volunteer,
        &RedeemRequest {
            scan: scan.clone(),
            lines: vec![("G001".into(), 2), ("6901234500059".into(), 1)],
            txn: None,
            confirmed_by: None,
        },
    )?;
    print_lines(&crate::present::receipt_lines(lang, &redeemed));
    print_slip(lang, &ledger, &redeemed, &dir);

    step(
        lang,
        4,
        "积分不够时：兑换大米 5kg 被拒绝，什么都不记",
        "Not enough points: a 5 kg bag of rice is refused and nothing is booked",
    );
    let refused = ledger.redeem(
        &volunteer,
        &RedeemRequest {
            scan: scan.clone(),
            lines: vec![("G003".into(), 1)],
            txn: None,
            confirmed_by: None,
        },
    );
    match refused {
        Err(e) => println!("{}", e.message(lang)),
        Ok(_) => unreachable!("the balance was checked above"),
    }

    step(
        lang,
        5,
        "管理员冲正刚才的兑换，商品回到货架",
        "The administrator reverses that redemption; the goods go back on the shelf",
    );
    let reversed = ledger.reverse(&admin, &redeemed.txn, "居民拿错商品", None)?;
    print_lines(&crate::present::receipt_lines(lang, &reversed));

    step(
        lang,
        6,
        "校验账本：哈希链、签名、序号、视图与借贷平衡",
        "Verify the ledger: hash chain, signatures, seqs, projections, postings",
    );
    let report = ledger.verify()?;
    println!(
        "{} {} {}",
        if report.ok {
            lang.pick("通过", "OK")
        } else {
            lang.pick("失败", "FAILED")
        },
        report.entries,
        lang.pick("条记录", "entries")
    );
    println!(
        "\n{}",
        lang.pick(
            "继续体验（复制下面的命令即可运行；管理员工号 001，密码 1234）：",
            "Explore further (paste a command below; administrator 001, PIN 1234):"
        )
    );
    for command in follow_up_commands(&dir, issued.token.as_str(), &resident.resident) {
        println!("  {command}");
    }
    Ok(())
}

/// What the walk-through suggests next, ready to paste as printed: the binary that is running
/// (a clone has no `pointsdesk` on its PATH), the demo's home, and for a command that logs in
/// the administrator's number and PIN in the variables the CLI reads.
pub fn follow_up_commands(home: &std::path::Path, passbook: &str, resident: &str) -> Vec<String> {
    let exe = std::env::current_exe()
        .map(|p| shell_word(&p.display().to_string()))
        .unwrap_or_else(|_| "cargo run --release --".to_string());
    let home = shell_word(&home.display().to_string());
    let admin = format!("POINTSDESK_OPERATOR=001 POINTSDESK_PIN={DEMO_ADMIN_PIN}");
    vec![
        format!("{exe} --home {home} history --passbook {passbook}"),
        format!("{admin} {exe} --home {home} resident show {resident} --full"),
        format!("{exe} --home {home} counter"),
    ]
}

/// A path as one shell word: quoted when it holds anything but plain path characters.
fn shell_word(text: &str) -> String {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+'));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
