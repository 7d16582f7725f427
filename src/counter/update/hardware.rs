//! The hardware screen (printer test, scanner test), today's report (and its day-close slip)
//! and the sync screen.

use super::super::model::*;
use super::super::strings::S;
use super::ask::ask;
use crate::scanner::classify;

pub(super) fn back_key(model: &mut Model, key: Key) -> Vec<Effect> {
    if key == Key::Esc {
        model.screen = Screen::Home;
    }
    Vec::new()
}

/// The sync screen: ↑↓ scroll a long list of series, overdrafts and forks; Esc goes back.
pub(super) fn sync_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Up => model.sync_scroll = model.sync_scroll.saturating_sub(1),
        Key::Down => model.sync_scroll = model.sync_scroll.saturating_add(1),
        _ => return back_key(model, key),
    }
    Vec::new()
}

pub(super) fn report_key(model: &mut Model, key: Key) -> Vec<Effect> {
    if key == Key::F(4) {
        let day = model.today.clone();
        let text = S::AskDayClose.fill(model.lang, &[("day", &day)]);
        ask(model, Ask::DayClose, text);
        return Vec::new();
    }
    back_key(model, key)
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
        let gap_ms = at.saturating_sub(model.last_raw_key_ms);
        log_line(model, KeyLogLine::Key { key, gap_ms });
    }
    model.last_raw_key_ms = at;
    Vec::new()
}

pub(super) fn scan_logged(model: &mut Model, scan: &str) {
    let kind = classify(scan);
    let text = scan.trim().to_string();
    log_line(model, KeyLogLine::Scan { text, kind });
}

fn log_line(model: &mut Model, line: KeyLogLine) {
    model.key_log.push(line);
    let excess = model.key_log.len().saturating_sub(KEY_LOG_LINES_MAX);
    model.key_log.drain(..excess);
}
