//! Keys typed while a lead is still loading for the first time (Enter then `c` at once) are
//! held and replayed once it has loaded, instead of being dropped.

use crossterm::event::KeyEvent;

use crate::config::keymap::{Command, Scope};
use crate::state::{Action, Effect, Screen, State};

/// Keys held at most (anything more is a stuck key, not typeahead).
const MAX_HELD: usize = 16;

/// Holds `key` when the lead has no data yet and the key is one of the lead screen's own
/// commands (global ones such as Back or Quit act at once).
pub(super) fn hold(state: &mut State, key: &KeyEvent) -> Option<Vec<Effect>> {
    let command = state.keymap.command_for(Scope::Lead, key)?;
    // `[` / `]` walk the board column and need no data: they act at once.
    if command.scopes().contains(&Scope::Global)
        || matches!(
            command,
            Command::Back | Command::PrevLead | Command::NextLead
        )
    {
        return None;
    }
    let Screen::Lead(screen) = &mut state.screen else {
        return None;
    };
    if screen.data.is_some() || screen.status != super::LeadStatus::Loading {
        return None;
    }
    if screen.typeahead.len() < MAX_HELD {
        screen.typeahead.push(*key);
    }
    Some(Vec::new())
}

/// Replays the held keys (after the first load).
pub(super) fn replay(state: &mut State) -> Vec<Effect> {
    let held = match &mut state.screen {
        Screen::Lead(screen) => std::mem::take(&mut screen.typeahead),
        _ => return Vec::new(),
    };
    let mut fx = Vec::new();
    for key in held {
        fx.extend(crate::state::update(state, Action::Key(key)));
    }
    fx
}
