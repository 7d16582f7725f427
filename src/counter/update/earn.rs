//! Earning: one resident's activity × hours, and the event check-in. Both show
//! activity × hours = points and ask before anything is booked or the check-in starts.

use super::super::model::*;
use super::super::strings::S;
use super::notice;
use crate::domain::points::earned_points;
use crate::ledger::LedgerError;

/// Longest hours text ("12.25").
const HOURS_CHARS_MAX: usize = 5;
/// Longest event name typed.
const EVENT_NAME_CHARS_MAX: usize = 40;
/// The hours a form starts with.
const HOURS_DEFAULT: &str = "1";

/// Credit the resident on screen.
pub(super) fn open_earn(model: &mut Model) {
    open(model, Screen::Earn);
}

/// Set up an event check-in: its name starts as the activity and today's date.
pub(super) fn open_event_setup(model: &mut Model) {
    open(model, Screen::EventSetup);
    model.event_name = TextField::prefilled(default_event_name(model));
}

fn open(model: &mut Model, screen: Screen) {
    model.screen = screen;
    model.activity_selected = 0;
    model.hours_input = TextField::prefilled(HOURS_DEFAULT);
    model.earn_field = EarnField::Hours;
    model.earn_draft = None;
}

fn default_event_name(model: &Model) -> String {
    let activity = model
        .activities
        .get(model.activity_selected)
        .map_or("", |a| a.name.as_str());
    format!("{activity} {}", model.today).trim().to_string()
}

fn on_name(model: &Model) -> bool {
    model.screen == Screen::EventSetup && model.earn_field == EarnField::EventName
}

pub(super) fn earn_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let on_name = on_name(model);
    let in_setup = model.screen == Screen::EventSetup;
    match key {
        Key::Up => select_activity(model, -1),
        Key::Down => select_activity(model, 1),
        Key::Right => keep_typing(model),
        Key::Char(c) if on_name && !c.is_control() => {
            model.event_name.push(c, EVENT_NAME_CHARS_MAX)
        }
        Key::Char(c) if !on_name && (c.is_ascii_digit() || c == '.') => {
            model.hours_input.push(c, HOURS_CHARS_MAX)
        }
        Key::Backspace => typed_field(model).backspace(),
        Key::Esc if on_name => model.earn_field = EarnField::Hours,
        Key::Esc if in_setup => model.screen = Screen::Home,
        Key::Esc => model.screen = Screen::Resident,
        Key::Enter | Key::Tab if in_setup && !on_name => model.earn_field = EarnField::EventName,
        Key::Enter => draft(model),
        _ => {}
    }
    Vec::new()
}

/// → keeps the pre-filled text; after an event's name it also leaves a space, so that 上午
/// or 下午 typed next reads as a word of its own.
fn keep_typing(model: &mut Model) {
    let on_name = on_name(model);
    let field = typed_field(model);
    field.keep();
    if on_name && !field.text.is_empty() && !field.text.ends_with(' ') {
        field.push(' ', EVENT_NAME_CHARS_MAX);
    }
}

fn typed_field(model: &mut Model) -> &mut TextField {
    if on_name(model) {
        &mut model.event_name
    } else {
        &mut model.hours_input
    }
}

fn select_activity(model: &mut Model, by: isize) {
    let last = model.activities.len().saturating_sub(1);
    model.activity_selected = model.activity_selected.saturating_add_signed(by).min(last);
    if model.event_name.selected {
        model.event_name = TextField::prefilled(default_event_name(model));
    }
}

/// Enter on the form: the points it would book, for the confirm step.
fn draft(model: &mut Model) {
    let lang = model.lang;
    let Some(activity) = model.activities.get(model.activity_selected).cloned() else {
        return;
    };
    let hours = model.hours_input.as_str().trim().to_string();
    let Some(minutes) = parse_minutes(&hours) else {
        notice(
            model,
            NoticeKind::Error,
            LedgerError::BadHours(hours).message(lang),
        );
        return;
    };
    let points = earned_points(activity.points_per_hour, minutes).unwrap_or_default();
    if points.0 <= 0 {
        let nothing = LedgerError::EarnsNothing {
            activity: activity.name,
            hours,
        };
        notice(model, NoticeKind::Error, nothing.message(lang));
        return;
    }
    let event =
        (model.screen == Screen::EventSetup).then(|| model.event_name.as_str().trim().to_string());
    if event.as_ref().is_some_and(String::is_empty) {
        model.earn_field = EarnField::EventName;
        notice(model, NoticeKind::Error, S::EventNameEmpty.get(lang));
        return;
    }
    model.earn_draft = Some(EarnDraft {
        activity,
        minutes,
        points,
        event,
    });
    model.screen = Screen::EarnConfirm;
}

pub(super) fn earn_confirm_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let Some(draft) = model.earn_draft.clone() else {
        model.screen = Screen::Home;
        return Vec::new();
    };
    match key {
        Key::Enter => book(model, draft),
        Key::Esc => {
            model.screen = if draft.event.is_some() {
                Screen::EventSetup
            } else {
                Screen::Earn
            };
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn book(model: &mut Model, draft: EarnDraft) -> Vec<Effect> {
    if let Some(name) = draft.event {
        model.event = Some(EventRun {
            name,
            activity: draft.activity,
            minutes: draft.minutes,
            points: draft.points,
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
    vec![Effect::Earn {
        scan,
        activity: draft.activity.activity,
        minutes: draft.minutes,
        event: None,
    }]
}

pub(super) fn event_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match key {
        Key::Esc => {
            if let Some(event) = model.event.take() {
                let values: [(&str, &dyn std::fmt::Display); 2] =
                    [("name", &event.name), ("count", &event.credited)];
                let text = S::EventEnded.fill(model.lang, &values);
                notice(model, NoticeKind::Info, text);
            }
            model.screen = Screen::Home;
            Vec::new()
        }
        Key::F(2) if model.demo => vec![Effect::DemoScanPassbook],
        _ => Vec::new(),
    }
}
