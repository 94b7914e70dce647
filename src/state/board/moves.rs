//! Optimistic moves: the card moves at once; a refused move puts it back with the reason.
//! Moves of one lead are sent one after the other so the database sees them in order.

use uuid::Uuid;

use super::{BoardEffect, MoveRecord, PendingClose, PendingMove};
use crate::data::closing::{CloseMove, ClosedLead, DealChoice, TaskChoice};
use crate::data::models::MovedLead;
use crate::state::popup::{self, Popup, Prompt, PromptPurpose};
use crate::state::{Connection, Effect, Failure, RequestId, State, note_failure};

pub(super) fn move_selected_by(state: &mut State, delta: isize) -> Vec<Effect> {
    let board = &state.board;
    let Some(card) = board.selected_card() else {
        return Vec::new();
    };
    let from = board.selected;
    let to = from.saturating_add_signed(delta);
    let Some(target) = board.columns.get(to).filter(|_| to != from) else {
        return Vec::new();
    };
    let (lead_id, from_stage, to_stage) = (card.id, card.stage_id, target.stage.id);
    begin_move(state, lead_id, from_stage, to_stage, false)
}

pub(super) fn undo(state: &mut State) -> Vec<Effect> {
    let Some(last) = state.board.last_move else {
        state.info("Nothing to undo");
        return Vec::new();
    };
    let in_place = state
        .board
        .find_card(last.lead_id)
        .and_then(|(ci, _)| state.board.columns.get(ci))
        .is_some_and(|c| c.stage.id == last.to_stage);
    if !in_place || state.board.column_index(last.from_stage).is_none() {
        state.board.last_move = None;
        state.info("Nothing to undo");
        return Vec::new();
    }
    begin_move(state, last.lead_id, last.to_stage, last.from_stage, true)
}

/// Starts a move. A move into or out of a closed stage is one decision (the closing popup asks
/// the reason and what happens to deals and tasks); the undo of such a move restores exactly
/// what it changed, without asking (so nothing can cancel it).
pub(crate) fn begin_move(
    state: &mut State,
    lead_id: Uuid,
    from_stage: Uuid,
    to_stage: Uuid,
    undo: bool,
) -> Vec<Effect> {
    let stage_of = |id: Uuid| {
        state
            .board
            .column_index(id)
            .and_then(|i| state.board.columns.get(i))
            .map(|c| {
                (
                    c.stage.is_won || c.stage.is_lost,
                    c.stage.is_lost,
                    c.stage.name.clone(),
                )
            })
    };
    let (Some((to_closed, to_lost, to_name)), Some((from_closed, _, _))) =
        (stage_of(to_stage), stage_of(from_stage))
    else {
        return Vec::new();
    };
    if undo {
        if let Some(record) = state.board.last_close.clone() {
            return perform(
                state,
                lead_id,
                from_stage,
                to_stage,
                None,
                true,
                Some(PendingClose::Undo(record)),
            );
        }
    } else if to_closed || from_closed {
        return popup::closing::open(state, lead_id, from_stage, to_stage);
    }
    if to_lost {
        let name = state
            .board
            .find_card(lead_id)
            .and_then(|(c, i)| state.board.columns.get(c)?.cards.get(i))
            .map(|c| c.name.clone())
            .unwrap_or_default();
        state.popup = Some(Popup::Prompt(Prompt {
            purpose: PromptPurpose::LostReason {
                lead_id,
                from_stage,
                to_stage,
                undo,
            },
            title: format!("Why was {name} lost? ({to_name})"),
            input: String::new(),
            hint: None,
        }));
        return Vec::new();
    }
    perform_move(state, lead_id, from_stage, to_stage, None, undo)
}

/// A move into or out of a closed stage with the closing popup's choices.
pub(crate) fn perform_close(
    state: &mut State,
    lead_id: Uuid,
    from_stage: Uuid,
    to_stage: Uuid,
    lost_reason: Option<String>,
    deals: DealChoice,
    tasks: TaskChoice,
) -> Vec<Effect> {
    perform(
        state,
        lead_id,
        from_stage,
        to_stage,
        lost_reason,
        false,
        Some(PendingClose::Choose { deals, tasks }),
    )
}

/// Moves the card at once and sends the move (or queues it behind an earlier move of the same
/// lead, so the database sees them in order). The selection follows the card.
pub(crate) fn perform_move(
    state: &mut State,
    lead_id: Uuid,
    from_stage: Uuid,
    to_stage: Uuid,
    lost_reason: Option<String>,
    undo: bool,
) -> Vec<Effect> {
    perform(
        state,
        lead_id,
        from_stage,
        to_stage,
        lost_reason,
        undo,
        None,
    )
}

fn perform(
    state: &mut State,
    lead_id: Uuid,
    from_stage: Uuid,
    to_stage: Uuid,
    lost_reason: Option<String>,
    undo: bool,
    closing: Option<PendingClose>,
) -> Vec<Effect> {
    let board = &mut state.board;
    let Some((ci, index)) = board.find_card(lead_id) else {
        return Vec::new();
    };
    let in_source = board
        .columns
        .get(ci)
        .is_some_and(|c| c.stage.id == from_stage);
    let Some(to_col) = board.column_index(to_stage) else {
        return Vec::new();
    };
    if !in_source || ci == to_col {
        return Vec::new();
    }
    let Some(new_index) = board.relocate((ci, index), to_col, None) else {
        return Vec::new();
    };
    board.selected = to_col;
    if let Some(col) = board.columns.get_mut(to_col) {
        col.selected = new_index;
    }
    let queued = board.is_pending(lead_id);
    let request = state.next_id();
    let board = &mut state.board;
    let pending = PendingMove {
        request,
        lead_id,
        from_stage,
        to_stage,
        lost_reason,
        closing,
        sent: !queued,
        restore_index: index,
    };
    let effect = send(&pending);
    board.pending.push(pending);
    board.last_move = (!undo).then_some(MoveRecord {
        lead_id,
        from_stage,
        to_stage,
    });
    // The exact undo arrives with the result of a closing move.
    board.last_close = None;
    if !undo {
        board.last_bulk = None;
    }
    if queued { Vec::new() } else { vec![effect] }
}

/// The write a pending move sends: a plain move, a closing move, or the undo of one.
fn send(p: &PendingMove) -> Effect {
    match &p.closing {
        None => BoardEffect::MoveLead {
            request: p.request,
            lead_id: p.lead_id,
            from_stage: p.from_stage,
            to_stage: p.to_stage,
            lost_reason: p.lost_reason.clone(),
        },
        Some(PendingClose::Choose { deals, tasks }) => BoardEffect::CloseLead {
            request: p.request,
            close: CloseMove {
                lead_id: p.lead_id,
                from_stage: p.from_stage,
                to_stage: p.to_stage,
                lost_reason: p.lost_reason.clone(),
                deals: *deals,
                tasks: *tasks,
            },
        },
        Some(PendingClose::Undo(undo)) => BoardEffect::UndoClose {
            request: p.request,
            undo: undo.clone(),
        },
    }
    .into()
}

/// A closing move's result: the undo is kept for `u`, then it settles like any move.
pub(super) fn on_lead_closed(
    state: &mut State,
    request: RequestId,
    result: Result<ClosedLead, Failure>,
) -> Vec<Effect> {
    let awaited = state
        .board
        .pending
        .iter()
        .any(|p| p.request == request && p.sent);
    let result = match result {
        Ok(closed) => {
            if awaited
                && state
                    .board
                    .last_move
                    .is_some_and(|m| m.lead_id == closed.moved.lead_id)
            {
                let (deals, tasks) = (closed.undo.deal_count(), closed.undo.task_count());
                if deals + tasks > 0 {
                    state.info(format!(
                        "Closed {deals} deal{} and {tasks} task{} with the move",
                        if deals == 1 { "" } else { "s" },
                        if tasks == 1 { "" } else { "s" }
                    ));
                }
                state.board.last_close = Some(closed.undo);
            }
            Ok(closed.moved)
        }
        Err(f) => Err(f),
    };
    on_lead_moved(state, request, result)
}

pub(super) fn on_lead_moved(
    state: &mut State,
    request: RequestId,
    result: Result<MovedLead, Failure>,
) -> Vec<Effect> {
    let board = &mut state.board;
    let Some(pos) = board
        .pending
        .iter()
        .position(|p| p.request == request && p.sent)
    else {
        return Vec::new();
    };
    let done = board.pending.remove(pos);
    match result {
        Ok(moved) => {
            state.connection = Connection::Connected;
            let board = &mut state.board;
            if let Some((c, i)) = board.find_card(moved.lead_id)
                && let Some(card) = board.columns.get_mut(c).and_then(|c| c.cards.get_mut(i))
            {
                card.version = moved.version;
            }
            let mut fx = crate::state::popup::closing_deal::refresh_lead(state, moved.lead_id);
            let board = &mut state.board;
            if let Some(next) = board
                .pending
                .iter_mut()
                .find(|p| p.lead_id == done.lead_id && !p.sent)
            {
                next.sent = true;
                fx.push(send(next));
            } else if board.pending.is_empty()
                && let Some(pipeline_id) = board.pipeline_id
            {
                // Amounts cannot be adjusted locally: re-read the totals once all is settled.
                let request = state.next_id();
                state.board.summaries_request = Some(request);
                fx.push(Effect::Board(BoardEffect::LoadSummaries {
                    request,
                    pipeline_id,
                    filter: state.board.filter.clone(),
                }));
            }
            fx
        }
        Err(f) => {
            let board = &mut state.board;
            board.pending.retain(|p| p.lead_id != done.lead_id);
            if let Some((c, i)) = board.find_card(done.lead_id)
                && let Some(home) = board.column_index(done.from_stage)
            {
                let was_selected = board.selected == c
                    && board.columns.get(c).is_some_and(|col| col.selected == i);
                if home != c
                    && let Some(at) = board.relocate((c, i), home, Some(done.restore_index))
                    && was_selected
                {
                    board.selected = home;
                    if let Some(col) = board.columns.get_mut(home) {
                        col.selected = at;
                    }
                }
            }
            if board.last_move.is_some_and(|m| m.lead_id == done.lead_id) {
                board.last_move = None;
                board.last_close = None;
            }
            state.error(f.message.clone());
            note_failure(state, &f)
        }
    }
}
