//! The inbox's writes: each one call of a `closer.*` function (see the module docs above).

use super::*;

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
    pub async fn create_task(
        &self,
        lead_id: Uuid,
        task: &crate::data::lead::NewTask,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        let task = TaskDraft {
            lead_id,
            title: &task.title,
            title_stored: Stored::Trimmed,
            description: task.description.as_deref(),
            due_date: task.due_date,
            due_time: task.due_time,
            priority: task.priority,
            assigned_to: task.assigned_to,
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
