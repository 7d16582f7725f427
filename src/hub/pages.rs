//! The street office's web pages as HTML (pure): the login form, the district overview, and
//! any report with its charts as inline SVG. Written by hand rather than with a template
//! crate: six small pages, every text put in through one escaping function, no JavaScript.

use super::service::HubReport;
use crate::i18n::Lang;
use crate::report::model::{Cell, Kind};
use crate::report::svg::escape;
use crate::report::{Report, Request};

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif;margin:0;\
color:#1d2733;background:#f5f7fa;font-size:16px}\
header{background:#24476b;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center;\
flex-wrap:wrap}header a{color:#fff;text-decoration:none;padding:4px 8px;border-radius:4px}\
header a.on{background:#3c6a99}header .who{margin-left:auto;display:flex;gap:12px;align-items:center}\
main{padding:16px 24px;max-width:1200px}h1{font-size:24px}h2{font-size:19px;margin-top:28px}\
table{border-collapse:collapse;background:#fff;margin:8px 0}\
th,td{border:1px solid #c9d2dc;padding:5px 10px}th{background:#e8eef4;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.total td{font-weight:bold;background:#f0f3f6}\
.covers{color:#53606d;font-size:14px}.bad{color:#a4262c;font-weight:bold}.ok{color:#1f7a3f}\
form.inline{display:inline}button,input{font-size:16px;padding:4px 10px}\
.login{max-width:360px;margin:80px auto;background:#fff;padding:24px;border:1px solid #c9d2dc}\
.login label{display:block;margin:12px 0 4px}.login input{width:100%;box-sizing:border-box}\
.chart{background:#fff;border:1px solid #c9d2dc;margin:8px 0;max-width:100%;height:auto}\
.cards{display:flex;gap:16px;flex-wrap:wrap}.card{background:#fff;border:1px solid #c9d2dc;\
padding:10px 16px;min-width:140px}.card b{display:block;font-size:24px}";

/// The pages that have a place in the menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Overview,
    Overdrafts,
    Reports,
    Resident,
}

impl Page {
    fn path(self) -> &'static str {
        match self {
            Page::Overview => "/web/",
            Page::Overdrafts => "/web/overdrafts",
            Page::Reports => "/web/reports",
            Page::Resident => "/web/resident",
        }
    }

    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            Page::Overview => lang.pick("全区概览", "Overview"),
            Page::Overdrafts => lang.pick("透支待处理", "Overdrafts"),
            Page::Reports => lang.pick("月报与图表", "Reports"),
            Page::Resident => lang.pick("居民对账单", "Statements"),
        }
    }
}

fn document(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        lang.pick("zh-CN", "en"),
        escape(title)
    )
}

/// The switch to the other language, keeping the page and its query.
fn other_language(lang: Lang, here: &str) -> String {
    let (code, label) = match lang {
        Lang::ZhCn => ("en", "English"),
        Lang::En => ("zh", "简体中文"),
    };
    let sep = if here.contains('?') { '&' } else { '?' };
    format!("<a href=\"{}{sep}lang={code}\">{label}</a>", escape(here))
}

/// A page for a logged-in administrator: the menu, who is logged in, logout.
pub fn framed(
    lang: Lang,
    district: &str,
    admin: &str,
    page: Page,
    here: &str,
    title: &str,
    body: &str,
) -> String {
    let menu: String = [
        Page::Overview,
        Page::Overdrafts,
        Page::Reports,
        Page::Resident,
    ]
    .iter()
    .map(|p| {
        format!(
            "<a href=\"{}\"{}>{}</a>",
            p.path(),
            if *p == page { " class=\"on\"" } else { "" },
            p.name(lang)
        )
    })
    .collect();
    let header = format!(
        "<header><strong>{}</strong><nav>{menu}</nav><span class=\"who\">{}<span>{}</span>\
<form class=\"inline\" method=\"post\" action=\"/web/logout\"><button type=\"submit\">{}</button>\
</form></span></header>",
        escape(district),
        other_language(lang, here),
        escape(admin),
        lang.pick("退出登录", "Log out")
    );
    document(
        lang,
        &format!("{title} · {district}"),
        &format!("{header}<main><h1>{}</h1>{body}</main>", escape(title)),
    )
}

/// The login form, with what went wrong last time.
pub fn login(lang: Lang, next: &str, problem: Option<&str>) -> String {
    let problem = problem
        .map(|p| format!("<p class=\"bad\" role=\"alert\">{}</p>", escape(p)))
        .unwrap_or_default();
    document(
        lang,
        lang.pick("街道中心登录", "Street office login"),
        &format!(
            "<div class=\"login\"><h1>{}</h1>{problem}\
<form method=\"post\" action=\"/web/login\">\
<input type=\"hidden\" name=\"next\" value=\"{}\">\
<label for=\"name\">{}</label><input id=\"name\" name=\"name\" autocomplete=\"username\" required autofocus>\
<label for=\"password\">{}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<p><button type=\"submit\">{}</button></p></form><p>{}</p></div>",
            lang.pick("街道中心登录", "Street office login"),
            escape(next),
            lang.pick("管理员", "Administrator"),
            lang.pick("密码", "Password"),
            lang.pick("登录", "Log in"),
            other_language(lang, &format!("/web/login?next={}", url_encode(next)))
        ),
    )
}

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn cell_html(cell: &Cell, kind: Kind) -> String {
    let numeric = kind != Kind::Text || matches!(cell, Cell::Number(_) | Cell::Minutes(_));
    format!(
        "<td{}>{}</td>",
        if numeric { " class=\"n\"" } else { "" },
        escape(&cell.shown())
    )
}

/// A report's covers, sections, charts (inline SVG) and tables.
pub fn report_body(report: &Report) -> String {
    let mut html = String::new();
    if !report.period.is_empty() {
        html.push_str(&format!(
            "<p><strong>{}</strong></p>",
            escape(&report.period)
        ));
    }
    html.push_str("<div class=\"covers\">");
    for line in &report.covers {
        html.push_str(&format!("<div>{}</div>", escape(line)));
    }
    html.push_str("</div>");
    for section in &report.sections {
        html.push_str(&format!("<h2>{}</h2>", escape(&section.title)));
        if let Some(svg) = crate::report::svg::chart(section) {
            html.push_str(&svg.replacen("<svg ", "<svg class=\"chart\" ", 1));
        }
        html.push_str("<table><thead><tr>");
        for c in &section.columns {
            html.push_str(&format!("<th>{}</th>", escape(&c.name)));
        }
        html.push_str("</tr></thead><tbody>");
        let kind = |i: usize| section.columns.get(i).map_or(Kind::Text, |c| c.kind);
        for row in &section.rows {
            html.push_str("<tr>");
            for (i, cell) in row.iter().enumerate() {
                html.push_str(&cell_html(cell, kind(i)));
            }
            html.push_str("</tr>");
        }
        if let Some(total) = &section.total {
            html.push_str("<tr class=\"total\">");
            for (i, cell) in total.iter().enumerate() {
                html.push_str(&cell_html(cell, kind(i)));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
    }
    html
}

/// The district at a glance: counters, last syncs, entries, forks; overdrafts to settle.
pub fn overview(lang: Lang, report: &HubReport) -> String {
    let forks: i64 = report.counters.iter().map(|c| c.forks).sum();
    let refused: i64 = report.counters.iter().map(|c| c.refused).sum();
    let card = |label: &str, value: String, bad: bool| {
        format!(
            "<div class=\"card\">{}<b class=\"{}\">{}</b></div>",
            escape(label),
            if bad { "bad" } else { "ok" },
            escape(&value)
        )
    };
    let mut html = String::from("<div class=\"cards\">");
    html.push_str(&card(
        lang.pick("服务点", "Counters"),
        report.counters.len().to_string(),
        false,
    ));
    html.push_str(&card(
        lang.pick("记录", "Entries"),
        report.entries.to_string(),
        false,
    ));
    html.push_str(&card(
        lang.pick("透支存折", "Overdrawn passbooks"),
        report.overdrafts.len().to_string(),
        !report.overdrafts.is_empty(),
    ));
    html.push_str(&card(
        lang.pick("分叉", "Forks"),
        forks.to_string(),
        forks > 0,
    ));
    html.push_str(&card(
        lang.pick("拒收记录", "Refused entries"),
        refused.to_string(),
        refused > 0,
    ));
    html.push_str("</div>");
    html.push_str(&format!(
        "<h2>{}</h2><table><thead><tr>",
        lang.pick("服务点", "Counters")
    ));
    for h in match lang {
        Lang::ZhCn => [
            "代码",
            "服务点",
            "记录数",
            "最近上传",
            "最近下载",
            "分叉",
            "拒收",
            "登记至",
        ],
        Lang::En => [
            "code",
            "counter",
            "entries",
            "last push",
            "last pull",
            "forks",
            "refused",
            "enrolment until",
        ],
    } {
        html.push_str(&format!("<th>{h}</th>"));
    }
    html.push_str("</tr></thead><tbody>");
    let never = lang.pick("从未", "never");
    for c in &report.counters {
        let flag = |n: i64| {
            if n > 0 {
                format!("<td class=\"n bad\">{n}</td>")
            } else {
                format!("<td class=\"n\">{n}</td>")
            }
        };
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td>{}{}<td>{}</td></tr>",
            escape(&c.code),
            escape(&c.counter),
            c.entries,
            escape(c.last_push_at.as_deref().unwrap_or(never)),
            escape(c.last_pull_at.as_deref().unwrap_or(never)),
            flag(c.forks),
            flag(c.refused),
            escape(&c.last_expires_at)
        ));
    }
    html.push_str("</tbody></table>");
    if !report.evidence.is_empty() {
        html.push_str(&format!(
            "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            lang.pick(
                "作为证据保存的记录",
                "Entries kept as evidence"
            ),
            lang.pick("服务点", "counter"),
            lang.pick("序号", "seq"),
            lang.pick("原因", "reason"),
            lang.pick("时间", "at"),
        ));
        for e in &report.evidence {
            html.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">#{}</td><td>{}</td><td>{}</td></tr>",
                escape(&e.counter),
                e.seq,
                escape(&crate::present::sync::reason_words(lang, &e.reason)),
                escape(&e.at)
            ));
        }
        html.push_str("</tbody></table>");
    }
    // Entries that move nothing, and entries whose time cannot be right.
    let rows: Vec<[String; 4]> = report
        .duplicates
        .iter()
        .map(|d| {
            [
                d.counter.clone(),
                format!("#{}", d.seq),
                d.recorded_at.clone(),
                crate::present::sync::duplicate_words(lang, d),
            ]
        })
        .collect();
    html.push_str(&entry_table(
        lang,
        crate::present::sync::duplicates_heading(lang),
        &rows,
    ));
    let rows: Vec<[String; 4]> = report
        .skews
        .iter()
        .map(|s| {
            [
                s.counter.clone(),
                format!("#{}", s.seq),
                s.recorded_at.clone(),
                crate::present::sync::skew_words(lang, &s.skew, &s.compared_with),
            ]
        })
        .collect();
    html.push_str(&entry_table(
        lang,
        crate::present::sync::skews_heading(lang),
        &rows,
    ));
    html
}

/// A headed table of entries (counter, seq, time, what), nothing when there are none.
fn entry_table(lang: Lang, heading: &str, rows: &[[String; 4]]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut html = format!(
        "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        escape(heading),
        lang.pick("服务点", "counter"),
        lang.pick("序号", "seq"),
        lang.pick("记录时间", "recorded at"),
        lang.pick("问题", "what"),
    );
    for [counter, seq, at, what] in rows {
        html.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(counter),
            escape(seq),
            escape(at),
            escape(what)
        ));
    }
    html.push_str("</tbody></table>");
    html
}

/// The form choosing a report and its period, and the links to download it.
pub fn report_form(lang: Lang, request: &Request) -> String {
    let (kind, period) = match request {
        Request::Day(p) => ("day", p.as_str()),
        Request::Month(p) => ("month", p.as_str()),
        Request::Items(p) => ("items", p.as_str()),
        Request::Activities(p) => ("activities", p.as_str()),
        Request::Resident(p) => ("resident", p.as_str()),
        Request::Overdrafts => ("overdrafts", ""),
    };
    let options: String = [
        ("month", lang.pick("月报", "Month")),
        ("day", lang.pick("日报", "Day")),
        ("items", lang.pick("商品与服务兑换", "Goods and services")),
        ("activities", lang.pick("志愿服务时长", "Volunteering")),
    ]
    .iter()
    .map(|(value, label)| {
        format!(
            "<option value=\"{value}\"{}>{label}</option>",
            if *value == kind { " selected" } else { "" }
        )
    })
    .collect();
    let query = format!("kind={kind}&period={}", url_encode(period));
    format!(
        "<form method=\"get\" action=\"/web/reports\"><label>{} <select name=\"kind\">{options}</select></label> \
<label>{} <input name=\"period\" value=\"{}\" placeholder=\"2026-11\" size=\"10\"></label> \
<button type=\"submit\">{}</button></form>\
<p><a href=\"/web/reports.xlsx?{query}\">{}</a> · <a href=\"/web/reports.csv?{query}\">{}</a></p>",
        lang.pick("报表", "Report"),
        lang.pick("月份或日期", "Month or day"),
        escape(period),
        lang.pick("查看", "Show"),
        lang.pick("下载 Excel 工作簿", "Download the Excel workbook"),
        lang.pick("下载 CSV", "Download CSV"),
    )
}

/// The form asking for a passbook number.
pub fn passbook_form(lang: Lang, passbook: &str) -> String {
    let downloads = if passbook.is_empty() {
        String::new()
    } else {
        let query = format!("kind=resident&period={}", url_encode(passbook));
        format!(
            "<p><a href=\"/web/reports.xlsx?{query}\">{}</a></p>",
            lang.pick("下载 Excel 对账单", "Download the statement as Excel")
        )
    };
    format!(
        "<form method=\"get\" action=\"/web/resident\"><label>{} <input name=\"passbook\" value=\"{}\" placeholder=\"SQ-A000001\"></label> \
<button type=\"submit\">{}</button></form>{downloads}",
        lang.pick("存折号", "Passbook number"),
        escape(passbook),
        lang.pick("查看对账单", "Show the statement"),
    )
}

/// A problem on a page, said plainly.
pub fn problem(text: &str) -> String {
    format!("<p class=\"bad\" role=\"alert\">{}</p>", escape(text))
}
