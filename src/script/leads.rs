//! `closer leads list|show|create|update|move|assign|delete` and `closer pipelines`.

use std::io::Write;

use serde_json::{Value, json};

use super::args::{Format, LeadFields, LeadsArgs, LeadsCommand, OutputArgs};
use super::output::{self, RowWriter};
use super::select::{self, pipeline_named, stage_named};
use super::{Fail, Result, io_error, parse_id};
use crate::data::PgStore;
use crate::data::lead::{LeadEdit, NewLead, UpdateOutcome};
use crate::data::script::LEAD_FIELDS;
use crate::data::{DataError, script::LeadSelection};

/// What a table shows of a lead (JSON and CSV carry every field of [`LEAD_FIELDS`]).
pub const LEAD_TABLE_FIELDS: [&str; 7] = [
    "id",
    "name",
    "company",
    "stage",
    "owner_name",
    "score",
    "email",
];

/// `leads list` without `--limit`.
const DEFAULT_LIST_LIMIT: u64 = 1000;

pub async fn run(store: &PgStore, args: LeadsArgs) -> Result<()> {
    let format = output::resolve(args.output.format);
    let mut out = std::io::stdout().lock();
    match args.command {
        LeadsCommand::List(filter) => {
            let selection = select::resolve(store, &filter, DEFAULT_LIST_LIMIT).await?;
            list(store, &selection, format, &mut out).await
        }
        LeadsCommand::Show { id } => {
            let id = parse_id("lead", &id)?;
            show(store, id, format, &mut out).await
        }
        LeadsCommand::Create(fields) => {
            let id = create(store, fields).await?;
            show(store, id, format, &mut out).await
        }
        LeadsCommand::Update { id, fields } => {
            let id = parse_id("lead", &id)?;
            let edit = edit_of(store, &fields).await?;
            save(store, id, edit).await?;
            show(store, id, format, &mut out).await
        }
        LeadsCommand::Move { id, stage, reason } => {
            let id = parse_id("lead", &id)?;
            let lead = store.lead_detail(id).await?;
            let pipeline = store
                .pipelines()
                .await?
                .into_iter()
                .map(|p| p.id)
                .collect::<Vec<_>>();
            let mut target = None;
            for pipeline in pipeline {
                let stages = store.stages(pipeline).await?;
                if stages.iter().any(|s| s.id == lead.stage_id) {
                    target = Some(stage_named(&stages, &stage)?.id);
                }
            }
            let to = target.ok_or(DataError::NotFound)?;
            store.move_lead(id, lead.stage_id, to, reason).await?;
            show(store, id, format, &mut out).await
        }
        LeadsCommand::Assign { id, owner } => {
            let id = parse_id("lead", &id)?;
            let owner = select::member(&store.members().await?, &owner, store)?;
            let edit = LeadEdit {
                assigned_to: Some(Some(owner)),
                ..LeadEdit::default()
            };
            save(store, id, edit).await?;
            show(store, id, format, &mut out).await
        }
        LeadsCommand::Delete { id } => {
            let id = parse_id("lead", &id)?;
            store.delete_lead(id).await?;
            output::write_one(
                &mut out,
                format,
                &["id", "deleted"],
                &[json!(id), json!(true)],
            )
            .map_err(io_error)
        }
    }
}

/// Streams JSON and CSV row by row (the first line comes as soon as PostgreSQL sends it); a
/// table waits for every row to size its columns.
pub async fn list(
    store: &PgStore,
    selection: &LeadSelection,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Table => {
            let mut rows = Vec::new();
            store
                .each_lead(selection, true, |row| {
                    rows.push(row);
                    Ok(())
                })
                .await?;
            output::write_rows(out, format, &LEAD_FIELDS, &LEAD_TABLE_FIELDS, &rows)
                .map_err(io_error)
        }
        Format::Csv => {
            let mut writer = RowWriter::csv(&mut *out, &LEAD_FIELDS).map_err(io_error)?;
            stream(store, selection, |row| writer.write(&row)).await?;
            writer.finish().map_err(io_error)
        }
        Format::Json => {
            out.write_all(b"[").map_err(io_error)?;
            let mut first = true;
            stream(store, selection, |row| {
                out.write_all(if first { b"\n  " } else { b",\n  " })?;
                first = false;
                output::write_object(out, &LEAD_FIELDS, &row)?;
                out.flush()
            })
            .await?;
            let end: &[u8] = if first { b"]\n" } else { b"\n]\n" };
            out.write_all(end).map_err(io_error)
        }
    }
}

/// Runs `write` on every selected lead in name order; a failed write ends the read.
async fn stream(
    store: &PgStore,
    selection: &LeadSelection,
    mut write: impl FnMut(Vec<Value>) -> std::io::Result<()>,
) -> Result<()> {
    let mut failed = None;
    let read = store
        .each_lead(selection, true, |row| {
            write(row).map_err(|e| {
                failed = Some(e);
                DataError::Cancelled
            })
        })
        .await;
    match (failed, read) {
        (Some(e), _) => Err(io_error(e)),
        (None, read) => read.map(drop).map_err(Fail::from),
    }
}

async fn show(store: &PgStore, id: uuid::Uuid, format: Format, out: &mut dyn Write) -> Result<()> {
    let row = store.lead_row(id).await?;
    output::write_one(out, format, &LEAD_FIELDS, &row).map_err(io_error)
}

async fn create(store: &PgStore, fields: LeadFields) -> Result<uuid::Uuid> {
    let name = fields
        .name
        .clone()
        .ok_or_else(|| Fail::bad_input("a new lead needs --name"))?;
    let pipelines = store.pipelines().await?;
    let pipeline = match &fields.pipeline {
        Some(name) => pipeline_named(&pipelines, name)?,
        None => pipelines
            .iter()
            .find(|p| p.is_default)
            .or(pipelines.first())
            .ok_or_else(|| Fail::bad_input("this organization has no pipeline"))?,
    };
    let stages = store.stages(pipeline.id).await?;
    let stage = match &fields.stage {
        Some(name) => stage_named(&stages, name)?,
        None => stages
            .first()
            .ok_or_else(|| Fail::bad_input("that pipeline has no stages"))?,
    };
    let assigned_to = match &fields.owner {
        Some(who) => Some(select::member(&store.members().await?, who, store)?),
        None => None,
    };
    let id = store
        .create_lead(NewLead {
            name,
            email: fields.email.clone(),
            phone: fields.phone.clone(),
            company: fields.company.clone(),
            stage_id: stage.id,
            assigned_to,
        })
        .await?;
    // What create_lead does not take (score, source, job title) is one version-checked update.
    let rest = LeadFields {
        score: fields.score,
        source: fields.source,
        job_title: fields.job_title,
        ..LeadFields::default()
    };
    let edit = edit_of(store, &rest).await?;
    if edit != LeadEdit::default() {
        save(store, id, edit).await?;
    }
    Ok(id)
}

/// The fields given on the command line as an edit (create-only flags are refused here).
async fn edit_of(_store: &PgStore, fields: &LeadFields) -> Result<LeadEdit> {
    if fields.stage.is_some() || fields.pipeline.is_some() || fields.owner.is_some() {
        return Err(Fail::bad_input(
            "use `closer leads move` for the stage and `closer leads assign` for the owner",
        ));
    }
    let text = |v: &Option<String>| v.as_ref().map(|s| Some(s.clone()));
    Ok(LeadEdit {
        name: fields.name.clone(),
        email: text(&fields.email),
        phone: text(&fields.phone),
        company: text(&fields.company),
        score: fields.score,
        source: text(&fields.source),
        job_title: text(&fields.job_title),
        ..LeadEdit::default()
    })
}

/// A version-checked save at the version just read; a teammate's save in between is a conflict.
async fn save(store: &PgStore, id: uuid::Uuid, edit: LeadEdit) -> Result<()> {
    let lead = store.lead_detail(id).await?;
    match store.update_lead(id, lead.version, edit).await? {
        UpdateOutcome::Saved { .. } => Ok(()),
        UpdateOutcome::Conflict { .. } => Err(DataError::Conflict.into()),
    }
}

pub async fn pipelines(store: &PgStore, args: OutputArgs) -> Result<()> {
    let format = output::resolve(args.format);
    let fields = [
        "pipeline_id",
        "pipeline",
        "is_default",
        "stage_id",
        "stage",
        "position",
        "is_won",
        "is_lost",
        "color",
    ];
    let mut rows = Vec::new();
    for pipeline in store.pipelines().await? {
        for stage in store.stages(pipeline.id).await? {
            rows.push(vec![
                json!(pipeline.id),
                json!(pipeline.name),
                json!(pipeline.is_default),
                json!(stage.id),
                json!(stage.name),
                json!(stage.order_index),
                json!(stage.is_won),
                json!(stage.is_lost),
                json!(stage.color),
            ]);
        }
    }
    let table = [
        "pipeline", "stage", "position", "is_won", "is_lost", "stage_id",
    ];
    let mut out = std::io::stdout().lock();
    output::write_rows(&mut out, format, &fields, &table, &rows).map_err(io_error)
}
