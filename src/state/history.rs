//! The undo history (issue 11): one list for every screen, the last [`DEPTH`] undoable actions —
//! stage moves and closes (board), completions, snoozes, reschedules, priority changes and
//! reassigns (inbox), field edits, reschedules, owner and tag changes (lead screen and card).
//!
//! `u` undoes the newest entry that belongs to the screen in front ([`Place`]): an entry is
//! undone where the rep can see what comes back. Entries of other screens stay for later. The
//! status line says what was undone ("Undid: moved Acme to Qualified"). Every undo is
//! checked against what the action left (the lead's `version`, the stage, the task's values): a
//! change a teammate made since is reported ("Not undone: …") and nothing is overwritten.
//!
//! A bulk action is ONE entry whose [`Undo`] carries every item (as [`Undo::Tasks`] carries
//! every task of a bulk reassign); the board's bulk marks add their own variant here.

use uuid::Uuid;

use super::lead::{LeadEffect, LeadFields};
use super::{Effect, RequestId, Screen, State};
use crate::data::closing::CloseUndo;
use crate::data::inbox::TaskUndo;

/// Entries kept; older ones fall off.
pub const DEPTH: usize = 30;

/// The screen where an entry is undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Board,
    Inbox,
    /// The lead screen showing this lead.
    Lead(Uuid),
}

impl Place {
    fn name(self) -> &'static str {
        match self {
            Place::Board => "on the board",
            Place::Inbox => "in the inbox",
            Place::Lead(_) => "on its lead screen",
        }
    }
}

/// How to put one action back.
#[derive(Debug, Clone, PartialEq)]
pub enum Undo {
    /// The inbox's last completion (reopened with the token the inbox keeps).
    Completion,
    /// Task writes of the inbox (one or many tasks).
    Tasks(TaskUndo),
    /// A stage move, sent back to `from_stage` if the lead is still in `to_stage`. `close` is
    /// the database's exact undo of a closing move (it arrives with the move's result).
    Move {
        request: RequestId,
        lead_id: Uuid,
        from_stage: Uuid,
        to_stage: Uuid,
        close: Option<CloseUndo>,
    },
    /// Fields saved by the edit form: `before` is saved back if the lead is still at `version`
    /// (the version the edit left; `from` is the one it found).
    LeadEdit {
        lead_id: Uuid,
        from: i32,
        version: i32,
        before: Box<LeadFields>,
        after: Box<LeadFields>,
    },
    /// An owner change: the lead goes back to `to` if it is still at `version` (the version the
    /// change left; `from` is the one it found).
    Owner {
        lead_id: Uuid,
        name: String,
        from: i32,
        version: i32,
        to: Uuid,
    },
    /// A task completed on the lead screen: reopened (with the status it had) unless someone
    /// reopened it since.
    Reopen {
        task_id: Uuid,
        previous: crate::data::models::TaskStatus,
    },
    /// A task rescheduled on the lead screen: the old due date and time go back if the task is
    /// still at `version` (the one the reschedule left).
    Reschedule {
        task_id: Uuid,
        version: i32,
        due_date: Option<chrono::NaiveDate>,
        due_time: Option<chrono::NaiveTime>,
    },
    /// A deal edited on the lead screen: the changed fields go back if the deal is still at
    /// `version` (the one the edit left).
    Deal {
        deal_id: Uuid,
        version: i32,
        before: Box<crate::data::lead::DealChanges>,
    },
    /// A write of marked cards (board), undone by the database's exact undo of it.
    Bulk(crate::data::bulk::BulkUndo),
    /// A tag added (undone by removing it) or removed (undone by adding it again).
    Tag {
        lead_id: Uuid,
        tag: super::lead::LeadTag,
        added: bool,
    },
}

/// One undoable action.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// What the status line says was undone ("moved Acme to Qualified").
    pub label: String,
    pub place: Place,
    pub undo: Undo,
}

/// An undo sent and not answered yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Awaited {
    pub request: RequestId,
    pub label: String,
    /// The lead and the version the undone action found: once undone, the lead is back there.
    pub rebase: Option<(Uuid, i32)>,
}

/// The history, newest last, and the undos whose answers are awaited (lead-screen undos).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    pub entries: Vec<Entry>,
    pub awaiting: Vec<Awaited>,
}

impl History {
    pub fn push(&mut self, label: impl Into<String>, place: Place, undo: Undo) {
        self.entries.push(Entry {
            label: label.into(),
            place,
            undo,
        });
        let extra = self.entries.len().saturating_sub(DEPTH);
        self.entries.drain(..extra);
    }

    /// The newest entry.
    pub fn newest(&self) -> Option<&Entry> {
        self.entries.last()
    }

    /// The move entry sent with `request`.
    pub fn move_mut(&mut self, request: RequestId) -> Option<&mut Entry> {
        self.entries
            .iter_mut()
            .rev()
            .find(|e| matches!(e.undo, Undo::Move { request: r, .. } if r == request))
    }

    /// Drops the move entry sent with `request` (the move failed).
    pub fn forget_move(&mut self, request: RequestId) {
        self.entries
            .retain(|e| !matches!(e.undo, Undo::Move { request: r, .. } if r == request));
    }

    /// Whether `request` is an undo sent from here; clears it.
    pub fn answers(&mut self, request: RequestId) -> Option<Awaited> {
        let at = self.awaiting.iter().position(|a| a.request == request)?;
        Some(self.awaiting.remove(at))
    }

    /// An undo of `lead` put it back as it was at version `from` and left version `now`: the
    /// entries that left `from` can be undone at `now` (a chain of undos is not a conflict; a
    /// teammate's write in between still is, as their entries' versions no longer match).
    pub fn rebase(&mut self, lead: Uuid, from: i32, now: i32) {
        for e in &mut self.entries {
            match &mut e.undo {
                Undo::LeadEdit {
                    lead_id, version, ..
                }
                | Undo::Owner {
                    lead_id, version, ..
                } if *lead_id == lead && *version == from => *version = now,
                _ => {}
            }
        }
    }
}

/// The place of the screen in front.
pub fn here(state: &State) -> Option<Place> {
    match &state.screen {
        Screen::Board => Some(Place::Board),
        Screen::Inbox(_) => Some(Place::Inbox),
        Screen::Lead(s) => Some(Place::Lead(s.lead_id)),
        Screen::Insights(_) => None,
    }
}

/// Records an action done on the screen in front.
pub fn record(state: &mut State, label: impl Into<String>, undo: Undo) {
    if let Some(place) = here(state) {
        state.history.push(label, place, undo);
    }
}

/// `u`: undoes the newest entry of the screen in front.
pub fn undo(state: &mut State) -> Vec<Effect> {
    let Some(place) = here(state) else {
        return Vec::new();
    };
    let Some(at) = state.history.entries.iter().rposition(|e| e.place == place) else {
        match state.history.newest() {
            Some(e) => state.info(format!(
                "Nothing to undo here; “{}” is undone {}",
                e.label,
                e.place.name()
            )),
            None => state.info("Nothing to undo"),
        }
        return Vec::new();
    };
    let entry = state.history.entries.remove(at);
    let label = entry.label;
    match entry.undo {
        Undo::Completion => super::inbox::history::undo_completion(state),
        Undo::Bulk(undo) => super::board::marks::undo(state, label, undo),
        Undo::Tasks(undo) => super::inbox::history::undo_tasks(state, undo, &label),
        Undo::Move {
            lead_id,
            from_stage,
            to_stage,
            close,
            ..
        } => super::board::undo_move(state, lead_id, from_stage, to_stage, close, &label),
        Undo::LeadEdit {
            lead_id,
            from,
            version,
            before,
            after,
        } => {
            let request = send(state, label, Some((lead_id, from)));
            vec![Effect::Lead(LeadEffect::UpdateLead {
                request,
                lead_id,
                version,
                fields: before,
                base: after,
            })]
        }
        Undo::Owner {
            lead_id,
            name,
            from,
            version,
            to,
        } => {
            let request = send(state, label, Some((lead_id, from)));
            super::lifecycle::undo_owner(state, request, lead_id, name, version, to)
        }
        Undo::Reopen { task_id, previous } => {
            let request = send(state, label, None);
            vec![Effect::Lead(LeadEffect::ReopenTask {
                request,
                task_id,
                previous,
                now: state.now,
            })]
        }
        Undo::Reschedule {
            task_id,
            version,
            due_date,
            due_time,
        } => {
            let request = send(state, label, None);
            vec![Effect::Lead(LeadEffect::RescheduleTask {
                request,
                task_id,
                version,
                due_date,
                due_time,
                now: state.now,
            })]
        }
        Undo::Deal {
            deal_id,
            version,
            before,
        } => {
            let request = send(state, label, None);
            vec![Effect::Lead(LeadEffect::UpdateDeal {
                request,
                deal_id,
                version,
                changes: *before,
            })]
        }
        Undo::Tag {
            lead_id,
            tag,
            added,
        } => {
            let request = send(state, label, None);
            let effect = if added {
                LeadEffect::RemoveTag {
                    request,
                    lead_id,
                    tag_id: tag.id,
                    tag: tag.tag,
                }
            } else {
                LeadEffect::AddTag {
                    request,
                    lead_id,
                    tag: tag.tag,
                    color: tag.color,
                }
            };
            vec![Effect::Lead(effect)]
        }
    }
}

/// A request for an undo whose answer comes back to [`on_answer`].
fn send(state: &mut State, label: String, rebase: Option<(Uuid, i32)>) -> RequestId {
    let request = state.next_id();
    state.info(format!("Undoing: {label}…"));
    state.history.awaiting.push(Awaited {
        request,
        label,
        rebase,
    });
    request
}

/// How an undo sent from here ended.
pub enum Answer {
    /// Written; the lead's new version when the write has one.
    Done(Option<i32>),
    /// A teammate changed it since: nothing was written.
    Conflict,
    Failed(super::Failure),
}

/// The answer to an undo sent by [`send`]: the status line says what happened and the lead
/// screen re-reads (it shows the values the database has now).
pub fn on_answer(state: &mut State, awaited: Awaited, answer: Answer) -> Vec<Effect> {
    let mut fx = Vec::new();
    let label = awaited.label;
    match answer {
        Answer::Done(version) => {
            if let (Some((lead, from)), Some(now)) = (awaited.rebase, version) {
                state.history.rebase(lead, from, now);
            }
            state.info(format!("Undid: {label}"));
        }
        Answer::Conflict => state.error(format!(
            "Not undone: a teammate changed this lead since you {label}; their change is kept"
        )),
        Answer::Failed(f) => {
            state.error(format!("Not undone ({label}): {}", f.message));
            fx.extend(super::note_failure(state, &f));
        }
    }
    if matches!(state.screen, Screen::Lead(_)) {
        fx.extend(<super::lead::Reducer as super::screen::Contract>::reload(
            state,
        ));
    }
    fx
}
