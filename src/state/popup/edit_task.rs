//! The task edit popup: title and description of one task.

use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::{Popup, input, is_save};
use crate::config::keymap::Command;
use crate::state::inbox::{InboxScreen, screen, writes};
use crate::state::{Effect, State};

/// Longest title the database accepts.
pub const MAX_TITLE: usize = 500;

/// Longest description typed here.
pub const MAX_DESCRIPTION: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditField {
    Title,
    Description,
}

pub fn open_edit(state: &mut State) -> Vec<Effect> {
    let Some(task) = screen(state).and_then(InboxScreen::current) else {
        state.info("No task selected");
        return Vec::new();
    };
    let popup = Popup::Edit {
        id: task.id,
        title: task.title.clone(),
        description: task.description.clone().unwrap_or_default(),
        field: EditField::Title,
        hint: None,
    };
    super::show(state, popup)
}

pub(super) fn key(
    state: &mut State,
    id: Uuid,
    mut title: String,
    mut description: String,
    mut field: EditField,
    mut hint: Option<String>,
    key: &KeyEvent,
) -> Vec<Effect> {
    let confirm = state.keymap.popup_command(key) == Some(Command::Confirm);
    let save = is_save(state, key) || (confirm && field == EditField::Description);
    if save {
        let t = title.trim();
        if t.is_empty() {
            hint = Some("The title cannot be empty".to_string());
            field = EditField::Title;
        } else {
            let d = description.trim();
            let description = (!d.is_empty()).then(|| d.to_string());
            return writes::edit(state, id, t.to_string(), description);
        }
    } else {
        match super::list_step(state, key) {
            _ if confirm => field = EditField::Description,
            Some(1..) => field = EditField::Description,
            Some(_) => field = EditField::Title,
            None => {
                let changed = match field {
                    EditField::Title => input::edit(&mut title, key, MAX_TITLE),
                    EditField::Description => input::edit(&mut description, key, MAX_DESCRIPTION),
                };
                if changed {
                    hint = None;
                }
            }
        }
    }
    super::show(
        state,
        Popup::Edit {
            id,
            title,
            description,
            field,
            hint,
        },
    )
}
