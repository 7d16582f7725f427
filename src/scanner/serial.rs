//! Scanners on a serial port (RS-232, or USB in CDC/virtual-COM mode): each scan arrives as
//! one line of bytes ended by CR, LF or CRLF. No timing guesswork is needed, and no input
//! method can garble what they send.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::wedge::SCAN_CHARS_MAX;

/// How long one read waits before the thread looks at its stop flag again: stopping takes at
/// most this long.
pub const READ_POLL: Duration = Duration::from_millis(100);

/// The longest line kept: a longest scan in UTF-8 (up to 4 bytes a character). A longer line
/// is line noise or a misconfigured device, and is dropped whole up to its terminator.
pub const LINE_BYTES_MAX: usize = 4 * SCAN_CHARS_MAX;

/// Quiet reads after which the start of a line without its terminator is dropped (1 s): a
/// scanner sends a code in one go, so a fragment that long alone is a cut scan or noise, and
/// must not be glued to the front of the next scan.
pub const PARTIAL_LINE_QUIET_POLLS: u32 = 10;

/// Bytes read at once.
const READ_CHUNK: usize = 256;

/// Opens the serial port at `path` and reads scans on a background thread, sending each line
/// (terminator removed, empty lines skipped) to `out`. The thread ends when `stop` is set
/// (within [`READ_POLL`]), when `out`'s receiver is gone, or when the port fails (unplugged);
/// in each case `out` is dropped, so the receiver sees the end. Fails at once when the port
/// cannot be opened.
pub fn serial_scans(
    path: &str,
    baud: u32,
    stop: Arc<AtomicBool>,
    out: Sender<String>,
) -> io::Result<JoinHandle<()>> {
    let port = serialport::new(path, baud)
        .timeout(READ_POLL)
        .open()
        .map_err(io::Error::from)?;
    thread::Builder::new()
        .name("serial-scanner".into())
        .spawn(move || read_scans(port, &stop, &out))
}

/// The reading loop: one iteration per read, each bounded by [`READ_POLL`].
fn read_scans(mut port: Box<dyn serialport::SerialPort>, stop: &AtomicBool, out: &Sender<String>) {
    let mut lines = LineSplitter::default();
    let mut chunk = [0u8; READ_CHUNK];
    let mut quiet_polls = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let n = match port.read(&mut chunk) {
            Ok(0) => return, // end of file: the device is gone
            Ok(n) => n,
            Err(e) if is_quiet(&e) => {
                quiet_polls = quiet_polls.saturating_add(1);
                if quiet_polls == PARTIAL_LINE_QUIET_POLLS {
                    lines.drop_partial();
                }
                continue;
            }
            Err(_) => return,
        };
        quiet_polls = 0;
        for line in chunk[..n].iter().filter_map(|b| lines.push(*b)) {
            if out.send(line).is_err() {
                return;
            }
        }
    }
}

/// Read errors that only mean "nothing arrived yet".
fn is_quiet(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
    )
}

/// Cuts a byte stream into scans at CR and LF, each at most [`LINE_BYTES_MAX`] bytes.
#[derive(Debug, Default)]
struct LineSplitter {
    line: Vec<u8>,
    /// The current line outgrew the limit: skip to its terminator.
    overlong: bool,
}

impl LineSplitter {
    /// Takes one byte; returns a finished scan, if this byte ended one.
    fn push(&mut self, byte: u8) -> Option<String> {
        if matches!(byte, b'\r' | b'\n') {
            let overlong = std::mem::take(&mut self.overlong);
            let line = std::mem::take(&mut self.line);
            return (!overlong && !line.is_empty()).then(|| decode(&line));
        }
        if self.overlong {
            return None;
        }
        if self.line.len() == LINE_BYTES_MAX {
            self.line.clear();
            self.overlong = true;
        } else {
            self.line.push(byte);
        }
        None
    }

    fn drop_partial(&mut self) {
        self.line.clear();
        self.overlong = false;
    }
}

/// Scanners send ASCII; those reading Chinese QR codes send UTF-8 or, set up for China, GBK.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GBK
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serialport::{SerialPort, TTYPort};
    use std::io::Write;
    use std::sync::mpsc;
    use std::time::Instant;

    fn split(bytes: &[u8]) -> Vec<String> {
        let mut lines = LineSplitter::default();
        bytes.iter().filter_map(|b| lines.push(*b)).collect()
    }

    #[test]
    fn cr_lf_and_crlf_end_lines_and_empty_lines_are_skipped() {
        let lines = split(b"PD1AB\r\n6901234567892\rG001\n\r\n\nlast-without-end");
        assert_eq!(lines, ["PD1AB", "6901234567892", "G001"]);
    }

    #[test]
    fn an_overlong_line_is_dropped_whole_and_the_next_one_is_kept() {
        let mut bytes = vec![b'A'; LINE_BYTES_MAX + 10];
        bytes.extend_from_slice(b"\r\nG001\r\n");
        assert_eq!(split(&bytes), ["G001"]);
        let mut longest = vec![b'B'; LINE_BYTES_MAX];
        longest.push(b'\r');
        assert_eq!(split(&longest), ["B".repeat(LINE_BYTES_MAX)]);
    }

    #[test]
    fn a_fragment_dropped_after_silence_does_not_prefix_the_next_scan() {
        let mut lines = LineSplitter::default();
        assert!(b"PD1AB".iter().all(|b| lines.push(*b).is_none()));
        lines.drop_partial();
        let got: Vec<String> = b"G001\r".iter().filter_map(|b| lines.push(*b)).collect();
        assert_eq!(got, ["G001"]);
    }

    #[test]
    fn utf8_and_gbk_chinese_both_decode() {
        assert_eq!(split("肥皂\r".as_bytes()), ["肥皂"]);
        let (gbk, _, _) = encoding_rs::GBK.encode("肥皂");
        let mut bytes = gbk.into_owned();
        bytes.push(b'\n');
        assert_eq!(split(&bytes), ["肥皂"]);
    }

    #[test]
    fn a_missing_port_fails_at_once() {
        let (tx, _rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        assert!(serial_scans("/dev/pointsdesk-no-such-scanner", 9600, stop, tx).is_err());
    }

    #[test]
    fn scans_arrive_from_a_pty_and_the_thread_stops_when_asked() {
        let (mut master, slave) = TTYPort::pair().expect("a pty pair");
        let path = slave.name().expect("the pty's name");
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let handle = serial_scans(&path, 9600, Arc::clone(&stop), tx).expect("open the pty");
        let mut noise = vec![b'~'; LINE_BYTES_MAX + 1];
        noise.push(b'\n');
        master.write_all(b"PD1ABC\r\n6901234567892\r").unwrap();
        master.write_all(&noise).unwrap();
        master.write_all(b"G001\n").unwrap();
        let wait = Duration::from_secs(5);
        for expected in ["PD1ABC", "6901234567892", "G001"] {
            assert_eq!(rx.recv_timeout(wait).as_deref(), Ok(expected));
        }
        let asked = Instant::now();
        stop.store(true, Ordering::Relaxed);
        handle.join().expect("the thread ends cleanly");
        assert!(asked.elapsed() < READ_POLL * 5, "{:?}", asked.elapsed());
        assert!(rx.recv().is_err(), "the sender is dropped with the thread");
    }
}
