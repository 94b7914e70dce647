//! Seeking a jump-to-lead target: its column is paged until the card shows (or it is pinned at
//! the top from what the search returned).

use super::{ColumnStatus, SEEK_PAGE, SEEK_PAGES, Seek};
use crate::data::models::{LeadCard, LeadHit};
use crate::state::{Effect, State};

/// Selects the hit's column and seeks the card.
pub(crate) fn jump_to(state: &mut State, hit: LeadHit) -> Vec<Effect> {
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
        assigned_to: None,
        closed_on: None,
        closed_amount: 0.0,
        closed_currency: None,
    };
    col.insert_card(0, card);
    col.selected = 0;
    state.board.selected = ci;
    state.board.seek = None;
    Vec::new()
}
