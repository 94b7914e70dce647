//! `closer leads|tasks|log|pipelines|import|export|completions|man`: Closer from the shell.
//!
//! Every command connects as the rep exactly like the TUI (`commands::open::connect_session`
//! and `choose_organization`: same URL/PG*/config resolution, same organization choice), then
//! works through the TUI's data layer (`PgStore`, RLS, the `closer.*` write functions).
//! Results go through one printer (`output`); failures end with an exit code a script can test:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | any other failure |
//! | 2 | bad input (a value, a file, a usage error from clap) |
//! | 3 | not found (or not visible to you) |
//! | 4 | refused by permissions (role, organization, membership) |
//! | 5 | connection failed (server unreachable, login refused) |
//! | 6 | conflict (someone changed the record first) |

pub mod args;
mod export;
mod import;
mod leads;
pub mod output;
mod select;
mod tasks;
mod views;

use std::io::Write;
use std::process::ExitCode;

use uuid::Uuid;

use crate::cli::{Cli, Command};
use crate::config::{Config, paths};
use crate::data::{DataError, PgStore};
use crate::text::clean_line;

type Result<T> = std::result::Result<T, Fail>;

/// A failure of a scripting command: the sentence for standard error and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub code: u8,
    pub message: String,
}

impl Fail {
    pub fn bad_input(message: impl Into<String>) -> Fail {
        Fail {
            code: EXIT_BAD_INPUT,
            message: message.into(),
        }
    }
}

impl From<DataError> for Fail {
    fn from(err: DataError) -> Fail {
        Fail {
            code: exit_code(&err),
            message: err.to_string(),
        }
    }
}

pub const EXIT_OTHER: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_NOT_FOUND: u8 = 3;
pub const EXIT_REFUSED: u8 = 4;
pub const EXIT_CONNECTION: u8 = 5;
pub const EXIT_CONFLICT: u8 = 6;

/// The exit code of a failure.
pub fn exit_code(err: &DataError) -> u8 {
    match err {
        DataError::Invalid(_) => EXIT_BAD_INPUT,
        DataError::NotFound => EXIT_NOT_FOUND,
        DataError::PermissionDenied | DataError::NoMembership => EXIT_REFUSED,
        DataError::Connection(_) | DataError::Authentication => EXIT_CONNECTION,
        DataError::Conflict => EXIT_CONFLICT,
        DataError::NotMigrated | DataError::Cancelled | DataError::Other(_) => EXIT_OTHER,
    }
}

/// Whether `main` hands this command to [`main`] (exit codes of its own).
pub fn handles(command: &Option<Command>) -> bool {
    matches!(
        command,
        Some(
            Command::Leads(_)
                | Command::Tasks(_)
                | Command::Log(_)
                | Command::Pipelines(_)
                | Command::Views(_)
                | Command::Import(_)
                | Command::Export(_)
                | Command::Completions { .. }
                | Command::Man
        )
    )
}

/// Runs a scripting command; the error (one clean sentence) goes to standard error.
pub async fn main(cli: Cli) -> ExitCode {
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(fail) => {
            let _ = writeln!(std::io::stderr(), "closer: {}", clean_line(&fail.message));
            ExitCode::from(fail.code)
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let Some(command) = cli.command else {
        return Ok(());
    };
    match command {
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "closer", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(io_error)
        }
        command => {
            let store = connect(
                cli.database_url.as_deref(),
                cli.org.as_deref(),
                cli.config.as_deref(),
            )
            .await?;
            match command {
                Command::Leads(args) => leads::run(&store, args).await,
                Command::Tasks(args) => tasks::run(&store, args).await,
                Command::Log(args) => tasks::log(&store, args).await,
                Command::Pipelines(args) => leads::pipelines(&store, args).await,
                Command::Views(args) => views::list(&store, args).await,
                Command::Import(args) => import::run(&store, args).await,
                Command::Export(args) => export::run(&store, args).await,
                _ => Ok(()),
            }
        }
    }
}

/// Connects as the rep and opens the organization, the TUI's way.
async fn connect(
    database_url: Option<&str>,
    org: Option<&str>,
    config: Option<&std::path::Path>,
) -> Result<PgStore> {
    let path = config.map(ToOwned::to_owned).or_else(paths::config_file);
    let config = Config::load(path.as_deref()).map_err(|e| Fail::bad_input(e.to_string()))?;
    let session = crate::commands::open::connect_session(database_url, &config)
        .await
        .map_err(from_report)?;
    if let Some(name) = org
        && !session
            .memberships()
            .iter()
            .any(|m| m.organization_name == name)
    {
        return Err(Fail {
            code: EXIT_REFUSED,
            message: format!("you are not a member of an organization named {name:?}"),
        });
    }
    let chosen = crate::commands::open::choose_organization(&session, org).map_err(from_report)?;
    let id = chosen.organization_id;
    Ok(session.open(id)?)
}

fn from_report(report: color_eyre::Report) -> Fail {
    match report.downcast_ref::<DataError>() {
        Some(data) => data.clone().into(),
        // A URL that does not parse, "pick one with --org" …
        None => Fail::bad_input(format!("{report:#}")),
    }
}

pub(crate) fn io_error(err: std::io::Error) -> Fail {
    Fail {
        code: EXIT_OTHER,
        message: format!("cannot write the output: {err}"),
    }
}

/// A record id given on the command line.
pub(crate) fn parse_id(what: &str, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        Fail::bad_input(format!(
            "{what} {:?} is not an id (ids look like 3f2b…-…, see `closer leads list`)",
            clean_line(text)
        ))
    })
}
