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
pub const FILTERS: [&str; 12] = [
    "mine",
    "owner:me,none",
    "tag:vip",
    "score:>70",
    "score:>90",
    "rotting",
    "mine rotting score:>70",
    "tag:vip rotting",
    "overdue",
    "no-next-step",
    "created:<7d",
    "source:referral",
];

/// Default saved views the start is timed with: the owner totals alone, and "my rotting VIP
/// leads" (issue 12's example).
pub const START_VIEWS: [&str; 2] = ["mine", "mine tag:vip rotting"];

#[derive(Debug, Clone, Serialize)]
pub struct FindFigures {
    /// Every search query, all rounds.
    pub search_all: Summary,
    pub search_by_kind: BTreeMap<&'static str, Summary>,
    /// Per filter: totals + first page of every column (what one filter change costs).
    pub filter_change: BTreeMap<&'static str, Summary>,
    /// Per filter: the exact totals alone (what the headers wait for).
    pub filter_totals: BTreeMap<&'static str, Summary>,
    /// Per default saved view: start → first full frame through it (pages and totals).
    pub view_start: BTreeMap<&'static str, Summary>,
    /// Per default saved view: start → the first frame with its cards (every column's first
    /// page; the headers say `…` until the totals land).
    pub view_cards: BTreeMap<&'static str, Summary>,
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
    let mut filter_totals = BTreeMap::new();
    for text in FILTERS {
        let f = filter::parse(text).map_err(|e| eyre!("{text}: {e}"))?;
        let mut samples = Vec::with_capacity(rounds);
        let mut totals = Vec::with_capacity(rounds);
        for _ in 0..rounds.max(1) {
            let started = Instant::now();
            store.filtered_summaries(pipeline, &f).await?;
            totals.push(started.elapsed());
            for stage in &stages {
                store
                    .filtered_column_page(stage.id, BoardSort::Score, None, page, &f)
                    .await?;
            }
            samples.push(started.elapsed());
        }
        filter_change.insert(text, Summary::of(&samples));
        filter_totals.insert(text, Summary::of(&totals));
    }
    let mut view_start = BTreeMap::new();
    let mut view_cards = BTreeMap::new();
    for text in START_VIEWS {
        let f = filter::parse(text).map_err(|e| eyre!("{text}: {e}"))?;
        let starts = start_with_view(store, &f, rounds).await?;
        let full: Vec<Duration> = starts.iter().map(|s| s.full).collect();
        let cards: Vec<Duration> = starts.iter().map(|s| s.cards).collect();
        view_start.insert(text, Summary::of(&full));
        view_cards.insert(text, Summary::of(&cards));
    }
    Ok(FindFigures {
        search_all: Summary::of(&all),
        search_by_kind: by_kind
            .into_iter()
            .map(|(k, s)| (k, Summary::of(&s)))
            .collect(),
        filter_change,
        filter_totals,
        view_start,
        view_cards,
        rounds,
    })
}

/// Saves `view` as the rep's default view, times `runs` starts through it, then puts the rep's
/// views back as they were (the bench's view deleted, a previous default restored).
async fn start_with_view(
    store: &PgStore,
    view: &filter::Filter,
    runs: usize,
) -> Result<Vec<super::frames::ViewStart>> {
    let before = store.saved_views().await?;
    let previous = before.iter().find(|v| v.mine && v.is_default).map(|v| v.id);
    let name = format!("closer bench: {view}");
    let id = store
        .save_view(&name, view, BoardSort::Score, true, None)
        .await?;
    store.set_default_view(Some(id)).await?;
    let timed = super::frames::start_with_view(store, view, runs.max(1)).await;
    store.set_default_view(previous).await?;
    store.delete_view(id).await?;
    timed
}
