//! The task inbox's data: the rep's (or the team's) tasks grouped by what is due, the rep's
//! clock, the lead's key facts for triage, and the triage writes.
//!
//! Time: every function that depends on the time takes `now` (an injectable clock). Due dates
//! and times are local to the rep: a task is overdue when its due date (and time, if any) has
//! passed at `now` in the rep's IANA time zone (`profiles.time_zone`, read at login). PostgreSQL
//! does the conversion (`at time zone`), with the rule the board and the lead screen use
//! ([`overdue_sql`]).
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
use super::store::{PgStore, overdue_sql};
use super::task::{TaskDraft, assignee_error};
use super::validate::{Stored, valid_description, valid_title};

type Result<T> = std::result::Result<T, DataError>;

/// "Recently completed" shows tasks completed this many days before `now` (by default).
pub const COMPLETED_VISIBLE_DAYS: i32 = 7;
/// At most this many tasks per group, so a manager's team view of a huge organization stays
/// bounded; [`Inbox::totals`] says how many there are.
pub const GROUP_LIMIT: i64 = 300;
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
    if task.status == TaskStatus::Completed || task.completed_at.is_some() {
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
    /// How many tasks each non-empty group has in all (more than listed past [`GROUP_LIMIT`]).
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

// ---------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------

const INBOX_SQL: &str = "
    with tasks as (
        select t.id, t.lead_id, l.name as lead_name, s.name as stage_name, s.color as stage_color,
               t.title, t.description, t.due_date, t.due_time, t.priority, t.status, t.assigned_to,
               who.full_name as assignee_name, t.completed_at, t.version,
               case when t.status = 'completed' then 4
                    when t.due_date is null then 3
                    when {overdue} then 0
                    when t.due_date = ($4::timestamptz at time zone $3::text)::date then 1
                    else 2 end as grp
        from lead_tasks t
        join leads l on l.organization_id = t.organization_id and l.id = t.lead_id
        join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
        left join profiles who on who.id = t.assigned_to
        where t.organization_id = $1
          and ($5::boolean or t.assigned_to = $2)
          and (t.status <> 'completed' or t.completed_at >= $6)
    ), ranked as (
        select tasks.*,
               row_number() over (
                   partition by grp
                   order by case when grp = 4 then completed_at end desc nulls last,
                            priority desc, due_date nulls last, due_time nulls last, title, id
               ) as position,
               count(*) over (partition by grp) as group_total
        from tasks
    )
    select * from ranked where position <= $7 order by grp, position";

const CLOCK_SQL: &str = "
    select wall::date as today, wall::time as local_time,
           extract(epoch from wall - ($1::timestamptz at time zone 'UTC'))::int as utc_offset
    from (select $1::timestamptz at time zone $2::text as wall) clock";

const TEAMMATES_SQL: &str = "
    select p.id, p.full_name, m.role
    from organization_members m
    join profiles p on p.id = m.profile_id
    where m.organization_id = $1
    order by lower(p.full_name), p.id";

const TRIAGE_FACTS_SQL: &str = "
    select l.id, l.name, lp.company, s.name as stage_name, s.color as stage_color, l.phone, l.mobile,
           l.email, l.score, owner.full_name as owner_name, l.last_contacted_at,
           i.type::text as last_kind, i.direction::text as last_direction, i.subject as last_subject,
           i.outcome as last_outcome, left(i.content, 300) as last_excerpt, i.occurred_at as last_at,
           coalesce(d.amount, 0)::float8 as open_deal_amount, coalesce(d.deals, 0) as open_deals
    from leads l
    join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
    left join lead_profiles lp on lp.organization_id = l.organization_id and lp.lead_id = l.id
    left join profiles owner on owner.id = l.assigned_to
    left join lateral (
        select type, direction, subject, outcome, content, occurred_at
        from lead_interactions
        where organization_id = l.organization_id and lead_id = l.id
        order by occurred_at desc, created_at desc, id desc
        limit 1
    ) i on true
    left join lateral (
        select sum(amount) as amount, count(*) as deals
        from deals
        where organization_id = l.organization_id and lead_id = l.id and status = 'open'
    ) d on true
    where l.organization_id = $1 and l.id = $2";

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

impl PgStore {
    /// The rep's local date, time and UTC offset at `now`.
    pub async fn rep_clock(&self, now: DateTime<Utc>) -> Result<RepClock> {
        retrying(|| self.rep_clock_once(now)).await
    }

    /// The rep's local date at `now`.
    pub async fn local_today(&self, now: DateTime<Utc>) -> Result<NaiveDate> {
        Ok(self.rep_clock(now).await?.today)
    }

    async fn rep_clock_once(&self, now: DateTime<Utc>) -> Result<RepClock> {
        let row = sqlx::query(CLOCK_SQL)
            .bind(now)
            .bind(&self.me().time_zone)
            .fetch_one(self.pool())
            .await?;
        let seconds: i32 = row.try_get("utc_offset")?;
        Ok(RepClock {
            now,
            today: row.try_get("today")?,
            local_time: row.try_get("local_time")?,
            utc_offset: FixedOffset::east_opt(seconds).ok_or_else(|| {
                DataError::Other(format!("a UTC offset of {seconds} seconds is out of range"))
            })?,
        })
    }

    /// The inbox at `now` (`scope`: [`InboxScope`], or `true` for the team view), with the
    /// tasks completed in the last [`COMPLETED_VISIBLE_DAYS`] days.
    pub async fn inbox(&self, now: DateTime<Utc>, scope: impl Into<InboxScope>) -> Result<Inbox> {
        self.inbox_since(now, scope, None).await
    }

    /// The inbox at `now`, with the tasks completed since `completed_since` (`None`: the last
    /// [`COMPLETED_VISIBLE_DAYS`] days).
    pub async fn inbox_since(
        &self,
        now: DateTime<Utc>,
        scope: impl Into<InboxScope>,
        completed_since: Option<DateTime<Utc>>,
    ) -> Result<Inbox> {
        let scope = scope.into();
        let since = completed_since
            .unwrap_or_else(|| now - chrono::Duration::days(i64::from(COMPLETED_VISIBLE_DAYS)));
        retrying(|| self.inbox_once(now, scope, since)).await
    }

    async fn inbox_once(
        &self,
        now: DateTime<Utc>,
        scope: InboxScope,
        since: DateTime<Utc>,
    ) -> Result<Inbox> {
        let clock = self.rep_clock_once(now).await?;
        let sql = INBOX_SQL.replace("{overdue}", &overdue_sql(3, 4));
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(self.me().profile_id)
            .bind(&self.me().time_zone)
            .bind(now)
            .bind(scope == InboxScope::Team)
            .bind(since)
            .bind(GROUP_LIMIT)
            .fetch_all(self.pool())
            .await?;
        let mut inbox = Inbox {
            scope,
            tasks: Vec::with_capacity(rows.len()),
            stage_colors: HashMap::new(),
            totals: HashMap::new(),
            now,
            today: clock.today,
            local_time: clock.local_time,
            utc_offset_seconds: clock.utc_offset.local_minus_utc(),
            completed_since: since,
        };
        for row in rows {
            let code: i32 = row.try_get("grp")?;
            let group = TaskGroup::from_code(code)
                .ok_or_else(|| DataError::Other(format!("unknown inbox group {code}")))?;
            let task = task_row(&row)?;
            inbox.totals.insert(group, row.try_get("group_total")?);
            inbox
                .stage_colors
                .insert(task.lead_id, row.try_get("stage_color")?);
            inbox.tasks.push((group, task));
        }
        Ok(inbox)
    }

    /// How many of the rep's open tasks are overdue at `now` — the inbox's Overdue rule, counted
    /// up to [`super::store::OVERDUE_COUNT_CAP`] like the status bar.
    pub async fn overdue_count(&self, now: DateTime<Utc>) -> Result<i64> {
        self.overdue_task_count_at(now).await
    }

    /// The organization's members, by name, for the reassign picker.
    pub async fn teammates(&self) -> Result<Vec<Teammate>> {
        retrying(|| self.teammates_once()).await
    }

    async fn teammates_once(&self) -> Result<Vec<Teammate>> {
        let rows = sqlx::query(TEAMMATES_SQL)
            .bind(self.organization_id())
            .fetch_all(self.pool())
            .await?;
        rows.into_iter()
            .map(|row| {
                let profile_id: Uuid = row.try_get("id")?;
                Ok(Teammate {
                    profile_id,
                    full_name: row.try_get("full_name")?,
                    role: row.try_get("role")?,
                    me: profile_id == self.me().profile_id,
                })
            })
            .collect()
    }

    /// The lead's key facts for triage. `NotFound` if the lead is gone or invisible.
    pub async fn triage_facts(&self, lead_id: Uuid) -> Result<TriageFacts> {
        retrying(|| self.triage_facts_once(lead_id)).await
    }

    async fn triage_facts_once(&self, lead_id: Uuid) -> Result<TriageFacts> {
        let row = sqlx::query(TRIAGE_FACTS_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(DataError::NotFound)?;
        let last_kind: Option<String> = row.try_get("last_kind")?;
        let last_direction: Option<String> = row.try_get("last_direction")?;
        let last_subject: Option<String> = row.try_get("last_subject")?;
        let last_excerpt: Option<String> = row.try_get("last_excerpt")?;
        let last_outcome: Option<String> = row.try_get("last_outcome")?;
        Ok(TriageFacts {
            lead_id: row.try_get("id")?,
            name: row.try_get("name")?,
            company: row.try_get("company")?,
            stage: row.try_get("stage_name")?,
            stage_color: row.try_get("stage_color")?,
            phone: row.try_get("phone")?,
            mobile: row.try_get("mobile")?,
            email: row.try_get("email")?,
            score: row.try_get("score")?,
            owner_name: row.try_get("owner_name")?,
            last_contacted_at: row.try_get("last_contacted_at")?,
            last_interaction: last_kind.map(|kind| {
                interaction_line(
                    &kind,
                    last_direction.as_deref(),
                    last_subject.as_deref(),
                    last_excerpt.as_deref(),
                    last_outcome.as_deref(),
                )
            }),
            last_interaction_at: row.try_get("last_at")?,
            open_deal_amount: row.try_get("open_deal_amount")?,
            open_deals: row.try_get("open_deals")?,
        })
    }
}

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

impl PgStore {
    /// Completes tasks, all or none (`NotFound` if one is gone or invisible), each with a
    /// `task_completed` activity; `completed_at` is `now`. Tasks already completed are left as
    /// they are (no activity). Returns every task with its status before — all
    /// [`PgStore::undo_complete`] needs: the tasks that were open had no `completed_at`, and
    /// the completed ones were not touched. One round trip (`closer.complete_tasks` locks, writes
    /// and logs).
    pub async fn complete_tasks(
        &self,
        ids: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, TaskStatus)>> {
        let ids = distinct(ids);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let locked: Vec<(Uuid, TaskStatus)> =
            sqlx::query_as("select id, status from closer.complete_tasks($1, $2, $3)")
                .bind(self.organization_id())
                .bind(&ids)
                .bind(now)
                .fetch_all(self.pool())
                .await?;
        // In the order asked.
        Ok(ids
            .iter()
            .filter_map(|id| locked.iter().find(|(l, _)| l == id).copied())
            .collect())
    }

    /// Reopens the tasks [`PgStore::complete_tasks`] completed (those whose status before was
    /// not `completed`), all or none, each with a `task_reopened` activity. The status is
    /// derived again at `now` (a task that fell due meanwhile comes back `overdue`). `NotFound`
    /// if a task is gone or invisible, `Conflict` if one is no longer completed (someone
    /// reopened it).
    pub async fn undo_complete(
        &self,
        previous: &[(Uuid, TaskStatus)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let reopen: Vec<Uuid> = distinct(
            &previous
                .iter()
                .filter(|(_, status)| *status != TaskStatus::Completed)
                .map(|(id, _)| *id)
                .collect::<Vec<_>>(),
        );
        if reopen.is_empty() {
            return Ok(());
        }
        sqlx::query("select closer.reopen_tasks($1, $2, $3, $4)")
            .bind(self.organization_id())
            .bind(&reopen)
            .bind(&self.me().time_zone)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// [`PgStore::undo_complete`], by the name the inbox worker uses.
    pub async fn reopen_tasks(
        &self,
        previous: &[(Uuid, TaskStatus)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.undo_complete(previous, now).await
    }

    /// Snoozes tasks (see [`Snooze`] for the new due date), all or none, each with a
    /// `task_snoozed` activity; the status follows the new date at `now`.
    pub async fn snooze_tasks(
        &self,
        ids: &[Uuid],
        snooze: Snooze,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (mode, until, days) = match snooze {
            Snooze::Days(n) if n > MAX_SNOOZE_DAYS => {
                return Err(DataError::Invalid(format!(
                    "A task can be snoozed by at most {MAX_SNOOZE_DAYS} days"
                )));
            }
            Snooze::Days(n) => ("days", None, i32::try_from(n).unwrap_or(0)),
            Snooze::NextMonday => ("next_monday", None, 0),
            Snooze::Until(date) => ("until", Some(date), 0),
        };
        let ids = distinct(ids);
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query("select closer.snooze_tasks($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(self.organization_id())
            .bind(&ids)
            .bind(&self.me().time_zone)
            .bind(now)
            .bind(mode)
            .bind(until)
            .bind(days)
            .bind(snooze.label())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Sets (or, with `None`, clears) a task's due date and time if its version is still
    /// `version`, with a `task_rescheduled` activity; the status follows the new date at `now`.
    /// Returns the new version.
    pub async fn reschedule_task_at(
        &self,
        id: Uuid,
        version: i32,
        due_date: Option<NaiveDate>,
        due_time: Option<NaiveTime>,
        now: DateTime<Utc>,
    ) -> Result<i32> {
        if due_time.is_some() && due_date.is_none() {
            return Err(DataError::Invalid("A due time needs a due date".into()));
        }
        self.reschedule(id, Some(version), due_date, due_time, now)
            .await
    }

    /// [`PgStore::reschedule_task_at`] without the version check (a due time without a date is
    /// dropped), for a screen that does not track versions.
    pub async fn set_due(
        &self,
        id: Uuid,
        due_date: Option<NaiveDate>,
        due_time: Option<NaiveTime>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let due_time = due_date.and(due_time);
        self.reschedule(id, None, due_date, due_time, now)
            .await
            .map(drop)
    }

    async fn reschedule(
        &self,
        id: Uuid,
        version: Option<i32>,
        due_date: Option<NaiveDate>,
        due_time: Option<NaiveTime>,
        now: DateTime<Utc>,
    ) -> Result<i32> {
        let row =
            sqlx::query("select version from closer.reschedule_task($1, $2, $3, $4, $5, $6, $7)")
                .bind(self.organization_id())
                .bind(id)
                .bind(version)
                .bind(due_date)
                .bind(due_time)
                .bind(&self.me().time_zone)
                .bind(now)
                .fetch_optional(self.pool())
                .await?;
        self.one_written(id, row).await
    }

    /// Sets a task's priority if its version is still `version`, with a
    /// `task_priority_changed` activity. Returns the new version.
    pub async fn set_priority(
        &self,
        id: Uuid,
        version: i32,
        priority: TaskPriority,
    ) -> Result<i32> {
        let row = self
            .priority_write(&[id], Some(version), priority)
            .fetch_optional(self.pool())
            .await?;
        self.one_written(id, row).await
    }

    /// Sets the priority of several tasks (the marked ones), all or none, each changed one with
    /// a `task_priority_changed` activity.
    pub async fn set_tasks_priority(&self, ids: &[Uuid], priority: TaskPriority) -> Result<()> {
        let ids = distinct(ids);
        if ids.is_empty() {
            return Ok(());
        }
        self.priority_write(&ids, None, priority)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    fn priority_write(
        &self,
        ids: &[Uuid],
        version: Option<i32>,
        priority: TaskPriority,
    ) -> Query<'static, Postgres, PgArguments> {
        sqlx::query("select id, version from closer.set_tasks_priority($1, $2, $3, $4)")
            .bind(self.organization_id())
            .bind(ids.to_vec())
            .bind(version)
            .bind(priority)
    }

    /// Assigns tasks to `to` (a member of the organization: the composite foreign key enforces
    /// it, `Invalid` otherwise), all or none, each changed one with a `task_reassigned` activity.
    pub async fn reassign_tasks(&self, ids: &[Uuid], to: Uuid) -> Result<()> {
        let ids = distinct(ids);
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query("select closer.reassign_tasks($1, $2, $3)")
            .bind(self.organization_id())
            .bind(&ids)
            .bind(to)
            .execute(self.pool())
            .await
            .map_err(assignee_error)?;
        Ok(())
    }

    /// Changes a task's title and description (blank: none) if its version is still `version`,
    /// with a `task_edited` activity. Returns the new version.
    pub async fn edit_task_checked(
        &self,
        id: Uuid,
        version: i32,
        title: &str,
        description: Option<&str>,
    ) -> Result<i32> {
        self.edit(id, Some(version), title, description).await
    }

    /// [`PgStore::edit_task_checked`] without the version check, for a screen that does not
    /// track versions.
    pub async fn edit_task(&self, id: Uuid, title: &str, description: Option<&str>) -> Result<()> {
        self.edit(id, None, title, description).await.map(drop)
    }

    async fn edit(
        &self,
        id: Uuid,
        version: Option<i32>,
        title: &str,
        description: Option<&str>,
    ) -> Result<i32> {
        let title = valid_title(title, Stored::Trimmed)?;
        let description = valid_description(description)?;
        let row = sqlx::query("select version from closer.edit_task($1, $2, $3, $4, $5)")
            .bind(self.organization_id())
            .bind(id)
            .bind(version)
            .bind(title)
            .bind(description)
            .fetch_optional(self.pool())
            .await?;
        self.one_written(id, row).await
    }

    /// Adds a task to a lead (assigned to the rep unless `assigned_to` says otherwise), with a
    /// `task_added` activity; `overdue` at once if already past due at `now` in the rep's zone.
    /// `NotFound` if the lead is gone or invisible; `Invalid` for a bad title, a time without a
    /// date, or an assignee outside the organization. Returns the task's id.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_task(
        &self,
        lead_id: Uuid,
        title: &str,
        description: Option<&str>,
        due_date: Option<NaiveDate>,
        due_time: Option<NaiveTime>,
        priority: TaskPriority,
        assigned_to: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        let task = TaskDraft {
            lead_id,
            title,
            title_stored: Stored::Trimmed,
            description,
            due_date,
            due_time,
            priority,
            assigned_to,
        };
        self.insert_task(task, now).await
    }

    /// The new version after a write of one task: no row means it changed meanwhile
    /// (`Conflict`, when a version was given) or is gone or invisible (`NotFound`).
    async fn one_written(&self, id: Uuid, row: Option<PgRow>) -> Result<i32> {
        match row {
            Some(row) => Ok(row.try_get("version")?),
            None => Err(self.task_conflict_or_gone(id).await),
        }
    }

    async fn task_conflict_or_gone(&self, id: Uuid) -> DataError {
        self.conflict_or_gone(Versioned::Tasks, id).await
    }
}

/// The ids without repeats, in order.
fn distinct(ids: &[Uuid]) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

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
