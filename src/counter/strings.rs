//! Every string the counter UI shows, in zh-CN and en. Each variant returns both languages from
//! one match arm, so a string cannot exist in one language only (the compiler refuses a
//! missing arm; the tests refuse an empty or untranslated text).

use crate::i18n::Lang;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S {
    AppTitle,
    LoginTitle,
    OperatorNo,
    Pin,
    LoginHint,
    DemoPinHint,
    ScanPassbook,
    ScanHint,
    Printer,
    PrinterReady,
    PrinterSimulator,
    PrinterProblem,
    Sync,
    SyncNever,
    LowStock,
    NoneLow,
    Resident,
    Passbook,
    Balance,
    ThisMonth,
    Earned,
    Spent,
    LastEntries,
    Redeem,
    Catalog,
    Search,
    Cart,
    Qty,
    Points,
    Total,
    BalanceAfter,
    Stock,
    Limit,
    Confirm,
    ConfirmRedeem,
    Working,
    Done,
    Receipt,
    LatestReceipt,
    NoReceiptYet,
    Locked,
    Operator,
    KeysHome,
    KeysResident,
    KeysRedeem,
    KeysConfirm,
    KeysLogin,
    KeysDemo,
    EmptyCart,
    NotEnoughPoints,
    Logout,
    Time,
    Kind,
    Details,
    Unlimited,
    EarnTitle,
    EventSetupTitle,
    EventTitle,
    Activity,
    Hours,
    PerHour,
    KeysEarn,
    KeysEvent,
    EventScanHint,
    Credited,
}

impl S {
    pub const ALL: &'static [S] = &[
        S::AppTitle,
        S::LoginTitle,
        S::OperatorNo,
        S::Pin,
        S::LoginHint,
        S::DemoPinHint,
        S::ScanPassbook,
        S::ScanHint,
        S::Printer,
        S::PrinterReady,
        S::PrinterSimulator,
        S::PrinterProblem,
        S::Sync,
        S::SyncNever,
        S::LowStock,
        S::NoneLow,
        S::Resident,
        S::Passbook,
        S::Balance,
        S::ThisMonth,
        S::Earned,
        S::Spent,
        S::LastEntries,
        S::Redeem,
        S::Catalog,
        S::Search,
        S::Cart,
        S::Qty,
        S::Points,
        S::Total,
        S::BalanceAfter,
        S::Stock,
        S::Limit,
        S::Confirm,
        S::ConfirmRedeem,
        S::Working,
        S::Done,
        S::Receipt,
        S::LatestReceipt,
        S::NoReceiptYet,
        S::Locked,
        S::Operator,
        S::KeysHome,
        S::KeysResident,
        S::KeysRedeem,
        S::KeysConfirm,
        S::KeysLogin,
        S::KeysDemo,
        S::EmptyCart,
        S::NotEnoughPoints,
        S::Logout,
        S::Time,
        S::Kind,
        S::Details,
        S::Unlimited,
    ];

    /// (zh-CN, en)
    fn pair(self) -> (&'static str, &'static str) {
        match self {
            S::AppTitle => ("爱心超市积分柜台", "Love supermarket counter"),
            S::LoginTitle => ("操作员登录", "Operator login"),
            S::OperatorNo => ("工号", "Operator no."),
            S::Pin => ("密码", "PIN"),
            S::LoginHint => (
                "输入工号，回车，再输入密码，回车",
                "Type your number, Enter, then your PIN, Enter",
            ),
            S::DemoPinHint => (
                "演示：管理员 001 密码 1234，志愿者 002 密码 2468",
                "Demo: administrator 001 PIN 1234, volunteer 002 PIN 2468",
            ),
            S::ScanPassbook => ("请扫描存折", "Please scan the passbook"),
            S::ScanHint => (
                "把存折上的二维码对准扫码枪",
                "Hold the passbook's QR code to the scanner",
            ),
            S::Printer => ("打印机", "Printer"),
            S::PrinterReady => ("正常", "ready"),
            S::PrinterSimulator => ("模拟打印机", "simulator"),
            S::PrinterProblem => ("故障", "problem"),
            S::Sync => ("同步", "Sync"),
            S::SyncNever => ("尚未同步", "not synced yet"),
            S::LowStock => ("库存不足", "Low stock"),
            S::NoneLow => ("无", "none"),
            S::Resident => ("居民", "Resident"),
            S::Passbook => ("存折", "Passbook"),
            S::Balance => ("余额", "Balance"),
            S::ThisMonth => ("本月", "This month"),
            S::Earned => ("获得", "earned"),
            S::Spent => ("兑换", "spent"),
            S::LastEntries => ("最近记录", "Latest entries"),
            S::Redeem => ("兑换", "Redeem"),
            S::Catalog => ("商品", "Catalogue"),
            S::Search => ("搜索（拼音首字母）", "Search (pinyin initials)"),
            S::Cart => ("已选", "Selected"),
            S::Qty => ("数量", "Qty"),
            S::Points => ("积分", "Points"),
            S::Total => ("合计", "Total"),
            S::BalanceAfter => ("兑换后余额", "Balance after"),
            S::Stock => ("库存", "Stock"),
            S::Limit => ("月限", "Limit"),
            S::Confirm => ("确认", "Confirm"),
            S::ConfirmRedeem => (
                "确认兑换？回车确认，Esc 返回修改",
                "Redeem? Enter to confirm, Esc to change",
            ),
            S::Working => ("正在处理……", "Working…"),
            S::Done => ("完成", "Done"),
            S::Receipt => ("小票", "Slip"),
            S::LatestReceipt => ("最新小票", "Latest slip"),
            S::NoReceiptYet => ("还没有打印小票", "No slip printed yet"),
            S::Locked => ("已锁定，请重新登录", "Locked: log in again"),
            S::Operator => ("操作员", "Operator"),
            S::KeysHome => (
                "F2 扫存折(演示)  F3 扫商品(演示)  F10 退出登录  Ctrl+C 退出",
                "F2 scan passbook (demo)  F3 scan item (demo)  F10 log out  Ctrl+C quit",
            ),
            S::KeysResident => ("R 兑换  Esc 返回", "R redeem  Esc back"),
            S::KeysRedeem => (
                "输入字母搜索  ↑↓ 选择  回车 加入  +/- 数量  Del 移除  F5 结算  Esc 返回",
                "Type to search  ↑↓ select  Enter add  +/- qty  Del remove  F5 check out  Esc back",
            ),
            S::KeysConfirm => ("回车 确认兑换  Esc 返回", "Enter confirm  Esc back"),
            S::KeysLogin => (
                "回车 下一步  Esc 清除  Ctrl+C 退出",
                "Enter next  Esc clear  Ctrl+C quit",
            ),
            S::KeysDemo => ("演示模式", "Demo mode"),
            S::EmptyCart => ("还没有选商品", "Nothing selected yet"),
            S::NotEnoughPoints => ("积分不够", "Not enough points"),
            S::Logout => ("退出登录", "Log out"),
            S::Time => ("时间", "Time"),
            S::Kind => ("类型", "Kind"),
            S::Details => ("说明", "Details"),
            S::Unlimited => ("不限", "none"),
            S::EarnTitle => ("获得积分", "Earn points"),
            S::EventSetupTitle => (
                "活动签到：选活动和时长",
                "Event check-in: pick the activity and hours",
            ),
            S::EventTitle => ("活动签到", "Event check-in"),
            S::Activity => ("活动", "Activity"),
            S::Hours => ("时长（小时）", "Hours"),
            S::PerHour => ("分/小时", "pts/hour"),
            S::KeysEarn => (
                "↑↓ 选活动  输入时长  回车 确定  Esc 返回",
                "↑↓ activity  type hours  Enter OK  Esc back",
            ),
            S::KeysEvent => (
                "逐个扫描参加者的存折（每本只计一次）  Esc 结束签到",
                "Scan each participant's passbook (credited once each)  Esc end",
            ),
            S::EventScanHint => (
                "请参加者逐个扫描存折",
                "Participants: scan your passbooks one by one",
            ),
            S::Credited => ("已加分人数", "Credited"),
        }
    }

    pub fn get(self, lang: Lang) -> &'static str {
        let (zh, en) = self.pair();
        lang.pick(zh, en)
    }
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
}
