//! The owner picker: the organization's members, type to narrow, Tab completes the name,
//! Enter gives the lead to the chosen member.

use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::{Popup, input, list_step, step};
use crate::config::keymap::Command;
use crate::state::inbox::Assignee;
use crate::state::lifecycle::{self, Target};
use crate::state::{Effect, State};

#[derive(Debug, Clone, PartialEq)]
pub struct OwnerPicker {
    pub lead_id: Uuid,
    /// The lead's name (the title).
    pub name: String,
    pub version: i32,
    /// The owner now (marked in the list).
    pub current: Option<Uuid>,
    pub filter: String,
    pub selected: usize,
    /// For the board's marked cards (issue 12): `name` counts them, the lead fields are unused.
    pub bulk: bool,
}

impl OwnerPicker {
    pub fn new(t: &Target) -> OwnerPicker {
        OwnerPicker {
            lead_id: t.lead_id,
            name: t.name.clone(),
            version: t.version,
            current: t.owner,
            filter: String::new(),
            selected: 0,
            bulk: false,
        }
    }
}

pub(super) fn key(state: &mut State, mut p: OwnerPicker, key: &KeyEvent) -> Vec<Effect> {
    let matches: Vec<Assignee> =
        super::filtered_teammates(&state.board.lifecycle.members, &p.filter)
            .into_iter()
            .cloned()
            .collect();
    let last = matches.len().saturating_sub(1);
    let popup = state.keymap.popup_command(key);
    match popup {
        Some(Command::Cancel) => return Vec::new(),
        Some(Command::Confirm) => {
            return match matches.get(p.selected) {
                Some(to) if p.bulk => crate::state::board::marks::assign(state, to),
                Some(to) => lifecycle::change_owner(state, &p, to),
                None => super::show(state, Popup::Owner(p)),
            };
        }
        _ => {}
    }
    match popup {
        // Completion: the filter becomes the highlighted name.
        Some(Command::NextField) => {
            if let Some(m) = matches.get(p.selected) {
                p.filter = m.name.clone();
                p.selected = 0;
            }
        }
        Some(Command::PopupUp | Command::PopupDown | Command::PrevField) => {
            p.selected = step(p.selected, list_step(state, key).unwrap_or_default(), last)
        }
        _ => {
            if input::edit(&mut p.filter, key, 60) {
                p.selected = 0;
            }
        }
    }
    super::show(state, Popup::Owner(p))
}
