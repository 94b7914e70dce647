//! `closer export leads|tasks|interactions`: CSV or JSON Lines, streamed from PostgreSQL row by
//! row (constant memory whatever the size). `export leads` writes the columns `import leads`
//! reads back (owner by e-mail, tags joined with `;`).

use std::fs::File;
use std::io::{BufWriter, Write};

use serde_json::Value;

use super::args::{ExportArgs, ExportCommand, ExportFormat};
use super::output::RowWriter;
use super::{Result, io_error, select};
use crate::data::DataError;
use crate::data::PgStore;
use crate::data::script::{INTERACTION_FIELDS, LEAD_FIELDS, TASK_FIELDS};

pub async fn run(store: &PgStore, args: ExportArgs) -> Result<()> {
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(File::create(path).map_err(|e| {
            super::Fail::bad_input(format!("cannot create {}: {e}", path.display()))
        })?),
        None => Box::new(std::io::stdout().lock()),
    };
    let out = BufWriter::with_capacity(256 * 1024, sink);
    let fields: &[&'static str] = match args.command {
        ExportCommand::Leads(_) => &LEAD_FIELDS,
        ExportCommand::Tasks => &TASK_FIELDS,
        ExportCommand::Interactions => &INTERACTION_FIELDS,
    };
    let mut writer = match args.format {
        ExportFormat::Csv => RowWriter::csv(out, fields).map_err(io_error)?,
        ExportFormat::Jsonl => RowWriter::json_lines(out, fields),
    };
    let mut failed = None;
    let mut write = |row: Vec<Value>| -> std::result::Result<(), DataError> {
        writer.write(&row).map_err(|e| {
            failed = Some(e);
            DataError::Cancelled
        })
    };
    let read = match &args.command {
        ExportCommand::Leads(filter) => {
            let selection = select::resolve(store, filter, 0).await?;
            store.export_leads(&selection, &mut write).await
        }
        ExportCommand::Tasks => store.each_task(&mut write).await,
        ExportCommand::Interactions => store.each_interaction(&mut write).await,
    };
    if let Some(e) = failed {
        return Err(io_error(e));
    }
    read?;
    writer.finish().map_err(io_error)
}
