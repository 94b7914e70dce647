//! The inbox's writes, started from its popups and commands: optimistic (the task moves or
//! changes at once) and registered as pending until the database answers (`on_written`).

use uuid::Uuid;

use super::{
    Due, GroupKind, InboxEffect, SnoozeChoice, Teammate, View, WriteKind, screen, screen_mut,
    sort_group,
};
use crate::data::models::TaskPriority;
use crate::state::{Effect, State};

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
    let Some(request) = state.inbox_write(WriteKind::Snooze, &ids) else {
        return Vec::new();
    };
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
    let Some(request) = state.inbox_write(WriteKind::Reschedule, &[id]) else {
        return Vec::new();
    };
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
    let Some(request) = state.inbox_write(WriteKind::Priority, &ids) else {
        return Vec::new();
    };
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

pub(crate) fn reassign(state: &mut State, ids: Vec<Uuid>, to: Teammate) -> Vec<Effect> {
    let Some(request) = state.inbox_write(WriteKind::Reassign, &ids) else {
        return Vec::new();
    };
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
    let Some(request) = state.inbox_write(WriteKind::Edit, &[id]) else {
        return Vec::new();
    };
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
