//! Optimistic moves: the card moves at once; a refused move puts it back with the reason.
//! Moves of one lead are sent one after the other so the database sees them in order.

use uuid::Uuid;

use super::{BoardEffect, MoveRecord, PendingMove};
use crate::data::models::MovedLead;
use crate::state::popup::{Popup, Prompt, PromptPurpose};
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

/// Starts a move: asks for a reason when the target is a lost stage.
pub(crate) fn begin_move(
    state: &mut State,
    lead_id: Uuid,
    from_stage: Uuid,
    to_stage: Uuid,
    undo: bool,
) -> Vec<Effect> {
    let Some(target) = state
        .board
        .column_index(to_stage)
        .and_then(|i| state.board.columns.get(i))
    else {
        return Vec::new();
    };
    if target.stage.is_lost {
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
            title: format!("Why was {name} lost? ({})", target.stage.name),
            input: String::new(),
            hint: None,
        }));
        return Vec::new();
    }
    perform_move(state, lead_id, from_stage, to_stage, None, undo)
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
    board.pending.push(PendingMove {
        request,
        lead_id,
        from_stage,
        to_stage,
        lost_reason: lost_reason.clone(),
        sent: !queued,
        restore_index: index,
    });
    board.last_move = (!undo).then_some(MoveRecord {
        lead_id,
        from_stage,
        to_stage,
    });
    if queued {
        Vec::new()
    } else {
        vec![
            BoardEffect::MoveLead {
                request,
                lead_id,
                from_stage,
                to_stage,
                lost_reason,
            }
            .into(),
        ]
    }
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
            let mut fx = Vec::new();
            if let Some(next) = board
                .pending
                .iter_mut()
                .find(|p| p.lead_id == done.lead_id && !p.sent)
            {
                next.sent = true;
                fx.push(Effect::Board(BoardEffect::MoveLead {
                    request: next.request,
                    lead_id: next.lead_id,
                    from_stage: next.from_stage,
                    to_stage: next.to_stage,
                    lost_reason: next.lost_reason.clone(),
                }));
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
            }
            state.error(f.message.clone());
            note_failure(state, &f)
        }
    }
}
