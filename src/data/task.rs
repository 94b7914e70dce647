//! Tasks: the one path for creating a task with its `task_added` activity (the lead screen's
//! [`PgStore::add_task`] and the inbox's [`PgStore::create_task`] both go through it), and the
//! status rule every task write shares: an open task is `overdue` or `pending` from its due date
//! and time in the rep's zone.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::DataError;
use super::models::TaskPriority;
use super::store::{PgStore, overdue_sql};
use super::validate::{Stored, invalid, valid_description, valid_title};

type Result<T> = std::result::Result<T, DataError>;

const NOT_A_MEMBER: &str =
    "That person is not a member of this organization: tasks can only be assigned to members";

/// A task to create on a lead, as typed (checked by [`PgStore::insert_task`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskDraft<'a> {
    pub lead_id: Uuid,
    pub title: &'a str,
    /// The inbox trims titles; the lead screen stores them as typed.
    pub title_stored: Stored,
    /// Blank: none.
    pub description: Option<&'a str>,
    pub due_date: Option<NaiveDate>,
    /// Needs a `due_date`.
    pub due_time: Option<NaiveTime>,
    pub priority: TaskPriority,
    /// `None`: the rep.
    pub assigned_to: Option<Uuid>,
}

/// Parameters: `$1` org, `$2` lead, `$3` zone, `$4` now, `$5…$10` the task.
const ADD_TASK_SQL: &str = "
    with lead as (
        select id from leads where organization_id = $1 and id = $2
    ), t as (
        select $7::date as due_date, $8::time as due_time
    ), task as (
        insert into lead_tasks (organization_id, lead_id, title, description, due_date, due_time,
                                priority, status, assigned_to)
        select $1, lead.id, $5, $6, t.due_date, t.due_time, $9, {status}, $10
        from lead, t
        returning id, lead_id, title, due_date, due_time, priority, assigned_to
    ), logged as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, task.lead_id, 'task_added',
               jsonb_build_object('task_id', task.id, 'title', task.title, 'due_date', task.due_date,
                                  'due_time', task.due_time, 'priority', task.priority,
                                  'assigned_to', task.assigned_to)
        from task
    )
    select id from task";

/// The status of an open task from its due date and time after the write (`t.due_date`,
/// `t.due_time`), at `$4` in zone `$3`.
pub(crate) fn open_status_sql() -> String {
    format!(
        "case when coalesce({}, false) then 'overdue'::task_status else 'pending'::task_status end",
        overdue_sql(3, 4)
    )
}

impl PgStore {
    /// Adds a task to a lead (assigned to the rep unless said otherwise), with a `task_added`
    /// activity, in one statement; `overdue` at once if already past due at `now` in the rep's
    /// zone. The description is stored as typed. `NotFound` if the lead is
    /// gone or invisible; `Invalid` for a bad title, a time without a date, or an assignee
    /// outside the organization. Returns the task's id.
    pub(crate) async fn insert_task(
        &self,
        task: TaskDraft<'_>,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        let title = valid_title(task.title, task.title_stored)?;
        let description = valid_description(task.description)?;
        if task.due_time.is_some() && task.due_date.is_none() {
            return Err(invalid("A due time needs a due date"));
        }
        let sql = ADD_TASK_SQL.replace("{status}", &open_status_sql());
        let id: Option<Uuid> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(task.lead_id)
            .bind(&self.me().time_zone)
            .bind(now)
            .bind(title)
            .bind(description)
            .bind(task.due_date)
            .bind(task.due_time)
            .bind(task.priority)
            .bind(task.assigned_to.unwrap_or(self.me().profile_id))
            .fetch_optional(self.pool())
            .await
            .map_err(assignee_error)?;
        id.ok_or(DataError::NotFound)
    }
}

/// A foreign key on the assignee means the person is not a member of the organization.
pub(crate) fn assignee_error(err: sqlx::Error) -> DataError {
    let assignee = err.as_database_error().is_some_and(|db| {
        db.code().as_deref() == Some("23503")
            && db.constraint().is_some_and(|c| c.contains("assigned_to"))
    });
    if assignee {
        DataError::Invalid(NOT_A_MEMBER.into())
    } else {
        err.into()
    }
}
