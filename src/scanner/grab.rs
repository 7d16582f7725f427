//! A scanner's own Linux input device (`/dev/input/by-id/…-event-kbd`), grabbed exclusively
//! (`EVIOCGRAB`, through the `evdev` crate) so that its keys never reach the terminal or a
//! Chinese input method. Every Enter-terminated line from the device is a scan: no timing rules
//! are needed because nothing else types on it. Key codes are read as a US keyboard, which is
//! what scanners emulate by default.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

/// Longest scan read from the device; anything longer is dropped whole.
pub const GRAB_LINE_CHARS_MAX: usize = 512;
/// How often the reading thread looks at its stop flag while the device is idle.
pub const GRAB_IDLE_POLL: Duration = Duration::from_millis(20);

/// What one key event means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOut {
    Char(char),
    Enter,
}

/// Linux key codes (input-event-codes.h) to characters, tracking Shift.
#[derive(Debug, Default)]
pub struct KeyTranslator {
    shift: bool,
}

const KEY_LEFTSHIFT: u16 = 42;
const KEY_RIGHTSHIFT: u16 = 54;
const KEY_ENTER: u16 = 28;
const KEY_KPENTER: u16 = 96;

/// (code, plain, shifted) for the keys a scanner uses.
const KEYMAP: &[(u16, char, char)] = &[
    (2, '1', '!'),
    (3, '2', '@'),
    (4, '3', '#'),
    (5, '4', '$'),
    (6, '5', '%'),
    (7, '6', '^'),
    (8, '7', '&'),
    (9, '8', '*'),
    (10, '9', '('),
    (11, '0', ')'),
    (12, '-', '_'),
    (13, '=', '+'),
    (16, 'q', 'Q'),
    (17, 'w', 'W'),
    (18, 'e', 'E'),
    (19, 'r', 'R'),
    (20, 't', 'T'),
    (21, 'y', 'Y'),
    (22, 'u', 'U'),
    (23, 'i', 'I'),
    (24, 'o', 'O'),
    (25, 'p', 'P'),
    (26, '[', '{'),
    (27, ']', '}'),
    (30, 'a', 'A'),
    (31, 's', 'S'),
    (32, 'd', 'D'),
    (33, 'f', 'F'),
    (34, 'g', 'G'),
    (35, 'h', 'H'),
    (36, 'j', 'J'),
    (37, 'k', 'K'),
    (38, 'l', 'L'),
    (39, ';', ':'),
    (40, '\'', '"'),
    (41, '`', '~'),
    (43, '\\', '|'),
    (44, 'z', 'Z'),
    (45, 'x', 'X'),
    (46, 'c', 'C'),
    (47, 'v', 'V'),
    (48, 'b', 'B'),
    (49, 'n', 'N'),
    (50, 'm', 'M'),
    (51, ',', '<'),
    (52, '.', '>'),
    (53, '/', '?'),
    (57, ' ', ' '),
    (71, '7', '7'),
    (72, '8', '8'),
    (73, '9', '9'),
    (75, '4', '4'),
    (76, '5', '5'),
    (77, '6', '6'),
    (79, '1', '1'),
    (80, '2', '2'),
    (81, '3', '3'),
    (82, '0', '0'),
    (83, '.', '.'),
    (74, '-', '-'),
    (78, '+', '+'),
    (55, '*', '*'),
    (98, '/', '/'),
];

impl KeyTranslator {
    /// One key event (`value` 1 press, 0 release, 2 auto-repeat).
    pub fn key(&mut self, code: u16, value: i32) -> Option<KeyOut> {
        if matches!(code, KEY_LEFTSHIFT | KEY_RIGHTSHIFT) {
            self.shift = value != 0;
            return None;
        }
        if value == 0 {
            return None;
        }
        if matches!(code, KEY_ENTER | KEY_KPENTER) {
            return Some(KeyOut::Enter);
        }
        KEYMAP
            .iter()
            .find(|(c, ..)| *c == code)
            .map(|(_, plain, shifted)| KeyOut::Char(if self.shift { *shifted } else { *plain }))
    }
}

/// Collects translated keys into lines; a line ends at Enter.
#[derive(Debug, Default)]
pub struct LineAssembler {
    keys: KeyTranslator,
    line: String,
    overflowed: bool,
}

impl LineAssembler {
    /// Feeds one key event; returns a finished scan.
    pub fn key(&mut self, code: u16, value: i32) -> Option<String> {
        match self.keys.key(code, value)? {
            KeyOut::Char(c) if self.line.chars().count() < GRAB_LINE_CHARS_MAX => {
                self.line.push(c);
                None
            }
            KeyOut::Char(_) => {
                self.overflowed = true;
                None
            }
            KeyOut::Enter => {
                let line = std::mem::take(&mut self.line);
                let overflowed = std::mem::take(&mut self.overflowed);
                (!line.is_empty() && !overflowed).then_some(line)
            }
        }
    }
}

/// Grabs the device and sends every scan to `out` until `stop` is set or the device goes away.
pub fn grab_scans(
    path: &str,
    stop: Arc<AtomicBool>,
    out: Sender<String>,
) -> io::Result<JoinHandle<()>> {
    let mut device = evdev::Device::open(path)?;
    device.grab()?;
    device.set_nonblocking(true)?;
    Ok(std::thread::spawn(move || {
        let mut lines = LineAssembler::default();
        while !stop.load(Ordering::Relaxed) {
            let events: Vec<(u16, i32)> = match device.fetch_events() {
                Ok(events) => events
                    .filter(|e| e.event_type() == evdev::EventType::KEY)
                    .map(|e| (e.code(), e.value()))
                    .collect(),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(GRAB_IDLE_POLL);
                    continue;
                }
                Err(_) => return,
            };
            for (code, value) in events {
                if let Some(scan) = lines.key(code, value)
                    && out.send(scan).is_err()
                {
                    return;
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_keys(codes: &[(u16, i32)]) -> Vec<String> {
        let mut lines = LineAssembler::default();
        codes
            .iter()
            .filter_map(|(c, v)| lines.key(*c, *v))
            .collect()
    }

    fn press(code: u16) -> [(u16, i32); 2] {
        [(code, 1), (code, 0)]
    }

    #[test]
    fn a_scanner_typing_an_upper_case_passbook_code_with_shift_gives_the_code() {
        // "PD1" + Enter: Shift held for P and D.
        let mut codes = vec![(KEY_LEFTSHIFT, 1)];
        codes.extend(press(25));
        codes.extend(press(32));
        codes.push((KEY_LEFTSHIFT, 0));
        codes.extend(press(2));
        codes.extend(press(KEY_ENTER));
        assert_eq!(type_keys(&codes), vec!["PD1".to_string()]);
    }

    #[test]
    fn digits_of_a_barcode_on_the_number_row_or_keypad_read_the_same() {
        let mut row: Vec<(u16, i32)> = [7, 10, 2].iter().flat_map(|c| press(*c)).collect();
        row.extend(press(KEY_ENTER));
        let mut pad: Vec<(u16, i32)> = [77, 73, 79].iter().flat_map(|c| press(*c)).collect();
        pad.extend(press(KEY_KPENTER));
        assert_eq!(type_keys(&row), vec!["691".to_string()]);
        assert_eq!(type_keys(&pad), vec!["691".to_string()]);
    }

    #[test]
    fn releases_repeats_unknown_keys_and_empty_lines_give_nothing_extra() {
        let codes = [
            (30, 1),
            (30, 2),
            (30, 0),
            (200, 1),
            (KEY_ENTER, 1),
            (KEY_ENTER, 1),
        ];
        assert_eq!(type_keys(&codes), vec!["aa".to_string()]);
    }

    #[test]
    fn an_overlong_line_is_dropped_whole() {
        let mut codes: Vec<(u16, i32)> = (0..GRAB_LINE_CHARS_MAX + 1)
            .flat_map(|_| press(30))
            .collect();
        codes.extend(press(KEY_ENTER));
        codes.extend(press(31));
        codes.extend(press(KEY_ENTER));
        assert_eq!(type_keys(&codes), vec!["s".to_string()]);
    }
}
