//! The task inbox's data: the rep's (or the team's) tasks grouped by what is due, the rep's
//! clock, the lead's key facts for triage, and the triage writes.
//!
//! Time: every function that depends on the time takes `now` (an injectable clock). Due dates
//! and times are local to the rep: a task is overdue when its due date (and time, if any) has
//! passed at `now` in the rep's IANA time zone (`profiles.time_zone`, read at login). PostgreSQL
//! does the conversion (`at time zone`), with the rule the board and the lead screen use
//! (`overdue_sql` in `store.rs`).
//!
//! Writes: each is one call of a `closer.*` function (migration 0004: members have no write
//! privilege), one round trip. Each keeps `status` consistent — `completed` exactly when
//! `completed_at` is set; otherwise, whenever a write sets the status or moves the due date,
//! `overdue` if the due date/time has passed at `now` in the rep's zone, else `pending` — and
//! records one `lead_activities` row per changed task in the same transaction. Version-checked
//! writes of one task (`…_at`, [`PgStore::set_priority`], [`PgStore::edit_task_checked`]) touch
//! nothing when the version moved (`Conflict`) or the task is gone or invisible (`NotFound`).
//! Bulk writes lock every task first (in the function) and are all-or-nothing: one unknown or
//! invisible id and nothing changes (`NotFound`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Offset, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Postgres, Row};
use uuid::Uuid;

use super::DataError;
use super::models::{MemberRole, TaskPriority, TaskRow, TaskStatus};
use super::outcome::{Versioned, retrying};
use super::store::PgStore;
use super::task::{TaskDraft, assignee_error};
use super::validate::{Stored, valid_description, valid_title};

type Result<T> = std::result::Result<T, DataError>;

/// "Recently completed" shows tasks completed this many days before `now` (by default).
pub const COMPLETED_VISIBLE_DAYS: i32 = 7;
/// At most this many tasks per group, so a manager's team view of a huge organization stays
/// bounded; [`Inbox::totals`] says how many there are.
pub const GROUP_LIMIT: i64 = 300;
/// [`Inbox::totals`] counts each group up to this many (the status bar's cap), so a rep with a
/// huge backlog never waits on a full count.
pub const TOTAL_CAP: i64 = super::store::OVERDUE_COUNT_CAP;
/// The furthest a snooze can push a task, in days.
pub const MAX_SNOOZE_DAYS: u32 = 3650;
/// Longest task description accepted (the lead screen's limit for free text).
pub const MAX_DESCRIPTION_CHARS: usize = 2_000_000;

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/// Whose tasks the inbox shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InboxScope {
    /// Tasks assigned to the rep.
    #[default]
    Mine,
    /// Every task of the organization, unassigned ones too ([`TaskRow::assignee_name`] lets the
    /// screen group them by person).
    Team,
}

/// `true` is the team view.
impl From<bool> for InboxScope {
    fn from(team: bool) -> Self {
        if team {
            InboxScope::Team
        } else {
            InboxScope::Mine
        }
    }
}

/// Where a task sits in the inbox. Derived from its due date and time against `now` in the
/// rep's time zone, never from the stored `status` (which may be stale: nothing rewrites it when
/// a date passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskGroup {
    /// Due before today, or today at a time that has passed.
    Overdue,
    /// Due today, with no time or a time still ahead.
    Today,
    /// Due after today.
    Upcoming,
    /// No due date.
    NoDate,
    /// Completed (the inbox lists those completed recently).
    Completed,
}

impl TaskGroup {
    /// Display order.
    pub const ALL: [TaskGroup; 5] = [
        TaskGroup::Overdue,
        TaskGroup::Today,
        TaskGroup::Upcoming,
        TaskGroup::NoDate,
        TaskGroup::Completed,
    ];

    pub fn title(self) -> &'static str {
        match self {
            TaskGroup::Overdue => "Overdue",
            TaskGroup::Today => "Today",
            TaskGroup::Upcoming => "Upcoming",
            TaskGroup::NoDate => "No date",
            TaskGroup::Completed => "Recently completed",
        }
    }

    /// The code the inbox query computes (its `case`): the position in [`TaskGroup::ALL`].
    fn from_code(code: i32) -> Option<TaskGroup> {
        TaskGroup::ALL.get(usize::try_from(code).ok()?).copied()
    }
}

/// The group of `task` at `now` for a rep whose UTC offset at `now` is `utc_offset` (see
/// [`RepClock::utc_offset`]; only the offset at `now` matters, since due dates and times are
/// local wall-clock values). The rule of the inbox query, for a screen that changed a task
/// locally. A completed task is `Completed` however long ago it was completed.
pub fn group_of(task: &TaskRow, now: DateTime<Utc>, utc_offset: FixedOffset) -> TaskGroup {
    if !task.status.is_open() || task.completed_at.is_some() {
        return TaskGroup::Completed;
    }
    let local = now.with_timezone(&utc_offset).naive_local();
    let (today, time) = (local.date(), local.time());
    match (task.due_date, task.due_time) {
        (None, _) => TaskGroup::NoDate,
        (Some(date), _) if date < today => TaskGroup::Overdue,
        (Some(date), Some(due_time)) if date == today && due_time < time => TaskGroup::Overdue,
        (Some(date), _) if date == today => TaskGroup::Today,
        _ => TaskGroup::Upcoming,
    }
}

/// The rep's clock at an instant: local date and time in their zone, and the UTC offset then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepClock {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub local_time: NaiveTime,
    /// The offset in effect at `now` (it changes with daylight saving time).
    pub utc_offset: FixedOffset,
}

/// One read of the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbox {
    pub scope: InboxScope,
    /// Every listed task with its group, in [`TaskGroup::ALL`] order. Inside a group: priority
    /// (high first), due date, due time (untimed after timed on the same day), title; "Recently
    /// completed" newest first. At most [`GROUP_LIMIT`] per group. Each row carries the lead's
    /// name, the lead's stage name and the assignee's name.
    pub tasks: Vec<(TaskGroup, TaskRow)>,
    /// The stage colour (`#rrggbb`) of each listed task's lead, by lead id.
    pub stage_colors: HashMap<Uuid, String>,
    /// How many tasks each non-empty group has in all (more than listed past [`GROUP_LIMIT`]),
    /// counted up to [`TOTAL_CAP`].
    pub totals: HashMap<TaskGroup, i64>,
    /// The clock the groups were derived with.
    pub now: DateTime<Utc>,
    /// The rep's local date at `now`.
    pub today: NaiveDate,
    /// The rep's local time at `now`.
    pub local_time: NaiveTime,
    /// The rep's UTC offset at `now`, in seconds.
    pub utc_offset_seconds: i32,
    /// "Recently completed" lists tasks completed at or after this instant.
    pub completed_since: DateTime<Utc>,
}

/// The name the inbox worker uses.
pub type InboxRows = Inbox;

impl Inbox {
    /// The rep's UTC offset at [`Inbox::now`].
    pub fn utc_offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_seconds).unwrap_or_else(|| Utc.fix())
    }

    /// The tasks of one group, in order.
    pub fn group(&self, group: TaskGroup) -> impl Iterator<Item = &TaskRow> {
        self.tasks
            .iter()
            .filter(move |(g, _)| *g == group)
            .map(|(_, t)| t)
    }

    /// A listed task and its group.
    pub fn find(&self, id: Uuid) -> Option<(TaskGroup, &TaskRow)> {
        self.tasks
            .iter()
            .find(|(_, t)| t.id == id)
            .map(|(g, t)| (*g, t))
    }

    /// The stage colour of a listed task's lead.
    pub fn stage_color(&self, task: &TaskRow) -> Option<&str> {
        self.stage_colors.get(&task.lead_id).map(String::as_str)
    }

    /// The group a (possibly changed) task belongs in at this read's clock.
    pub fn group_of(&self, task: &TaskRow) -> TaskGroup {
        group_of(task, self.now, self.utc_offset())
    }
}

/// How far to snooze.
///
/// What a rep expects from "snooze": the task leaves today's list and comes back later, never
/// earlier than it was due. So `Days(n)` makes the task due `n` days after the LATER of today
/// (in the rep's zone) and its current due date: an overdue task snoozed +1 day is due tomorrow,
/// a task due next Friday snoozed +1 day is due next Saturday, a task without a date snoozed +2
/// days is due the day after tomorrow. `NextMonday` is the first Monday after today (a week
/// ahead when today is a Monday). `Until(date)` is that date. A due time is kept; completed
/// tasks are left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snooze {
    Days(u32),
    NextMonday,
    Until(NaiveDate),
}

impl Snooze {
    /// As recorded in the activity.
    pub fn label(self) -> String {
        match self {
            Snooze::Days(1) => "+1 day".to_owned(),
            Snooze::Days(n) => format!("+{n} days"),
            Snooze::NextMonday => "next Monday".to_owned(),
            Snooze::Until(date) => format!("until {date}"),
        }
    }
}

/// A member of the organization, for the reassign picker.
#[derive(Debug, Clone, PartialEq)]
pub struct Teammate {
    pub profile_id: Uuid,
    pub full_name: String,
    pub role: MemberRole,
    /// The rep themself.
    pub me: bool,
}

/// The lead's key facts, shown beside a task in triage mode.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageFacts {
    pub lead_id: Uuid,
    pub name: String,
    pub company: Option<String>,
    /// The stage's name.
    pub stage: String,
    /// `#rrggbb`.
    pub stage_color: String,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub score: i32,
    pub owner_name: Option<String>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    /// The latest interaction in one line: "Call (outbound): subject — outcome" (the content's
    /// first line when there is no subject).
    pub last_interaction: Option<String>,
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// Sum of the lead's open deals (0 when none).
    pub open_deal_amount: f64,
    pub open_deals: i64,
    /// The open deals' currency; `None` when they are in several (the amount is no sum then).
    pub open_deal_currency: Option<String>,
}

/// One line for an interaction: kind (direction): subject or first line — outcome.
fn interaction_line(
    kind: &str,
    direction: Option<&str>,
    subject: Option<&str>,
    excerpt: Option<&str>,
    outcome: Option<&str>,
) -> String {
    let mut chars = kind.chars();
    let mut line: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Interaction".to_owned(),
    };
    if let Some(direction) = direction {
        line.push_str(&format!(" ({direction})"));
    }
    let nonblank = |s: &&str| !s.trim().is_empty();
    let text = subject
        .filter(nonblank)
        .or_else(|| excerpt.and_then(|e| e.lines().find(|l| !l.trim().is_empty())));
    if let Some(text) = text {
        line.push_str(": ");
        line.push_str(text.trim());
    }
    if let Some(outcome) = outcome.filter(nonblank) {
        line.push_str(" — ");
        line.push_str(outcome.trim());
    }
    line
}

mod filter;
mod read;
mod restore;
mod write;

pub use restore::{TaskBefore, TaskChange, TaskUndo};

pub use read::{inbox_sql, inbox_sql_with};

fn task_row(row: &PgRow) -> Result<TaskRow> {
    Ok(TaskRow {
        id: row.try_get("id")?,
        lead_id: row.try_get("lead_id")?,
        lead_name: row.try_get("lead_name")?,
        stage_name: row.try_get("stage_name")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        due_date: row.try_get("due_date")?,
        due_time: row.try_get("due_time")?,
        priority: row.try_get("priority")?,
        status: row.try_get("status")?,
        assigned_to: row.try_get("assigned_to")?,
        assignee_name: row.try_get("assignee_name")?,
        completed_at: row.try_get("completed_at")?,
        version: row.try_get("version")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn task(due_date: Option<NaiveDate>, due_time: Option<NaiveTime>) -> TaskRow {
        TaskRow {
            id: Uuid::nil(),
            lead_id: Uuid::nil(),
            lead_name: "Lead".into(),
            stage_name: "New".into(),
            title: "Call".into(),
            description: None,
            due_date,
            due_time,
            priority: TaskPriority::Medium,
            status: TaskStatus::Pending,
            assigned_to: None,
            assignee_name: None,
            completed_at: None,
            version: 1,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn time(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    #[test]
    fn groups_follow_the_local_clock() {
        let auckland = FixedOffset::east_opt(13 * 3600).expect("offset");
        // 2026-03-10 08:59 in Auckland.
        let before = Utc
            .with_ymd_and_hms(2026, 3, 9, 19, 59, 0)
            .single()
            .expect("instant");
        let after = before + chrono::Duration::minutes(2);
        let timed = task(date(2026, 3, 10), time(9, 0));
        assert_eq!(group_of(&timed, before, auckland), TaskGroup::Today);
        assert_eq!(group_of(&timed, after, auckland), TaskGroup::Overdue);
        let untimed = task(date(2026, 3, 10), None);
        assert_eq!(group_of(&untimed, after, auckland), TaskGroup::Today);
        assert_eq!(
            group_of(&task(date(2026, 3, 11), None), after, auckland),
            TaskGroup::Upcoming
        );
        assert_eq!(
            group_of(&task(None, None), after, auckland),
            TaskGroup::NoDate
        );
        // The same instant is still 2026-03-09 in Los Angeles.
        let los_angeles = FixedOffset::west_opt(7 * 3600).expect("offset");
        assert_eq!(group_of(&untimed, after, los_angeles), TaskGroup::Upcoming);
        let mut done = task(date(2020, 1, 1), None);
        done.status = TaskStatus::Completed;
        done.completed_at = Some(after);
        assert_eq!(group_of(&done, after, auckland), TaskGroup::Completed);
    }

    #[test]
    fn last_interaction_reads_as_one_line() {
        assert_eq!(
            interaction_line(
                "call",
                Some("outbound"),
                None,
                Some("\n  Asked about the\nsecond floor"),
                Some("left a voicemail"),
            ),
            "Call (outbound): Asked about the — left a voicemail"
        );
        assert_eq!(
            interaction_line("email", None, Some("Brochure"), Some("Hi"), None),
            "Email: Brochure"
        );
    }

    #[test]
    fn scopes_and_labels() {
        assert_eq!(InboxScope::from(true), InboxScope::Team);
        assert_eq!(InboxScope::from(false), InboxScope::Mine);
        assert_eq!(Snooze::Days(1).label(), "+1 day");
        assert_eq!(Snooze::Days(3).label(), "+3 days");
        assert_eq!(Snooze::NextMonday.label(), "next Monday");
        assert_eq!(TaskGroup::from_code(4), Some(TaskGroup::Completed));
        assert_eq!(TaskGroup::from_code(5), None);
    }
}
