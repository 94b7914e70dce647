//! The inbox's undo history (issue 11): the last [`DEPTH`] task writes — completions,
//! snoozes, reschedules, priority changes, reassigns (bulk ones as one entry) and edits. `u`
//! walks back one entry at a time and the status line says what was undone; a task a teammate
//! changed since is not overwritten (the data layer refuses and says so).

use uuid::Uuid;

use super::{InboxEffect, WriteKind, screen, screen_mut};
use crate::data::inbox::{TaskBefore, TaskChange, TaskUndo};
use crate::state::{Effect, State};

/// Entries kept; older ones fall off.
pub const DEPTH: usize = 30;

/// One undoable action of the inbox.
#[derive(Debug, Clone, PartialEq)]
pub enum UndoEntry {
    /// The last completion (undone by reopening, as before the history existed).
    Completion,
    Tasks(TaskUndo),
}

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
    push(
        state,
        UndoEntry::Tasks(TaskUndo {
            label,
            before,
            change,
        }),
    );
}

pub(super) fn push(state: &mut State, entry: UndoEntry) {
    if let Some(s) = screen_mut(state) {
        s.history.push(entry);
        let extra = s.history.len().saturating_sub(DEPTH);
        s.history.drain(..extra);
    }
}

/// `u`: undoes the newest entry.
pub(super) fn undo(state: &mut State) -> Vec<Effect> {
    let entry = screen_mut(state).and_then(|s| s.history.pop());
    match entry {
        None | Some(UndoEntry::Completion) => super::writes::undo(state),
        Some(UndoEntry::Tasks(undo)) => {
            let ids: Vec<Uuid> = undo.before.iter().map(|b| b.id).collect();
            let Some(request) = state.inbox_write(WriteKind::Undo, &ids) else {
                return Vec::new();
            };
            state.info(format!("Undone: {}", undo.label));
            vec![Effect::Inbox(InboxEffect::Restore {
                request,
                undo,
                now: state.now,
            })]
        }
    }
}
