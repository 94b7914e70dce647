//! The board through a filter: column pages and exact column totals of the leads a [`Filter`]
//! keeps. The predicate comes from `filter_sql` (values bound, never pasted).

use std::collections::HashMap;

use chrono::Utc;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::DataError;
use super::filter_sql::{
    FilterContext, Predicate, TotalRows, bind_params, compile, compile_for_column,
    compile_total_rows,
};
use super::models::*;
use super::outcome::retrying as read_retrying;
use super::store::{PgStore, column_page_sql_where};
use crate::filter::{Filter, FilterChoices, Term};

type Result<T> = std::result::Result<T, DataError>;

impl PgStore {
    /// The viewer and the clock a filter is evaluated with.
    pub fn filter_context(&self) -> FilterContext {
        FilterContext {
            me: self.me.profile_id,
            time_zone: self.me.time_zone.clone(),
            now: Utc::now(),
        }
    }

    /// What the filter bar completes: team members, tags (a loose index scan over
    /// `lead_tags_tag_lead_idx`, one probe per distinct tag), and the sources of up to 50,000 leads.
    /// All bounded; read once when the bar first opens.
    pub async fn filter_choices(&self) -> Result<FilterChoices> {
        read_retrying(|| self.filter_choices_once()).await
    }

    async fn filter_choices_once(&self) -> Result<FilterChoices> {
        let org = self.organization_id();
        let owners = sqlx::query_scalar(
            "select p.full_name from organization_members m join profiles p on p.id = m.profile_id
             where m.organization_id = $1 order by lower(p.full_name) limit 500",
        )
        .bind(org)
        .fetch_all(&self.pool);
        let tags = sqlx::query_scalar(
            "with recursive t(tag) as (
                 (select g.tag from lead_tags g where g.organization_id = $1 order by g.tag limit 1)
                 union all
                 select (select g.tag from lead_tags g where g.organization_id = $1 and g.tag > t.tag order by g.tag limit 1)
                 from t where t.tag is not null
             )
             select tag from t where tag is not null limit 300",
        )
        .bind(org)
        .fetch_all(&self.pool);
        let sources = sqlx::query_scalar(
            "select distinct s.source from (select l.source from leads l where l.organization_id = $1 and l.source is not null limit 50000) s
             order by 1 limit 300",
        )
        .bind(org)
        .fetch_all(&self.pool);
        let (owners, tags, sources) = tokio::join!(owners, tags, sources);
        Ok(FilterChoices {
            owners: owners?,
            tags: tags?,
            sources: sources?,
        })
    }

    /// One page of a column with only the leads `filter` keeps.
    pub async fn filtered_column_page(
        &self,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<ColumnCursor>,
        limit: i64,
        filter: &Filter,
    ) -> Result<ColumnPage> {
        let first = if after.is_some() { 8 } else { 6 };
        // Only `overdue` pages a won or lost column its own way.
        let closed = filter.terms.iter().any(|t| matches!(t, Term::Overdue))
            && read_retrying(|| self.stage_closed(stage_id)).await?;
        let predicate = compile_for_column(filter, &self.filter_context(), first, closed);
        read_retrying(|| {
            self.column_page_where(stage_id, sort, after.clone(), limit, Some(&predicate))
        })
        .await
    }

    async fn stage_closed(&self, stage_id: Uuid) -> Result<bool> {
        let closed: Option<bool> = sqlx::query_scalar(
            "select s.is_won or s.is_lost from pipeline_stages s where s.organization_id = $1 and s.id = $2",
        )
        .bind(self.organization_id())
        .bind(stage_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(closed.unwrap_or(false))
    }

    /// Exact totals per stage of `pipeline_id` over the leads `filter` keeps (open deals' sum and
    /// weighted sum, as the unfiltered headers). A filter of owners only (`mine`, `owner:`), one
    /// tag, one score range, one source term, `no-next-step`, `overdue` or `rotting` sums the
    /// summary deltas of those owners / facets (migrations 0033, 0049, 0050 and 0051: a few rows
    /// per stage, whatever the number of leads); anything else counts the kept leads, once per filter change, never per
    /// key, narrowed by the filter's indexed terms first.
    pub async fn filtered_summaries(
        &self,
        pipeline_id: Uuid,
        filter: &Filter,
    ) -> Result<HashMap<Uuid, StageSummary>> {
        self.filtered_summaries_with(pipeline_id, filter, &self.filter_context())
            .await
    }

    /// [`Self::filtered_summaries`] for a given viewer and clock (a test's pinned hour).
    pub async fn filtered_summaries_with(
        &self,
        pipeline_id: Uuid,
        filter: &Filter,
        ctx: &FilterContext,
    ) -> Result<HashMap<Uuid, StageSummary>> {
        if let Some(rows) = compile_total_rows(filter, ctx, 3) {
            return read_retrying(|| self.total_rows_once(pipeline_id, &rows)).await;
        }
        let predicate = compile(filter, ctx, 3);
        read_retrying(|| self.filtered_summaries_once(pipeline_id, &predicate)).await
    }

    /// Header totals per stage summed from `rows` like the unfiltered headers'
    /// (`stage_summaries`, `stage_currency_summaries`: the organization's currency, then each
    /// other one). One statement, so one snapshot: exact at every read.
    async fn total_rows_once(
        &self,
        pipeline_id: Uuid,
        rows: &TotalRows,
    ) -> Result<HashMap<Uuid, StageSummary>> {
        let TotalRows { ctes, rows, params } = rows;
        let sql = format!(
            "with {ctes} d as materialized ({rows})
             select d.stage_id, sum(d.lead_count)::bigint as n,
                    coalesce(sum(d.open_deal_amount) filter (where coalesce(d.currency, o.currency) = o.currency), 0)::float8 as amount,
                    coalesce(round(sum(d.weighted_deal_amount) filter (where coalesce(d.currency, o.currency) = o.currency), 2), 0)::float8 as weighted,
                    o.currency, null::text as other
             from d join organizations o on o.id = $1
             group by d.stage_id, o.currency
             union all
             select d.stage_id, 0, sum(d.open_deal_amount)::float8, round(sum(d.weighted_deal_amount), 2)::float8,
                    o.currency, d.currency
             from d join organizations o on o.id = $1
             where d.currency <> o.currency
             group by d.stage_id, o.currency, d.currency
             having sum(d.open_deal_amount) <> 0 or sum(d.weighted_deal_amount) <> 0"
        );
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(pipeline_id);
        let rows = bind_params(query, params).fetch_all(&self.pool).await?;
        let mut out = HashMap::new();
        for r in rows {
            super::store::fold_summary(&mut out, &r, "n")?;
        }
        Ok(out)
    }

    async fn filtered_summaries_once(
        &self,
        pipeline_id: Uuid,
        predicate: &Predicate,
    ) -> Result<HashMap<Uuid, StageSummary>> {
        // The kept leads are read once (index-only from migration 0025's `leads_filter_idx`);
        // counts and deal sums are set-based aggregates over them. A lateral sum of deals per
        // kept lead probed the deals index once per lead (a third of a second per 100k leads);
        // the open deals are read once, index-only from `deals_open_lead_idx` (with their
        // currency since 0046), joined by hash and summed per stage and currency; the
        // organization's currency goes to the header sums, the others beside them.
        // Materialized on purpose: with the filter planned again inside the deal join
        // (two aggregates without the CTE), `rotting` probed the leads once per open deal and
        // stage (1.3 s at 100k instead of 0.1 s).
        let sql = format!(
            "with kept as materialized (
                 select l.id, l.stage_id from leads l
                 where l.organization_id = $1
                   and l.stage_id in (select s.id from pipeline_stages s where s.organization_id = $1 and s.pipeline_id = $2)
                   and ({})
             ), sums as materialized (
                 select k.stage_id, d.currency, sum(d.amount) as amount, sum(d.amount * d.probability / 100.0) as weighted
                 from deals d join kept k on k.id = d.lead_id
                 where d.organization_id = $1 and d.status = 'open'
                 group by k.stage_id, d.currency
             )
             select c.stage_id, c.n, coalesce(a.amount, 0)::float8 as amount, coalesce(a.weighted, 0)::float8 as weighted,
                    o.currency, null::text as other
             from (select k.stage_id, count(*) as n from kept k group by k.stage_id) c
             join organizations o on o.id = $1
             left join sums a on a.stage_id = c.stage_id and a.currency = o.currency
             union all
             select a.stage_id, 0, a.amount::float8, a.weighted::float8, o.currency, a.currency
             from sums a join organizations o on o.id = $1
             where a.currency <> o.currency",
            predicate.sql
        );
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(pipeline_id);
        let rows = bind_params(query, &predicate.params)
            .fetch_all(&self.pool)
            .await?;
        let mut out = HashMap::new();
        for r in rows {
            super::store::fold_summary(&mut out, &r, "n")?;
        }
        Ok(out)
    }

    /// One page of a board column, keyset-paged on (sort key, id) so page 500 costs what page 1
    /// does; with a filter, only the leads it keeps.
    pub(super) async fn column_page_where(
        &self,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<ColumnCursor>,
        limit: i64,
        filter: Option<&Predicate>,
    ) -> Result<ColumnPage> {
        let extra = filter.map(|p| p.sql.as_str()).unwrap_or("true");
        let sql = column_page_sql_where(sort, after.is_some(), extra);
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(stage_id)
            .bind(limit + 1)
            .bind(&self.me.time_zone)
            .bind(Utc::now());
        // Later pages bind the cursor's sort key ($6) and id ($7).
        let query = match &after {
            None => query,
            Some(c) => match sort.key() {
                BoardSort::LastContact => query.bind(c.last_contacted_at),
                BoardSort::Newest => query.bind(c.created_at),
                _ => query.bind(c.score),
            }
            .bind(c.id),
        };
        let query = match filter {
            Some(p) => bind_params(query, &p.params),
            None => query,
        };
        let rows = query.fetch_all(&self.pool).await?;
        let mut cards = rows
            .into_iter()
            .map(|r| {
                Ok(LeadCard {
                    id: r.try_get("id")?,
                    stage_id: r.try_get("stage_id")?,
                    name: r.try_get("name")?,
                    company: r.try_get("company")?,
                    owner_name: r.try_get("owner_name")?,
                    score: r.try_get("score")?,
                    last_contacted_at: r.try_get("last_contacted_at")?,
                    created_at: r.try_get("created_at")?,
                    overdue_tasks: r.try_get("overdue")?,
                    open_tasks: r.try_get("open")?,
                    version: r.try_get("version")?,
                    assigned_to: r.try_get("assigned_to")?,
                    closed_on: r.try_get("closed_on")?,
                    closed_amount: r.try_get("closed_amount")?,
                    closed_currency: r
                        .try_get::<Option<&str>, _>("closed_currency")?
                        .map(crate::currency::Code::from_db),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let more = cards.len() as i64 > limit;
        cards.truncate(limit.max(0) as usize);
        let next_cursor = if more {
            cards.last().map(|c| ColumnCursor {
                sort,
                score: c.score,
                last_contacted_at: c.last_contacted_at,
                created_at: c.created_at,
                id: c.id,
            })
        } else {
            None
        };
        Ok(ColumnPage {
            stage_id,
            cards,
            next_cursor,
        })
    }
}
