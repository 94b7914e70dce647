//! The lead detail screen's state and reducer (no I/O).

use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::{Effect, Screen, State};
use crate::config::keymap::Command;

/// What the lead screen shows; grows with the lead detail work.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadScreen {
    pub lead_id: Uuid,
    pub name: String,
}

impl LeadScreen {
    pub fn new(lead_id: Uuid, name: String) -> LeadScreen {
        LeadScreen { lead_id, name }
    }
}

/// Results and events that belong to the lead screen.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadAction {}

/// Data work the lead screen asks for; run by `app::lead_worker`.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadEffect {}

/// Effects to run when the screen opens.
pub fn open(state: &mut State, lead_id: Uuid, name: String) -> Vec<Effect> {
    state.screen = Screen::Lead(LeadScreen::new(lead_id, name));
    Vec::new()
}

pub fn update(_state: &mut State, action: LeadAction) -> Vec<Effect> {
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
