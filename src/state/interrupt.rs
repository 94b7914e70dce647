//! ctrl-c and ctrl-z, which the terminal in raw mode delivers as keys. ctrl-c never loses typed
//! text without asking (like Esc on a form); ctrl-z hands the terminal back to the shell.

use crossterm::event::KeyEvent;

use super::popup::Popup;
use super::{Effect, State};
use crate::config::keymap::Command;

/// The question a ctrl-c on a popup with typed text asks.
pub const QUIT_QUESTION: &str =
    "Quit and lose what you typed? ctrl-c again quits · any other key keeps editing";

/// ctrl-c: quits, unless a popup holds typed text. A dirty form asks "Discard what you typed?"
/// exactly as its cancel key does (a second ctrl-c discards it); another popup with text asks
/// before quitting.
pub fn ctrl_c(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let armed = std::mem::take(&mut state.quit_armed);
    match state.popup.take() {
        Some(Popup::Form(form)) if form.dirty && form.saving.is_none() => {
            let cancel = state
                .keymap
                .keys(Command::Cancel)
                .first()
                .map(|spec| KeyEvent::new(spec.code(), spec.modifiers()));
            match cancel {
                Some(cancel) => crate::state::lead::forms::form_key(state, form, &cancel),
                // No cancel key bound: ask once, then discard.
                None if !form.confirm_close => {
                    let mut form = form;
                    form.confirm_close = true;
                    super::popup::show(state, Popup::Form(form))
                }
                None => Vec::new(),
            }
        }
        Some(popup) if !armed && super::paste::text_len(&popup).is_some_and(|n| n > 0) => {
            state.popup = Some(popup);
            state.quit_armed = true;
            state.error(QUIT_QUESTION);
            Vec::new()
        }
        popup => {
            state.popup = popup;
            let _ = key;
            super::quit(state)
        }
    }
}

/// ctrl-z: suspend to the shell (the app restores the terminal and redraws on `fg`).
pub fn ctrl_z(state: &mut State) -> Vec<Effect> {
    state.quit_armed = false;
    vec![Effect::Suspend]
}
