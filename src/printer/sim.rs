//! The printer simulator behind `hw printer-sim`, and the printer used by `redeem --print` and
//! the demo when none is configured.
//!
//! [`Simulator::start`] opens a pseudo-terminal pair and serves its master side from a
//! background thread. A client opens the slave side ([`Simulator::path`], e.g. `/dev/pts/5`)
//! exactly as it would open a serial printer, at any baud rate. The thread:
//!
//! - decodes what arrives with [`decode::Decoder`] (GBK text, styles, alignment, native and
//!   raster QR codes, cuts);
//! - answers every `DLE EOT n` at once with the byte a printer in the current [`SimState`]
//!   would send ([`reply_bytes`]), garbage in [`SimState::Garbage`], nothing in
//!   [`SimState::Silent`];
//! - discards everything else while the state is paper-out, cover-open or offline (a printer
//!   without paper prints nothing); a receipt that was half printed when that happened is kept
//!   as a partial receipt;
//! - cuts the stream into receipts: from the first event after the previous cut that is not a
//!   status query, up to and including the next cut. Each is rendered with [`decode::render`],
//!   kept in memory ([`Simulator::receipts`]) together with the paper a person would see
//!   ([`paper::paper`], for screens that show the slip: [`Simulator::wait_papers`]), and
//!   written to `out_dir/receipt-0001.txt`, `receipt-0002.txt`, … (numbering continues after
//!   the files already there; partial receipts take a number too, as
//!   `receipt-NNNN-partial.txt`, but are not receipts).
//!
//! What the simulator keeps is private: receipt files and the state file are mode 0600, and
//! `out_dir` is made 0700 when the simulator creates it (receipts name residents). A passbook
//! token is masked (`PD1ABC…`) in everything it keeps, writes or hands out, as the event is
//! kept, so a receipt file or a slip shown on screen is not a usable passbook; slip QRs
//! (`PDT…`) stay readable.
//!
//! A printer without a cutter (the common 58 mm ones) gets no cut: its job ends by feeding
//! blank lines so the slip clears the tear bar. So a receipt whose last events are at least
//! [`TEAR_OFF_NEWLINES`] newlines is also finished — torn off — when anything but another
//! newline or a cut comes next (the next job's `ESC @`, a status query), when the line has
//! been quiet for [`RECEIPT_QUIET`], when the client closes the port, or when printing stops.
//! A receipt that ends otherwise, mid-line or mid-command, is partial.
//!
//! ## Clients that come and go
//! The simulator keeps no slave descriptor of its own, so that a client closing the port is
//! seen: on Linux the master then reports a hang-up (`POLLHUP`; `read` would give `EIO`) until
//! the next client opens the slave, and the simulator polls every [`IDLE_POLL`] meanwhile.
//! Bytes the client wrote just before it closed may still sit in the master's buffer, where
//! `serialport` cannot read them while the line is hung up; the simulator then opens the slave
//! itself for a moment, reads exactly those bytes, discards reply bytes the old client left
//! unread (they would otherwise greet the next client), and closes it again. What was received
//! of an unfinished receipt is then written as a partial receipt, and the next client starts
//! with a fresh decoder. (The thread waits in `poll`, which wakes at the hang-up; only a
//! client that closes and a new one that opens while the thread is busy writing a file can
//! look like one connection.) Terminal settings (raw mode) survive on the slave between
//! clients, so `cat job.bin > /dev/pts/N` works too.
//!
//! One case is beyond repair: a client opened with `TIOCEXCL` (serialport's default) that dies
//! without closing the port leaves the slave exclusive, and nobody but root can open it again;
//! the simulator reports that (and drops the bytes it could not read) — restart it.
//!
//! Every wait is bounded: reads time out after [`MASTER_TIMEOUT`], the thread checks its stop
//! flag every iteration, and [`Simulator::stop`] (or drop) ends it within about
//! [`STRANDED_WAIT`] plus two [`MASTER_TIMEOUT`]s.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, SerialPort, TTYPort};

use super::decode::{self, Decoder, Event};
use super::paper::{self, Paper};
use crate::i18n::Lang;

/// How long one read of the master waits for bytes, and how long a reply may take to write.
pub const MASTER_TIMEOUT: Duration = Duration::from_millis(20);

/// Pause between polls of the master while no client has the port open.
pub const IDLE_POLL: Duration = Duration::from_millis(20);

/// Bytes read from the master at a time.
pub const READ_CHUNK_BYTES: usize = 4096;

/// Events kept for one receipt; a stream that never cuts cannot grow the simulator without
/// bound (a real receipt has about a hundred). Further events are counted, not kept.
pub const RECEIPT_EVENTS_MAX: usize = 10_000;

/// Newlines at the end of a receipt that make it complete without a cut: the end of its last
/// line and three blank lines fed to clear the tear bar (profiles feed 3 or more).
pub const TEAR_OFF_NEWLINES: usize = 4;

/// Quiet time after which a receipt ending in [`TEAR_OFF_NEWLINES`] is torn off.
pub const RECEIPT_QUIET: Duration = Duration::from_millis(300);

/// Receipts (and, separately, partial receipts) kept in memory; the files keep all of them.
pub const RECEIPTS_KEPT_MAX: usize = 1_000;

/// Notices kept for [`Simulator::take_notices`] when nobody takes them; the oldest go first.
pub const NOTICES_KEPT_MAX: usize = 1_000;

/// Longest time spent reading bytes a closed client left in the master's buffer.
pub const STRANDED_WAIT: Duration = Duration::from_millis(500);

/// Most reads spent on bytes a closed client left behind.
const STRANDED_READS_MAX: usize = 64;

/// Baud rate the simulator opens its own slave descriptor with (a pty ignores it).
const OWN_SLAVE_BAUD: u32 = 9600;

/// Directory entries looked at when finding where the receipt numbering continues.
const DIR_SCAN_ENTRIES_MAX: usize = 100_000;

/// How often [`run_foreground`] looks at the state file (and at what the thread reported).
pub const STATE_FILE_POLL: Duration = Duration::from_millis(200);

/// The state file in `out_dir`: a script writes one of the state words into it.
pub const STATE_FILE_NAME: &str = "state";

/// Bytes of the state file, or of a line typed on stdin, that are read.
const COMMAND_BYTES_MAX: u64 = 256;

/// Lines read from stdin by [`run_foreground`] before it stops listening there.
const STDIN_LINES_MAX: usize = 1_000_000;

/// What the simulator sends for a status query in [`SimState::Garbage`]: no status byte has
/// bits 1 and 4 clear, or bits 0 and 7 set, and there is one byte too many.
pub const GARBAGE_REPLY: [u8; 2] = [0x00, 0xFF];

/// Bits every Epson status byte has set (1 and 4); the others are 0 when all is fine.
const STATUS_FIXED: u8 = 0b0001_0010;

/// What the simulated printer reports and does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimState {
    Ready,
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    Offline,
    /// answers status queries with random-looking garbage bytes
    Garbage,
    /// never answers status queries
    Silent,
}

impl SimState {
    pub const ALL: [SimState; 7] = [
        SimState::Ready,
        SimState::PaperNearEnd,
        SimState::PaperOut,
        SimState::CoverOpen,
        SimState::Offline,
        SimState::Garbage,
        SimState::Silent,
    ];

    /// The word an operator types or a script writes: `ok`, `near-end`, `paper-out`,
    /// `cover-open`, `offline`, `garbage`, `silent`.
    pub fn as_str(self) -> &'static str {
        match self {
            SimState::Ready => "ok",
            SimState::PaperNearEnd => "near-end",
            SimState::PaperOut => "paper-out",
            SimState::CoverOpen => "cover-open",
            SimState::Offline => "offline",
            SimState::Garbage => "garbage",
            SimState::Silent => "silent",
        }
    }

    /// Reads a state word (case and surrounding space ignored; `ready` means `ok`).
    pub fn parse(word: &str) -> Option<SimState> {
        let word = word.trim().to_ascii_lowercase();
        if word == "ready" {
            return Some(SimState::Ready);
        }
        SimState::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Whether the printer prints what it receives (it answers status queries in any state
    /// but [`SimState::Silent`]).
    pub fn prints(self) -> bool {
        !matches!(
            self,
            SimState::PaperOut | SimState::CoverOpen | SimState::Offline
        )
    }

    /// For the operator.
    pub fn describe(self, lang: Lang) -> &'static str {
        match self {
            SimState::Ready => lang.pick("正常", "ready"),
            SimState::PaperNearEnd => lang.pick("纸将尽", "paper near end"),
            SimState::PaperOut => lang.pick("缺纸", "paper out"),
            SimState::CoverOpen => lang.pick("开盖", "cover open"),
            SimState::Offline => lang.pick("离线", "offline"),
            SimState::Garbage => lang.pick("乱码应答", "garbled replies"),
            SimState::Silent => lang.pick("不应答", "no replies"),
        }
    }
}

/// Status reply byte for DLE EOT n in a state (Epson bit layout: bits 1 and 4 always 1,
/// others 0 when fine: n=1 printer status (bit3 offline), n=2 offline cause (bit2 cover open,
/// bit3 paper feed button, bit5 paper out stop, bit6 error), n=3 error cause, n=4 roll paper
/// sensor (bits 2,3 = paper near end; bits 5,6 = paper out)).
///
/// [`SimState::Offline`] is an error that recovers by itself (n=2 bit 6, n=3 bit 6); paper out
/// also reports near end, as the two sensors of a real printer do. [`SimState::Garbage`] gives
/// the first byte of [`GARBAGE_REPLY`]. `None` when Silent, and for n outside 1..=4 (which a
/// printer ignores).
pub fn status_reply(state: SimState, n: u8) -> Option<u8> {
    if !(1..=4).contains(&n) {
        return None;
    }
    let bits = match (state, n) {
        (SimState::Silent, _) => return None,
        (SimState::Garbage, _) => return Some(GARBAGE_REPLY[0]),
        (SimState::PaperOut | SimState::CoverOpen | SimState::Offline, 1) => 0x08,
        (SimState::CoverOpen, 2) => 0x04,
        (SimState::PaperOut, 2) => 0x20,
        (SimState::Offline, 2 | 3) => 0x40,
        (SimState::PaperNearEnd, 4) => 0x0C,
        (SimState::PaperOut, 4) => 0x0C | 0x60,
        _ => 0,
    };
    Some(STATUS_FIXED | bits)
}

/// The bytes the simulator writes for `DLE EOT n`: the status byte, [`GARBAGE_REPLY`] in
/// [`SimState::Garbage`], nothing in [`SimState::Silent`].
pub fn reply_bytes(state: SimState, n: u8) -> Vec<u8> {
    match state {
        SimState::Garbage if (1..=4).contains(&n) => GARBAGE_REPLY.to_vec(),
        _ => status_reply(state, n).into_iter().collect(),
    }
}

pub struct SimConfig {
    /// Where receipts are written (created if missing).
    pub out_dir: PathBuf,
    /// The state at start.
    pub state: SimState,
    /// Columns of the simulated paper (the profile's), for the paper kept with each receipt.
    pub paper_columns: usize,
}

/// A finished receipt as the simulator keeps it (passbook tokens masked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimReceipt {
    /// [`decode::render`] of its events: markers included, for checking what was sent.
    pub text: String,
    /// What a person sees on the paper.
    pub paper: Paper,
}

/// Why a receipt was not finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartialReason {
    /// The client closed the port (or died) before the cut.
    PortClosed,
    /// The state changed to one that does not print (paper out, …) before the cut.
    StoppedPrinting(SimState),
    /// The simulator was stopped before the cut.
    SimulatorStopped,
}

impl PartialReason {
    /// The marker line ending a partial receipt's text.
    fn marker(self) -> String {
        let why = match self {
            PartialReason::PortClosed => "port closed",
            PartialReason::StoppedPrinting(state) => state.as_str(),
            PartialReason::SimulatorStopped => "simulator stopped",
        };
        format!("[PARTIAL: {why}]")
    }
}

/// What the simulator's thread reports, in order (see [`Simulator::take_notices`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A client opened the port.
    Connected,
    /// The client closed the port.
    Disconnected,
    /// A receipt was cut. `number` counts receipts of this run from 1; `file` is `None` when
    /// writing it failed (an [`Notice::Error`] says why).
    Receipt {
        number: usize,
        file: Option<PathBuf>,
        text: String,
    },
    /// An unfinished receipt; its text ends with a `[PARTIAL: …]` line.
    Partial {
        reason: PartialReason,
        file: Option<PathBuf>,
        text: String,
    },
    /// Data arrived in a state that does not print and is being discarded.
    Discarding(SimState),
    Error(String),
}

/// A simulated printer on a pseudo-terminal, served by a background thread.
pub struct Simulator {
    path: String,
    out_dir: PathBuf,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Opens a pty pair (serialport::TTYPort::pair()), starts the decoding thread, returns at
    /// once. Fails when no pty can be opened or `out_dir` cannot be created.
    pub fn start(config: SimConfig) -> io::Result<Simulator> {
        create_private_dir(&config.out_dir)?;
        let next_file = next_file_number(&config.out_dir)?;
        let (mut master, slave) = TTYPort::pair().map_err(io::Error::from)?;
        let path = slave
            .name()
            .ok_or_else(|| io::Error::other("the pseudo-terminal has no name"))?;
        // Not kept: with no slave descriptor of ours, a client closing the port is a hang-up.
        drop(slave);
        master
            .set_timeout(MASTER_TIMEOUT)
            .map_err(io::Error::from)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(config.state),
            stop: AtomicBool::new(false),
            record: Mutex::new(Record::default()),
            changed: Condvar::new(),
        });
        let worker = Worker {
            master,
            path: path.clone(),
            out_dir: config.out_dir.clone(),
            shared: Arc::clone(&shared),
            printer: Printer::new(config.paper_columns),
            next_file,
            open: false,
            stranded_failed: false,
        };
        let thread = thread::Builder::new()
            .name("printer-sim".into())
            .spawn(move || worker.run())?;
        Ok(Simulator {
            path,
            out_dir: config.out_dir,
            shared,
            thread: Some(thread),
        })
    }

    /// The path a client opens as its serial port (the pty's slave name, e.g. /dev/pts/5).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where receipts are written.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// Takes effect for the next bytes and queries that arrive.
    pub fn set_state(&self, state: SimState) {
        *lock(&self.shared.state) = state;
    }

    pub fn state(&self) -> SimState {
        *lock(&self.shared.state)
    }

    /// Receipts finished so far (text as decode::render gives it), oldest first (at most
    /// [`RECEIPTS_KEPT_MAX`], the latest).
    pub fn receipts(&self) -> Vec<String> {
        let record = lock(&self.shared.record);
        record.receipts.iter().map(|r| r.text.clone()).collect()
    }

    /// Receipts finished in this run, including those no longer kept in memory.
    pub fn finished(&self) -> usize {
        lock(&self.shared.record).finished
    }

    /// Partial receipts so far, oldest first (at most [`RECEIPTS_KEPT_MAX`], the latest).
    pub fn partials(&self) -> Vec<String> {
        lock(&self.shared.record).partials.iter().cloned().collect()
    }

    /// Waits (at most `timeout`) until at least n receipts are finished; returns the receipts
    /// (fewer than n if the time ran out).
    pub fn wait_receipts(&self, n: usize, timeout: Duration) -> Vec<String> {
        let record = self.wait_finished(n, timeout);
        record.receipts.iter().map(|r| r.text.clone()).collect()
    }

    /// Like [`Simulator::wait_receipts`], the papers of the receipts: what a screen shows.
    pub fn wait_papers(&self, n: usize, timeout: Duration) -> Vec<Paper> {
        let record = self.wait_finished(n, timeout);
        record.receipts.iter().map(|r| r.paper.clone()).collect()
    }

    /// The record once at least n receipts are finished in this run, or the time ran out.
    fn wait_finished(&self, n: usize, timeout: Duration) -> MutexGuard<'_, Record> {
        self.wait_record(timeout, |record| record.finished >= n)
    }

    /// The record once `done` holds of it, or the time ran out.
    fn wait_record(
        &self,
        timeout: Duration,
        done: impl Fn(&Record) -> bool,
    ) -> MutexGuard<'_, Record> {
        let deadline = Instant::now() + timeout;
        let mut record = lock(&self.shared.record);
        // Bounded by the deadline: every wait ends by it, spurious wake-ups included.
        while !done(&record) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            record = self
                .shared
                .changed
                .wait_timeout(record, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        record
    }

    /// What happened since the last call, oldest first (at most [`NOTICES_KEPT_MAX`]).
    pub fn take_notices(&self) -> Vec<Notice> {
        lock(&self.shared.record).notices.drain(..).collect()
    }

    /// Waits (at most `timeout`) until a client closes the port and everything it sent was
    /// read, and takes the notices up to that [`Notice::Disconnected`], oldest first; `None`
    /// when the time ran out (the notices stay). What a test waits for to know that no more of
    /// a job can come out, instead of a pause.
    pub fn wait_disconnected(&self, timeout: Duration) -> Option<Vec<Notice>> {
        let disconnected = |r: &Record| r.notices.iter().position(|n| *n == Notice::Disconnected);
        let mut record = self.wait_record(timeout, |r| disconnected(r).is_some());
        let at = disconnected(&record)?;
        Some(record.notices.drain(..=at).collect())
    }

    /// Stops the thread (a receipt in progress is written as partial); also done on drop.
    pub fn stop(self) {
        drop(self);
    }

    /// Stops the thread and returns the notices not taken yet, the last partial receipt's
    /// among them.
    fn stop_and_take_notices(mut self) -> Vec<Notice> {
        self.stop_thread();
        self.take_notices()
    }

    fn stop_thread(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The thread checks the flag every iteration, and an iteration is bounded.
            let _ = thread.join();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// Locks, and carries on after a panic elsewhere: the data are plain values, never half
/// updated in a way that matters here.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Shared {
    state: Mutex<SimState>,
    stop: AtomicBool,
    record: Mutex<Record>,
    /// Signalled when a receipt is finished.
    changed: Condvar,
}

#[derive(Default)]
struct Record {
    receipts: VecDeque<SimReceipt>,
    /// Receipts finished in this run (not only those kept).
    finished: usize,
    partials: VecDeque<String>,
    notices: VecDeque<Notice>,
}

fn push_bounded<T>(list: &mut VecDeque<T>, item: T, max: usize) {
    if list.len() >= max {
        list.pop_front();
    }
    list.push_back(item);
}

/// Creates the receipts folder (and missing parents) readable by its owner only: receipts name
/// residents. A folder that exists already is left as it is (it may be one the operator
/// chose, such as the current directory); the files in it are private anyway.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Writes a file readable by its owner only (mode 0600), also when it existed with a wider
/// mode (a file of an older version).
fn write_private(path: &Path, text: &str) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    if file.metadata()?.permissions().mode() & 0o077 != 0 {
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
}

/// The event as a kept copy of the slip may show it: passbook tokens masked (`PD1ABC…`), in
/// QR payloads and in text alike. The pixels of a raster QR are dropped for the same reason.
fn masked(event: Event) -> Event {
    use crate::passbook::token::mask_tokens;
    match event {
        Event::Text(text) => Event::Text(mask_tokens(&text)),
        Event::Qr {
            payload,
            model,
            module_size,
            ec,
            native,
        } => Event::Qr {
            payload: mask_tokens(&payload),
            model,
            module_size,
            ec,
            native,
        },
        Event::Raster {
            width_dots,
            height_dots,
            qr,
            bitmap: _,
        } => Event::Raster {
            width_dots,
            height_dots,
            qr: qr.map(|payload| mask_tokens(&payload)),
            bitmap: None,
        },
        other => other,
    }
}

/// The highest `NNNN` of `receipt-NNNN.txt` / `receipt-NNNN-partial.txt` in `dir`, plus one.
fn next_file_number(dir: &Path) -> io::Result<u64> {
    let mut highest = 0;
    for entry in fs::read_dir(dir)?.take(DIR_SCAN_ENTRIES_MAX) {
        let name = entry?.file_name();
        let number = name
            .to_str()
            .and_then(|n| n.strip_prefix("receipt-"))
            .and_then(|n| n.strip_suffix(".txt"))
            .map(|n| n.strip_suffix("-partial").unwrap_or(n))
            .and_then(|n| n.parse::<u64>().ok());
        highest = highest.max(number.unwrap_or(0));
    }
    Ok(highest + 1)
}

// ---------------------------------------------------------------------------------------------
// The printer without its port: bytes and the state in, replies and receipts out.

/// What the printer does with bytes. Generic over how a receipt is kept, so the tests can
/// compare receipts by their text.
#[derive(Debug, PartialEq, Eq)]
enum Output<R = SimReceipt> {
    Reply(Vec<u8>),
    Receipt(R),
    Partial(PartialReason, String),
    Discarding(SimState),
}

impl Output {
    #[cfg(test)]
    fn text(self) -> Output<String> {
        match self {
            Output::Reply(bytes) => Output::Reply(bytes),
            Output::Receipt(receipt) => Output::Receipt(receipt.text),
            Output::Partial(reason, text) => Output::Partial(reason, text),
            Output::Discarding(state) => Output::Discarding(state),
        }
    }
}

struct Printer {
    /// Columns of the paper, for [`SimReceipt::paper`].
    columns: usize,
    decoder: Decoder,
    /// Events of the receipt in progress (empty between receipts).
    receipt: Vec<Event>,
    /// Events of the receipt in progress beyond [`RECEIPT_EVENTS_MAX`], not kept.
    dropped: usize,
    /// Data is being discarded (reported once per stretch).
    discarding: bool,
    /// The receipt in progress prints something other than blank lines (settings alone, an
    /// `ESC @` sent on connecting say, are not a receipt).
    content: bool,
    /// Newlines ending the receipt in progress.
    trailing_newlines: usize,
}

impl Printer {
    fn new(columns: usize) -> Printer {
        Printer {
            columns,
            decoder: Decoder::default(),
            receipt: Vec::new(),
            dropped: 0,
            discarding: false,
            content: false,
            trailing_newlines: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8], state: SimState, out: &mut Vec<Output>) {
        let events = self.decoder.feed(bytes);
        self.apply(events, state, out);
    }

    /// The client went away (or the simulator stops): what the decoder holds is flushed, an
    /// unfinished receipt becomes a partial one, and the next client starts afresh.
    fn end(&mut self, state: SimState, reason: PartialReason, out: &mut Vec<Output>) {
        let events = self.decoder.finish();
        self.apply(events, state, out);
        self.close_partial(reason, out);
        *self = Printer::new(self.columns);
    }

    /// The line has been quiet for [`RECEIPT_QUIET`].
    fn quiet(&mut self, out: &mut Vec<Output>) {
        if self.torn_off() {
            out.push(Output::Receipt(self.take_receipt()));
        }
    }

    fn apply(&mut self, events: Vec<Event>, state: SimState, out: &mut Vec<Output>) {
        for event in events {
            if self.torn_off() && !matches!(event, Event::Newline | Event::Cut { .. }) {
                out.push(Output::Receipt(self.take_receipt()));
            }
            match event {
                Event::StatusQuery(n) => {
                    let reply = reply_bytes(state, n);
                    if !reply.is_empty() {
                        out.push(Output::Reply(reply));
                    }
                    if !self.receipt.is_empty() {
                        self.push(event);
                    }
                }
                _ if !state.prints() => {
                    self.close_partial(PartialReason::StoppedPrinting(state), out);
                    if !self.discarding {
                        self.discarding = true;
                        out.push(Output::Discarding(state));
                    }
                }
                Event::Cut { .. } => {
                    self.discarding = false;
                    self.push(event);
                    out.push(Output::Receipt(self.take_receipt()));
                }
                _ => {
                    self.discarding = false;
                    self.push(event);
                }
            }
        }
    }

    fn push(&mut self, event: Event) {
        match event {
            Event::Newline => self.trailing_newlines += 1,
            Event::Init
            | Event::ChineseMode(_)
            | Event::Style(_)
            | Event::Align(_)
            | Event::StatusQuery(_) => {}
            _ => {
                self.content = true;
                self.trailing_newlines = 0;
            }
        }
        if self.receipt.len() < RECEIPT_EVENTS_MAX {
            // Masked as it is kept: a passbook token is never held whole past this point.
            self.receipt.push(masked(event));
        } else {
            self.dropped += 1;
        }
    }

    /// The receipt in progress ends like a job for a printer without a cutter.
    fn torn_off(&self) -> bool {
        self.content && self.trailing_newlines >= TEAR_OFF_NEWLINES
    }

    /// Ends the receipt in progress before its cut: torn off if it ended like a cutterless
    /// job, else partial.
    fn close_partial(&mut self, reason: PartialReason, out: &mut Vec<Output>) {
        if self.torn_off() {
            out.push(Output::Receipt(self.take_receipt()));
        } else if self.content {
            let mut text = self.take_text();
            text.push_str(&reason.marker());
            text.push('\n');
            out.push(Output::Partial(reason, text));
        } else {
            self.take_text();
        }
    }

    /// The receipt in progress, with its paper; starts the next.
    fn take_receipt(&mut self) -> SimReceipt {
        let paper = paper::paper(&self.receipt, self.columns);
        SimReceipt {
            text: self.take_text(),
            paper,
        }
    }

    /// Renders the receipt in progress and starts the next.
    fn take_text(&mut self) -> String {
        let mut text = decode::render(&std::mem::take(&mut self.receipt));
        if self.dropped > 0 {
            text.push_str(&format!("[… {} more events not kept]\n", self.dropped));
        }
        self.dropped = 0;
        self.content = false;
        self.trailing_newlines = 0;
        text
    }
}

// ---------------------------------------------------------------------------------------------
// The thread: the master side of the pty, files, and what the caller sees.

struct Worker {
    master: TTYPort,
    path: String,
    out_dir: PathBuf,
    shared: Arc<Shared>,
    printer: Printer,
    /// The number of the next receipt file.
    next_file: u64,
    /// A client has the port open (as far as we have seen).
    open: bool,
    /// Bytes a closed client left could not be read; not retried until a client opens again.
    stranded_failed: bool,
}

enum Got {
    Bytes(usize),
    Nothing,
    HungUp,
}

impl Worker {
    fn run(mut self) {
        let mut buf = vec![0u8; READ_CHUNK_BYTES];
        let mut last_bytes = Instant::now();
        // Bounded: every iteration checks the flag and waits at most MASTER_TIMEOUT (reading)
        // or IDLE_POLL (hung up), plus one reply timeout or one recovery (STRANDED_WAIT).
        while !self.shared.stop.load(Ordering::Relaxed) {
            match self.read(&mut buf) {
                Got::Bytes(n) => {
                    last_bytes = Instant::now();
                    self.connected();
                    let state = self.state();
                    let mut out = Vec::new();
                    self.printer.feed(&buf[..n], state, &mut out);
                    self.handle(out, true);
                }
                Got::Nothing => {
                    self.connected();
                    if last_bytes.elapsed() >= RECEIPT_QUIET {
                        let mut out = Vec::new();
                        self.printer.quiet(&mut out);
                        self.handle(out, false);
                    }
                }
                Got::HungUp => {
                    self.hung_up();
                    thread::sleep(IDLE_POLL);
                }
            }
        }
        let mut out = Vec::new();
        let state = self.state();
        self.printer
            .end(state, PartialReason::SimulatorStopped, &mut out);
        self.handle(out, false);
    }

    fn state(&self) -> SimState {
        *lock(&self.shared.state)
    }

    fn read(&mut self, buf: &mut [u8]) -> Got {
        match self.master.read(buf) {
            Ok(0) => Got::HungUp,
            Ok(n) => Got::Bytes(n),
            Err(e) => match e.kind() {
                io::ErrorKind::TimedOut
                | io::ErrorKind::WouldBlock
                | io::ErrorKind::Interrupted => Got::Nothing,
                // BrokenPipe (POLLHUP) when no slave is open; EIO from read itself.
                _ => Got::HungUp,
            },
        }
    }

    fn connected(&mut self) {
        if !self.open {
            self.open = true;
            self.stranded_failed = false;
            self.notice(Notice::Connected);
        }
    }

    /// No client has the slave open. If one just closed it (or came and went between two
    /// polls), its last bytes are read, and its session ends.
    fn hung_up(&mut self) {
        let stranded = if self.stranded_failed {
            0
        } else {
            self.master.bytes_to_read().unwrap_or(0) as usize
        };
        if !self.open && stranded == 0 {
            return;
        }
        if !self.open {
            self.notice(Notice::Connected);
        }
        self.open = false;
        self.drain_closed_client(stranded);
        let mut out = Vec::new();
        let state = self.state();
        self.printer.end(state, PartialReason::PortClosed, &mut out);
        self.handle(out, false);
        self.notice(Notice::Disconnected);
    }

    /// Opens the slave for a moment: reads the `stranded` bytes the closed client wrote last
    /// (no more: a new client may already be writing) and discards replies it left unread.
    fn drain_closed_client(&mut self, stranded: usize) {
        let own = serialport::new(&self.path, OWN_SLAVE_BAUD)
            .exclusive(false)
            .timeout(MASTER_TIMEOUT)
            .open_native();
        let own = match own {
            Ok(own) => own,
            Err(e) => {
                if stranded > 0 {
                    self.stranded_failed = true;
                    let _ = self.master.clear(ClearBuffer::Input);
                    self.notice(Notice::Error(format!(
                        "{stranded} bytes sent just before the port closed were lost: cannot \
                         open {} ({e}); if a client died holding it exclusively, restart the \
                         simulator",
                        self.path
                    )));
                }
                return;
            }
        };
        let _ = own.clear(ClearBuffer::Input);
        let deadline = Instant::now() + STRANDED_WAIT;
        let mut left = stranded;
        let mut buf = vec![0u8; READ_CHUNK_BYTES];
        for _ in 0..STRANDED_READS_MAX {
            if left == 0 || Instant::now() >= deadline {
                break;
            }
            let want = left.min(buf.len());
            match self.read(&mut buf[..want]) {
                Got::Bytes(n) => {
                    left -= n.min(left);
                    let state = self.state();
                    let mut out = Vec::new();
                    self.printer.feed(&buf[..n], state, &mut out);
                    // The client that asked is gone; a reply would only wait for the next one.
                    self.handle(out, false);
                }
                Got::Nothing => {}
                Got::HungUp => break,
            }
        }
        if left > 0 {
            self.notice(Notice::Error(format!(
                "{left} of {stranded} bytes sent just before the port closed could not be read"
            )));
        }
        drop(own);
    }

    fn handle(&mut self, out: Vec<Output>, reply: bool) {
        let mut replying = reply;
        for output in out {
            match output {
                Output::Reply(bytes) if replying => {
                    if let Err(e) = self.master.write_all(&bytes) {
                        // The client is not reading, or gone: no further replies in this
                        // batch, so a flood of queries cannot stall the thread.
                        replying = false;
                        if e.kind() != io::ErrorKind::BrokenPipe {
                            self.notice(Notice::Error(format!("status reply not sent: {e}")));
                        }
                    }
                }
                Output::Reply(_) => {}
                Output::Receipt(receipt) => self.receipt(receipt),
                Output::Partial(reason, text) => self.partial(reason, text),
                Output::Discarding(state) => self.notice(Notice::Discarding(state)),
            }
        }
    }

    fn receipt(&mut self, receipt: SimReceipt) {
        let file = self.write_file("", &receipt.text);
        let text = receipt.text.clone();
        let mut record = lock(&self.shared.record);
        record.finished += 1;
        let number = record.finished;
        push_bounded(&mut record.receipts, receipt, RECEIPTS_KEPT_MAX);
        push_bounded(
            &mut record.notices,
            Notice::Receipt { number, file, text },
            NOTICES_KEPT_MAX,
        );
        drop(record);
        self.shared.changed.notify_all();
    }

    fn partial(&mut self, reason: PartialReason, text: String) {
        let file = self.write_file("-partial", &text);
        let mut record = lock(&self.shared.record);
        push_bounded(&mut record.partials, text.clone(), RECEIPTS_KEPT_MAX);
        push_bounded(
            &mut record.notices,
            Notice::Partial { reason, file, text },
            NOTICES_KEPT_MAX,
        );
    }

    fn write_file(&mut self, suffix: &str, text: &str) -> Option<PathBuf> {
        let path = self
            .out_dir
            .join(format!("receipt-{:04}{suffix}.txt", self.next_file));
        self.next_file += 1;
        match write_private(&path, text) {
            Ok(()) => Some(path),
            Err(e) => {
                self.notice(Notice::Error(format!("{}: {e}", path.display())));
                None
            }
        }
    }

    fn notice(&self, notice: Notice) {
        push_bounded(
            &mut lock(&self.shared.record).notices,
            notice,
            NOTICES_KEPT_MAX,
        );
        self.shared.changed.notify_all();
    }
}

// ---------------------------------------------------------------------------------------------
// `hw printer-sim`: the simulator in the foreground, driven from stdin and a state file.

/// What the operator (or a script) asked for.
enum Command {
    State(SimState),
    Quit,
}

fn parse_command(word: &str) -> Option<Command> {
    if word.trim().eq_ignore_ascii_case("quit") {
        return Some(Command::Quit);
    }
    SimState::parse(word).map(Command::State)
}

/// Prints to stdout; a closed stdout does not stop the simulator.
fn say(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

fn banner(sim: &Simulator, state_file: &Path, lang: Lang) -> String {
    let path = sim.path();
    let words = SimState::ALL
        .iter()
        .map(|s| format!("{} {}", s.as_str(), s.describe(lang)))
        .collect::<Vec<_>>()
        .join(" · ");
    match lang {
        Lang::ZhCn => format!(
            "打印机模拟器已启动：{path}（把 config.toml 的 transport 设为 serial:{path}）\n\
             小票保存在 {}\n\
             输入一个词并回车切换状态：{words} · quit 退出\n\
             脚本可把同样的词写入 {}\n\
             当前状态：{}",
            sim.out_dir().display(),
            state_file.display(),
            sim.state().describe(lang),
        ),
        Lang::En => format!(
            "Printer simulator started: {path} (set transport in config.toml to serial:{path})\n\
             Receipts are saved in {}\n\
             Type a word and Enter to switch state: {words} · quit to stop\n\
             Scripts can write the same words to {}\n\
             State: {}",
            sim.out_dir().display(),
            state_file.display(),
            sim.state().describe(lang),
        ),
    }
}

fn describe_notice(notice: &Notice, lang: Lang) -> String {
    match notice {
        Notice::Connected => lang.pick("—— 客户端已连接", "—— client connected").into(),
        Notice::Disconnected => lang
            .pick("—— 客户端已断开", "—— client disconnected")
            .into(),
        Notice::Receipt { number, file, text } => {
            let file = file
                .as_deref()
                .map(|f| f.display().to_string())
                .unwrap_or_default();
            match lang {
                Lang::ZhCn => format!("—— 小票 #{number}（{file}）——\n{text}"),
                Lang::En => format!("—— receipt #{number} ({file}) ——\n{text}"),
            }
        }
        Notice::Partial { file, text, .. } => {
            let file = file
                .as_deref()
                .map(|f| f.display().to_string())
                .unwrap_or_default();
            match lang {
                Lang::ZhCn => format!("—— 未打完的小票（{file}）——\n{text}"),
                Lang::En => format!("—— unfinished receipt ({file}) ——\n{text}"),
            }
        }
        Notice::Discarding(state) => match lang {
            Lang::ZhCn => format!("—— {}：收到的打印数据被丢弃", state.describe(lang)),
            Lang::En => format!(
                "—— {}: print data received is discarded",
                state.describe(lang)
            ),
        },
        Notice::Error(message) => format!("—— {}{message}", lang.pick("错误：", "error: ")),
    }
}

/// Reads the state file (trimmed); `None` when it cannot be read.
fn read_state_file(path: &Path) -> Option<String> {
    let mut text = String::new();
    fs::File::open(path)
        .ok()?
        .take(COMMAND_BYTES_MAX)
        .read_to_string(&mut text)
        .ok()?;
    Some(text.trim().to_string())
}

/// Reads stdin line by line into `lines`; ends at EOF, on `quit`, or when the receiver is gone.
fn read_stdin(lines: mpsc::Sender<String>) {
    let stdin = io::stdin();
    let mut stdin = stdin.lock();
    for _ in 0..STDIN_LINES_MAX {
        let mut line = String::new();
        match (&mut stdin).take(COMMAND_BYTES_MAX).read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let quit = matches!(parse_command(&line), Some(Command::Quit));
                if lines.send(line).is_err() || quit {
                    return;
                }
            }
        }
    }
}

/// `hw printer-sim`: starts the simulator, prints its path and each receipt as it finishes,
/// and switches state on a word typed on stdin or written to `out_dir/state` (polled every
/// [`STATE_FILE_POLL`]; the file is written with the current state at start and whenever the
/// operator switches). Returns on `quit` (typed or written); stdin reaching its end does not
/// stop it, so it can run from a script.
pub fn run_foreground(config: SimConfig, lang: Lang) -> io::Result<()> {
    let state_file = config.out_dir.join(STATE_FILE_NAME);
    let sim = Simulator::start(config)?;
    write_private(&state_file, &format!("{}\n", sim.state().as_str()))?;
    let mut file_word = sim.state().as_str().to_string();
    say(&banner(&sim, &state_file, lang));

    let (tx, rx) = mpsc::channel();
    // Not joined: it may be blocked reading a terminal when we return; the process ends it.
    thread::Builder::new()
        .name("printer-sim-stdin".into())
        .spawn(move || read_stdin(tx))?;
    let mut stdin_open = true;

    // Runs until `quit`; every iteration waits STATE_FILE_POLL at most.
    loop {
        let mut commands = Vec::new();
        if stdin_open {
            match rx.recv_timeout(STATE_FILE_POLL) {
                Ok(line) => match parse_command(&line) {
                    Some(command) => commands.push((command, true)),
                    None if line.trim().is_empty() => {}
                    None => say(&unknown_word(line.trim(), lang)),
                },
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => stdin_open = false,
            }
        } else {
            thread::sleep(STATE_FILE_POLL);
        }
        if let Some(word) = read_state_file(&state_file).filter(|w| *w != file_word) {
            match parse_command(&word) {
                Some(command) => commands.push((command, false)),
                None => say(&unknown_word(&word, lang)),
            }
            file_word = word;
        }
        for notice in sim.take_notices() {
            say(&describe_notice(&notice, lang));
        }
        for (command, typed) in commands {
            match command {
                Command::Quit => {
                    for notice in sim.stop_and_take_notices() {
                        say(&describe_notice(&notice, lang));
                    }
                    say(lang.pick("打印机模拟器已停止。", "Printer simulator stopped."));
                    return Ok(());
                }
                Command::State(state) => {
                    sim.set_state(state);
                    if typed {
                        file_word = state.as_str().to_string();
                        let _ = write_private(&state_file, &format!("{file_word}\n"));
                    }
                    say(&format!(
                        "{}{}",
                        lang.pick("当前状态：", "State: "),
                        state.describe(lang)
                    ));
                }
            }
        }
    }
}

fn unknown_word(word: &str, lang: Lang) -> String {
    let words = SimState::ALL.map(SimState::as_str).join(", ");
    match lang {
        Lang::ZhCn => format!("不认识“{word}”：可用 {words}, quit"),
        Lang::En => format!("unknown word {word:?}: use {words}, quit"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::escpos;

    fn well_formed(byte: u8) -> bool {
        byte & 0b1001_0011 == STATUS_FIXED
    }

    #[test]
    fn a_ready_printer_answers_every_query_with_only_the_fixed_bits() {
        for n in 1..=4 {
            assert_eq!(status_reply(SimState::Ready, n), Some(0x12), "n={n}");
        }
    }

    #[test]
    fn each_fault_sets_its_epson_bits() {
        use SimState::*;
        let table = [
            (PaperNearEnd, [0x12, 0x12, 0x12, 0x1E]),
            (PaperOut, [0x1A, 0x32, 0x12, 0x7E]),
            (CoverOpen, [0x1A, 0x16, 0x12, 0x12]),
            (Offline, [0x1A, 0x52, 0x52, 0x12]),
        ];
        for (state, replies) in table {
            for (n, expected) in (1..=4).zip(replies) {
                let reply = status_reply(state, n).unwrap();
                assert_eq!(reply, expected, "{state:?} n={n}");
                assert!(well_formed(reply), "{state:?} n={n}");
            }
        }
    }

    #[test]
    fn garbage_replies_are_no_status_bytes_and_silence_is_nothing() {
        for n in 1..=4 {
            let garbage = reply_bytes(SimState::Garbage, n);
            assert_eq!(garbage, GARBAGE_REPLY);
            assert!(garbage.iter().all(|&b| !well_formed(b)));
            assert_eq!(status_reply(SimState::Silent, n), None);
            assert!(reply_bytes(SimState::Silent, n).is_empty());
        }
        assert_eq!(status_reply(SimState::Ready, 0), None);
        assert_eq!(status_reply(SimState::Ready, 5), None);
    }

    #[test]
    fn state_words_read_back_as_their_state() {
        for state in SimState::ALL {
            assert_eq!(SimState::parse(state.as_str()), Some(state));
        }
        assert_eq!(SimState::parse(" Paper-Out\n"), Some(SimState::PaperOut));
        assert_eq!(SimState::parse("ready"), Some(SimState::Ready));
        assert_eq!(SimState::parse("jam"), None);
        assert!(matches!(parse_command("quit\n"), Some(Command::Quit)));
    }

    fn job(text: &str) -> Vec<u8> {
        let mut bytes = escpos::init().to_vec();
        bytes.extend(text.as_bytes());
        bytes.push(escpos::LF);
        bytes.extend(escpos::cut());
        bytes
    }

    /// Columns of the paper in these tests (an 80 mm printer's).
    const COLUMNS: usize = 48;

    fn feed(printer: &mut Printer, bytes: &[u8], state: SimState) -> Vec<Output<String>> {
        let mut out = Vec::new();
        printer.feed(bytes, state, &mut out);
        texts(out)
    }

    fn texts(out: Vec<Output>) -> Vec<Output<String>> {
        out.into_iter().map(Output::text).collect()
    }

    fn end(printer: &mut Printer, reason: PartialReason) -> Vec<Output<String>> {
        let mut out = Vec::new();
        printer.end(SimState::Ready, reason, &mut out);
        texts(out)
    }

    fn quiet(printer: &mut Printer) -> Vec<Output<String>> {
        let mut out = Vec::new();
        printer.quiet(&mut out);
        texts(out)
    }

    #[test]
    fn a_receipt_keeps_the_paper_it_printed_on_with_the_token_masked() {
        let token = crate::passbook::Token::from_random([3; 16]);
        let mut bytes = escpos::init().to_vec();
        bytes.extend(escpos::align(escpos::Align::Center));
        bytes.extend(escpos::bold(true));
        bytes.extend(b"Title\n");
        bytes.extend(escpos::qr(token.as_str().as_bytes(), 4));
        bytes.extend(escpos::cut());
        let mut printer = Printer::new(32);
        let mut out = Vec::new();
        printer.feed(&bytes, SimState::Ready, &mut out);
        let [Output::Receipt(receipt)] = &out[..] else {
            panic!("{out:?}")
        };
        let paper = &receipt.paper;
        assert_eq!(paper.columns, 32);
        assert_eq!(paper.lines[0].text(), "Title");
        assert_eq!(paper.lines[0].align, crate::printer::decode::Align::Center);
        assert!(paper.lines[0].spans[0].style.bold);
        let masked = format!("{}…", &token.as_str()[..6]);
        assert_eq!(
            paper.lines[1].picture,
            Some(crate::printer::paper::Picture::Qr(masked))
        );
    }

    #[test]
    fn a_cut_ends_a_receipt_and_queries_around_it_are_answered_but_not_printed() {
        let mut printer = Printer::new(COLUMNS);
        let mut bytes = escpos::status_query(1).to_vec();
        bytes.extend(job("one"));
        bytes.extend(escpos::status_query(4));
        bytes.extend(job("two"));
        let out = feed(&mut printer, &bytes, SimState::Ready);
        assert_eq!(
            out,
            vec![
                Output::Reply(vec![0x12]),
                Output::Receipt("[INIT]\none\n[CUT partial]\n".into()),
                Output::Reply(vec![0x12]),
                Output::Receipt("[INIT]\ntwo\n[CUT partial]\n".into()),
            ]
        );
    }

    #[test]
    fn paper_out_discards_the_job_and_keeps_what_was_printed_as_partial() {
        let mut printer = Printer::new(COLUMNS);
        let bytes = job("whole");
        let out = feed(&mut printer, &bytes, SimState::PaperOut);
        assert_eq!(out, vec![Output::Discarding(SimState::PaperOut)]);

        let out = feed(&mut printer, &bytes[..8], SimState::Ready);
        assert!(out.is_empty(), "{out:?}");
        let mut out = feed(&mut printer, &bytes[8..], SimState::PaperOut);
        out.extend(feed(
            &mut printer,
            &escpos::status_query(4),
            SimState::PaperOut,
        ));
        out.extend(feed(&mut printer, &job("again"), SimState::Ready));
        assert_eq!(
            out,
            vec![
                Output::Partial(
                    PartialReason::StoppedPrinting(SimState::PaperOut),
                    "[INIT]\nwhole\n[PARTIAL: paper-out]\n".into()
                ),
                Output::Discarding(SimState::PaperOut),
                Output::Reply(vec![0x7E]),
                Output::Receipt("[INIT]\nagain\n[CUT partial]\n".into()),
            ]
        );
    }

    #[test]
    fn ending_mid_receipt_flushes_held_text_into_a_partial_and_settings_alone_are_nothing() {
        let mut printer = Printer::new(COLUMNS);
        assert!(feed(&mut printer, b"\x1b@held", SimState::Ready).is_empty());
        let mut out = Vec::new();
        out.extend(end(&mut printer, PartialReason::PortClosed));
        assert_eq!(
            out,
            vec![Output::Partial(
                PartialReason::PortClosed,
                "[INIT]\nheld\n[PARTIAL: port closed]\n".into()
            )]
        );

        assert!(feed(&mut printer, b"\x1b@\x1c&", SimState::Ready).is_empty());
        let mut out = Vec::new();
        out.extend(end(&mut printer, PartialReason::PortClosed));
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn a_job_for_a_printer_without_a_cutter_is_torn_off_after_its_blank_lines() {
        let job = |text: &str| {
            [
                &escpos::init()[..],
                text.as_bytes(),
                b"\n",
                &escpos::feed(4),
            ]
            .concat()
        };
        let torn = |text: &str| format!("[INIT]\n{text}\n\n\n\n\n");
        let mut printer = Printer::new(COLUMNS);
        let mut bytes = job("one");
        bytes.extend(escpos::status_query(1));
        bytes.extend(job("two"));
        bytes.extend(job("three"));
        let mut out = feed(&mut printer, &bytes, SimState::Ready);
        out.extend(quiet(&mut printer));
        assert_eq!(
            out,
            vec![
                Output::Receipt(torn("one")),
                Output::Reply(vec![0x12]),
                Output::Receipt(torn("two")),
                Output::Receipt(torn("three")),
            ]
        );

        // Blank lines before a cut are the cutter's: one receipt.
        let mut bytes = job("cut");
        bytes.extend(escpos::cut());
        let out = feed(&mut printer, &bytes, SimState::Ready);
        assert_eq!(
            out,
            vec![Output::Receipt(format!("{}[CUT partial]\n", torn("cut")))]
        );

        // Closed after the blank lines: complete; before them: partial.
        let mut out = feed(&mut printer, &job("four"), SimState::Ready);
        out.extend(end(&mut printer, PartialReason::PortClosed));
        assert_eq!(out, vec![Output::Receipt(torn("four"))]);
        let mut out = feed(&mut printer, b"\x1b@five\n\n", SimState::Ready);
        out.extend(end(&mut printer, PartialReason::PortClosed));
        assert_eq!(
            out,
            vec![Output::Partial(
                PartialReason::PortClosed,
                "[INIT]\nfive\n\n[PARTIAL: port closed]\n".into()
            )]
        );
    }

    #[test]
    fn a_receipt_without_a_cut_keeps_a_bounded_number_of_events() {
        let mut printer = Printer::new(COLUMNS);
        let lines = b"x\n".repeat(RECEIPT_EVENTS_MAX);
        assert!(feed(&mut printer, &lines, SimState::Ready).is_empty());
        let out = feed(&mut printer, &escpos::cut(), SimState::Ready);
        let [Output::Receipt(text)] = &out[..] else {
            panic!("{out:?}")
        };
        assert!(text.ends_with(&format!(
            "[… {} more events not kept]\n",
            RECEIPT_EVENTS_MAX + 1
        )));
    }

    #[test]
    fn receipt_numbering_continues_after_the_files_already_there() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(next_file_number(dir.path()).unwrap(), 1);
        for name in [
            "receipt-0002.txt",
            "receipt-0007-partial.txt",
            "notes.txt",
            "state",
        ] {
            fs::write(dir.path().join(name), "").unwrap();
        }
        assert_eq!(next_file_number(dir.path()).unwrap(), 8);
    }
}
