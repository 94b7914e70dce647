//! The date popup: a typed due date, to snooze to or to reschedule to.

use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::{Popup, input, is_save};
use crate::config::keymap::Command;
use crate::state::inbox::{InboxScreen, SnoozeChoice, screen, writes};
use crate::state::{Effect, State};

/// What a typed date is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatePurpose {
    Snooze(Vec<Uuid>),
    Reschedule(Uuid),
}

impl DatePurpose {
    /// The prompt's title.
    pub fn title(&self) -> String {
        match self {
            DatePurpose::Reschedule(_) => "Reschedule to".to_string(),
            DatePurpose::Snooze(ids) if ids.len() == 1 => "Snooze until".to_string(),
            DatePurpose::Snooze(ids) => format!("Snooze {} tasks until", ids.len()),
        }
    }
}

/// Reschedule works on one task: the one under the cursor.
pub fn open_reschedule(state: &mut State) -> Vec<Effect> {
    let Some(task) = screen(state).and_then(InboxScreen::current) else {
        state.info("No task selected");
        return Vec::new();
    };
    if !task.status.is_open() {
        state.info("The task is done");
        return Vec::new();
    }
    let input = task
        .due_date
        .map(|d| {
            let mut text = d.format("%Y-%m-%d").to_string();
            if let Some(t) = task.due_time {
                text.push_str(&t.format(" %H:%M").to_string());
            }
            text
        })
        .unwrap_or_default();
    let id = task.id;
    super::show(
        state,
        Popup::Date {
            purpose: DatePurpose::Reschedule(id),
            input,
            hint: None,
        },
    )
}

pub(super) fn key(
    state: &mut State,
    purpose: DatePurpose,
    mut input: String,
    mut hint: Option<String>,
    key: &KeyEvent,
) -> Vec<Effect> {
    if state.keymap.popup_command(key) == Some(Command::Confirm) || is_save(state, key) {
        let today = screen(state).map(|s| s.data.local(state.now).0);
        let text = input.trim().to_lowercase();
        let clear = crate::dates::clears(&text);
        match (&purpose, clear) {
            (DatePurpose::Reschedule(id), true) => return writes::reschedule(state, *id, None),
            (_, _) => match today.map(|today| crate::dates::parse_in(&input, today, state.zone)) {
                Some(Ok(due)) => {
                    return match purpose {
                        DatePurpose::Reschedule(id) => writes::reschedule(state, id, Some(due)),
                        DatePurpose::Snooze(ids) => {
                            writes::snooze(state, ids, SnoozeChoice::Until(due.date))
                        }
                    };
                }
                Some(Err(why)) => hint = Some(why.to_string()),
                None => hint = Some("The inbox is still loading".to_string()),
            },
        }
    } else if input::edit(&mut input, key, 40) {
        hint = None;
    }
    super::show(
        state,
        Popup::Date {
            purpose,
            input,
            hint,
        },
    )
}
