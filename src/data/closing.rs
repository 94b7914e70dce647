//! Closing a lead as one decision (migration 0006): the move, its deals, its tasks and the lost
//! reason in one round trip (`closer.close_lead`), and the exact undo (`closer.undo_close`).
//! Also the closed-stage headers: won/lost amounts per period, summed by `deals.closed_on`.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::DataError;
use super::models::MovedLead;
use super::outcome::retrying as read_retrying;
use super::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

/// What happens to the lead's deals when it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DealChoice {
    #[default]
    Keep,
    /// Into a won stage: open deals become won (probability 100); into a lost stage: lost.
    Close,
    /// Into an open stage: won/lost deals become open again.
    Reopen,
}

impl DealChoice {
    fn as_sql(self) -> &'static str {
        match self {
            DealChoice::Keep => "keep",
            DealChoice::Close => "close",
            DealChoice::Reopen => "reopen",
        }
    }
}

/// What happens to the lead's open tasks when it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskChoice {
    #[default]
    Keep,
    Complete,
    /// Open tasks become `cancelled` (migration 0017): closed, but not done.
    Cancel,
}

impl TaskChoice {
    fn as_sql(self) -> &'static str {
        match self {
            TaskChoice::Keep => "keep",
            TaskChoice::Complete => "complete",
            TaskChoice::Cancel => "cancel",
        }
    }

    /// The closing popup's space: complete → cancel → leave open → complete.
    pub fn next(self) -> TaskChoice {
        match self {
            TaskChoice::Complete => TaskChoice::Cancel,
            TaskChoice::Cancel => TaskChoice::Keep,
            TaskChoice::Keep => TaskChoice::Complete,
        }
    }
}

/// A move with its closing choices.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseMove {
    pub lead_id: Uuid,
    pub from_stage: Uuid,
    pub to_stage: Uuid,
    pub lost_reason: Option<String>,
    pub deals: DealChoice,
    pub tasks: TaskChoice,
}

/// What the database returned to put everything back: opaque to the client (the server
/// validates it again on undo), counted for the message line.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseUndo(pub serde_json::Value);

impl CloseUndo {
    pub fn deal_count(&self) -> usize {
        self.0["deals"].as_array().map_or(0, Vec::len)
    }

    pub fn task_count(&self) -> usize {
        self.0["tasks"].as_array().map_or(0, Vec::len)
    }

    /// The reason the lead had before the move (restored by undo without asking again).
    pub fn previous_reason(&self) -> Option<&str> {
        self.0["previous_reason"].as_str()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClosedLead {
    pub moved: MovedLead,
    pub undo: CloseUndo,
}

/// The period the closed-stage headers count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    #[default]
    Month,
    Quarter,
    Year,
    AllTime,
}

impl Period {
    pub fn next(self) -> Period {
        match self {
            Period::Month => Period::Quarter,
            Period::Quarter => Period::Year,
            Period::Year => Period::AllTime,
            Period::AllTime => Period::Month,
        }
    }

    /// The words a header shows.
    pub fn label(self) -> &'static str {
        match self {
            Period::Month => "this month",
            Period::Quarter => "this quarter",
            Period::Year => "this year",
            Period::AllTime => "all time",
        }
    }

    fn as_sql(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
            Period::AllTime => "all",
        }
    }
}

/// Won (or lost) deals of the leads in one closed stage, closed in the period.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClosedTotals {
    /// Deals in every currency.
    pub deal_count: i64,
    /// In the organization's `currency` only; the others beside it (issue 11).
    pub amount: f64,
    pub currency: crate::currency::Code,
    pub others: crate::currency::Others,
}

/// The first day of the period in the organization's time zone (`bounds.since`), `$1` the
/// organization and `$3` the period.
macro_rules! period_bounds_sql {
    () => {
        "
    with today as (
        select (now() at time zone o.time_zone)::date as day from organizations o where o.id = $1
    ), bounds as (
        select case $3::text
                   when 'month' then date_trunc('month', today.day)::date
                   when 'quarter' then date_trunc('quarter', today.day)::date
                   when 'year' then date_trunc('year', today.day)::date
                   else '-infinity'::date end as since
        from today
    )"
    };
}

/// Closed-stage headers: deals of leads in a won stage with status `won` (lost: `lost`) whose
/// `closed_on` falls in the period, which starts in the organization's time zone. A lead's stage
/// decides the column. One row per stage and currency (`other` null: the organization's), never
/// EUR summed into USD. This is the definition; under a filter it is what runs for all time.
pub const CLOSED_TOTALS_SQL: &str = concat!(
    period_bounds_sql!(),
    "
    select s.id as stage_id, count(d.id) as deals, coalesce(sum(d.amount), 0)::float8 as amount,
           o.currency, nullif(d.currency, o.currency) as other
    from pipeline_stages s
    cross join bounds
    join organizations o on o.id = s.organization_id
    join leads l on l.organization_id = s.organization_id and l.stage_id = s.id
    join deals d on d.organization_id = l.organization_id and d.lead_id = l.id
                and d.status = case when s.is_won then 'won'::deal_status else 'lost'::deal_status end
                and d.closed_on >= bounds.since
    where s.organization_id = $1 and s.pipeline_id = $2 and (s.is_won or s.is_lost)
    group by s.id, o.currency, nullif(d.currency, o.currency)"
);

/// The first day of a period that has one (`$3`: month, quarter, year) in the organization's
/// (`$1`) time zone, for [`CLOSED_SINCE_SQL`]; `$2` is bound but unused, to share the numbering.
const PERIOD_START_SQL: &str = concat!(period_bounds_sql!(), " select since from bounds");

/// [`CLOSED_TOTALS_SQL`] under a filter for a period that starts (`$3`, a date bound as a value):
/// the period's closed deals first (`deals_closed_idx`), then their leads by key. Computed inside
/// the statement, the start is unknown when the plan is made, so the planner guessed a third of
/// all closed deals and read every deal of the organization (0.3-0.5 s at 1M leads for `mine`).
const CLOSED_SINCE_SQL: &str = "
    select s.id as stage_id, count(d.id) as deals, coalesce(sum(d.amount), 0)::float8 as amount,
           o.currency, nullif(d.currency, o.currency) as other
    from deals d
    join leads l on l.organization_id = d.organization_id and l.id = d.lead_id
    join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
    join organizations o on o.id = s.organization_id
    where d.organization_id = $1 and d.status <> 'open' and d.closed_on >= $3::date
      and s.pipeline_id = $2 and (s.is_won or s.is_lost)
      and d.status = case when s.is_won then 'won'::deal_status else 'lost'::deal_status end
    group by s.id, o.currency, nullif(d.currency, o.currency)";

/// The same figures without a filter, from the closed-deal deltas folded per stage, status,
/// month and currency (migration 0034): a few rows, not every closed deal of the period (1.2 s
/// at 1M leads). Periods start on a month's first day, so whole months are exact.
pub const CLOSED_SUMMARY_SQL: &str = concat!(
    period_bounds_sql!(),
    "
    select s.id as stage_id, sum(c.deal_count)::int8 as deals, coalesce(sum(c.amount), 0)::float8 as amount,
           o.currency, nullif(c.currency, o.currency) as other
    from pipeline_stages s
    cross join bounds
    join organizations o on o.id = s.organization_id
    join stage_closed_summaries c on c.organization_id = s.organization_id and c.stage_id = s.id
                and c.closed_status = case when s.is_won then 'won'::deal_status else 'lost'::deal_status end
                and c.closed_month >= bounds.since
    where s.organization_id = $1 and s.pipeline_id = $2 and (s.is_won or s.is_lost)
    group by s.id, o.currency, nullif(c.currency, o.currency)"
);

/// Keeps a task (alias `t`) only while its lead is open: the inbox and the overdue counts leave
/// out tasks of won/lost leads by default (issue 10). `lead_closed` is kept by the database
/// (migration 0013) and is in the predicate of the inbox's partial indexes.
pub(crate) const OPEN_LEAD_SQL: &str = " and not t.lead_closed";

impl PgStore {
    /// Moves a lead and applies the closing choices in one statement. `Conflict` if the lead left
    /// `from_stage` meanwhile, `NotFound` if it is gone; a refused choice is a sentence.
    pub async fn close_lead(&self, close: CloseMove) -> Result<ClosedLead> {
        let row = sqlx::query(
            "select id, stage_id, version, undo from closer.close_lead($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.organization_id())
        .bind(close.lead_id)
        .bind(close.from_stage)
        .bind(close.to_stage)
        .bind(close.lost_reason)
        .bind(close.deals.as_sql())
        .bind(close.tasks.as_sql())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(ClosedLead {
                moved: MovedLead {
                    lead_id: r.try_get("id")?,
                    stage_id: r.try_get("stage_id")?,
                    version: r.try_get("version")?,
                },
                undo: CloseUndo(r.try_get("undo")?),
            }),
            None => Err(self.lead_conflict_or_gone(close.lead_id).await),
        }
    }

    /// Puts back exactly what `close_lead` changed, in one statement; refused with a sentence
    /// (nothing undone) if a teammate changed the lead, a deal or a task since.
    pub async fn undo_close(&self, undo: &CloseUndo) -> Result<MovedLead> {
        let row = sqlx::query("select id, stage_id, version from closer.undo_close($1, $2)")
            .bind(self.organization_id())
            .bind(&undo.0)
            .fetch_one(&self.pool)
            .await?;
        Ok(MovedLead {
            lead_id: row.try_get("id")?,
            stage_id: row.try_get("stage_id")?,
            version: row.try_get("version")?,
        })
    }

    /// Won/lost totals of the pipeline's closed stages in `period`.
    /// Won/lost deal totals of the period per closed stage, counting only the leads `filter`
    /// keeps (the same predicate as the filtered open columns).
    pub async fn closed_totals(
        &self,
        pipeline_id: Uuid,
        period: Period,
        filter: &crate::filter::Filter,
    ) -> Result<HashMap<Uuid, ClosedTotals>> {
        let predicate = (!filter.is_empty())
            .then(|| super::filter_sql::compile(filter, &self.filter_context(), 4));
        let since = match (&predicate, period) {
            (Some(_), Period::Month | Period::Quarter | Period::Year) => Some(
                read_retrying(|| async move {
                    Ok(
                        sqlx::query_scalar::<_, NaiveDate>(AssertSqlSafe(PERIOD_START_SQL))
                            .bind(self.organization_id())
                            .bind(pipeline_id)
                            .bind(period.as_sql())
                            .fetch_one(&self.pool)
                            .await?,
                    )
                })
                .await?,
            ),
            _ => None,
        };
        let sql = match &predicate {
            Some(p) => {
                let keeping = if since.is_some() {
                    CLOSED_SINCE_SQL
                } else {
                    CLOSED_TOTALS_SQL
                };
                keeping.replace(
                    "and (s.is_won or s.is_lost)",
                    &format!("and (s.is_won or s.is_lost) and ({})", p.sql),
                )
            }
            None => CLOSED_SUMMARY_SQL.to_string(),
        };
        let sql = &sql;
        let predicate = &predicate;
        read_retrying(|| async move {
            let query = sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(self.organization_id())
                .bind(pipeline_id);
            let query = match since {
                Some(day) => query.bind(day),
                None => query.bind(period.as_sql()),
            };
            let query = match predicate {
                Some(p) => super::filter_sql::bind_params(query, &p.params),
                None => query,
            };
            let rows = query.fetch_all(&self.pool).await?;
            let mut out: HashMap<Uuid, ClosedTotals> = HashMap::new();
            for r in rows {
                use crate::currency::Code;
                let entry = out.entry(r.try_get("stage_id")?).or_default();
                entry.currency = Code::from_db(r.try_get::<&str, _>("currency")?);
                entry.deal_count += r.try_get::<i64, _>("deals")?;
                match r.try_get::<Option<&str>, _>("other")? {
                    Some(other) => entry.others.add(Code::from_db(other), r.try_get("amount")?),
                    None => entry.amount += r.try_get::<f64, _>("amount")?,
                }
            }
            Ok(out)
        })
        .await
    }

    async fn lead_conflict_or_gone(&self, lead_id: Uuid) -> DataError {
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
}
