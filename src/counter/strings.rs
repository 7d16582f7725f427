//! Every string the counter UI shows, in zh-CN and en. Each string is one line of the
//! `strings!` table below, which makes the enum, its `ALL` list and both texts from the same
//! line: a string cannot exist in one language only, and `ALL` cannot leave one out (the test
//! refuses an empty or untranslated text, and texts whose `{placeholders}` differ).
//!
//! A text with values names them in braces (`{points}`); [`S::fill`] puts the values in.

use super::model::LineProblem;
use crate::i18n::Lang;

macro_rules! strings {
    ($($name:ident => ($zh:expr, $en:expr $(,)?),)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum S {
            $($name,)*
        }

        impl S {
            /// Every string, in the order of the table.
            pub const ALL: &'static [S] = &[$(S::$name,)*];

            /// (zh-CN, en)
            fn pair(self) -> (&'static str, &'static str) {
                match self {
                    $(S::$name => ($zh, $en),)*
                }
            }
        }
    };
}

strings! {
    // The frame: title bar, login.
    AppTitle => ("爱心超市积分柜台", "Love supermarket counter"),
    Operator => ("操作员", "Operator"),
    Printer => ("打印机", "Printer"),
    PrinterReady => ("正常", "ready"),
    PrinterSimulator => ("模拟打印机", "simulator"),
    PrinterUnchecked => ("不回报状态", "no status"),
    PrinterProblem => ("故障", "problem"),
    SyncNever => ("同步：尚未同步", "Sync: never"),
    SyncUnknown => ("同步：…", "Sync: …"),
    SyncNoDistrict => ("同步：未加入街道", "Sync: no district"),
    SyncLast => ("同步：{at}", "Sync: {at}"),
    SyncAttention => ("同步发现透支存折 {overdrafts} 本、分叉 {forks} 处：请管理员按 F9 查看",
        "The sync found overdrawn passbooks: {overdrafts}, forks: {forks}. An administrator should press F9"),
    DemoHome => ("演示数据：{path}", "Demo home: {path}"),
    // Where the slip panel shows a printed QR code or picture.
    SlipQr => ("[二维码]", "[QR code]"),
    SlipImage => ("[图片]", "[image]"),
    LoginTitle => ("操作员登录", "Operator login"),
    OperatorNo => ("工号", "Operator no."),
    Pin => ("密码", "PIN"),
    LoginHint => ("输入工号，回车，再输入密码，回车",
        "Type your number, Enter, then your PIN, Enter"),
    DemoPinHint => ("演示：管理员 001 密码 1234，志愿者 002 密码 2468",
        "Demo: administrator 001 PIN 1234, volunteer 002 PIN 2468"),
    Locked => ("已锁定，请重新登录", "Locked: log in again"),
    Working => ("正在处理……", "Working…"),
    KeysLogin => ("回车 下一步  Esc 清除  Ctrl+C 退出", "Enter next  Esc clear  Ctrl+C quit"),
    KeysDemoPassbook => ("F2 演示扫存折", "F2 demo passbook"),
    KeysDemoItem => ("F3 演示扫商品", "F3 demo barcode"),

    // Home: scan, or type a passbook number or a 单号.
    ScanPassbook => ("请扫描存折", "Please scan the passbook"),
    ScanHint => ("把存折上的二维码对准扫码枪", "Hold the passbook's QR code to the scanner"),
    LookupTitle => ("手工输入：存折号（需管理员确认）或小票单号，回车",
        "Type a passbook number (an administrator confirms) or a slip's 单号, Enter"),
    LookupUnknown => ("“{text}”不是存折号（如 {prefix}-000123），也不是小票上的单号：请核对，或直接扫码",
        "\"{text}\" is neither a passbook number (such as {prefix}-000123) nor a slip's 单号: check it, or scan"),
    LowStock => ("库存不足", "Low stock"),
    NoneLow => ("无", "none"),
    KeysHome => ("F3 签到  F4 冲正  F5 重印  F6 报表  F7 库存  F8 硬件  F9 同步  F10 注销",
        "F3 event  F4 reverse  F5 reprint  F6 report  F7 stock  F8 hardware  F9 sync  F10 log out"),
    AdminConfirmTitle => ("手工查找存折：需要管理员确认", "Passbook typed by hand: an administrator confirms"),
    AdminConfirmNumber => ("存折号 {number} 是手工输入的。", "Passbook {number} was typed by hand."),
    AdminConfirmWhy => ("存折号印在存折上，知道号码不等于持有存折：请管理员输入工号和密码确认。",
        "The number is printed in the passbook, so knowing it proves nothing: an administrator types their number and PIN to confirm."),
    KeysAdminConfirm => ("回车 下一项/确认  ↑ 上一项  Esc 取消", "Enter next/confirm  ↑ back  Esc cancel"),

    // Resident, redeem, confirm.
    Resident => ("居民", "Resident"),
    Passbook => ("存折", "Passbook"),
    Balance => ("余额", "Balance"),
    ThisMonth => ("本月", "This month"),
    Earned => ("获得", "earned"),
    Spent => ("兑换", "spent"),
    LastEntries => ("最近记录", "Latest entries"),
    ConfirmedBy => ("手工查找，管理员 {admin} 确认", "Looked up by number, confirmed by administrator {admin}"),
    Time => ("时间", "Time"),
    Kind => ("类型", "Kind"),
    Details => ("说明", "Details"),
    KeysResident => ("回车 兑换  F4 获得积分  Esc 返回", "Enter redeem  F4 earn points  Esc back"),
    Catalog => ("商品", "Catalogue"),
    Search => ("搜索（拼音首字母）", "Search (pinyin initials)"),
    Cart => ("已选", "Selected"),
    Points => ("积分", "Points"),
    Total => ("合计", "Total"),
    BalanceAfter => ("兑换后余额", "Balance after"),
    Stock => ("库存", "Stock"),
    Limit => ("月限", "Limit"),
    EmptyCart => ("还没有选商品", "Nothing selected yet"),
    NotEnoughPoints => ("积分不够", "Not enough points"),
    StockShortMark => ("库存只有{available}件", "only {available} in stock"),
    LimitMark => ("超出月限：每月限{limit}件，已兑{used}件", "over the monthly limit: {limit} a month, {used} this month"),
    LineProblem => ("{item}：{problem}", "{item}: {problem}"),
    CartRefused => ("不能结算：{item} {problem}。请按 - 减少数量，或按 Del 移除",
        "Cannot check out: {item} {problem}. Press - to take fewer, or Del to remove it"),
    KeysRedeem => ("输入字母搜索  ↑↓ 选择  回车 加入  +/- 数量  Del 移除  F5 结算  Esc 返回",
        "Type to search  ↑↓ select  Enter add  +/- qty  Del remove  F5 check out  Esc back"),
    Confirm => ("确认", "Confirm"),
    ConfirmRedeem => ("确认兑换？回车确认，Esc 返回修改", "Redeem? Enter to confirm, Esc to change"),
    KeysConfirm => ("回车 确认兑换  Esc 返回", "Enter confirm  Esc back"),
    RedeemedNotice => ("兑换完成：余额 {before} → {after}", "Redeemed: balance {before} → {after}"),
    SwitchPassbook => ("正在为另一位居民兑换：再扫一次这本存折即切换（已选商品清空），或先完成兑换",
        "Another resident's redemption is open: scan this passbook again to switch (the cart is emptied), or finish first"),
    AskDropCart => ("已选商品还没有兑换：再按一次 Esc 清空已选商品并返回，按其他键继续兑换",
        "The cart is not redeemed: press Esc again to empty it and go back, any other key to go on"),
    AskQuitCart => ("已选商品还没有兑换：再按一次 Ctrl+C 清空并退出，按其他键继续兑换",
        "The cart is not redeemed: press Ctrl+C again to empty it and quit, any other key to go on"),
    KeysAskDropCart => ("再按 Esc 清空已选并返回  其他键 继续兑换", "Esc again: empty the cart, go back  Other keys: go on"),
    KeysAskQuitCart => ("再按 Ctrl+C 清空并退出  其他键 继续兑换", "Ctrl+C again: empty the cart, quit  Other keys: go on"),
    ScanPassbookFirst => ("请先扫描居民存折", "Scan the resident's passbook first"),
    NoSuchBarcode => ("没有条码为 {code} 的商品", "No item has the barcode {code}"),
    UselessCode => ("这个码在此处无用：请扫描存折或商品条码",
        "That code means nothing here: scan a passbook or a product barcode"),

    // Earning and event check-in.
    EarnTitle => ("获得积分", "Earn points"),
    EventSetupTitle => ("活动签到：选活动、时长和名称", "Event check-in: activity, hours and a name"),
    EventTitle => ("活动签到", "Event check-in"),
    Activity => ("活动", "Activity"),
    Hours => ("时长（小时）", "Hours"),
    PerHour => ("分/小时", "pts/hour"),
    EventName => ("活动名称", "Event name"),
    EventNameEmpty => ("请填写活动名称（同一天两场同样的活动请用不同名称，如 上午/下午）",
        "Type the event's name (two sessions on one day need two names, such as morning/afternoon)"),
    EarnFormula => ("{activity} {rate} 分/小时 × {hours} = {points} 分",
        "{activity} {rate} pts/hour × {hours} = {points} pts"),
    EarnConfirmTitle => ("确认加分", "Confirm the points"),
    EarnConfirmAsk => ("给 {resident}（{passbook}）加分？回车确认入账，Esc 返回修改",
        "Credit {resident} ({passbook})? Enter books it, Esc goes back"),
    EventConfirmAsk => ("开始活动签到“{name}”？每本存折加{points}分，只计一次。回车开始，Esc 返回修改",
        "Start the check-in \"{name}\"? Each passbook gets {points} points, once. Enter starts, Esc goes back"),
    KeysEarn => ("↑↓ 选活动  输入时长  回车 下一步  Esc 返回", "↑↓ activity  type hours  Enter next  Esc back"),
    KeysEventSetup => ("↑↓ 选活动  回车 下一项  → 在原文后输入  Esc 返回",
        "↑↓ activity  Enter next field  → type after the text  Esc back"),
    KeysEarnConfirm => ("回车 确认  Esc 返回修改", "Enter confirm  Esc back"),
    KeysEvent => ("逐个扫描参加者的存折（每本只计一次）  Esc 结束签到",
        "Scan each participant's passbook (credited once each)  Esc end"),
    EventScanHint => ("请参加者逐个扫描存折", "Participants: scan your passbooks one by one"),
    Credited => ("已加分存折", "Passbooks credited"),
    EarnedNotice => ("已入账：{passbook} {resident} +{points}，余额 {before} → {after}",
        "Booked: {passbook} {resident} +{points}, balance {before} → {after}"),
    AlreadyCheckedIn => ("{passbook} 已签到过，不重复加分", "{passbook} already checked in: no points twice"),
    EventEnded => ("活动“{name}”签到结束：共 {count} 本存折已加分",
        "Check-in \"{name}\" ended: {count} passbooks credited"),

    // Txns: look at one, reverse it, reprint its slip.
    TxnTitle => ("交易", "Txn"),
    ReverseTitle => ("冲正（需管理员密码）", "Reverse (administrator PIN)"),
    ReprintTitle => ("重印小票", "Reprint a slip"),
    TxnField => ("单号", "单号 (slip no.)"),
    TxnFieldHint => ("小票上的 8 位单号（输入前 4 位以上即可），或扫小票二维码",
        "the 8 characters on the slip (4 or more will do), or scan the slip's QR"),
    ReverseReason => ("原因", "Reason"),
    AdminNo => ("管理员工号", "Administrator no."),
    AdminPin => ("管理员密码", "Administrator PIN"),
    TxnPoints => ("积分 {points}  余额 {before} → {after}", "Points {points}  balance {before} → {after}"),
    TxnReversedNote => ("已于 {at} 冲正（冲正单 {by}）", "Reversed at {at} (reversal {by})"),
    TxnCannotReverse => ("这笔交易已于 {at} 冲正（冲正单 {by}），不能再冲正",
        "This txn was reversed at {at} (reversal {by}); it cannot be reversed again"),
    TxnPick => ("单号 {short} 对应多笔交易：↑↓ 选择，回车确定", "{short} fits several txns: ↑↓ pick one, Enter takes it"),
    TxnMore => ("……还有更多：请输入完整的 8 位单号", "… and more: type all 8 characters"),
    KeysTxn => ("F4 冲正  F5 重印  Esc 返回", "F4 reverse  F5 reprint  Esc back"),
    KeysReprint => ("输入单号  回车 查找/重印  Esc 返回", "Type the 单号  Enter find/reprint  Esc back"),
    KeysReverse => ("回车/↓ 下一项  ↑ 上一项  最后回车 冲正  Esc 取消",
        "Enter/↓ next  ↑ back  Enter at the end reverses  Esc cancel"),
    KeysTxnPick => ("↑↓ 选择  回车 确定  Esc 返回", "↑↓ pick  Enter take it  Esc back"),
    ReversedNotice => ("冲正完成：{passbook} 余额 {before} → {after}", "Reversed: {passbook} balance {before} → {after}"),
    ReprintedNotice => ("已重印单号 {short} 的小票（标有“重印”）", "Reprinted the slip of {short} (marked COPY)"),
    NoReceiptYet => ("还没有打印小票", "No slip printed yet"),
    LatestReceipt => ("最新小票", "Latest slip"),

    // Today's report and the day close.
    ReportTitle => ("今日报表", "Today's report"),
    ReportTotals => ("服务 {residents} 人  获得 {earned} 分  兑换 {spent} 分  发出 {items} 件",
        "Served {residents}  earned {earned} pts  spent {spent} pts  items out {items}"),
    ByHour => ("每小时积分（分）", "Points by hour (pts)"),
    HourAxis => ("时", "h"),
    ByItem => ("兑换商品", "Items redeemed"),
    ItemLegend => ("积分（件数），满格 {max} 分", "points (units), full bar {max}"),
    ByActivity => ("志愿活动", "Activities"),
    ActivityLegend => ("获得积分，满格 {max} 分", "points earned, full bar {max}"),
    NothingYet => ("今天还没有记录", "Nothing yet today"),
    KeysReport => ("F4 打印日结单  Esc 返回主页", "F4 print the day close  Esc home"),
    AskDayClose => ("打印今日（{day}）的日结单？回车打印，Esc 取消", "Print today's ({day}) day-close slip? Enter prints, Esc cancels"),
    DayClosePrinted => ("日结单已打印：{day}", "Day-close slip printed: {day}"),
    KeysAskEnter => ("回车 确认  Esc 取消", "Enter confirm  Esc cancel"),

    // Stock.
    StockTitle => ("库存：入库与盘点", "Stock: receive and count"),
    StockFormItem => ("{name}（{code}）库存 {stock}", "{name} ({code}) stock {stock}"),
    Received => ("入库数量", "Quantity received"),
    Donor => ("捐赠人（可空）", "Donor (optional)"),
    Counted => ("盘点数量", "Counted on the shelf"),
    StockedNotice => ("{name} 库存 {stock}", "{name} stock {stock}"),
    AskCountDrop => ("盘点数比库存少了 {share}% 以上：{name} 库存 {stock}，盘点 {counted}（少 {removed} 件）。回车确认入账，Esc 返回修改",
        "That count takes away more than {share}% of the stock: {name} stock {stock}, counted {counted} ({removed} fewer). Enter books it, Esc goes back"),
    KeysStock => ("输入搜索  ↑↓ 选择  F6 入库  F7 盘点  Esc 返回",
        "Type to search  ↑↓ select  F6 receive  F7 count  Esc back"),
    KeysStockForm => ("输入数字  回车 确定  Esc 取消", "Type the number  Enter OK  Esc cancel"),

    // Hardware and sync.
    HardwareTitle => ("硬件：打印机", "Hardware: printer"),
    PrinterReadyWords => ("打印机正常。", "The printer is ready."),
    PrinterSimulatorNote => ("没有配置打印机：小票打印到模拟打印机。", "No printer is configured: slips go to the printer simulator."),
    ScannerTest => ("扫码枪测试（原始按键与间隔）", "Scanner test (raw keys and gaps)"),
    ScannerTestHint => ("扫任意码或打字：扫码枪的按键间隔很短，会显示为“扫码”",
        "Scan any code or type: a scanner's keys come fast and show as \"scan\""),
    KeyLogKey => ("按键 {key}  +{gap} 毫秒", "key {key}  +{gap} ms"),
    KeyLogScan => ("扫码：{kind} {text}", "scan: {kind} {text}"),
    ScanKindPassbook => ("存折", "passbook"),
    ScanKindSlip => ("小票二维码", "slip QR"),
    ScanKindBarcode => ("商品条码", "product barcode"),
    ScanKindUnknown => ("无法识别", "not recognised"),
    KeyEnter => ("回车", "Enter"),
    KeyTab => ("制表键 Tab", "Tab"),
    KeyEsc => ("退出键 Esc", "Esc"),
    KeyBackspace => ("退格", "Backspace"),
    KeyDelete => ("删除 Del", "Delete"),
    KeyUp => ("↑ 上", "↑ up"),
    KeyDown => ("↓ 下", "↓ down"),
    KeyLeft => ("← 左", "← left"),
    KeyRight => ("→ 右", "→ right"),
    KeyCtrlC => ("Ctrl+C 组合键", "Ctrl+C"),
    KeySpace => ("空格", "space"),
    KeysHardware => ("F4 打印测试页  Esc 返回", "F4 test print  Esc back"),
    SyncTitle => ("同步", "Sync"),
    KeysSync => ("↑↓ 滚动  Esc 返回", "↑↓ scroll  Esc back"),
    KeysBack => ("Esc 返回", "Esc back"),
}

impl S {
    pub fn get(self, lang: Lang) -> &'static str {
        let (zh, en) = self.pair();
        lang.pick(zh, en)
    }

    /// The text with its `{name}` placeholders replaced by the values given.
    pub fn fill(self, lang: Lang, values: &[(&str, &dyn std::fmt::Display)]) -> String {
        values
            .iter()
            .fold(self.get(lang).to_string(), |text, (name, value)| {
                text.replace(&format!("{{{name}}}"), &value.to_string())
            })
    }
}

/// Why a cart line cannot be redeemed, in words.
pub fn line_problem_text(lang: Lang, problem: LineProblem) -> String {
    match problem {
        LineProblem::Stock { available } => {
            S::StockShortMark.fill(lang, &[("available", &available)])
        }
        LineProblem::MonthlyLimit { limit, used } => {
            S::LimitMark.fill(lang, &[("limit", &limit), ("used", &used)])
        }
    }
}

/// The `{name}` placeholders of a text, in order.
#[cfg(test)]
fn placeholders(text: &str) -> Vec<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_exists_in_both_languages_and_is_translated() {
        for s in S::ALL {
            let (zh, en) = s.pair();
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{s:?}");
            assert_ne!(zh, en, "{s:?} is not translated");
            assert!(!zh.is_ascii(), "{s:?}: the zh-CN text has no Chinese");
        }
    }

    #[test]
    fn both_languages_of_a_string_take_the_same_values() {
        for s in S::ALL {
            let (zh, en) = s.pair();
            let (mut zh_names, mut en_names) = (placeholders(zh), placeholders(en));
            zh_names.sort_unstable();
            en_names.sort_unstable();
            assert_eq!(zh_names, en_names, "{s:?}");
        }
    }
}
