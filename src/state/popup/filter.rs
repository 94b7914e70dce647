//! The timeline filter popup of the lead screen: all, one interaction kind, or activities.

use crossterm::event::{KeyCode, KeyEvent};

use super::Popup;
use crate::config::keymap::Command;
use crate::state::lead::{FILTERS, Tab};
use crate::state::{Effect, Screen, State};

pub(super) fn key(state: &mut State, mut selected: usize, key: &KeyEvent) -> Vec<Effect> {
    let pick = |state: &mut State, i: usize| {
        if let Screen::Lead(screen) = &mut state.screen
            && let Some((_, f)) = FILTERS.get(i)
        {
            screen.filter = *f;
            screen.selected[Tab::Timeline.index()] = 0;
            screen.expanded = None;
            screen.expanded_scroll = 0;
            state.info(format!("Timeline: {}", f.label()));
        }
        Vec::new()
    };
    let popup = state.keymap.popup_command(key);
    match key.code {
        _ if popup == Some(Command::Cancel) => return Vec::new(),
        _ if popup == Some(Command::Confirm) => return pick(state, selected),
        KeyCode::Char(c) => {
            if let Some(i) = FILTERS.iter().position(|(k, _)| *k == c) {
                return pick(state, i);
            }
            if let Some(Command::Back | Command::Quit | Command::FilterTimeline) =
                state.keymap.command_for(state.scope(), key)
            {
                return Vec::new();
            }
            if let Some(delta) = super::menu_delta(state, key) {
                selected = super::step(selected, delta, FILTERS.len() - 1);
            }
        }
        _ => {
            if let Some(delta) = super::menu_delta(state, key) {
                selected = super::step(selected, delta, FILTERS.len() - 1);
            }
        }
    }
    super::show(state, Popup::Filter { selected })
}
