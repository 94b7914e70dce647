//! Closed-stage headers (issue 10): won/lost amounts of the current period, read after every
//! board or summaries read and when the period changes (`P`). Open stages keep the summaries.

use std::collections::HashMap;

use uuid::Uuid;

use super::BoardEffect;
use crate::data::closing::ClosedTotals;
use crate::state::{Connection, Effect, Failure, RequestId, State, note_failure};

/// Asks for the closed totals of the pipeline shown, in the board's period.
pub(crate) fn load_closed(state: &mut State) -> Vec<Effect> {
    let Some(pipeline_id) = state.board.pipeline_id else {
        return Vec::new();
    };
    if !state
        .board
        .columns
        .iter()
        .any(|c| c.stage.is_won || c.stage.is_lost)
    {
        return Vec::new();
    }
    let request = state.next_id();
    state.board.closed_request = Some(request);
    vec![
        BoardEffect::LoadClosedTotals {
            request,
            pipeline_id,
            period: state.board.period,
            filter: state.board.filter.clone(),
        }
        .into(),
    ]
}

/// `P`: this month → quarter → year → all time.
pub(super) fn cycle_period(state: &mut State) -> Vec<Effect> {
    state.board.period = state.board.period.next();
    state.info(format!("Won and lost: {}", state.board.period.label()));
    load_closed(state)
}

pub(super) fn on_closed_totals(
    state: &mut State,
    request: RequestId,
    result: Result<HashMap<Uuid, ClosedTotals>, Failure>,
) -> Vec<Effect> {
    if state.board.closed_request != Some(request) {
        return Vec::new();
    }
    state.board.closed_request = None;
    match result {
        Ok(totals) => {
            state.connection = Connection::Connected;
            state.board.closed = totals;
            state.board.closed_under = Some((state.board.filter.clone(), state.board.period));
            Vec::new()
        }
        Err(f) => note_failure(state, &f),
    }
}
