//! Board reads: the board (stages and totals), column pages, and `settle`, which after every
//! action keeps the selection visible and pages in what became visible.

use crate::state::request::InFlight;
use std::collections::HashMap;

use uuid::Uuid;

use super::{BoardData, BoardEffect, BoardStatus, Column, ColumnStatus};
use crate::data::models::{ColumnPage, StageSummary};
use crate::state::{Connection, Effect, Failure, RequestId, State, layout, note_failure};

impl State {
    /// Requests a page of column `ci` unless one is in flight.
    pub(super) fn request_page(&mut self, ci: usize, append: bool, limit: i64) -> Option<Effect> {
        let request = self.next_id();
        let sort = self.board.sort;
        let col = self.board.columns.get_mut(ci)?;
        if col.loading.is_some() {
            return None;
        }
        let after = if append {
            Some(col.next_cursor.clone()?)
        } else {
            None
        };
        col.loading = Some(request);
        if !append && col.cards.is_empty() {
            col.status = ColumnStatus::Loading;
        }
        Some(Effect::Board(BoardEffect::LoadColumn {
            request,
            stage_id: col.stage.id,
            sort,
            after,
            limit,
            filter: self.board.filter.clone(),
        }))
    }
}

pub(super) fn on_board_loaded(
    state: &mut State,
    request: RequestId,
    result: Result<BoardData, Failure>,
) -> Vec<Effect> {
    if !state.board.load_request.answered_by(request) {
        return Vec::new();
    }
    let data = match result {
        Ok(data) => data,
        Err(f) => {
            if state.board.columns.is_empty() {
                state.board.status = BoardStatus::Failed(f.message.clone());
            }
            state.error(f.message.clone());
            return note_failure(state, &f);
        }
    };
    state.connection = Connection::Connected;
    let board = &mut state.board;
    let same_pipeline = board.pipeline_id == data.pipeline_id;
    let selected_stage = board.column().map(|c| c.stage.id);
    let mut old: HashMap<Uuid, Column> = if same_pipeline {
        board.columns.drain(..).map(|c| (c.stage.id, c)).collect()
    } else {
        board.columns.clear();
        HashMap::new()
    };
    board.columns = data
        .stages
        .into_iter()
        .map(|stage| match old.remove(&stage.id) {
            Some(mut col) => {
                col.stage = stage;
                col.loading = None;
                col.stale = true;
                if !matches!(col.status, ColumnStatus::Ready) {
                    col.status = ColumnStatus::Idle;
                }
                col
            }
            None => Column::new(stage),
        })
        .collect();
    board.selected = selected_stage
        .and_then(|id| board.column_index(id))
        .unwrap_or(board.selected)
        .min(board.columns.len().saturating_sub(1));
    if !same_pipeline {
        board.col_offset = 0;
        // Another pipeline's stages: no totals of theirs are counted yet.
        board.summaries_under = None;
        board.closed_under = None;
    }
    board.pipelines = data.pipelines;
    board.pipeline_id = data.pipeline_id;
    board.status = BoardStatus::Ready;
    if board.filter.is_empty() {
        board.summaries = data.summaries;
        board.summaries_under = Some(board.filter.clone());
        super::totals::load_closed(state)
    } else {
        // The maintained totals count every lead: read the filtered ones instead (the won/lost
        // totals follow them, `on_summaries`).
        super::filter::reload_summaries(state)
    }
}

pub(super) fn on_column_loaded(
    state: &mut State,
    request: RequestId,
    stage_id: Uuid,
    append: bool,
    result: Result<ColumnPage, Failure>,
) -> Vec<Effect> {
    let Some(ci) = state.board.column_index(stage_id) else {
        return Vec::new();
    };
    if state.board.columns.get(ci).and_then(|c| c.loading) != Some(request) {
        return Vec::new();
    }
    match result {
        Ok(page) => {
            state.connection = Connection::Connected;
            state.board.apply_page(request, page, append);
            if let Some(col) = state.board.columns.get_mut(ci) {
                col.stale = false;
            }
            let mut fx = super::seek::continue_seek(state);
            fx.extend(super::bottom::continue_bottom(state, stage_id));
            fx
        }
        Err(f) => {
            if let Some(col) = state.board.columns.get_mut(ci) {
                col.loading = None;
                col.stale = false;
                // No automatic retry (it would loop): `r` reloads.
                col.next_cursor = None;
                if col.cards.is_empty() {
                    col.status = ColumnStatus::Failed(f.message.clone());
                }
            }
            if state
                .board
                .seek
                .as_ref()
                .is_some_and(|s| s.hit.stage_id == stage_id)
            {
                state.board.seek = None;
            }
            if state.board.to_bottom == Some(stage_id) {
                state.board.to_bottom = None;
            }
            state.error(format!("{} (r to retry)", f.message));
            note_failure(state, &f)
        }
    }
}

/// Keeps the selection visible and requests what became visible: first pages of visible
/// columns (plus one on each side), the next page when the selection nears the end of the
/// loaded cards.
pub(crate) fn settle(state: &mut State) -> Vec<Effect> {
    let mut fx = Vec::new();
    if state.board.columns.is_empty() {
        state.board.selected = 0;
        state.board.col_offset = 0;
        return fx;
    }
    let body = state.board_columns_area();
    let n = state.board.columns.len();
    let fit = layout::columns_that_fit(body.width, n).max(1);
    state.board.selected = state.board.selected.min(n - 1);
    state.board.col_offset =
        layout::column_offset(state.board.col_offset, state.board.selected, n, fit);
    let visible = layout::cards_that_fit(body.height);
    for col in &mut state.board.columns {
        col.clamp_selection();
        col.offset = layout::card_offset(col.offset, col.selected, col.cards.len(), visible);
    }
    if state.board.load_request.is_some() && state.board.status != BoardStatus::Ready {
        return fx;
    }
    let page = state.page_size();
    let first = state.board.col_offset.saturating_sub(1);
    let last = (state.board.col_offset + fit + 1).min(n);
    for ci in first..last {
        let Some(col) = state.board.columns.get(ci) else {
            continue;
        };
        let wants_first = col.status == ColumnStatus::Idle || col.stale;
        let near_end = col.status == ColumnStatus::Ready
            && !col.stale
            && col.next_cursor.is_some()
            && col
                .cards
                .len()
                .saturating_sub(col.selected.max(col.offset + visible))
                <= visible;
        if wants_first {
            fx.extend(state.request_page(ci, false, page));
        } else if near_end {
            fx.extend(state.request_page(ci, true, page));
        }
    }
    fx
}

pub(super) fn on_summaries(
    state: &mut State,
    request: RequestId,
    result: Result<HashMap<Uuid, StageSummary>, Failure>,
) -> Vec<Effect> {
    if !state.board.summaries_request.answered_by(request) {
        return Vec::new();
    }
    match result {
        Ok(summaries) => {
            state.connection = Connection::Connected;
            // Counts of moves still in flight would flicker; keep local ones then (unless the
            // shown ones belong to another filter: these are the first of this one).
            if state.board.pending.is_empty() || !state.board.totals_shown() {
                state.board.summaries = summaries;
                state.board.summaries_under = Some(state.board.filter.clone());
            }
            // A teammate wrote while these were counted: count again (it reads the closed
            // headers too).
            if state.board.summaries_owed {
                return super::filter::reload_summaries(state);
            }
            // Closing moves change the won/lost headers too.
            super::totals::load_closed(state)
        }
        Err(f) => {
            state.board.summaries_owed = false;
            let mut fx = note_failure(state, &f);
            fx.extend(super::totals::load_closed(state));
            fx
        }
    }
}
