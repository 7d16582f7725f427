//! Runs the counter: the terminal, the scanner detector, and a worker thread that owns the
//! ledger and the printer. Effects go to the worker; its results come back as messages, so a
//! slow commit or a printer timeout never freezes the screen.

use super::model::*;
use super::update::update;
use super::view::view;
use crate::home::Home;
use crate::i18n::Lang;
use crate::ledger::{AccountSummary, Ledger, LedgerError, RedeemRequest, Session, short_txn};
use crate::printer::layout;
use crate::printer::print::{Outcome, PrintService};
use crate::printer::setup;
use crate::printer::sim::Simulator;
use crate::printer::status::Verdict;
use crate::scanner::{Detected, Input, WedgeDetector};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

/// Longest the UI waits for a terminal event before it redraws and ticks.
const POLL_MS_MAX: u64 = 100;
/// How long the worker waits for the simulator to show a slip it printed.
const SIM_SLIP_WAIT_MS: u64 = 3_000;
/// Baud of a serial scanner when config.toml names none.
const SERIAL_SCANNER_BAUD_DEFAULT: u32 = 9600;
/// History lines shown on the resident screen.
const HISTORY_LINES: usize = 10;

/// Demo data the worker uses to simulate scans.
#[derive(Clone, Debug, Default)]
pub struct DemoScans {
    pub passbooks: Vec<String>,
    pub barcodes: Vec<String>,
}

/// A resident opened by a passbook number typed by hand, and the administrator who confirmed
/// it: their session goes with this resident's bookings only.
struct Confirmed {
    number: String,
    admin: Session,
}

/// The worker: owns the ledger, the session and the printer.
struct Worker {
    ledger: Ledger,
    session: Option<Session>,
    /// Kept while the resident looked up by number is open, and for them only.
    confirmed: Option<Confirmed>,
    printer: Option<(PrintService, Option<Simulator>)>,
    lang: Lang,
    demo: Option<DemoScans>,
    started: Instant,
    picks: u64,
}

impl Worker {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn run(mut self, effects: Receiver<Effect>, out: Sender<Msg>) {
        for effect in effects {
            if effect == Effect::Quit {
                break;
            }
            let Some(msg) = self.apply(effect) else {
                continue;
            };
            log_outcome(&msg);
            if out.send(msg).is_err() {
                break;
            }
        }
    }

    fn apply(&mut self, effect: Effect) -> Option<Msg> {
        let lang = self.lang;
        match effect {
            Effect::Login { operator, pin } => Some(Msg::LoggedIn(
                self.ledger
                    .login(&operator, &pin)
                    .map(|s| {
                        let operator = Operator {
                            number: s.operator().to_string(),
                            name: s.name().to_string(),
                        };
                        self.session = Some(s);
                        operator
                    })
                    .map_err(|e| e.message(lang)),
            )),
            Effect::Logout => {
                self.session = None;
                self.confirmed = None;
                None
            }
            Effect::LoadAccount { scan } => Some(Msg::Account(self.open_account(scan))),
            Effect::LookUpNumber { number, admin, pin } => {
                Some(Msg::Account(self.look_up_number(&number, &admin, &pin)))
            }
            Effect::CloseResident => {
                self.confirmed = None;
                None
            }
            Effect::LoadCatalog => Some(Msg::Catalog(self.ledger.items().unwrap_or_default())),
            Effect::LoadActivities => Some(Msg::Activities(
                self.ledger.activities().unwrap_or_default(),
            )),
            Effect::Earn {
                scan,
                activity,
                minutes,
                event,
            } => {
                let Some(session) = &self.session else {
                    return Some(Msg::Earned(Err(super::strings::S::Locked.get(lang).into())));
                };
                let request = crate::ledger::EarnRequest {
                    confirmed_by: self.confirmation_for(&scan),
                    scan,
                    activity,
                    minutes,
                    event,
                    txn: None,
                };
                Some(Msg::Earned(
                    self.ledger
                        .earn(session, &request)
                        .map_err(|e| e.message(lang)),
                ))
            }
            Effect::Redeem { scan, lines, txn } => {
                let Some(session) = &self.session else {
                    return Some(Msg::Redeemed(Err(super::strings::S::Locked
                        .get(lang)
                        .into())));
                };
                let request = RedeemRequest {
                    confirmed_by: self.confirmation_for(&scan),
                    scan,
                    lines,
                    txn: Some(txn),
                };
                Some(Msg::Redeemed(
                    self.ledger
                        .redeem(session, &request)
                        .map_err(|e| e.message(lang)),
                ))
            }
            Effect::Print { receipt } => Some(Msg::Printed(self.print(&receipt, false))),
            Effect::FindTxn { text } => Some(Msg::TxnFound(self.find_txn(&text))),
            Effect::Reprint { txn } => Some(Msg::PrintedAs {
                what: Printout::Reprint {
                    short: short_txn(&txn).to_string(),
                },
                result: self
                    .ledger
                    .receipt(&txn)
                    .map_err(|e| e.message(lang))
                    .and_then(|receipt| self.print(&receipt, true)),
            }),
            Effect::PrintDayClose => {
                let day = self.ledger.today();
                let result = self.print_day_close(&day);
                Some(Msg::PrintedAs {
                    what: Printout::DayClose { day },
                    result,
                })
            }
            Effect::Reverse {
                admin,
                pin,
                txn,
                reason,
                id,
            } => {
                // The administrator's PIN is checked by the ledger like any login; the
                // counter's own session stays as it is.
                let result = self
                    .ledger
                    .login(&admin, &pin)
                    .and_then(|admin| self.ledger.reverse(&admin, &txn, &reason, Some(id)))
                    .map_err(|e| e.message(lang));
                Some(Msg::Reversed(result))
            }
            Effect::RefreshStatus => Some(self.status()),
            Effect::LoadSync => Some(Msg::Sync(self.ledger.sync_status().ok().map(Box::new))),
            Effect::Restock { item, qty, donor } => Some(Msg::Stocked(match &self.session {
                Some(session) => self
                    .ledger
                    .restock(session, &item, qty, donor.as_deref())
                    .map_err(|e| e.message(lang)),
                None => Err(super::strings::S::Locked.get(lang).into()),
            })),
            Effect::Count { item, counted } => Some(Msg::Stocked(match &self.session {
                Some(session) => self
                    .ledger
                    .count_stock(session, &item, counted)
                    .map_err(|e| e.message(lang)),
                None => Err(super::strings::S::Locked.get(lang).into()),
            })),
            Effect::TestPrint => Some(Msg::Printed(self.test_print())),
            Effect::LoadReport => Some(Msg::Report(
                self.ledger
                    .day_report(&self.ledger.today())
                    .map_err(|e| e.message(lang)),
            )),
            Effect::DemoScanPassbook => self.demo_pick(|d| &d.passbooks),
            Effect::DemoScanItem => self.demo_pick(|d| &d.barcodes),
            Effect::Quit => None,
        }
    }

    fn open_account(&mut self, scan: String) -> Result<Opened, String> {
        let lang = self.lang;
        if let Some(confirmed) = self.confirmed.as_ref().filter(|c| c.number == scan) {
            // The resident looked up by number, refreshed under the same confirmation.
            let admin = confirmed.admin.operator().to_string();
            return self
                .ledger
                .account_by_number(&confirmed.admin, &scan, HISTORY_LINES)
                .map(|account| opened(account, scan, Some(admin)))
                .map_err(|e| e.message(lang));
        }
        self.confirmed = None;
        self.ledger
            .account(&scan, HISTORY_LINES)
            .map(|account| opened(account, scan, None))
            .map_err(|e| e.message(lang))
    }

    /// A passbook number typed by hand: the administrator's PIN is checked by the ledger's
    /// login, and the ledger's look-up by number refuses anyone but an administrator.
    fn look_up_number(&mut self, number: &str, admin: &str, pin: &str) -> Result<Opened, String> {
        self.confirmed = None;
        let admin = self
            .ledger
            .login(admin, pin)
            .map_err(|e| e.message(self.lang))?;
        let account = self
            .ledger
            .account_by_number(&admin, number, HISTORY_LINES)
            .map_err(|e| e.message(self.lang))?;
        let scan = account.passbook.clone();
        let by = admin.operator().to_string();
        self.confirmed = Some(Confirmed {
            number: scan.clone(),
            admin,
        });
        Ok(opened(account, scan, Some(by)))
    }

    /// The administrator's session for a booking of the resident they confirmed, else none.
    fn confirmation_for(&self, scan: &str) -> Option<Session> {
        self.confirmed
            .as_ref()
            .filter(|c| c.number == scan)
            .map(|c| c.admin.clone())
    }

    /// The txn `text` names, its time in local time (as the ledger gives the candidates).
    fn find_txn(&self, text: &str) -> Result<crate::ledger::Receipt, TxnProblem> {
        match self.ledger.receipt(text) {
            Ok(mut receipt) => {
                receipt.recorded_at = self.ledger.local_time(&receipt.recorded_at);
                Ok(receipt)
            }
            Err(LedgerError::TxnAmbiguous {
                candidates, more, ..
            }) => Err(TxnProblem::Ambiguous { candidates, more }),
            Err(e) => Err(TxnProblem::Refused(e.message(self.lang))),
        }
    }

    /// The day-close (Z) slip of `day`: its totals, printed like `day-close --print`.
    fn print_day_close(&mut self, day: &str) -> Result<PrintedSlip, String> {
        let lang = self.lang;
        let totals = self.ledger.day_totals(day).map_err(|e| e.message(lang))?;
        let now = crate::store::log::format_time(self.ledger.now());
        let operator = self.session.as_ref().map(|s| s.operator().to_string());
        let header = crate::present::slip_header(&self.ledger, operator.as_deref(), &now);
        let close = crate::present::day_close(lang, day, &totals);
        let blocks = layout::day_close_slip(&header, &close, lang, false);
        self.submit_blocks("day_close", &blocks)
    }

    /// Prints blocks that belong to no txn (a test slip, the day close); the simulator's paper
    /// of it comes back.
    fn submit_blocks(
        &mut self,
        kind: &str,
        blocks: &[layout::Block],
    ) -> Result<PrintedSlip, String> {
        let lang = self.lang;
        let (service, sim) = self.printer()?;
        let before = sim.as_ref().map_or(0, Simulator::finished);
        let outcome = service
            .submit(None, kind, blocks)
            .map_err(|e| e.to_string())?;
        printed(outcome, sim.as_ref(), before, lang)
    }

    fn demo_pick(&mut self, from: impl Fn(&DemoScans) -> &Vec<String>) -> Option<Msg> {
        let list = from(self.demo.as_ref()?);
        if list.is_empty() {
            return None;
        }
        self.picks = self
            .picks
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let scan = list[(self.picks >> 33) as usize % list.len()].clone();
        Some(Msg::Scan(scan, self.now_ms()))
    }

    fn printer(&mut self) -> Result<&mut (PrintService, Option<Simulator>), String> {
        if self.printer.is_none() {
            let home_dir = self.ledger_home();
            let home = Home { dir: home_dir };
            let set_up = setup::configured(&home).map_err(|e| e.message(self.lang))?;
            self.printer = Some(set_up);
        }
        Ok(self.printer.as_mut().expect("set above"))
    }

    fn ledger_home(&self) -> std::path::PathBuf {
        self.ledger
            .connection()
            .path()
            .and_then(|p| std::path::Path::new(p).parent().map(|d| d.to_path_buf()))
            .unwrap_or_default()
    }

    fn print(
        &mut self,
        receipt: &crate::ledger::Receipt,
        copy: bool,
    ) -> Result<PrintedSlip, String> {
        let lang = self.lang;
        let header = crate::present::slip_header(
            &self.ledger,
            receipt.operator.as_deref(),
            &receipt.recorded_at,
        );
        let blocks = layout::txn_slip(&header, receipt, lang, copy);
        let kind = format!("{:?}", receipt.kind).to_lowercase();
        let (service, sim) = self.printer()?;
        let before = sim.as_ref().map_or(0, Simulator::finished);
        let outcome = if copy {
            service.reprint(&receipt.txn, &kind, &blocks)
        } else {
            service.submit(Some(&receipt.txn), &kind, &blocks)
        };
        printed(
            outcome.map_err(|e| e.to_string())?,
            sim.as_ref(),
            before,
            lang,
        )
    }

    fn test_print(&mut self) -> Result<PrintedSlip, String> {
        let lang = self.lang;
        let blocks = layout::test_slip(&self.printer()?.0.profile, lang);
        self.submit_blocks("test", &blocks)
    }

    fn status(&mut self) -> Msg {
        let low_stock = self
            .ledger
            .items()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.enabled && i.stock.is_some_and(|s| s < LOW_STOCK_UNITS))
            .map(|i| format!("{} {}", i.name, i.stock.unwrap_or(0)))
            .collect();
        // Asked as `hw status` asks it, the simulator too.
        let lang = self.lang;
        let printer = match self.printer() {
            Err(message) => PrinterState::Problem(message),
            Ok((service, sim)) => match service.status() {
                Verdict::Ready { paper_near_end } => PrinterState::Ready {
                    simulator: sim.is_some(),
                    paper_near_end,
                },
                Verdict::Unknown => PrinterState::Unchecked,
                Verdict::Problem(problem) => PrinterState::Problem(problem.message(lang).into()),
            },
        };
        let clock = self
            .ledger
            .clock_warning()
            .ok()
            .flatten()
            .map(|w| w.message(self.lang));
        Msg::Status {
            printer,
            low_stock,
            clock,
            sync: self.ledger.sync_status().ok().map(Box::new),
        }
    }
}

/// What the counter is told about a slip that left: the simulator's paper of it (when the
/// simulator stands in for the printer), and a note when nobody knows whether it came out.
/// `receipts_before` counts the receipts the simulator had finished before this one (not
/// those it keeps, which stop growing at its limit).
fn printed(
    outcome: Outcome,
    sim: Option<&Simulator>,
    receipts_before: usize,
    lang: Lang,
) -> Result<PrintedSlip, String> {
    let simulated = || {
        sim.and_then(|s| {
            s.wait_papers(receipts_before + 1, Duration::from_millis(SIM_SLIP_WAIT_MS))
                .last()
                .cloned()
        })
    };
    match outcome {
        Outcome::Printed { .. } => Ok(PrintedSlip {
            slip: simulated(),
            note: None,
        }),
        Outcome::SentUnchecked { .. } => Ok(PrintedSlip {
            slip: simulated(),
            note: Some(crate::printer::status::sent_unchecked_message(lang).to_string()),
        }),
        Outcome::Queued { problem, .. } => Err(problem.message(lang).to_string()),
    }
}

/// The counter without a terminal: the same update, view, worker and scanner detector, with
/// effects run in line. Scripted tests drive it key by key with the timings of a person, a
/// slow scanner or a scanner; every key goes through the detector with the time the terminal
/// loop would give it, and the detector is ticked when its deadline passes, as the loop does.
pub struct Headless {
    pub model: Model,
    worker: Worker,
    detector: WedgeDetector,
    clock_ms: u64,
}

/// A person types about 8 keys a second.
pub const PERSON_KEY_GAP_MS: u64 = 125;
/// A slow scanner types 60–90 ms a key: slower than the detector's burst gap, so it is typing.
pub const SLOW_SCANNER_KEY_GAPS_MS: [u64; 4] = [60, 75, 90, 70];
/// A scanner types 50 keys a second or more, irregularly as USB polling makes it.
pub const SCANNER_KEY_GAPS_MS: [u64; 6] = [3, 8, 5, 20, 2, 12];
/// From the last key before a scan to the scan's first key: the passbook is held up.
pub const BEFORE_SCAN_MS: u64 = 400;

impl Headless {
    pub fn open(
        home: &Home,
        lang: Lang,
        demo: Option<DemoScans>,
    ) -> Result<Headless, crate::ledger::LedgerError> {
        let (model, worker) = start(home, home.open()?, lang, demo);
        let scanner = home.config().map(|c| c.scanner).unwrap_or_default();
        Ok(Headless {
            model,
            worker,
            detector: WedgeDetector::new(scanner.wedge),
            clock_ms: 0,
        })
    }

    /// Sends a message and runs every effect it causes (and theirs) to the end.
    pub fn send(&mut self, msg: Msg) {
        let mut queue = std::collections::VecDeque::from([msg]);
        // Every effect yields at most one message, and no message loops back forever; the
        // bound only guards a future mistake.
        for _ in 0..HEADLESS_STEPS_MAX {
            let Some(msg) = queue.pop_front() else { return };
            for effect in update(&mut self.model, msg) {
                if let Some(next) = self.worker.apply(effect) {
                    queue.push_back(next);
                }
            }
        }
    }

    /// A key `gap_ms` after the previous input, through the scanner detector.
    pub fn key_after(&mut self, gap_ms: u64, key: Key) {
        self.clock_ms += gap_ms;
        self.tick_due(self.clock_ms);
        for msg in key_msgs(&mut self.detector, key, self.clock_ms) {
            self.send(msg);
        }
        self.send(Msg::Tick(self.clock_ms));
    }

    /// Waits out the detector: what it still holds is decided, as the terminal loop's poll
    /// would time out at the deadline.
    pub fn settle(&mut self) {
        if let Some(deadline) = self.detector.deadline() {
            self.tick_due(deadline);
            self.clock_ms = self.clock_ms.max(deadline);
        }
    }

    fn tick_due(&mut self, now: u64) {
        let Some(deadline) = self.detector.deadline().filter(|d| *d <= now) else {
            return;
        };
        for msg in detected_msgs(self.detector.tick(deadline), deadline) {
            self.send(msg);
        }
        self.send(Msg::Tick(deadline));
    }

    /// A person pressing one key.
    pub fn press(&mut self, key: Key) {
        self.key_after(PERSON_KEY_GAP_MS, key);
        self.settle();
    }

    /// A person typing `text`, about 8 keys a second.
    pub fn type_text(&mut self, text: &str) {
        text.chars().for_each(|c| self.press(Key::Char(c)));
    }

    /// A slow scanner typing `code` and Enter at 60–90 ms a key: typing, for the detector.
    pub fn scan_slowly(&mut self, code: &str) {
        self.typed_with_gaps(code, &SLOW_SCANNER_KEY_GAPS_MS, BEFORE_SCAN_MS);
    }

    /// A scanner typing `code` and Enter at 50+ keys a second: a scan, for the detector.
    pub fn scan(&mut self, code: &str) {
        self.typed_with_gaps(code, &SCANNER_KEY_GAPS_MS, BEFORE_SCAN_MS);
    }

    /// `text` then Enter, each key the next of `gaps_ms` (cycled) after the one before.
    pub fn typed_with_gaps(&mut self, text: &str, gaps_ms: &[u64], first_gap_ms: u64) {
        let mut gaps = gaps_ms.iter().copied().cycle();
        let mut gap = first_gap_ms;
        for c in text.chars() {
            self.key_after(gap, Key::Char(c));
            gap = gaps.next().unwrap_or(PERSON_KEY_GAP_MS);
        }
        self.key_after(gap, Key::Enter);
        self.settle();
    }

    /// Moves the clock on with no input (for the idle lock).
    pub fn idle(&mut self, ms: u64) {
        self.settle();
        self.clock_ms += ms;
        self.send(Msg::Tick(self.clock_ms));
    }

    pub fn ledger(&self) -> &Ledger {
        &self.worker.ledger
    }

    /// The screen as a person reads it at `width` × `height`, one line per row (a wide
    /// character's shadow cell skipped, so columns read as they look).
    pub fn screen(&self, width: u16, height: u16) -> String {
        use ratatui::backend::TestBackend;
        use unicode_width::UnicodeWidthStr;
        let mut terminal =
            ratatui::Terminal::new(TestBackend::new(width, height)).expect("a test backend");
        terminal
            .draw(|frame| view(frame, &self.model))
            .expect("drawing to memory");
        let buffer = terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..height {
            let mut x = 0;
            while x < width {
                let symbol = buffer[(x, y)].symbol();
                out.push_str(symbol);
                x += (symbol.width() as u16).max(1);
            }
            out.push('\n');
        }
        out
    }

    /// The simulator standing in for the printer, once something was printed.
    pub fn simulator(&self) -> Option<&Simulator> {
        self.worker
            .printer
            .as_ref()
            .and_then(|(_, sim)| sim.as_ref())
    }
}

/// The first model and the worker that will own the ledger.
fn start(home: &Home, ledger: Ledger, lang: Lang, demo: Option<DemoScans>) -> (Model, Worker) {
    let mut model = Model::new(lang, demo.is_some());
    model.home_dir = home.dir.display().to_string();
    model.counter = ledger.series().counter.clone();
    model.numbering = ledger.numbering().clone();
    model.today = ledger.today();
    let worker = Worker {
        ledger,
        session: None,
        confirmed: None,
        printer: None,
        lang,
        demo,
        started: Instant::now(),
        picks: DEMO_PICK_SEED,
    };
    (model, worker)
}

fn opened(account: AccountSummary, scan: String, confirmed_by: Option<String>) -> Opened {
    Opened {
        account,
        scan,
        confirmed_by,
    }
}

/// Seed of the demo's "random" passbook and barcode picks: the same sequence every run.
const DEMO_PICK_SEED: u64 = 42;

/// Messages a headless run handles at most per `send`.
const HEADLESS_STEPS_MAX: usize = 64;

/// The UI's key for a terminal key event; `None` for keys the counter does not use.
fn key_of(event: &KeyEvent) -> Option<Key> {
    if event.modifiers.contains(KeyModifiers::CONTROL) {
        return (event.code == KeyCode::Char('c')).then_some(Key::CtrlC);
    }
    Some(match event.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Tab => Key::Tab,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::F(n) => Key::F(n),
        _ => return None,
    })
}

/// What one key press at `at` ms means, the same for the terminal and a headless run: the raw
/// key (for the scanner test), then what the scanner detector decided. Characters, Enter and
/// Tab may be part of a scan, so only the detector releases them; other keys end any burst
/// and go to the UI at once.
fn key_msgs(detector: &mut WedgeDetector, key: Key, at: u64) -> Vec<Msg> {
    let input = match key {
        Key::Char(c) => Input::Key(c, at),
        Key::Enter => Input::Enter(at),
        Key::Tab => Input::Tab(at),
        _ => Input::Other(at),
    };
    let mut msgs = vec![Msg::RawKey(key, at)];
    msgs.extend(detected_msgs(detector.feed(input), at));
    if matches!(input, Input::Other(_)) {
        msgs.push(Msg::Key(key, at));
    }
    msgs
}

/// Turns what the scanner detector decided into messages.
fn detected_msgs(detected: Vec<Detected>, at: u64) -> Vec<Msg> {
    let mut msgs = Vec::new();
    for d in detected {
        match d {
            Detected::Typed(chars) => {
                msgs.extend(chars.into_iter().map(|c| Msg::Key(Key::Char(c), at)))
            }
            Detected::TypedEnter => msgs.push(Msg::Key(Key::Enter, at)),
            Detected::TypedTab => msgs.push(Msg::Key(Key::Tab, at)),
            Detected::Scan(scan) => msgs.push(Msg::Scan(scan, at)),
        }
    }
    msgs
}

/// Runs the counter UI on a terminal until the operator quits.
/// What the log keeps of the counter's work: each booked txn (its id, kind and points, never a
/// resident's name), refusals and printer trouble. Into the log file and the journal, never the
/// screen (see [`crate::logs`]).
fn log_outcome(msg: &Msg) {
    match msg {
        Msg::Earned(Ok(r)) | Msg::Redeemed(Ok(r)) | Msg::Reversed(Ok(r)) => {
            r.log_booked("counter: ")
        }
        Msg::Earned(Err(e)) | Msg::Redeemed(Err(e)) | Msg::Reversed(Err(e)) => {
            tracing::warn!("counter: refused: {e}")
        }
        Msg::LoggedIn(Err(e)) => tracing::warn!("counter: login refused: {e}"),
        Msg::LoggedIn(Ok(operator)) => {
            tracing::info!(operator = %operator.number, "counter: login")
        }
        Msg::Printed(Err(e)) => tracing::warn!("counter: printer: {e}"),
        _ => {}
    }
}

pub fn run(home: &Home, lang: Lang, demo: Option<DemoScans>) -> std::io::Result<()> {
    tracing::info!(home = %home.dir.display(), "counter: started");
    let ledger = home
        .open()
        .map_err(|e| std::io::Error::other(e.message(lang)))?;
    let (mut model, worker) = start(home, ledger, lang, demo);
    let (effect_tx, effect_rx) = mpsc::channel::<Effect>();
    let (msg_tx, msg_rx) = mpsc::channel::<Msg>();
    let worker_thread = std::thread::spawn(move || worker.run(effect_rx, msg_tx));
    let started = Instant::now();
    let now_ms = || started.elapsed().as_millis() as u64;
    let scanner = home
        .config()
        .map_err(|e| std::io::Error::other(e.message(lang)))?
        .scanner;
    let mut detector = WedgeDetector::new(scanner.wedge.clone());
    let stop_serial = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (serial_tx, serial_rx) = mpsc::channel::<String>();
    if let Some(path) = &scanner.serial {
        crate::scanner::serial_scans(
            path,
            scanner.serial_baud.unwrap_or(SERIAL_SCANNER_BAUD_DEFAULT),
            stop_serial.clone(),
            serial_tx,
        )
        .map_err(|e| std::io::Error::other(format!("{path}: {e}")))?;
    }
    let mut terminal = ratatui::init();
    let result = (|| -> std::io::Result<()> {
        let _ = effect_tx.send(Effect::RefreshStatus);
        while !model.quit {
            terminal.draw(|frame| view(frame, &model))?;
            let now = now_ms();
            let wait = detector
                .deadline()
                .map_or(POLL_MS_MAX, |d| d.saturating_sub(now).min(POLL_MS_MAX));
            let mut msgs = Vec::new();
            if event::poll(Duration::from_millis(wait))?
                && let Event::Key(key) = event::read()?
                && key.kind != KeyEventKind::Release
                && let Some(key) = key_of(&key)
            {
                msgs.extend(key_msgs(&mut detector, key, now_ms()));
            }
            let now = now_ms();
            msgs.extend(detected_msgs(detector.tick(now), now));
            msgs.extend(serial_rx.try_iter().map(|scan| Msg::Scan(scan, now)));
            msgs.extend(msg_rx.try_iter());
            msgs.push(Msg::Tick(now));
            for msg in msgs {
                for effect in update(&mut model, msg) {
                    let _ = effect_tx.send(effect);
                }
            }
        }
        Ok(())
    })();
    ratatui::restore();
    stop_serial.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = effect_tx.send(Effect::Quit);
    drop(effect_tx);
    let _ = worker_thread.join();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DEMO_ADMIN_PIN, DEMO_VOLUNTEER_PIN, seed};

    /// A worker on a seeded home, logged in as the volunteer; the passbooks' scans.
    fn worker() -> (tempfile::TempDir, Worker, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let seeded = seed(dir.path().join("home"), 3, 0).unwrap();
        let (home, scans) = (seeded.home, seeded.scans);
        drop(seeded.ledger);
        let (_, mut worker) = start(&home, home.open().unwrap(), Lang::En, None);
        let login = Effect::Login {
            operator: "002".into(),
            pin: DEMO_VOLUNTEER_PIN.into(),
        };
        assert!(matches!(worker.apply(login), Some(Msg::LoggedIn(Ok(_)))));
        (dir, worker, scans)
    }

    fn look_up(worker: &mut Worker, number: &str, pin: &str) -> Option<Msg> {
        worker.apply(Effect::LookUpNumber {
            number: number.into(),
            admin: "001".into(),
            pin: pin.into(),
        })
    }

    fn redeems(worker: &mut Worker, scan: &str) -> bool {
        let redeem = Effect::Redeem {
            scan: scan.into(),
            lines: vec![("G001".into(), 1)],
            txn: uuid::Uuid::now_v7(),
        };
        matches!(worker.apply(redeem), Some(Msg::Redeemed(Ok(_))))
    }

    #[test]
    fn a_typed_passbook_number_books_only_while_its_confirmed_resident_is_open() {
        let (_dir, mut worker, scans) = worker();
        let number = worker.ledger.account(&scans[0], 0).unwrap().passbook;
        assert!(
            !redeems(&mut worker, &number),
            "a number alone spends nothing"
        );
        assert!(matches!(
            look_up(&mut worker, &number, "0000"),
            Some(Msg::Account(Err(_)))
        ));
        assert!(
            !redeems(&mut worker, &number),
            "a wrong PIN confirms nothing"
        );

        assert!(matches!(
            look_up(&mut worker, &number, DEMO_ADMIN_PIN),
            Some(Msg::Account(Ok(Opened {
                confirmed_by: Some(_),
                ..
            })))
        ));
        assert!(redeems(&mut worker, &number));
        let other = worker.ledger.account(&scans[2], 0).unwrap().passbook;
        assert!(
            !redeems(&mut worker, &other),
            "the confirmation is for one passbook"
        );
        worker.apply(Effect::CloseResident);
        assert!(
            !redeems(&mut worker, &number),
            "the resident left the screen"
        );

        look_up(&mut worker, &number, DEMO_ADMIN_PIN);
        worker.apply(Effect::LoadAccount {
            scan: scans[1].clone(),
        });
        assert!(
            !redeems(&mut worker, &number),
            "another resident was opened"
        );
        assert!(
            redeems(&mut worker, &scans[1]),
            "a scan needs no one's confirmation"
        );
    }
}
