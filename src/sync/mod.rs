//! Moving the district ledger: the signed bundle file (`sync export` / `sync import`), and the
//! same bundles over the network to and from the street office's hub ([`client`], and the
//! nightly job in [`nightly`]).

pub mod bundle;
pub mod client;
pub mod nightly;
pub mod recover;

use crate::district::Head;
use crate::ledger::district::{BundleEnd, BundleHeader, ExportPart, ImportReport};
use crate::ledger::{Ledger, LedgerError, Result};
use bundle::{BundleReader, BundleWriter, Frame, ReadProblem};
use std::io::{Read, Write};

/// Pages handed to the ledger at once (it commits every 20,000 entries itself).
const IMPORT_PAGES_PER_CALL: usize = 20;

/// Writes a bundle of what the side at `since` lacks to `out`, named `name` in the sync log.
/// Returns the output, flushed, for the caller to sync and rename.
pub fn export_bundle<W: Write>(
    ledger: &mut Ledger,
    since: &[Head],
    name: &str,
    out: W,
) -> Result<(BundleHeader, W)> {
    let io = |e: std::io::Error| LedgerError::file(std::path::Path::new(name), &e);
    let mut writer = BundleWriter::new(out).map_err(io)?;
    let header = ledger.export(since, name, &mut |part| {
        match part {
            ExportPart::Header(h) => writer.header(&h),
            ExportPart::Certificates(c) => writer.certificates(&c),
            ExportPart::Keys(k) => writer.keys(&k),
            ExportPart::Page(p) => writer.page(&p),
        }
        .map_err(io)
    })?;
    let out = writer.finish(ledger.device()).map_err(io)?;
    Ok((header, out))
}

/// Like [`export_bundle`], of exactly `ranges` (one page the hub lacks).
pub fn export_ranges_bundle<W: Write>(
    ledger: &mut Ledger,
    ranges: &[crate::district::Range],
    name: &str,
    out: W,
) -> Result<(BundleHeader, W)> {
    let io = |e: std::io::Error| LedgerError::file(std::path::Path::new(name), &e);
    let mut writer = BundleWriter::new(out).map_err(io)?;
    let header = ledger.export_ranges(ranges, name, &mut |part| {
        match part {
            ExportPart::Header(h) => writer.header(&h),
            ExportPart::Certificates(c) => writer.certificates(&c),
            ExportPart::Keys(k) => writer.keys(&k),
            ExportPart::Page(p) => writer.page(&p),
        }
        .map_err(io)
    })?;
    let out = writer.finish(ledger.device()).map_err(io)?;
    Ok((header, out))
}

/// Takes in a bundle read from `input`: what is whole is imported even when the file was cut
/// short or a frame is damaged, and the report says what is missing.
pub fn import_bundle<R: Read>(ledger: &mut Ledger, name: &str, input: R) -> Result<ImportReport> {
    let unreadable = || LedgerError::BundleUnreadable {
        file: name.to_string(),
    };
    let mut reader = BundleReader::new(input).map_err(|_| unreadable())?;
    let header = match reader.next_frame() {
        Ok(Some(Frame::Header(header))) => header,
        _ => return Err(unreadable()),
    };
    let mut import = ledger.import(name, &header)?;
    let mut pages = Vec::new();
    let mut end = BundleEnd::Truncated;
    loop {
        match reader.next_frame() {
            Ok(Some(Frame::Page(page))) => {
                pages.push(page);
                if pages.len() >= IMPORT_PAGES_PER_CALL {
                    import.pages(&std::mem::take(&mut pages))?;
                }
            }
            Ok(Some(Frame::Certificates(certificates))) => import.certificates(&certificates)?,
            Ok(Some(Frame::Keys(keys))) => import.keys(&keys)?,
            Ok(Some(Frame::Header(_))) => {}
            Ok(Some(Frame::End(seal))) => {
                import.pages(&std::mem::take(&mut pages))?;
                let holds = import
                    .exporter_key()?
                    .map(|key| reader.end_holds(&seal, &key));
                end = match (reader.damaged(), holds) {
                    (0, Some(true)) => BundleEnd::Whole,
                    (0, Some(false)) => BundleEnd::BadSignature,
                    (0, None) => BundleEnd::MakerUnknown,
                    _ => BundleEnd::Truncated,
                };
            }
            Ok(None) | Err(ReadProblem::Cut) | Err(ReadProblem::NotABundle) => break,
            Err(ReadProblem::Damaged { .. }) => {}
        }
    }
    import.pages(&pages)?;
    import.finish(end)
}
