//! Jump to lead: a debounced search, then the target column is paged until the card shows
//! (or it is pinned at the top from what the search returned).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{
    BoardEffect, ColumnStatus, SEARCH_DEBOUNCE, SEARCH_LIMIT, SEEK_PAGE, SEEK_PAGES, Seek,
};
use crate::data::models::{LeadCard, LeadHit};
use crate::state::overlay::edit_line;
use crate::state::{
    Connection, Effect, Failure, JumpOverlay, Overlay, RequestId, State, note_failure,
};

pub(crate) fn jump_key(state: &mut State, mut jump: JumpOverlay, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let last = jump.hits.len().saturating_sub(1);
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Enter => {
            return match jump.hits.get(jump.selected).cloned() {
                Some(hit) => jump_to(state, hit),
                None => {
                    state.overlay = Some(Overlay::Jump(jump));
                    Vec::new()
                }
            };
        }
        KeyCode::Up => jump.selected = jump.selected.saturating_sub(1),
        KeyCode::Char('p') if ctrl => jump.selected = jump.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => jump.selected = (jump.selected + 1).min(last),
        KeyCode::Char('n') if ctrl => jump.selected = (jump.selected + 1).min(last),
        _ => {
            if edit_line(&mut jump.input, &key) {
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
                    state.overlay = Some(Overlay::Jump(jump));
                    return vec![Effect::StartDebounce {
                        token,
                        delay: SEARCH_DEBOUNCE,
                    }];
                }
            }
        }
    }
    state.overlay = Some(Overlay::Jump(jump));
    Vec::new()
}

pub(crate) fn on_debounce(state: &mut State, token: RequestId) -> Vec<Effect> {
    let request = state.next_id();
    let Some(Overlay::Jump(jump)) = &mut state.overlay else {
        return Vec::new();
    };
    if jump.debounce != Some(token) {
        return Vec::new();
    }
    jump.debounce = None;
    let query = jump.input.trim().to_string();
    if query.is_empty() {
        return Vec::new();
    }
    jump.request = Some(request);
    vec![
        BoardEffect::SearchLeads {
            request,
            query,
            limit: SEARCH_LIMIT,
        }
        .into(),
    ]
}

pub(super) fn on_search_results(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<LeadHit>, Failure>,
) -> Vec<Effect> {
    let Some(Overlay::Jump(jump)) = &mut state.overlay else {
        return Vec::new();
    };
    if jump.request != Some(request) {
        return Vec::new();
    }
    jump.request = None;
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

fn jump_to(state: &mut State, hit: LeadHit) -> Vec<Effect> {
    let Some(ci) = state.board.column_index(hit.stage_id) else {
        state.info(format!("{} is in another pipeline (p to switch)", hit.name));
        return Vec::new();
    };
    state.board.selected = ci;
    state.board.seek = Some(Seek {
        hit,
        pages_left: SEEK_PAGES,
    });
    continue_seek(state)
}

/// Selects the jump target if loaded, else pages its column, else pins it at the top.
pub(super) fn continue_seek(state: &mut State) -> Vec<Effect> {
    let Some(seek) = state.board.seek.clone() else {
        return Vec::new();
    };
    let Some(ci) = state.board.column_index(seek.hit.stage_id) else {
        state.board.seek = None;
        return Vec::new();
    };
    let Some(col) = state.board.columns.get_mut(ci) else {
        return Vec::new();
    };
    if let Some(i) = col.position(seek.hit.id) {
        col.selected = i;
        state.board.selected = ci;
        state.board.seek = None;
        return Vec::new();
    }
    if col.loading.is_some() || col.stale || col.status == ColumnStatus::Idle {
        // A page is coming (settle requests it for the now visible column).
        return Vec::new();
    }
    if col.next_cursor.is_some() && seek.pages_left > 0 {
        if let Some(s) = state.board.seek.as_mut() {
            s.pages_left -= 1;
        }
        return state
            .request_page(ci, true, SEEK_PAGE)
            .into_iter()
            .collect();
    }
    // Not among the loaded cards: show it at the top from what the search returned.
    let hit = seek.hit;
    let card = LeadCard {
        id: hit.id,
        stage_id: hit.stage_id,
        name: hit.name,
        company: hit.company,
        owner_name: None,
        score: 0,
        last_contacted_at: None,
        created_at: state.now,
        overdue_tasks: 0,
        open_tasks: 1,
        version: 0,
    };
    col.insert_card(0, card);
    col.selected = 0;
    state.board.selected = ci;
    state.board.seek = None;
    Vec::new()
}
