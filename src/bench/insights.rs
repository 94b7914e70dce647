//! The insights figure (issue 13): opening the insights of the default pipeline for the current
//! quarter, as a manager (the whole team: the heaviest case) and as a rep (own numbers), the
//! same `PgStore::insights` call the screen makes. Target ≤ 300 ms at 1M leads.

use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::{Result, eyre};
use serde::Serialize;

use super::report::Summary;
use crate::data::PgStore;
use crate::data::insights::{InsightsQuery, Period};

/// Timed opens per login (after one untimed warm-up).
pub const RUNS: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct InsightsFigures {
    pub period: String,
    /// Team-wide (`bench_manager`); `None` without an admin connection.
    pub team: Option<Summary>,
    pub rep: Summary,
}

pub async fn insights(rep: &PgStore, manager: Option<&PgStore>) -> Result<InsightsFigures> {
    let pipelines = rep.pipelines().await?;
    let pipeline = pipelines
        .iter()
        .find(|p| p.is_default)
        .or_else(|| pipelines.first())
        .ok_or_else(|| eyre!("the organization has no pipeline"))?;
    let query = InsightsQuery {
        pipeline_id: pipeline.id,
        period: Period::quarter_of(Utc::now().date_naive()),
        person: None,
    };
    let team = match manager {
        Some(store) => Some(time(store, &query).await?),
        None => None,
    };
    Ok(InsightsFigures {
        period: query.period.to_string(),
        team,
        rep: time(rep, &query).await?,
    })
}

async fn time(store: &PgStore, query: &InsightsQuery) -> Result<Summary> {
    store.insights(query).await?;
    let mut samples: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        store.insights(query).await?;
        samples.push(started.elapsed());
    }
    Ok(Summary::of(&samples))
}
