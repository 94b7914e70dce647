//! Teammates' changes on the board: re-read only the columns a change names.

use super::{BoardEffect, BoardStatus};
use crate::data::live::{Change, Scope};
use crate::state::{Effect, Screen, State};

/// Columns named by `change` become stale (`settle` re-reads the first page of the visible
/// ones; the others when they scroll into view) and the headers are re-read once. A change
/// naming every stage (or a stage definition change) reloads the board.
pub(super) fn live_change(state: &mut State, change: &Change) -> Vec<Effect> {
    let board = &mut state.board;
    if board.status != BoardStatus::Ready {
        // The first load is still coming; it will show the change.
        return Vec::new();
    }
    let on_screen = state.screen == Screen::Board && board.pending.is_empty();
    if change.stages == Scope::All {
        if on_screen {
            let request = state.next_id();
            state.board.load_request = Some(request);
            return vec![
                BoardEffect::Load {
                    request,
                    pipeline_id: state.board.pipeline_id,
                }
                .into(),
            ];
        }
        for col in &mut state.board.columns {
            col.stale = true;
        }
        return Vec::new();
    }
    let mut touched = false;
    for col in &mut board.columns {
        if change.stages.contains(col.stage.id) {
            col.stale = true;
            touched = true;
        }
    }
    // Another pipeline's columns: nothing to read. With a move in flight the totals are
    // re-read when it settles. A newer request replaces one in flight (it may predate this).
    if !touched || !board.pending.is_empty() {
        return Vec::new();
    }
    let Some(pipeline_id) = board.pipeline_id else {
        return Vec::new();
    };
    let request = state.next_id();
    state.board.summaries_request = Some(request);
    vec![
        BoardEffect::LoadSummaries {
            request,
            pipeline_id,
        }
        .into(),
    ]
}
