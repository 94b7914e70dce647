//! The snooze popup: +1 day, +3 days, next Monday, or a typed date (the date popup).

use crossterm::event::{KeyCode, KeyEvent};
use uuid::Uuid;

use super::{DatePurpose, Popup, menu_delta};
use crate::config::keymap::Command;
use crate::state::inbox::{SnoozeChoice, writes};
use crate::state::{Effect, State};

/// The snooze menu: quick key, label, choice (`None`: type a date).
pub const SNOOZE_CHOICES: [(char, &str, Option<SnoozeChoice>); 4] = [
    ('1', "+1 day", Some(SnoozeChoice::Days(1))),
    ('3', "+3 days", Some(SnoozeChoice::Days(3))),
    ('m', "Next Monday", Some(SnoozeChoice::NextMonday)),
    ('d', "Pick a date…", None),
];

pub fn open_snooze(state: &mut State) -> Vec<Effect> {
    match writes::open_targets(state) {
        Some(ids) => super::show(state, Popup::Snooze { ids, selected: 0 }),
        None => Vec::new(),
    }
}

pub(super) fn key(
    state: &mut State,
    ids: Vec<Uuid>,
    selected: usize,
    key: &KeyEvent,
) -> Vec<Effect> {
    let last = SNOOZE_CHOICES.len() - 1;
    let confirm = state.keymap.popup_command(key) == Some(Command::Confirm);
    let chosen = match key.code {
        _ if confirm => Some(selected),
        KeyCode::Char(c) => SNOOZE_CHOICES.iter().position(|(k, _, _)| *k == c),
        _ => None,
    };
    if let Some(i) = chosen {
        return match SNOOZE_CHOICES.get(i).and_then(|(_, _, c)| *c) {
            Some(choice) => writes::snooze(state, ids, choice),
            None => super::show(
                state,
                Popup::Date {
                    purpose: DatePurpose::Snooze(ids),
                    input: String::new(),
                    hint: None,
                },
            ),
        };
    }
    let selected = match menu_delta(state, key) {
        Some(d) => selected.saturating_add_signed(d).min(last),
        None => selected,
    };
    super::show(state, Popup::Snooze { ids, selected })
}
