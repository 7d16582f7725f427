//! A slip as a person sees it on the paper: lines of text with their alignment and style, and
//! the pictures (QR codes, images) where they were printed — no commands, no status queries,
//! no cut. Made from decoded events ([`super::decode`]) for screens that show a printed slip
//! (the counter's slip panel); [`super::decode::render`] is the other reading, with markers,
//! for people checking what was sent.
//!
//! Pure: events and the paper's width in, lines out. Text wraps at the paper's width as the
//! printer wraps it (a double-width character takes twice its columns); an alignment applies
//! to a line from its start, as `ESC a` does; blank lines fed at the end (to reach the cutter
//! or the tear bar) are not part of the slip.

use super::decode::{Align, Event, Style};
use super::text;

/// Lines on paper at most: a stream that never ends cannot grow a paper without bound (a
/// slip has about thirty).
pub const PAPER_LINES_MAX: usize = 1_000;

/// A printed slip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paper {
    /// Columns of the paper (font A), as the printer's profile says.
    pub columns: usize,
    pub lines: Vec<PaperLine>,
}

/// One line of the paper: text runs, a picture, or nothing (a blank line).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaperLine {
    pub align: Align,
    /// Text runs with their style; empty for a blank line or a picture.
    pub spans: Vec<PaperSpan>,
    pub picture: Option<Picture>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaperSpan {
    pub text: String,
    pub style: Style,
}

/// What was printed as an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Picture {
    /// A QR code (native, or found in a raster image), with what it reads.
    Qr(String),
    /// A raster image that is no QR code.
    Image { width_dots: u32, height_dots: u32 },
}

impl PaperLine {
    /// The line's text without styles.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }

    /// Whether the line holds nothing (not even spaces).
    fn is_blank(&self) -> bool {
        self.picture.is_none() && self.spans.iter().all(|s| s.text.is_empty())
    }
}

impl PaperSpan {
    /// Text printed at double width or height (a title).
    pub fn double(&self) -> bool {
        self.style.double_width || self.style.double_height
    }
}

/// The paper the events print on a printer `columns` wide (0 counts as 1).
pub fn paper(events: &[Event], columns: usize) -> Paper {
    let mut printer = PaperPrinter {
        columns: columns.max(1),
        ..PaperPrinter::default()
    };
    for event in events {
        printer.event(event);
    }
    printer.finish()
}

#[derive(Default)]
struct PaperPrinter {
    columns: usize,
    lines: Vec<PaperLine>,
    line: PaperLine,
    /// Columns the current line uses.
    used: usize,
    style: Style,
    align: Align,
}

impl PaperPrinter {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Text(text) => text.chars().for_each(|c| self.char(c)),
            Event::Newline => self.end_line(),
            Event::Style(style) => self.style = *style,
            Event::Align(align) => {
                self.align = *align;
                if self.line.spans.is_empty() {
                    self.line.align = *align;
                }
            }
            Event::Qr { payload, .. } => self.picture(Picture::Qr(payload.clone())),
            Event::Raster {
                width_dots,
                height_dots,
                qr,
                ..
            } => self.picture(match qr {
                Some(payload) => Picture::Qr(payload.clone()),
                None => Picture::Image {
                    width_dots: *width_dots,
                    height_dots: *height_dots,
                },
            }),
            // ESC @ empties the printer's line buffer: what was not printed yet never is.
            Event::Init => {
                self.style = Style::default();
                self.align = Align::default();
                self.line = PaperLine::default();
                self.used = 0;
            }
            Event::Cut { .. }
            | Event::StatusQuery(_)
            | Event::ChineseMode(_)
            | Event::Beep
            | Event::Unknown(_) => {}
        }
    }

    fn char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        let mut columns = text::width(c.encode_utf8(&mut buf));
        if self.style.double_width {
            columns *= 2;
        }
        if self.used > 0 && self.used + columns > self.columns {
            // The printer wraps a line that is too long onto the next one.
            self.end_line();
        }
        self.used += columns;
        match self.line.spans.last_mut() {
            Some(span) if span.style == self.style => span.text.push(c),
            _ => self.line.spans.push(PaperSpan {
                text: c.to_string(),
                style: self.style,
            }),
        }
    }

    fn picture(&mut self, picture: Picture) {
        if !self.line.spans.is_empty() {
            self.end_line();
        }
        self.line.picture = Some(picture);
        self.end_line();
    }

    fn end_line(&mut self) {
        let next = PaperLine {
            align: self.align,
            ..PaperLine::default()
        };
        let line = std::mem::replace(&mut self.line, next);
        if self.lines.len() < PAPER_LINES_MAX {
            self.lines.push(line);
        }
        self.used = 0;
    }

    fn finish(mut self) -> Paper {
        if !self.line.spans.is_empty() {
            self.end_line();
        }
        while self.lines.last().is_some_and(PaperLine::is_blank) {
            self.lines.pop();
        }
        Paper {
            columns: self.columns,
            lines: self.lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::printer::decode::decode_all;
    use crate::printer::layout::{self, Block, SlipHeader};
    use crate::printer::profile::Profile;

    fn header() -> SlipHeader {
        SlipHeader {
            community: "三桥社区".into(),
            counter: "三桥爱心超市".into(),
            operator: "002 李建国".into(),
            local_time: "2026-11-22 14:05".into(),
        }
    }

    fn printed(blocks: &[Block], profile: &str) -> Paper {
        let profile = Profile::built_in(profile).unwrap();
        paper(
            &decode_all(&layout::render(blocks, &profile)),
            profile.columns,
        )
    }

    #[test]
    fn a_slip_on_paper_has_its_centred_bold_title_and_no_commands() {
        let paper = printed(
            &layout::passbook_slip(&header(), "SQ-000123", "张*明", "PD1X", Lang::ZhCn),
            "generic-80",
        );
        assert_eq!(paper.columns, 48);
        let title = &paper.lines[0];
        assert_eq!(title.align, Align::Center);
        assert_eq!(title.text(), "三桥社区");
        assert!(title.spans[0].style.bold && title.spans[0].double());
        let heading = &paper.lines[1];
        assert_eq!(heading.text(), "时间银行存折");
        assert!(heading.spans[0].style.bold && !heading.spans[0].double());
        assert_eq!(paper.lines[2].picture, Some(Picture::Qr("PD1X".into())));
        assert_eq!(paper.lines[2].align, Align::Center);
        let all: String = paper.lines.iter().map(PaperLine::text).collect();
        assert!(!all.contains('['), "no markers: {all}");
        assert!(
            !paper.lines.last().unwrap().is_blank(),
            "the end feed is dropped"
        );
    }

    #[test]
    fn item_and_pair_lines_keep_their_columns_on_paper() {
        let blocks = [
            Block::Item {
                name: "洗衣皂".into(),
                qty: 2,
                unit_points: 5,
                points: 10,
            },
            Block::Pair("原余额".into(), "120".into()),
        ];
        for profile in ["generic-58", "generic-80"] {
            let paper = printed(&blocks, profile);
            for line in &paper.lines {
                assert_eq!(line.align, Align::Left);
                assert_eq!(text::width(&line.text()), paper.columns, "{line:?}");
            }
        }
    }

    #[test]
    fn a_raster_qr_is_a_picture_and_text_too_long_for_the_paper_wraps() {
        let slip = printed(
            &[Block::Qr("PDT0123".into()), Block::Title("长".repeat(10))],
            "generic-58",
        );
        assert_eq!(slip.lines[0].picture, Some(Picture::Qr("PDT0123".into())));
        // Ten double-width Chinese characters are 40 columns on 32-column paper: the layout
        // wraps them at 16 columns' worth (8 characters).
        let title: Vec<String> = slip.lines[1..].iter().map(PaperLine::text).collect();
        assert_eq!(title, ["长".repeat(8), "长".repeat(2)]);

        let events = [
            Event::Style(Style {
                double_width: true,
                ..Style::default()
            }),
            Event::Text("ABCDE".into()),
        ];
        let wrapped = paper(&events, 6);
        let texts: Vec<String> = wrapped.lines.iter().map(PaperLine::text).collect();
        assert_eq!(
            texts,
            ["ABC", "DE"],
            "the printer wraps at the paper's edge"
        );
    }
}
