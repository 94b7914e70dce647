//! Undo of the inbox's task writes (issue 11's undo history): put tasks back as they were,
//! unless a teammate has changed them since — then nothing is written and the rep is told.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use crate::data::models::TaskPriority;
use crate::data::{DataError, PgStore};

type Result<T> = std::result::Result<T, DataError>;

/// A task as it was before a write.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskBefore {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub due_time: Option<NaiveTime>,
    pub priority: TaskPriority,
    pub assigned_to: Option<Uuid>,
}

/// What the write changed: the values it left, to see whether anyone changed them since.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskChange {
    Assignee(Uuid),
    /// Per task: the due date and time the write set.
    Due(Vec<(Uuid, Option<NaiveDate>, Option<NaiveTime>)>),
    Priority(TaskPriority),
    Edit {
        title: String,
        description: Option<String>,
    },
}

/// One undoable write of tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskUndo {
    /// What the status line says was undone ("reassigned 3 tasks to Sam").
    pub label: String,
    pub before: Vec<TaskBefore>,
    pub change: TaskChange,
}

impl PgStore {
    /// Puts the tasks of `undo` back as they were. Refuses (and writes nothing) when any of
    /// them no longer shows the value the write left: someone changed it since.
    pub async fn restore_tasks(&self, undo: &TaskUndo, now: DateTime<Utc>) -> Result<()> {
        let ids: Vec<Uuid> = undo.before.iter().map(|b| b.id).collect();
        let rows = sqlx::query(
            "select id, title, description, due_date, due_time, priority, assigned_to
             from lead_tasks where organization_id = $1 and id = any($2)",
        )
        .bind(self.organization_id())
        .bind(&ids)
        .fetch_all(self.pool())
        .await?;
        for b in &undo.before {
            let Some(row) = rows
                .iter()
                .find(|r| r.try_get::<Uuid, _>("id").ok() == Some(b.id))
            else {
                return Err(DataError::Invalid(format!(
                    "Not undone: the task “{}” was deleted or is no longer visible to you",
                    b.title
                )));
            };
            let changed = match &undo.change {
                TaskChange::Assignee(to) => {
                    row.try_get::<Option<Uuid>, _>("assigned_to")? != Some(*to)
                }
                TaskChange::Due(list) => list.iter().find(|(id, ..)| *id == b.id).is_some_and(
                    |(_, date, time)| -> bool {
                        let now_date = row.try_get::<Option<NaiveDate>, _>("due_date").ok();
                        let now_time = row.try_get::<Option<NaiveTime>, _>("due_time").ok();
                        (now_date, now_time) != (Some(*date), Some(*time))
                    },
                ),
                TaskChange::Priority(p) => row.try_get::<TaskPriority, _>("priority")? != *p,
                TaskChange::Edit { title, description } => {
                    row.try_get::<String, _>("title")? != *title
                        || row.try_get::<Option<String>, _>("description")? != *description
                }
            };
            if changed {
                return Err(DataError::Invalid(format!(
                    "Not undone: a teammate changed “{}” since; press r to see their change",
                    b.title
                )));
            }
        }
        match &undo.change {
            TaskChange::Assignee(_) => {
                let mut owners: Vec<Uuid> =
                    undo.before.iter().filter_map(|b| b.assigned_to).collect();
                owners.sort();
                owners.dedup();
                for owner in owners {
                    let group: Vec<Uuid> = undo
                        .before
                        .iter()
                        .filter(|b| b.assigned_to == Some(owner))
                        .map(|b| b.id)
                        .collect();
                    self.reassign_tasks(&group, owner).await?;
                }
            }
            TaskChange::Due(_) => {
                for b in &undo.before {
                    self.set_due(b.id, b.due_date, b.due_time, now).await?;
                }
            }
            TaskChange::Priority(_) => {
                for p in [TaskPriority::Low, TaskPriority::Medium, TaskPriority::High] {
                    let group: Vec<Uuid> = undo
                        .before
                        .iter()
                        .filter(|b| b.priority == p)
                        .map(|b| b.id)
                        .collect();
                    self.set_tasks_priority(&group, p).await?;
                }
            }
            TaskChange::Edit { .. } => {
                for b in &undo.before {
                    self.edit_task(b.id, &b.title, b.description.as_deref())
                        .await?;
                }
            }
        }
        Ok(())
    }
}
