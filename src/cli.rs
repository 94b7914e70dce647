//! The command line: `closer` opens the TUI; `demo`, `inbox` and `admin` are subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "closer",
    version,
    about = "A keyboard-first terminal CRM on PostgreSQL"
)]
pub struct Cli {
    /// PostgreSQL URL to connect with (default: DATABASE_URL, then PG* variables, then the config file).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Config file (default: ~/.config/closer/config.toml or CLOSER_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Organization to open when you belong to several (default: the last one used).
    #[arg(long, global = true, value_name = "NAME")]
    pub org: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run Closer on its own private PostgreSQL with a seeded demo organization.
    Demo {
        /// Delete the demo database and start over.
        #[arg(long)]
        reset: bool,
    },
    /// Open straight into the task inbox.
    Inbox,
    /// Provision Closer with an admin connection.
    Admin(AdminArgs),
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Admin connection that may create roles. Without it, Closer's private local cluster is used.
    #[arg(
        long,
        env = "CLOSER_ADMIN_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub admin_url: Option<String>,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Apply the schema migrations (and create the owner/member group roles).
    Migrate,
    /// Create an organization with the default "Sales Pipeline".
    CreateOrg {
        #[arg(long)]
        name: String,
    },
    /// Create a person's database login, profile and membership.
    AddUser {
        #[arg(long)]
        org: String,
        /// The PostgreSQL login name (lowercase letters, digits, _).
        #[arg(long)]
        login: String,
        /// Full name, e.g. "Ada Lovelace".
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// rep, manager or admin.
        #[arg(long, default_value = "rep")]
        role: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a person from an organization; access ends immediately.
    RemoveUser {
        #[arg(long)]
        org: String,
        #[arg(long)]
        login: String,
    },
    /// Generate realistic synthetic data for demos and benchmarks.
    Seed {
        #[arg(long)]
        org: String,
        #[arg(long)]
        leads: i64,
        /// The same seed always produces the same data.
        #[arg(long, default_value_t = 1)]
        seed: i64,
    },
}
