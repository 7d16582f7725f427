//! Sending a slip: queue it, ask the printer's status, send the bytes, ask again. A slip is
//! marked printed only when the status after the job is fine; otherwise it waits in the queue
//! with the reason, and `reprint` prints it once. A transport that cannot answer status (a
//! plain file, `status=none`) gets the bytes without queries: the slip leaves the queue as
//! sent, and the outcome says its state is unknown, so the operator looks at the paper. The
//! ledger is never involved: what is printed was committed before.

use super::escpos;
use super::layout::{self, Block};
use super::profile::Profile;
use super::queue::Queue;
use super::status::{self, Problem, Verdict};
use super::transport::{STATUS_TIMEOUT_MS, Transport};
use std::io;
use std::time::Duration;

/// What happened to a slip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Printed {
        job: i64,
        paper_near_end: bool,
    },
    /// Sent to a transport that cannot answer status: whether it printed is unknown. It does
    /// not wait in the queue (nothing would tell us when to retry); a reprint is by hand.
    SentUnchecked {
        job: i64,
    },
    /// Not (or not surely) printed: it waits in the queue.
    Queued {
        job: i64,
        problem: Problem,
    },
}

/// How a job that left went, as far as the printer could say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivered {
    /// The printer was fine after the job.
    Checked { paper_near_end: bool },
    /// The transport cannot answer status: nothing was asked before or after.
    Unchecked,
}

/// Asks the status queries and reads one reply byte each; asks nothing of a transport that
/// cannot answer.
pub fn status(transport: &mut dyn Transport) -> Verdict {
    if !transport.answers_status() {
        return Verdict::Unknown;
    }
    if transport.discard_input().is_err() {
        return Verdict::Problem(Problem::NoReply);
    }
    let mut replies = [None; 3];
    for (i, n) in status::QUERIES.into_iter().enumerate() {
        // A query can be lost on its way (line noise, or a port that changed hands a moment
        // ago): the first one is asked a second time before the printer counts as silent.
        // A silent printer is then known after two waits, not one for each query.
        let tries = if i == 0 { 2 } else { 1 };
        for attempt in 0..tries {
            if attempt > 0 && transport.discard_input().is_err() {
                return Verdict::Problem(Problem::NoReply);
            }
            if transport.write_all(&escpos::status_query(n)).is_err() {
                return Verdict::Problem(Problem::WriteFailed);
            }
            replies[i] = transport
                .read_byte(Duration::from_millis(STATUS_TIMEOUT_MS))
                .ok()
                .flatten();
            if replies[i].is_some() {
                break;
            }
        }
        if replies[i].is_none() {
            return Verdict::Problem(Problem::NoReply);
        }
    }
    status::assess(replies)
}

/// Status, bytes, status: `Ok` only if the printer was fine before and after, or if it cannot
/// be asked at all ([`Delivered::Unchecked`]).
pub fn send(transport: &mut dyn Transport, bytes: &[u8]) -> Result<Delivered, Problem> {
    if let Verdict::Problem(problem) = status(transport) {
        return Err(problem);
    }
    transport
        .write_all(bytes)
        .map_err(|_| Problem::WriteFailed)?;
    match status(transport) {
        Verdict::Ready { paper_near_end } => Ok(Delivered::Checked { paper_near_end }),
        Verdict::Unknown => Ok(Delivered::Unchecked),
        Verdict::Problem(problem) => Err(problem),
    }
}

/// Opens the configured transport for one job.
pub type Opener = Box<dyn FnMut() -> io::Result<Box<dyn Transport>> + Send>;

/// The counter's printer: a profile, a way to reach it, and the queue.
pub struct PrintService {
    pub profile: Profile,
    opener: Opener,
    queue: Queue,
}

impl PrintService {
    pub fn new(profile: Profile, opener: Opener, queue: Queue) -> PrintService {
        PrintService {
            profile,
            opener,
            queue,
        }
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Asks the printer how it is, without printing.
    pub fn status(&mut self) -> Verdict {
        match (self.opener)() {
            Ok(mut transport) => status(transport.as_mut()),
            Err(_) => Verdict::Problem(Problem::NoReply),
        }
    }

    /// Queues the slip, then tries to print it.
    pub fn submit(
        &mut self,
        txn: Option<&str>,
        kind: &str,
        blocks: &[Block],
    ) -> rusqlite::Result<Outcome> {
        let job = self.queue.enqueue(txn, kind, blocks)?;
        self.attempt(job, blocks)
    }

    fn attempt(&mut self, job: i64, blocks: &[Block]) -> rusqlite::Result<Outcome> {
        let bytes = layout::render(blocks, &self.profile);
        let result = match (self.opener)() {
            Ok(mut transport) => send(transport.as_mut(), &bytes),
            Err(_) => Err(Problem::NoReply),
        };
        match result {
            Ok(Delivered::Checked { paper_near_end }) => {
                self.queue.mark_printed(job)?;
                Ok(Outcome::Printed {
                    job,
                    paper_near_end,
                })
            }
            Ok(Delivered::Unchecked) => {
                // Left the queue as sent: keeping it waiting would print it twice on the next
                // reprint if it did come out, and a passbook token must not stay in the queue.
                self.queue.mark_printed(job)?;
                Ok(Outcome::SentUnchecked { job })
            }
            Err(problem) => {
                self.queue.mark_failed(job, problem)?;
                Ok(Outcome::Queued { job, problem })
            }
        }
    }

    /// Prints a copy (marked 重印 / COPY) of a slip and retires the waiting jobs it replaces,
    /// so one reprint gives one slip however often the first attempt failed.
    pub fn reprint(
        &mut self,
        txn: &str,
        kind: &str,
        copy_blocks: &[Block],
    ) -> rusqlite::Result<Outcome> {
        let replaced: Vec<i64> = self.queue.waiting_for(txn)?.iter().map(|j| j.id).collect();
        let job = self.queue.enqueue(Some(txn), kind, copy_blocks)?;
        self.queue.supersede(&replaced)?;
        self.attempt(job, copy_blocks)
    }
}

/// Inserts the 重印 / COPY mark after a slip's title lines (for queued slips that cannot be
/// laid out again, such as a passbook slip whose token exists only in the queue).
pub fn mark_copy(blocks: &[Block], lang: crate::i18n::Lang) -> Vec<Block> {
    let mut out = blocks.to_vec();
    if !out.contains(&layout::copy_heading(lang)) {
        out.insert(out.len().min(2), layout::copy_heading(lang));
    }
    out
}
