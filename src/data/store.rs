//! `PgStore`: every query the screens run, through the rep's own login so RLS applies.
//! Each query also filters by organization explicitly: it helps the planner and sharding.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::DataError;
use super::live::OwnBackends;
use super::models::*;
use super::outcome::retrying as read_retrying;

type Result<T> = std::result::Result<T, DataError>;

/// Server-side limits set on every connection (SECURITY.md: client side).
pub const STATEMENT_TIMEOUT_MS: u64 = 15_000;
/// Server connections of one direct session, the listener included while it listens: a running
/// TUI holds at most 2 (issue 16), the listener and one query connection. One is enough for the
/// queries: the screen never waits on them (moves show at once, results come back as actions),
/// every read is a few ms, and a slow one is cancelled by Esc on a connection of its own.
pub(crate) const POOL_SIZE: u32 = 2;
pub const IDLE_IN_TRANSACTION_TIMEOUT_MS: u64 = 30_000;

/// The status bar counts overdue tasks up to this many ("999+"), so a rep with a huge backlog
/// never waits on a full count.
pub const OVERDUE_COUNT_CAP: i64 = 1000;

pub use super::session::{Session, application_name};

/// The data access of one person in one organization. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PgStore {
    pub(super) pool: PgPool,
    pub(super) listen_pool: PgPool,
    pub(super) own_backends: OwnBackends,
    pub(super) me: Me,
    pub(super) membership: Membership,
}

impl PgStore {
    pub fn me(&self) -> &Me {
        &self.me
    }

    pub fn organization_id(&self) -> Uuid {
        self.membership.organization_id
    }

    pub fn organization_name(&self) -> &str {
        &self.membership.organization_name
    }

    pub fn role(&self) -> MemberRole {
        self.membership.role
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where the listening connection comes from, and which backends are this process's own.
    pub fn live_source(&self) -> (&PgPool, &OwnBackends) {
        (&self.listen_pool, &self.own_backends)
    }

    // Reads retry once after a dropped connection (the pool opens a fresh one).
    /// Cancels this process's running queries on the server (Esc on a slow load). A login may
    /// cancel its own backends; the listener's idle connection is untouched. The query
    /// connection is busy with what is being cancelled, so this opens a connection of its own
    /// for the one statement and closes it at once.
    pub async fn cancel_running(&self) -> Result<i64> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect_with(&self.pool.connect_options()).await?;
        let cancelled = sqlx::query_scalar(
            "select count(pg_cancel_backend(pid)) from pg_stat_activity
             where usename = session_user and application_name = $1 and state = 'active' and pid <> pg_backend_pid()",
        )
        .bind(application_name())
        .fetch_one(&mut conn)
        .await;
        let _ = conn.close().await;
        Ok(cancelled?)
    }

    pub async fn pipelines(&self) -> Result<Vec<Pipeline>> {
        read_retrying(|| self.pipelines_once()).await
    }

    pub async fn stages(&self, pipeline_id: Uuid) -> Result<Vec<Stage>> {
        read_retrying(|| self.stages_once(pipeline_id)).await
    }

    pub async fn stage_summaries(&self, pipeline_id: Uuid) -> Result<HashMap<Uuid, StageSummary>> {
        read_retrying(|| self.stage_summaries_once(pipeline_id)).await
    }

    pub async fn search_leads(&self, query: String, limit: i64) -> Result<Vec<LeadHit>> {
        read_retrying(|| self.search_leads_once(query.clone(), limit)).await
    }

    pub async fn overdue_task_count_at(&self, now: DateTime<Utc>) -> Result<i64> {
        read_retrying(|| self.overdue_task_count_at_once(now)).await
    }

    /// One page of a board column, keyset-paged on (sort key, id) so page 500 costs what page 1 does.
    pub async fn column_page(
        &self,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<ColumnCursor>,
        limit: i64,
    ) -> Result<ColumnPage> {
        read_retrying(|| self.column_page_once(stage_id, sort, after.clone(), limit)).await
    }

    async fn pipelines_once(&self) -> Result<Vec<Pipeline>> {
        let rows = sqlx::query(
            // Archived pipelines leave the picker (the editor lists them: `editor_pipelines`).
            "select id, name, is_default from pipelines where organization_id = $1 and archived_at is null
             order by is_default desc, name",
        )
        .bind(self.organization_id())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Pipeline {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    is_default: r.try_get("is_default")?,
                })
            })
            .collect()
    }

    async fn stages_once(&self, pipeline_id: Uuid) -> Result<Vec<Stage>> {
        Ok(sqlx::query_as::<_, Stage>(
            "select id, pipeline_id, name, order_index, color, is_won, is_lost, rotting_days from pipeline_stages
             where organization_id = $1 and pipeline_id = $2 order by order_index",
        )
        .bind(self.organization_id())
        .bind(pipeline_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Column totals from `stage_summaries`: a view summing the few delta rows the triggers
    /// append per stage (0003), so no row counting and no row every writer waits on. Amounts in
    /// other currencies than the organization's come from `stage_currency_summaries` (0022).
    async fn stage_summaries_once(&self, pipeline_id: Uuid) -> Result<HashMap<Uuid, StageSummary>> {
        let rows = sqlx::query(
            "select s.stage_id, s.lead_count, s.open_deal_amount::float8 as amount,
                    s.weighted_deal_amount::float8 as weighted, o.currency, null::text as other
             from stage_summaries s
             join pipeline_stages st on st.organization_id = s.organization_id and st.id = s.stage_id
             join organizations o on o.id = s.organization_id
             where s.organization_id = $1 and st.pipeline_id = $2
             union all
             select c.stage_id, 0, c.open_deal_amount::float8, c.weighted_deal_amount::float8, o.currency, c.currency
             from stage_currency_summaries c
             join pipeline_stages st on st.organization_id = c.organization_id and st.id = c.stage_id
             join organizations o on o.id = c.organization_id
             where c.organization_id = $1 and st.pipeline_id = $2 and c.currency <> o.currency",
        )
        .bind(self.organization_id())
        .bind(pipeline_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = HashMap::new();
        for r in rows {
            fold_summary(&mut out, &r, "lead_count")?;
        }
        Ok(out)
    }

    async fn column_page_once(
        &self,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<ColumnCursor>,
        limit: i64,
    ) -> Result<ColumnPage> {
        self.column_page_where(stage_id, sort, after, limit, None)
            .await
    }

    /// Moves a lead and records who moved it, in one statement (one round trip, one transaction).
    /// Fails with `Conflict` if the lead left `from_stage` meanwhile, `NotFound` if it is gone.
    pub async fn move_lead(
        &self,
        lead_id: Uuid,
        from_stage: Uuid,
        to_stage: Uuid,
        lost_reason: Option<String>,
    ) -> Result<MovedLead> {
        // A dropped connection leaves the outcome unknown, even after the write committed (the
        // procedure notifies after its commit, 0027): re-read, and retry only if it was not
        // applied; an error is reported only when the re-read shows the lead where it was.
        let mut retries_left = 2;
        loop {
            let err = match self
                .move_lead_once(lead_id, from_stage, to_stage, lost_reason.clone())
                .await
            {
                Err(err) if err.is_connection() => err,
                other => return other,
            };
            tracing::info!("move failed on a dropped connection, re-reading: {err}");
            tokio::time::sleep(Duration::from_millis(200)).await;
            let current = read_retrying(|| self.lead_stage_once(lead_id)).await?;
            match current {
                Some((stage_id, version)) if stage_id == to_stage => {
                    return Ok(MovedLead {
                        lead_id,
                        stage_id,
                        version,
                    });
                }
                Some((stage_id, _)) if stage_id == from_stage && retries_left > 0 => {
                    retries_left -= 1;
                }
                Some((stage_id, _)) if stage_id == from_stage => return Err(err),
                Some(_) => return Err(DataError::Conflict),
                None => return Err(DataError::NotFound),
            }
        }
    }

    async fn lead_stage_once(&self, lead_id: Uuid) -> Result<Option<(Uuid, i32)>> {
        Ok(sqlx::query_as(
            "select stage_id, version from leads where organization_id = $1 and id = $2",
        )
        .bind(self.organization_id())
        .bind(lead_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn move_lead_once(
        &self,
        lead_id: Uuid,
        from_stage: Uuid,
        to_stage: Uuid,
        lost_reason: Option<String>,
    ) -> Result<MovedLead> {
        // One round trip: the procedure moves the lead and records the activity (migration
        // 0004's function), commits, then notifies teammates in a transaction that writes
        // nothing (0027: no queue behind the cluster-wide notify lock while the commit
        // flushes). Its one row is all NULL when no lead moved.
        let row = sqlx::query("call closer.move_lead_now($1, $2, $3, $4, $5)")
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(to_stage)
            .bind(lost_reason)
            .bind(from_stage)
            .fetch_one(&self.pool)
            .await?;
        let moved: Option<Uuid> = row.try_get("id")?;
        match moved {
            Some(lead_id) => Ok(MovedLead {
                lead_id,
                stage_id: row.try_get("stage_id")?,
                version: row.try_get("version")?,
            }),
            None => Err(self.explain_missing_lead(lead_id).await),
        }
    }

    /// Zero rows means conflict or gone/invisible: re-read to tell which.
    async fn explain_missing_lead(&self, lead_id: Uuid) -> DataError {
        match sqlx::query_scalar::<_, bool>(
            "select exists(select 1 from leads where organization_id = $1 and id = $2)",
        )
        .bind(self.organization_id())
        .bind(lead_id)
        .fetch_one(&self.pool)
        .await
        {
            Ok(true) => DataError::Conflict,
            Ok(false) => DataError::NotFound,
            Err(e) => e.into(),
        }
    }

    /// Leads whose name starts with `query` (alphabetical), then leads whose name, email, phone or
    /// company contains it (3+ characters). See `closer.search_leads` for why this is a function.
    async fn search_leads_once(&self, query: String, limit: i64) -> Result<Vec<LeadHit>> {
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as::<_, LeadHit>(
            "select id, name, company, stage_id, null::text as matched
             from closer.search_leads($1, $2, $3)",
        )
        .bind(self.organization_id())
        .bind(query)
        .bind(limit.clamp(1, 100) as i32)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Open tasks assigned to me that are past due in my time zone, counted up to [`OVERDUE_COUNT_CAP`].
    pub async fn overdue_task_count(&self) -> Result<i64> {
        self.overdue_task_count_at(Utc::now()).await
    }

    /// Same with an explicit clock, so tests can pin "now".
    async fn overdue_task_count_at_once(&self, now: DateTime<Utc>) -> Result<i64> {
        let sql = format!(
            "select count(*) from (
                 select 1 from lead_tasks t
                 where t.organization_id = $1 and t.assigned_to = $2 and t.status in ('pending', 'overdue')
                   and closer.task_overdue(t.status, t.due_date, t.due_time, $3::text, $4::timestamptz){}
                 limit $5
             ) capped",
            super::closing::OPEN_LEAD_SQL
        );
        Ok(sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(self.me.profile_id)
            .bind(&self.me.time_zone)
            .bind(now)
            .bind(OVERDUE_COUNT_CAP)
            .fetch_one(&self.pool)
            .await?)
    }
}

/// One statement per sort order and page kind: the first page and later pages are separate SQL
/// (no `$n OR keyset` that a generic plan would turn into a filter over the whole column), so the
/// plan is an index scan on the sort's board index whichever plan PostgreSQL caches (tested under
/// `plan_cache_mode = force_generic_plan` in tests/db/scale.rs). Parameters: `$1` org, `$2` stage,
/// `$3` limit, `$4` zone, `$5` now; later pages add the cursor's sort key `$6` and id `$7`.
pub fn column_page_sql(sort: BoardSort, after_cursor: bool) -> String {
    column_page_sql_where(sort, after_cursor, "true")
}

/// The same with an extra predicate over `l` (a compiled filter; its placeholders follow the
/// page's own: `$6` on a first page, `$8` on later ones).
pub fn column_page_sql_where(sort: BoardSort, after_cursor: bool, extra: &str) -> String {
    let (order, keyset) = match sort {
        BoardSort::Score => (
            "l.score desc, l.id desc",
            "(l.score, l.id) < ($6::int, $7::uuid)",
        ),
        BoardSort::LastContact => (
            "coalesce(l.last_contacted_at, '-infinity'::timestamptz) desc, l.id desc",
            "(coalesce(l.last_contacted_at, '-infinity'::timestamptz), l.id) < (coalesce($6::timestamptz, '-infinity'::timestamptz), $7::uuid)",
        ),
        BoardSort::Newest => (
            "l.created_at desc, l.id desc",
            "(l.created_at, l.id) < ($6::timestamptz, $7::uuid)",
        ),
        // Ascending: the same indexes scanned backward (every column reversed, ids too).
        BoardSort::ScoreAsc => (
            "l.score asc, l.id asc",
            "(l.score, l.id) > ($6::int, $7::uuid)",
        ),
        BoardSort::LastContactAsc => (
            "coalesce(l.last_contacted_at, '-infinity'::timestamptz) asc, l.id asc",
            "(coalesce(l.last_contacted_at, '-infinity'::timestamptz), l.id) > (coalesce($6::timestamptz, '-infinity'::timestamptz), $7::uuid)",
        ),
        BoardSort::Oldest => (
            "l.created_at asc, l.id asc",
            "(l.created_at, l.id) > ($6::timestamptz, $7::uuid)",
        ),
    };
    let keyset = if after_cursor {
        format!(" and {keyset}")
    } else {
        String::new()
    };
    format!(
        "select l.id, l.stage_id, l.name, p.company, owner.full_name as owner_name, l.score, l.last_contacted_at,
                l.created_at, l.version, coalesce(t.overdue, 0) as overdue, coalesce(t.open, 0) as open,
                l.assigned_to, d.closed_on, d.closed_amount, d.closed_currency
         from leads l
         left join lead_profiles p on p.organization_id = l.organization_id and p.lead_id = l.id
         left join profiles owner on owner.id = l.assigned_to
         left join lateral (
             select count(*) filter (where closer.task_overdue(t.status, t.due_date, t.due_time, $4::text, $5::timestamptz)) as overdue,
                    count(*) as open
             from lead_tasks t
             where t.organization_id = l.organization_id and t.lead_id = l.id and t.status in ('pending', 'overdue')
         ) t on true
         left join lateral (
             select max(d.closed_on) as closed_on, coalesce(sum(d.amount), 0)::float8 as closed_amount,
                    case when count(distinct d.currency) = 1 then min(d.currency) end as closed_currency
             from deals d
             where d.organization_id = l.organization_id and d.lead_id = l.id and d.status <> 'open'
         ) d on true
         where l.organization_id = $1 and l.stage_id = $2{keyset} and ({extra})
         order by {order}
         limit $3"
    )
}

/// Adds one row of totals to its stage: the organization's currency (`other` null) sets the
/// count and sums, another currency joins the stage's others (never the sums).
pub(super) fn fold_summary(
    out: &mut HashMap<Uuid, StageSummary>,
    r: &sqlx::postgres::PgRow,
    count: &str,
) -> Result<()> {
    use crate::currency::Code;
    let stage: Uuid = r.try_get("stage_id")?;
    let currency = Code::from_db(r.try_get::<&str, _>("currency")?);
    let entry = out.entry(stage).or_default();
    entry.currency = currency;
    match r.try_get::<Option<&str>, _>("other")? {
        Some(other) if Code::from_db(other) != currency => {
            entry.lead_count += r.try_get::<i64, _>(count)?;
            entry.others.add(Code::from_db(other), r.try_get("amount")?);
        }
        _ => {
            entry.lead_count += r.try_get::<i64, _>(count)?;
            entry.open_deal_amount += r.try_get::<f64, _>("amount")?;
            entry.weighted_deal_amount += r.try_get::<f64, _>("weighted")?;
        }
    }
    Ok(())
}
