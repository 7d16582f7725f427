//! Printer profiles: what a model can do (dots per line, columns, Chinese mode, native QR,
//! cutter). The built-in profiles are the files in `hardware/printers/`, compiled in so a
//! counter works without the source tree; config.toml names one.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChineseMode {
    /// Enter GBK Chinese mode with `FS &` at the start of every job.
    FsAmpersand,
    /// The printer is always in Chinese mode (no command sent).
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub dots_per_line: u32,
    /// Columns of font A; a Chinese character takes two.
    pub columns: usize,
    pub chinese_mode: ChineseMode,
    /// `GS ( k` QR codes; otherwise the QR is rasterised.
    pub native_qr: bool,
    pub cutter: bool,
    pub qr_module_dots: u8,
    /// Rows per raster command, so a slow serial line never overruns the printer's buffer.
    pub raster_strip_rows: u32,
    pub feed_lines_end: u8,
}

/// The profiles shipped in `hardware/printers/`, by name.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "generic-58",
        include_str!("../../hardware/printers/generic-58.toml"),
    ),
    (
        "generic-80",
        include_str!("../../hardware/printers/generic-80.toml"),
    ),
    (
        "epson-tm-t88",
        include_str!("../../hardware/printers/epson-tm-t88.toml"),
    ),
    (
        "xprinter-80",
        include_str!("../../hardware/printers/xprinter-80.toml"),
    ),
];

/// The profile used when config.toml names none: a common 80 mm printer.
pub const DEFAULT_PROFILE: &str = "generic-80";

impl Profile {
    pub fn parse(text: &str) -> Result<Profile, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// A built-in profile by name.
    pub fn built_in(name: &str) -> Option<Profile> {
        BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| Profile::parse(text).expect("built-in profiles parse (tested)"))
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        BUILT_IN.iter().map(|(n, _)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_profile_parses_and_names_itself() {
        for (name, text) in BUILT_IN {
            let profile = Profile::parse(text).unwrap();
            assert_eq!(profile.name, *name);
            assert!(profile.columns * 12 <= profile.dots_per_line as usize);
        }
        assert!(Profile::built_in(DEFAULT_PROFILE).is_some());
    }

    #[test]
    fn the_58_mm_profile_has_no_native_qr_and_the_80_mm_one_does() {
        assert!(!Profile::built_in("generic-58").unwrap().native_qr);
        let p80 = Profile::built_in("generic-80").unwrap();
        assert!(p80.native_qr && p80.cutter && p80.columns == 48);
    }
}
