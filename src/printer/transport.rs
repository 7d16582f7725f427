//! How bytes reach the printer: a serial port, TCP port 9100, or a device file such as
//! `/dev/usb/lp0`. Every write and every status read has a timeout: a printer that vanishes
//! mid-receipt must produce a message, not a frozen counter.
//!
//! Not every destination can answer a status query: a plain file (or a pipe) would hand our own
//! `DLE EOT` bytes back as a "reply". Such a transport says so ([`Transport::answers_status`])
//! and is sent the slip without queries; the print outcome then says the state is unknown.

use serialport::{DataBits, FlowControl, Parity, SerialPort, StopBits};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

/// Longest a job's bytes may take to leave: a raster-heavy 58 mm slip at 9600 baud is ~3 s.
pub const WRITE_TIMEOUT_MS: u64 = 10_000;
pub const CONNECT_TIMEOUT_MS: u64 = 3_000;
/// How long a status query waits for its reply byte.
pub const STATUS_TIMEOUT_MS: u64 = 500;
/// Reply bytes a device file's reader thread holds before it waits for us to take them.
const STATUS_REPLY_BYTES_BUFFERED: usize = 64;
/// The raw ESC/POS port of network printers.
pub const DEFAULT_TCP_PORT: u16 = 9100;

pub trait Transport: Send {
    /// Writes everything, or fails within the write timeout.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// One byte of a status reply; `Ok(None)` when nothing came within `timeout`.
    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>>;
    /// Drops bytes that arrived unasked (late replies), so the next reply is ours.
    fn discard_input(&mut self) -> io::Result<()>;
    /// Whether the other end can answer `DLE EOT` at all. When it cannot, nothing is asked:
    /// the job is sent and its outcome says the printer's state is unknown.
    fn answers_status(&self) -> bool {
        true
    }
}

/// Whether a device file is asked for its status (`file:PATH?status=…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// `status=auto` (the default): asked when the path is a character device (a printer such
    /// as `/dev/usb/lp0`), never when it is a plain file or a pipe, which cannot answer.
    Auto,
    /// `status=none`: never asked; for printers whose device file takes data but gives no
    /// replies (some USB printers, a spooler's device).
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    None,
    XonXoff,
    RtsCts,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialConfig {
    pub path: String,
    pub baud: u32,
    pub data_bits: u8,
    /// 'N', 'O' or 'E'.
    pub parity: char,
    pub stop_bits: u8,
    pub flow: Flow,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportConfig {
    Serial(SerialConfig),
    Tcp {
        addr: String,
    },
    DeviceFile {
        path: PathBuf,
        status: FileStatus,
    },
    /// The built-in printer simulator (a pseudo-terminal).
    Simulator,
}

/// Parses `serial:/dev/ttyUSB0?baud=9600&data=8&parity=none&stop=1&flow=rts-cts`,
/// `tcp:192.168.1.50[:9100]`, `file:/dev/usb/lp0[?status=none|auto]` or `sim`.
pub fn parse(spec: &str) -> Result<TransportConfig, String> {
    let spec = spec.trim();
    if spec == "sim" || spec == "simulator" {
        return Ok(TransportConfig::Simulator);
    }
    if let Some(rest) = spec.strip_prefix("tcp:") {
        let addr = if rest
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            rest.to_string()
        } else {
            format!("{rest}:{DEFAULT_TCP_PORT}")
        };
        return Ok(TransportConfig::Tcp { addr });
    }
    if let Some(rest) = spec.strip_prefix("file:") {
        return parse_file(rest);
    }
    let Some(rest) = spec.strip_prefix("serial:") else {
        return Err(format!(
            "unknown transport {spec:?}: use serial:, tcp:, file: or sim"
        ));
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut config = SerialConfig {
        path: path.to_string(),
        baud: 9600,
        data_bits: 8,
        parity: 'N',
        stop_bits: 1,
        flow: Flow::None,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not key=value"))?;
        let bad = || format!("bad {key} {value:?}");
        match key {
            "baud" => {
                config.baud = value
                    .parse()
                    .ok()
                    .filter(|b| (1200..=921_600).contains(b))
                    .ok_or_else(bad)?
            }
            "data" => {
                config.data_bits = value
                    .parse()
                    .ok()
                    .filter(|d| (5..=8).contains(d))
                    .ok_or_else(bad)?
            }
            "stop" => {
                config.stop_bits = value
                    .parse()
                    .ok()
                    .filter(|s| (1..=2).contains(s))
                    .ok_or_else(bad)?
            }
            "parity" => {
                config.parity = match value {
                    "none" | "n" | "N" => 'N',
                    "odd" | "o" | "O" => 'O',
                    "even" | "e" | "E" => 'E',
                    _ => return Err(bad()),
                }
            }
            "flow" => {
                config.flow = match value {
                    "none" => Flow::None,
                    "xon-xoff" | "xonxoff" | "software" => Flow::XonXoff,
                    "rts-cts" | "rtscts" | "hardware" => Flow::RtsCts,
                    _ => return Err(bad()),
                }
            }
            _ => return Err(format!("unknown serial setting {key:?}")),
        }
    }
    Ok(TransportConfig::Serial(config))
}

/// `PATH[?status=auto|none]`.
fn parse_file(rest: &str) -> Result<TransportConfig, String> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut status = FileStatus::Auto;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        status = match pair.split_once('=') {
            Some(("status", "auto")) => FileStatus::Auto,
            Some(("status", "none")) => FileStatus::None,
            Some(("status", value)) => {
                return Err(format!("bad status {value:?}: use none or auto"));
            }
            _ => {
                return Err(format!(
                    "unknown file setting {pair:?}: use status=none or status=auto"
                ));
            }
        };
    }
    if path.is_empty() {
        return Err("file: needs a path, e.g. file:/dev/usb/lp0".into());
    }
    Ok(TransportConfig::DeviceFile {
        path: PathBuf::from(path),
        status,
    })
}

/// Opens a transport (not the simulator: the caller starts that and opens its serial path).
pub fn open(config: &TransportConfig) -> io::Result<Box<dyn Transport>> {
    match config {
        TransportConfig::Serial(serial) => Ok(Box::new(SerialTransport::open(serial)?)),
        TransportConfig::Tcp { addr } => Ok(Box::new(TcpTransport::open(addr)?)),
        TransportConfig::DeviceFile { path, status } => {
            Ok(Box::new(DeviceFile::open(path, *status)?))
        }
        TransportConfig::Simulator => Err(io::Error::other("the simulator is started, not opened")),
    }
}

pub struct SerialTransport {
    port: Box<dyn SerialPort>,
}

fn serial_error(e: serialport::Error) -> io::Error {
    io::Error::other(e.to_string())
}

impl SerialTransport {
    pub fn open(config: &SerialConfig) -> io::Result<SerialTransport> {
        let data_bits = match config.data_bits {
            5 => DataBits::Five,
            6 => DataBits::Six,
            7 => DataBits::Seven,
            _ => DataBits::Eight,
        };
        let parity = match config.parity {
            'O' => Parity::Odd,
            'E' => Parity::Even,
            _ => Parity::None,
        };
        let flow = match config.flow {
            Flow::None => FlowControl::None,
            Flow::XonXoff => FlowControl::Software,
            Flow::RtsCts => FlowControl::Hardware,
        };
        let port = serialport::new(&config.path, config.baud)
            .data_bits(data_bits)
            .parity(parity)
            .stop_bits(if config.stop_bits == 2 {
                StopBits::Two
            } else {
                StopBits::One
            })
            .flow_control(flow)
            .timeout(Duration::from_millis(WRITE_TIMEOUT_MS))
            .open()
            .map_err(serial_error)?;
        Ok(SerialTransport { port })
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port
            .set_timeout(Duration::from_millis(WRITE_TIMEOUT_MS))
            .map_err(serial_error)?;
        self.port.write_all(bytes)?;
        // tcdrain: returns when the bytes have left the UART, not just the kernel buffer.
        self.port.flush()
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        self.port.set_timeout(timeout).map_err(serial_error)?;
        let mut byte = [0u8; 1];
        match self.port.read(&mut byte) {
            Ok(1) => Ok(Some(byte[0])),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.port
            .clear(serialport::ClearBuffer::Input)
            .map_err(serial_error)
    }
}

pub struct TcpTransport {
    stream: TcpStream,
}

impl TcpTransport {
    pub fn open(addr: &str) -> io::Result<TcpTransport> {
        let addr = addr.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no address for {addr}"))
        })?;
        let stream = TcpStream::connect_timeout(&addr, Duration::from_millis(CONNECT_TIMEOUT_MS))?;
        stream.set_write_timeout(Some(Duration::from_millis(WRITE_TIMEOUT_MS)))?;
        stream.set_nodelay(true)?;
        Ok(TcpTransport { stream })
    }
}

impl Transport for TcpTransport {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        self.stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(1) => Ok(Some(byte[0])),
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the printer closed the connection",
            )),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        while self.read_byte(Duration::from_millis(1))?.is_some() {}
        Ok(())
    }
}

/// A printer device file (`/dev/usb/lp0`), or a plain file that collects the bytes. Device
/// files have no timeouts, so reads and writes run on helper threads and are waited for with
/// one. Only a character device is read for status replies (unless `status=none`): reading a
/// plain file or a pipe gives back what we wrote.
pub struct DeviceFile {
    writer: mpsc::SyncSender<(Vec<u8>, mpsc::SyncSender<io::Result<()>>)>,
    /// `None` when the file cannot answer status queries.
    replies: Option<mpsc::Receiver<u8>>,
}

/// Whether a path is a character device (a printer), which may answer status queries.
fn is_char_device(path: &std::path::Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

impl DeviceFile {
    /// Opens an existing file (a mistyped device path must fail, not become a new file).
    /// Appends, so slips sent to a plain file follow one another.
    pub fn open(path: &std::path::Path, status: FileStatus) -> io::Result<DeviceFile> {
        let answers = status == FileStatus::Auto && is_char_device(path);
        let mut out = std::fs::OpenOptions::new().append(true).open(path)?;
        let input = if answers {
            std::fs::File::open(path).ok()
        } else {
            None
        };
        let (writer, jobs) = mpsc::sync_channel::<(Vec<u8>, mpsc::SyncSender<io::Result<()>>)>(1);
        std::thread::spawn(move || {
            for (bytes, done) in jobs {
                let _ = done.send(out.write_all(&bytes).and_then(|()| out.flush()));
            }
        });
        let replies = input.map(|mut input| {
            let (reply_tx, replies) = mpsc::sync_channel(STATUS_REPLY_BYTES_BUFFERED);
            std::thread::spawn(move || {
                let mut byte = [0u8; 1];
                while let Ok(1) = input.read(&mut byte) {
                    if reply_tx.send(byte[0]).is_err() {
                        break;
                    }
                }
            });
            replies
        });
        Ok(DeviceFile { writer, replies })
    }
}

impl Transport for DeviceFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let (done_tx, done) = mpsc::sync_channel(1);
        self.writer
            .send((bytes.to_vec(), done_tx))
            .map_err(|_| io::Error::other("the printer device is closed"))?;
        match done.recv_timeout(Duration::from_millis(WRITE_TIMEOUT_MS)) {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the printer device did not take the data",
            )),
        }
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        match &self.replies {
            Some(replies) => Ok(replies.recv_timeout(timeout).ok()),
            None => Ok(None),
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        if let Some(replies) = &self.replies {
            // Bounded by the channel's capacity: the reader thread can refill it only as fast
            // as the device sends, and try_recv stops at the first empty moment.
            while replies.try_recv().is_ok() {}
        }
        Ok(())
    }

    fn answers_status(&self) -> bool {
        self.replies.is_some()
    }
}

/// Serial ports the system knows, with USB vendor:product where it knows them.
pub fn ports() -> io::Result<Vec<(String, String)>> {
    let ports = serialport::available_ports().map_err(serial_error)?;
    Ok(ports
        .into_iter()
        .map(|p| {
            let kind = match p.port_type {
                serialport::SerialPortType::UsbPort(usb) => format!(
                    "USB {:04x}:{:04x} {} {}",
                    usb.vid,
                    usb.pid,
                    usb.manufacturer.unwrap_or_default(),
                    usb.product.unwrap_or_default()
                )
                .trim_end()
                .to_string(),
                serialport::SerialPortType::PciPort => "PCI".into(),
                serialport::SerialPortType::BluetoothPort => "Bluetooth".into(),
                serialport::SerialPortType::Unknown => "-".into(),
            };
            (p.port_name, kind)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_specs_parse_with_defaults() {
        assert_eq!(
            parse("serial:/dev/ttyUSB0?baud=115200&flow=rts-cts&parity=even").unwrap(),
            TransportConfig::Serial(SerialConfig {
                path: "/dev/ttyUSB0".into(),
                baud: 115_200,
                data_bits: 8,
                parity: 'E',
                stop_bits: 1,
                flow: Flow::RtsCts,
            })
        );
        assert_eq!(
            parse("tcp:127.0.0.1").unwrap(),
            TransportConfig::Tcp {
                addr: "127.0.0.1:9100".into()
            }
        );
        assert_eq!(
            parse("tcp:127.0.0.1:9101").unwrap(),
            TransportConfig::Tcp {
                addr: "127.0.0.1:9101".into()
            }
        );
        assert_eq!(
            parse("file:/dev/usb/lp0").unwrap(),
            TransportConfig::DeviceFile {
                path: "/dev/usb/lp0".into(),
                status: FileStatus::Auto,
            }
        );
        assert_eq!(
            parse("file:/dev/usb/lp0?status=none").unwrap(),
            TransportConfig::DeviceFile {
                path: "/dev/usb/lp0".into(),
                status: FileStatus::None,
            }
        );
        assert_eq!(parse("sim").unwrap(), TransportConfig::Simulator);
    }

    #[test]
    fn bad_transport_specs_are_refused_with_the_reason() {
        assert!(
            parse("serial:/dev/ttyS0?baud=12")
                .unwrap_err()
                .contains("baud")
        );
        assert!(
            parse("serial:/dev/ttyS0?flow=magic")
                .unwrap_err()
                .contains("flow")
        );
        assert!(parse("lpt1").unwrap_err().contains("unknown transport"));
        assert!(
            parse("file:/dev/usb/lp0?status=maybe")
                .unwrap_err()
                .contains("status")
        );
        assert!(
            parse("file:/dev/usb/lp0?baud=9600")
                .unwrap_err()
                .contains("baud")
        );
        assert!(parse("file:").is_err());
    }

    #[test]
    fn a_plain_file_cannot_answer_status_and_a_char_device_may() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("slips.bin");
        std::fs::write(&plain, b"").unwrap();
        assert!(
            !DeviceFile::open(&plain, FileStatus::Auto)
                .unwrap()
                .answers_status()
        );
        let null = std::path::Path::new("/dev/null");
        assert!(
            DeviceFile::open(null, FileStatus::Auto)
                .unwrap()
                .answers_status()
        );
        assert!(
            !DeviceFile::open(null, FileStatus::None)
                .unwrap()
                .answers_status()
        );
    }

    #[test]
    fn slips_sent_to_a_plain_file_follow_one_another_and_a_missing_file_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("slips.bin");
        std::fs::write(&plain, b"").unwrap();
        for job in [&b"one\n"[..], b"two\n"] {
            let mut file = DeviceFile::open(&plain, FileStatus::Auto).unwrap();
            file.write_all(job).unwrap();
        }
        assert_eq!(std::fs::read(&plain).unwrap(), b"one\ntwo\n");
        let missing = dir.path().join("lp9");
        assert!(DeviceFile::open(&missing, FileStatus::Auto).is_err());
        assert!(!missing.exists());
    }

    #[test]
    fn a_tcp_printer_on_a_local_port_receives_the_bytes_and_answers_status() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            socket
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut got = [0u8; 3];
            socket.read_exact(&mut got).unwrap();
            socket.write_all(&[0x12]).unwrap();
            let mut rest = Vec::new();
            let _ = socket.read_to_end(&mut rest);
            (got, rest)
        });
        let mut transport = TcpTransport::open(&addr).unwrap();
        transport
            .write_all(&super::super::escpos::status_query(1))
            .unwrap();
        assert_eq!(
            transport.read_byte(Duration::from_secs(2)).unwrap(),
            Some(0x12)
        );
        transport.write_all(b"hello\n").unwrap();
        drop(transport);
        let (got, rest) = server.join().unwrap();
        assert_eq!(got, [0x10, 0x04, 1]);
        assert_eq!(rest, b"hello\n");
    }
}
