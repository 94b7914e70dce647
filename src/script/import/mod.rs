//! `closer import leads FILE`: read (`read`), map headers (`map`), check every cell (`rows`),
//! resolve stages and owners by name, drop duplicates inside the file, then write everything in
//! one transaction through `closer.import_leads` (`data::import`), and report per row.
//!
//! All or nothing by default: one rejected row and nothing is written (exit 2). `--partial`
//! writes the accepted rows and puts the rejected ones, with a `closer_error` column, in a CSV
//! that imports again once fixed (the column is ignored). Re-importing a file changes nothing:
//! every row then matches the lead it created (id, external id, e-mail, phone or name).

mod map;
mod read;
mod report;
mod rows;

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::args::{ImportArgs, ImportCommand, ImportLeadsArgs, OnDuplicate};
use super::select::{find_member, pipeline_named};
use super::{Fail, Result, output};
use crate::data::PgStore;
use crate::data::import::{ImportRow, ImportWrite};
use crate::data::models::Stage;
use crate::text::clean_line;
use report::{Report, Skip};
use rows::{Parsed, Rejection};

pub async fn run(store: &PgStore, args: ImportArgs) -> Result<()> {
    let format = output::resolve(args.output.format);
    let ImportCommand::Leads(args) = args.command;
    let report = import(store, &args).await?;
    let mut out = std::io::stdout().lock();
    report.write(&mut out, format).map_err(super::io_error)?;
    if report.rejected() > 0 && !args.partial {
        return Err(Fail::bad_input(format!(
            "{} row(s) rejected: nothing was imported (fix them, or use --partial)",
            report.rejected()
        )));
    }
    Ok(())
}

/// Everything but printing: the report of what was (or, with --dry-run, would be) done.
pub async fn import(store: &PgStore, args: &ImportLeadsArgs) -> Result<Report> {
    let data = std::fs::read(&args.file).map_err(|e| {
        Fail::bad_input(format!(
            "cannot read {}: {e}",
            clean_line(&args.file.display().to_string())
        ))
    })?;
    let table = read::read(&data)?;
    drop(data);
    let fields = map::map_headers(&table.headers, &args.maps)?;
    let mut report = Report {
        dry_run: args.dry_run,
        ignored_columns: table
            .headers
            .iter()
            .zip(&fields)
            .filter(|(_, f)| f.is_none())
            .map(|(h, _)| h.clone())
            .collect(),
        ..Report::default()
    };
    let progress = Progress::new(table.records.len());

    let names = Names::load(store, args.pipeline.as_deref()).await?;
    let mut accepted: Vec<ImportRow> = Vec::with_capacity(table.records.len());
    let mut rejected: Vec<(usize, Vec<Rejection>)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, record) in &table.records {
        let checked = rows::parse(*row, record, &table.headers, &fields)
            .and_then(|parsed| names.resolve(*row, parsed));
        let checked = match checked {
            Ok(checked) => checked,
            Err(reasons) => {
                report.rejections.extend(reasons.iter().cloned());
                rejected.push((*row, reasons));
                continue;
            }
        };
        let keys = duplicate_keys(&checked, args.on_duplicate);
        if let Some((why, first)) = keys
            .iter()
            .find_map(|(why, k)| seen.get(k).map(|r| (why, *r)))
        {
            report.skips.push(Skip {
                row: *row,
                reason: format!("same {why} as row {first}"),
                lead_id: None,
            });
            continue;
        }
        for (_, key) in keys {
            seen.insert(key, *row);
        }
        accepted.push(checked);
    }
    drop(seen);

    if !rejected.is_empty() && !args.partial {
        return Ok(report);
    }
    let write = if args.dry_run {
        ImportWrite::DryRun
    } else if args.partial {
        ImportWrite::Partial
    } else {
        ImportWrite::AllOrNothing
    };
    let outcomes = store
        .import_leads(
            &accepted,
            names.default_stage,
            args.on_duplicate.as_str(),
            write,
            |done| progress.tick(done),
        )
        .await?;
    progress.finish();
    let refused: Vec<(usize, Vec<Rejection>)> = outcomes
        .iter()
        .filter(|o| o.action == "rejected")
        .map(|o| {
            let row = usize::try_from(o.row_no).unwrap_or(0);
            (row, vec![names.refusal(row, &accepted, &table, &fields)])
        })
        .collect();
    // All or nothing: one rejection and the data layer rolled every batch back.
    let rolled_back = !refused.is_empty() && write == ImportWrite::AllOrNothing;
    report.written = write != ImportWrite::DryRun && !rolled_back;
    for (_, reasons) in &refused {
        report.rejections.extend(reasons.iter().cloned());
    }
    rejected.extend(refused);
    report.rejections.sort_by_key(|r| r.row);
    for outcome in outcomes.iter().filter(|_| !rolled_back) {
        let row = usize::try_from(outcome.row_no).unwrap_or(0);
        match outcome.action.as_str() {
            "created" => report.created += 1,
            "updated" => report.updated += 1,
            "unchanged" => report.unchanged += 1,
            "skipped" => report.skips.push(Skip {
                row,
                reason: "already in Closer".into(),
                lead_id: Some(outcome.lead_id),
            }),
            _ => {}
        }
    }
    report.skips.sort_by_key(|s| s.row);
    if write == ImportWrite::Partial && !rejected.is_empty() {
        let path = args
            .rejects
            .clone()
            .unwrap_or_else(|| rejects_path(&args.file));
        write_rejects(&path, &table, &rejected)?;
        report.rejects_file = Some(path.display().to_string());
    }
    Ok(report)
}

/// The keys a later row must not share with an earlier one (create mode: only ids).
fn duplicate_keys(row: &ImportRow, mode: OnDuplicate) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    if let Some(id) = row.id {
        keys.push(("id", format!("id:{id}")));
    }
    if let Some(ext) = &row.external_id {
        keys.push(("external id", format!("ext:{ext}")));
    }
    if mode == OnDuplicate::Create {
        return keys;
    }
    if let Some(email) = &row.email {
        keys.push(("e-mail", format!("email:{}", email.to_lowercase())));
    }
    if let Some(phone) = &row.phone {
        keys.push(("phone", format!("phone:{}", rows::phone_key(phone))));
    }
    if keys.is_empty() {
        keys.push(("name", format!("name:{}", row.name.to_lowercase())));
    }
    keys
}

/// The organization's pipelines, stages and members, to resolve names once per import.
struct Names {
    pipelines: Vec<(crate::data::models::Pipeline, Vec<Stage>)>,
    default_pipeline: Uuid,
    default_stage: Uuid,
    members: Vec<crate::data::script::Member>,
}

impl Names {
    async fn load(store: &PgStore, pipeline: Option<&str>) -> Result<Names> {
        let list = store.pipelines().await?;
        let chosen = match pipeline {
            Some(name) => pipeline_named(&list, name)?.id,
            None => list
                .iter()
                .find(|p| p.is_default)
                .or(list.first())
                .map(|p| p.id)
                .ok_or_else(|| Fail::bad_input("this organization has no pipeline"))?,
        };
        let mut pipelines = Vec::new();
        for p in list {
            let stages = store.stages(p.id).await?;
            pipelines.push((p, stages));
        }
        let default_stage = pipelines
            .iter()
            .find(|(p, _)| p.id == chosen)
            .and_then(|(_, s)| s.first())
            .map(|s| s.id)
            .ok_or_else(|| Fail::bad_input("the pipeline has no stages"))?;
        Ok(Names {
            pipelines,
            default_pipeline: chosen,
            default_stage,
            members: store.members().await?,
        })
    }

    fn resolve(
        &self,
        row: usize,
        parsed: Parsed,
    ) -> std::result::Result<ImportRow, Vec<Rejection>> {
        let Parsed {
            row: mut out,
            pipeline,
            stage,
            owner,
        } = parsed;
        let mut rejections = Vec::new();
        let mut reject = |column: &str, reason: String| {
            rejections.push(Rejection {
                row,
                column: column.to_owned(),
                reason,
            })
        };
        let mut pipeline_id = self.default_pipeline;
        if let Some((column, name)) = &pipeline {
            match self
                .pipelines
                .iter()
                .find(|(p, _)| p.name.eq_ignore_ascii_case(name))
            {
                Some((p, stages)) => {
                    pipeline_id = p.id;
                    out.stage_id = stages.first().map(|s| s.id);
                }
                None => reject(
                    column,
                    format!("there is no pipeline named {:?}", clean_line(name)),
                ),
            }
        }
        if let Some((column, name)) = &stage {
            let stages = self
                .pipelines
                .iter()
                .find(|(p, _)| p.id == pipeline_id)
                .map(|(_, s)| s.as_slice())
                .unwrap_or_default();
            match stages.iter().find(|s| s.name.eq_ignore_ascii_case(name)) {
                Some(s) => out.stage_id = Some(s.id),
                None => reject(
                    column,
                    format!(
                        "there is no stage named {:?} in this pipeline",
                        clean_line(name)
                    ),
                ),
            }
        }
        if let Some((column, who)) = &owner {
            match find_member(&self.members, who) {
                Some(id) => out.owner = Some(id),
                None => reject(
                    column,
                    format!(
                        "no member of this organization has the e-mail or name {:?}",
                        clean_line(who)
                    ),
                ),
            }
        }
        if rejections.is_empty() {
            Ok(out)
        } else {
            Err(rejections)
        }
    }
}

impl Names {
    /// Why the database rejected a row the client accepted: a lost lead without a reason,
    /// else a stage that left the organization meanwhile.
    fn refusal(
        &self,
        row: usize,
        accepted: &[ImportRow],
        table: &read::Table,
        fields: &[Option<map::Field>],
    ) -> Rejection {
        let column = |field: map::Field| {
            table
                .headers
                .iter()
                .zip(fields)
                .find(|(_, f)| **f == Some(field))
                .map_or(String::new(), |(h, _)| h.clone())
        };
        let lost = accepted
            .binary_search_by_key(&i32::try_from(row).unwrap_or(i32::MAX), |r| r.row_no)
            .ok()
            .and_then(|i| accepted.get(i))
            .and_then(|r| r.stage_id)
            .and_then(|id| {
                self.pipelines
                    .iter()
                    .flat_map(|(_, stages)| stages)
                    .find(|s| s.id == id && s.is_lost)
            });
        match lost {
            Some(stage) => Rejection {
                row,
                column: column(map::Field::Stage),
                reason: format!(
                    "a lead in {:?} needs a lost reason (a \"Lost reason\" column)",
                    clean_line(&stage.name)
                ),
            },
            None => Rejection {
                row,
                column: String::new(),
                reason: "the stage is not in this organization".into(),
            },
        }
    }
}

fn rejects_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".rejects.csv");
    file.with_file_name(name)
}

/// The rejected rows as they were, plus `closer_error` (ignored when the file comes back).
fn write_rejects(
    path: &Path,
    table: &read::Table,
    rejected: &[(usize, Vec<Rejection>)],
) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| {
        Fail::bad_input(format!("cannot write {}: {e}", path.display()))
    };
    let mut out = csv::Writer::from_path(path).map_err(|e| fail(&e))?;
    let mut header: Vec<&str> = table.headers.iter().map(String::as_str).collect();
    header.push("closer_error");
    out.write_record(&header).map_err(|e| fail(&e))?;
    let by_row: HashMap<usize, &Vec<Rejection>> =
        rejected.iter().map(|(r, why)| (*r, why)).collect();
    for (row, record) in &table.records {
        let Some(reasons) = by_row.get(row) else {
            continue;
        };
        let mut cells: Vec<String> = record
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        cells.resize(table.headers.len(), String::new());
        cells.push(
            reasons
                .iter()
                .map(|r| format!("{}: {}", r.column, r.reason))
                .collect::<Vec<_>>()
                .join("; "),
        );
        out.write_record(&cells).map_err(|e| fail(&e))?;
    }
    out.flush().map_err(|e| fail(&e))
}

/// Progress on standard error: a line redrawn in place on a terminal, plain lines otherwise.
struct Progress {
    total: usize,
    terminal: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn tick(&self, done: usize) {
        let mut err = std::io::stderr();
        let _ = if self.terminal {
            let width = 30;
            let filled = (done * width).checked_div(self.total).unwrap_or(width);
            write!(
                err,
                "\r[{}{}] {done}/{} rows",
                "#".repeat(filled),
                " ".repeat(width - filled.min(width)),
                self.total
            )
        } else {
            writeln!(err, "closer: imported {done} of {} rows", self.total)
        };
    }

    fn finish(&self) {
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}
