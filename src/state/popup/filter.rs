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
            match state.keymap.command_for(state.scope(), key) {
                Some(Command::Up) => selected = selected.saturating_sub(1),
                Some(Command::Down) => selected = (selected + 1).min(FILTERS.len() - 1),
                Some(Command::Back | Command::Quit | Command::FilterTimeline) => {
                    return Vec::new();
                }
                _ => {}
            }
        }
        KeyCode::Up => selected = selected.saturating_sub(1),
        KeyCode::Down => selected = (selected + 1).min(FILTERS.len() - 1),
        _ => {}
    }
    super::show(state, Popup::Filter { selected })
}
