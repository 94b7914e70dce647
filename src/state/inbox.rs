//! The task inbox screen's state and reducer (no I/O).

use crossterm::event::KeyEvent;

use super::{Effect, Screen, State};
use crate::config::keymap::Command;

/// What the inbox shows; grows with the inbox work.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InboxScreen {}

/// Results and events that belong to the inbox.
#[derive(Debug, Clone, PartialEq)]
pub enum InboxAction {}

/// Data work the inbox asks for; run by `app::inbox_worker`.
#[derive(Debug, Clone, PartialEq)]
pub enum InboxEffect {}

/// Effects to run when the screen opens.
pub fn open(state: &mut State) -> Vec<Effect> {
    state.screen = Screen::Inbox(InboxScreen::default());
    Vec::new()
}

pub fn update(_state: &mut State, action: InboxAction) -> Vec<Effect> {
    match action {}
}

/// A key the screen wants before the keymap (e.g. typing into a form). `None`: not consumed.
pub fn key(_state: &mut State, _key: &KeyEvent) -> Option<Vec<Effect>> {
    None
}

pub fn command(state: &mut State, cmd: Command) -> Vec<Effect> {
    if cmd == Command::Back {
        state.screen = Screen::Board;
    }
    Vec::new()
}
