//! Single-rep data figures, through the same `PgStore` methods the screens call: a move against
//! a bare `UPDATE` round trip (interleaved in the same run), search over a fixed list of queries,
//! the inbox, and paging deep into the largest column.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::{Result, bail, eyre};
use serde::Serialize;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use super::report::{Summary, round};
use crate::data::PgStore;
use crate::data::inbox::InboxScope;
use crate::data::models::{BoardSort, Stage};

/// Fixed search queries over the seeded names (`First Last`, see db/seed.rs): prefixes a rep
/// types, substrings, and misspellings (which must not cost a full scan either).
pub const SEARCHES: [(&str, &str); 15] = [
    ("prefix", "amara"),
    ("prefix", "ama"),
    ("prefix", "liam n"),
    ("prefix", "chen"),
    ("prefix", "zoë"),
    ("infix", "müller"),
    ("infix", "ossi"),
    ("infix", "tanaka"),
    ("infix", "andersen"),
    ("infix", "ova"),
    ("typo", "amarra"),
    ("typo", "mulelr"),
    ("typo", "okafro"),
    ("typo", "kowalsky"),
    ("typo", "nguyn"),
];

#[derive(Debug, Clone, Serialize)]
pub struct MoveFigures {
    /// `PgStore::move_lead`, as the board sends it.
    pub move_lead: Summary,
    /// `UPDATE leads SET stage_id` on one bare connection, interleaved with the moves.
    pub bare_update: Summary,
    /// `SELECT 1` on the same bare connection: the floor of any round trip.
    pub select_1: Summary,
    /// move p50 / bare UPDATE p50 (target ≤ 1.5).
    pub ratio_p50: f64,
    /// Who ran the bare UPDATE: `admin` or `rep`.
    pub bare_update_as: &'static str,
}

/// Moves one lead back and forth between the first two stages of the default pipeline, each
/// move followed by a bare UPDATE of the same kind on its own connection (`bare`).
pub async fn moves(
    store: &PgStore,
    bare: PgConnectOptions,
    bare_as: &'static str,
    count: usize,
) -> Result<MoveFigures> {
    let stages = default_stages(store).await?;
    let (Some(a), Some(b)) = (stages.first(), stages.get(1)) else {
        bail!("the default pipeline needs two stages to time a move");
    };
    let page = store.column_page(a.id, BoardSort::Score, None, 1).await?;
    let lead = page
        .cards
        .first()
        .map(|c| c.id)
        .ok_or_else(|| eyre!("the first stage has no lead to move"))?;
    let mut conn = PgConnection::connect_with(&bare).await?;
    let mut moved = Vec::with_capacity(count);
    let mut updated = Vec::with_capacity(count);
    let mut pinged = Vec::with_capacity(count);
    // Warm both paths (connections, plans) before timing.
    let (from, to) = (a.id, b.id);
    for i in 0..count + 2 {
        let started = Instant::now();
        store.move_lead(lead, from, to, None).await?;
        let move_time = started.elapsed();
        // The bare UPDATE puts the lead back, so the next move starts where it did.
        let started = Instant::now();
        sqlx::query("update leads set stage_id = $3 where organization_id = $1 and id = $2")
            .bind(store.organization_id())
            .bind(lead)
            .bind(from)
            .execute(&mut conn)
            .await?;
        let update_time = started.elapsed();
        let started = Instant::now();
        sqlx::query("select 1").execute(&mut conn).await?;
        let ping_time = started.elapsed();
        if i >= 2 {
            moved.push(move_time);
            updated.push(update_time);
            pinged.push(ping_time);
        }
    }
    conn.close().await?;
    let move_lead = Summary::of(&moved);
    let bare_update = Summary::of(&updated);
    let ratio_p50 = if bare_update.p50_ms > 0.0 {
        round(move_lead.p50_ms / bare_update.p50_ms)
    } else {
        0.0
    };
    Ok(MoveFigures {
        move_lead,
        bare_update,
        select_1: Summary::of(&pinged),
        ratio_p50,
        bare_update_as: bare_as,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchFigures {
    /// Every query, all rounds.
    pub all: Summary,
    /// By kind: prefix, infix, typo.
    pub by_kind: BTreeMap<&'static str, Summary>,
    pub queries: Vec<&'static str>,
    pub rounds: usize,
}

/// `PgStore::search_leads` with the jump-to-lead limit, every query `rounds` times.
pub async fn search(store: &PgStore, rounds: usize) -> Result<SearchFigures> {
    let mut all = Vec::new();
    let mut by_kind: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    // One untimed pass: the first query of each kind pays for plan and cache warm-up.
    for (_, query) in SEARCHES {
        store
            .search_leads(query.to_string(), crate::state::SEARCH_LIMIT)
            .await?;
    }
    for _ in 0..rounds {
        for (kind, query) in SEARCHES {
            let started = Instant::now();
            store
                .search_leads(query.to_string(), crate::state::SEARCH_LIMIT)
                .await?;
            let took = started.elapsed();
            all.push(took);
            by_kind.entry(kind).or_default().push(took);
        }
    }
    Ok(SearchFigures {
        all: Summary::of(&all),
        by_kind: by_kind
            .into_iter()
            .map(|(kind, samples)| (kind, Summary::of(&samples)))
            .collect(),
        queries: SEARCHES.iter().map(|(_, q)| *q).collect(),
        rounds,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct InboxFigures {
    /// `PgStore::inbox` (the rep's own tasks), whole call.
    pub load: Summary,
    /// Tasks the inbox returned (what the screen shows).
    pub tasks_shown: usize,
}

pub async fn inbox(store: &PgStore, runs: usize) -> Result<InboxFigures> {
    let mut samples = Vec::with_capacity(runs);
    let mut shown = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let inbox = store.inbox(Utc::now(), InboxScope::Mine).await?;
        samples.push(started.elapsed());
        shown = inbox.tasks.len();
    }
    Ok(InboxFigures {
        load: Summary::of(&samples),
        tasks_shown: shown,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct PagingFigures {
    /// The stage paged (the largest of the default pipeline) and its lead count.
    pub stage: String,
    pub stage_leads: i64,
    pub page_size: i64,
    pub pages: usize,
    /// Cards read in all.
    pub depth: usize,
    pub first_page_ms: f64,
    /// Every page after the first.
    pub later_pages: Summary,
    /// Mean of the last 10 pages / first page (keyset paging keeps this near 1).
    pub deep_vs_first: f64,
}

/// Pages the largest column of the default pipeline `pages` times with the board's keyset
/// cursor (or until it ends).
pub async fn paging(store: &PgStore, pages: usize, page_size: i64) -> Result<PagingFigures> {
    let stages = default_stages(store).await?;
    let pipeline = stages
        .first()
        .map(|s| s.pipeline_id)
        .ok_or_else(|| eyre!("the default pipeline has no stages"))?;
    let summaries = store.stage_summaries(pipeline).await?;
    let (stage, stage_leads) = stages
        .iter()
        .map(|s| (s, summaries.get(&s.id).map(|x| x.lead_count).unwrap_or(0)))
        .max_by_key(|(_, n)| *n)
        .ok_or_else(|| eyre!("the default pipeline has no stages"))?;
    // Warm-up: the first page once untimed.
    store
        .column_page(stage.id, BoardSort::Score, None, page_size)
        .await?;
    let mut cursor = None;
    let mut times = Vec::with_capacity(pages);
    let mut depth = 0;
    for _ in 0..pages.max(1) {
        let started = Instant::now();
        let page = store
            .column_page(stage.id, BoardSort::Score, cursor.clone(), page_size)
            .await?;
        times.push(started.elapsed());
        depth += page.cards.len();
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let first = times.first().copied().unwrap_or_default();
    let tail: Vec<Duration> = times.iter().rev().take(10).copied().collect();
    let tail_mean = tail.iter().sum::<Duration>().as_secs_f64() / tail.len().max(1) as f64;
    Ok(PagingFigures {
        stage: stage.name.clone(),
        stage_leads,
        page_size,
        pages: times.len(),
        depth,
        first_page_ms: round(first.as_secs_f64() * 1000.0),
        later_pages: Summary::of(times.get(1..).unwrap_or_default()),
        deep_vs_first: if first.is_zero() {
            0.0
        } else {
            round(tail_mean / first.as_secs_f64())
        },
    })
}

/// Stages of the default pipeline (else the first), in board order.
pub async fn default_stages(store: &PgStore) -> Result<Vec<Stage>> {
    let pipelines = store.pipelines().await?;
    let pipeline = pipelines
        .iter()
        .find(|p| p.is_default)
        .or_else(|| pipelines.first())
        .ok_or_else(|| eyre!("the organization has no pipeline"))?;
    let mut stages = store.stages(pipeline.id).await?;
    stages.sort_by_key(|s| s.order_index);
    Ok(stages)
}
