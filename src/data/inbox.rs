//! The task inbox's data: the rep's (or team's) tasks grouped by what is due, and the triage
//! writes. Each write keeps `status` consistent (completed ⇔ completed_at; otherwise overdue or
//! pending from the due date in the rep's time zone at `now`) and records activities, in one
//! transaction; bulk writes are all-or-nothing.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};
use uuid::Uuid;

use super::DataError;
use super::models::{MemberRole, TaskPriority, TaskRow, TaskStatus};
use super::store::{PgStore, overdue_sql};

type Result<T> = std::result::Result<T, DataError>;

/// Recently completed tasks stay visible this long.
pub const COMPLETED_VISIBLE_DAYS: i32 = 7;
/// Rows per group: a manager's team view of a huge organization stays bounded.
pub const GROUP_LIMIT: i64 = 300;

/// Where a task sits in the inbox, derived from its due date and time against `now` in the
/// rep's time zone, never from the stored status (which nothing may have updated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskGroup {
    Overdue,
    Today,
    Upcoming,
    NoDate,
    Completed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InboxRows {
    /// In group order, then priority (high first), then due date and time.
    pub tasks: Vec<(TaskGroup, TaskRow)>,
    /// The rep's local date at `now`.
    pub today: NaiveDate,
    /// The rep's UTC offset at `now`, in seconds.
    pub utc_offset_seconds: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snooze {
    Days(u32),
    NextMonday,
    Until(NaiveDate),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Teammate {
    pub profile_id: Uuid,
    pub full_name: String,
    pub role: MemberRole,
}

/// What triage shows beside a task.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageFacts {
    pub name: String,
    pub company: Option<String>,
    pub stage: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub score: i32,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub last_interaction: Option<String>,
    pub open_deal_amount: f64,
}

/// The stored status a task should have at `now` (parameters: `tz`, `now`), for `lead_tasks t`.
fn status_sql(tz: u8, now: u8) -> String {
    format!(
        "case when t.status = 'completed' then 'completed'::task_status when {} then 'overdue'::task_status else 'pending'::task_status end",
        overdue_sql(tz, now)
    )
}

impl PgStore {
    /// The inbox at `now`: mine, or the whole team's (`team`), plus recently completed.
    pub async fn inbox(&self, now: DateTime<Utc>, team: bool) -> Result<InboxRows> {
        let local = "($4::timestamptz at time zone $3::text)";
        let sql = format!(
            "with grouped as (
                 select t.*, l.name as lead_name, s.name as stage_name, p.full_name as assignee_name,
                        case when t.status = 'completed' then 4
                             when t.due_date is null then 3
                             when {overdue} then 0
                             when t.due_date = {local}::date then 1
                             else 2 end as grp
                 from lead_tasks t
                 join leads l on l.organization_id = t.organization_id and l.id = t.lead_id
                 join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
                 left join profiles p on p.id = t.assigned_to
                 where t.organization_id = $1 and ($5::bool or t.assigned_to = $2)
                   and (t.status <> 'completed' or t.completed_at > $4::timestamptz - make_interval(days => $6))
             ), ranked as (
                 select *, row_number() over (
                     partition by grp
                     order by case priority when 'high' then 0 when 'medium' then 1 else 2 end,
                              due_date nulls last, due_time nulls last, completed_at desc nulls last, id
                 ) as position
                 from grouped
             )
             select *, {local}::date as today,
                    extract(epoch from {local} - ($4::timestamptz at time zone 'UTC'))::int as utc_offset
             from ranked where position <= $7
             order by grp, position",
            overdue = overdue_sql(3, 4),
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(self.me().profile_id)
            .bind(&self.me().time_zone)
            .bind(now)
            .bind(team)
            .bind(COMPLETED_VISIBLE_DAYS)
            .bind(GROUP_LIMIT)
            .fetch_all(self.pool())
            .await?;
        let mut inbox = InboxRows {
            tasks: Vec::with_capacity(rows.len()),
            today: self.local_today(now).await?,
            utc_offset_seconds: 0,
        };
        for row in rows {
            inbox.utc_offset_seconds = row.try_get("utc_offset")?;
            let group = match row.try_get::<i32, _>("grp")? {
                0 => TaskGroup::Overdue,
                1 => TaskGroup::Today,
                2 => TaskGroup::Upcoming,
                3 => TaskGroup::NoDate,
                _ => TaskGroup::Completed,
            };
            inbox.tasks.push((group, task_row(&row)?));
        }
        Ok(inbox)
    }

    /// The rep's local date at `now`.
    pub async fn local_today(&self, now: DateTime<Utc>) -> Result<NaiveDate> {
        Ok(
            sqlx::query_scalar("select ($1::timestamptz at time zone $2::text)::date")
                .bind(now)
                .bind(&self.me().time_zone)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Completes tasks (all or none). Returns each task's previous status, for undo.
    pub async fn complete_tasks(
        &self,
        ids: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, TaskStatus)>> {
        let mut tx = self.pool().begin().await?;
        let previous: Vec<(Uuid, TaskStatus)> = sqlx::query_as(
            "select id, status from lead_tasks where organization_id = $1 and id = any($2) for update",
        )
        .bind(self.organization_id())
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?;
        require_all(ids, previous.len() as u64)?;
        sqlx::query(
            "update lead_tasks set status = 'completed', completed_at = $3
             where organization_id = $1 and id = any($2) and status <> 'completed'",
        )
        .bind(self.organization_id())
        .bind(ids)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        record(&mut tx, self.organization_id(), ids, "task_completed").await?;
        tx.commit().await?;
        Ok(previous)
    }

    /// Undoes `complete_tasks`: each task gets its previous status back (recomputed at `now`).
    pub async fn reopen_tasks(
        &self,
        previous: &[(Uuid, TaskStatus)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let reopen: Vec<Uuid> = previous
            .iter()
            .filter(|(_, status)| *status != TaskStatus::Completed)
            .map(|(id, _)| *id)
            .collect();
        if reopen.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "update lead_tasks set status = 'pending', completed_at = null where organization_id = $1 and id = any($2)",
        )
        .bind(self.organization_id())
        .bind(&reopen)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        require_all(&reopen, done)?;
        self.restamp_status(&mut tx, &reopen, now).await?;
        record(&mut tx, self.organization_id(), &reopen, "task_reopened").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Snoozes tasks (all or none). A snoozed task is due `n` days after the later of today
    /// and its current due date (an overdue task snoozed +1 day is due tomorrow, a task due next
    /// week moves a day later); "next Monday" is the Monday after today; keeps any due time.
    pub async fn snooze_tasks(
        &self,
        ids: &[Uuid],
        snooze: Snooze,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let today = self.local_today(now).await?;
        let mut tx = self.pool().begin().await?;
        let (days, until) = match snooze {
            Snooze::Days(n) => (Some(i32::try_from(n).unwrap_or(i32::MAX)), None),
            Snooze::NextMonday => {
                let ahead = 7 - chrono::Datelike::weekday(&today).num_days_from_monday();
                (None, Some(today + chrono::Days::new(u64::from(ahead))))
            }
            Snooze::Until(date) => (None, Some(date)),
        };
        let done = sqlx::query(
            "update lead_tasks set due_date = coalesce($4, greatest($3, coalesce(due_date, $3)) + $5::int)
             where organization_id = $1 and id = any($2) and status <> 'completed'",
        )
        .bind(self.organization_id())
        .bind(ids)
        .bind(today)
        .bind(until)
        .bind(days.unwrap_or(0))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        require_all(ids, done)?;
        self.restamp_status(&mut tx, ids, now).await?;
        record(&mut tx, self.organization_id(), ids, "task_snoozed").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets (or clears, with `None`) a task's due date and time.
    pub async fn set_due(
        &self,
        id: Uuid,
        due_date: Option<NaiveDate>,
        due_time: Option<NaiveTime>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "update lead_tasks set due_date = $3, due_time = case when $3::date is null then null else $4::time end
             where organization_id = $1 and id = $2",
        )
        .bind(self.organization_id())
        .bind(id)
        .bind(due_date)
        .bind(due_time)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        require_all(&[id], done)?;
        self.restamp_status(&mut tx, &[id], now).await?;
        record(&mut tx, self.organization_id(), &[id], "task_rescheduled").await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_tasks_priority(&self, ids: &[Uuid], priority: TaskPriority) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "update lead_tasks set priority = $3 where organization_id = $1 and id = any($2)",
        )
        .bind(self.organization_id())
        .bind(ids)
        .bind(priority)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        require_all(ids, done)?;
        record(
            &mut tx,
            self.organization_id(),
            ids,
            "task_priority_changed",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reassigns tasks (all or none) to a member of the organization.
    pub async fn reassign_tasks(&self, ids: &[Uuid], to: Uuid) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "update lead_tasks set assigned_to = $3 where organization_id = $1 and id = any($2)",
        )
        .bind(self.organization_id())
        .bind(ids)
        .bind(to)
        .execute(&mut *tx)
        .await
        .map_err(|e| match DataError::from(e) {
            DataError::Invalid(_) => {
                DataError::Invalid("That person is not a member of this organization".into())
            }
            other => other,
        })?
        .rows_affected();
        require_all(ids, done)?;
        record(&mut tx, self.organization_id(), ids, "task_reassigned").await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn edit_task(&self, id: Uuid, title: &str, description: Option<&str>) -> Result<()> {
        if title.trim().is_empty() {
            return Err(DataError::Invalid("A task needs a title".into()));
        }
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("update lead_tasks set title = $3, description = $4 where organization_id = $1 and id = $2")
            .bind(self.organization_id())
            .bind(id)
            .bind(title.trim())
            .bind(description)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        require_all(&[id], done)?;
        record(&mut tx, self.organization_id(), &[id], "task_edited").await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new task on a lead, assigned to `assigned_to` or the rep.
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
        if title.trim().is_empty() {
            return Err(DataError::Invalid("A task needs a title".into()));
        }
        let mut tx = self.pool().begin().await?;
        let id: Uuid = sqlx::query_scalar(
            "insert into lead_tasks (organization_id, lead_id, title, description, due_date, due_time, priority, assigned_to)
             values ($1, $2, $3, $4, $5, case when $5::date is null then null else $6::time end, $7, $8) returning id",
        )
        .bind(self.organization_id())
        .bind(lead_id)
        .bind(title.trim())
        .bind(description)
        .bind(due_date)
        .bind(due_time)
        .bind(priority)
        .bind(assigned_to.unwrap_or(self.me().profile_id))
        .fetch_one(&mut *tx)
        .await?;
        self.restamp_status(&mut tx, &[id], now).await?;
        record(&mut tx, self.organization_id(), &[id], "task_added").await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Everyone in the organization, for the reassign picker.
    pub async fn teammates(&self) -> Result<Vec<Teammate>> {
        let rows = sqlx::query(
            "select p.id, p.full_name, m.role from organization_members m join profiles p on p.id = m.profile_id
             where m.organization_id = $1 order by p.full_name",
        )
        .bind(self.organization_id())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Teammate {
                    profile_id: r.try_get("id")?,
                    full_name: r.try_get("full_name")?,
                    role: r.try_get("role")?,
                })
            })
            .collect()
    }

    pub async fn triage_facts(&self, lead_id: Uuid) -> Result<TriageFacts> {
        let row = sqlx::query(
            "select l.name, p.company, s.name as stage, l.phone, l.email, l.score, l.last_contacted_at,
                    (select i.type::text || coalesce(' · ' || i.subject, '') || coalesce(' · ' || i.outcome, '')
                     from lead_interactions i where i.organization_id = l.organization_id and i.lead_id = l.id
                     order by i.occurred_at desc limit 1) as last_interaction,
                    (select coalesce(sum(d.amount), 0)::float8 from deals d
                     where d.organization_id = l.organization_id and d.lead_id = l.id and d.status = 'open') as open_deal_amount
             from leads l
             join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
             left join lead_profiles p on p.organization_id = l.organization_id and p.lead_id = l.id
             where l.organization_id = $1 and l.id = $2",
        )
        .bind(self.organization_id())
        .bind(lead_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DataError::NotFound)?;
        Ok(TriageFacts {
            name: row.try_get("name")?,
            company: row.try_get("company")?,
            stage: row.try_get("stage")?,
            phone: row.try_get("phone")?,
            email: row.try_get("email")?,
            score: row.try_get("score")?,
            last_contacted_at: row.try_get("last_contacted_at")?,
            last_interaction: row.try_get("last_interaction")?,
            open_deal_amount: row.try_get("open_deal_amount")?,
        })
    }

    /// Brings the stored status of open tasks in line with their due date at `now`.
    async fn restamp_status(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        ids: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = format!(
            "update lead_tasks t set status = {} where t.organization_id = $1 and t.id = any($2) and t.status <> 'completed'",
            status_sql(3, 4)
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(ids)
            .bind(&self.me().time_zone)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// A bulk write touched fewer rows than asked: some task is gone or invisible, so nothing applies.
fn require_all(ids: &[Uuid], affected: u64) -> Result<()> {
    if affected as usize == ids.len() {
        Ok(())
    } else {
        Err(DataError::NotFound)
    }
}

async fn record(
    tx: &mut Transaction<'_, Postgres>,
    org: Uuid,
    ids: &[Uuid],
    kind: &str,
) -> Result<()> {
    sqlx::query(
        "insert into lead_activities (organization_id, lead_id, type, content)
         select organization_id, lead_id, $3, jsonb_build_object('task_id', id, 'title', title, 'due_date', due_date, 'status', status)
         from lead_tasks where organization_id = $1 and id = any($2)",
    )
    .bind(org)
    .bind(ids)
    .bind(kind)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn task_row(row: &sqlx::postgres::PgRow) -> Result<TaskRow> {
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
