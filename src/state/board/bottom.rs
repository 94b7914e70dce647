//! `G` (bottom): the last card of the column however long it is. The column is read on in
//! pages of [`SEEK_PAGE`] until it ends, the selection following; any other move stops it.

use uuid::Uuid;

use super::SEEK_PAGE;
use crate::state::{Effect, State};

pub(super) fn go_bottom(state: &mut State) -> Vec<Effect> {
    let ci = state.board.selected;
    let Some(col) = state.board.columns.get_mut(ci) else {
        return Vec::new();
    };
    col.selected = col.cards.len().saturating_sub(1);
    if col.next_cursor.is_none() {
        state.board.to_bottom = None;
        return Vec::new();
    }
    state.board.to_bottom = Some(col.stage.id);
    state.info("Going to the last card…");
    state
        .request_page(ci, true, SEEK_PAGE)
        .into_iter()
        .collect()
}

/// A page of `stage_id` arrived: on to the bottom, or done.
pub(super) fn continue_bottom(state: &mut State, stage_id: Uuid) -> Vec<Effect> {
    if state.board.to_bottom != Some(stage_id) {
        return Vec::new();
    }
    let Some(ci) = state.board.column_index(stage_id) else {
        state.board.to_bottom = None;
        return Vec::new();
    };
    let Some(col) = state.board.columns.get_mut(ci) else {
        return Vec::new();
    };
    col.selected = col.cards.len().saturating_sub(1);
    if col.next_cursor.is_none() {
        state.board.to_bottom = None;
        return Vec::new();
    }
    state
        .request_page(ci, true, SEEK_PAGE)
        .into_iter()
        .collect()
}
