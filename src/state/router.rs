//! The router: a key goes to the open popup, else to the screen in front (which may want it
//! before the keymap), else through the keymap to a command; global commands are answered here.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::popup::{self, Help, Popup};
use super::screen::Contract;
use super::{Effect, Screen, State, board, inbox, insights, lead, refresh};
use crate::config::keymap::Command;

pub(super) fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    state.message = None;
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        match key.code {
            KeyCode::Char('c') => return super::interrupt::ctrl_c(state, key),
            KeyCode::Char('z') => return super::interrupt::ctrl_z(state),
            _ => {}
        }
    }
    state.quit_armed = false;
    if let Some(open) = state.popup.take() {
        return popup::key(state, open, key);
    }
    let consumed = match state.screen {
        Screen::Board => board::Reducer::key(state, &key),
        Screen::Lead(_) => lead::Reducer::key(state, &key),
        Screen::Inbox(_) => inbox::Reducer::key(state, &key),
        Screen::Insights(_) => insights::Reducer::key(state, &key),
    };
    match consumed {
        Some(fx) => fx,
        None => match state.keymap.command_for(state.scope(), &key) {
            Some(cmd) => on_command(state, cmd),
            None => Vec::new(),
        },
    }
}

pub(crate) fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

pub(super) fn on_command(state: &mut State, cmd: Command) -> Vec<Effect> {
    if state.popup.is_some() {
        // Commands sent directly (tests, palette) while a popup is open act on the popup.
        return match cmd {
            Command::Back => {
                state.popup = None;
                Vec::new()
            }
            Command::Quit => quit(state),
            _ => Vec::new(),
        };
    }
    match cmd {
        Command::Quit => return quit(state),
        Command::Help => {
            state.popup = Some(Popup::Help(Help::new(&state.keymap, state.scope())));
            return Vec::new();
        }
        Command::Refresh => {
            let mut fx = refresh(state);
            fx.extend(lead::Reducer::reload(state));
            fx.extend(inbox::Reducer::reload(state));
            fx.extend(insights::Reducer::reload(state));
            return fx;
        }
        Command::OpenBoard => {
            state.screen = Screen::Board;
            return Vec::new();
        }
        Command::OpenInbox => return inbox::open(state),
        Command::OpenInsights => return insights::open(state),
        // Bound on the board only.
        Command::PipelineEditor => return popup::editor::open(state),
        Command::Back if returns_back(state) => return inbox::open(state),
        Command::NewLead => return lead::forms::open_new_lead(state),
        Command::CommandPalette => return popup::palette::open(state),
        _ => {}
    }
    match state.screen {
        Screen::Board => board::Reducer::command(state, cmd),
        Screen::Lead(_) => lead::Reducer::command(state, cmd),
        Screen::Inbox(_) => inbox::Reducer::command(state, cmd),
        Screen::Insights(_) => insights::Reducer::command(state, cmd),
    }
}

/// Whether Back returns to the newest screen of the history: the lead in front is the one it
/// was left for.
fn returns_back(state: &State) -> bool {
    match (&state.screen, state.back.last()) {
        (Screen::Lead(lead), Some(left)) => left.opened_lead() == Some(lead.lead_id),
        _ => false,
    }
}
