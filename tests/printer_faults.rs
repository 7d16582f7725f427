//! Printer faults end the same way: the slip waits in the print queue with the reason, the
//! ledger has exactly one effect, and one reprint gives exactly one slip (marked 重印).
//! Real bytes go through a pseudo-terminal to the printer simulator.

mod common;

use common::*;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{Ledger, Receipt};
use pointsdesk::printer::layout::{self, SlipHeader};
use pointsdesk::printer::print::{Opener, Outcome, PrintService};
use pointsdesk::printer::profile::Profile;
use pointsdesk::printer::queue::Queue;
use pointsdesk::printer::sim::{SimConfig, SimState, Simulator};
use pointsdesk::printer::status::Problem;
use pointsdesk::printer::transport::{Flow, SerialConfig, SerialTransport, Transport};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const RECEIPT_WAIT: Duration = Duration::from_secs(5);

/// What a test transport does in the middle of the job's bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MidJob {
    Nothing,
    /// The paper runs out after half the slip.
    PaperOut,
    /// The cable is pulled after half the slip.
    Unplug,
}

/// The serial port to the simulator, with a fault injected halfway through the first job
/// larger than a status query.
struct Faulty {
    inner: SerialTransport,
    sim: Arc<Mutex<Option<Simulator>>>,
    fault: MidJob,
}

impl Transport for Faulty {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.fault == MidJob::Nothing || bytes.len() <= 3 {
            return self.inner.write_all(bytes);
        }
        let (first, rest) = bytes.split_at(bytes.len() / 2);
        self.inner.write_all(first)?;
        match std::mem::replace(&mut self.fault, MidJob::Nothing) {
            MidJob::PaperOut => {
                std::thread::sleep(Duration::from_millis(100));
                if let Some(sim) = self.sim.lock().unwrap().as_ref() {
                    sim.set_state(SimState::PaperOut);
                }
                self.inner.write_all(rest)
            }
            _ => Err(io::Error::new(io::ErrorKind::BrokenPipe, "cable pulled")),
        }
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        self.inner.read_byte(timeout)
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.inner.discard_input()
    }
}

struct Counter {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    sim: Arc<Mutex<Option<Simulator>>>,
    service: PrintService,
    receipt: Receipt,
}

fn sim(counter: &Counter) -> std::sync::MutexGuard<'_, Option<Simulator>> {
    counter.sim.lock().unwrap()
}

/// A redemption already committed, a simulator in `state`, and a print service whose first
/// job meets `fault`.
fn counter(profile: &str, state: SimState, fault: MidJob) -> Counter {
    let (dir, mut ledger, _admin, volunteer, _now) = new_home();
    let (_, book) = resident_with_passbook(&mut ledger, &volunteer, "张三明");
    earn(&mut ledger, &volunteer, book.token.as_str(), 120);
    let receipt = redeem(
        &mut ledger,
        &volunteer,
        book.token.as_str(),
        &[("G001", 2), ("S001", 1)],
    )
    .unwrap();
    let simulator = Simulator::start(SimConfig {
        out_dir: dir.path().join("sim"),
        state,
        paper_columns: Profile::built_in(profile).unwrap().columns,
    })
    .unwrap();
    let path = simulator.path().to_string();
    let sim = Arc::new(Mutex::new(Some(simulator)));
    let faults = Arc::new(Mutex::new(fault));
    let sim_for_opener = Arc::clone(&sim);
    let opener: Opener = Box::new(move || {
        let inner = SerialTransport::open(&SerialConfig {
            path: path.clone(),
            baud: 115_200,
            data_bits: 8,
            parity: 'N',
            stop_bits: 1,
            flow: Flow::None,
        })?;
        let fault = std::mem::replace(&mut *faults.lock().unwrap(), MidJob::Nothing);
        Ok(Box::new(Faulty {
            inner,
            sim: Arc::clone(&sim_for_opener),
            fault,
        }) as Box<dyn Transport>)
    });
    let queue = Queue::open(&dir.path().join("print-queue.db")).unwrap();
    let service = PrintService::new(Profile::built_in(profile).unwrap(), opener, queue);
    Counter {
        _dir: dir,
        ledger,
        sim,
        service,
        receipt,
    }
}

fn header() -> SlipHeader {
    SlipHeader {
        community: "三桥社区".into(),
        counter: "三桥爱心超市".into(),
        operator: "002 李建国".into(),
        local_time: "2025-03-14 10:00".into(),
    }
}

fn print(counter: &mut Counter, copy: bool) -> Outcome {
    let blocks = layout::txn_slip(&header(), &counter.receipt, Lang::ZhCn, copy);
    let txn = counter.receipt.txn.clone();
    if copy {
        counter.service.reprint(&txn, "redeem", &blocks).unwrap()
    } else {
        counter
            .service
            .submit(Some(&txn), "redeem", &blocks)
            .unwrap()
    }
}

/// The fault left the slip queued; after the fault is cleared one reprint gives one slip.
fn queued_then_one_reprint(mut counter: Counter, expected: Problem) {
    let entries = entry_count(counter.ledger.connection());
    let balance_after = balance(&counter.ledger, &counter.receipt.passbook);

    sim(&counter).as_ref().unwrap().take_notices();
    let outcome = print(&mut counter, false);
    assert!(
        matches!(outcome, Outcome::Queued { problem, .. } if problem == expected),
        "{outcome:?}"
    );
    let waiting = counter
        .service
        .queue()
        .waiting_for(&counter.receipt.txn)
        .unwrap();
    assert_eq!(waiting.len(), 1, "the slip waits in the queue");
    assert_eq!(waiting[0].problem.as_deref(), Some(expected.as_str()));
    // The attempt closed the port: once the simulator read all it was sent, nothing more of
    // this job can come out.
    let notices = sim(&counter)
        .as_ref()
        .unwrap()
        .wait_disconnected(RECEIPT_WAIT)
        .expect("the attempt closed the port");
    assert!(
        sim(&counter).as_ref().unwrap().receipts().is_empty(),
        "no whole slip came out: {notices:#?}"
    );

    sim(&counter).as_ref().unwrap().set_state(SimState::Ready);
    let outcome = print(&mut counter, true);
    assert!(matches!(outcome, Outcome::Printed { .. }), "{outcome:?}");
    let receipts = sim(&counter)
        .as_ref()
        .unwrap()
        .wait_receipts(1, RECEIPT_WAIT);
    sim(&counter)
        .as_ref()
        .unwrap()
        .wait_disconnected(RECEIPT_WAIT)
        .expect("the reprint closed the port");
    let receipts_now = sim(&counter).as_ref().unwrap().receipts();
    assert_eq!(
        receipts_now.len(),
        1,
        "exactly one slip after the reprint: {receipts_now:#?}"
    );
    assert!(receipts[0].contains("重印"), "{}", receipts[0]);
    assert!(
        receipts[0].contains(&pointsdesk::passbook::slip_qr::txn_qr_payload(
            &counter.receipt.txn
        ))
    );
    assert!(
        counter.service.queue().waiting().unwrap().is_empty(),
        "nothing waits any more"
    );

    assert_eq!(
        entry_count(counter.ledger.connection()),
        entries,
        "printing wrote nothing to the ledger"
    );
    assert_eq!(
        balance(&counter.ledger, &counter.receipt.passbook),
        balance_after
    );
    let redemptions: i64 = counter
        .ledger
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM entries WHERE txn = ?1",
            [&counter.receipt.txn],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(redemptions, 1, "one ledger effect");
}

#[test]
fn a_healthy_printer_prints_the_slip_once_and_nothing_waits() {
    let mut counter = counter("generic-80", SimState::Ready, MidJob::Nothing);
    let outcome = print(&mut counter, false);
    assert!(
        matches!(
            outcome,
            Outcome::Printed {
                paper_near_end: false,
                ..
            }
        ),
        "{outcome:?}"
    );
    let receipts = sim(&counter)
        .as_ref()
        .unwrap()
        .wait_receipts(1, RECEIPT_WAIT);
    assert_eq!(receipts.len(), 1);
    assert!(
        receipts[0].contains("洗衣皂") && receipts[0].contains("张*明"),
        "{}",
        receipts[0]
    );
    assert!(counter.service.queue().waiting().unwrap().is_empty());
}

#[test]
fn paper_running_low_prints_and_warns() {
    let mut counter = counter("generic-80", SimState::PaperNearEnd, MidJob::Nothing);
    let outcome = print(&mut counter, false);
    assert!(
        matches!(
            outcome,
            Outcome::Printed {
                paper_near_end: true,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[test]
fn paper_out_before_a_job_queues_the_slip_and_a_reprint_prints_it_once() {
    queued_then_one_reprint(
        counter("generic-80", SimState::PaperOut, MidJob::Nothing),
        Problem::PaperOut,
    );
}

#[test]
fn paper_out_in_the_middle_of_a_slip_queues_it_and_a_reprint_prints_it_once() {
    queued_then_one_reprint(
        counter("generic-80", SimState::Ready, MidJob::PaperOut),
        Problem::PaperOut,
    );
}

#[test]
fn a_cable_pulled_in_the_middle_of_a_slip_queues_it_and_a_reprint_prints_it_once() {
    queued_then_one_reprint(
        counter("generic-58", SimState::Ready, MidJob::Unplug),
        Problem::WriteFailed,
    );
}

#[test]
fn an_open_cover_queues_the_slip() {
    queued_then_one_reprint(
        counter("generic-80", SimState::CoverOpen, MidJob::Nothing),
        Problem::CoverOpen,
    );
}

#[test]
fn garbage_status_replies_queue_the_slip() {
    queued_then_one_reprint(
        counter("generic-80", SimState::Garbage, MidJob::Nothing),
        Problem::Garbage,
    );
}

#[test]
fn a_printer_that_never_answers_queues_the_slip() {
    queued_then_one_reprint(
        counter("generic-80", SimState::Silent, MidJob::Nothing),
        Problem::NoReply,
    );
}

#[test]
fn a_printer_that_is_not_there_queues_the_slip() {
    let mut counter = counter("generic-80", SimState::Ready, MidJob::Nothing);
    let dir = tempfile::tempdir().unwrap();
    let queue = Queue::open(&dir.path().join("q.db")).unwrap();
    counter.service = PrintService::new(
        Profile::built_in("generic-80").unwrap(),
        Box::new(|| Err(io::Error::new(io::ErrorKind::NotFound, "/dev/ttyUSB9"))),
        queue,
    );
    let outcome = print(&mut counter, false);
    assert!(
        matches!(
            outcome,
            Outcome::Queued {
                problem: Problem::NoReply,
                ..
            }
        ),
        "{outcome:?}"
    );
}
