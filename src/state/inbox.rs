//! The task inbox screen's state and reducer (no I/O).
//!
//! The inbox shows the rep's open tasks grouped Overdue / Today / Upcoming / No date, then the
//! recently completed ones (collapsed by default). Writes are optimistic where the outcome is
//! known (completing moves the task to "Recently completed" at once); every write is followed by
//! a re-read of the inbox and of the overdue count once no other write is in flight, so a result
//! from before a write can never overwrite what the rep just did.
//!
//! Popups of the inbox (snooze menu, date prompt, pickers, forms) live in [`InboxScreen::popup`]
//! and take every key while open; triage mode is [`InboxScreen::triage`].

pub mod dates;
mod lines;
mod triage;
pub(crate) mod writes;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Offset, Utc};
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use uuid::Uuid;

use super::screen::Contract;
use super::{Effect, Failure, RequestId, Screen, State};
use crate::config::keymap::Command;
use crate::data::models::{LeadHit, TaskPriority, TaskRow, TaskStatus};

pub use crate::state::popup::{
    DatePurpose, EditField, NewTaskField, NewTaskForm, PRIORITY_CHOICES, Popup, SNOOZE_CHOICES,
    filtered_teammates,
};
pub use dates::{Due, parse_due, relative_due};
pub use lines::{Line, scroll as lines_scroll};
pub use triage::{Triage, TriageStep};

/// Whose tasks are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The rep's own tasks.
    #[default]
    Mine,
    /// Everyone's, grouped by person.
    Team,
}

impl View {
    pub fn label(self) -> &'static str {
        match self {
            View::Mine => "My tasks",
            View::Team => "Team",
        }
    }
}

/// The groups, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKind {
    Overdue,
    Today,
    Upcoming,
    NoDate,
    Completed,
}

impl GroupKind {
    pub const ALL: [GroupKind; 5] = [
        GroupKind::Overdue,
        GroupKind::Today,
        GroupKind::Upcoming,
        GroupKind::NoDate,
        GroupKind::Completed,
    ];

    pub fn title(self) -> &'static str {
        match self {
            GroupKind::Overdue => "Overdue",
            GroupKind::Today => "Today",
            GroupKind::Upcoming => "Upcoming",
            GroupKind::NoDate => "No date",
            GroupKind::Completed => "Recently completed",
        }
    }

    /// Overdue and today: what triage works through and "inbox zero" means.
    pub fn is_due(self) -> bool {
        matches!(self, GroupKind::Overdue | GroupKind::Today)
    }
}

/// One group of tasks, sorted by priority then due date/time.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub kind: GroupKind,
    pub tasks: Vec<TaskRow>,
}

/// One inbox read.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxData {
    /// One entry per kind, in [`GroupKind::ALL`] order (missing kinds are empty).
    pub groups: Vec<Group>,
    /// The rep's UTC offset when read (due dates are local dates).
    pub utc_offset: FixedOffset,
}

impl Default for InboxData {
    fn default() -> Self {
        InboxData {
            groups: GroupKind::ALL
                .iter()
                .map(|&kind| Group {
                    kind,
                    tasks: Vec::new(),
                })
                .collect(),
            utc_offset: Utc.fix(),
        }
    }
}

impl InboxData {
    /// Builds the groups from tasks per kind (sorting each).
    pub fn new(groups: Vec<(GroupKind, Vec<TaskRow>)>, utc_offset: FixedOffset) -> InboxData {
        let mut data = InboxData {
            utc_offset,
            ..InboxData::default()
        };
        for (kind, tasks) in groups {
            if let Some(g) = data.group_mut(kind) {
                g.tasks.extend(tasks);
            }
        }
        for g in &mut data.groups {
            sort_group(g.kind, &mut g.tasks);
        }
        data
    }

    pub fn group(&self, kind: GroupKind) -> Option<&Group> {
        self.groups.iter().find(|g| g.kind == kind)
    }

    pub fn group_mut(&mut self, kind: GroupKind) -> Option<&mut Group> {
        self.groups.iter_mut().find(|g| g.kind == kind)
    }

    pub fn count(&self, kind: GroupKind) -> usize {
        self.group(kind).map_or(0, |g| g.tasks.len())
    }

    /// The count as shown: `300+` when the read stopped at the data layer's per-group limit.
    pub fn count_label(&self, kind: GroupKind) -> String {
        let n = self.count(kind);
        if i64::try_from(n).unwrap_or(i64::MAX) >= crate::data::inbox::GROUP_LIMIT {
            format!("{n}+")
        } else {
            n.to_string()
        }
    }

    /// The task with `id` and the kind of its group.
    pub fn find(&self, id: Uuid) -> Option<(GroupKind, &TaskRow)> {
        self.groups
            .iter()
            .find_map(|g| g.tasks.iter().find(|t| t.id == id).map(|t| (g.kind, t)))
    }

    /// Removes the task with `id`, returning it with its group's kind.
    fn take(&mut self, id: Uuid) -> Option<(GroupKind, TaskRow)> {
        for g in &mut self.groups {
            if let Some(i) = g.tasks.iter().position(|t| t.id == id) {
                return Some((g.kind, g.tasks.remove(i)));
            }
        }
        None
    }

    /// Puts a task into a group at its sorted place.
    fn insert(&mut self, kind: GroupKind, task: TaskRow) {
        if let Some(g) = self.group_mut(kind) {
            g.tasks.push(task);
            sort_group(kind, &mut g.tasks);
        }
    }

    /// Whether nothing is overdue or due today.
    pub fn inbox_zero(&self) -> bool {
        self.count(GroupKind::Overdue) == 0 && self.count(GroupKind::Today) == 0
    }

    /// The local date and time at `now`.
    pub fn local(&self, now: DateTime<Utc>) -> (NaiveDate, NaiveTime) {
        let local = now.with_timezone(&self.utc_offset);
        (local.date_naive(), local.time())
    }
}

fn priority_rank(p: TaskPriority) -> u8 {
    match p {
        TaskPriority::High => 0,
        TaskPriority::Medium => 1,
        TaskPriority::Low => 2,
    }
}

/// Open tasks: priority (high first), then due date and time (no time last within a day), then
/// title. Completed: most recently completed first.
pub fn sort_group(kind: GroupKind, tasks: &mut [TaskRow]) {
    if kind == GroupKind::Completed {
        tasks.sort_by(|a, b| b.completed_at.cmp(&a.completed_at).then(a.id.cmp(&b.id)));
        return;
    }
    tasks.sort_by(|a, b| {
        priority_rank(a.priority)
            .cmp(&priority_rank(b.priority))
            .then(a.due_date.is_none().cmp(&b.due_date.is_none()))
            .then(a.due_date.cmp(&b.due_date))
            .then(a.due_time.is_none().cmp(&b.due_time.is_none()))
            .then(a.due_time.cmp(&b.due_time))
            .then(a.title.cmp(&b.title))
            .then(a.id.cmp(&b.id))
    });
}

/// A person tasks can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Teammate {
    pub id: Uuid,
    pub name: String,
    /// The rep themself.
    pub me: bool,
}

/// The lead's key facts shown beside a task in triage: label and value pairs, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    pub lead_name: String,
    pub rows: Vec<(String, String)>,
}

/// How far to snooze.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnoozeChoice {
    Days(u32),
    NextMonday,
    Until(NaiveDate),
}

impl SnoozeChoice {
    /// The due date a snoozed task gets (the data layer's rule): `n` days after the later of
    /// today and its due date; the Monday after today; the date given.
    pub fn apply(self, today: NaiveDate, due: Option<NaiveDate>) -> NaiveDate {
        match self {
            SnoozeChoice::Days(n) => {
                let from = due.map_or(today, |d| d.max(today));
                from.checked_add_days(chrono::Days::new(u64::from(n)))
                    .unwrap_or(from)
            }
            SnoozeChoice::NextMonday => dates::next_weekday(today, chrono::Weekday::Mon),
            SnoozeChoice::Until(date) => date,
        }
    }

    pub fn label(self) -> String {
        match self {
            SnoozeChoice::Days(1) => "+1 day".to_string(),
            SnoozeChoice::Days(n) => format!("+{n} days"),
            SnoozeChoice::NextMonday => "next Monday".to_string(),
            SnoozeChoice::Until(d) => d.format("%a %b %-d").to_string(),
        }
    }
}

/// What the data layer needs to reopen completed tasks (opaque to the screen).
#[derive(Debug, Clone, PartialEq)]
pub struct UndoToken(pub Vec<(Uuid, TaskStatus)>);

/// A write and its optimistic bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub request: RequestId,
    pub kind: WriteKind,
    pub ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Complete,
    Undo,
    Snooze,
    Reschedule,
    Priority,
    Reassign,
    Edit,
    Add,
}

/// The last completion, for one-key undo.
#[derive(Debug, Clone, PartialEq)]
pub struct LastCompletion {
    pub request: RequestId,
    /// The tasks as they were, with their group.
    pub before: Vec<(GroupKind, TaskRow)>,
    /// Arrives with the write's result.
    pub undo: Option<UndoToken>,
    /// `u` was pressed before the result arrived: undo as soon as it does.
    pub undo_requested: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Loading,
    Ready,
    Failed(String),
}

/// Teammates for the reassign picker, read once per inbox.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Teammates {
    #[default]
    NotLoaded,
    Loading(RequestId),
    Loaded(Vec<Teammate>),
}

/// What the inbox shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InboxScreen {
    pub view: View,
    pub show_completed: bool,
    pub status: Status,
    pub data: InboxData,
    /// The read whose result is awaited; older results are dropped.
    pub load_request: Option<RequestId>,
    /// A re-read is due once the writes in flight are done.
    pub reload_queued: bool,
    /// Index into [`InboxScreen::task_ids`].
    pub cursor: usize,
    /// The task under the cursor, kept across re-reads.
    pub selected_id: Option<Uuid>,
    /// First visible list line.
    pub offset: usize,
    pub marked: BTreeSet<Uuid>,
    pub pending: Vec<Pending>,
    pub last_completion: Option<LastCompletion>,
    pub triage: Option<Box<Triage>>,
    pub teammates: Teammates,
    /// Key facts per lead (triage).
    pub facts: HashMap<Uuid, Facts>,
    /// The facts read in flight: (request, lead).
    pub facts_request: Option<(RequestId, Uuid)>,
    /// The lead opened from here (while parked): Esc on it comes back.
    pub opened_lead: Option<Uuid>,
}

impl InboxScreen {
    /// The list lines as drawn (headers and tasks).
    pub fn lines(&self) -> Vec<Line> {
        lines::build(self)
    }

    /// Visible tasks in list order.
    pub fn task_ids(&self) -> Vec<Uuid> {
        self.lines()
            .iter()
            .filter_map(|l| match l {
                Line::Task { id, .. } => Some(*id),
                _ => None,
            })
            .collect()
    }

    /// The task under the cursor (the current task in triage).
    pub fn current(&self) -> Option<&TaskRow> {
        let id = match &self.triage {
            Some(t) => t.current(self)?,
            None => *self.task_ids().get(self.cursor)?,
        };
        self.data.find(id).map(|(_, t)| t)
    }

    /// Tasks an action applies to: the marked ones, else the current one.
    pub fn targets(&self) -> Vec<Uuid> {
        if self.triage.is_none() && !self.marked.is_empty() {
            let visible = self.task_ids();
            return visible
                .into_iter()
                .filter(|id| self.marked.contains(id))
                .collect();
        }
        self.current().map(|t| vec![t.id]).unwrap_or_default()
    }

    pub fn is_pending(&self, id: Uuid) -> bool {
        self.pending.iter().any(|p| p.ids.contains(&id))
    }

    /// Keeps the cursor on the same task if it is still listed, else at the same place.
    fn restore_cursor(&mut self) {
        let ids = self.task_ids();
        if let Some(i) = self
            .selected_id
            .and_then(|sel| ids.iter().position(|id| *id == sel))
        {
            self.cursor = i;
        }
        self.cursor = self.cursor.min(ids.len().saturating_sub(1));
        self.selected_id = ids.get(self.cursor).copied();
    }

    fn move_cursor(&mut self, delta: isize) {
        let ids = self.task_ids();
        let last = ids.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
        self.selected_id = ids.get(self.cursor).copied();
    }
}

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
        result: Result<Vec<Teammate>, Failure>,
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
    },
    /// Completes the tasks in one transaction → [`InboxAction::Written`] with the undo token.
    Complete {
        request: RequestId,
        ids: Vec<Uuid>,
        now: DateTime<Utc>,
    },
    /// → [`InboxAction::Written`].
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

/// Rows of the inbox body: title line, list, key hints (when tall enough).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxLayout {
    pub title: Rect,
    pub list: Rect,
    pub hints: Option<Rect>,
}

/// Splits the body; the same for the reducer (scrolling) and the renderer.
pub fn layout(body: Rect) -> InboxLayout {
    let title = Rect::new(body.x, body.y, body.width, body.height.min(1));
    let with_hints = body.height >= 8;
    let hints_h = u16::from(with_hints);
    let list_h = body.height.saturating_sub(1 + hints_h);
    let list = Rect::new(body.x, body.y.saturating_add(1), body.width, list_h);
    let hints =
        with_hints.then(|| Rect::new(body.x, body.y.saturating_add(1 + list_h), body.width, 1));
    InboxLayout { title, list, hints }
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
fn any_mut(state: &mut State) -> Option<&mut InboxScreen> {
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
fn reload(state: &mut State) -> Vec<Effect> {
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
    })]
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
        InboxAction::Written { request, result } => on_written(state, request, result),
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
        Command::CompleteTask => complete(state),
        Command::UndoComplete => undo(state),
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
        Command::Refresh => refresh(state),
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

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

impl State {
    /// Registers a write of the inbox and returns its request id.
    fn inbox_write(&mut self, kind: WriteKind, ids: &[Uuid]) -> Option<RequestId> {
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

fn complete(state: &mut State) -> Vec<Effect> {
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
    s.last_completion = Some(LastCompletion {
        request,
        before,
        undo: None,
        undo_requested: false,
    });
    // The cursor stays where it was: on the next task.
    s.selected_id = None;
    s.restore_cursor();
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

fn first_key(state: &State, cmd: Command) -> String {
    state
        .keymap
        .keys(cmd)
        .first()
        .map(ToString::to_string)
        .unwrap_or_else(|| cmd.name().to_string())
}

fn undo(state: &mut State) -> Vec<Effect> {
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

fn on_written(
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
            fx.extend(super::note_failure(state, &f));
        }
        return fx;
    };
    let Some(pos) = s.pending.iter().position(|p| p.request == request) else {
        return fx;
    };
    let done = s.pending.remove(pos);
    match result {
        Ok(token) => {
            state.connection = super::Connection::Connected;
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
            fx.extend(super::note_failure(state, &f));
        }
    }
    // Re-read once every write is settled.
    if any_mut(state).is_some_and(|s| s.pending.is_empty()) {
        fx.extend(reload(state));
    }
    fx
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

fn on_loaded(
    state: &mut State,
    request: RequestId,
    result: Result<InboxData, Failure>,
) -> Vec<Effect> {
    let Some(s) = any_mut(state) else {
        return Vec::new();
    };
    if s.load_request != Some(request) {
        return Vec::new();
    }
    s.load_request = None;
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
            let key = first_key(state, Command::Refresh);
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
