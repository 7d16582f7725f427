//! Printer status: the `DLE EOT` real-time queries sent before and after each job, what their
//! reply bytes mean (Epson's bit layout, which the Chinese-market clones follow), and what the
//! operator should do about it.

use crate::i18n::Lang;

/// The queries asked, in order: printer (1), offline cause (2), paper roll sensor (4).
pub const QUERIES: [u8; 3] = [1, 2, 4];

/// Why a job cannot be printed (or may not have printed completely).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    PaperOut,
    CoverOpen,
    Offline,
    /// No reply to a status query within the timeout: cable, power, wrong port.
    NoReply,
    /// A reply that is no status byte: wrong baud rate or a different device.
    Garbage,
    /// Writing failed or timed out (unplugged mid-receipt, flow control stuck).
    WriteFailed,
}

/// What the printer said, all queries together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ready {
        paper_near_end: bool,
    },
    Problem(Problem),
    /// Nothing was asked: the transport cannot answer status queries (a plain file, or a
    /// device configured with `status=none`). Neither ready nor a fault: nobody knows.
    Unknown,
}

/// A status reply has bits 1 and 4 set and bits 0 and 7 clear.
fn well_formed(byte: u8) -> bool {
    byte & 0b1001_0011 == 0b0001_0010
}

/// Reads the replies to [`QUERIES`] (`None` = no reply in time).
pub fn assess(replies: [Option<u8>; 3]) -> Verdict {
    let [printer, cause, paper] = replies;
    let (Some(printer), Some(cause), Some(paper)) = (printer, cause, paper) else {
        return Verdict::Problem(Problem::NoReply);
    };
    if ![printer, cause, paper].into_iter().all(well_formed) {
        return Verdict::Problem(Problem::Garbage);
    }
    if cause & 0x04 != 0 {
        return Verdict::Problem(Problem::CoverOpen);
    }
    if paper & 0x60 != 0 || cause & 0x20 != 0 {
        return Verdict::Problem(Problem::PaperOut);
    }
    if printer & 0x08 != 0 {
        return Verdict::Problem(Problem::Offline);
    }
    Verdict::Ready {
        paper_near_end: paper & 0x0C != 0,
    }
}

impl Problem {
    /// What happened and what to do, for the volunteer at the counter.
    pub fn message(self, lang: Lang) -> &'static str {
        match self {
            Problem::PaperOut => lang.pick("打印机缺纸：请换纸，然后重印小票。", "The printer is out of paper: load a new roll, then reprint."),
            Problem::CoverOpen => lang.pick("打印机盖子开着：请合上盖，然后重印小票。", "The printer cover is open: close it, then reprint."),
            Problem::Offline => lang.pick("打印机离线：请检查电源与线缆，然后重印小票。", "The printer is offline: check power and cable, then reprint."),
            Problem::NoReply => lang.pick("打印机没有应答：请检查电源与线缆（以及端口设置），然后重印小票。", "The printer does not answer: check power and cable (and the port setting), then reprint."),
            Problem::Garbage => lang.pick("打印机应答异常：请检查波特率设置与线缆，然后重印小票。", "The printer's answer is garbled: check the baud rate and the cable, then reprint."),
            Problem::WriteFailed => lang.pick("打印中断：请检查电源与线缆，然后重印小票。", "Printing was interrupted: check power and cable, then reprint."),
        }
    }

    /// Every problem there is.
    pub const ALL: [Problem; 6] = [
        Problem::PaperOut,
        Problem::CoverOpen,
        Problem::Offline,
        Problem::NoReply,
        Problem::Garbage,
        Problem::WriteFailed,
    ];

    /// The problem a print queue row names (what [`Problem::as_str`] wrote).
    pub fn parse(text: &str) -> Option<Problem> {
        Problem::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Problem::PaperOut => "paper-out",
            Problem::CoverOpen => "cover-open",
            Problem::Offline => "offline",
            Problem::NoReply => "no-reply",
            Problem::Garbage => "garbage",
            Problem::WriteFailed => "write-failed",
        }
    }
}

/// `hw status` and the counter's hardware screen, for a transport that cannot answer.
pub fn unknown_state_message(lang: Lang) -> &'static str {
    lang.pick(
        "此打印机连接不回报状态（普通文件，或设置了 status=none），无法检查打印机：请打一张测试页，看是否出纸。",
        "This printer connection does not report status (a plain file, or status=none), so the printer cannot be checked: print a test slip and look at the paper.",
    )
}

/// After a slip went to a transport that cannot answer: it was sent, nobody knows whether it
/// came out.
pub fn sent_unchecked_message(lang: Lang) -> &'static str {
    lang.pick(
        "已发送到打印机；此设备不回报状态，请看一下是否出纸。没有出纸就检查打印机，再重印小票。",
        "Sent to the printer; this device does not report its state: check that the slip came out. If it did not, check the printer, then reprint.",
    )
}

pub fn near_end_warning(lang: Lang) -> &'static str {
    lang.pick(
        "打印纸快用完了，请准备新纸卷。",
        "Paper is running low: have a new roll ready.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: u8 = 0x12;

    #[test]
    fn a_healthy_printer_is_ready() {
        assert_eq!(
            assess([Some(OK), Some(OK), Some(OK)]),
            Verdict::Ready {
                paper_near_end: false
            }
        );
        assert_eq!(
            assess([Some(OK), Some(OK), Some(OK | 0x0C)]),
            Verdict::Ready {
                paper_near_end: true
            }
        );
    }

    #[test]
    fn paper_out_cover_open_and_offline_are_told_apart() {
        assert_eq!(
            assess([Some(OK | 0x08), Some(OK | 0x20), Some(OK | 0x60)]),
            Verdict::Problem(Problem::PaperOut)
        );
        assert_eq!(
            assess([Some(OK | 0x08), Some(OK | 0x04), Some(OK)]),
            Verdict::Problem(Problem::CoverOpen)
        );
        assert_eq!(
            assess([Some(OK | 0x08), Some(OK), Some(OK)]),
            Verdict::Problem(Problem::Offline)
        );
    }

    #[test]
    fn silence_and_garbage_are_problems_not_ready() {
        assert_eq!(
            assess([None, Some(OK), Some(OK)]),
            Verdict::Problem(Problem::NoReply)
        );
        assert_eq!(
            assess([Some(0xFF), Some(OK), Some(OK)]),
            Verdict::Problem(Problem::Garbage)
        );
        assert_eq!(
            assess([Some(0x00), Some(OK), Some(OK)]),
            Verdict::Problem(Problem::Garbage)
        );
    }

    #[test]
    fn every_problem_says_what_to_do_in_both_languages() {
        for p in Problem::ALL {
            assert_ne!(p.message(Lang::ZhCn), p.message(Lang::En));
            assert!(p.message(Lang::ZhCn).contains("重印"));
        }
        assert!(Problem::PaperOut.message(Lang::ZhCn).contains("换纸"));
        assert!(Problem::CoverOpen.message(Lang::ZhCn).contains("合上盖"));
        assert!(
            Problem::NoReply
                .message(Lang::ZhCn)
                .contains("检查电源与线缆")
        );
    }

    #[test]
    fn an_unknown_state_says_so_and_what_to_look_at_in_both_languages() {
        for lang in [Lang::ZhCn, Lang::En] {
            assert_ne!(unknown_state_message(lang), sent_unchecked_message(lang));
        }
        assert!(sent_unchecked_message(Lang::ZhCn).contains("不回报状态"));
        assert!(sent_unchecked_message(Lang::ZhCn).contains("是否出纸"));
        assert!(sent_unchecked_message(Lang::En).contains("does not report its state"));
        assert!(unknown_state_message(Lang::ZhCn).contains("测试页"));
    }
}
