//! The lead screen's writes. Each is ONE statement with its activity row, never retried: the
//! outcome of a dropped write is unknown.

use chrono::{NaiveDate, NaiveTime, Utc};
use serde_json::{Map, Value, json};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::edit::{current_value, profile_error, value_text};
use super::*;
use crate::data::DataError;
use crate::data::outcome::Versioned;
use crate::data::store::{PgStore, overdue_sql};
use crate::data::task::TaskDraft;
use crate::data::validate::Stored;
use crate::data::validate::{
    invalid, optional_text, valid_amount, valid_color, valid_deal_name, valid_deal_stage,
    valid_email, valid_name, valid_percent, valid_phone, valid_tag,
};

type Result<T> = std::result::Result<T, DataError>;

/// One statement: the interaction, the lead's counters (calls, and any outbound contact but a
/// note, touch the lead), and the activity row. Driven by the visible lead.
const LOG_INTERACTION_SQL: &str = "
    with lead as (
        select id, version, total_calls, last_contacted_at from leads
        where organization_id = $1 and id = $2
    ), touched as (
        update leads l
        set total_calls = l.total_calls + case when $3 = 'call'::interaction_type then 1 else 0 end,
            last_contacted_at = now()
        where l.organization_id = $1 and l.id = (select id from lead)
          and ($3 = 'call'::interaction_type or ($4 = 'outbound'::interaction_direction and $3 <> 'note'::interaction_type))
        returning l.version, l.total_calls, l.last_contacted_at
    ), logged as (
        insert into lead_interactions (organization_id, lead_id, type, direction, subject, content, duration, outcome)
        select $1, lead.id, $3, $4, $5, $6, $7, $8 from lead
        returning id, type, direction
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, $2, 'interaction_logged',
               jsonb_build_object('interaction_id', logged.id, 'kind', logged.type, 'direction', logged.direction)
        from logged
    )
    select logged.id, coalesce(t.version, lead.version) as version,
           coalesce(t.total_calls, lead.total_calls) as total_calls,
           coalesce(t.last_contacted_at, lead.last_contacted_at) as last_contacted_at
    from logged cross join lead left join touched t on true";

const CREATE_LEAD_SQL: &str = "
    with stage as (
        select id, name from pipeline_stages where organization_id = $1 and id = $2
    ), lead as (
        insert into leads (organization_id, stage_id, name, email, phone, assigned_to)
        select $1, stage.id, $3, $4, $5, $6 from stage
        returning id, name, stage_id
    ), profile as (
        insert into lead_profiles (organization_id, lead_id, company)
        select $1, lead.id, $7 from lead
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, lead.id, 'lead_created',
               jsonb_build_object('name', lead.name, 'stage_id', lead.stage_id, 'stage', stage.name)
        from lead cross join stage
    )
    select id from lead";

/// The version-checked lead update, the profile upsert (creates a missing profile row) and the
/// activity, in one statement. `$4` holds the lead columns to set, `$5` the profile columns
/// (JSON objects keyed by column; a key that is absent leaves the column alone).
const UPDATE_LEAD_SQL: &str = "
    with updated as (
        update leads set
            name = case when $4 ? 'name' then $4->>'name' else name end,
            email = case when $4 ? 'email' then $4->>'email' else email end,
            phone = case when $4 ? 'phone' then $4->>'phone' else phone end,
            mobile = case when $4 ? 'mobile' then $4->>'mobile' else mobile end,
            source = case when $4 ? 'source' then $4->>'source' else source end,
            lead_source = case when $4 ? 'lead_source' then $4->>'lead_source' else lead_source end,
            score = case when $4 ? 'score' then ($4->>'score')::int else score end,
            engagement_score = case when $4 ? 'engagement_score' then ($4->>'engagement_score')::int else engagement_score end,
            interest_level = case when $4 ? 'interest_level' then ($4->>'interest_level')::int else interest_level end,
            purchase_readiness = case when $4 ? 'purchase_readiness' then ($4->>'purchase_readiness')::int else purchase_readiness end,
            assigned_to = case when $4 ? 'assigned_to' then ($4->>'assigned_to')::uuid else assigned_to end
        where organization_id = $1 and id = $2 and version = $3
        returning id, version
    ), profile as (
        insert into lead_profiles as p (organization_id, lead_id, company, job_title, location, industry,
                                        lead_score, engagement_level, budget_range, timeline,
                                        min_budget, max_budget, property_type_interest)
        select $1, updated.id, $5->>'company', $5->>'job_title', $5->>'location', $5->>'industry',
               ($5->>'lead_score')::int, $5->>'engagement_level', $5->>'budget_range', $5->>'timeline',
               ($5->>'min_budget')::numeric, ($5->>'max_budget')::numeric, $5->>'property_type_interest'
        from updated
        where $5 <> '{}'::jsonb
        on conflict (organization_id, lead_id) do update set
            company = case when $5 ? 'company' then excluded.company else p.company end,
            job_title = case when $5 ? 'job_title' then excluded.job_title else p.job_title end,
            location = case when $5 ? 'location' then excluded.location else p.location end,
            industry = case when $5 ? 'industry' then excluded.industry else p.industry end,
            lead_score = case when $5 ? 'lead_score' then excluded.lead_score else p.lead_score end,
            engagement_level = case when $5 ? 'engagement_level' then excluded.engagement_level else p.engagement_level end,
            budget_range = case when $5 ? 'budget_range' then excluded.budget_range else p.budget_range end,
            timeline = case when $5 ? 'timeline' then excluded.timeline else p.timeline end,
            min_budget = case when $5 ? 'min_budget' then excluded.min_budget else p.min_budget end,
            max_budget = case when $5 ? 'max_budget' then excluded.max_budget else p.max_budget end,
            property_type_interest = case when $5 ? 'property_type_interest' then excluded.property_type_interest else p.property_type_interest end
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, updated.id, 'lead_updated', jsonb_build_object('fields', $6::jsonb) from updated
    )
    select version from updated";

const COMPLETE_TASK_SQL: &str = "
    with done as (
        update lead_tasks set status = 'completed', completed_at = coalesce(completed_at, now())
        where organization_id = $1 and id = $2 and version = $3
        returning id, lead_id, title, version
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, done.lead_id, 'task_completed', jsonb_build_object('task_id', done.id, 'title', done.title)
        from done
    )
    select version from done";

/// `t` is the new due date and time, so the overdue rule applies to them.
const RESCHEDULE_TASK_SQL: &str = "
    with before as (
        select due_date, due_time from lead_tasks where organization_id = $1 and id = $2
    ), moved as (
        update lead_tasks task set
            due_date = t.due_date,
            due_time = t.due_time,
            status = case when task.status = 'completed' then 'completed'::task_status
                          when coalesce({overdue}, false) then 'overdue'::task_status
                          else 'pending'::task_status end
        from (select $4::date as due_date, $5::time as due_time) t
        where task.organization_id = $1 and task.id = $2 and task.version = $3
        returning task.id, task.lead_id, task.title, task.version, task.due_date, task.due_time
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, moved.lead_id, 'task_rescheduled',
               jsonb_build_object('task_id', moved.id, 'title', moved.title,
                                  'from_date', (select due_date from before), 'from_time', (select due_time from before),
                                  'due_date', moved.due_date, 'due_time', moved.due_time)
        from moved
    )
    select version from moved";

const ADD_DEAL_SQL: &str = "
    with lead as (
        select id from leads where organization_id = $1 and id = $2
    ), deal as (
        insert into deals (organization_id, lead_id, name, amount, stage, probability, status, expected_close_date)
        select $1, lead.id, $3, $4::numeric, $5, $6, $7, $8 from lead
        returning id, lead_id, name, amount, stage, status
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, deal.lead_id, 'deal_added',
               jsonb_build_object('deal_id', deal.id, 'name', deal.name, 'amount', deal.amount,
                                  'stage', deal.stage, 'status', deal.status)
        from deal
    )
    select id from deal";

const UPDATE_DEAL_SQL: &str = "
    with changed as (
        update deals set
            name = coalesce($4, name),
            amount = coalesce($5::numeric, amount),
            stage = coalesce($6, stage),
            probability = coalesce($7, probability),
            status = coalesce($8, status),
            expected_close_date = case when $9 then $10 else expected_close_date end
        where organization_id = $1 and id = $2 and version = $3
        returning id, lead_id, name, amount, stage, status, version
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, changed.lead_id, 'deal_updated',
               jsonb_build_object('deal_id', changed.id, 'name', changed.name, 'fields', $11::jsonb,
                                  'amount', changed.amount, 'stage', changed.stage, 'status', changed.status)
        from changed
    )
    select version from changed";

/// Adding a tag the lead has already recolours it (`tag_updated`); the same colour records nothing.
const ADD_TAG_SQL: &str = "
    with lead as (
        select id from leads where organization_id = $1 and id = $2
    ), before as (
        select color from lead_tags where organization_id = $1 and lead_id = $2 and tag = $3
    ), tagged as (
        insert into lead_tags (organization_id, lead_id, tag, color)
        select $1, lead.id, $3, $4 from lead
        on conflict (organization_id, lead_id, tag) do update set color = excluded.color
        returning id, lead_id, tag, color
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, tagged.lead_id,
               case when exists (select 1 from before) then 'tag_updated' else 'tag_added' end,
               jsonb_build_object('tag', tagged.tag, 'color', tagged.color, 'from_color', (select color from before))
        from tagged
        where (select color from before) is distinct from tagged.color
    )
    select id, tag, color from tagged";

const REMOVE_TAG_SQL: &str = "
    with lead as (
        select id from leads where organization_id = $1 and id = $2
    ), removed as (
        delete from lead_tags
        where organization_id = $1 and lead_id = (select id from lead) and tag = $3
        returning lead_id, tag, color
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, removed.lead_id, 'tag_removed', jsonb_build_object('tag', removed.tag, 'color', removed.color)
        from removed
    )
    select exists (select 1 from lead) as found, exists (select 1 from removed) as removed";

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
            .fetch_optional(self.pool())
            .await?
            .ok_or(DataError::NotFound)?;
        Ok(LoggedInteraction {
            interaction_id: row.try_get("id")?,
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
    pub async fn add_task(&self, lead_id: Uuid, task: NewTask) -> Result<Uuid> {
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
        self.insert_task(draft, Utc::now()).await
    }

    /// Marks a task completed (keeps the first `completed_at`) with a `task_completed` activity.
    /// Returns the task's new version; `Conflict` if it changed meanwhile, `NotFound` if gone.
    pub async fn complete_task(&self, task_id: Uuid, version: i32) -> Result<i32> {
        let new_version: Option<i32> = sqlx::query_scalar(COMPLETE_TASK_SQL)
            .bind(self.organization_id())
            .bind(task_id)
            .bind(version)
            .fetch_optional(self.pool())
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
    ) -> Result<i32> {
        if due_time.is_some() && due_date.is_none() {
            return Err(invalid("A due time needs a due date"));
        }
        let sql = RESCHEDULE_TASK_SQL.replace("{overdue}", &overdue_sql(6, 7));
        let new_version: Option<i32> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(task_id)
            .bind(version)
            .bind(due_date)
            .bind(due_time)
            .bind(&self.me().time_zone)
            .bind(Utc::now())
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
        let id: Option<Uuid> = sqlx::query_scalar(ADD_DEAL_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(name)
            .bind(amount)
            .bind(stage)
            .bind(probability)
            .bind(deal.status)
            .bind(deal.expected_close_date)
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
