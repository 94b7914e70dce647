//! `closer bench` / `closer bench run` / `closer bench load`: pick the database, measure, print
//! a table on a terminal and JSON otherwise (or with --json).

use std::io::IsTerminal;

use std::path::Path;

use color_eyre::eyre::{Result, eyre};

use crate::bench::target::{Target, TargetArgs};
use crate::bench::{self, RunPlan};
use crate::cli::{BenchArgs, BenchCommand, BenchRunArgs};
use crate::config::Config;

pub async fn run(
    args: BenchArgs,
    database_url: Option<&str>,
    org: Option<&str>,
    config_path: Option<&Path>,
) -> Result<()> {
    // The connection section (statement timeout) applies as in the TUI; keys and UI options
    // are the defaults so every run types the same.
    let config = Config::load(config_path).map_err(|e| eyre!("{e}"))?;
    let json = args.json || !std::io::stdout().is_terminal();
    let target = Target::open(TargetArgs {
        database_url,
        admin_url: args.admin_url.as_deref(),
        org,
        leads: args.leads,
        statement_timeout_ms: config.connection.statement_timeout_ms,
    })
    .await?;
    let outcome = measure(&target, args.command, args.run, json).await;
    // Stop the private server whatever happened; report the first error.
    let closed = target.close().await;
    let text = outcome?;
    closed?;
    println!("{text}");
    Ok(())
}

async fn measure(
    target: &Target,
    command: Option<BenchCommand>,
    run_args: BenchRunArgs,
    json: bool,
) -> Result<String> {
    match command {
        None => single(target, &run_args, json).await,
        Some(BenchCommand::Run(args)) => single(target, &args, json).await,
        Some(BenchCommand::Load {
            reps,
            seconds,
            no_watch,
            listeners,
            rate,
            warmup,
        }) => {
            let plan = bench::load::LoadPlan {
                reps,
                seconds,
                watch: !no_watch,
                listeners,
                rate,
                warmup,
            };
            let report = bench::load(target, plan).await?;
            Ok(if json {
                serde_json::to_string_pretty(&report)?
            } else {
                bench::load_table(&report)
            })
        }
    }
}

async fn single(target: &Target, args: &BenchRunArgs, json: bool) -> Result<String> {
    let plan = RunPlan {
        starts: args.starts,
        keys: args.keys,
        moves: args.moves,
        search_rounds: args.search_rounds,
        inbox_runs: args.inbox_runs,
        pages: args.pages,
        only: args.only,
    };
    let figures = bench::run(target, plan).await?;
    Ok(if json {
        serde_json::to_string_pretty(&figures)?
    } else {
        bench::run_table(&figures)
    })
}
