//! The priority popup: high, medium, low for the marked tasks (or the one under the cursor).

use crossterm::event::{KeyCode, KeyEvent};
use uuid::Uuid;

use super::{Popup, menu_delta};
use crate::config::keymap::Command;
use crate::data::models::TaskPriority;
use crate::state::inbox::{screen, writes};
use crate::state::{Effect, State};

/// The priority menu: quick key, label, priority.
pub const PRIORITY_CHOICES: [(char, &str, TaskPriority); 3] = [
    ('h', "High", TaskPriority::High),
    ('m', "Medium", TaskPriority::Medium),
    ('l', "Low", TaskPriority::Low),
];

pub fn open_priority(state: &mut State) -> Vec<Effect> {
    let Some(ids) = writes::open_targets(state) else {
        return Vec::new();
    };
    let current = screen(state)
        .and_then(|s| ids.first().and_then(|id| s.data.find(*id)))
        .map(|(_, t)| t.priority);
    let selected = PRIORITY_CHOICES
        .iter()
        .position(|(_, _, p)| Some(*p) == current)
        .unwrap_or(1);
    super::show(state, Popup::Priority { ids, selected })
}

pub(super) fn key(
    state: &mut State,
    ids: Vec<Uuid>,
    selected: usize,
    key: &KeyEvent,
) -> Vec<Effect> {
    let confirm = state.keymap.popup_command(key) == Some(Command::Confirm);
    let chosen = match key.code {
        _ if confirm => PRIORITY_CHOICES.get(selected).map(|c| c.2),
        KeyCode::Char(c) => PRIORITY_CHOICES
            .iter()
            .enumerate()
            .find(|(i, (k, _, _))| *k == c || char::from_digit(*i as u32 + 1, 10) == Some(c))
            .map(|(_, c)| c.2),
        _ => None,
    };
    if let Some(priority) = chosen {
        return writes::set_priority(state, ids, priority);
    }
    let last = PRIORITY_CHOICES.len() - 1;
    let selected = match menu_delta(state, key) {
        Some(d) => selected.saturating_add_signed(d).min(last),
        None => selected,
    };
    super::show(state, Popup::Priority { ids, selected })
}
