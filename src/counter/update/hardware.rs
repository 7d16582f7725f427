//! The hardware screen (printer test, scanner test), and the report and sync screens, which
//! only go back.

use super::super::model::*;
use crate::scanner::classify;

pub(super) fn back_key(model: &mut Model, key: Key) -> Vec<Effect> {
    if key == Key::Esc {
        model.screen = Screen::Home;
    }
    Vec::new()
}

pub(super) fn hardware_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Esc => {
            model.screen = Screen::Home;
            Vec::new()
        }
        Key::F(4) => vec![Effect::TestPrint, Effect::RefreshStatus],
        _ => Vec::new(),
    }
}

pub(super) fn raw_key(model: &mut Model, key: Key, at: u64) -> Vec<Effect> {
    if model.screen == Screen::Hardware {
        let gap = at.saturating_sub(model.last_raw_key_ms);
        log_key(model, format!("{:<8} +{gap} ms", format!("{key:?}")));
    }
    model.last_raw_key_ms = at;
    Vec::new()
}

pub(super) fn scan_logged(model: &mut Model, scan: &str) {
    let kind = format!("{:?}", classify(scan));
    log_key(model, format!("SCAN {scan} → {kind}"));
}

fn log_key(model: &mut Model, line: String) {
    model.key_log.push(line);
    let excess = model.key_log.len().saturating_sub(KEY_LOG_LINES_MAX);
    model.key_log.drain(..excess);
}
