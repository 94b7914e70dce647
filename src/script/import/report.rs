//! What an import did (or, dry, would do): counts, then every rejected cell (row, column,
//! reason) and every skipped row. JSON carries everything; a table shows the first lines.

use std::io::{self, Write};

use serde_json::{Value, json};
use uuid::Uuid;

use super::rows::Rejection;
use crate::script::args::Format;
use crate::text::clean_line;

/// How many rejections and skips a table lists (JSON lists them all).
const TABLE_LINES: usize = 50;

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub dry_run: bool,
    /// Whether the rows were committed.
    pub written: bool,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skips: Vec<Skip>,
    pub rejections: Vec<Rejection>,
    pub ignored_columns: Vec<String>,
    pub rejects_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub row: usize,
    pub reason: String,
    /// The lead it duplicates, when that lead is already in Closer.
    pub lead_id: Option<Uuid>,
}

impl Report {
    /// Rows rejected (a row with several bad cells counts once).
    pub fn rejected(&self) -> usize {
        let mut rows: Vec<usize> = self.rejections.iter().map(|r| r.row).collect();
        rows.dedup();
        rows.len()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "dry_run": self.dry_run,
            "written": self.written,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skips.len(),
            "rejected": self.rejected(),
            "rejections": self.rejections.iter().map(|r| json!({
                "row": r.row, "column": r.column, "reason": r.reason,
            })).collect::<Vec<_>>(),
            "skips": self.skips.iter().map(|s| json!({
                "row": s.row, "reason": s.reason, "lead_id": s.lead_id,
            })).collect::<Vec<_>>(),
            "ignored_columns": self.ignored_columns,
            "rejects_file": self.rejects_file,
        })
    }

    pub fn write(&self, out: &mut dyn Write, format: Format) -> io::Result<()> {
        if format != Format::Table {
            serde_json::to_writer(&mut *out, &self.to_json())?;
            return out.write_all(b"\n");
        }
        let verb = if self.dry_run { "would be " } else { "" };
        writeln!(
            out,
            "{}created {}, updated {}, unchanged {}, skipped {}, rejected {}",
            if self.dry_run { "dry run: " } else { "" },
            self.created,
            self.updated,
            self.unchanged,
            self.skips.len(),
            self.rejected()
        )?;
        for r in self.rejections.iter().take(TABLE_LINES) {
            let column = if r.column.is_empty() {
                String::new()
            } else {
                format!(", column {:?}", clean_line(&r.column))
            };
            writeln!(
                out,
                "row {}{column}: {verb}rejected: {}",
                r.row,
                clean_line(&r.reason)
            )?;
        }
        for s in self.skips.iter().take(TABLE_LINES) {
            writeln!(
                out,
                "row {}: {verb}skipped: {}",
                s.row,
                clean_line(&s.reason)
            )?;
        }
        let more = self.rejections.len().saturating_sub(TABLE_LINES)
            + self.skips.len().saturating_sub(TABLE_LINES);
        if more > 0 {
            writeln!(out, "… and {more} more (--format json lists every row)")?;
        }
        if !self.ignored_columns.is_empty() {
            let names: Vec<String> = self
                .ignored_columns
                .iter()
                .map(|c| clean_line(c).into_owned())
                .collect();
            writeln!(
                out,
                "not imported (use --map \"Column=field\"): {}",
                names.join(", ")
            )?;
        }
        if let Some(path) = &self.rejects_file {
            writeln!(out, "rejected rows written to {}", clean_line(path))?;
        }
        Ok(())
    }
}
