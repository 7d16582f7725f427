//! Every string the counter UI shows, in zh-CN and en. Each string is one line of the
//! `strings!` table below, which makes the enum, its `ALL` list and both texts from the same
//! line: a string cannot exist in one language only, and `ALL` cannot leave one out (the test
//! refuses an empty or untranslated text, and texts whose `{placeholders}` differ).
//!
//! A text with values names them in braces (`{points}`); [`S::fill`] puts the values in.

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
    AppTitle => ("爱心超市积分柜台", "Love supermarket counter"),
    LoginTitle => ("操作员登录", "Operator login"),
    OperatorNo => ("工号", "Operator no."),
    Pin => ("密码", "PIN"),
    LoginHint => ("输入工号，回车，再输入密码，回车",
        "Type your number, Enter, then your PIN, Enter"),
    DemoPinHint => ("演示：管理员 001 密码 1234，志愿者 002 密码 2468",
        "Demo: administrator 001 PIN 1234, volunteer 002 PIN 2468"),
    ScanPassbook => ("请扫描存折", "Please scan the passbook"),
    ScanHint => ("把存折上的二维码对准扫码枪",
        "Hold the passbook's QR code to the scanner"),
    Printer => ("打印机", "Printer"),
    PrinterReady => ("正常", "ready"),
    PrinterSimulator => ("模拟打印机", "simulator"),
    PrinterProblem => ("故障", "problem"),
    Sync => ("同步", "Sync"),
    SyncNever => ("尚未同步", "not synced yet"),
    LowStock => ("库存不足", "Low stock"),
    NoneLow => ("无", "none"),
    Resident => ("居民", "Resident"),
    Passbook => ("存折", "Passbook"),
    Balance => ("余额", "Balance"),
    ThisMonth => ("本月", "This month"),
    Earned => ("获得", "earned"),
    Spent => ("兑换", "spent"),
    LastEntries => ("最近记录", "Latest entries"),
    Redeem => ("兑换", "Redeem"),
    Catalog => ("商品", "Catalogue"),
    Search => ("搜索（拼音首字母）", "Search (pinyin initials)"),
    Cart => ("已选", "Selected"),
    Qty => ("数量", "Qty"),
    Points => ("积分", "Points"),
    Total => ("合计", "Total"),
    BalanceAfter => ("兑换后余额", "Balance after"),
    Stock => ("库存", "Stock"),
    Limit => ("月限", "Limit"),
    Confirm => ("确认", "Confirm"),
    ConfirmRedeem => ("确认兑换？回车确认，Esc 返回修改",
        "Redeem? Enter to confirm, Esc to change"),
    Working => ("正在处理……", "Working…"),
    Done => ("完成", "Done"),
    Receipt => ("小票", "Slip"),
    LatestReceipt => ("最新小票", "Latest slip"),
    NoReceiptYet => ("还没有打印小票", "No slip printed yet"),
    Locked => ("已锁定，请重新登录", "Locked: log in again"),
    Operator => ("操作员", "Operator"),
    KeysHome => ("V签到 X冲正 P重印 T报表 S库存 H硬件 Y同步 F2演示扫码 F10退出",
        "V event X reverse P reprint T report S stock H hardware Y sync F2 demo F10 out"),
    KeysResident => ("R 兑换  E 获得积分  Esc 返回",
        "R redeem  E earn points  Esc back"),
    KeysRedeem => ("输入字母搜索  ↑↓ 选择  回车 加入  +/- 数量  Del 移除  F5 结算  Esc 返回",
        "Type to search  ↑↓ select  Enter add  +/- qty  Del remove  F5 check out  Esc back"),
    KeysConfirm => ("回车 确认兑换  Esc 返回", "Enter confirm  Esc back"),
    KeysLogin => ("回车 下一步  Esc 清除  Ctrl+C 退出",
        "Enter next  Esc clear  Ctrl+C quit"),
    KeysDemo => ("演示模式", "Demo mode"),
    EmptyCart => ("还没有选商品", "Nothing selected yet"),
    NotEnoughPoints => ("积分不够", "Not enough points"),
    Logout => ("退出登录", "Log out"),
    Time => ("时间", "Time"),
    Kind => ("类型", "Kind"),
    Details => ("说明", "Details"),
    Unlimited => ("不限", "none"),
    EarnTitle => ("获得积分", "Earn points"),
    EventSetupTitle => ("活动签到：选活动和时长",
        "Event check-in: pick the activity and hours"),
    EventTitle => ("活动签到", "Event check-in"),
    Activity => ("活动", "Activity"),
    Hours => ("时长（小时）", "Hours"),
    PerHour => ("分/小时", "pts/hour"),
    KeysEarn => ("↑↓ 选活动  输入时长  回车 确定  Esc 返回",
        "↑↓ activity  type hours  Enter OK  Esc back"),
    KeysEvent => ("逐个扫描参加者的存折（每本只计一次）  Esc 结束签到",
        "Scan each participant's passbook (credited once each)  Esc end"),
    EventScanHint => ("请参加者逐个扫描存折",
        "Participants: scan your passbooks one by one"),
    Credited => ("已加分人数", "Credited"),
    StockTitle => ("库存：入库与盘点", "Stock: receive and count"),
    Received => ("入库数量", "Quantity received"),
    Donor => ("捐赠人（可空）", "Donor (optional)"),
    Counted => ("盘点数量", "Counted on the shelf"),
    KeysStock => ("输入搜索  ↑↓ 选择  F6 入库  F7 盘点  Esc 返回",
        "Type to search  ↑↓ select  F6 receive  F7 count  Esc back"),
    KeysStockForm => ("输入数字  回车 确定  Esc 取消",
        "Type the number  Enter OK  Esc cancel"),
    HardwareTitle => ("硬件：打印机", "Hardware: printer"),
    ScannerTest => ("扫码枪测试（原始按键与间隔）",
        "Scanner test (raw keys and gaps)"),
    ScannerTestHint => ("扫任意码或打字：扫码枪的按键间隔很短，并被识别为“SCAN”",
        "Scan any code or type: a scanner's keys come fast and are recognised as SCAN"),
    KeysHardware => ("F4 打印测试页  Esc 返回", "F4 test print  Esc back"),
    SyncTitle => ("同步", "Sync"),
    SyncNotSetUp => ("本服务点尚未接入街道中心（同步功能将在后续版本提供），所有记录都保存在本机。",
        "This counter is not connected to a street-office hub yet (sync comes in a later version); every entry is kept on this computer."),
    KeysBack => ("Esc 返回", "Esc back"),
    ReportTitle => ("今日报表", "Today's report"),
    ByHour => ("每小时积分（绿：获得 黄：兑换）",
        "Points by hour (green earned, yellow redeemed)"),
    ByItem => ("兑换商品（积分）", "Items redeemed (points)"),
    ByActivity => ("志愿活动（积分）", "Activities (points earned)"),
    KeysReport => ("Esc 返回主页", "Esc home"),
    NothingYet => ("今天还没有记录", "Nothing yet today"),
    ReverseTitle => ("冲正（需管理员密码）", "Reverse (administrator PIN)"),
    ReverseTxn => ("交易号（扫描小票二维码）", "Txn (scan the slip's QR)"),
    ReverseReason => ("原因", "Reason"),
    AdminNo => ("管理员工号", "Administrator no."),
    AdminPin => ("管理员密码", "Administrator PIN"),
    KeysReverse => ("扫小票二维码  回车/↓ 下一项  ↑ 上一项  最后回车 冲正  Esc 取消",
        "Scan the slip QR  Enter/↓ next  ↑ back  Enter at the end reverses  Esc cancel"),
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
