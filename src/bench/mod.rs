//! `closer bench`: the performance figures of PERFORMANCE.md, measured against a real database
//! through the same code the TUI runs. One file per family of measurements:
//! `frames` (start, key → frame), `queries` (move vs bare UPDATE, search, inbox, paging),
//! `load` (many reps at once), `target` (which database and logins), `report` (percentiles,
//! table, JSON).

pub mod find;
pub mod frames;
pub mod insights;
pub mod listeners;
pub mod load;
pub mod proc_stat;
pub mod queries;
pub mod report;
mod reps;
pub mod server_cpu;
pub mod target;
pub mod watch;

use std::collections::BTreeMap;

use color_eyre::eyre::{Result, eyre};
use serde::Serialize;

use report::{Row, build_profile, ms, row, table};
use target::Target;

/// How much of each measurement `closer bench` runs.
#[derive(Debug, Clone, Copy)]
pub struct RunPlan {
    pub starts: usize,
    pub keys: usize,
    pub moves: usize,
    pub search_rounds: usize,
    pub inbox_runs: usize,
    pub pages: usize,
    /// Only this family (all when `None`).
    pub only: Option<Family>,
}

/// A family of single-rep figures, for `closer bench --only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Family {
    Start,
    Keys,
    Move,
    Search,
    Inbox,
    Paging,
    Insights,
    Find,
}

impl RunPlan {
    fn wants(&self, family: Family) -> bool {
        self.only.is_none_or(|only| only == family)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunFigures {
    pub kind: &'static str,
    /// `release` or `debug` (debug figures are 5–10× slower: never quote them).
    pub build: &'static str,
    pub organization: String,
    pub leads: i64,
    pub start: Option<frames::StartFigures>,
    pub key_to_frame: Option<frames::KeyFigures>,
    #[serde(rename = "move")]
    pub moves: Option<queries::MoveFigures>,
    pub search: Option<queries::SearchFigures>,
    pub inbox: Option<queries::InboxFigures>,
    pub paging: Option<queries::PagingFigures>,
    pub insights: Option<insights::InsightsFigures>,
    /// Search that finds and board filters (issue 12).
    pub find: Option<find::FindFigures>,
    /// Measurements that failed, with the error (their figure is null).
    pub failures: BTreeMap<&'static str, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub kind: &'static str,
    pub build: &'static str,
    pub organization: String,
    pub leads: i64,
    #[serde(flatten)]
    pub figures: load::LoadFigures,
}

/// Every single-rep figure, one after the other, as bench rep 1 (or the `--database-url` rep).
pub async fn run(target: &Target, plan: RunPlan) -> Result<RunFigures> {
    let (store, connect) = target.timed_rep_store(1).await?;
    // A measurement that fails (e.g. a query past the statement timeout on a slow database)
    // is reported as such; the others still run.
    let mut failures = BTreeMap::new();
    let mut start = None;
    if plan.wants(Family::Start) {
        let starts = keep(
            &mut failures,
            "start",
            frames::start(&store, plan.starts.max(1)).await,
        );
        start = starts.map(|s| frames::start_figures(connect, &s));
    }
    let pace = frames::Pace::Settled {
        count: plan.keys.max(1),
    };
    let mut key_to_frame = None;
    if plan.wants(Family::Keys) {
        key_to_frame = keep(
            &mut failures,
            "key_to_frame",
            frames::keys(store.clone(), pace).await,
        );
    }
    let mut moves = None;
    if plan.wants(Family::Move) {
        let (bare, bare_as) = match (&target.admin_options, target.rep_url_options()) {
            (Some(admin), _) => (admin.clone(), "admin"),
            (None, Some(rep)) => (rep.clone(), "rep"),
            (None, None) => return Err(eyre!("no connection for the bare UPDATE")),
        };
        let timed = queries::moves(&store, bare, bare_as, plan.moves.max(1)).await;
        moves = keep(&mut failures, "move", timed);
    }
    let mut search = None;
    if plan.wants(Family::Search) {
        let timed = queries::search(&store, plan.search_rounds.max(1)).await;
        search = keep(&mut failures, "search", timed);
    }
    let mut inbox = None;
    if plan.wants(Family::Inbox) {
        let timed = queries::inbox(&store, plan.inbox_runs.max(1)).await;
        inbox = keep(&mut failures, "inbox", timed);
    }
    let mut paging = None;
    if plan.wants(Family::Paging) {
        let timed = queries::paging(&store, plan.pages.max(1), frames::page_size(&store)).await;
        paging = keep(&mut failures, "paging", timed);
    }
    let mut insights = None;
    if plan.wants(Family::Insights) {
        // Team-wide insights need a manager (created by the admin connection when there is one).
        let manager = match target.manager_store().await {
            Ok(store) => Some(store),
            Err(err) => {
                keep::<()>(&mut failures, "insights (team)", Err(err));
                None
            }
        };
        let timed = insights::insights(&store, manager.as_ref()).await;
        insights = keep(&mut failures, "insights", timed);
    }
    let mut found = None;
    if plan.wants(Family::Find) {
        let timed = find::find(&store, plan.search_rounds.max(1)).await;
        found = keep(&mut failures, "find", timed);
    }
    Ok(RunFigures {
        kind: "run",
        build: build_profile(),
        organization: target.org_name.clone(),
        leads: target.leads,
        start,
        key_to_frame,
        moves,
        search,
        inbox,
        paging,
        insights,
        find: found,
        failures,
    })
}

fn keep<T>(
    failures: &mut BTreeMap<&'static str, String>,
    what: &'static str,
    result: Result<T>,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(err) => {
            failures.insert(
                what,
                crate::text::clean_line(&format!("{err:#}")).into_owned(),
            );
            None
        }
    }
}

pub async fn load(target: &Target, plan: load::LoadPlan) -> Result<LoadReport> {
    let figures = load::run(target, plan).await?;
    Ok(LoadReport {
        kind: "load",
        build: build_profile(),
        organization: target.org_name.clone(),
        leads: target.leads,
        figures,
    })
}

pub fn run_table(f: &RunFigures) -> String {
    let mut rows: Vec<Row> = Vec::new();
    if let Some(start) = &f.start {
        rows.push(row(
            "connect (login, memberships)",
            format!("{} ms", ms(start.connect_ms)),
            "",
        ));
        rows.push(row(
            "start → first full board frame",
            format!(
                "{} (first run {} ms)",
                start.first_full_frame.line(),
                ms(start.first_run_ms)
            ),
            "≤ 150 ms",
        ));
    }
    if let Some(keys) = &f.key_to_frame {
        rows.push(row("key → frame", keys.keys.line(), "p99 ≤ 2 ms"));
        if let Some(less) = &keys.keys_less_core_waits {
            rows.push(row("key → frame, less waits for a core", less.line(), ""));
        }
    }
    if let Some(m) = &f.moves {
        rows.push(row("move (PgStore::move_lead)", m.move_lead.line(), ""));
        rows.push(row(
            format!("bare UPDATE (as {})", m.bare_update_as),
            m.bare_update.line(),
            "",
        ));
        rows.push(row("SELECT 1 round trip", m.select_1.line(), ""));
        rows.push(row(
            "move / bare UPDATE (p50)",
            format!("{:.2}×", m.ratio_p50),
            "≤ 1.5×",
        ));
    }
    if let Some(search) = &f.search {
        rows.push(row("search, all queries", search.all.line(), "p95 ≤ 25 ms"));
        for (kind, summary) in &search.by_kind {
            rows.push(row(format!("search, {kind}"), summary.line(), ""));
        }
    }
    if let Some(inbox) = &f.inbox {
        rows.push(row(
            format!("inbox ({} tasks shown)", inbox.tasks_shown),
            inbox.load.line(),
            "≤ 50 ms",
        ));
    }
    if let Some(p) = &f.paging {
        rows.push(row(
            format!(
                "column paging: {} ({} leads), {} pages of {} to depth {}",
                crate::text::clean_line(&p.stage),
                p.stage_leads,
                p.pages,
                p.page_size,
                p.depth
            ),
            format!(
                "first {} ms · later {} · last 10 / first {:.2}×",
                ms(p.first_page_ms),
                p.later_pages.line(),
                p.deep_vs_first
            ),
            "",
        ));
    }
    if let Some(i) = &f.insights {
        if let Some(team) = &i.team {
            rows.push(row(
                format!("insights, whole team ({})", i.period),
                team.line(),
                "≤ 300 ms",
            ));
        }
        rows.push(row(
            format!("insights, one rep ({})", i.period),
            i.rep.line(),
            "≤ 300 ms",
        ));
    }
    if let Some(found) = &f.find {
        rows.push(row(
            "find_leads (search that finds), all",
            found.search_all.line(),
            "p95 ≤ 25 ms",
        ));
        for (kind, summary) in &found.search_by_kind {
            rows.push(row(format!("find_leads, {kind}"), summary.line(), ""));
        }
        for (filter, summary) in &found.filter_change {
            rows.push(row(
                format!("filter change `{filter}` (totals + first pages)"),
                summary.line(),
                "≪ 100 ms",
            ));
        }
        for (filter, summary) in &found.filter_totals {
            rows.push(row(
                format!("filtered totals `{filter}` (exact headers)"),
                summary.line(),
                "≪ 100 ms",
            ));
        }
        for (view, summary) in &found.view_cards {
            rows.push(row(
                format!("start → the view's cards, default view `{view}`"),
                summary.line(),
                "",
            ));
        }
        for (view, summary) in &found.view_start {
            rows.push(row(
                format!("start → first full frame, default view `{view}`"),
                summary.line(),
                "≤ 150 ms",
            ));
        }
    }
    for (what, why) in &f.failures {
        rows.push(row(format!("{what}: FAILED"), why.clone(), ""));
    }
    table(
        &format!(
            "closer bench — {} ({} leads, {} build)",
            crate::text::clean_line(&f.organization),
            f.leads,
            f.build
        ),
        &rows,
    )
}

pub fn load_table(r: &LoadReport) -> String {
    let f = &r.figures;
    let e = &f.errors;
    let mut rows = vec![
        row(
            "throughput",
            format!(
                "{:.1} tx/s ({} transactions in {:.1} s)",
                f.tps, f.transactions, f.seconds
            ),
            "≥ 500 tx/s",
        ),
        row(
            "offered load",
            match f.offered_tps {
                Some(rate) => {
                    format!("{rate:.1} tx/s (open loop: latency from each write's scheduled start)")
                }
                None => format!(
                    "as fast as each rep can (closed loop: mean latency ≈ {} reps ÷ throughput)",
                    f.reps
                ),
            },
            "",
        ),
        row(
            "warm-up",
            format!(
                "{:.0} s of writes before these, not measured",
                f.warmup_seconds
            ),
            "",
        ),
        row("latency, all writes", f.latency.line(), "p95 ≤ 100 ms"),
    ];
    for (op, summary) in &f.by_op {
        rows.push(row(format!("latency, {op}"), summary.line(), ""));
    }
    if let Some(w) = &f.watching {
        rows.push(row(
            "watching TUI: key → frame",
            w.keys.line(),
            "p99 ≤ 2 ms",
        ));
        if let Some(less) = &w.keys_less_core_waits {
            rows.push(row(
                "watching TUI: key → frame, less waits for a core",
                less.line(),
                "",
            ));
        }
        rows.push(row(
            "watching TUI: CPU, frames",
            format!(
                "{} % of a core · {} frames in {:.1} s",
                w.cpu_percent_of_core
                    .map(|c| format!("{c:.1}"))
                    .unwrap_or_else(|| "?".into()),
                w.frames,
                w.seconds
            ),
            "≤ 3 %",
        ));
    }
    rows.push(row(
        "errors",
        format!(
            "{} (deadlock {}, serialization {}, timeout {}, connection {}, other {})",
            e.total, e.deadlock, e.serialization, e.timeout, e.connection, e.other
        ),
        "0",
    ));
    for (kind, example) in &f.error_examples {
        rows.push(row(
            format!("  first {kind}"),
            crate::text::clean_line(example),
            "",
        ));
    }
    if let Some(cpu) = &f.server_cpu {
        rows.push(row(
            "server CPU while writing",
            format!(
                "{:.2} ms per transaction · {:.2} cores",
                cpu.ms_per_transaction, cpu.cores
            ),
            "",
        ));
    }
    if let Some(l) = &f.listening {
        rows.push(row(
            format!("teammates listening ({})", l.listeners),
            format!(
                "{} changes heard · {:.1} per listener per second",
                l.changes, l.changes_per_listener_per_second
            ),
            "",
        ));
    }
    rows.push(row(
        "server connections, peak",
        format!(
            "{} (reps' pools, watching TUI, listeners, admin)",
            f.server_connections
        ),
        "",
    ));
    rows.push(row(
        format!("headers vs SQL ({} stages)", f.headers.stages),
        if f.headers.exact {
            "exact".to_string()
        } else {
            format!("NOT exact: {}", f.headers.mismatches.join("; "))
        },
        "exact",
    ));
    table(
        &format!(
            "closer bench load — {} reps, {} ({} leads, {} build)",
            f.reps,
            crate::text::clean_line(&r.organization),
            r.leads,
            r.build
        ),
        &rows,
    )
}
