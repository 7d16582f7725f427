//! Scanning: telling scans from typing, and what a scan means.
//!
//! Most USB scanners are keyboard wedges: they type the code like a very fast keyboard and end
//! it with Enter, into the same terminal the volunteer types in. [`WedgeDetector`] splits that
//! key stream, by timing alone, into keys a person typed ([`Detected::Typed`], handled as
//! ordinary key presses) and whole scans ([`Detected::Scan`]). It reads no clock: the counter's
//! driver passes each key's time and calls [`WedgeDetector::tick`] by
//! [`WedgeDetector::deadline`], so tests replay real timings exactly.
//!
//! A scan means the same on every screen: [`classify`] says whether it is a passbook (open the
//! resident, or ask before switching), a receipt's QR (find the txn) or a product barcode (add
//! the item). The formats themselves belong to [`crate::passbook`] (the passbook token, and
//! the slip QR that names a txn: [`crate::passbook::slip_qr`]).
//!
//! Serial scanners (RS-232, or USB set to virtual COM) send one line per scan;
//! [`serial_scans`] reads them on a thread and needs no timing rules.
//!
//! A dedicated scanner can also be grabbed exclusively on Linux (`grab`, `[scanner] grab` in
//! config.toml): its own input device is read through evdev and no key of it reaches the
//! terminal or an input method. The device needs read access (group `input`, or a udev rule).

#[cfg(target_os = "linux")]
mod grab;
mod kind;
mod serial;
mod wedge;

#[cfg(target_os = "linux")]
pub use grab::{
    GRAB_IDLE_POLL, GRAB_LINE_CHARS_MAX, KeyOut, KeyTranslator, LineAssembler, grab_scans,
};
pub use kind::{ScanKind, classify, ean_valid};
pub use serial::{LINE_BYTES_MAX, PARTIAL_LINE_QUIET_POLLS, READ_POLL, serial_scans};
pub use wedge::{
    Detected, GAP_MS_MAX_DEFAULT, Input, LENGTH_MIN_DEFAULT, SCAN_CHARS_MAX, Terminator,
    WedgeConfig, WedgeDetector,
};
