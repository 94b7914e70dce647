//! The contract every screen keeps. The router in `state/mod.rs` reaches a screen only through
//! these functions, so a new screen is a new folder with one `impl Contract`, not edits spread
//! over the router.

use std::collections::BTreeSet;

use crossterm::event::KeyEvent;

use super::{Effect, State};
use crate::config::keymap::Command;

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

    /// Teammates changed `tables`: re-read what the screen shows, if it shows any of them.
    fn on_live_change(state: &mut State, tables: &BTreeSet<String>) -> Vec<Effect>;

    /// Re-read everything the screen shows (what is drawn stays until the answer).
    fn reload(state: &mut State) -> Vec<Effect>;

    /// Whether the screen waits for something the status bar shows a spinner for.
    fn is_loading(state: &State) -> bool;
}
