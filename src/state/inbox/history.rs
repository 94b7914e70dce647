//! The inbox's entries of the undo history (`state/history.rs`): task writes — completions,
//! snoozes, reschedules, priority changes, reassigns (bulk ones as one entry) and edits. A task a
//! teammate changed since is not overwritten (the data layer refuses and says so).

use uuid::Uuid;

use super::{InboxEffect, WriteKind, screen};
use crate::data::inbox::{TaskBefore, TaskChange, TaskUndo};
use crate::state::history::{self, Undo};
use crate::state::{Effect, State};

/// The tasks `ids` as the inbox shows them now (before a write changes them).
pub(super) fn before(state: &State, ids: &[Uuid]) -> Vec<TaskBefore> {
    let Some(s) = screen(state) else {
        return Vec::new();
    };
    ids.iter()
        .filter_map(|id| s.data.find(*id).map(|(_, t)| t))
        .map(|t| TaskBefore {
            id: t.id,
            title: t.title.clone(),
            description: t.description.clone(),
            due_date: t.due_date,
            due_time: t.due_time,
            priority: t.priority,
            assigned_to: t.assigned_to,
        })
        .collect()
}

/// Records a task write (nothing when no task was known).
pub(super) fn record(
    state: &mut State,
    label: String,
    before: Vec<TaskBefore>,
    change: TaskChange,
) {
    if before.is_empty() {
        return;
    }
    let undo = Undo::Tasks(TaskUndo {
        label: label.clone(),
        before,
        change,
    });
    history::record(state, label, undo);
}

/// Undoes the inbox's last completion (the reopen token is kept by the inbox).
pub(crate) fn undo_completion(state: &mut State) -> Vec<Effect> {
    super::writes::undo(state)
}

/// Puts tasks back as they were before a write.
pub(crate) fn undo_tasks(state: &mut State, undo: TaskUndo, label: &str) -> Vec<Effect> {
    let ids: Vec<Uuid> = undo.before.iter().map(|b| b.id).collect();
    let Some(request) = state.inbox_write(WriteKind::Undo, &ids) else {
        return Vec::new();
    };
    state.info(format!("Undid: {label}"));
    vec![Effect::Inbox(InboxEffect::Restore {
        request,
        undo,
        now: state.now,
    })]
}
