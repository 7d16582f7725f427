//! Earning: one resident's activity × hours, and the event check-in.

use super::super::model::*;
use super::notice;

pub(super) fn open_earn(model: &mut Model, screen: Screen) {
    model.screen = screen;
    model.activity_selected = 0;
    model.hours_input = "1".into();
    model.notice = None;
}

pub(super) fn earn_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let lang = model.lang;
    match key {
        Key::Up => model.activity_selected = model.activity_selected.saturating_sub(1),
        Key::Down if model.activity_selected + 1 < model.activities.len() => {
            model.activity_selected += 1
        }
        Key::Char(c) if (c.is_ascii_digit() || c == '.') && model.hours_input.len() < 5 => {
            model.hours_input.push(c)
        }
        Key::Backspace => {
            model.hours_input.pop();
        }
        Key::Esc => {
            model.screen = if model.screen == Screen::Earn {
                Screen::Resident
            } else {
                Screen::Home
            };
        }
        Key::Enter => {
            let (Some(activity), Some(minutes)) = (
                model.activities.get(model.activity_selected),
                parse_minutes(&model.hours_input),
            ) else {
                let text =
                    crate::ledger::LedgerError::BadHours(model.hours_input.clone()).message(lang);
                notice(model, NoticeKind::Error, text);
                return Vec::new();
            };
            let activity = activity.clone();
            if model.screen == Screen::EventSetup {
                model.event = Some(EventRun {
                    name: format!("{} {}", activity.name, model.today),
                    activity: activity.activity,
                    minutes,
                    credited: 0,
                });
                model.screen = Screen::Event;
                return Vec::new();
            }
            let Some(scan) = model.scan.clone() else {
                model.screen = Screen::Home;
                return Vec::new();
            };
            model.busy = true;
            return vec![Effect::Earn {
                scan,
                activity: activity.activity,
                minutes,
                event: None,
            }];
        }
        _ => {}
    }
    Vec::new()
}

pub(super) fn event_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Esc => {
            model.event = None;
            model.screen = Screen::Home;
            Vec::new()
        }
        Key::F(2) if model.demo => vec![Effect::DemoScanPassbook],
        _ => Vec::new(),
    }
}
