//! `closer export leads`: every selected lead streamed in one read-only snapshot, in id order,
//! with flat memory on both sides.
//!
//! The list's SQL (`script::lead_rows_sql`) joins stages, pipelines and owners in the query.
//! Unordered at 1M leads, PostgreSQL hashed the leads (RLS makes it expect an eighth of them)
//! and spilled past the login's `temp_file_limit` (256 MB): the export failed. Here the query
//! reads only the lead-keyed tables, merged in lead id order (leads, their profiles, their
//! tags grouped per lead), in chunks of lead id ranges (one statement each, far below the
//! statement timeout, which one statement for 1M leads was not), and the few stage and owner
//! names come from two small reads of the same snapshot, joined in the client.

use std::collections::HashMap;

use futures::TryStreamExt;
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::DataError;
use super::filter_sql::{Predicate, bind_params, compile};
use super::script::LeadSelection;
use super::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

/// `$1` org, `$2` stage ids, `$3` owner, `$4`..`$5` the chunk's lead id range (after, through),
/// then the filter's own parameters from `$6`.
const EXPORT_COLUMNS: &str = "
    select l.id, l.name, l.email, l.phone, l.mobile, p.company, p.job_title, p.location, p.industry,
           l.stage_id, l.assigned_to, l.source, l.lead_source, l.score, coalesce(t.tags, '{}') as tags,
           l.last_contacted_at, l.created_at, l.updated_at, l.external_lead_id as external_id, l.version,
           l.lost_reason
    from leads l
    left join (select p.lead_id, p.company, p.job_title, p.location, p.industry from lead_profiles p
               where p.organization_id = $1 and p.lead_id > $4 and p.lead_id <= $5) p on p.lead_id = l.id
    left join (select t.lead_id, array_agg(t.tag order by t.tag) as tags from lead_tags t
               where t.organization_id = $1 and t.lead_id > $4 and t.lead_id <= $5
               group by t.lead_id) t on t.lead_id = l.id
    where l.organization_id = $1 and l.id > $4 and l.id <= $5";

/// The last lead id of the next chunk: `$1` org, `$2` after, `$3` chunk size.
const CHUNK_END: &str =
    "select (array_agg(c.id order by c.id desc))[1] from (select l.id from leads l
     where l.organization_id = $1 and l.id > $2 order by l.id limit $3) c";

/// Leads per statement: each chunk is its own statement, far below the statement timeout, and
/// sorts at most this many profiles in memory.
const CHUNK: i64 = 20_000;

/// Merge joins only: the misestimated lead count otherwise picks a hash of every lead (spilling)
/// or a probe per lead; no JIT (its compile time is a fixed cost the stream never wins back).
const EXPORT_SETTINGS: &str = "set local enable_hashjoin = off; set local enable_nestloop = off; \
                               set local jit = off";

/// The export SQL of one chunk for a selection (the same filters as `script::lead_rows_sql`).
pub fn export_sql(selection: &LeadSelection, filter: Option<&Predicate>) -> String {
    let mut sql = String::from(EXPORT_COLUMNS);
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
    sql.push_str(" order by l.id");
    sql
}

/// Pipeline and stage names of a stage.
struct StageNames {
    pipeline: String,
    stage: String,
}

impl PgStore {
    /// Streams the selected leads (rows of `script::LEAD_FIELDS`) through `each`, in id order;
    /// returns how many.
    pub async fn export_leads(
        &self,
        selection: &LeadSelection,
        mut each: impl FnMut(Vec<Value>) -> Result<()>,
    ) -> Result<u64> {
        let org = self.organization_id();
        let mut tx = self.pool().begin().await?;
        sqlx::raw_sql("set transaction isolation level repeatable read, read only")
            .execute(&mut *tx)
            .await?;
        sqlx::raw_sql(EXPORT_SETTINGS).execute(&mut *tx).await?;
        let stages: HashMap<Uuid, StageNames> = sqlx::query(
            "select s.id, s.name, pl.name as pipeline from pipeline_stages s
             join pipelines pl on pl.organization_id = s.organization_id and pl.id = s.pipeline_id
             where s.organization_id = $1",
        )
        .bind(org)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            let names = StageNames {
                pipeline: r.try_get("pipeline")?,
                stage: r.try_get("name")?,
            };
            Ok((r.try_get("id")?, names))
        })
        .collect::<Result<_>>()?;
        // The profiles the rep may read, as the list's `left join profiles` sees them.
        let owners: HashMap<Uuid, (Option<String>, Option<String>)> =
            sqlx::query("select o.id, o.email, o.full_name from profiles o")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get("id")?,
                        (r.try_get("email")?, r.try_get("full_name")?),
                    ))
                })
                .collect::<Result<_>>()?;

        let predicate = selection
            .filter
            .as_ref()
            .map(|f| compile(f, &self.filter_context(), 6));
        let sql = export_sql(selection, predicate.as_ref());
        let limit = selection.limit;
        let mut count: u64 = 0;
        // Lead ids above the nil uuid: every id `gen_random_uuid()` makes.
        let mut after = Uuid::nil();
        while limit == 0 || count < limit {
            let through: Option<Uuid> = sqlx::query_scalar(CHUNK_END)
                .bind(org)
                .bind(after)
                .bind(CHUNK)
                .fetch_one(&mut *tx)
                .await?;
            let Some(through) = through else {
                break;
            };
            let query = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(org)
                .bind(selection.stage_ids.clone().unwrap_or_default())
                .bind(selection.owner)
                .bind(after)
                .bind(through);
            let query = match &predicate {
                Some(p) => bind_params(query, &p.params),
                None => query,
            };
            let mut rows = query.fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                if limit > 0 && count >= limit {
                    break;
                }
                let stage_id: Uuid = row.try_get("stage_id")?;
                // The list's inner join to the stage: a lead whose stage is not readable is not listed.
                let Some(stage) = stages.get(&stage_id) else {
                    continue;
                };
                let owner = row
                    .try_get::<Option<Uuid>, _>("assigned_to")?
                    .and_then(|id| owners.get(&id));
                each(export_values(&row, stage, owner)?)?;
                count += 1;
            }
            drop(rows);
            after = through;
        }
        tx.commit().await?;
        Ok(count)
    }
}

/// One exported lead in the order of `script::LEAD_FIELDS` (the list's `lead_values`).
fn export_values(
    row: &PgRow,
    stage: &StageNames,
    owner: Option<&(Option<String>, Option<String>)>,
) -> Result<Vec<Value>> {
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
        json!(stage.pipeline),
        json!(stage.stage),
        json!(owner.and_then(|(email, _)| email.as_deref())),
        json!(owner.and_then(|(_, name)| name.as_deref())),
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
