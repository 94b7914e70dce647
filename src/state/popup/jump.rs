//! The jump-to-lead popup: type to search (debounced), Enter jumps to the hit on the board.

use crate::state::request::InFlight;
use crossterm::event::KeyEvent;

use super::{Popup, input, list_step, step};
use crate::config::keymap::Command;
use crate::data::models::LeadHit;
use crate::state::{
    Connection, Effect, Failure, RequestId, SEARCH_DEBOUNCE, State, board, note_failure,
};

/// Type-to-filter lead search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Jump {
    pub input: String,
    pub hits: Vec<LeadHit>,
    pub selected: usize,
    /// The debounce timer armed for the latest keystroke.
    pub debounce: Option<RequestId>,
    /// The search whose result is awaited; older results are dropped.
    pub request: Option<RequestId>,
    /// Hits are for `input` as it was when last searched.
    pub searched: Option<String>,
}

pub(super) fn key(state: &mut State, mut jump: Jump, key: KeyEvent) -> Vec<Effect> {
    let last = jump.hits.len().saturating_sub(1);
    let popup = state.keymap.popup_command(&key);
    match popup {
        Some(Command::Cancel) => return Vec::new(),
        Some(Command::Confirm) => {
            return match jump.hits.get(jump.selected).cloned() {
                Some(hit) => board::jump_to(state, hit),
                None => {
                    state.popup = Some(Popup::Jump(jump));
                    Vec::new()
                }
            };
        }
        _ if list_step(state, &key).is_some() => {
            let delta = list_step(state, &key).unwrap_or_default();
            jump.selected = step(jump.selected, delta, last);
        }
        _ => {
            if input::edit(&mut jump.input, &key, input::MAX_LINE) {
                // The search in flight is for older text: drop its result.
                jump.request = None;
                if jump.input.trim().is_empty() {
                    jump.debounce = None;
                    jump.hits.clear();
                    jump.selected = 0;
                    jump.searched = None;
                } else {
                    let token = state.next_id();
                    jump.debounce = Some(token);
                    state.popup = Some(Popup::Jump(jump));
                    return vec![Effect::StartDebounce {
                        token,
                        delay: SEARCH_DEBOUNCE,
                    }];
                }
            }
        }
    }
    state.popup = Some(Popup::Jump(jump));
    Vec::new()
}

pub(crate) fn on_debounce(state: &mut State, token: RequestId) -> Vec<Effect> {
    let request = state.next_id();
    let Some(Popup::Jump(jump)) = &mut state.popup else {
        return Vec::new();
    };
    super::search_typed(
        &mut jump.debounce,
        &mut jump.request,
        &jump.input,
        token,
        request,
    )
}

pub(crate) fn on_search_results(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<LeadHit>, Failure>,
) -> Vec<Effect> {
    let Some(Popup::Jump(jump)) = &mut state.popup else {
        return Vec::new();
    };
    if !jump.request.answered_by(request) {
        return Vec::new();
    }
    match result {
        Ok(hits) => {
            jump.searched = Some(jump.input.trim().to_string());
            jump.hits = hits;
            jump.selected = 0;
            state.connection = Connection::Connected;
            Vec::new()
        }
        Err(f) => {
            state.error(f.message.clone());
            note_failure(state, &f)
        }
    }
}
