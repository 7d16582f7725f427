//! `pointsdesk report …` and the imports as a community worker runs them: a month as a table,
//! a workbook and a CSV Excel opens in Chinese; a statement on the receipt printer; a
//! catalogue and a resident list saved by Excel on a Chinese Windows (GBK), a bad row named and
//! nothing of its file imported.

mod support;

use calamine::{Data, Reader, Xlsx, open_workbook};
use support::Desk;

/// The text as Excel on a Chinese Windows saves "CSV (逗号分隔)": GBK, no byte-order mark.
fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "{text} is all GBK");
    bytes.into_owned()
}

#[test]
fn a_month_is_a_table_on_screen_a_workbook_and_a_csv_with_the_same_figures() {
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "2");
    desk.ok(&["redeem", "--passbook", &scan, "--item", "G001:2"]);
    let xlsx = desk.path("month.xlsx");
    let csv = desk.path("month.csv");
    let out = desk.ok(&[
        "report",
        "month",
        "--xlsx",
        xlsx.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(out.stdout.contains("获得积分"), "{}", out.stdout);
    assert!(out.stdout.contains("合计"), "{}", out.stdout);

    let report = desk.json(&["report", "month"]);
    let total = report["sections"][0]["total"].as_array().unwrap();
    assert_eq!(total[0], "本月合计", "{report}");
    assert_eq!(total[1], 20, "{report}");
    assert_eq!(total[2], 10, "{report}");
    // It says what it covers: this counter's series, and that it has not synced yet.
    let covers = report["covers"].to_string();
    assert!(covers.contains("三桥爱心超市 #"), "{covers}");
    assert!(covers.contains("尚未同步"), "{covers}");

    let mut book: Xlsx<_> = open_workbook(&xlsx).expect("the workbook opens");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).unwrap();
    let totals: Vec<&Data> = range
        .rows()
        .find(|row| row.first() == Some(&Data::String("本月合计".into())))
        .expect("a total row")
        .iter()
        .collect();
    assert_eq!(totals[1], &Data::Float(20.0));
    assert_eq!(totals[2], &Data::Float(10.0));

    let bytes = std::fs::read(&csv).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains("本月合计,20,10,0"), "{text}");
}

#[test]
fn a_statement_prints_like_a_paper_passbook_on_the_receipt_printer() {
    let (desk, scan) = Desk::seeded();
    desk.earn(&scan, "3");
    desk.ok(&["redeem", "--passbook", &scan, "--item", "S001"]);
    let out = desk.ok(&["report", "resident", "--passbook", &scan, "--print"]);
    assert!(out.stdout.contains("结余"), "{}", out.stdout);
    let receipts = desk.home.join("sim-receipts");
    let slip = std::fs::read_dir(&receipts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .find(|text| text.contains("存折对账单"))
        .expect("the statement was printed");
    for head in ["日期", "内容", "存入", "取出", "结余"] {
        assert!(slip.contains(head), "{head} on the slip:\n{slip}");
    }
    assert!(slip.contains("SQ-A000001"), "{slip}");
    assert!(slip.contains("张*明"), "the name is masked:\n{slip}");
    assert!(!slip.contains("张三明"), "{slip}");
    // 30 in, 10 out, 20 left: the slip closes on the balance.
    assert_eq!(desk.balance(&scan), 20);
    assert!(slip.contains("20"), "{slip}");
}

#[test]
fn a_catalogue_saved_by_excel_on_a_chinese_windows_imports_every_row() {
    let desk = Desk::init();
    let csv = desk.path("catalog.csv");
    std::fs::write(
        &csv,
        gbk("编号,名称,类别,积分,条码,每月限额,库存\r\n\
             G101,大米5斤,商品,25,6901234500101,2,40\r\n\
             G102,洗洁精,商品,8,,,12\r\n\
             S101,理发,服务,10,,,\r\n"),
    )
    .unwrap();
    let imported = desk.json(&["catalog", "import", csv.to_str().unwrap()]);
    assert_eq!(imported["imported"], 3, "{imported}");
    let list = desk.json(&["catalog", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["大米5斤", "洗洁精", "理发"]);
    let rice = &list[0];
    assert_eq!(rice["points"], 25);
    assert_eq!(rice["stock"], 40);
    desk.verify();
}

#[test]
fn a_bad_catalogue_row_is_named_and_nothing_of_the_file_is_imported() {
    let desk = Desk::init();
    let entries = desk.verify();
    let csv = desk.path("catalog.csv");
    std::fs::write(
        &csv,
        "\u{feff}编号,名称,积分,库存\nG101,大米,25,40\nG102,洗洁精,八,12\nG103,毛巾,6,5\n",
    )
    .unwrap();
    let zh = desk.run(&["catalog", "import", csv.to_str().unwrap()]);
    assert_ne!(zh.code(), Some(0));
    assert!(zh.stderr.contains("第 3 行"), "{}", zh.stderr);
    assert!(zh.stderr.contains("八"), "{}", zh.stderr);
    let en = desk.run(&["--lang", "en", "catalog", "import", csv.to_str().unwrap()]);
    assert!(en.stderr.contains("Row 3"), "{}", en.stderr);
    assert!(
        en.stderr.contains("Nothing of the file was imported"),
        "{}",
        en.stderr
    );
    assert_eq!(desk.json(&["catalog", "list"]).as_array().unwrap().len(), 0);
    assert_eq!(desk.verify(), entries, "no entry was written");
}

#[test]
fn a_resident_list_in_gbk_imports_and_a_file_in_no_known_encoding_is_refused() {
    let desk = Desk::init();
    let csv = desk.path("residents.csv");
    std::fs::write(
        &csv,
        gbk("姓名,电话,地址\r\n李四,13900000001,幸福里1号\r\n欧阳娜娜,,和平苑3栋\r\n"),
    )
    .unwrap();
    let imported = desk.json(&["resident", "import", csv.to_str().unwrap()]);
    assert_eq!(imported["imported"], 2);
    let full = desk.json(&["resident", "show", "SQ-RA00002", "--full"]);
    assert_eq!(full["name"], "欧阳娜娜");
    assert_eq!(full["address"], "和平苑3栋");

    // Bytes that are neither UTF-8 nor GB18030 (a lone lead byte before a line end).
    let broken = desk.path("broken.csv");
    std::fs::write(&broken, b"\xD0\xD5\xC3\xFB,phone\n\x81\n".as_slice()).unwrap();
    let out = desk.run(&["resident", "import", broken.to_str().unwrap()]);
    assert_ne!(out.code(), Some(0));
    assert!(out.stderr.contains("编码"), "{}", out.stderr);
    assert_eq!(
        desk.json(&["resident", "list"]).as_array().unwrap().len(),
        2
    );
}
