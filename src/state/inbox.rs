//! The task inbox screen's state and reducer (no I/O).
//!
//! The inbox shows the rep's open tasks grouped Overdue / Today / Upcoming / No date, then the
//! recently completed ones (collapsed by default). Writes are optimistic where the outcome is
//! known (completing moves the task to "Recently completed" at once); every write is followed by
//! a re-read of the inbox and of the overdue count once no other write is in flight, so a result
//! from before a write can never overwrite what the rep just did.
//!
//! Rooms: `model` (data and the screen's state), `writes` (optimistic writes, completion, undo and
//! their results), `lines`/`dates`/`triage`. Its popups (snooze, date, priority, assign, task
//! edit, new task) live in `state/popup/` like every popup; triage is [`InboxScreen::triage`].

pub mod dates;
pub mod history;
mod lines;
mod model;
mod triage;
pub(crate) mod writes;

use crate::state::request::InFlight;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::screen::Contract;
use super::{Effect, Failure, RequestId, Screen, State};
use crate::config::keymap::Command;
use crate::data::models::{LeadHit, TaskPriority};

pub use crate::state::popup::{
    DatePurpose, EditField, NewTaskField, NewTaskForm, PRIORITY_CHOICES, Popup, SNOOZE_CHOICES,
    filtered_teammates,
};
pub use dates::{Due, parse_due, relative_due};
pub use lines::{Line, scroll as lines_scroll};
pub use model::*;
pub use triage::{Triage, TriageStep};

/// Results and events that belong to the inbox.
#[derive(Debug, Clone, PartialEq)]
pub enum InboxAction {
    Loaded {
        request: RequestId,
        result: Result<InboxData, Failure>,
    },
    /// A write finished; `undo` comes with completions.
    Written {
        request: RequestId,
        result: Result<Option<UndoToken>, Failure>,
    },
    TeammatesLoaded {
        request: RequestId,
        result: Result<Vec<Assignee>, Failure>,
    },
    FactsLoaded {
        request: RequestId,
        lead_id: Uuid,
        result: Result<Facts, Failure>,
    },
    LeadsFound {
        request: RequestId,
        result: Result<Vec<LeadHit>, Failure>,
    },
}

/// Data work the inbox asks for; run by `app::inbox_worker`.
#[derive(Debug, Clone, PartialEq)]
pub enum InboxEffect {
    /// → [`InboxAction::Loaded`].
    Load {
        request: RequestId,
        view: View,
        now: DateTime<Utc>,
        /// Tasks of won/lost leads too (`O`, issue 10).
        include_closed: bool,
        /// Only the tasks this keeps (issue 12).
        filter: crate::filter::Filter,
    },
    /// Completes the tasks in one transaction → [`InboxAction::Written`] with the undo token.
    Complete {
        request: RequestId,
        ids: Vec<Uuid>,
        now: DateTime<Utc>,
    },
    /// → [`InboxAction::Written`].
    /// Puts tasks back as they were before a write (the undo history) → [`InboxAction::Written`].
    Restore {
        request: RequestId,
        undo: crate::data::inbox::TaskUndo,
        now: DateTime<Utc>,
    },
    Undo {
        request: RequestId,
        undo: UndoToken,
        now: DateTime<Utc>,
    },
    /// → [`InboxAction::Written`].
    Snooze {
        request: RequestId,
        ids: Vec<Uuid>,
        choice: SnoozeChoice,
        now: DateTime<Utc>,
    },
    /// `due: None` clears the due date → [`InboxAction::Written`].
    Reschedule {
        request: RequestId,
        id: Uuid,
        due: Option<Due>,
        now: DateTime<Utc>,
    },
    /// → [`InboxAction::Written`].
    SetPriority {
        request: RequestId,
        ids: Vec<Uuid>,
        priority: TaskPriority,
    },
    /// → [`InboxAction::Written`].
    Reassign {
        request: RequestId,
        ids: Vec<Uuid>,
        to: Uuid,
    },
    /// → [`InboxAction::Written`].
    Edit {
        request: RequestId,
        id: Uuid,
        title: String,
        description: Option<String>,
    },
    /// A new task for the rep → [`InboxAction::Written`].
    AddTask {
        request: RequestId,
        lead_id: Uuid,
        title: String,
        due: Option<Due>,
        priority: TaskPriority,
        now: DateTime<Utc>,
    },
    /// → [`InboxAction::TeammatesLoaded`].
    LoadTeammates { request: RequestId },
    /// → [`InboxAction::FactsLoaded`].
    LoadFacts { request: RequestId, lead_id: Uuid },
    /// → [`InboxAction::LeadsFound`].
    SearchLeads { request: RequestId, query: String },
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// The inbox's side of the screen contract.
pub struct Reducer;

impl Contract for Reducer {
    type Action = InboxAction;

    fn key(state: &mut State, k: &KeyEvent) -> Option<Vec<Effect>> {
        key(state, k)
    }

    fn command(state: &mut State, cmd: Command) -> Vec<Effect> {
        command(state, cmd)
    }

    fn update(state: &mut State, action: InboxAction) -> Vec<Effect> {
        update(state, action)
    }

    fn on_live_change(state: &mut State, change: &crate::data::live::Change) -> Vec<Effect> {
        on_live_change(state, change)
    }

    fn reload(state: &mut State) -> Vec<Effect> {
        reload(state)
    }

    fn is_loading(state: &State) -> bool {
        is_loading(state)
    }
}

pub(crate) fn screen(state: &State) -> Option<&InboxScreen> {
    match &state.screen {
        Screen::Inbox(s) => Some(s),
        _ => None,
    }
}

pub(crate) fn screen_mut(state: &mut State) -> Option<&mut InboxScreen> {
    match &mut state.screen {
        Screen::Inbox(s) => Some(s),
        _ => None,
    }
}

/// The inbox in front, or the one in the back history while a lead opened from it is shown
/// (results of its writes and reads still belong to it).
pub(crate) fn any_mut(state: &mut State) -> Option<&mut InboxScreen> {
    match &mut state.screen {
        Screen::Inbox(s) => Some(s),
        _ => state.back.iter_mut().rev().find_map(|b| match b {
            Screen::Inbox(s) => Some(s),
            _ => None,
        }),
    }
}

/// Takes the inbox out of the back history.
fn take_parked(state: &mut State) -> Option<InboxScreen> {
    let i = state
        .back
        .iter()
        .rposition(|b| matches!(b, Screen::Inbox(_)))?;
    match state.back.remove(i) {
        Screen::Inbox(s) => Some(s),
        _ => None,
    }
}

/// Effects to run when the screen opens: the inbox read (the screen shows "Loading" until it
/// arrives; coming back keeps what was shown while it re-reads).
pub fn open(state: &mut State) -> Vec<Effect> {
    let parked = take_parked(state);
    if screen(state).is_none() {
        let mut s = parked.unwrap_or_default();
        s.opened_lead = None;
        state.screen = Screen::Inbox(s);
    }
    let mut fx = reload(state);
    if state.overdue_request.is_none() {
        fx.extend(state.load_overdue(None));
    }
    fx
}

/// Re-reads the inbox (now, or once the writes in flight are done).
pub(crate) fn reload(state: &mut State) -> Vec<Effect> {
    let request = state.next_id();
    let now = state.now;
    let Some(s) = any_mut(state) else {
        return Vec::new();
    };
    if !s.pending.is_empty() {
        s.reload_queued = true;
        return Vec::new();
    }
    s.reload_queued = false;
    s.load_request = Some(request);
    vec![Effect::Inbox(InboxEffect::Load {
        request,
        view: s.view,
        now,
        include_closed: s.show_closed_leads,
        filter: s.filter.clone(),
    })]
}

/// The inbox filter bar's filter (issue 12): the list and its exact counts are read again.
pub fn apply_filter(state: &mut State, filter: crate::filter::Filter) -> Vec<Effect> {
    let text = filter.to_string();
    let Some(s) = any_mut(state) else {
        return Vec::new();
    };
    s.filter = filter;
    s.marked.clear();
    s.triage = None;
    s.status = Status::Loading;
    s.data = InboxData::default();
    s.cursor = 0;
    s.offset = 0;
    s.selected_id = None;
    if text.is_empty() {
        state.info("Filter cleared: every task");
    } else {
        state.info(format!("Filter: {text}"));
    }
    reload(state)
}

/// Teammates changed tasks (live updates) or the rep pressed refresh.
fn refresh(state: &mut State) -> Vec<Effect> {
    let mut fx = reload(state);
    if state.overdue_request.is_none() {
        fx.extend(state.load_overdue(None));
    }
    fx
}

/// Teammates changed data: re-read while the inbox is on screen (they wait for the writes in
/// flight). The hint names leads, not tables, and a task assigned to me may be on any lead, so
/// any change counts; the listener paces them to one per second.
fn on_live_change(state: &mut State, change: &crate::data::live::Change) -> Vec<Effect> {
    if screen(state).is_none() || (change.leads.is_empty() && change.stages.is_empty()) {
        return Vec::new();
    }
    let mut fx = reload(state);
    fx.extend(settle(state));
    fx
}

/// Whether the inbox waits for a read or a write.
/// (The spinner ticks while a read or a write is in flight: a few milliseconds, normally.)
fn is_loading(state: &State) -> bool {
    screen(state).is_some_and(|s| s.load_request.is_some() || !s.pending.is_empty())
}

fn update(state: &mut State, action: InboxAction) -> Vec<Effect> {
    let mut fx = match action {
        InboxAction::Loaded { request, result } => on_loaded(state, request, result),
        InboxAction::Written { request, result } => writes::on_written(state, request, result),
        InboxAction::TeammatesLoaded { request, result } => {
            crate::state::popup::assign::on_teammates(state, request, result)
        }
        InboxAction::FactsLoaded {
            request,
            lead_id,
            result,
        } => on_facts(state, request, lead_id, result),
        InboxAction::LeadsFound { request, result } => {
            crate::state::popup::new_task::on_leads(state, request, result)
        }
    };
    fx.extend(settle(state));
    fx
}

/// The inbox has no text input of its own (its popups take their keys through the router).
fn key(_state: &mut State, _key: &KeyEvent) -> Option<Vec<Effect>> {
    None
}

fn command(state: &mut State, cmd: Command) -> Vec<Effect> {
    let mut fx = on_command(state, cmd);
    fx.extend(settle(state));
    fx
}

fn on_command(state: &mut State, cmd: Command) -> Vec<Effect> {
    let page = isize::try_from(list_height(state).max(1)).unwrap_or(1);
    let in_triage = screen(state).is_some_and(|s| s.triage.is_some());
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    match cmd {
        Command::Back => {
            if in_triage {
                s.triage = None;
                state.info("Left triage");
            } else if !s.marked.is_empty() {
                s.marked.clear();
            } else {
                state.screen = Screen::Board;
            }
            Vec::new()
        }
        Command::Up if !in_triage => nav(s, -1),
        Command::Down if !in_triage => nav(s, 1),
        Command::PageUp if !in_triage => nav(s, -page),
        Command::PageDown if !in_triage => nav(s, page),
        Command::Top if !in_triage => nav(s, isize::MIN),
        Command::Bottom if !in_triage => nav(s, isize::MAX),
        Command::OpenLead => open_lead(state, false),
        Command::LogCall => open_lead(state, true),
        Command::CompleteTask => writes::complete(state),
        Command::UndoComplete => crate::state::history::undo(state),
        Command::Snooze => crate::state::popup::snooze::open_snooze(state),
        Command::Reschedule => crate::state::popup::date::open_reschedule(state),
        Command::ChangePriority => crate::state::popup::priority::open_priority(state),
        Command::Reassign => crate::state::popup::assign::open_reassign(state),
        Command::EditTask => crate::state::popup::edit_task::open_edit(state),
        Command::NewTask => crate::state::popup::new_task::open_new_task(state),
        Command::ToggleMark if !in_triage => toggle_mark(s),
        Command::MarkGroup if !in_triage => mark_group(s),
        Command::TriageMode => triage::toggle(state),
        Command::SkipTask => triage::skip(state),
        Command::ToggleTeam => {
            s.view = match s.view {
                View::Mine => View::Team,
                View::Team => View::Mine,
            };
            s.marked.clear();
            s.triage = None;
            s.status = Status::Loading;
            s.data = InboxData::default();
            s.cursor = 0;
            s.offset = 0;
            s.selected_id = None;
            let label = s.view.label();
            state.info(format!("Showing: {label}"));
            reload(state)
        }
        Command::ToggleCompleted => {
            s.show_completed = !s.show_completed;
            s.restore_cursor();
            Vec::new()
        }
        Command::ToggleClosedLeads => {
            s.show_closed_leads = !s.show_closed_leads;
            let shown = if s.show_closed_leads {
                "Showing tasks of won/lost leads too"
            } else {
                "Hiding tasks of won/lost leads"
            };
            state.info(shown);
            reload(state)
        }
        Command::Refresh => refresh(state),
        Command::FilterTasks => crate::state::popup::filter_bar::open_inbox(state),
        _ => Vec::new(),
    }
}

fn nav(s: &mut InboxScreen, delta: isize) -> Vec<Effect> {
    s.move_cursor(delta);
    Vec::new()
}

fn toggle_mark(s: &mut InboxScreen) -> Vec<Effect> {
    let Some(id) = s.task_ids().get(s.cursor).copied() else {
        return Vec::new();
    };
    if !s.marked.remove(&id) {
        s.marked.insert(id);
    }
    // Marking moves on, so a run of tasks is marked with repeated presses.
    s.move_cursor(1);
    Vec::new()
}

/// Marks every task of the cursor's group (or unmarks them when all are marked).
fn mark_group(s: &mut InboxScreen) -> Vec<Effect> {
    let lines = s.lines();
    let ids = s.task_ids();
    let Some(id) = ids.get(s.cursor).copied() else {
        return Vec::new();
    };
    let Some(section) = lines.iter().find_map(|l| match l {
        Line::Task {
            id: tid, section, ..
        } if *tid == id => Some(*section),
        _ => None,
    }) else {
        return Vec::new();
    };
    let group: Vec<Uuid> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Task {
                id, section: sec, ..
            } if *sec == section => Some(*id),
            _ => None,
        })
        .collect();
    if group.iter().all(|id| s.marked.contains(id)) {
        for id in &group {
            s.marked.remove(id);
        }
    } else {
        s.marked.extend(group);
    }
    Vec::new()
}

/// `enter` opens the task's lead; `c` opens it to log a call.
fn open_lead(state: &mut State, log_call: bool) -> Vec<Effect> {
    let Some(task) = screen(state).and_then(InboxScreen::current) else {
        state.info("No task selected");
        return Vec::new();
    };
    let (lead_id, name) = (task.lead_id, task.lead_name.clone());
    // Kept as it is (triage progress included) in the back history until Esc on the lead
    // comes back.
    let left = screen_mut(state).map(|s| {
        let mut left = s.clone();
        left.opened_lead = Some(lead_id);
        left
    });
    let mut fx = super::lead::open(state, lead_id, name);
    if let Some(left) = left {
        take_parked(state);
        state.back.push(Screen::Inbox(left));
    }
    if log_call {
        // The lead screen's capture form (type, outcome, notes…) over the lead.
        fx.extend(super::lead::forms::open_capture(state));
    }
    fx
}

fn on_loaded(
    state: &mut State,
    request: RequestId,
    result: Result<InboxData, Failure>,
) -> Vec<Effect> {
    let Some(s) = any_mut(state) else {
        return Vec::new();
    };
    if !s.load_request.answered_by(request) {
        return Vec::new();
    }
    match result {
        Ok(data) => {
            s.data = data;
            s.status = Status::Ready;
            let present: BTreeSet<Uuid> = s
                .data
                .groups
                .iter()
                .filter(|g| g.kind != GroupKind::Completed)
                .flat_map(|g| g.tasks.iter().map(|t| t.id))
                .collect();
            s.marked.retain(|id| present.contains(id));
            s.restore_cursor();
            if let Some(mut t) = s.triage.take() {
                t.sync(s);
                s.triage = Some(t);
            }
            state.connection = super::Connection::Connected;
            Vec::new()
        }
        Err(f) => {
            if s.status == Status::Loading {
                s.status = Status::Failed(f.message.clone());
            }
            let key = writes::first_key(state, Command::Refresh);
            state.error(format!("{} ({key} to retry)", f.message));
            super::note_failure(state, &f)
        }
    }
}

fn on_facts(
    state: &mut State,
    request: RequestId,
    lead_id: Uuid,
    result: Result<Facts, Failure>,
) -> Vec<Effect> {
    let Some(s) = any_mut(state) else {
        return Vec::new();
    };
    if s.facts_request != Some((request, lead_id)) {
        return Vec::new();
    }
    s.facts_request = None;
    match result {
        Ok(facts) => {
            s.facts.insert(lead_id, facts);
            Vec::new()
        }
        Err(f) => {
            // Triage works without the facts; say why they are missing.
            s.facts.insert(
                lead_id,
                Facts {
                    lead_name: String::new(),
                    rows: vec![("Facts".to_string(), f.message.clone())],
                },
            );
            super::note_failure(state, &f)
        }
    }
}

/// Rows of the task list.
fn list_height(state: &State) -> usize {
    usize::from(layout(state.board_area()).list.height)
}

/// After every inbox action: keep the cursor visible and fetch the facts triage shows.
pub(crate) fn settle(state: &mut State) -> Vec<Effect> {
    let height = list_height(state);
    let request = state.next_id();
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    let lines = s.lines();
    s.offset = lines::scroll(&lines, s.offset, s.selected_id, height);
    let Some(t) = &s.triage else {
        return Vec::new();
    };
    let Some(lead_id) = t
        .current(s)
        .and_then(|id| s.data.find(id))
        .map(|(_, task)| task.lead_id)
    else {
        return Vec::new();
    };
    if s.facts.contains_key(&lead_id) || s.facts_request.is_some_and(|(_, l)| l == lead_id) {
        return Vec::new();
    }
    s.facts_request = Some((request, lead_id));
    vec![Effect::Inbox(InboxEffect::LoadFacts { request, lead_id })]
}
