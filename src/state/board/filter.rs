//! The board through a filter: applying one (every column re-read from its first page, the
//! totals re-read exactly), and the completion lists of the filter bar.

use super::{BoardEffect, ColumnStatus};
use crate::filter::{Filter, FilterChoices};
use crate::state::request::InFlight;
use crate::state::{Connection, Effect, Failure, RequestId, State, note_failure};

/// Shows only the leads `filter` keeps (an empty filter shows all). The columns drop their
/// cards and `settle` pages in what is visible; the totals are one read.
pub fn apply(state: &mut State, filter: Filter) -> Vec<Effect> {
    let text = filter.to_string();
    state.board.filter = filter;
    state.board.seek = None;
    for col in &mut state.board.columns {
        col.cards.clear();
        col.selected = 0;
        col.offset = 0;
        col.next_cursor = None;
        col.loading = None;
        col.stale = false;
        col.status = ColumnStatus::Idle;
    }
    if text.is_empty() {
        state.info("Filter cleared: every lead");
    } else {
        state.info(format!("Filter: {text}"));
    }
    reload_summaries(state)
}

/// Re-reads the column totals under the current filter; the won/lost totals follow when they
/// land (`load::on_summaries`), so one filter change reads them once, not twice, and they never
/// hold both connections of the pool while the first pages wait.
pub(super) fn reload_summaries(state: &mut State) -> Vec<Effect> {
    let Some(pipeline_id) = state.board.pipeline_id else {
        return Vec::new();
    };
    let request = state.next_id();
    state.board.summaries_request = Some(request);
    state.board.summaries_owed = false;
    vec![
        BoardEffect::LoadSummaries {
            request,
            pipeline_id,
            filter: state.board.filter.clone(),
        }
        .into(),
    ]
}

/// Asks for the completion lists unless they are loaded or on their way.
pub fn request_choices(state: &mut State) -> Vec<Effect> {
    if state.board.filter_choices.is_some() || state.board.filter_choices_request.is_some() {
        return Vec::new();
    }
    let request = state.next_id();
    state.board.filter_choices_request = Some(request);
    vec![BoardEffect::LoadFilterChoices { request }.into()]
}

pub(super) fn on_choices(
    state: &mut State,
    request: RequestId,
    result: Result<FilterChoices, Failure>,
) -> Vec<Effect> {
    if !state.board.filter_choices_request.answered_by(request) {
        return Vec::new();
    }
    match result {
        Ok(choices) => {
            state.connection = Connection::Connected;
            state.board.filter_choices = Some(choices);
            crate::state::popup::filter_bar::refresh(state);
            Vec::new()
        }
        // Completion is a help, not a must: typing still works.
        Err(f) => note_failure(state, &f),
    }
}
