//! Triage mode: the overdue and today tasks one at a time — done, snooze, reschedule, log a call
//! or skip — until none is left.
//!
//! The queue is fixed when triage starts (overdue, then today, in list order) and grows when a
//! re-read brings new due tasks. The current task is the first one in the queue not handled
//! (done, snoozed, rescheduled) nor skipped that is still due; undoing a completion makes it
//! current again.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{GroupKind, InboxScreen, Status, WriteKind, screen_mut};
use crate::config::keymap::Command;
use crate::state::{Effect, State};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Triage {
    pub queue: Vec<Uuid>,
    /// Done, snoozed or rescheduled here.
    pub handled: BTreeSet<Uuid>,
    pub skipped: BTreeSet<Uuid>,
    pub done: usize,
    pub snoozed: usize,
    pub rescheduled: usize,
}

/// Where triage stands, for the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriageStep {
    /// Working on `id`, the `position`-th of `total`.
    Working {
        id: Uuid,
        position: usize,
        total: usize,
    },
    /// Nothing left; `skipped` tasks were left for later.
    Finished { skipped: usize },
}

/// The due tasks (overdue, then today) in list order.
fn due_ids(s: &InboxScreen) -> Vec<Uuid> {
    let listed: Vec<Uuid> = s
        .lines()
        .iter()
        .filter_map(|l| match l {
            super::Line::Task { id, kind, .. } if kind.is_due() => Some(*id),
            _ => None,
        })
        .collect();
    // Collapsed or filtered lines never hide due tasks, but be safe: add any not listed.
    let mut ids = listed;
    for kind in [GroupKind::Overdue, GroupKind::Today] {
        for t in s
            .data
            .group(kind)
            .map(|g| g.tasks.as_slice())
            .unwrap_or(&[])
        {
            if !ids.contains(&t.id) {
                ids.push(t.id);
            }
        }
    }
    ids
}

fn is_due(s: &InboxScreen, id: Uuid) -> bool {
    s.data.find(id).is_some_and(|(k, _)| k.is_due())
}

impl Triage {
    pub fn start(s: &InboxScreen) -> Triage {
        Triage {
            queue: due_ids(s),
            ..Triage::default()
        }
    }

    /// The task to work on now.
    pub fn current(&self, s: &InboxScreen) -> Option<Uuid> {
        self.queue
            .iter()
            .copied()
            .find(|id| !self.handled.contains(id) && !self.skipped.contains(id) && is_due(s, *id))
    }

    pub fn step(&self, s: &InboxScreen) -> TriageStep {
        match self.current(s) {
            Some(id) => TriageStep::Working {
                id,
                position: self
                    .queue
                    .iter()
                    .filter(|q| self.handled.contains(q) || self.skipped.contains(q))
                    .count()
                    + 1,
                total: self.queue.len(),
            },
            None => TriageStep::Finished {
                skipped: self.skipped.iter().filter(|id| is_due(s, **id)).count(),
            },
        }
    }

    /// After a re-read: tasks that left the due groups without being handled here (a teammate
    /// did them) leave the queue; new due tasks join its end.
    pub fn sync(&mut self, s: &InboxScreen) {
        let handled = &self.handled;
        self.queue
            .retain(|id| handled.contains(id) || is_due(s, *id));
        for id in due_ids(s) {
            if !self.queue.contains(&id) {
                self.queue.push(id);
            }
        }
    }

    /// A write failed: its tasks are offered again.
    pub fn unhandle(&mut self, ids: &[Uuid], kind: WriteKind) {
        for id in ids {
            if self.handled.remove(id) {
                let counter = match kind {
                    WriteKind::Complete => &mut self.done,
                    WriteKind::Snooze => &mut self.snoozed,
                    _ => &mut self.rescheduled,
                };
                *counter = counter.saturating_sub(1);
            }
        }
    }

    /// Marks `ids` handled (snoozed or rescheduled).
    pub fn handle(&mut self, ids: &[Uuid], snoozed: bool) {
        for id in ids {
            if self.queue.contains(id) && self.handled.insert(*id) {
                if snoozed {
                    self.snoozed += 1;
                } else {
                    self.rescheduled += 1;
                }
            }
        }
    }
}

/// `t`: starts triage; in triage, leaves it (or, when only skipped tasks are left, goes through
/// them again).
pub fn toggle(state: &mut State) -> Vec<Effect> {
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    if let Some(t) = &s.triage {
        match t.step(s) {
            TriageStep::Finished { skipped } if skipped > 0 => {
                if let Some(t) = &mut s.triage {
                    t.skipped.clear();
                }
            }
            _ => {
                s.triage = None;
                state.info("Left triage");
            }
        }
        return Vec::new();
    }
    if s.status != Status::Ready {
        state.info("The inbox is still loading");
        return Vec::new();
    }
    s.marked.clear();
    s.triage = Some(Box::new(Triage::start(s)));
    Vec::new()
}

/// `s` in triage: leaves the current task for later.
pub fn skip(state: &mut State) -> Vec<Effect> {
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    let Some(t) = &s.triage else {
        let key = super::writes::first_key(state, Command::TriageMode);
        state.info(format!("Skip works in triage mode ({key})"));
        return Vec::new();
    };
    if let Some(id) = t.current(s)
        && let Some(t) = &mut s.triage
    {
        t.skipped.insert(id);
    }
    Vec::new()
}
