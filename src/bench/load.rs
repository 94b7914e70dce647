//! `closer bench load`: N reps, each on its own login and its own `Session` (the TUI's pool),
//! writing through the TUI's data layer for S seconds (what each rep does: `reps.rs`) — as fast
//! as they can (a closed loop), or at `--rate` writes per second in all (an open loop, latency
//! from each write's scheduled start). Afterwards every column header
//! (`PgStore::stage_summaries`) is checked against a plain SQL sum.
//!
//! Each rep works on its own share of the leads, so a failure can only come from the database
//! (deadlock, serialization, timeout), never from two reps racing for the same card.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, bail};
use serde::Serialize;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::frames::KeyFigures;
use super::listeners::ListenerFigures;
use super::queries::default_stages;
use super::report::{Summary, round};
use super::reps::write_for;
use super::server_cpu::{self, Server, ServerCpu};
use super::target::Target;
use crate::data::PgStore;
use crate::data::closing::{ClosedTotals, Period};
use crate::data::models::{BoardSort, Stage};
use crate::filter::Filter;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ErrorCounts {
    /// 40P01, as counted by the server (`pg_stat_database.deadlocks`) during the run.
    pub deadlock: u64,
    /// 40001 (and any other refused-for-concurrency write the server did not count as deadlock).
    pub serialization: u64,
    /// The statement ran past `statement_timeout` (57014).
    pub timeout: u64,
    /// Dropped connections, pool timeouts.
    pub connection: u64,
    pub other: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeaderCheck {
    pub stages: usize,
    /// Every header's lead count equal, and amounts within a cent, of the SQL sum (open stages),
    /// and every won/lost header's all-time deal count and amount (closed stages).
    pub exact: bool,
    pub mismatches: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadFigures {
    pub reps: usize,
    /// Writes per second offered in all (`--rate`); null: each rep wrote again as soon as its
    /// last write returned, so the mean latency is about `reps / tps` (Little's law).
    pub offered_tps: Option<f64>,
    /// Seconds written before the measured ones (`--warmup`): not in the figures but errors.
    pub warmup_seconds: f64,
    pub seconds: f64,
    /// Successful write transactions.
    pub transactions: u64,
    pub tps: f64,
    /// Latency of successful writes.
    pub latency: Summary,
    pub by_op: BTreeMap<&'static str, Summary>,
    pub errors: ErrorCounts,
    /// First error message of each kind (no data, just the sentence).
    pub error_examples: BTreeMap<&'static str, String>,
    pub headers: HeaderCheck,
    /// Most client connections to this database seen while writing (sampled every 250 ms:
    /// every rep's pool, the watching TUI, the bench's admin pool).
    pub server_connections: i64,
    /// Rep 1's TUI watching the load (live updates on), typing a key every 50 ms.
    pub watching: Option<KeyFigures>,
    /// Teammates' TUIs listening (`--listeners`).
    pub listening: Option<ListenerFigures>,
    /// The server's CPU while the reps wrote, when it runs on this machine.
    pub server_cpu: Option<ServerCpu>,
}

/// What `closer bench load` runs.
#[derive(Debug, Clone, Copy)]
pub struct LoadPlan {
    pub reps: usize,
    pub seconds: f64,
    /// Rep 1's TUI watching the load and timing its keys.
    pub watch: bool,
    /// Teammates' TUIs that only listen ([`super::listeners`]).
    pub listeners: usize,
    /// Writes per second offered in all, spread evenly over the reps (an open loop).
    pub rate: Option<f64>,
    /// Seconds of the same writes before the measured ones (a freshly started server reads its
    /// pages and logs each one whole once after a checkpoint); their errors still count.
    pub warmup: f64,
}

pub async fn run(target: &Target, plan: LoadPlan) -> Result<LoadFigures> {
    let LoadPlan {
        reps,
        seconds,
        watch,
        listeners,
        rate,
        warmup,
    } = plan;
    if reps == 0 || !seconds.is_finite() || seconds <= 0.0 {
        bail!("--reps and --seconds must be positive");
    }
    if rate.is_some_and(|r| !r.is_finite() || r <= 0.0) {
        bail!("--rate must be a positive number of writes per second");
    }
    if !warmup.is_finite() || warmup < 0.0 {
        bail!("--warmup must be zero or a positive number of seconds");
    }
    target.ensure_logins(reps).await?;
    let mut stores = Vec::with_capacity(reps);
    for i in 1..=reps {
        stores.push(target.rep_store(i).await?);
    }
    let Some(first) = stores.first().cloned() else {
        bail!("no rep");
    };
    let stages = default_stages(&first).await?;
    if stages.len() < 2 {
        bail!("the default pipeline needs two stages to move cards");
    }
    let mut shares = share_leads(&first, &stages, reps).await?;
    let check_pool = target.admin.clone().unwrap_or_else(|| first.pool().clone());
    // Before the warm-up: its conflicts count too, so its deadlocks must be in the server's delta.
    let deadlocks_before = server_deadlocks(&check_pool).await?;
    let mut warm_logs = Vec::new();
    if warmup > 0.0 {
        (warm_logs, shares) = write_for(&stores, &stages, shares, warmup, rate).await?;
    }
    let watching = if watch {
        Some(
            super::watch::start(
                target.rep_options(1).await?,
                target.org_id,
                target.statement_timeout_ms(),
            )
            .await?,
        )
    } else {
        None
    };
    let listening = super::listeners::start(target, listeners, reps).await?;
    let server = Server::find(&check_pool, target.server_is_local()).await;
    let cpu_before = server.as_ref().and_then(Server::cpu_seconds);

    let started = Instant::now();
    let sampler = tokio::spawn(peak_connections(
        check_pool.clone(),
        started + Duration::from_secs_f64(seconds),
    ));
    let (logs, _) = write_for(&stores, &stages, shares, seconds, rate).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_after = server.as_ref().and_then(Server::cpu_seconds);
    let listening = (listeners > 0).then(|| listening.finish(elapsed));
    let server_connections = sampler.await??;
    let watching = match watching {
        Some(w) => Some(w.finish().await?),
        None => None,
    };
    let deadlocks = server_deadlocks(&check_pool)
        .await?
        .saturating_sub(deadlocks_before);

    let mut all = Vec::new();
    let mut by_op: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    let mut errors = ErrorCounts::default();
    let mut examples = BTreeMap::new();
    let mut conflicts = 0;
    // Warm-up writes count in the errors only.
    for log in &mut warm_logs {
        log.by_op.clear();
    }
    for log in warm_logs.into_iter().chain(logs) {
        for (op, samples) in log.by_op {
            all.extend_from_slice(&samples);
            by_op.entry(op).or_default().extend(samples);
        }
        conflicts += log.conflicts;
        errors.timeout += log.timeouts;
        errors.connection += log.connection;
        errors.other += log.other;
        for (kind, text) in log.examples {
            examples.entry(kind).or_insert(text);
        }
    }
    // DataError folds 40P01 and 40001 into Conflict; the server's counter tells them apart.
    errors.deadlock = conflicts.min(deadlocks);
    errors.serialization = conflicts - errors.deadlock;
    errors.total =
        errors.deadlock + errors.serialization + errors.timeout + errors.connection + errors.other;
    let headers = check_headers(&first, &check_pool).await?;
    let transactions = all.len() as u64;
    let server_cpu = cpu_before
        .zip(cpu_after)
        .map(|(before, after)| server_cpu::figures(after - before, elapsed, transactions));
    Ok(LoadFigures {
        reps,
        offered_tps: rate,
        warmup_seconds: warmup,
        seconds: round(elapsed),
        transactions,
        tps: round(transactions as f64 / elapsed.max(f64::EPSILON)),
        latency: Summary::of(&all),
        by_op: by_op
            .into_iter()
            .map(|(op, samples)| (op, Summary::of(&samples)))
            .collect(),
        errors,
        error_examples: examples,
        headers,
        server_connections,
        watching,
        listening,
        server_cpu,
    })
}

/// Leads from the top of every column of the default pipeline, dealt round-robin to the reps.
async fn share_leads(
    store: &PgStore,
    stages: &[Stage],
    reps: usize,
) -> Result<Vec<Vec<(Uuid, Uuid)>>> {
    let per_stage = i64::try_from(reps * 8).unwrap_or(1000).clamp(20, 1000);
    let mut leads = Vec::new();
    for stage in stages {
        let page = store
            .column_page(stage.id, BoardSort::Score, None, per_stage)
            .await?;
        leads.extend(page.cards.into_iter().map(|c| (c.id, c.stage_id)));
    }
    if leads.len() < reps {
        bail!(
            "the organization has {} leads in its default pipeline: fewer than --reps {reps}",
            leads.len()
        );
    }
    let mut shares = vec![Vec::new(); reps];
    for (i, lead) in leads.into_iter().enumerate() {
        shares[i % reps].push(lead);
    }
    Ok(shares)
}

/// The most client connections to this database seen until `deadline`.
async fn peak_connections(pool: PgPool, deadline: Instant) -> Result<i64> {
    let mut peak = 0;
    while Instant::now() < deadline {
        let now: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where backend_type = 'client backend' and datname = current_database()",
        )
        .fetch_one(&pool)
        .await?;
        peak = peak.max(now);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(peak)
}

async fn server_deadlocks(pool: &PgPool) -> Result<u64> {
    let deadlocks: i64 = sqlx::query_scalar(
        "select coalesce(deadlocks, 0) from pg_stat_database where datname = current_database()",
    )
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(deadlocks).unwrap_or(0))
}

/// Every stage's header as the board reads it, against counts and sums over the rows.
pub async fn check_headers(store: &PgStore, pool: &PgPool) -> Result<HeaderCheck> {
    let rows = sqlx::query(
        "select s.id, s.name, coalesce(l.n, 0)::int8 as leads,
                coalesce(d.amount, 0)::float8 as amount, coalesce(d.weighted, 0)::float8 as weighted
         from pipeline_stages s
         left join (select stage_id, count(*) n from leads where organization_id = $1 group by stage_id) l
                on l.stage_id = s.id
         left join (select l.stage_id, sum(d.amount) amount, sum(d.amount * d.probability / 100.0) weighted
                    from deals d join leads l on l.organization_id = d.organization_id and l.id = d.lead_id
                    where d.organization_id = $1 and d.status = 'open'
                      and d.currency = (select o.currency from organizations o where o.id = $1)
                    group by l.stage_id) d
                on d.stage_id = s.id
         where s.organization_id = $1",
    )
    .bind(store.organization_id())
    .fetch_all(pool)
    .await?;
    let mut headers = std::collections::HashMap::new();
    let mut closed = std::collections::HashMap::new();
    for pipeline in store.pipelines().await? {
        headers.extend(store.stage_summaries(pipeline.id).await?);
        closed.extend(
            store
                .closed_totals(pipeline.id, Period::AllTime, &Filter::default())
                .await?,
        );
    }
    let mut mismatches = closed_mismatches(store, pool, &closed).await?;
    for row in &rows {
        let id: Uuid = row.try_get("id")?;
        let name: String = row.try_get("name")?;
        let leads: i64 = row.try_get("leads")?;
        let amount: f64 = row.try_get("amount")?;
        let weighted: f64 = row.try_get("weighted")?;
        let shown = headers.get(&id).copied().unwrap_or_default();
        if shown.lead_count != leads
            || (shown.open_deal_amount - amount).abs() > 0.005
            || (shown.weighted_deal_amount - weighted).abs() > 0.005
        {
            mismatches.push(format!(
                "{}: header {} leads / {:.2} / {:.2}, rows {} / {:.2} / {:.2}",
                crate::text::clean_line(&name),
                shown.lead_count,
                shown.open_deal_amount,
                shown.weighted_deal_amount,
                leads,
                amount,
                weighted
            ));
        }
    }
    Ok(HeaderCheck {
        stages: rows.len(),
        exact: mismatches.is_empty(),
        mismatches,
    })
}

/// Won/lost headers (all time, as the board reads them from the folded deltas) against the
/// deals of the leads in each closed stage.
async fn closed_mismatches(
    store: &PgStore,
    pool: &PgPool,
    shown: &std::collections::HashMap<Uuid, ClosedTotals>,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select s.id, s.name, count(d.id)::int8 as deals,
                coalesce(sum(d.amount) filter (where d.currency = o.currency), 0)::float8 as amount
         from pipeline_stages s
         join organizations o on o.id = s.organization_id
         left join leads l on l.organization_id = s.organization_id and l.stage_id = s.id
         left join deals d on d.organization_id = l.organization_id and d.lead_id = l.id
              and d.status = case when s.is_won then 'won'::deal_status else 'lost'::deal_status end
              and d.closed_on is not null
         where s.organization_id = $1 and (s.is_won or s.is_lost)
         group by s.id, s.name",
    )
    .bind(store.organization_id())
    .fetch_all(pool)
    .await?;
    let mut mismatches = Vec::new();
    for row in &rows {
        let id: Uuid = row.try_get("id")?;
        let deals: i64 = row.try_get("deals")?;
        let amount: f64 = row.try_get("amount")?;
        let header = shown.get(&id).copied().unwrap_or_default();
        if header.deal_count != deals || (header.amount - amount).abs() > 0.005 {
            let name: String = row.try_get("name")?;
            mismatches.push(format!(
                "{} (closed, all time): header {} deals / {:.2}, rows {} / {:.2}",
                crate::text::clean_line(&name),
                header.deal_count,
                header.amount,
                deals,
                amount
            ));
        }
    }
    Ok(mismatches)
}
