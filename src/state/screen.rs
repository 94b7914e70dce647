//! The contract every screen keeps. The router in `state/mod.rs` reaches a screen only through
//! these functions, so a new screen is a new folder with one `impl Contract`, not edits spread
//! over the router.

use crossterm::event::KeyEvent;

use super::{Effect, State};
use crate::config::keymap::Command;
use crate::data::live::Change;

/// One screen's reducer. Implemented by a unit type per screen (`board::Reducer`,
/// `lead::Reducer`, `inbox::Reducer`); the functions take the whole state because screens
/// share the request counter, the message line and the connection status.
pub trait Contract {
    /// The screen's own results and events (nested in [`super::Action`]).
    type Action;

    /// A key the screen wants before the keymap; `None` lets the keymap map it to a command.
    fn key(state: &mut State, key: &KeyEvent) -> Option<Vec<Effect>>;

    /// A bound command while the screen is in front.
    fn command(state: &mut State, cmd: Command) -> Vec<Effect>;

    /// One of the screen's results (stale request ids are dropped inside).
    fn update(state: &mut State, action: Self::Action) -> Vec<Effect>;

    /// Teammates changed these leads and columns: re-read only what the screen shows of them.
    fn on_live_change(state: &mut State, change: &Change) -> Vec<Effect>;

    /// Re-read everything the screen shows (what is drawn stays until the answer).
    fn reload(state: &mut State) -> Vec<Effect>;

    /// Whether the screen waits for something the status bar shows a spinner for.
    fn is_loading(state: &State) -> bool;
}
