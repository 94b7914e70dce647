//! The lead screen's writes. Each is ONE call of a `closer.*` function (migration 0004: members
//! have no write privilege) that also records the activity row; never retried: the outcome of a
//! dropped write is unknown.

use chrono::{NaiveDate, NaiveTime, Utc};
use serde_json::{Map, Value, json};
use sqlx::Row;
use uuid::Uuid;

use super::edit::{current_value, profile_error, value_text};
use super::*;
use crate::data::DataError;
use crate::data::outcome::Versioned;
use crate::data::store::PgStore;
use crate::data::task::TaskDraft;
use crate::data::validate::Stored;
use crate::data::validate::{
    invalid, optional_text, valid_amount, valid_color, valid_currency, valid_deal_name,
    valid_deal_stage, valid_email, valid_name, valid_percent, valid_phone, valid_tag,
};

type Result<T> = std::result::Result<T, DataError>;

/// The interaction, the lead's counters (calls, and any outbound contact but a note, touch the
/// lead), and the activity row. Driven by the visible lead.
/// A procedure (migration 0027): it commits, then notifies teammates in a transaction of its own,
/// still one statement. Its one row is all NULL when the lead is gone or invisible.
const LOG_INTERACTION_SQL: &str = "call closer.log_interaction_now($1, $2, $3, $4, $5, $6, $7, $8)";

const CREATE_LEAD_SQL: &str = "select id from closer.create_lead($1, $2, $3, $4, $5, $6, $7)";

/// The version-checked lead update, the profile upsert (creates a missing profile row) and the
/// activity. `$4` holds the lead columns to set, `$5` the profile columns
/// (JSON objects keyed by column; a key that is absent leaves the column alone).
const UPDATE_LEAD_SQL: &str = "select version from closer.update_lead($1, $2, $3, $4, $5, $6)";

/// A procedure (migration 0027), like logging an interaction; NULL: nothing was completed.
const COMPLETE_TASK_SQL: &str = "call closer.complete_task_now($1, $2, $3)";

/// The overdue rule applies to the new due date and time.
const RESCHEDULE_TASK_SQL: &str =
    "select version from closer.reschedule_task($1, $2, $3, $4, $5, $6, $7)";

const ADD_DEAL_SQL: &str = "select id from closer.add_deal($1, $2, $3, $4, $5, $6, $7, $8, $9)";

const UPDATE_DEAL_SQL: &str =
    "select version from closer.update_deal($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/// Adding a tag the lead has already recolours it (`tag_updated`); the same colour records nothing.
const ADD_TAG_SQL: &str = "select id, tag, color from closer.add_tag($1, $2, $3, $4)";

const REMOVE_TAG_SQL: &str = "select found, removed from closer.remove_tag($1, $2, $3)";

impl PgStore {
    /// Logs a call, email, meeting, note, SMS or WhatsApp message in one statement: the
    /// interaction; for a call `total_calls + 1`; for a call or any outbound contact but a note
    /// `last_contacted_at = now()`; and an `interaction_logged` activity.
    pub async fn log_interaction(
        &self,
        lead_id: Uuid,
        interaction: NewInteraction,
    ) -> Result<LoggedInteraction> {
        let NewInteraction {
            kind,
            direction,
            subject,
            content,
            duration_secs,
            outcome,
        } = interaction;
        if kind == InteractionKind::Note && direction == Some(Direction::Inbound) {
            return Err(invalid("A note has no direction: log it without “inbound”"));
        }
        let subject = optional_text("The subject", subject, 1000)?;
        let content = optional_text("The text", content, MAX_CONTENT_CHARS)?;
        let outcome = optional_text("The outcome", outcome, 1000)?;
        if duration_secs.is_some_and(|d| d < 0) {
            return Err(invalid("A duration cannot be negative"));
        }
        let row = sqlx::query(LOG_INTERACTION_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(kind)
            .bind(direction)
            .bind(subject)
            .bind(content)
            .bind(duration_secs)
            .bind(outcome)
            .fetch_one(self.pool())
            .await?;
        let interaction_id: Option<Uuid> = row.try_get("id")?;
        Ok(LoggedInteraction {
            interaction_id: interaction_id.ok_or(DataError::NotFound)?,
            lead_version: row.try_get("version")?,
            total_calls: row.try_get("total_calls")?,
            last_contacted_at: row.try_get("last_contacted_at")?,
        })
    }

    /// Checks the input (helpful `Invalid` messages), then creates the lead (owned by me unless
    /// `assigned_to` says otherwise), an empty profile (with the company, if given) and a
    /// `lead_created` activity, in one statement. Returns the new lead's id.
    pub async fn create_lead(&self, lead: NewLead) -> Result<Uuid> {
        let name = valid_name(&lead.name)?;
        let email = valid_email(lead.email.as_deref())?;
        let phone = valid_phone("phone number", lead.phone.as_deref())?;
        let company = optional_text("The company", lead.company, 500)?;
        let owner = lead.assigned_to.unwrap_or(self.me().profile_id);
        let id: Option<Uuid> = sqlx::query_scalar(CREATE_LEAD_SQL)
            .bind(self.organization_id())
            .bind(lead.stage_id)
            .bind(name)
            .bind(email)
            .bind(phone)
            .bind(owner)
            .bind(company)
            .fetch_optional(self.pool())
            .await?;
        id.ok_or_else(|| invalid("That stage does not exist or is not visible to you"))
    }

    /// Saves the fields set in `edit` if the lead is still at `expected_version`, with a
    /// `lead_updated` activity listing them (one statement). Otherwise re-reads: gone or
    /// invisible is `Err(NotFound)`, changed meanwhile is [`UpdateOutcome::Conflict`].
    pub async fn update_lead(
        &self,
        lead_id: Uuid,
        expected_version: i32,
        edit: LeadEdit,
    ) -> Result<UpdateOutcome> {
        let changes = edit.changes()?;
        if changes.is_empty() {
            return Err(invalid("Nothing to save: no field was changed"));
        }
        let mut lead_columns = Map::new();
        let mut profile_columns = Map::new();
        for (field, value) in &changes {
            let target = if field.is_profile() {
                &mut profile_columns
            } else {
                &mut lead_columns
            };
            target.insert(field.column().to_owned(), value.clone());
        }
        let fields: Vec<&str> = changes.iter().map(|(f, _)| f.column()).collect();
        let version: Option<i32> = sqlx::query_scalar(UPDATE_LEAD_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(expected_version)
            .bind(Value::Object(lead_columns))
            .bind(Value::Object(profile_columns))
            .bind(json!(fields))
            .fetch_optional(self.pool())
            .await
            .map_err(profile_error)?;
        if let Some(version) = version {
            return Ok(UpdateOutcome::Saved { version });
        }
        // Zero rows: changed meanwhile, or gone/invisible. Re-read to tell which.
        let theirs = self.lead_detail(lead_id).await?;
        let differing = changes
            .iter()
            .filter_map(|(field, mine)| {
                let current = current_value(&theirs, *field);
                (current != *mine).then(|| FieldDiff {
                    field: *field,
                    mine: value_text(mine),
                    theirs: value_text(&current),
                })
            })
            .collect();
        Ok(UpdateOutcome::Conflict {
            theirs: Box::new(theirs),
            differing,
        })
    }

    /// Adds a task (assigned to me unless said otherwise; `overdue` if already past due in my
    /// time zone) with a `task_added` activity. Returns the task's id.
    pub async fn add_task(&self, lead_id: Uuid, task: NewTask, now: DateTime<Utc>) -> Result<Uuid> {
        let draft = TaskDraft {
            lead_id,
            title: &task.title,
            title_stored: Stored::AsTyped,
            description: task.description.as_deref(),
            due_date: task.due_date,
            due_time: task.due_time,
            priority: task.priority,
            assigned_to: task.assigned_to,
        };
        self.insert_task(draft, now).await
    }

    /// Marks a task completed (keeps the first `completed_at`) with a `task_completed` activity.
    /// Returns the task's new version; `Conflict` if it changed meanwhile, `NotFound` if gone.
    pub async fn complete_task(&self, task_id: Uuid, version: i32) -> Result<i32> {
        let new_version: Option<i32> = sqlx::query_scalar(COMPLETE_TASK_SQL)
            .bind(self.organization_id())
            .bind(task_id)
            .bind(version)
            .fetch_one(self.pool())
            .await?;
        match new_version {
            Some(v) => Ok(v),
            None => Err(self.conflict_or_gone(Versioned::Tasks, task_id).await),
        }
    }

    /// Moves a task's due date and time (`None` clears them); an open task becomes `overdue` or
    /// `pending` from the new date. Records `task_rescheduled`. Returns the new version.
    pub async fn reschedule_task(
        &self,
        task_id: Uuid,
        version: i32,
        due_date: Option<NaiveDate>,
        due_time: Option<NaiveTime>,
        now: DateTime<Utc>,
    ) -> Result<i32> {
        if due_time.is_some() && due_date.is_none() {
            return Err(invalid("A due time needs a due date"));
        }
        let new_version: Option<i32> = sqlx::query_scalar(RESCHEDULE_TASK_SQL)
            .bind(self.organization_id())
            .bind(task_id)
            .bind(version)
            .bind(due_date)
            .bind(due_time)
            .bind(&self.me().time_zone)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        match new_version {
            Some(v) => Ok(v),
            None => Err(self.conflict_or_gone(Versioned::Tasks, task_id).await),
        }
    }

    /// Adds a deal with a `deal_added` activity. Returns the deal's id.
    pub async fn add_deal(&self, lead_id: Uuid, deal: NewDeal) -> Result<Uuid> {
        let name = valid_deal_name(&deal.name)?;
        let amount = valid_amount(deal.amount)?;
        let stage = valid_deal_stage(&deal.stage)?;
        let probability = valid_percent("The probability", deal.probability)?;
        let currency = deal.currency.as_deref().map(valid_currency).transpose()?;
        let id: Option<Uuid> = sqlx::query_scalar(ADD_DEAL_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(name)
            .bind(amount)
            .bind(stage)
            .bind(probability)
            .bind(deal.status)
            .bind(deal.expected_close_date)
            .bind(currency)
            .fetch_optional(self.pool())
            .await?;
        id.ok_or(DataError::NotFound)
    }

    /// Changes the fields set in `changes` if the deal is still at `version`, with a
    /// `deal_updated` activity. Returns the new version; `Conflict` / `NotFound` otherwise.
    pub async fn update_deal(
        &self,
        deal_id: Uuid,
        version: i32,
        changes: DealChanges,
    ) -> Result<i32> {
        let mut fields = Vec::new();
        let name = match &changes.name {
            Some(name) => {
                fields.push("name");
                Some(valid_deal_name(name)?)
            }
            None => None,
        };
        let amount = match changes.amount {
            Some(amount) => {
                fields.push("amount");
                Some(valid_amount(amount)?)
            }
            None => None,
        };
        let currency = match &changes.currency {
            Some(code) => {
                fields.push("currency");
                Some(valid_currency(code)?)
            }
            None => None,
        };
        let stage = match &changes.stage {
            Some(stage) => {
                fields.push("stage");
                Some(valid_deal_stage(stage)?)
            }
            None => None,
        };
        let probability = match changes.probability {
            Some(p) => {
                fields.push("probability");
                Some(valid_percent("The probability", p)?)
            }
            None => None,
        };
        if changes.status.is_some() {
            fields.push("status");
        }
        if changes.expected_close_date.is_some() {
            fields.push("expected_close_date");
        }
        if fields.is_empty() {
            return Err(invalid("Nothing to save: no field was changed"));
        }
        let new_version: Option<i32> = sqlx::query_scalar(UPDATE_DEAL_SQL)
            .bind(self.organization_id())
            .bind(deal_id)
            .bind(version)
            .bind(name)
            .bind(amount)
            .bind(stage)
            .bind(probability)
            .bind(changes.status)
            .bind(changes.expected_close_date.is_some())
            .bind(changes.expected_close_date.flatten())
            .bind(json!(fields))
            .bind(currency)
            .fetch_optional(self.pool())
            .await?;
        match new_version {
            Some(v) => Ok(v),
            None => Err(self.conflict_or_gone(Versioned::Deals, deal_id).await),
        }
    }

    /// Tags the lead (trimmed tag, `#rrggbb` colour) with a `tag_added` activity; a tag the lead
    /// already has is recoloured (`tag_updated`, nothing recorded if the colour is the same).
    pub async fn add_tag(&self, lead_id: Uuid, tag: &str, color: &str) -> Result<LeadTag> {
        let tag = valid_tag(tag)?;
        let color = valid_color(color)?;
        let row = sqlx::query(ADD_TAG_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(tag)
            .bind(color)
            .fetch_optional(self.pool())
            .await?
            .ok_or(DataError::NotFound)?;
        Ok(LeadTag {
            id: row.try_get("id")?,
            tag: row.try_get("tag")?,
            color: row.try_get("color")?,
        })
    }

    /// Removes a tag with a `tag_removed` activity. `Ok(false)` if the lead did not have it;
    /// `NotFound` if the lead is gone or invisible.
    pub async fn remove_tag(&self, lead_id: Uuid, tag: &str) -> Result<bool> {
        let row = sqlx::query(REMOVE_TAG_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(tag.trim())
            .fetch_one(self.pool())
            .await?;
        if !row.try_get::<bool, _>("found")? {
            return Err(DataError::NotFound);
        }
        Ok(row.try_get("removed")?)
    }
}
