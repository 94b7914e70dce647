//! The inbox's data: what is shown (groups of tasks), the screen's own state (cursor, marks,
//! writes in flight, triage) and the layout shared by the reducer and the renderer.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Offset, Utc};
use ratatui::layout::Rect;
use uuid::Uuid;

use super::{Line, Triage, dates, lines};
use crate::data::models::{TaskPriority, TaskRow, TaskStatus};
use crate::state::RequestId;

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
    pub(crate) fn take(&mut self, id: Uuid) -> Option<(GroupKind, TaskRow)> {
        for g in &mut self.groups {
            if let Some(i) = g.tasks.iter().position(|t| t.id == id) {
                return Some((g.kind, g.tasks.remove(i)));
            }
        }
        None
    }

    /// Puts a task into a group at its sorted place.
    pub(crate) fn insert(&mut self, kind: GroupKind, task: TaskRow) {
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
pub struct Assignee {
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

/// The people for the reassign picker, read once per inbox.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Assignees {
    #[default]
    NotLoaded,
    Loading(RequestId),
    Loaded(Vec<Assignee>),
}

/// What the inbox shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InboxScreen {
    pub view: View,
    pub show_completed: bool,
    /// Tasks of won/lost leads are left out unless this is on (`O`, issue 10).
    pub show_closed_leads: bool,
    /// Only the tasks this keeps (`f`, issue 12; empty: all).
    pub filter: crate::filter::Filter,
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
    pub teammates: Assignees,
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
    pub(crate) fn restore_cursor(&mut self) {
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

    pub(crate) fn move_cursor(&mut self, delta: isize) {
        let ids = self.task_ids();
        let last = ids.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
        self.selected_id = ids.get(self.cursor).copied();
    }
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
