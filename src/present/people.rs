//! Residents' numbers registered twice, and their resolution, and passbook numbers issued to
//! two people, in the operator's language: the words `resident conflicts`, `resident resolve`
//! and `passbook conflicts` print.

use crate::i18n::Lang;
use crate::ledger::conflicts::Resolved;
use crate::store::claims::{RegistrationConflict, SharedPassbook};

/// What an administrator reads about each number registered twice, and what to do.
pub fn conflict_lines(lang: Lang, conflicts: &[RegistrationConflict]) -> Vec<String> {
    if conflicts.is_empty() {
        return vec![
            lang.pick(
                "没有重复登记的居民号。",
                "No resident number is registered twice.",
            )
            .to_string(),
        ];
    }
    let mut lines = Vec::new();
    for c in conflicts {
        let passbooks = c.passbooks.join(", ");
        lines.push(match (lang, c.resolved) {
            (Lang::ZhCn, false) => format!(
                "居民号 {} 被登记给了 {} 个人，存折 {passbooks} 已冻结（不能记分、不能兑换）：",
                c.resident,
                c.registrations.len()
            ),
            (Lang::ZhCn, true) => format!("居民号 {}（已处理，存折 {passbooks} 可以使用）：", c.resident),
            (Lang::En, false) => format!(
                "Resident number {} is registered to {} people; passbook {passbooks} is frozen (no earning, no redeeming):",
                c.resident,
                c.registrations.len()
            ),
            (Lang::En, true) => format!(
                "Resident number {} (resolved; passbook {passbooks} is in use again):",
                c.resident
            ),
        });
        for r in &c.registrations {
            let state = match (lang, r.holds, r.resolved) {
                (Lang::ZhCn, true, _) => "先登记，保留这个号码",
                (Lang::ZhCn, false, false) => "后登记，待处理",
                (Lang::ZhCn, false, true) => "后登记，已处理",
                (Lang::En, true, _) => "registered first, keeps the number",
                (Lang::En, false, false) => "registered later, to resolve",
                (Lang::En, false, true) => "registered later, resolved",
            };
            let active = r.tokens.iter().filter(|(_, a)| *a).count();
            lines.push(match lang {
                Lang::ZhCn => format!(
                    "- {}（{}）{} 登记，{state}；该电脑为这个号码发过 {} 次存折二维码（有效 {active} 个），记到存折上共 {} 分",
                    r.counter,
                    short(&r.series),
                    r.recorded_at,
                    r.tokens.len(),
                    r.points
                ),
                Lang::En => format!(
                    "- {} ({}) registered at {}, {state}; that PC issued {} passbook QR codes for the number ({active} active) and booked {} points to its passbook",
                    r.counter,
                    short(&r.series),
                    r.recorded_at,
                    r.tokens.len(),
                    r.points
                ),
            });
        }
        if !c.resolved {
            lines.push(match lang {
                Lang::ZhCn => format!(
                    "  处理办法：在本号码的服务点，先为后登记的那位居民重新登记（resident add）并发新存折（passbook issue），核实他/她的积分后运行 pointsdesk resident resolve {} --to 新存折号 --points 分数；没有积分要转的，只运行 pointsdesk resident resolve {}。后登记那位的旧二维码会作废。",
                    c.resident, c.resident
                ),
                Lang::En => format!(
                    "  To resolve, at the counter that registered the number: register the person registered later anew (resident add) and issue them a passbook (passbook issue), check their points, then run pointsdesk resident resolve {} --to NEW-PASSBOOK --points N; with no points to move, just pointsdesk resident resolve {}. The later person's old QR codes stop working.",
                    c.resident, c.resident
                ),
            });
        }
    }
    lines
}

/// What an administrator reads about each passbook number issued to two people, and what to
/// do.
pub fn shared_passbook_lines(lang: Lang, shared: &[SharedPassbook]) -> Vec<String> {
    if shared.is_empty() {
        return vec![
            lang.pick(
                "没有发给两个人的存折号。",
                "No passbook number is issued to two people.",
            )
            .to_string(),
        ];
    }
    let mut lines = Vec::new();
    for s in shared {
        let residents: std::collections::BTreeSet<&str> =
            s.issues.iter().map(|i| i.resident.as_str()).collect();
        let residents: Vec<&str> = residents.into_iter().collect();
        lines.push(match lang {
            Lang::ZhCn => format!(
                "存折 {} 发给了 {} 个人（居民号 {}），已冻结（不能记分、不能兑换）：",
                s.passbook,
                residents.len(),
                residents.join("、")
            ),
            Lang::En => format!(
                "Passbook {} is issued to {} people (resident numbers {}); it is frozen (no earning, no redeeming):",
                s.passbook,
                residents.len(),
                residents.join(", ")
            ),
        });
        for i in &s.issues {
            lines.push(match lang {
                Lang::ZhCn => format!(
                    "- {}（{}）{} 发给居民 {}",
                    i.counter,
                    short(&i.series),
                    i.issued_at,
                    i.resident
                ),
                Lang::En => format!(
                    "- {} ({}) issued it at {} to resident {}",
                    i.counter,
                    short(&i.series),
                    i.issued_at,
                    i.resident
                ),
            });
        }
        let others: Vec<&str> = residents
            .iter()
            .copied()
            .filter(|r| *r != s.resident)
            .collect();
        lines.push(match lang {
            Lang::ZhCn => format!(
                "  处理办法：在发这本存折的服务点运行 pointsdesk passbook reissue {}（号码留给居民 {}，所有旧二维码作废，发新二维码），再给居民 {} 发新存折（passbook issue；其居民号若也在 pointsdesk resident conflicts 里，先处理那里），核实积分后用 pointsdesk adjust 把该转的分转过去。",
                s.passbook,
                s.resident,
                others.join("、")
            ),
            Lang::En => format!(
                "  To resolve, at the counter that issued it: pointsdesk passbook reissue {} (the number stays resident {}'s, every old QR code stops working, a new one is issued), then issue resident {} a new passbook (passbook issue; if their resident number is listed by pointsdesk resident conflicts too, resolve that first), check the points and move what belongs to them with pointsdesk adjust.",
                s.passbook,
                s.resident,
                others.join(", ")
            ),
        });
    }
    lines
}

/// What a resolution did.
pub fn resolved_lines(lang: Lang, r: &Resolved) -> Vec<String> {
    let mut lines = vec![match lang {
        Lang::ZhCn => format!(
            "居民号 {} 已处理：作废了 {} 个后登记居民的存折二维码，存折恢复使用。",
            r.resident,
            r.revoked.len()
        ),
        Lang::En => format!(
            "Resident number {} resolved: {} QR codes of the person registered later revoked; the passbook is in use again.",
            r.resident,
            r.revoked.len()
        ),
    }];
    if let Some((from, to, points)) = &r.moved {
        lines.push(match lang {
            Lang::ZhCn => format!("已从存折 {from} 转 {points} 分到存折 {to}。"),
            Lang::En => format!("Moved {points} points from passbook {from} to passbook {to}."),
        });
    }
    lines
}

/// The first 8 hex digits of a series id.
fn short(series: &str) -> &str {
    series.get(..8).unwrap_or(series)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::claims::Registration;

    fn registration(holds: bool, counter: &str, points: i64) -> Registration {
        Registration {
            entry: "0191e0c2-7a3b-7c4d-8e5f-0123456789ab".into(),
            series: "0191e0c2-7a3b-7c4d-8e5f-000000000001".into(),
            counter: counter.into(),
            recorded_at: "2026-12-01T02:00:00.000Z".into(),
            holds,
            resolved: false,
            tokens: vec![("ab".into(), true)],
            points,
        }
    }

    #[test]
    fn an_unresolved_conflict_names_both_registrations_and_what_to_do() {
        let conflict = RegistrationConflict {
            resident: "SQ-RA10001".into(),
            passbooks: vec!["SQ-A100001".into()],
            resolved: false,
            registrations: vec![
                registration(true, "三桥爱心超市", 20),
                registration(false, "三桥爱心超市", 10),
            ],
        };
        let lines = conflict_lines(Lang::ZhCn, std::slice::from_ref(&conflict));
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(lines[0].contains("SQ-RA10001") && lines[0].contains("已冻结"));
        assert!(lines[1].contains("先登记，保留这个号码") && lines[1].contains("20 分"));
        assert!(lines[2].contains("后登记，待处理") && lines[2].contains("10 分"));
        assert!(lines[3].contains("pointsdesk resident resolve SQ-RA10001 --to"));
        let resolved = RegistrationConflict {
            resolved: true,
            ..conflict
        };
        let lines = conflict_lines(Lang::En, &[resolved]);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].contains("resolved"));
    }

    #[test]
    fn a_passbook_issued_to_two_people_names_both_issues_and_who_keeps_the_number() {
        let issue = |resident: &str, counter: &str| crate::store::claims::TokenIssue {
            resident: resident.into(),
            series: "0191e0c2-7a3b-7c4d-8e5f-000000000001".into(),
            counter: counter.into(),
            issued_at: "2026-12-01T02:00:00.000Z".into(),
        };
        let shared = SharedPassbook {
            passbook: "SQ-A100001".into(),
            resident: "SQ-RA10002".into(),
            issues: vec![
                issue("SQ-RA10001", "三桥爱心超市"),
                issue("SQ-RA10002", "三桥爱心超市"),
            ],
        };
        let lines = shared_passbook_lines(Lang::ZhCn, std::slice::from_ref(&shared));
        assert!(
            lines[0].contains("存折 SQ-A100001 发给了 2 个人（居民号 SQ-RA10001、SQ-RA10002）")
        );
        assert!(lines[1].contains("0191e0c2") && lines[1].contains("发给居民 SQ-RA10001"));
        assert!(
            lines[3].contains("passbook reissue SQ-A100001（号码留给居民 SQ-RA10002")
                && lines[3].contains("再给居民 SQ-RA10001 发新存折"),
            "{}",
            lines[3]
        );
        let lines = shared_passbook_lines(Lang::En, &[shared]);
        assert!(
            lines[3].contains("issue resident SQ-RA10001 a new passbook"),
            "{}",
            lines[3]
        );
        assert_eq!(
            shared_passbook_lines(Lang::En, &[]),
            ["No passbook number is issued to two people."]
        );
    }
}
