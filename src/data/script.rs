//! Reads and writes of the scripting commands (`closer leads`, `tasks`, `export` …) that the
//! screens have no query for. Same rules as `store.rs`: the rep's own login (RLS), the
//! organization filtered explicitly, writes only through `closer.*` functions.
//! Rows come back as JSON values in the order of the `*_FIELDS` lists (the commands' stable
//! field names), so one printer serves table, JSON and CSV.

use super::filter_sql::{Predicate, bind_params, compile};
use futures::TryStreamExt;
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::DataError;
use super::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

/// Which leads a list or export reads. Built in one place (`script::select`), where the
/// filter language of the TUI plugs in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadSelection {
    /// `None`: every stage of every pipeline.
    pub stage_ids: Option<Vec<Uuid>>,
    pub owner: Option<Uuid>,
    /// 0: no limit.
    pub limit: u64,
    /// `--filter`: the board's filter language (issue 12), compiled to bound parameters.
    pub filter: Option<crate::filter::Filter>,
}

/// The fields of a lead row (`leads list`, `export leads`; `import leads` reads the same names).
pub const LEAD_FIELDS: [&str; 23] = [
    "id",
    "name",
    "email",
    "phone",
    "mobile",
    "company",
    "job_title",
    "location",
    "industry",
    "pipeline",
    "stage",
    "owner",
    "owner_name",
    "source",
    "lead_source",
    "score",
    "tags",
    "last_contacted_at",
    "created_at",
    "updated_at",
    "external_id",
    "version",
    // Last, so CSV readers that count columns keep working.
    "lost_reason",
];

pub const TASK_FIELDS: [&str; 13] = [
    "id",
    "lead_id",
    "lead",
    "title",
    "description",
    "due_date",
    "due_time",
    "priority",
    "status",
    "overdue",
    "assignee",
    "completed_at",
    "version",
];

pub const INTERACTION_FIELDS: [&str; 12] = [
    "id",
    "lead_id",
    "lead",
    "type",
    "direction",
    "subject",
    "content",
    "duration",
    "outcome",
    "occurred_at",
    "logged_by",
    "created_at",
];

/// The select list of a lead row; `$1` is the organization.
const LEAD_COLUMNS: &str = "
    select l.id, l.name, l.email, l.phone, l.mobile, p.company, p.job_title, p.location, p.industry,
           pl.name as pipeline, s.name as stage, o.email as owner, o.full_name as owner_name,
           l.source, l.lead_source, l.score,
           coalesce((select array_agg(t.tag order by t.tag) from lead_tags t
                     where t.organization_id = l.organization_id and t.lead_id = l.id), '{}') as tags,
           l.last_contacted_at, l.created_at, l.updated_at, l.external_lead_id as external_id, l.version,
           l.lost_reason
    from leads l
    join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
    join pipelines pl on pl.organization_id = s.organization_id and pl.id = s.pipeline_id
    left join lead_profiles p on p.organization_id = l.organization_id and p.lead_id = l.id
    left join profiles o on o.id = l.assigned_to
    where l.organization_id = $1";

const TASK_COLUMNS: &str = "
    select t.id, t.lead_id, l.name as lead, t.title, t.description, t.due_date, t.due_time,
           t.priority::text as priority, t.status::text as status,
           t.status in ('pending', 'overdue') and coalesce(t.due_date < (now() at time zone $2::text)::date
               or (t.due_date = (now() at time zone $2::text)::date and t.due_time < (now() at time zone $2::text)::time),
               false) as overdue,
           o.email as assignee, t.completed_at, t.version
    from lead_tasks t
    join leads l on l.organization_id = t.organization_id and l.id = t.lead_id
    left join profiles o on o.id = t.assigned_to
    where t.organization_id = $1";

const INTERACTION_SQL: &str = "
    select i.id, i.lead_id, l.name as lead, i.type::text as type, i.direction::text as direction,
           i.subject, i.content, i.duration, i.outcome, i.occurred_at, o.email as logged_by, i.created_at
    from lead_interactions i
    join leads l on l.organization_id = i.organization_id and l.id = i.lead_id
    left join profiles o on o.id = i.created_by
    where i.organization_id = $1";

/// The lead-row SQL for a selection: `$1` org, `$2` stage ids, `$3` owner, `$4` limit, then the
/// filter's own parameters from `$5`.
/// `ordered`: by name, read off `leads_name_prefix_c_idx` so the first row comes at once.
/// Exports read through `data::export` instead (merge joins in lead id order, no hash of the
/// whole organization).
pub fn lead_rows_sql(
    selection: &LeadSelection,
    ordered: bool,
    filter: Option<&Predicate>,
) -> String {
    let mut sql = String::from(LEAD_COLUMNS);
    if selection.stage_ids.is_some() {
        sql.push_str(" and l.stage_id = any($2)");
    }
    if selection.owner.is_some() {
        sql.push_str(" and l.assigned_to = $3");
    }
    if let Some(predicate) = filter {
        sql.push_str(" and (");
        sql.push_str(&predicate.sql);
        sql.push(')');
    }
    if ordered {
        sql.push_str(" order by lower(l.name) collate \"C\", l.id");
    }
    if selection.limit > 0 {
        sql.push_str(" limit $4");
    }
    sql
}

impl PgStore {
    /// Streams the selected leads through `each` (constant memory); returns how many.
    pub async fn each_lead(
        &self,
        selection: &LeadSelection,
        ordered: bool,
        mut each: impl FnMut(Vec<Value>) -> Result<()>,
    ) -> Result<u64> {
        let predicate = selection
            .filter
            .as_ref()
            .map(|f| compile(f, &self.filter_context(), 5));
        let sql = lead_rows_sql(selection, ordered, predicate.as_ref());
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(selection.stage_ids.clone().unwrap_or_default())
            .bind(selection.owner)
            .bind(i64::try_from(selection.limit).unwrap_or(i64::MAX));
        let query = match &predicate {
            Some(p) => bind_params(query, &p.params),
            None => query,
        };
        let mut rows = query.fetch(self.pool());
        let mut count = 0;
        while let Some(row) = rows.try_next().await? {
            each(lead_values(&row)?)?;
            count += 1;
        }
        Ok(count)
    }

    /// One lead as a row of [`LEAD_FIELDS`]; `NotFound` if gone or invisible.
    pub async fn lead_row(&self, lead_id: Uuid) -> Result<Vec<Value>> {
        let sql = format!("{LEAD_COLUMNS} and l.id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(lead_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(DataError::NotFound)?;
        lead_values(&row)
    }

    /// Open tasks by due date: mine, everyone's, or one lead's (then completed ones too).
    pub async fn task_rows(
        &self,
        mine: bool,
        lead: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Vec<Value>>> {
        let mut sql = String::from(TASK_COLUMNS);
        match lead {
            Some(_) => sql.push_str(" and t.lead_id = $4"),
            None => sql.push_str(" and t.status in ('pending', 'overdue')"),
        }
        if mine {
            sql.push_str(" and t.assigned_to = $3");
        }
        sql.push_str(" order by t.due_date nulls last, t.due_time nulls last, t.title, t.id");
        if limit > 0 {
            sql.push_str(" limit $5");
        }
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(&self.me().time_zone)
            .bind(self.me().profile_id)
            .bind(lead)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(task_values).collect()
    }

    /// Streams every task of the organization (export).
    pub async fn each_task(&self, mut each: impl FnMut(Vec<Value>) -> Result<()>) -> Result<u64> {
        let mut rows = sqlx::query(TASK_COLUMNS)
            .bind(self.organization_id())
            .bind(&self.me().time_zone)
            .fetch(self.pool());
        let mut count = 0;
        while let Some(row) = rows.try_next().await? {
            each(task_values(&row)?)?;
            count += 1;
        }
        Ok(count)
    }

    /// Streams every interaction of the organization (export).
    pub async fn each_interaction(
        &self,
        mut each: impl FnMut(Vec<Value>) -> Result<()>,
    ) -> Result<u64> {
        let mut rows = sqlx::query(INTERACTION_SQL)
            .bind(self.organization_id())
            .fetch(self.pool());
        let mut count = 0;
        while let Some(row) = rows.try_next().await? {
            each(vec![
                json!(row.try_get::<Uuid, _>("id")?),
                json!(row.try_get::<Uuid, _>("lead_id")?),
                json!(row.try_get::<String, _>("lead")?),
                json!(row.try_get::<String, _>("type")?),
                json!(row.try_get::<Option<String>, _>("direction")?),
                json!(row.try_get::<Option<String>, _>("subject")?),
                json!(row.try_get::<Option<String>, _>("content")?),
                json!(row.try_get::<Option<i32>, _>("duration")?),
                json!(row.try_get::<Option<String>, _>("outcome")?),
                json!(row.try_get::<chrono::DateTime<chrono::Utc>, _>("occurred_at")?),
                json!(row.try_get::<Option<String>, _>("logged_by")?),
                json!(row.try_get::<chrono::DateTime<chrono::Utc>, _>("created_at")?),
            ])?;
            count += 1;
        }
        Ok(count)
    }

    /// Deletes a lead through `closer.delete_lead` (managers and admins: a rep gets
    /// `PermissionDenied`); `NotFound` if it is gone or invisible.
    pub async fn delete_lead(&self, lead_id: Uuid) -> Result<()> {
        let deleted: Option<Uuid> = sqlx::query_scalar("select id from closer.delete_lead($1, $2)")
            .bind(self.organization_id())
            .bind(lead_id)
            .fetch_optional(self.pool())
            .await?;
        deleted.map(drop).ok_or(DataError::NotFound)
    }

    /// The organization's members with e-mail, for resolving `--owner` and import owners.
    pub async fn members(&self) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "select p.id, p.full_name, p.email from organization_members m join profiles p on p.id = m.profile_id
             where m.organization_id = $1 order by lower(p.full_name), p.id",
        )
        .bind(self.organization_id())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    profile_id: r.try_get("id")?,
                    full_name: r.try_get("full_name")?,
                    email: r.try_get("email")?,
                })
            })
            .collect()
    }
}

/// A member of the organization, as `--owner` and import owners name them.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub profile_id: Uuid,
    pub full_name: String,
    pub email: String,
}

fn lead_values(row: &PgRow) -> Result<Vec<Value>> {
    use chrono::{DateTime, Utc};
    let text = |c: &str| -> Result<Value> { Ok(json!(row.try_get::<Option<String>, _>(c)?)) };
    Ok(vec![
        json!(row.try_get::<Uuid, _>("id")?),
        json!(row.try_get::<String, _>("name")?),
        text("email")?,
        text("phone")?,
        text("mobile")?,
        text("company")?,
        text("job_title")?,
        text("location")?,
        text("industry")?,
        json!(row.try_get::<String, _>("pipeline")?),
        json!(row.try_get::<String, _>("stage")?),
        text("owner")?,
        text("owner_name")?,
        text("source")?,
        text("lead_source")?,
        json!(row.try_get::<i32, _>("score")?),
        json!(row.try_get::<Vec<String>, _>("tags")?),
        json!(row.try_get::<Option<DateTime<Utc>>, _>("last_contacted_at")?),
        json!(row.try_get::<DateTime<Utc>, _>("created_at")?),
        json!(row.try_get::<DateTime<Utc>, _>("updated_at")?),
        text("external_id")?,
        json!(row.try_get::<i32, _>("version")?),
        text("lost_reason")?,
    ])
}

fn task_values(row: &PgRow) -> Result<Vec<Value>> {
    use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
    Ok(vec![
        json!(row.try_get::<Uuid, _>("id")?),
        json!(row.try_get::<Uuid, _>("lead_id")?),
        json!(row.try_get::<String, _>("lead")?),
        json!(row.try_get::<String, _>("title")?),
        json!(row.try_get::<Option<String>, _>("description")?),
        json!(row.try_get::<Option<NaiveDate>, _>("due_date")?),
        json!(row.try_get::<Option<NaiveTime>, _>("due_time")?),
        json!(row.try_get::<String, _>("priority")?),
        json!(row.try_get::<String, _>("status")?),
        json!(row.try_get::<bool, _>("overdue")?),
        json!(row.try_get::<Option<String>, _>("assignee")?),
        json!(row.try_get::<Option<DateTime<Utc>>, _>("completed_at")?),
        json!(row.try_get::<i32, _>("version")?),
    ])
}
