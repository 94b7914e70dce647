//! The scripting commands' arguments (kept out of `cli.rs`, which only names the variants).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// How results are printed. Default: a table on a terminal, JSON otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// table, json or csv (default: table on a terminal, json otherwise).
    #[arg(long, value_enum, global = true)]
    pub format: Option<Format>,
}

/// The list and export filters. Every command that selects leads goes through
/// `script::select::Selection::resolve`, where a filter expression plugs in.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only this pipeline (by name).
    #[arg(long, value_name = "NAME")]
    pub pipeline: Option<String>,
    /// Only this stage (by name; with --pipeline, in that pipeline).
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    /// Only leads owned by this teammate (e-mail or full name).
    #[arg(long, value_name = "WHO", conflicts_with = "mine")]
    pub owner: Option<String>,
    /// Only my leads (or tasks).
    #[arg(long)]
    pub mine: bool,
    /// At most this many rows (0: no limit).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// The board's filter language, e.g. `owner:me tag:vip score:>70 rotting`.
    #[arg(long, value_name = "EXPR", conflicts_with = "view")]
    pub filter: Option<String>,
    /// A saved view's filter, by name (`closer views` lists them).
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,
}

#[derive(Debug, Args)]
pub struct LeadsArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: LeadsCommand,
}

#[derive(Debug, Subcommand)]
pub enum LeadsCommand {
    /// List leads by name (default limit 1000).
    List(FilterArgs),
    /// One lead with its profile and tags.
    Show { id: String },
    /// Create a lead (owned by me unless --owner).
    Create(LeadFields),
    /// Change fields of a lead (only the fields given).
    Update {
        id: String,
        #[command(flatten)]
        fields: LeadFields,
    },
    /// Move a lead to another stage (by name, in the lead's pipeline).
    Move {
        id: String,
        stage: String,
        /// Why the lead was lost (for a lost stage).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Give a lead to a teammate (e-mail or full name; "me" for myself).
    Assign { id: String, owner: String },
    /// Delete a lead (managers and admins).
    Delete { id: String },
}

#[derive(Debug, Clone, Default, Args)]
pub struct LeadFields {
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub company: Option<String>,
    /// Stage name (create only; default: the first stage of the default pipeline).
    #[arg(long)]
    pub stage: Option<String>,
    /// Pipeline of --stage (create only).
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Owner: e-mail or full name (create only; use `leads assign` to change).
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub score: Option<i32>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub job_title: Option<String>,
}

#[derive(Debug, Args)]
pub struct TasksArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: TasksCommand,
}

#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// Open tasks (mine unless --all), by due date.
    List {
        /// Everyone's open tasks.
        #[arg(long)]
        all: bool,
        /// Only the tasks of this lead.
        #[arg(long, value_name = "ID")]
        lead: Option<String>,
        /// At most this many rows (0: no limit).
        #[arg(long, default_value_t = 1000)]
        limit: u64,
    },
    /// Add a task to a lead.
    Add {
        lead: String,
        title: String,
        /// Due date (YYYY-MM-DD, "today", "tomorrow" or +N days).
        #[arg(long)]
        due: Option<String>,
        /// low, medium or high.
        #[arg(long, default_value = "medium")]
        priority: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Complete tasks.
    Done {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Snooze tasks by N days (default 1) or until a date.
    Snooze {
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long, default_value_t = 1, conflicts_with = "until")]
        days: u32,
        /// YYYY-MM-DD.
        #[arg(long)]
        until: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    /// The lead's id.
    pub lead: String,
    /// call, email, meeting, note, sms or whatsapp.
    pub kind: String,
    /// The text (notes, what was said).
    #[arg(long, short)]
    pub message: Option<String>,
    #[arg(long)]
    pub subject: Option<String>,
    /// inbound or outbound (default: outbound; a note has none).
    #[arg(long)]
    pub direction: Option<String>,
    /// Duration in minutes.
    #[arg(long)]
    pub minutes: Option<i32>,
    #[arg(long)]
    pub outcome: Option<String>,
}

/// What happens to a row that matches an existing lead (or an earlier row of the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OnDuplicate {
    #[default]
    Skip,
    Update,
    Create,
}

impl OnDuplicate {
    pub fn as_str(self) -> &'static str {
        match self {
            OnDuplicate::Skip => "skip",
            OnDuplicate::Update => "update",
            OnDuplicate::Create => "create",
        }
    }
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: ImportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import leads from FILE (CSV or TSV; `,` `;` or tab detected; UTF-8 with or without BOM).
    Leads(ImportLeadsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ImportLeadsArgs {
    pub file: PathBuf,
    /// Map a column to a field, e.g. --map "Mobile Phone=phone" (field "ignore" drops it).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub maps: Vec<String>,
    /// Report what would be created, updated, skipped and rejected; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = OnDuplicate::Skip)]
    pub on_duplicate: OnDuplicate,
    /// Write the accepted rows and put the rejected ones in a CSV to fix and re-import.
    #[arg(long)]
    pub partial: bool,
    /// Where --partial writes the rejected rows (default: FILE.rejects.csv).
    #[arg(long, value_name = "PATH")]
    pub rejects: Option<PathBuf>,
    /// Pipeline for rows without one (default: the default pipeline).
    #[arg(long, value_name = "NAME")]
    pub pipeline: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// csv or jsonl.
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv, global = true)]
    pub format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "PATH", global = true)]
    pub output: Option<PathBuf>,
    #[command(subcommand)]
    pub command: ExportCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Every lead (or the filtered ones) with profile, stage, owner e-mail and tags.
    Leads(FilterArgs),
    /// Every task.
    Tasks,
    /// Every interaction.
    Interactions,
}
