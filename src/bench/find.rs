//! Find and focus figures: the search that finds (`PgStore::find_leads`, first 20 hits) by kind
//! of query, and a filter change on the board (exact filtered totals plus the first page of
//! every column of the default pipeline), through the same calls the screens make.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, eyre};
use serde::Serialize;

use super::queries::default_stages;
use super::report::Summary;
use crate::data::PgStore;
use crate::data::models::BoardSort;
use crate::filter;

/// Queries over the seeded data (db/seed.rs): names `First Last` from fixed lists, phones
/// `+1 555 …`, interaction subjects such as "Pricing question".
pub const FIND_SEARCHES: [(&str, &str); 12] = [
    ("prefix", "amara"),
    ("prefix", "zoë ga"),
    ("accent", "muller"),
    ("accent", "zoe garcia"),
    ("reordered", "reyes olivia"),
    ("reordered", "silva chen"),
    ("typo", "amarra"),
    ("typo", "okafr"),
    ("note phrase", "pricing question"),
    ("note phrase", "site visit"),
    ("phone", "555 12"),
    ("e-mail", "amara.okafor1"),
];

/// Filters a rep applies on the board.
pub const FILTERS: [&str; 8] = [
    "mine",
    "score:>90",
    "rotting",
    "mine rotting score:>70",
    "overdue",
    "no-next-step",
    "created:<7d",
    "source:referral",
];

#[derive(Debug, Clone, Serialize)]
pub struct FindFigures {
    /// Every search query, all rounds.
    pub search_all: Summary,
    pub search_by_kind: BTreeMap<&'static str, Summary>,
    /// Per filter: totals + first page of every column (what one filter change costs).
    pub filter_change: BTreeMap<&'static str, Summary>,
    pub rounds: usize,
}

pub async fn find(store: &PgStore, rounds: usize) -> Result<FindFigures> {
    let limit = crate::state::SEARCH_LIMIT;
    for (_, q) in FIND_SEARCHES {
        store.find_leads(q, limit).await?;
    }
    let mut all = Vec::new();
    let mut by_kind: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    for _ in 0..rounds {
        for (kind, q) in FIND_SEARCHES {
            let started = Instant::now();
            store.find_leads(q, limit).await?;
            let took = started.elapsed();
            all.push(took);
            by_kind.entry(kind).or_default().push(took);
        }
    }
    let stages = default_stages(store).await?;
    let pipeline = stages
        .first()
        .map(|s| s.pipeline_id)
        .ok_or_else(|| eyre!("the default pipeline has no stages"))?;
    let page = super::frames::page_size(store);
    let mut filter_change = BTreeMap::new();
    for text in FILTERS {
        let f = filter::parse(text).map_err(|e| eyre!("{text}: {e}"))?;
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds.max(1) {
            let started = Instant::now();
            store.filtered_summaries(pipeline, &f).await?;
            for stage in &stages {
                store
                    .filtered_column_page(stage.id, BoardSort::Score, None, page, &f)
                    .await?;
            }
            samples.push(started.elapsed());
        }
        filter_change.insert(text, Summary::of(&samples));
    }
    Ok(FindFigures {
        search_all: Summary::of(&all),
        search_by_kind: by_kind
            .into_iter()
            .map(|(k, s)| (k, Summary::of(&s)))
            .collect(),
        filter_change,
        rounds,
    })
}
