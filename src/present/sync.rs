//! The district ledger in words: what `sync status` prints and the counter's sync screen shows
//! (the series this counter holds, its last import and export, overdrafts and forks), and what
//! `sync import` reports. One wording for both, so the screen and the command never disagree.

use super::{resident_name, table_lines};
use crate::district::admit::Refusal;
use crate::i18n::Lang;
use crate::ledger::district::{
    BundleEnd, Duplicate, ForkView, ImportReport, Overdraft, Refused, SyncLogRow, SyncStatus,
};

/// How a line wants to be shown where there is colour (the command line ignores it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Plain,
    /// A heading or the table's header row.
    Heading,
    /// Something an administrator must act on (an overdraft, a fork).
    Warning,
}

/// One line of a sync text.
pub type ToneLine = (Tone, String);

/// Hex hashes are shown by their first 12 characters, enough to tell two apart.
const HASH_SHOWN_CHARS: usize = 12;

/// The district, the last import and export, every series held, overdrafts and forks.
pub fn status_lines(lang: Lang, status: &SyncStatus) -> Vec<ToneLine> {
    let mut lines = vec![(Tone::Heading, district_line(lang, status))];
    lines.push((Tone::Plain, last_line(lang, "import", &status.last_import)));
    lines.push((Tone::Plain, last_line(lang, "export", &status.last_export)));
    lines.push((Tone::Plain, String::new()));
    let header = match lang {
        Lang::ZhCn => ["服务点", "代码", "记录至", "最近导入", "最近导出"],
        Lang::En => ["counter", "code", "held to", "last import", "last export"],
    };
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    rows.extend(status.series.iter().map(|s| {
        vec![
            format!(
                "{}{}",
                s.counter,
                if s.own {
                    lang.pick("（本机）", " (this)")
                } else {
                    ""
                }
            ),
            s.code.clone().unwrap_or_else(|| "—".into()),
            format!("#{}", s.seq),
            s.last_import.as_deref().map_or("—", month_day_time).into(),
            s.last_export.as_deref().map_or("—", month_day_time).into(),
        ]
    }));
    for (i, line) in table_lines(&rows).into_iter().enumerate() {
        let tone = if i == 0 { Tone::Heading } else { Tone::Plain };
        lines.push((tone, line));
    }
    lines.push((Tone::Plain, String::new()));
    if status.overdrafts.is_empty() {
        lines.push((
            Tone::Plain,
            lang.pick("没有透支的存折。", "No overdrawn passbooks.")
                .into(),
        ));
    } else {
        lines.extend(overdraft_lines(lang, &status.overdrafts));
    }
    lines.extend(duplicate_lines(lang, &status.duplicates));
    if status.forks.is_empty() {
        lines.push((Tone::Plain, lang.pick("没有分叉。", "No forks.").into()));
    } else {
        lines.extend(
            status
                .forks
                .iter()
                .map(|f| (Tone::Warning, fork_line(lang, f))),
        );
    }
    lines
}

fn district_line(lang: Lang, status: &SyncStatus) -> String {
    match (&status.district, lang) {
        (Some(d), Lang::ZhCn) => format!(
            "所属街道：{}（{} 加入），服务点代码 {}{}",
            d.name,
            d.enrolled_at,
            d.code.as_deref().unwrap_or("—"),
            d.hub
                .as_deref()
                .map(|h| format!("，街道中心 {h}"))
                .unwrap_or_default()
        ),
        (Some(d), Lang::En) => format!(
            "District: {} (enrolled {}), counter code {}{}",
            d.name,
            d.enrolled_at,
            d.code.as_deref().unwrap_or("—"),
            d.hub
                .as_deref()
                .map(|h| format!(", hub {h}"))
                .unwrap_or_default()
        ),
        (None, _) => lang
            .pick(
                "本服务点还没有加入街道：所有记录都保存在本机。管理员向街道中心要登记文件，运行 pointsdesk sync enroll --file 文件。",
                "This counter is not in a district yet: every entry stays on this computer. An administrator gets an enrolment file from the street office and runs pointsdesk sync enroll --file FILE.",
            )
            .into(),
    }
}

/// "12-01 02:31" of a local time "2026-12-01 02:31": short enough for a table row.
pub fn month_day_time(local: &str) -> &str {
    match local.split_once('-') {
        Some((year, rest)) if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => local,
    }
}

/// "最近导入：2026-12-01 02:31 x.bundle，新增 120 条，已有 30 条，未导入 0 条，分叉 0 处".
fn last_line(lang: Lang, direction: &str, row: &Option<SyncLogRow>) -> String {
    let import = direction == "import";
    let Some(row) = row else {
        return match (import, lang) {
            (true, _) => lang.pick("最近导入：还没有", "Last import: none yet"),
            (false, _) => lang.pick("最近导出：还没有", "Last export: none yet"),
        }
        .into();
    };
    match (import, lang) {
        (true, Lang::ZhCn) => format!(
            "最近导入：{} {}，新增 {} 条，已有 {} 条，未导入 {} 条，分叉 {} 处",
            row.at, row.file, row.new, row.present, row.refused, row.forks
        ),
        (true, Lang::En) => format!(
            "Last import: {} {}: {} new, {} already here, {} refused, forks: {}",
            row.at, row.file, row.new, row.present, row.refused, row.forks
        ),
        (false, Lang::ZhCn) => format!("最近导出：{} {}，{} 条", row.at, row.file, row.entries),
        (false, Lang::En) => format!(
            "Last export: {} {}: {} entries",
            row.at, row.file, row.entries
        ),
    }
}

/// The heading over entries that move nothing because another made their claim first.
pub fn duplicates_heading(lang: Lang) -> &'static str {
    lang.pick(
        "重复的记录（已保留，不计分；先记的那一笔算数）",
        "Duplicate entries (kept, moving nothing; the one booked first counts)",
    )
}

/// The heading over entries whose time cannot be right.
pub fn skews_heading(lang: Lang) -> &'static str {
    lang.pick(
        "时间不对的记录（服务点电脑时钟曾经不准；记录已收下，报表按记录上的时间归档）",
        "Entries whose time cannot be right (a counter's clock was wrong; kept, and filed in reports under the time they carry)",
    )
}

/// The heading and one line per entry that moves nothing because another made its claim first.
pub fn duplicate_lines(lang: Lang, duplicates: &[Duplicate]) -> Vec<ToneLine> {
    if duplicates.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![(
        Tone::Warning,
        format!("{}{}", duplicates_heading(lang), lang.pick("：", ":")),
    )];
    lines.extend(duplicates.iter().map(|d| {
        let what = duplicate_words(lang, d);
        let text = match lang {
            Lang::ZhCn => format!("- {} #{}（{}）：{}", d.counter, d.seq, d.recorded_at, what),
            Lang::En => format!("- {} #{} ({}): {}", d.counter, d.seq, d.recorded_at, what),
        };
        (Tone::Warning, text)
    }));
    lines
}

/// What a duplicate claimed again, in words: a txn by the 单号 its slip carries, a settlement
/// by its passbook and number.
pub fn duplicate_words(lang: Lang, d: &Duplicate) -> String {
    let txn = crate::ledger::short_txn(&d.subject);
    let (passbook, n) = d.subject.rsplit_once(':').unwrap_or((&d.subject, "1"));
    match (lang, d.kind.as_str()) {
        (Lang::ZhCn, "reversal") => format!("再次冲正单号 {txn}"),
        (Lang::ZhCn, "settlement") => format!("再次补平存折 {passbook} 的第 {n} 次透支"),
        (Lang::ZhCn, "resident") => format!(
            "居民号 {} 再次登记给了另一个人（其存折已冻结，见 resident conflicts）",
            d.subject
        ),
        (Lang::ZhCn, _) => format!("单号 {txn} 重复记账"),
        (Lang::En, "reversal") => format!("reverses txn {txn} again"),
        (Lang::En, "settlement") => format!("settles overdraft {n} of passbook {passbook} again"),
        (Lang::En, "resident") => format!(
            "registers resident number {} again, to another person (its passbook is frozen: see resident conflicts)",
            d.subject
        ),
        (Lang::En, _) => format!("txn {txn} booked again"),
    }
}

/// Why an entry's time cannot be right, in words (`skew` as [`crate::district::clocks::Skew`]
/// codes it), with the time it was compared with.
pub fn skew_words(lang: Lang, skew: &str, compared_with: &str) -> String {
    use crate::district::clocks::Skew;
    match (Skew::from_code(skew), lang) {
        (Some(Skew::AheadOfArrival), Lang::ZhCn) => format!("晚于送达街道的时间 {compared_with}"),
        (Some(Skew::AheadOfArrival), Lang::En) => {
            format!("after it reached the hub ({compared_with})")
        }
        (_, Lang::ZhCn) => format!("早于同一服务点的上一条记录 {compared_with}"),
        (_, Lang::En) => format!("before the counter's previous entry ({compared_with})"),
    }
}

/// The heading and one line per overdrawn passbook.
pub fn overdraft_lines(lang: Lang, overdrafts: &[Overdraft]) -> Vec<ToneLine> {
    if overdrafts.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![(
        Tone::Warning,
        lang.pick(
            "透支的存折（已冻结，不能兑换；管理员核实后用 adjust 补平即解冻）：",
            "Overdrawn passbooks (frozen: no redemptions until an administrator settles them with adjust):",
        )
        .to_string(),
    )];
    lines.extend(overdrafts.iter().map(|o| {
        (
            Tone::Warning,
            match lang {
                Lang::ZhCn => format!(
                    "- {} {}（{}发放）{} 分",
                    o.passbook,
                    resident_name(lang, &o.resident_name),
                    o.counter,
                    o.balance
                ),
                Lang::En => format!(
                    "- {} {} (issued at {}) {} points",
                    o.passbook,
                    resident_name(lang, &o.resident_name),
                    o.counter,
                    o.balance
                ),
            },
        )
    }));
    lines
}

/// "分叉：二桥爱心超市 #120 有两条不同的记录…".
pub fn fork_line(lang: Lang, fork: &ForkView) -> String {
    let held = fork
        .held_hash
        .as_deref()
        .map_or("—", |h| &h[..HASH_SHOWN_CHARS.min(h.len())]);
    let other = &fork.other_hash[..HASH_SHOWN_CHARS.min(fork.other_hash.len())];
    match lang {
        Lang::ZhCn => format!(
            "- 分叉：{} #{} 有两条不同的记录（本机 {held}，对方 {other}，来自 {}），已作为证据保存，没有合并。请街道核查该服务点。",
            fork.counter, fork.seq, fork.source
        ),
        Lang::En => format!(
            "- Fork: {} #{} exists twice with different content (here {held}, there {other}, from {}); kept as evidence, not merged. The street office should look into that counter.",
            fork.counter, fork.seq, fork.source
        ),
    }
}

/// What an import did: counts, each refusal, forks, a cut bundle, what is missing, overdrafts.
pub fn import_lines(lang: Lang, report: &ImportReport) -> Vec<ToneLine> {
    let counts = match lang {
        Lang::ZhCn => format!(
            "导入 {}：读到 {} 条记录，新增 {} 条，已有 {} 条，未导入 {} 条，分叉 {} 处；收到居民密钥 {} 个。",
            report.source,
            report.entries,
            report.new,
            report.present,
            report.refused_entries,
            report.forks.len(),
            report.keys_installed
        ),
        Lang::En => format!(
            "Imported {}: {} entries read, {} new, {} already here, {} refused, forks: {}; resident keys received: {}.",
            report.source,
            report.entries,
            report.new,
            report.present,
            report.refused_entries,
            report.forks.len(),
            report.keys_installed
        ),
    };
    let mut lines = vec![(Tone::Plain, counts)];
    lines.extend(
        report
            .refused
            .iter()
            .map(|r| (Tone::Warning, format!("- {}", refusal_message(r, lang)))),
    );
    lines.extend(
        report
            .forks
            .iter()
            .map(|f| (Tone::Warning, fork_line(lang, f))),
    );
    let end = match report.end {
        Some(BundleEnd::Whole) | None => None,
        Some(BundleEnd::Truncated) => Some(lang.pick(
            "数据包不完整（被截断或损坏）：完整的部分已导入。请让对方重新导出。",
            "The bundle is not whole (cut short or damaged): what was whole was imported. Ask for it to be exported again.",
        )),
        Some(BundleEnd::MakerUnknown) => Some(lang.pick(
            "导出方自己的记录没有被接收（见上面的原因），所以无法核对数据包末尾的签名；其余每条记录都已逐条核对。",
            "The maker's own entries were not taken (see the reasons above), so the bundle's closing signature could not be checked; every other entry was checked on its own.",
        )),
        Some(BundleEnd::BadSignature) => Some(lang.pick(
            "数据包末尾的签名不是导出方的：每条记录已逐条核对，但请向对方确认这个文件。",
            "The bundle's closing signature is not its maker's: every entry was checked on its own, but confirm the file with whoever made it.",
        )),
    };
    lines.extend(end.map(|e| (Tone::Warning, e.to_string())));
    lines.extend(report.missing.iter().map(|m| {
        let text = match lang {
            Lang::ZhCn => format!("- 缺少 {} #{}–#{}。", m.counter, m.from, m.to),
            Lang::En => format!("- Missing: {} #{}–#{}.", m.counter, m.from, m.to),
        };
        (Tone::Warning, text)
    }));
    lines.extend(overdraft_lines(lang, &report.overdrafts));
    lines.extend(duplicate_lines(lang, &report.duplicates));
    lines
}

/// A refusal's code (from the hub or an import) in words; `fork` is no refusal but says itself.
pub fn reason_words(lang: Lang, reason: &str) -> String {
    if reason == "fork" {
        return lang
            .pick(
                "分叉：同一序号已有另一条记录",
                "a fork: another entry holds that seq",
            )
            .to_string();
    }
    match Refusal::from_code(reason) {
        Some(refusal) => refusal_words(lang, &refusal),
        None => reason.to_string(),
    }
}

/// Why an entry was not taken, in words: the district's one wording of every refusal, at the
/// counter and the hub alike.
pub fn refusal_words(lang: Lang, refusal: &Refusal) -> String {
    let zh = lang == Lang::ZhCn;
    match (refusal, zh) {
        (Refusal::Uncertified, true) => "该服务点未经街道认证（没有它的证书）".to_string(),
        (Refusal::Uncertified, false) => {
            "that counter is not certified by the street office (no certificate came with it)"
                .to_string()
        }
        (Refusal::WrongKey, true) => "证书上的密钥与该服务点的记录不符".to_string(),
        (Refusal::WrongKey, false) => {
            "the certified key is not the key its records name".to_string()
        }
        (Refusal::Gap { expected }, true) if *expected > 0 => {
            format!("缺少前面的记录（本机下一条应为 #{expected}），请导入更早的数据包")
        }
        (Refusal::Gap { expected }, false) if *expected > 0 => format!(
            "earlier entries are missing (the next held here is #{expected}); import an earlier bundle"
        ),
        (Refusal::Gap { .. }, true) => "缺少前面的记录".to_string(),
        (Refusal::Gap { .. }, false) => "the entries before it are missing".to_string(),
        (Refusal::BadSignature, true) => "签名不对（记录被改动过）".to_string(),
        (Refusal::BadSignature, false) => {
            "its signature does not hold (the entry was changed)".to_string()
        }
        (Refusal::Unreadable, true) => "内容无法读取".to_string(),
        (Refusal::Unreadable, false) => "its content cannot be read".to_string(),
        (Refusal::DuplicateId, true) => "编号与另一条记录重复".to_string(),
        (Refusal::DuplicateId, false) => "its id is another entry's".to_string(),
        (Refusal::NotGenesis, true) => "开头不是服务点的初始记录".to_string(),
        (Refusal::NotGenesis, false) => {
            "the series does not start with its counter's introduction".to_string()
        }
        (Refusal::BadContinuation, true) => "声称接续另一序列，但没有该序列的签名认可".to_string(),
        (Refusal::BadContinuation, false) => {
            "it claims to continue another series without that series' endorsement".to_string()
        }
        (Refusal::CodeTaken { counter }, true) if !counter.is_empty() => format!(
            "它的编号前缀和服务点代码与“{counter}”相同，编号会重复：请街道为其中一个重新登记不同的代码"
        ),
        (Refusal::CodeTaken { counter }, false) if !counter.is_empty() => format!(
            "it numbers with the same prefix and counter code as {counter}, so numbers would repeat: the street office must enrol one of them with another code"
        ),
        (Refusal::CodeTaken { .. }, true) => "另一服务点已使用相同的编号前缀和代码".to_string(),
        (Refusal::CodeTaken { .. }, false) => {
            "another counter numbers with its prefix and code".to_string()
        }
        (Refusal::AfterRefused { seq }, true) if *seq > 0 => {
            format!("与本机已有的 #{seq} 冲突（分叉），已作为证据保存，不合并")
        }
        (Refusal::AfterRefused { seq }, false) if *seq > 0 => {
            format!("it conflicts with #{seq} held here (a fork), kept as evidence, not merged")
        }
        (Refusal::AfterRefused { .. }, true) => "同一序列前面的记录被拒收".to_string(),
        (Refusal::AfterRefused { .. }, false) => {
            "an earlier entry of its series was refused".to_string()
        }
        (Refusal::Revoked, true) => {
            "街道中心已停用该服务点（丢失或被盗的电脑），不再收它的新记录".to_string()
        }
        (Refusal::Revoked, false) => {
            "the street office revoked that counter (a lost or stolen PC); no new entry of it is taken"
                .to_string()
        }
    }
}

/// What a refused entry says to an operator: the series and seq, why, and how many after it.
pub fn refusal_message(refused: &Refused, lang: Lang) -> String {
    let zh = lang == Lang::ZhCn;
    let who = format!("{} #{}", refused.counter, refused.seq);
    let why = refusal_words(lang, &refused.refusal);
    let tail = if refused.entries > 1 {
        if zh {
            format!("；该序列其后 {} 条一并未导入", refused.entries - 1)
        } else {
            format!(
                "; the {} entries after it in its series were not taken either",
                refused.entries - 1
            )
        }
    } else {
        String::new()
    };
    if zh {
        format!("{who} 未导入：{why}{tail}。")
    } else {
        format!("{who} refused: {why}{tail}.")
    }
}
