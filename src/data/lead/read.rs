//! Reads for the lead screen (each retried once on a dropped connection) and their row mapping.

use chrono::Utc;
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use super::summary::activity_summary;
use super::*;
use crate::data::DataError;
use crate::data::outcome::retrying;
use crate::data::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

const LEAD_DETAIL_SQL: &str = "
    select l.id, l.name, l.email, l.phone, l.mobile, l.stage_id, s.name as stage_name, s.color as stage_color,
           l.assigned_to as owner_id, owner.full_name as owner_name, l.score, l.engagement_score,
           l.interest_level, l.purchase_readiness, l.total_calls,
           l.last_sentiment_score::float8 as last_sentiment_score, l.last_contacted_at, l.source,
           l.lead_source, l.lost_reason, l.metadata, l.project_id, pr.name as project_name,
           l.property_id, pt.name as property_name, l.created_at, l.updated_at, l.version,
           p.company, p.job_title, p.location, p.industry, p.lead_score, p.engagement_level,
           p.budget_range, p.timeline, p.min_budget::float8 as min_budget,
           p.max_budget::float8 as max_budget, p.property_type_interest,
           coalesce(p.preferences, '{}'::jsonb) as preferences,
           coalesce(p.custom_fields, '{}'::jsonb) as custom_fields, p.version as profile_version,
           coalesce((select jsonb_agg(jsonb_build_object('id', g.id, 'tag', g.tag, 'color', g.color)
                                      order by g.tag, g.id)
                     from lead_tags g
                     where g.organization_id = l.organization_id and g.lead_id = l.id), '[]'::jsonb) as tags
    from leads l
    join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
    left join profiles owner on owner.id = l.assigned_to
    left join lead_profiles p on p.organization_id = l.organization_id and p.lead_id = l.id
    left join projects pr on pr.organization_id = l.organization_id and pr.id = l.project_id
    left join properties pt on pt.organization_id = l.organization_id and pt.id = l.property_id
    where l.organization_id = $1 and l.id = $2";

/// Interactions and activities, each side index-ordered and limited, merged newest first.
/// `interaction_logged` activities are left out: the interaction itself is on the timeline.
const TIMELINE_SQL: &str = "
    select * from (
        (select 'interaction'::text as source, i.id, i.type::text as kind, i.direction, i.subject,
                i.content, i.outcome, i.duration, i.email_opened, i.email_clicked,
                who.full_name as who, i.occurred_at as at, null::jsonb as details
         from lead_interactions i
         left join profiles who on who.id = i.created_by
         where i.organization_id = $1 and i.lead_id = $2 and $3::bool
           and ($4::interaction_type is null or i.type = $4)
         order by i.occurred_at desc, i.id desc
         limit $6)
        union all
        (select 'activity'::text, a.id, a.type, null, null, null, null, null, false, false,
                who.full_name, a.created_at, a.content
         from lead_activities a
         left join profiles who on who.id = a.created_by
         where a.organization_id = $1 and a.lead_id = $2 and $5::bool and a.type <> 'interaction_logged'
         order by a.created_at desc, a.id desc
         limit $6)
    ) entries
    order by at desc, id desc
    limit $6";

const LEAD_TASKS_SQL: &str = "
    select t.id, t.lead_id, t.title, t.description, t.due_date, t.due_time, t.priority, t.status,
           t.assigned_to, who.full_name as assignee_name, t.completed_at, t.created_at, t.version,
           coalesce(t.status in ('pending', 'overdue')
                    and closer.task_overdue(t.status, t.due_date, t.due_time, $3::text, $4::timestamptz), false) as overdue
    from lead_tasks t
    left join profiles who on who.id = t.assigned_to
    where t.organization_id = $1 and t.lead_id = $2
    order by overdue desc, t.status not in ('pending', 'overdue'), t.due_date nulls last, t.due_time nulls last,
             t.completed_at desc nulls first, t.created_at, t.id";

const DEALS_SQL: &str = "
    select id, lead_id, property_id, name, amount::float8 as amount, currency, stage, probability, status,
           expected_close_date, created_at, version
    from deals
    where organization_id = $1 and lead_id = $2
    order by status = 'open' desc, created_at desc, id";

const DOCUMENTS_SQL: &str = "
    select d.id, d.lead_id, d.file_name, d.file_url, d.file_type, d.file_size, d.document_type,
           d.uploaded_by, who.full_name as uploaded_by_name, d.created_at, d.version
    from lead_documents d
    left join profiles who on who.id = d.uploaded_by
    where d.organization_id = $1 and d.lead_id = $2
    order by d.created_at desc, d.id desc";

impl PgStore {
    /// The lead with its stage, owner, profile, project, property and tags, in one round trip.
    /// `NotFound` when it is gone or invisible to this login.
    pub async fn lead_detail(&self, lead_id: Uuid) -> Result<LeadDetail> {
        retrying(|| async move {
            sqlx::query_as::<_, LeadDetail>(LEAD_DETAIL_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .fetch_optional(self.pool())
                .await?
                .ok_or(DataError::NotFound)
        })
        .await
    }

    /// Interactions and activities merged newest first (one query), at most `limit` entries.
    pub async fn timeline(
        &self,
        lead_id: Uuid,
        filter: Option<TimelineKind>,
        limit: i64,
    ) -> Result<Vec<TimelineEntry>> {
        let (interactions, kind, activities) = match filter {
            None => (true, None, true),
            Some(TimelineKind::Interactions) => (true, None, false),
            Some(TimelineKind::Interaction(kind)) => (true, Some(kind), false),
            Some(TimelineKind::Activities) => (false, None, true),
        };
        let limit = limit.clamp(1, 10_000);
        retrying(|| async move {
            let rows = sqlx::query(TIMELINE_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .bind(interactions)
                .bind(kind)
                .bind(activities)
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
            rows.iter().map(timeline_entry_from).collect()
        })
        .await
    }

    /// The lead's tasks: overdue first (derived now, in my time zone), then open ones by due
    /// date and time (undated last), then completed ones.
    pub async fn lead_tasks(&self, lead_id: Uuid, now: DateTime<Utc>) -> Result<Vec<LeadTask>> {
        retrying(|| async move {
            let rows = sqlx::query_as::<_, LeadTask>(LEAD_TASKS_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .bind(&self.me().time_zone)
                .bind(now)
                .fetch_all(self.pool())
                .await?;
            Ok(rows)
        })
        .await
    }

    /// Open deals first, newest first.
    pub async fn deals(&self, lead_id: Uuid) -> Result<Vec<Deal>> {
        retrying(|| async move {
            let rows = sqlx::query_as::<_, Deal>(DEALS_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .fetch_all(self.pool())
                .await?;
            Ok(rows)
        })
        .await
    }

    /// Newest first.
    pub async fn documents(&self, lead_id: Uuid) -> Result<Vec<LeadDocument>> {
        retrying(|| async move {
            let rows = sqlx::query_as::<_, LeadDocument>(DOCUMENTS_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .fetch_all(self.pool())
                .await?;
            Ok(rows)
        })
        .await
    }
}

/// Mapped by hand (the other rows derive `FromRow`): an activity's content is its sentence.
fn timeline_entry_from(r: &PgRow) -> Result<TimelineEntry> {
    let source: String = r.try_get("source")?;
    let kind: String = r.try_get("kind")?;
    let details: Option<Value> = r.try_get("details")?;
    let (source, content) = if source == "activity" {
        let summary = activity_summary(&kind, details.as_ref().unwrap_or(&Value::Null));
        (TimelineSource::Activity, Some(summary))
    } else {
        (TimelineSource::Interaction, r.try_get("content")?)
    };
    Ok(TimelineEntry {
        id: r.try_get("id")?,
        source,
        kind,
        direction: r.try_get("direction")?,
        subject: r.try_get("subject")?,
        content,
        outcome: r.try_get("outcome")?,
        duration_secs: r.try_get("duration")?,
        email_opened: r.try_get("email_opened")?,
        email_clicked: r.try_get("email_clicked")?,
        who: r.try_get("who")?,
        at: r.try_get("at")?,
        details,
    })
}
