//! The inbox's writes, started from its popups and commands: optimistic (the task moves or
//! changes at once) and registered as pending until the database answers (`on_written`).

use uuid::Uuid;

use super::history;
use super::{
    Assignee, Due, GroupKind, InboxEffect, LastCompletion, Pending, SnoozeChoice, UndoToken, View,
    WriteKind, any_mut, reload, screen, screen_mut, sort_group,
};
use crate::config::keymap::Command;
use crate::data::inbox::TaskChange;
use crate::data::models::{TaskPriority, TaskStatus};
use crate::state::{Effect, Failure, RequestId, State};

/// Targets of a command that changes open tasks (not completed ones, not ones being saved).
pub(crate) fn open_targets(state: &mut State) -> Option<Vec<Uuid>> {
    let s = screen(state)?;
    let ids: Vec<Uuid> = s
        .targets()
        .into_iter()
        .filter(|id| {
            s.data
                .find(*id)
                .is_some_and(|(k, _)| k != GroupKind::Completed)
        })
        .collect();
    if ids.is_empty() {
        state.info("No open task selected");
        return None;
    }
    Some(ids)
}

pub(crate) fn snooze(state: &mut State, ids: Vec<Uuid>, choice: SnoozeChoice) -> Vec<Effect> {
    let now = state.now;
    let before = history::before(state, &ids);
    let Some(request) = state.inbox_write(WriteKind::Snooze, &ids) else {
        return Vec::new();
    };
    if let Some(today) = screen(state).map(|s| s.data.local(now).0) {
        let after = before
            .iter()
            .map(|b| (b.id, Some(choice.apply(today, b.due_date)), b.due_time))
            .collect();
        let label = format!("snoozed {}", count_label(before.len()));
        history::record(state, label, before, TaskChange::Due(after));
    }
    let mut moved_to = None;
    if let Some(s) = screen_mut(state) {
        let (today, time) = s.data.local(now);
        for id in &ids {
            // Moves at once to where the new date puts it (the same rule as the database).
            if let Some((_, mut task)) = s.data.take(*id) {
                let date = choice.apply(today, task.due_date);
                task.due_date = Some(date);
                let due = Due {
                    date,
                    time: task.due_time,
                };
                moved_to = Some(super::relative_due(Some(date), task.due_time, today, time).0);
                s.data.insert(group_for(Some(due), today, time), task);
            }
            s.marked.remove(id);
        }
        if let Some(t) = &mut s.triage {
            t.handle(&ids, true);
        }
        // The cursor stays in place, on the next task.
        s.selected_id = None;
        s.restore_cursor();
    }
    match (ids.len(), moved_to) {
        (1, Some(when)) => state.info(format!("Snoozed: {when}")),
        (n, _) => state.info(format!("Snoozed {}: {}", count_label(n), choice.label())),
    }
    vec![Effect::Inbox(InboxEffect::Snooze {
        request,
        ids,
        choice,
        now,
    })]
}

fn count_label(n: usize) -> String {
    if n == 1 {
        "1 task".to_string()
    } else {
        format!("{n} tasks")
    }
}

/// The group a due date puts an open task in, at the screen's local `today`/`time`.
fn group_for(due: Option<Due>, today: chrono::NaiveDate, time: chrono::NaiveTime) -> GroupKind {
    match due {
        None => GroupKind::NoDate,
        Some(d) if d.date < today => GroupKind::Overdue,
        Some(d) if d.date == today && d.time.is_some_and(|t| t < time) => GroupKind::Overdue,
        Some(d) if d.date == today => GroupKind::Today,
        Some(_) => GroupKind::Upcoming,
    }
}

pub(crate) fn reschedule(state: &mut State, id: Uuid, due: Option<Due>) -> Vec<Effect> {
    let now = state.now;
    let before = history::before(state, &[id]);
    let Some(request) = state.inbox_write(WriteKind::Reschedule, &[id]) else {
        return Vec::new();
    };
    let after = vec![(id, due.map(|d| d.date), due.and_then(|d| d.time))];
    let label = match before.first() {
        Some(b) => format!("rescheduled “{}”", b.title),
        None => "rescheduled a task".to_string(),
    };
    history::record(state, label, before, TaskChange::Due(after));
    let mut label = "no date".to_string();
    if let Some(s) = screen_mut(state) {
        let (today, time) = s.data.local(now);
        if let Some((_, mut task)) = s.data.take(id) {
            task.due_date = due.map(|d| d.date);
            task.due_time = due.and_then(|d| d.time);
            label = super::relative_due(task.due_date, task.due_time, today, time).0;
            s.data.insert(group_for(due, today, time), task);
        }
        s.marked.remove(&id);
        if let Some(t) = &mut s.triage {
            t.handle(&[id], false);
        }
        s.selected_id = None;
        s.restore_cursor();
    }
    state.info(format!("Rescheduled: {label}"));
    vec![Effect::Inbox(InboxEffect::Reschedule {
        request,
        id,
        due,
        now,
    })]
}

pub(crate) fn set_priority(
    state: &mut State,
    ids: Vec<Uuid>,
    priority: TaskPriority,
) -> Vec<Effect> {
    let before = history::before(state, &ids);
    let Some(request) = state.inbox_write(WriteKind::Priority, &ids) else {
        return Vec::new();
    };
    let label = format!("priority of {}", count_label(before.len()));
    history::record(state, label, before, TaskChange::Priority(priority));
    if let Some(s) = screen_mut(state) {
        for g in &mut s.data.groups {
            let mut changed = false;
            for t in &mut g.tasks {
                if ids.contains(&t.id) {
                    t.priority = priority;
                    changed = true;
                }
            }
            if changed {
                sort_group(g.kind, &mut g.tasks);
            }
        }
        s.marked.clear();
        s.restore_cursor();
    }
    vec![Effect::Inbox(InboxEffect::SetPriority {
        request,
        ids,
        priority,
    })]
}

pub(crate) fn reassign(state: &mut State, ids: Vec<Uuid>, to: Assignee) -> Vec<Effect> {
    let before = history::before(state, &ids);
    let Some(request) = state.inbox_write(WriteKind::Reassign, &ids) else {
        return Vec::new();
    };
    let label = format!("reassigned {} to {}", count_label(before.len()), to.name);
    history::record(state, label, before, TaskChange::Assignee(to.id));
    if let Some(s) = screen_mut(state) {
        let leaves = s.view == View::Mine && !to.me;
        for id in &ids {
            if leaves {
                // No longer the rep's task; the cursor stays in place, on the next one.
                s.data.take(*id);
            } else {
                for g in &mut s.data.groups {
                    for t in g.tasks.iter_mut().filter(|t| t.id == *id) {
                        t.assigned_to = Some(to.id);
                        t.assignee_name = Some(to.name.clone());
                    }
                }
            }
            s.marked.remove(id);
        }
        if let Some(t) = &mut s.triage {
            t.handle(&ids, false);
        }
        s.restore_cursor();
    }
    let what = count_label(ids.len());
    state.info(format!("Reassigned {what} to {}", to.name));
    vec![Effect::Inbox(InboxEffect::Reassign {
        request,
        ids,
        to: to.id,
    })]
}

pub(crate) fn edit(
    state: &mut State,
    id: Uuid,
    title: String,
    description: Option<String>,
) -> Vec<Effect> {
    let before = history::before(state, &[id]);
    let Some(request) = state.inbox_write(WriteKind::Edit, &[id]) else {
        return Vec::new();
    };
    let change = TaskChange::Edit {
        title: title.clone(),
        description: description.clone(),
    };
    history::record(state, format!("edited “{title}”"), before, change);
    if let Some(s) = screen_mut(state) {
        for g in &mut s.data.groups {
            for t in g.tasks.iter_mut().filter(|t| t.id == id) {
                t.title = title.clone();
                t.description = description.clone();
            }
        }
    }
    state.info("Saved");
    vec![Effect::Inbox(InboxEffect::Edit {
        request,
        id,
        title,
        description,
    })]
}

pub(crate) fn add_task(
    state: &mut State,
    lead_id: Uuid,
    lead_name: String,
    title: String,
    due: Option<Due>,
    priority: TaskPriority,
) -> Vec<Effect> {
    let Some(request) = state.inbox_write(WriteKind::Add, &[]) else {
        return Vec::new();
    };
    state.info(format!("Task added for {lead_name}"));
    vec![Effect::Inbox(InboxEffect::AddTask {
        request,
        lead_id,
        title,
        due,
        priority,
        now: state.now,
    })]
}

impl State {
    /// Registers a write of the inbox and returns its request id.
    pub(super) fn inbox_write(&mut self, kind: WriteKind, ids: &[Uuid]) -> Option<RequestId> {
        let request = self.next_id();
        let s = any_mut(self)?;
        s.pending.push(Pending {
            request,
            kind,
            ids: ids.to_vec(),
        });
        // A read sent before this write would show the old state: drop it, re-read after.
        if s.load_request.take().is_some() {
            s.reload_queued = true;
        }
        Some(request)
    }
}

pub(super) fn complete(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let in_mine = screen(state).is_some_and(|s| s.view == View::Mine);
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    let targets: Vec<Uuid> = s
        .targets()
        .into_iter()
        .filter(|id| {
            s.data
                .find(*id)
                .is_some_and(|(k, _)| k != GroupKind::Completed)
                && !s.is_pending(*id)
        })
        .collect();
    if targets.is_empty() {
        let done = s
            .current()
            .is_some_and(|t| t.status == TaskStatus::Completed);
        state.info(if done {
            "Already done (u undoes the last completion)"
        } else {
            "No task to complete"
        });
        return Vec::new();
    }
    let Some(request) = state.inbox_write(WriteKind::Complete, &targets) else {
        return Vec::new();
    };
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    let mut before = Vec::new();
    let mut overdue_done = 0;
    for id in &targets {
        if let Some((kind, task)) = s.data.take(*id) {
            if kind == GroupKind::Overdue {
                overdue_done += 1;
            }
            let mut done = task.clone();
            done.status = TaskStatus::Completed;
            done.completed_at = Some(now);
            s.data.insert(GroupKind::Completed, done);
            before.push((kind, task));
        }
        s.marked.remove(id);
    }
    if let Some(t) = &mut s.triage {
        t.handled.extend(targets.iter().copied());
        t.done += targets.len();
    }
    let label = match before.as_slice() {
        [(_, t)] => format!("completed “{}”", t.title),
        many => format!("completed {} tasks", many.len()),
    };
    s.last_completion = Some(LastCompletion {
        request,
        before,
        undo: None,
        undo_requested: false,
    });
    // The cursor stays where it was: on the next task.
    s.selected_id = None;
    s.restore_cursor();
    crate::state::history::record(state, label, crate::state::history::Undo::Completion);
    if in_mine && let Some(n) = state.overdue.as_mut() {
        *n = (*n - overdue_done).max(0);
    }
    let n = targets.len();
    let undo_key = first_key(state, Command::UndoComplete);
    state.info(if n == 1 {
        format!("Done ✓  ({undo_key} to undo)")
    } else {
        format!("{n} tasks done ✓  ({undo_key} to undo)")
    });
    vec![Effect::Inbox(InboxEffect::Complete {
        request,
        ids: targets,
        now,
    })]
}

pub(crate) fn first_key(state: &State, cmd: Command) -> String {
    state
        .keymap
        .keys(cmd)
        .first()
        .map(ToString::to_string)
        .unwrap_or_else(|| cmd.name().to_string())
}

pub(super) fn undo(state: &mut State) -> Vec<Effect> {
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    let Some(last) = s.last_completion.as_mut() else {
        state.info("Nothing to undo");
        return Vec::new();
    };
    let Some(token) = last.undo.clone() else {
        // The completion is still being saved: undo as soon as it is.
        last.undo_requested = true;
        state.info("Undoing…");
        return Vec::new();
    };
    send_undo(state, token)
}

/// Reopens the last completed tasks at once and sends the undo.
fn send_undo(state: &mut State, token: UndoToken) -> Vec<Effect> {
    let in_mine = screen(state).is_some_and(|s| s.view == View::Mine);
    let Some(last) = any_mut(state).and_then(|s| s.last_completion.take()) else {
        return Vec::new();
    };
    let ids: Vec<Uuid> = last.before.iter().map(|(_, t)| t.id).collect();
    let Some(request) = state.inbox_write(WriteKind::Undo, &ids) else {
        return Vec::new();
    };
    let Some(s) = any_mut(state) else {
        return Vec::new();
    };
    let mut overdue = 0;
    for (kind, task) in last.before {
        s.data.take(task.id);
        if kind == GroupKind::Overdue {
            overdue += 1;
        }
        if let Some(t) = &mut s.triage
            && t.handled.remove(&task.id)
        {
            t.done = t.done.saturating_sub(1);
        }
        let id = task.id;
        s.data.insert(kind, task);
        s.selected_id = Some(id);
    }
    s.restore_cursor();
    if in_mine && let Some(n) = state.overdue.as_mut() {
        *n += overdue;
    }
    let n = ids.len();
    state.info(if n == 1 {
        "Reopened the task".to_string()
    } else {
        format!("Reopened {n} tasks")
    });
    vec![Effect::Inbox(InboxEffect::Undo {
        request,
        undo: token,
        now: state.now,
    })]
}

pub(super) fn on_written(
    state: &mut State,
    request: RequestId,
    result: Result<Option<UndoToken>, Failure>,
) -> Vec<Effect> {
    // The overdue count after every write, wherever the rep is now (a count read before this
    // write may be stale: its result is dropped).
    let mut fx = state.load_overdue(None);
    let Some(s) = any_mut(state) else {
        if let Err(f) = result {
            state.error(f.message.clone());
            fx.extend(crate::state::note_failure(state, &f));
        }
        return fx;
    };
    let Some(pos) = s.pending.iter().position(|p| p.request == request) else {
        return fx;
    };
    let done = s.pending.remove(pos);
    match result {
        Ok(token) => {
            state.connection = crate::state::Connection::Connected;
            if done.kind == WriteKind::Complete
                && let Some(s) = any_mut(state)
                && let Some(last) = s.last_completion.as_mut()
                && last.request == request
            {
                match token {
                    Some(token) if last.undo_requested => fx.extend(send_undo(state, token)),
                    Some(token) => last.undo = Some(token),
                    None => s.last_completion = None,
                }
            }
        }
        Err(f) => {
            if let Some(s) = any_mut(state) {
                if s.last_completion
                    .as_ref()
                    .is_some_and(|l| l.request == request)
                {
                    s.last_completion = None;
                }
                // Triage offers the tasks again.
                if let Some(t) = &mut s.triage {
                    t.unhandle(&done.ids, done.kind);
                }
                // What was shown optimistically is re-read from the database.
                s.reload_queued = true;
            }
            state.error(f.message.clone());
            fx.extend(crate::state::note_failure(state, &f));
        }
    }
    // Re-read once every write is settled.
    if any_mut(state).is_some_and(|s| s.pending.is_empty()) {
        fx.extend(reload(state));
    }
    fx
}
