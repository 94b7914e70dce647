//! The insights queries: one per panel, run at once on the pool. Each reads rollups folded by
//! month plus what changed since (funnel and lost reasons: migration 0031; deals, calls and
//! completed tasks: 0042), never every row of the period.
//! Binds: $1 organization, $2 pipeline, $3 first day, $4 day after the period, $5 person or NULL.

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{FunnelStage, Insights, InsightsQuery, MonthAmount, OtherDeals, Ranked, RepRow};
use crate::data::DataError;
use crate::data::models::MemberRole;
use crate::data::outcome::retrying;
use crate::data::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

/// The deal panels read `closer.insights_deal_facts` (migration 0042): monthly rollups of the
/// deals of the pipeline, period and person plus the deltas logged since the last fold, per
/// month, status, owner, currency and (won) source. Sums are in the organization's currency only
/// (issue 11): deals in others are counted apart (`OTHER_CURRENCIES_SQL`), never added to them.
/// `plain.rs` holds the plain queries over `deals` that these must equal.
const FACTS: &str = "closer.insights_deal_facts($1, $2, $3, $4, $5) f";
const ORG_CURRENCY: &str = "(SELECT o.currency FROM organizations o WHERE o.id = $1)";

/// The period's deals in other currencies than the organization's: open ones by expected close,
/// won and lost ones by close day (the same periods as the panels).
pub const OTHER_CURRENCIES_SQL: &str =
    "SELECT f.currency, f.status::text AS status, sum(f.deals)::bigint AS n,
            sum(f.amount)::float8 AS amount
     FROM {facts} WHERE f.currency <> {currency}
     GROUP BY 1, 2 ORDER BY 1, 2";

pub const FORECAST_SQL: &str = "SELECT f.month, sum(f.deals)::bigint AS n,
            sum(f.amount)::float8 AS amount, sum(f.weighted)::float8 AS weighted
     FROM {facts} WHERE f.status = 'open' AND f.currency = {currency}
     GROUP BY 1 ORDER BY 1";

pub const CLOSED_SQL: &str = "SELECT f.status::text AS status, f.month, sum(f.deals)::bigint AS n,
            sum(f.amount)::float8 AS amount
     FROM {facts} WHERE f.status <> 'open' AND f.currency = {currency}
     GROUP BY 1, 2 ORDER BY 2, 1";

/// Per stage: distinct leads that entered in the period, how many of them left forward, and the
/// days in stage of the stays that have left. `closer.insights_funnel` (migration 0031) reads the
/// rollups folded below the organization's watermark plus the same facts over the tail above it;
/// `pending` (tail leads and logged changes) tells the caller when to compact.
pub const FUNNEL_SQL: &str =
    "SELECT s.id, s.name, s.is_won, s.is_lost, f.entered, f.moved_on, f.stays_left,
            f.median_days, f.p80_days, f.pending
     FROM closer.insights_funnel($1, $2, $3, $4, $5) f
     JOIN pipeline_stages s ON s.organization_id = $1 AND s.id = f.stage_id
     ORDER BY s.order_index";

/// The plain funnel query the rollups must equal (the definition; tests compare the two).
pub const FUNNEL_PLAIN_SQL: &str = "WITH st AS (
         SELECT id, name, order_index, is_won, is_lost FROM pipeline_stages
         WHERE organization_id = $1 AND pipeline_id = $2
     ), stays AS (
         SELECT h.to_stage_id, h.lead_id, h.entered_at, h.left_at, h.next_stage_id
         FROM stage_history h
         WHERE h.organization_id = $1 AND h.to_stage_id IN (SELECT id FROM st)
           AND h.entered_at >= ($3::date)::timestamp AT TIME ZONE 'UTC'
           AND h.entered_at < ($4::date)::timestamp AT TIME ZONE 'UTC'
           AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM leads l WHERE l.organization_id = $1
                                              AND l.id = h.lead_id AND l.assigned_to = $5))
     )
     SELECT s.id, s.name, s.is_won, s.is_lost,
            count(DISTINCT x.lead_id) AS entered,
            count(DISTINCT x.lead_id) FILTER (WHERE n.order_index > s.order_index) AS moved_on,
            count(x.left_at) AS stays_left,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.left_at - x.entered_at) / 86400.0) AS median_days,
            percentile_cont(0.8) WITHIN GROUP (ORDER BY extract(epoch FROM x.left_at - x.entered_at) / 86400.0) AS p80_days,
            0::bigint AS pending
     FROM st s
     LEFT JOIN stays x ON x.to_stage_id = s.id
     LEFT JOIN st n ON n.id = x.next_stage_id
     GROUP BY s.id, s.name, s.order_index, s.is_won, s.is_lost
     ORDER BY s.order_index";

/// A read that finds more tail leads and logged changes than this folds them afterwards.
pub const COMPACT_AFTER: i64 = 2_000;

/// Won deals of the period by their lead's source, with the days each took from lead creation
/// to close (the lead's source and creation day are on the deal, migration 0031, and folded by
/// 0042); `days` is NULL when no deal of the source knows its lead's creation day.
pub const SOURCES_SQL: &str =
    "SELECT f.source AS label, sum(f.deals)::bigint AS n, sum(f.amount)::float8 AS amount,
            CASE WHEN sum(f.days_n) > 0 THEN sum(f.days)::float8 END AS days
     FROM {facts} WHERE f.status = 'won' AND f.currency = {currency}
     GROUP BY 1 ORDER BY 3 DESC, 1";

/// Lost reasons through `closer.insights_lost_reasons` (migration 0031): the open stays folded
/// below the watermark with their label, plus the leads that may have changed since, read live.
pub const LOST_REASONS_SQL: &str =
    "SELECT label, n FROM closer.insights_lost_reasons($1, $2, $3, $4, $5)";

/// The plain lost-reasons query the folded read must equal (the definition).
pub const LOST_REASONS_PLAIN_SQL: &str =
    "SELECT coalesce(nullif(btrim(l.lost_reason), ''), '(no reason given)') AS label, count(*) AS n
     FROM stage_history h
     JOIN pipeline_stages s ON s.organization_id = h.organization_id AND s.id = h.to_stage_id
     JOIN leads l ON l.organization_id = h.organization_id AND l.id = h.lead_id
     WHERE h.organization_id = $1 AND s.pipeline_id = $2 AND s.is_lost AND h.left_at IS NULL
       AND h.entered_at >= ($3::date)::timestamp AT TIME ZONE 'UTC'
       AND h.entered_at < ($4::date)::timestamp AT TIME ZONE 'UTC'
       AND ($5::uuid IS NULL OR l.assigned_to = $5)
     GROUP BY 1 ORDER BY 2 DESC, 1";

/// Won and open amounts per owner from the deal facts, calls and completed tasks per person from
/// `closer.insights_activity` (migration 0042), joined to the members; `pending` counts the
/// deltas waiting for a fold (the same on every row).
pub const LEADERBOARD_SQL: &str = "WITH members AS (
         SELECT m.profile_id, p.full_name FROM organization_members m JOIN profiles p ON p.id = m.profile_id
         WHERE m.organization_id = $1 AND ($5::uuid IS NULL OR m.profile_id = $5)
     ), money AS MATERIALIZED (
         SELECT f.owner_id AS who, sum(f.amount) FILTER (WHERE f.status = 'won') AS won,
                sum(f.deals) FILTER (WHERE f.status = 'won') AS n,
                sum(f.amount) FILTER (WHERE f.status = 'open') AS open
         FROM {facts} WHERE f.status <> 'lost' AND f.currency = {currency} GROUP BY 1
     ), act AS MATERIALIZED (
         SELECT a.who, a.calls, a.done, a.on_time FROM closer.insights_activity($1, $3, $4, $5) a
     )
     SELECT m.profile_id, m.full_name, coalesce(d.won, 0)::float8 AS won_amount, coalesce(d.n, 0)::bigint AS won_count,
            coalesce(d.open, 0)::float8 AS open_amount, coalesce(a.calls, 0) AS calls,
            coalesce(a.on_time, 0) AS on_time, coalesce(a.done, 0) AS done,
            (SELECT closer.insights_facts_pending($1)) AS pending
     FROM members m
     LEFT JOIN money d ON d.who = m.profile_id
     LEFT JOIN act a ON a.who = m.profile_id
     ORDER BY 3 DESC, 5 DESC, m.full_name, m.profile_id";

/// How many rows of the ranked panels are kept.
pub const RANKED_LIMIT: usize = 10;

fn sql(template: &str) -> String {
    template
        .replace("{facts}", FACTS)
        .replace("{currency}", ORG_CURRENCY)
}

impl PgStore {
    /// All panels for one pipeline and period. Reps always get their own numbers.
    pub async fn insights(&self, query: &InsightsQuery) -> Result<Insights> {
        let mut query = query.clone();
        if self.role() == MemberRole::Rep {
            query.person = Some(self.me().profile_id);
        }
        retrying(|| self.insights_once(&query)).await
    }

    async fn insights_once(&self, q: &InsightsQuery) -> Result<Insights> {
        let (forecast, closed, funnel, sources, lost, board, names, others) = tokio::try_join!(
            self.panel(FORECAST_SQL, q),
            self.panel(CLOSED_SQL, q),
            self.panel(FUNNEL_SQL, q),
            self.panel(SOURCES_SQL, q),
            self.panel(LOST_REASONS_SQL, q),
            self.panel(LEADERBOARD_SQL, q),
            self.names(q),
            self.panel(OTHER_CURRENCIES_SQL, q),
        )?;
        let other_currencies = others
            .iter()
            .map(|r| {
                Ok(OtherDeals {
                    currency: r.try_get("currency")?,
                    status: r.try_get("status")?,
                    count: r.try_get("n")?,
                    amount: r.try_get::<Option<f64>, _>("amount")?.unwrap_or(0.0),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let forecast = forecast
            .iter()
            .map(|r| month_row(r, "weighted"))
            .collect::<Result<Vec<_>>>()?;
        let (mut won, mut lost_months) = (Vec::new(), Vec::new());
        for r in &closed {
            let status: String = r.try_get("status")?;
            let row = month_row(r, "amount")?;
            if status == "won" {
                won.push(row);
            } else {
                lost_months.push(row);
            }
        }
        let won_count = won.iter().map(|m| m.count).sum::<i64>();
        let lost_count = lost_months.iter().map(|m| m.count).sum::<i64>();
        let win_rate = (won_count + lost_count > 0)
            .then(|| 100.0 * won_count as f64 / (won_count + lost_count) as f64);
        let pending = funnel
            .first()
            .map(|r| r.try_get::<i64, _>("pending"))
            .transpose()?
            .unwrap_or(0);
        let facts_pending = board
            .first()
            .map(|r| r.try_get::<i64, _>("pending"))
            .transpose()?
            .unwrap_or(0);
        if pending > COMPACT_AFTER || facts_pending > COMPACT_AFTER {
            self.compact_insights_later();
        }
        let mut stages = funnel
            .iter()
            .map(|r| {
                Ok(FunnelStage {
                    stage_id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    is_won: r.try_get("is_won")?,
                    is_lost: r.try_get("is_lost")?,
                    entered: r.try_get("entered")?,
                    moved_on: r.try_get("moved_on")?,
                    conversion: None,
                    median_days: r.try_get("median_days")?,
                    p80_days: r.try_get("p80_days")?,
                    stays_left: r.try_get("stays_left")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Conversion out of each open stage: of the leads that entered it in the period, the
        // share that moved on to a later stage (a cohort share, so never above 100 %).
        for stage in &mut stages {
            if !(stage.is_won || stage.is_lost) && stage.entered > 0 {
                stage.conversion = Some(100.0 * stage.moved_on as f64 / stage.entered as f64);
            }
        }
        let mut days_total = 0.0;
        let mut sources_ranked = Vec::new();
        for r in &sources {
            days_total += r.try_get::<Option<f64>, _>("days")?.unwrap_or(0.0);
            sources_ranked.push(Ranked {
                label: r.try_get("label")?,
                count: r.try_get("n")?,
                amount: r.try_get::<Option<f64>, _>("amount")?.unwrap_or(0.0),
            });
        }
        let sources_won: i64 = sources_ranked.iter().map(|s| s.count).sum();
        let avg_days_to_close = (sources_won > 0).then(|| days_total / sources_won as f64);
        sources_ranked.truncate(RANKED_LIMIT);
        let mut lost_reasons = lost
            .iter()
            .map(|r| {
                Ok(Ranked {
                    label: r.try_get("label")?,
                    count: r.try_get("n")?,
                    amount: 0.0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        lost_reasons.truncate(RANKED_LIMIT);
        let leaderboard = board
            .iter()
            .map(|r| {
                Ok(RepRow {
                    profile_id: r.try_get("profile_id")?,
                    name: r.try_get("full_name")?,
                    won_amount: r.try_get("won_amount")?,
                    won_count: r.try_get("won_count")?,
                    open_pipeline: r.try_get("open_amount")?,
                    calls: r.try_get("calls")?,
                    tasks_on_time: r.try_get("on_time")?,
                    tasks_completed: r.try_get("done")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Insights {
            pipeline: names.0,
            currency: names.2,
            other_currencies,
            period: q.period.to_string(),
            from: q.period.from(),
            to_exclusive: q.period.to_exclusive(),
            person: names.1,
            won_amount: won.iter().map(|m| m.amount).sum(),
            lost_amount: lost_months.iter().map(|m| m.amount).sum(),
            forecast,
            won,
            lost: lost_months,
            won_count,
            lost_count,
            win_rate,
            funnel: stages,
            avg_days_to_close,
            lost_reasons,
            sources: sources_ranked,
            leaderboard,
        })
    }

    /// Folds the insights tail into the rollups (migration 0031). `false`: another session is
    /// folding this organization right now (it never waits for it).
    pub async fn compact_insights(&self) -> Result<bool> {
        Ok(sqlx::query_scalar("SELECT closer.insights_compact($1)")
            .bind(self.organization_id())
            .fetch_one(&self.pool)
            .await?)
    }

    /// The same in the background: the reader that found the tail large does not wait for it.
    fn compact_insights_later(&self) {
        let store = self.clone();
        tokio::spawn(async move {
            if let Err(err) = store.compact_insights().await {
                tracing::warn!(error = %err, "folding the insights tail failed");
            }
        });
    }

    async fn panel(&self, template: &str, q: &InsightsQuery) -> Result<Vec<PgRow>> {
        let text = sql(template);
        Ok(sqlx::query(sqlx::AssertSqlSafe(text))
            .bind(self.organization_id())
            .bind(q.pipeline_id)
            .bind(q.period.from())
            .bind(q.period.to_exclusive())
            .bind(q.person)
            .fetch_all(&self.pool)
            .await?)
    }

    /// A member of the organization by login (`closer report --person`), read through RLS.
    pub async fn member_by_login(&self, login: &str) -> Result<Option<uuid::Uuid>> {
        Ok(sqlx::query_scalar(
            "select p.id from profiles p join organization_members m on m.profile_id = p.id
             where m.organization_id = $1 and p.db_role = $2",
        )
        .bind(self.organization_id())
        .bind(login)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The pipeline's and the person's names (a gone pipeline is NotFound).
    async fn names(&self, q: &InsightsQuery) -> Result<(String, Option<String>, String)> {
        let row = sqlx::query(
            "select p.name, (select f.full_name from profiles f where f.id = $3) as person,
                    (select o.currency from organizations o where o.id = $1) as currency
             from pipelines p where p.organization_id = $1 and p.id = $2",
        )
        .bind(self.organization_id())
        .bind(q.pipeline_id)
        .bind(q.person)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(DataError::NotFound)?;
        Ok((
            row.try_get("name")?,
            row.try_get("person")?,
            row.try_get::<Option<String>, _>("currency")?
                .unwrap_or_else(|| "USD".into()),
        ))
    }
}

fn month_row(r: &PgRow, weighted: &str) -> Result<MonthAmount> {
    let month: NaiveDate = r.try_get("month")?;
    Ok(MonthAmount {
        month,
        count: r.try_get("n")?,
        amount: r.try_get::<Option<f64>, _>("amount")?.unwrap_or(0.0),
        weighted: r.try_get::<Option<f64>, _>(weighted)?.unwrap_or(0.0),
    })
}
