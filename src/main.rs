//! `closer`: errors → logging → config → command. The TUI lives in the library.

use clap::Parser;
use closer::cli::{Cli, Command};
use closer::commands;
use closer::config::{Config, paths};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install()
        .is_err()
    {
        eprintln!("closer: could not install the error reporter");
    }
    let _log_guard = init_logging();
    let runtime = match closer::app::runtime("closer-worker") {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("closer: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if closer::script::handles(&cli.command) {
        // Scripting commands: their own exit codes (script/mod.rs), no TUI.
        return runtime.block_on(closer::script::main(cli));
    }
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            // One clear sentence (with its causes), not a backtrace; data is cleaned of escapes.
            // OS error numbers mean nothing to a rep.
            let text = closer::errors::strip_os_numbers(&format!("{err:#}"));
            eprintln!("closer: {}", closer::text::clean_line(&text));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> color_eyre::Result<()> {
    match cli.command {
        Some(Command::Admin(args)) => commands::admin::run(args).await,
        Some(Command::Bench(args)) => {
            let config = cli.config.clone().or_else(paths::config_file);
            commands::bench::run(
                args,
                cli.database_url.as_deref(),
                cli.org.as_deref(),
                config.as_deref(),
            )
            .await
        }
        Some(Command::Demo { stop: true, .. }) => commands::demo::stop().await,
        Some(Command::Demo {
            reset,
            ref as_login,
            ..
        }) => {
            let config = load_config(&cli)?;
            commands::demo::run_as(reset, config, false, as_login.as_deref()).await
        }
        Some(Command::Report(args)) => {
            // `cli.command` is moved: read the config path field by field.
            let path = cli.config.clone().or_else(paths::config_file);
            let config =
                Config::load(path.as_deref()).map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
            let report = commands::report::ReportArgs {
                database_url: cli.database_url.as_deref(),
                org: cli.org.as_deref(),
                pipeline: args.pipeline.as_deref(),
                period: args.period.as_deref(),
                person: args.person.as_deref(),
                json: args.json,
            };
            commands::report::run(report, config).await
        }
        Some(Command::Inbox) => {
            let config = load_config(&cli)?;
            commands::open::run(
                cli.database_url.as_deref(),
                cli.org.as_deref(),
                config,
                true,
            )
            .await
        }
        Some(_) => Ok(()), // handled by closer::script::main
        None => {
            let config = load_config(&cli)?;
            commands::open::run(
                cli.database_url.as_deref(),
                cli.org.as_deref(),
                config,
                false,
            )
            .await
        }
    }
}

fn load_config(cli: &Cli) -> color_eyre::Result<Config> {
    let path = cli.config.clone().or_else(paths::config_file);
    Config::load(path.as_deref()).map_err(|e| color_eyre::eyre::eyre!("{e}"))
}

/// Logs go to a file in the data directory, never to the terminal the TUI draws on.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = paths::data_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "closer.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLOSER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
