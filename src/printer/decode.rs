//! An ESC/POS decoder: the heart of the printer simulator (`hw printer-sim`) and of tests that
//! want to read a receipt instead of comparing bytes.
//!
//! [`Decoder::feed`] takes bytes as they come off a pseudo-terminal — split anywhere, even in
//! the middle of a command or of a GBK character — and returns [`Event`]s: text runs, newlines,
//! style and alignment changes, QR codes (native `GS ( k` and raster images that contain one),
//! cuts and status queries. [`render`] turns events into lines a person can read:
//!
//! ```text
//! [INIT]
//! [CENTER][2x]三桥爱心超市[/2x]
//! 洗衣皂  2x5  10
//! [QR: PD1…]
//! [CUT partial]
//! ```
//!
//! How it works: every complete item at the head of the buffered bytes is parsed by a pure
//! function (`parse`) into a command, which the decoder then applies to its state (style,
//! alignment, Chinese mode, QR settings), emitting events. An item that is not complete yet stays buffered until the next feed, so the events
//! never depend on how the stream was chunked. Every command we know has an exact length
//! (fixed, declared by `pL pH`-style parameters, or NUL-terminated with a limit), so a command
//! we do not interpret is still skipped whole and reported as [`Event::Unknown`] with its bytes:
//! nothing is lost silently and its parameters never turn into text. Not understood (reported
//! as two-byte `Unknown`, their parameters then read as text): `ESC &` and `FS q` (user-defined
//! characters and NV images, which a receipt never sends).
//!
//! Text is held back until the next event (a newline, a command) so that a run split across
//! feeds comes out as one [`Event::Text`]; [`Decoder::finish`] flushes it at the end of a job.

use encoding_rs::GBK;

const NUL: u8 = 0x00;
const EOT: u8 = 0x04;
const ENQ: u8 = 0x05;
const HT: u8 = 0x09;
/// Epson's power-up tab positions: every 8 columns.
const DEFAULT_TAB_COLUMNS: usize = 8;
const LF: u8 = 0x0A;
const CR: u8 = 0x0D;
const DLE: u8 = 0x10;
const DC4: u8 = 0x14;
const ESC: u8 = 0x1B;
const FS: u8 = 0x1C;
const GS: u8 = 0x1D;
const DEL: u8 = 0x7F;

/// Longest command kept whole while its remaining bytes arrive. A raster QR is ~5 KB and a
/// native QR payload at most ~7 KB; a command that declares more than this (a big logo, or
/// garbage that happens to look like a header) is not buffered: its data bytes are counted
/// off as they pass and it is reported from its header alone.
pub const PENDING_BYTES_MAX: usize = 64 * 1024;

/// Longest text run (bytes of UTF-8) held back before it is emitted anyway, so that a stream
/// without newlines cannot grow the decoder without bound.
pub const TEXT_RUN_BYTES_MAX: usize = 4096;

/// `ESC D` sets at most 32 tab stops before its terminating NUL.
const TAB_STOPS_MAX: usize = 32;

/// `GS k` with m = 0..6 ends its data with NUL; no barcode is longer than 255 characters.
const BARCODE_DATA_MAX: usize = 255;

/// White pixels added around a raster before looking for a QR: the detector needs a quiet zone
/// and an encoder may have cropped it.
const RASTER_QUIET_PIXELS: usize = 16;

/// Bytes of an unknown command shown by [`render`]; the rest is summarised as a count.
const RENDER_UNKNOWN_BYTES_MAX: usize = 16;

/// What the printer was asked to do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A run of text: GBK in Chinese mode, else the single-byte code page read as Latin-1.
    Text(String),
    /// LF; `ESC d n` gives n of them; `ESC J n` counts as one.
    Newline,
    /// The style in force changed (only sent when it really changed).
    Style(Style),
    /// The alignment in force changed (only sent when it really changed).
    Align(Align),
    /// A native QR (`GS ( k`, print function) with the settings stored before it.
    Qr {
        payload: String,
        model: u8,
        module_size: u8,
        ec: char,
        native: bool,
    },
    /// A raster image (`GS v 0`); `qr` is the payload of a QR code found in it, `bitmap` its
    /// dots as sent (`None` when it was too large to hold).
    Raster {
        width_dots: u32,
        height_dots: u32,
        qr: Option<String>,
        bitmap: Option<Bitmap>,
    },
    /// `GS V`, `ESC i`, `ESC m`.
    Cut { partial: bool },
    /// `DLE EOT n`, n = 1..4: the printer (simulator) must answer with one status byte.
    StatusQuery(u8),
    /// `ESC @`: style, alignment and QR settings are back to their defaults.
    Init,
    /// `FS &` (true) or `FS .` (false); sent for every such command.
    ChineseMode(bool),
    /// `ESC B n t` or `ESC ( A`.
    Beep,
    /// A command (or a stray control byte) we do not interpret, with its bytes. For a command
    /// longer than [`PENDING_BYTES_MAX`], only its header.
    Unknown(Vec<u8>),
}

/// The dots of a raster image as they were sent, before `GS v 0`'s scaling: rows of
/// `width_bytes`, most significant bit first, 1 = black.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bitmap {
    pub width_bytes: usize,
    pub height: usize,
    pub rows: Vec<u8>,
}

impl Bitmap {
    /// Dots across (a multiple of 8).
    pub fn width(&self) -> usize {
        self.width_bytes * 8
    }

    /// Whether the dot is black; dots outside the image are white.
    pub fn black(&self, x: usize, y: usize) -> bool {
        x < self.width()
            && y < self.height
            && self.rows[y * self.width_bytes + x / 8] & (0x80 >> (x % 8)) != 0
    }
}

/// The print style in force.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub bold: bool,
    pub double_width: bool,
    pub double_height: bool,
    pub underline: bool,
}

/// The alignment in force (`ESC a n`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// The settings a native QR is printed with, as the printer stores them between commands.
#[derive(Clone, Debug, PartialEq, Eq)]
struct QrSettings {
    model: u8,
    module_size: u8,
    ec: char,
    payload: String,
}

impl Default for QrSettings {
    /// Epson's power-up values: model 2, module size 3, error correction L, no data.
    fn default() -> Self {
        QrSettings {
            model: 2,
            module_size: 3,
            ec: 'L',
            payload: String::new(),
        }
    }
}

/// An incremental ESC/POS decoder. See the module documentation.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Bytes of an item that is not complete yet (never more than [`PENDING_BYTES_MAX`]).
    pending: Vec<u8>,
    /// Data bytes of an oversized command still to be discarded.
    skip: usize,
    /// Text decoded but not emitted yet (at most [`TEXT_RUN_BYTES_MAX`]).
    text: String,
    chinese: bool,
    style: Style,
    align: Align,
    qr: QrSettings,
    /// Consecutive raster strips of one width, joined: printers without native QR get the
    /// image in strips, and the QR can only be found in the whole picture.
    raster: Option<RasterImage>,
    /// `ESC D` positions; `None` means the power-up stops, every 8 columns.
    tab_stops: Option<Vec<usize>>,
    /// Printer columns used on the current line, to expand `HT` as the printer would.
    column: usize,
}

#[derive(Debug)]
struct RasterImage {
    width_bytes: usize,
    height: usize,
    /// `None` once a strip was too large to hold: the size is still shown.
    rows: Option<Vec<u8>>,
    scale: (u32, u32),
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Feeds bytes; returns what happened, in order. Bytes of an incomplete command (or GBK
    /// character) and a text run without a following command are kept for the next call.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        let skipped = self.skip.min(bytes.len());
        self.skip -= skipped;
        self.pending.extend_from_slice(&bytes[skipped..]);
        let mut buf = std::mem::take(&mut self.pending);
        let used = self.run(&buf, &mut out);
        buf.drain(..used);
        self.pending = buf;
        // No parser waits for more than PENDING_BYTES_MAX (longer commands are skipped), so
        // this only guards against a parser that forgets to: report, don't grow.
        if self.pending.len() > PENDING_BYTES_MAX {
            let bytes = std::mem::take(&mut self.pending);
            self.emit(Event::Unknown(bytes), &mut out);
        }
        out
    }

    /// Ends the stream: emits the held text run, and the bytes of an unfinished command as
    /// [`Event::Unknown`]. (The data of an oversized command still on its way is skipped when
    /// it arrives, as if the stream had not paused.)
    pub fn finish(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        self.flush_text(&mut out);
        self.flush_raster(&mut out);
        if !self.pending.is_empty() {
            out.push(Event::Unknown(std::mem::take(&mut self.pending)));
        }
        out
    }

    /// Applies every complete item of `buf`; returns how many bytes they used. The loop is
    /// bounded by `buf.len()`: every item consumes at least one byte.
    fn run(&mut self, buf: &[u8], out: &mut Vec<Event>) -> usize {
        let mut pos = 0;
        while pos < buf.len() {
            let Parsed::Item { len, cmd } = parse(&buf[pos..], self.chinese) else {
                break;
            };
            let available = buf.len() - pos;
            // An oversized command declares more bytes than we hold; the rest are skipped.
            self.skip = len.saturating_sub(available);
            pos += len.min(available);
            self.apply(cmd, out);
        }
        pos
    }

    fn apply(&mut self, cmd: Cmd, out: &mut Vec<Event>) {
        match cmd {
            Cmd::Char('\t') => self.tab(out),
            Cmd::Char(c) => self.push_text(c.encode_utf8(&mut [0; 4]), out),
            Cmd::TabStops(stops) => self.tab_stops = Some(stops),
            Cmd::Text(text) => self.push_text(&text, out),
            Cmd::Ignore => {}
            Cmd::Feed(lines) => {
                self.column = 0;
                (0..lines).for_each(|_| self.emit(Event::Newline, out));
            }
            Cmd::Init => self.init(out),
            Cmd::Style(op) => self.set_style(op.apply(self.style), out),
            Cmd::Align(align) => self.set_align(align, out),
            Cmd::ChineseMode(on) => {
                self.chinese = on;
                self.emit(Event::ChineseMode(on), out);
            }
            Cmd::Qr(op) => self.qr_function(op, out),
            Cmd::RasterStrip {
                width_bytes,
                height,
                rows,
                scale,
            } => self.add_raster_strip(width_bytes, height, rows, scale, out),
            Cmd::Emit(event) => self.emit(event, out),
        }
    }

    fn init(&mut self, out: &mut Vec<Event>) {
        // Chinese mode is left as it is: whether ESC @ ends it differs between printers, and
        // our encoder always sends FS & explicitly.
        self.style = Style::default();
        self.align = Align::default();
        self.qr = QrSettings::default();
        self.tab_stops = None;
        self.column = 0;
        self.emit(Event::Init, out);
    }

    fn set_style(&mut self, style: Style, out: &mut Vec<Event>) {
        if style != self.style {
            self.style = style;
            self.emit(Event::Style(style), out);
        }
    }

    fn set_align(&mut self, align: Align, out: &mut Vec<Event>) {
        if align != self.align {
            self.align = align;
            self.emit(Event::Align(align), out);
        }
    }

    fn qr_function(&mut self, op: QrOp, out: &mut Vec<Event>) {
        match op {
            QrOp::Model(model) => self.qr.model = model,
            QrOp::ModuleSize(size) => self.qr.module_size = size,
            QrOp::ErrorCorrection(ec) => self.qr.ec = ec,
            QrOp::Store(payload) => self.qr.payload = payload,
            QrOp::Print => {
                let event = Event::Qr {
                    payload: self.qr.payload.clone(),
                    model: self.qr.model,
                    module_size: self.qr.module_size,
                    ec: self.qr.ec,
                    native: true,
                };
                self.emit(event, out);
            }
        }
    }

    fn add_raster_strip(
        &mut self,
        width_bytes: usize,
        height: usize,
        rows: Option<Vec<u8>>,
        scale: (u32, u32),
        out: &mut Vec<Event>,
    ) {
        self.flush_text(out);
        if let Some(image) = self
            .raster
            .as_mut()
            .filter(|i| i.width_bytes == width_bytes && i.scale == scale)
        {
            image.height += height;
            image.rows = match (image.rows.take(), rows) {
                (Some(mut held), Some(more)) if held.len() + more.len() <= PENDING_BYTES_MAX => {
                    held.extend_from_slice(&more);
                    Some(held)
                }
                _ => None,
            };
            return;
        }
        self.flush_raster(out);
        self.raster = Some(RasterImage {
            width_bytes,
            height,
            rows,
            scale,
        });
    }

    fn flush_raster(&mut self, out: &mut Vec<Event>) {
        if let Some(image) = self.raster.take() {
            out.push(Event::Raster {
                // At most 65535 × 8 dots wide; heights of joined strips are capped by the
                // bytes held, so both fit in u32.
                width_dots: (image.width_bytes * 8) as u32 * image.scale.0,
                height_dots: image.height as u32 * image.scale.1,
                qr: image
                    .rows
                    .as_ref()
                    .and_then(|rows| find_qr(image.width_bytes, image.height, rows)),
                bitmap: image.rows.map(|rows| Bitmap {
                    width_bytes: image.width_bytes,
                    height: image.height,
                    rows,
                }),
            });
        }
    }

    /// `HT`: spaces up to the next tab position; ignored past the last one, as printers do.
    fn tab(&mut self, out: &mut Vec<Event>) {
        let column = self.column;
        let next = match &self.tab_stops {
            Some(stops) => stops.iter().copied().find(|&stop| stop > column),
            None => Some((column / DEFAULT_TAB_COLUMNS + 1) * DEFAULT_TAB_COLUMNS),
        };
        if let Some(stop) = next {
            self.push_text(&" ".repeat(stop - column), out);
        }
    }

    fn push_text(&mut self, text: &str, out: &mut Vec<Event>) {
        self.flush_raster(out);
        self.column += super::text::width(text);
        self.text.push_str(text);
        if self.text.len() >= TEXT_RUN_BYTES_MAX {
            self.flush_text(out);
        }
    }

    fn flush_text(&mut self, out: &mut Vec<Event>) {
        if !self.text.is_empty() {
            out.push(Event::Text(std::mem::take(&mut self.text)));
        }
    }

    /// Every event ends the text run before it, so text and events stay in stream order.
    fn emit(&mut self, event: Event, out: &mut Vec<Event>) {
        self.flush_text(out);
        self.flush_raster(out);
        out.push(event);
    }
}

/// Convenience: decode a whole job.
pub fn decode_all(bytes: &[u8]) -> Vec<Event> {
    let mut decoder = Decoder::new();
    let mut events = decoder.feed(bytes);
    events.extend(decoder.finish());
    events
}

// ---------------------------------------------------------------------------------------------
// Parsing: pure functions from the head of the buffered bytes to one item.

/// The head of the buffer: not complete yet, or one item of `len` bytes. `len` may exceed the
/// bytes at hand only for an oversized command, whose remaining data is then skipped.
enum Parsed {
    Need,
    Item { len: usize, cmd: Cmd },
}

/// What one item means, before the decoder's state is consulted.
enum Cmd {
    Char(char),
    Text(String),
    /// Understood, but changes nothing we show (CR, line spacing, code page, font, …).
    Ignore,
    Feed(u8),
    Init,
    Style(StyleOp),
    Align(Align),
    ChineseMode(bool),
    Qr(QrOp),
    /// `ESC D`: new tab positions.
    TabStops(Vec<usize>),
    /// One `GS v 0` strip; `rows` is `None` when it was too large to hold.
    RasterStrip {
        width_bytes: usize,
        height: usize,
        rows: Option<Vec<u8>>,
        /// Dots printed per data bit across and down (`GS v 0 m`).
        scale: (u32, u32),
    },
    Emit(Event),
}

#[derive(Clone, Copy)]
enum StyleOp {
    /// `ESC ! n`: bit 3 bold, bit 4 double height, bit 5 double width, bit 7 underline.
    PrintMode(u8),
    Bold(bool),
    Underline(bool),
    /// `GS ! n`: high nibble width multiplier − 1, low nibble height multiplier − 1.
    Size(u8),
    /// `FS ! n`: bit 2 double width, bit 3 double height, bit 7 underline.
    ChinesePrintMode(u8),
    /// `FS W n`: Chinese quadruple size.
    ChineseQuad(bool),
}

impl StyleOp {
    fn apply(self, style: Style) -> Style {
        let bit = |n: u8, b: u8| n & (1 << b) != 0;
        match self {
            StyleOp::PrintMode(n) => Style {
                bold: bit(n, 3),
                double_height: bit(n, 4),
                double_width: bit(n, 5),
                underline: bit(n, 7),
            },
            StyleOp::Bold(bold) => Style { bold, ..style },
            StyleOp::Underline(underline) => Style { underline, ..style },
            StyleOp::Size(n) => Style {
                double_width: n >> 4 > 0,
                double_height: n & 0x0F > 0,
                ..style
            },
            StyleOp::ChinesePrintMode(n) => Style {
                double_width: bit(n, 2),
                double_height: bit(n, 3),
                underline: bit(n, 7),
                ..style
            },
            StyleOp::ChineseQuad(on) => Style {
                double_width: on,
                double_height: on,
                ..style
            },
        }
    }
}

enum QrOp {
    Model(u8),
    ModuleSize(u8),
    ErrorCorrection(char),
    Store(String),
    Print,
}

/// Parses the item at the head of `buf` (which is not empty when called from the decoder).
fn parse(buf: &[u8], chinese: bool) -> Parsed {
    let Some(&b) = buf.first() else {
        return Parsed::Need;
    };
    match b {
        ESC => parse_esc(buf),
        GS => parse_gs(buf),
        FS => parse_fs(buf),
        DLE => parse_dle(buf),
        LF => item(1, Cmd::Feed(1)),
        // Printers treat CR as a no-op unless configured otherwise; LF does the line feed.
        CR => item(1, Cmd::Ignore),
        HT => item(1, Cmd::Char('\t')),
        // DEL prints nothing and would reach a terminal as a control: report it like C0.
        0x00..=0x1F | DEL => unknown(buf, 1),
        0x20..=0x7E => item(1, Cmd::Char(char::from(b))),
        _ if chinese => parse_gbk(buf),
        // Outside Chinese mode the single-byte code page is shown as Latin-1.
        _ => item(1, Cmd::Char(char::from(b))),
    }
}

fn item(len: usize, cmd: Cmd) -> Parsed {
    Parsed::Item { len, cmd }
}

/// A command of exactly `len` bytes, built from those bytes once they are all here.
fn fixed(buf: &[u8], len: usize, make: impl FnOnce(&[u8]) -> Cmd) -> Parsed {
    match buf.get(..len) {
        Some(bytes) => item(len, make(bytes)),
        None => Parsed::Need,
    }
}

/// A three-byte command `X Y n`, built from `n`.
fn param(buf: &[u8], make: impl FnOnce(u8) -> Cmd) -> Parsed {
    fixed(buf, 3, |bytes| make(bytes[2]))
}

fn unknown(buf: &[u8], len: usize) -> Parsed {
    fixed(buf, len, unknown_bytes)
}

fn unknown_bytes(bytes: &[u8]) -> Cmd {
    Cmd::Emit(Event::Unknown(bytes.to_vec()))
}

/// A command of a complete `header` (already in `buf`) followed by `data` bytes. Oversized
/// ones are reported from their header and their data skipped.
fn with_data(buf: &[u8], header: usize, data: usize, make: impl FnOnce(&[u8]) -> Cmd) -> Parsed {
    let len = header.saturating_add(data);
    if len > PENDING_BYTES_MAX {
        return item(len, Cmd::Emit(Event::Unknown(buf[..header].to_vec())));
    }
    fixed(buf, len, make)
}

/// A command whose parameters from `start` end with NUL, at most `max` bytes before it.
/// Without a NUL in reach, `start + max` bytes are taken, as the printer would give up.
/// `ESC D n1 … nk NUL`: horizontal tab positions, in columns from the start of the line.
fn tab_stops(buf: &[u8]) -> Parsed {
    let reach = buf.len().min(2 + TAB_STOPS_MAX + 1);
    let window = buf.get(2..reach).unwrap_or_default();
    match window.iter().position(|&b| b == NUL) {
        Some(i) => item(
            2 + i + 1,
            Cmd::TabStops(window[..i].iter().map(|&n| usize::from(n)).collect()),
        ),
        None if reach == 2 + TAB_STOPS_MAX + 1 => unknown(buf, reach),
        None => Parsed::Need,
    }
}

fn nul_terminated(buf: &[u8], start: usize, max: usize) -> Parsed {
    let reach = buf.len().min(start + max + 1);
    let window = buf.get(start..reach).unwrap_or_default();
    match window.iter().position(|&b| b == NUL) {
        Some(i) => unknown(buf, start + i + 1),
        None if reach == start + max + 1 => unknown(buf, start + max + 1),
        None => Parsed::Need,
    }
}

/// An unknown `ESC`/`GS`/`FS` command: the prefix and a printable command byte are taken
/// together; a prefix before a control byte is a stray byte, and the control is parsed anew.
fn unknown_command(buf: &[u8]) -> Parsed {
    match buf.get(1) {
        Some(0x20..=0x7E) => unknown(buf, 2),
        Some(_) => unknown(buf, 1),
        None => Parsed::Need,
    }
}

/// In Chinese mode a byte 0x81..=0xFE starts a two-byte GBK character.
fn parse_gbk(buf: &[u8]) -> Parsed {
    let lead = buf[0];
    if !(0x81..=0xFE).contains(&lead) {
        // 0x80 is € in GBK (Windows-936); 0xFF is not a character.
        return item(1, Cmd::Text(decode_gbk(&buf[..1])));
    }
    match buf.get(1) {
        None => Parsed::Need,
        Some(0x40..=0x7E | 0x80..=0xFE) => item(2, Cmd::Text(decode_gbk(&buf[..2]))),
        // Not a trail byte (a control, or the digit of a four-byte GB18030 sequence, which a
        // GBK printer does not understand either): the lead alone is garbage.
        Some(_) => item(1, Cmd::Char(char::REPLACEMENT_CHARACTER)),
    }
}

fn decode_gbk(bytes: &[u8]) -> String {
    GBK.decode_without_bom_handling(bytes).0.into_owned()
}

fn parse_esc(buf: &[u8]) -> Parsed {
    let Some(&c) = buf.get(1) else {
        return Parsed::Need;
    };
    match c {
        b'@' => item(2, Cmd::Init),
        b'!' => param(buf, |n| Cmd::Style(StyleOp::PrintMode(n))),
        b'E' => param(buf, |n| Cmd::Style(StyleOp::Bold(n & 1 == 1))),
        b'-' => param(buf, |n| Cmd::Style(StyleOp::Underline(n & 3 != 0))),
        b'a' => fixed(buf, 3, align_command),
        b'd' => param(buf, Cmd::Feed),
        b'J' => param(buf, |_| Cmd::Feed(1)),
        // Line spacing, code page, font, international set, double strike: nothing to show.
        b'2' => item(2, Cmd::Ignore),
        b'3' | b't' | b'M' | b'R' | b'G' => param(buf, |_| Cmd::Ignore),
        b'i' | b'm' => item(2, Cmd::Emit(Event::Cut { partial: true })),
        b'B' => fixed(buf, 4, |_| Cmd::Emit(Event::Beep)),
        b'(' => parse_paren(buf, |bytes| match bytes[2] {
            b'A' => Cmd::Emit(Event::Beep),
            _ => unknown_bytes(bytes),
        }),
        b'*' => esc_bit_image(buf),
        b'D' => tab_stops(buf),
        b' ' | b'%' | b'?' | b'V' | b'{' | b'r' | b'=' | b'T' | b'U' | b'u' => unknown(buf, 3),
        b'$' | b'\\' | b'c' => unknown(buf, 4),
        b'p' => unknown(buf, 5),
        b'W' => unknown(buf, 10),
        _ => unknown_command(buf),
    }
}

fn align_command(bytes: &[u8]) -> Cmd {
    match bytes[2] {
        0 | b'0' => Cmd::Align(Align::Left),
        1 | b'1' => Cmd::Align(Align::Center),
        2 | b'2' => Cmd::Align(Align::Right),
        _ => unknown_bytes(bytes),
    }
}

/// `ESC * m nL nH d1..dk`: k = n dots, × 3 bytes for the 24-dot modes (m = 32, 33).
fn esc_bit_image(buf: &[u8]) -> Parsed {
    let Some(header) = buf.get(..5) else {
        return Parsed::Need;
    };
    let dots = usize::from(header[3]) + 256 * usize::from(header[4]);
    let bytes_per_dot = if header[2] & 0x20 != 0 { 3 } else { 1 };
    with_data(buf, 5, dots * bytes_per_dot, unknown_bytes)
}

/// `ESC ( X pL pH`, `GS ( X pL pH`, `FS ( X pL pH` followed by pL + 256·pH bytes; `make`
/// gets the whole command.
fn parse_paren(buf: &[u8], make: impl FnOnce(&[u8]) -> Cmd) -> Parsed {
    let Some(header) = buf.get(..5) else {
        return Parsed::Need;
    };
    let data = usize::from(header[3]) + 256 * usize::from(header[4]);
    with_data(buf, 5, data, make)
}

fn parse_gs(buf: &[u8]) -> Parsed {
    let Some(&c) = buf.get(1) else {
        return Parsed::Need;
    };
    match c {
        b'!' => param(buf, |n| Cmd::Style(StyleOp::Size(n))),
        b'V' => gs_cut(buf),
        b'(' => parse_paren(buf, gs_paren),
        b'v' => gs_raster(buf),
        b'*' => gs_define_image(buf),
        b'8' => gs_large_graphics(buf),
        b'k' => gs_barcode(buf),
        b'B' | b'H' | b'f' | b'h' | b'w' | b'/' | b'a' | b'b' | b'r' | b'I' => unknown(buf, 3),
        b'L' | b'W' | b'P' | b'$' | b'\\' => unknown(buf, 4),
        b'^' => unknown(buf, 5),
        b':' => unknown(buf, 2),
        _ => unknown_command(buf),
    }
}

/// `GS V m` (m = 0|48 full, 1|49 partial) or `GS V m n` (65 full, 66 partial, after feeding
/// n; 97/98 and 103/104 likewise on newer models).
fn gs_cut(buf: &[u8]) -> Parsed {
    let cut = |partial| Cmd::Emit(Event::Cut { partial });
    match buf.get(2) {
        None => Parsed::Need,
        Some(&m @ (0 | 1 | b'0' | b'1')) => item(3, cut(m & 1 == 1)),
        Some(&m @ (65 | 66 | 97 | 98 | 103 | 104)) => fixed(buf, 4, |_| cut(m % 2 == 0)),
        Some(_) => unknown(buf, 3),
    }
}

/// `GS ( X`: only `GS ( k` with cn = 49 (QR) is understood; the other 2D symbols (PDF417,
/// MaxiCode, …) and functions are Unknown.
fn gs_paren(bytes: &[u8]) -> Cmd {
    if bytes[2] != b'k' {
        return unknown_bytes(bytes);
    }
    let ec = |n: u8| char::from(b"LMQH"[usize::from(n - 48)]);
    let op = match &bytes[5..] {
        [49, 65, n1 @ 49..=51, _] => QrOp::Model(n1 - 48),
        [49, 67, size] => QrOp::ModuleSize(*size),
        [49, 69, n @ 48..=51] => QrOp::ErrorCorrection(ec(*n)),
        [49, 80, 48, data @ ..] => QrOp::Store(String::from_utf8_lossy(data).into_owned()),
        [49, 81, 48] => QrOp::Print,
        _ => return unknown_bytes(bytes),
    };
    Cmd::Qr(op)
}

/// `GS v 0 m xL xH yL yH d1..dk`: x bytes (8 dots each) by y dots, MSB first, 1 = black.
fn gs_raster(buf: &[u8]) -> Parsed {
    match buf.get(2) {
        None => return Parsed::Need,
        Some(b'0') => {}
        Some(_) => return unknown(buf, 2),
    }
    let Some(header) = buf.get(..8) else {
        return Parsed::Need;
    };
    let width_bytes = usize::from(header[4]) + 256 * usize::from(header[5]);
    let height = usize::from(header[6]) + 256 * usize::from(header[7]);
    // m: 0 normal, 1 double width, 2 double height, 3 both (also as ASCII '0'..'3').
    let (scale_x, scale_y) = match header[3] % 48 {
        1 => (2, 1),
        2 => (1, 2),
        3 => (2, 2),
        _ => (1, 1),
    };
    let strip = |rows| Cmd::RasterStrip {
        width_bytes,
        height,
        rows,
        scale: (scale_x, scale_y),
    };
    let len = 8 + width_bytes * height;
    if len > PENDING_BYTES_MAX {
        // Too big to hold (a logo, not a QR): its size is still worth showing.
        return item(len, strip(None));
    }
    fixed(buf, len, |bytes| strip(Some(bytes[8..].to_vec())))
}

/// Looks for a QR code in a raster of `width_bytes` × 8 by `height` dots, one pixel per dot.
fn find_qr(width_bytes: usize, height: usize, data: &[u8]) -> Option<String> {
    let (width, quiet) = (width_bytes * 8, RASTER_QUIET_PIXELS);
    if width == 0 || height == 0 {
        return None;
    }
    let black = |x: usize, y: usize| {
        let inside = (quiet..quiet + width).contains(&x) && (quiet..quiet + height).contains(&y);
        let (x, y) = (x.wrapping_sub(quiet), y.wrapping_sub(quiet));
        inside && data[y * width_bytes + x / 8] & (0x80 >> (x % 8)) != 0
    };
    // rqrr can still panic on degenerate images (an assertion in its perspective code,
    // WanzenBug/rqrr#54); a garbage raster must not take the simulator down with it.
    std::panic::catch_unwind(|| {
        let (w, h) = (width + 2 * quiet, height + 2 * quiet);
        let mut image = rqrr::PreparedImage::prepare_from_bitmap(w, h, black);
        let grids = image.detect_grids();
        grids
            .iter()
            .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
    })
    .ok()
    .flatten()
}

/// `GS * x y d1..dk`: k = x · y · 8.
fn gs_define_image(buf: &[u8]) -> Parsed {
    let Some(header) = buf.get(..4) else {
        return Parsed::Need;
    };
    let data = usize::from(header[2]) * usize::from(header[3]) * 8;
    with_data(buf, 4, data, unknown_bytes)
}

/// `GS 8 L p1 p2 p3 p4 …`: graphics with a four-byte length.
fn gs_large_graphics(buf: &[u8]) -> Parsed {
    match buf.get(2) {
        None => return Parsed::Need,
        Some(b'L') => {}
        Some(_) => return unknown(buf, 2),
    }
    let Some(header) = buf.get(..7) else {
        return Parsed::Need;
    };
    let data = u32::from_le_bytes([header[3], header[4], header[5], header[6]]);
    let data = usize::try_from(data).unwrap_or(usize::MAX);
    with_data(buf, 7, data, unknown_bytes)
}

/// `GS k m d1..dk NUL` (m = 0..6) or `GS k m n d1..dn` (m = 65..79).
fn gs_barcode(buf: &[u8]) -> Parsed {
    match buf.get(2) {
        None => Parsed::Need,
        Some(0..=6) => nul_terminated(buf, 3, BARCODE_DATA_MAX),
        Some(65..=79) => match buf.get(3) {
            None => Parsed::Need,
            Some(&n) => unknown(buf, 4 + usize::from(n)),
        },
        Some(_) => unknown(buf, 3),
    }
}

fn parse_fs(buf: &[u8]) -> Parsed {
    let Some(&c) = buf.get(1) else {
        return Parsed::Need;
    };
    match c {
        b'&' => item(2, Cmd::ChineseMode(true)),
        b'.' => item(2, Cmd::ChineseMode(false)),
        b'!' => param(buf, |n| Cmd::Style(StyleOp::ChinesePrintMode(n))),
        b'-' => param(buf, |n| Cmd::Style(StyleOp::Underline(n & 3 != 0))),
        b'W' => param(buf, |n| Cmd::Style(StyleOp::ChineseQuad(n & 1 == 1))),
        // The Chinese code system (GBK vs BIG5 on some clones): we decode GBK regardless.
        b'C' => param(buf, |_| Cmd::Ignore),
        b'S' | b'p' => unknown(buf, 4),
        // FS 2 c1 c2 + 72 bytes: one user-defined 24×24 Chinese character.
        b'2' => unknown(buf, 4 + 72),
        b'(' => parse_paren(buf, unknown_bytes),
        _ => unknown_command(buf),
    }
}

fn parse_dle(buf: &[u8]) -> Parsed {
    match (buf.get(1), buf.get(2)) {
        (None, _) | (Some(&(EOT | ENQ | DC4)), None) => Parsed::Need,
        (Some(&EOT), Some(&n @ 1..=4)) => item(3, Cmd::Emit(Event::StatusQuery(n))),
        (Some(&EOT), Some(7 | 8 | 18)) => unknown(buf, 4),
        (Some(&(EOT | ENQ)), Some(_)) => unknown(buf, 3),
        (Some(&DC4), Some(7)) => unknown(buf, 4),
        (Some(&DC4), Some(8)) => unknown(buf, 10),
        (Some(&DC4), Some(_)) => unknown(buf, 5),
        // DLE followed by anything else is just a stray control byte.
        (Some(_), _) => unknown(buf, 1),
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering.

/// Renders events as readable text lines: text with markers for styles, e.g.
/// `[CENTER][BOLD][2x]三桥爱心超市[/2x][/BOLD]`, `[QR: PD1…]`, `[RASTER 384x200 QR: …]`, `[CUT]`.
///
/// Each line is self-contained: the alignment opens it (when not left) and style markers are
/// closed at its end. `[INIT]`, QR codes, rasters and cuts take a line of their own; status
/// queries, beeps and unknown commands (`[? 1b 79]`) appear where they happened. Control
/// characters in text are shown escaped so the output is safe on a terminal.
pub fn render(events: &[Event]) -> String {
    let mut renderer = Renderer::default();
    for event in events {
        renderer.event(event);
    }
    renderer.finish()
}

#[derive(Default)]
struct Renderer {
    out: String,
    line: String,
    /// The line has its alignment marker and content.
    started: bool,
    style: Style,
    align: Align,
    /// Style markers open in the current line, outermost first.
    open: Vec<&'static str>,
}

impl Renderer {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Text(text) => self.text(text),
            Event::Newline => self.end_line(),
            Event::Style(style) => self.style = *style,
            Event::Align(align) => self.align = *align,
            Event::Qr { payload, .. } => self.block(&format!("[QR: {}]", safe(payload))),
            Event::Raster {
                width_dots,
                height_dots,
                qr,
                ..
            } => self.block(&raster_marker(*width_dots, *height_dots, qr.as_deref())),
            Event::Cut { partial: false } => self.block("[CUT]"),
            Event::Cut { partial: true } => self.block("[CUT partial]"),
            Event::StatusQuery(n) => self.line.push_str(&format!("[STATUS {n}]")),
            Event::Init => {
                (self.style, self.align) = (Style::default(), Align::default());
                self.block("[INIT]");
            }
            Event::ChineseMode(_) => {}
            Event::Beep => self.line.push_str("[BEEP]"),
            Event::Unknown(bytes) => self.line.push_str(&unknown_marker(bytes)),
        }
    }

    fn text(&mut self, text: &str) {
        self.start_line();
        self.sync_markers();
        self.line.push_str(&safe(text));
    }

    fn start_line(&mut self) {
        if !self.started {
            self.started = true;
            self.line.push_str(match self.align {
                Align::Left => "",
                Align::Center => "[CENTER]",
                Align::Right => "[RIGHT]",
            });
        }
    }

    /// Closes the open markers the style no longer has and opens the ones it gained, keeping
    /// the markers properly nested.
    fn sync_markers(&mut self) {
        let wanted = markers(self.style);
        let common = self
            .open
            .iter()
            .zip(&wanted)
            .take_while(|(a, b)| a == b)
            .count();
        for name in self.open.drain(common..).rev() {
            self.line.push_str(&format!("[/{name}]"));
        }
        for name in &wanted[common..] {
            self.line.push_str(&format!("[{name}]"));
        }
        self.open = wanted;
    }

    fn end_line(&mut self) {
        for name in self.open.drain(..).rev() {
            self.line.push_str(&format!("[/{name}]"));
        }
        self.out.push_str(&self.line);
        self.out.push('\n');
        self.line.clear();
        self.started = false;
    }

    /// A QR, raster, cut or init: on a line of its own.
    fn block(&mut self, marker: &str) {
        if self.started || !self.line.is_empty() {
            self.end_line();
        }
        self.start_line();
        self.line.push_str(marker);
        self.end_line();
    }

    fn finish(mut self) -> String {
        if self.started || !self.line.is_empty() {
            self.end_line();
        }
        self.out
    }
}

/// The style markers of a style, outermost first.
fn markers(style: Style) -> Vec<&'static str> {
    let size = match (style.double_width, style.double_height) {
        (true, true) => Some("2x"),
        (true, false) => Some("2W"),
        (false, true) => Some("2H"),
        (false, false) => None,
    };
    let flags = [(style.bold, "BOLD"), (style.underline, "U")];
    let flags = flags
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| name);
    flags.chain(size).collect()
}

fn raster_marker(width: u32, height: u32, qr: Option<&str>) -> String {
    match qr {
        Some(payload) => format!("[RASTER {width}x{height} QR: {}]", safe(payload)),
        None => format!("[RASTER {width}x{height}]"),
    }
}

fn unknown_marker(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(RENDER_UNKNOWN_BYTES_MAX)];
    let hex: Vec<String> = shown.iter().map(|b| format!("{b:02x}")).collect();
    let more = bytes.len() - shown.len();
    if more == 0 {
        format!("[? {}]", hex.join(" "))
    } else {
        format!("[? {} … +{more} bytes]", hex.join(" "))
    }
}

/// Text made safe for a terminal: controls (other than tab) and bidi overrides are escaped.
fn safe(text: &str) -> String {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    text.chars()
        .map(|c| {
            if unsafe_char(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PAYLOAD: &str = "PD1ABCDEFGHJKMNPQRSTVWXYZ0123";

    fn gbk(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = GBK.encode(text);
        assert!(!unmappable, "{text} is not all GBK");
        bytes.into_owned()
    }

    /// `GS ( k` with the given QR function parameters (cn fn …).
    fn qr_command(params: &[u8]) -> Vec<u8> {
        let len = u16::try_from(params.len()).unwrap().to_le_bytes();
        [&[GS, b'(', b'k', len[0], len[1]], params].concat()
    }

    fn receipt_job() -> Vec<u8> {
        let mut job = vec![ESC, b'@', FS, b'&', ESC, b'a', 1, GS, b'!', 0x11];
        job.extend(gbk("三桥爱心超市"));
        job.extend([LF, GS, b'!', 0, ESC, b'a', 0]);
        job.extend(gbk("洗衣皂  2x5  10"));
        job.push(LF);
        job.extend(qr_command(&[49, 65, 50, 0]));
        job.extend(qr_command(&[49, 67, 6]));
        job.extend(qr_command(&[49, 69, 49]));
        job.extend(qr_command(&[&[49, 80, 48], PAYLOAD.as_bytes()].concat()));
        job.extend(qr_command(&[49, 81, 48]));
        job.extend([GS, b'V', 66, 0]);
        job
    }

    fn receipt_events() -> Vec<Event> {
        vec![
            Event::Init,
            Event::ChineseMode(true),
            Event::Align(Align::Center),
            Event::Style(Style {
                double_width: true,
                double_height: true,
                ..Style::default()
            }),
            Event::Text("三桥爱心超市".into()),
            Event::Newline,
            Event::Style(Style::default()),
            Event::Align(Align::Left),
            Event::Text("洗衣皂  2x5  10".into()),
            Event::Newline,
            Event::Qr {
                payload: PAYLOAD.into(),
                model: 2,
                module_size: 6,
                ec: 'M',
                native: true,
            },
            Event::Cut { partial: true },
        ]
    }

    fn decode_in_chunks(bytes: &[u8], sizes: &[usize]) -> Vec<Event> {
        let mut decoder = Decoder::new();
        let mut events = Vec::new();
        let mut rest = bytes;
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at((*size).clamp(1, rest.len()));
            events.extend(decoder.feed(chunk));
            rest = tail;
        }
        events.extend(decoder.finish());
        events
    }

    /// A raster (`GS v 0`) of a QR code, `scale` dots per module, no quiet zone.
    fn raster_qr(payload: &str, scale: usize) -> Vec<u8> {
        let code = qrcode::QrCode::new(payload.as_bytes()).unwrap();
        let (modules, colors) = (code.width(), code.to_colors());
        let dots = modules * scale;
        let width_bytes = dots.div_ceil(8);
        let mut data = vec![0u8; width_bytes * dots];
        for y in 0..dots {
            for x in 0..dots {
                if colors[(y / scale) * modules + x / scale] == qrcode::Color::Dark {
                    data[y * width_bytes + x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        let (x, y) = (width_bytes as u16, dots as u16);
        let mut bytes = vec![GS, b'v', b'0', 0];
        bytes.extend(x.to_le_bytes());
        bytes.extend(y.to_le_bytes());
        bytes.extend(data);
        bytes
    }

    #[test]
    fn a_receipt_job_decodes_to_its_events() {
        assert_eq!(decode_all(&receipt_job()), receipt_events());
    }

    #[test]
    fn a_receipt_job_renders_as_readable_lines() {
        let expected = format!(
            "[INIT]\n[CENTER][2x]三桥爱心超市[/2x]\n洗衣皂  2x5  10\n[QR: {PAYLOAD}]\n[CUT partial]\n"
        );
        assert_eq!(render(&decode_all(&receipt_job())), expected);
    }

    #[test]
    fn a_job_fed_one_byte_at_a_time_gives_the_same_events() {
        assert_eq!(decode_in_chunks(&receipt_job(), &[1]), receipt_events());
    }

    #[test]
    fn a_raster_image_of_a_qr_code_yields_its_payload() {
        let events = decode_all(&raster_qr(PAYLOAD, 4));
        let [
            Event::Raster {
                width_dots,
                height_dots,
                qr,
                bitmap: Some(bitmap),
            },
        ] = &events[..]
        else {
            panic!("not one raster: {events:?}");
        };
        assert_eq!(qr.as_deref(), Some(PAYLOAD));
        assert_eq!(*width_dots % 8, 0);
        assert!(*width_dots >= *height_dots && *width_dots < *height_dots + 8);
        assert_eq!(bitmap.width(), *width_dots as usize);
        assert!(bitmap.black(0, 0), "the finder pattern's corner");
        assert!(!bitmap.black(bitmap.width(), 0), "outside is white");
        let rendered = render(&events);
        assert!(rendered.contains(&format!("QR: {PAYLOAD}]")), "{rendered}");
    }

    #[test]
    fn a_raster_without_a_qr_code_has_none() {
        let bytes = [
            GS, b'v', b'0', 0, 2, 0, 3, 0, 0xFF, 0x00, 0x0F, 0xF0, 0xAA, 0x55,
        ];
        let expected = Event::Raster {
            width_dots: 16,
            height_dots: 3,
            qr: None,
            bitmap: Some(Bitmap {
                width_bytes: 2,
                height: 3,
                rows: vec![0xFF, 0x00, 0x0F, 0xF0, 0xAA, 0x55],
            }),
        };
        assert_eq!(decode_all(&bytes), vec![expected]);
        assert_eq!(render(&decode_all(&bytes)), "[RASTER 16x3]\n");
    }

    #[test]
    fn a_raster_larger_than_the_pending_limit_is_skipped_not_held() {
        // 100 bytes × 1000 rows = 100 KB of data, more than PENDING_BYTES_MAX.
        let mut job = vec![GS, b'v', b'0', 0, 100, 0, 0xE8, 0x03];
        job.extend(vec![0xAB; 100 * 1000]);
        job.extend(b"after\n");
        let expected = vec![
            Event::Raster {
                width_dots: 800,
                height_dots: 1000,
                qr: None,
                bitmap: None,
            },
            Event::Text("after".into()),
            Event::Newline,
        ];
        assert_eq!(decode_all(&job), expected);
        assert_eq!(decode_in_chunks(&job, &[4096, 1, 333]), expected);
    }

    #[test]
    fn status_queries_one_to_four_are_reported() {
        let bytes = [DLE, EOT, 1, DLE, EOT, 2, DLE, EOT, 3, DLE, EOT, 4];
        let expected: Vec<Event> = (1..=4).map(Event::StatusQuery).collect();
        assert_eq!(decode_all(&bytes), expected);
        assert_eq!(
            render(&expected),
            "[STATUS 1][STATUS 2][STATUS 3][STATUS 4]\n"
        );
    }

    #[test]
    fn unknown_commands_keep_their_bytes_and_the_following_text_still_decodes() {
        // ESC y is no command; ESC p (drawer pulse) is known only by its length.
        let bytes = [
            &[ESC, b'y'][..],
            b"Hello",
            &[ESC, b'p', 0, 25, 250],
            b"world\n",
        ]
        .concat();
        let expected = vec![
            Event::Unknown(vec![ESC, b'y']),
            Event::Text("Hello".into()),
            Event::Unknown(vec![ESC, b'p', 0, 25, 250]),
            Event::Text("world".into()),
            Event::Newline,
        ];
        assert_eq!(decode_all(&bytes), expected);
        assert_eq!(render(&expected), "[? 1b 79]Hello[? 1b 70 00 19 fa]world\n");
    }

    #[test]
    fn barcodes_and_bit_images_are_skipped_by_their_length() {
        let code39 = [GS, b'k', 4, b'1', b'2', b'3', NUL];
        let code128 = [GS, b'k', 73, 4, b'{', b'B', b'A', b'1'];
        let bit_image = [ESC, b'*', 33, 2, 0, 1, 2, 3, 4, 5, 6];
        let bytes = [&code39[..], &code128, &bit_image, &[GS, b'H', 2], b"ok"].concat();
        let expected = vec![
            Event::Unknown(code39.to_vec()),
            Event::Unknown(code128.to_vec()),
            Event::Unknown(bit_image.to_vec()),
            Event::Unknown(vec![GS, b'H', 2]),
            Event::Text("ok".into()),
        ];
        assert_eq!(decode_all(&bytes), expected);
    }

    #[test]
    fn a_gbk_character_split_across_two_feeds_decodes_once() {
        let love = gbk("爱");
        let mut decoder = Decoder::new();
        assert_eq!(
            decoder.feed(&[FS, b'&', love[0]]),
            vec![Event::ChineseMode(true)]
        );
        assert_eq!(
            decoder.feed(&[love[1], LF]),
            vec![Event::Text("爱".into()), Event::Newline]
        );
        assert_eq!(decoder.finish(), vec![]);
    }

    #[test]
    fn outside_chinese_mode_high_bytes_are_latin_1() {
        assert_eq!(
            decode_all(&[b'c', 0xE9, LF]),
            vec![Event::Text("cé".into()), Event::Newline]
        );
    }

    #[test]
    fn print_modes_set_bold_underline_and_size() {
        let bytes = [
            ESC,
            b'!',
            0x08 | 0x80,
            b'a',
            ESC,
            b'E',
            0,
            ESC,
            b'-',
            0,
            FS,
            b'!',
            0x04,
            b'b',
        ];
        let events = decode_all(&bytes);
        let bold_underline = Style {
            bold: true,
            underline: true,
            ..Style::default()
        };
        let double_width = Style {
            double_width: true,
            ..Style::default()
        };
        let expected = vec![
            Event::Style(bold_underline),
            Event::Text("a".into()),
            Event::Style(Style {
                bold: false,
                ..bold_underline
            }),
            Event::Style(Style::default()),
            Event::Style(double_width),
            Event::Text("b".into()),
        ];
        assert_eq!(events, expected);
        assert_eq!(render(&events), "[BOLD][U]a[/U][/BOLD][2W]b[/2W]\n");
    }

    #[test]
    fn feeds_and_cuts_are_counted() {
        let bytes = [
            ESC, b'd', 3, ESC, b'J', 40, CR, GS, b'V', 0, GS, b'V', b'1', ESC, b'm',
        ];
        let expected = vec![
            Event::Newline,
            Event::Newline,
            Event::Newline,
            Event::Newline,
            Event::Cut { partial: false },
            Event::Cut { partial: true },
            Event::Cut { partial: true },
        ];
        assert_eq!(decode_all(&bytes), expected);
    }

    #[test]
    fn an_unfinished_command_at_the_end_is_reported_not_dropped() {
        let mut decoder = Decoder::new();
        assert_eq!(decoder.feed(b"ab\x1d(k\x05\x00\x31"), vec![]);
        assert_eq!(
            decoder.finish(),
            vec![
                Event::Text("ab".into()),
                Event::Unknown(vec![GS, b'(', b'k', 5, 0, 49])
            ]
        );
    }

    #[test]
    fn control_characters_are_escaped_when_rendered() {
        let events = [Event::Text("a\u{9b}31m\tb".into())];
        assert_eq!(render(&events), "a\\u{9b}31m\tb\n");
    }

    /// Bytes that hit the command parsers often: prefixes, command letters, small numbers.
    fn escpos_bytes() -> impl Strategy<Value = Vec<u8>> {
        let interesting = prop::sample::select(vec![
            ESC, GS, FS, DLE, LF, EOT, NUL, b'(', b'k', b'v', b'0', b'V', b'&', b'.', b'!', 49, 80,
            81, 0x81, 0xB0, 0xA1,
        ]);
        let byte = prop_oneof![any::<u8>(), interesting, 0u8..8];
        prop::collection::vec(byte, 0..2048)
    }

    proptest! {
        #[test]
        fn any_bytes_in_any_chunks_decode_without_panic_and_alike(
            bytes in escpos_bytes(),
            sizes in prop::collection::vec(1usize..64, 1..8),
        ) {
            let whole = decode_all(&bytes);
            prop_assert_eq!(decode_in_chunks(&bytes, &sizes), whole.clone());
            render(&whole);
        }
    }
}
