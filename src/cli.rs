//! The command line: `closer` opens the TUI; `demo`, `inbox`, `admin`, `bench` and `report` are
//! subcommands; the scripting commands (`leads`, `tasks`, `import` …) take their arguments from
//! `script::args`.

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
        /// Open the demo as another seeded person (demo_manager, demo_seller, demo_closer,
        /// rival_rep); default demo_rep.
        #[arg(long = "as", value_name = "LOGIN")]
        as_login: Option<String>,
        /// Stop the demo's private server now (it otherwise stops when the last Closer using
        /// it exits).
        #[arg(long, conflicts_with_all = ["reset", "as_login"])]
        stop: bool,
    },
    /// Open straight into the task inbox.
    Inbox,
    /// Provision Closer with an admin connection.
    Admin(AdminArgs),
    /// Measure Closer's performance figures (default: on the private local cluster).
    Bench(BenchArgs),
    /// List, show and change leads from a script.
    Leads(crate::script::args::LeadsArgs),
    /// List, add, complete and snooze tasks from a script.
    Tasks(crate::script::args::TasksArgs),
    /// Log an interaction (call, e-mail, meeting, note, SMS, WhatsApp) on a lead.
    Log(crate::script::args::LogArgs),
    /// The organization's pipelines and their stages.
    Pipelines(crate::script::args::OutputArgs),
    /// The person's saved views and the organization's shared ones.
    Views(crate::script::args::OutputArgs),
    /// Import leads from a CSV or TSV file (Pipedrive, HubSpot, Salesforce, Twenty or plain).
    Import(crate::script::args::ImportArgs),
    /// Export leads, tasks or interactions as CSV or JSON Lines.
    Export(crate::script::args::ExportArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) generated from these same definitions.
    Man,
    /// Print the insights figures (forecast, won/lost, funnel, velocity, team) of a pipeline.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Pipeline name (default: the organization's default pipeline).
    #[arg(long, value_name = "NAME")]
    pub pipeline: Option<String>,
    /// 2026, 2026-Q4 or 2026-11 (default: the current quarter).
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// One person's numbers, by login (managers; a rep always gets their own).
    #[arg(long, value_name = "LOGIN")]
    pub person: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Admin connection (seeding, bench logins, the bare-UPDATE baseline). Without it and
    /// without --database-url, Closer's private local cluster is used.
    #[arg(
        long,
        global = true,
        env = "CLOSER_ADMIN_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub admin_url: Option<String>,
    /// Leads to seed when the bench organization (--org, default "Closer Bench") is created.
    #[arg(long, global = true, default_value_t = 10_000)]
    pub leads: i64,
    /// Print JSON (the default when standard output is not a terminal).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    #[command(flatten)]
    pub run: BenchRunArgs,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Single-rep figures: start, key → frame, move vs UPDATE, search, inbox, paging (default).
    Run(BenchRunArgs),
    /// Many reps writing at once through the TUI's data layer, then a check of every header.
    Load {
        /// Concurrent reps, each on its own login.
        #[arg(long, default_value_t = 50)]
        reps: usize,
        /// How long to write.
        #[arg(long, default_value_t = 20.0)]
        seconds: f64,
        /// Leave out the TUI that watches the load (live updates) and times its keys.
        #[arg(long)]
        no_watch: bool,
        /// Teammates' TUIs that only listen to the live updates meanwhile (each holds up to two
        /// connections, on the reps' logins in turn).
        #[arg(long, default_value_t = 0)]
        listeners: usize,
        /// Offer this many writes per second in all, spread evenly over the reps (an open loop:
        /// each write's latency counts from when it was due, so falling behind shows). Without
        /// it every rep writes again as soon as its last write returns.
        #[arg(long, value_name = "WRITES_PER_SECOND")]
        rate: Option<f64>,
        /// Write this many seconds first without measuring (a freshly started server reads its
        /// pages and logs each whole once after a checkpoint); errors meanwhile still count.
        #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
        warmup: f64,
    },
}

#[derive(Debug, Clone, Args)]
pub struct BenchRunArgs {
    /// Start → first frame runs (the first is the cold one).
    #[arg(long, default_value_t = 5)]
    pub starts: usize,
    /// Scripted keys timed through the app loop.
    #[arg(long, default_value_t = 200)]
    pub keys: usize,
    /// Moves (each paired with a bare UPDATE).
    #[arg(long, default_value_t = 200)]
    pub moves: usize,
    /// Rounds over the fixed list of 15 search queries.
    #[arg(long, default_value_t = 5)]
    pub search_rounds: usize,
    /// Inbox loads.
    #[arg(long, default_value_t = 5)]
    pub inbox_runs: usize,
    /// Column pages read down the largest column.
    #[arg(long, default_value_t = 100)]
    pub pages: usize,
    /// Run only this family of figures (e.g. `find`: search, filter changes, saved-view start).
    #[arg(long, value_enum)]
    pub only: Option<crate::bench::Family>,
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
        /// Put the organization in a database of its own on the same server (created and
        /// migrated if missing); its people connect to that database (see SECURITY.md).
        #[arg(long, value_name = "NAME")]
        database: Option<String>,
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
    /// Rewrite the header and filter deltas to their live rows (after a busy floor; writers wait
    /// a moment per table)
    Compact,
}
