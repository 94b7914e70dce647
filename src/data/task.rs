//! Tasks: the one path for creating a task with its `task_added` activity (the lead screen's
//! [`PgStore::add_task`] and the inbox's [`PgStore::create_task`] both go through it). The status
//! rule every task write shares (an open task is `overdue` or `pending` from its due date and
//! time in the rep's zone) lives in the database: `closer.open_status` (migration 0004).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

use super::DataError;
use super::models::TaskPriority;
use super::store::PgStore;
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

/// One call (migration 0004): the task with its status at `now` in the rep's zone, and its
/// `task_added` activity.
/// A procedure (migration 0027: commits, then notifies in a transaction of its own); NULL id:
/// the lead is gone or invisible.
const ADD_TASK_SQL: &str = "call closer.add_task_now($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

impl PgStore {
    /// Adds a task to a lead (assigned to the rep unless said otherwise), with a `task_added`
    /// activity, in one call; `overdue` at once if already past due at `now` in the rep's
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
        let id: Option<Uuid> = sqlx::query_scalar(ADD_TASK_SQL)
            .bind(self.organization_id())
            .bind(task.lead_id)
            .bind(title)
            .bind(description)
            .bind(task.due_date)
            .bind(task.due_time)
            .bind(task.priority)
            .bind(task.assigned_to.unwrap_or(self.me().profile_id))
            .bind(&self.me().time_zone)
            .bind(now)
            .fetch_one(self.pool())
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
