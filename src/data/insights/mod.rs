//! Insights (issue 13): the figures of a pipeline's review for a period and, optionally, one
//! person. Every figure is defined by one plain query (`read.rs`, `plain.rs`) (tests/db/cockpit_insights.rs
//! recomputes each independently). Periods are UTC calendar ranges `[from, to)`.
//!
//! Definitions:
//! - a lead is "in the pipeline" when its current stage belongs to it; "the person's" leads are
//!   the ones assigned to them;
//! - forecast: open deals whose expected close date falls in the period, per month (amount and
//!   amount × probability);
//! - won / lost: deals won / lost with `closed_on` in the period, per month; win rate = won ÷
//!   (won + lost) by count;
//! - funnel: per stage, distinct leads that entered it in the period (stage_history), those of
//!   them that moved on to a later stage (as the pipeline is ordered now), and conversion =
//!   moved on ÷ entered (open stages only);
//! - velocity: days in stage of the stays entered in the period and already left (median, p80);
//!   average days to close = won deals of the period, `closed_on` − lead creation day;
//! - lost reasons: leads whose current stay (entered in the period) is in a lost stage;
//! - sources: won deals of the period by `leads.source`;
//! - leaderboard: per member, won amount, open pipeline (open deals expected to close in the
//!   period), calls logged in the period (any pipeline), tasks assigned to them completed in the
//!   period on or before their due day (and all completed).

mod period;
pub mod plain;
mod read;

pub use period::Period;
pub use read::{COMPACT_AFTER, FUNNEL_PLAIN_SQL, LOST_REASONS_PLAIN_SQL, RANKED_LIMIT};

use serde::Serialize;
use uuid::Uuid;

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightsQuery {
    pub pipeline_id: Uuid,
    pub period: Period,
    /// `None`: the whole team (managers); reps are always narrowed to themselves.
    pub person: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthAmount {
    /// First day of the month, `YYYY-MM-01`.
    pub month: chrono::NaiveDate,
    pub count: i64,
    pub amount: f64,
    /// Forecast: amount × probability; won/lost: equal to `amount`.
    pub weighted: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStage {
    pub stage_id: Uuid,
    pub name: String,
    pub is_won: bool,
    pub is_lost: bool,
    pub entered: i64,
    pub moved_on: i64,
    /// moved on ÷ entered, in percent; `None` for won/lost stages or when none entered.
    pub conversion: Option<f64>,
    /// Days in stage over the stays entered in the period that have left.
    pub median_days: Option<f64>,
    pub p80_days: Option<f64>,
    pub stays_left: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub label: String,
    pub count: i64,
    pub amount: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepRow {
    pub profile_id: Uuid,
    pub name: String,
    pub won_amount: f64,
    pub won_count: i64,
    pub open_pipeline: f64,
    pub calls: i64,
    pub tasks_on_time: i64,
    pub tasks_completed: i64,
}

/// Deals of the period in a currency other than the organization's: left out of every sum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtherDeals {
    pub currency: String,
    /// `open` (by expected close), `won` or `lost` (by close day).
    pub status: String,
    pub count: i64,
    pub amount: f64,
}

/// Everything the screen and `closer report` show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Insights {
    pub pipeline: String,
    /// The organization's currency: every amount below is in it (issue 11).
    pub currency: String,
    /// The period's deals in other currencies, in no sum and no count below.
    pub other_currencies: Vec<OtherDeals>,
    pub period: String,
    pub from: chrono::NaiveDate,
    pub to_exclusive: chrono::NaiveDate,
    pub person: Option<String>,
    pub forecast: Vec<MonthAmount>,
    pub won: Vec<MonthAmount>,
    pub lost: Vec<MonthAmount>,
    pub won_count: i64,
    pub lost_count: i64,
    pub won_amount: f64,
    pub lost_amount: f64,
    /// Percent; `None` when nothing closed.
    pub win_rate: Option<f64>,
    pub funnel: Vec<FunnelStage>,
    pub avg_days_to_close: Option<f64>,
    pub lost_reasons: Vec<Ranked>,
    pub sources: Vec<Ranked>,
    pub leaderboard: Vec<RepRow>,
}

impl Insights {
    pub fn forecast_total(&self) -> (f64, f64) {
        self.forecast
            .iter()
            .fold((0.0, 0.0), |(a, w), m| (a + m.amount, w + m.weighted))
    }
}
