//! ESC/POS command bytes. Written here rather than taken from the `escpos` crate: we need a
//! dozen fixed commands as plain bytes (for golden tests and byte budgets), while that crate
//! is a driver with its own transports, encoders and state. Every command is from Epson's
//! ESC/POS reference and is understood by the Chinese-market clones we profile.

pub const ESC: u8 = 0x1B;
pub const GS: u8 = 0x1D;
pub const FS: u8 = 0x1C;
pub const DLE: u8 = 0x10;
pub const EOT: u8 = 0x04;
pub const LF: u8 = 0x0A;

/// Longest QR payload we send (bytes); passbook and txn payloads are ~35.
pub const QR_PAYLOAD_BYTES_MAX: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// `ESC @`: reset to power-up settings (but never trust that to mean Chinese mode).
pub fn init() -> [u8; 2] {
    [ESC, b'@']
}

/// `FS &`: enter Chinese (GBK double-byte) mode.
pub fn chinese_on() -> [u8; 2] {
    [FS, b'&']
}

/// `FS .`: leave Chinese mode.
pub fn chinese_off() -> [u8; 2] {
    [FS, b'.']
}

/// `ESC a n`.
pub fn align(align: Align) -> [u8; 3] {
    let n = match align {
        Align::Left => 0,
        Align::Center => 1,
        Align::Right => 2,
    };
    [ESC, b'a', n]
}

/// `ESC E n`.
pub fn bold(on: bool) -> [u8; 3] {
    [ESC, b'E', u8::from(on)]
}

/// `GS ! n` (single-byte characters) and `FS ! n` (Chinese characters): double width and
/// height together. Both are sent because printers differ in which one scales Hanzi.
pub fn double(on: bool) -> [u8; 6] {
    let gs = if on { 0x11 } else { 0x00 };
    let fs = if on { 0x0C } else { 0x00 };
    [GS, b'!', gs, FS, b'!', fs]
}

pub const HT: u8 = 0x09;

/// `ESC D n NUL`: one horizontal tab position, in columns from the line start.
pub fn tab_stop(column: u8) -> [u8; 4] {
    [ESC, b'D', column, 0]
}

/// `ESC d n`: print and feed n lines.
pub fn feed(lines: u8) -> [u8; 3] {
    [ESC, b'd', lines]
}

/// `GS V 66 0`: feed to the cutter and cut, leaving a hinge (partial cut).
pub fn cut() -> [u8; 4] {
    [GS, b'V', 66, 0]
}

/// `DLE EOT n`: real-time status (1 printer, 2 offline cause, 3 error cause, 4 paper sensor).
pub fn status_query(n: u8) -> [u8; 3] {
    [DLE, EOT, n]
}

fn gs_k(out: &mut Vec<u8>, function: &[u8]) {
    let len = function.len() as u16;
    out.extend_from_slice(&[GS, b'(', b'k']);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(function);
}

/// A native QR: `GS ( k` model 2, module size, error correction M, store, print
/// (41 bytes + the payload).
pub fn qr(payload: &[u8], module_dots: u8) -> Vec<u8> {
    debug_assert!(payload.len() <= QR_PAYLOAD_BYTES_MAX);
    let mut out = Vec::with_capacity(41 + payload.len());
    gs_k(&mut out, &[49, 65, 50, 0]);
    gs_k(&mut out, &[49, 67, module_dots.clamp(1, 16)]);
    gs_k(&mut out, &[49, 69, 49]);
    let mut store = vec![49, 80, 48];
    store.extend_from_slice(payload);
    gs_k(&mut out, &store);
    gs_k(&mut out, &[49, 81, 48]);
    out
}

/// `GS v 0 m`: a raster image strip, 1 bit per dot, MSB first, rows of `width_bytes`;
/// `quadruple` prints every dot as 2×2 (m = 3), a quarter of the bytes for a QR.
pub fn raster(width_bytes: u16, rows: &[u8], quadruple: bool) -> Vec<u8> {
    let height = (rows.len() / usize::from(width_bytes.max(1))) as u16;
    let mut out = Vec::with_capacity(8 + rows.len());
    out.extend_from_slice(&[GS, b'v', b'0', if quadruple { 3 } else { 0 }]);
    out.extend_from_slice(&width_bytes.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(rows);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_native_qr_costs_41_bytes_plus_its_payload() {
        let payload = b"PD1ABCDEFGHIJKLMNOPQRSTUVWXYZ2";
        let bytes = qr(payload, 6);
        assert_eq!(bytes.len(), 41 + payload.len());
        assert_eq!(&bytes[..8], &[GS, b'(', b'k', 4, 0, 49, 65, 50]);
    }

    #[test]
    fn a_raster_strip_declares_its_size() {
        let bytes = raster(2, &[0xFF; 6], false);
        assert_eq!(&bytes[..8], &[GS, b'v', b'0', 0, 2, 0, 3, 0]);
        assert_eq!(bytes.len(), 14);
    }
}
