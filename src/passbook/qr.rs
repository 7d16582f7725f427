//! QR rendering of a passbook token: block characters for the terminal, SVG and PNG files.
//! PNG is written with the small `png` crate from the module matrix rather than pulling in the
//! whole `image` crate through qrcode's default features.

use qrcode::{Color, EcLevel, QrCode, Version};
use std::io::Write;

/// The largest QR version a passbook may need (30 alphanumeric characters at level M).
pub const QR_VERSION_MAX: i16 = 2;
/// Pixels per module in the PNG; 8 px at 300 dpi is a 2.4 cm code, easy for any scanner.
pub const PNG_MODULE_PX: u32 = 8;
const QUIET_ZONE_MODULES: u32 = 4;

pub fn encode(payload: &str) -> Result<QrCode, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)?;
    Ok(code)
}

pub fn version_number(code: &QrCode) -> i16 {
    match code.version() {
        Version::Normal(n) | Version::Micro(n) => n,
    }
}

/// Two rows of modules per line of text, dark on a light terminal background or not: the
/// quiet zone is drawn so any terminal shows a scannable code.
pub fn to_terminal(code: &QrCode) -> String {
    code.render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build()
}

pub fn to_svg(code: &QrCode) -> String {
    code.render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build()
}

pub fn write_png(code: &QrCode, out: impl Write) -> Result<(), png::EncodingError> {
    let modules = code.width() as u32;
    let side_modules = modules + 2 * QUIET_ZONE_MODULES;
    let side_px = side_modules * PNG_MODULE_PX;
    let colors = code.to_colors();
    let mut pixels = Vec::with_capacity((side_px * side_px) as usize);
    for y in 0..side_px {
        for x in 0..side_px {
            let mx = (x / PNG_MODULE_PX) as i64 - i64::from(QUIET_ZONE_MODULES);
            let my = (y / PNG_MODULE_PX) as i64 - i64::from(QUIET_ZONE_MODULES);
            let inside = (0..modules as i64).contains(&mx) && (0..modules as i64).contains(&my);
            let dark =
                inside && colors[(my as usize) * modules as usize + mx as usize] == Color::Dark;
            pixels.push(if dark { 0u8 } else { 255u8 });
        }
    }
    let mut encoder = png::Encoder::new(out, side_px, side_px);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passbook::Token;

    #[test]
    fn a_passbook_qr_is_version_two_or_smaller_at_level_m() {
        for seed in 0..50u8 {
            let token = Token::from_random([seed; 16]);
            let code = encode(token.as_str()).unwrap();
            assert!(version_number(&code) <= QR_VERSION_MAX);
            assert_eq!(code.error_correction_level(), EcLevel::M);
        }
    }

    #[test]
    fn renderings_are_produced() {
        let code = encode(Token::from_random([1; 16]).as_str()).unwrap();
        assert!(to_terminal(&code).contains('▀') || to_terminal(&code).contains('▄'));
        assert!(to_svg(&code).starts_with("<?xml"));
        let mut png_bytes = Vec::new();
        write_png(&code, &mut png_bytes).unwrap();
        assert_eq!(&png_bytes[1..4], b"PNG");
    }
}
