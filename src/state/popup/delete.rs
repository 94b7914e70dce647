//! Confirming a lead's deletion: the popup names the lead; Enter deletes, Esc keeps it.

use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::Popup;
use crate::config::keymap::Command;
use crate::state::{Effect, State, lifecycle};

#[derive(Debug, Clone, PartialEq)]
pub struct DeleteConfirm {
    pub lead_id: Uuid,
    pub name: String,
    /// The board's marked cards (issue 12): `name` counts them.
    pub bulk: bool,
}

pub(super) fn key(state: &mut State, confirm: DeleteConfirm, key: &KeyEvent) -> Vec<Effect> {
    match state.keymap.popup_command(key) {
        Some(Command::Confirm) if confirm.bulk => crate::state::board::marks::delete(state),
        Some(Command::Confirm) => lifecycle::delete(state, confirm),
        Some(Command::Cancel) => {
            state.info(format!("{} was not deleted", confirm.name));
            Vec::new()
        }
        _ => super::show(state, Popup::DeleteLead(confirm)),
    }
}
