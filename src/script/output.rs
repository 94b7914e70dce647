//! The one way scripting commands print rows: a table on a terminal (control characters
//! stripped, long cells cut), JSON otherwise (exact: every field, the stored text as is), or CSV.
//! Field names are part of the interface: they only ever gain new names, never rename.

use std::io::{self, IsTerminal, Write};

use serde_json::Value;
use unicode_width::UnicodeWidthChar;

use super::args::Format;
use crate::text::clean_line;

/// Widest a table cell gets (display columns) before it is cut with `…`.
const MAX_CELL: usize = 40;

/// `--format`, else a table when standard output is a terminal, else JSON.
pub fn resolve(format: Option<Format>) -> Format {
    format.unwrap_or_else(|| {
        if io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        }
    })
}

/// Rows of named fields: a JSON array of objects, a CSV with a header, or a table (`table_fields`
/// picks the columns a person wants to see; JSON and CSV always carry every field).
pub fn write_rows(
    out: &mut dyn Write,
    format: Format,
    fields: &[&str],
    table_fields: &[&str],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    match format {
        Format::Json => {
            out.write_all(b"[")?;
            for (n, row) in rows.iter().enumerate() {
                if n > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(b"\n  ")?;
                write_object(out, fields, row)?;
            }
            out.write_all(if rows.is_empty() { b"]\n" } else { b"\n]\n" })
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(fields)?;
            for row in rows {
                csv.write_record(row.iter().map(csv_cell))?;
            }
            csv.flush()
        }
        Format::Table => {
            let picked: Vec<usize> = table_fields
                .iter()
                .filter_map(|f| fields.iter().position(|g| g == f))
                .collect();
            let header: Vec<String> = picked.iter().map(|&i| fields[i].to_owned()).collect();
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    picked
                        .iter()
                        .map(|&i| table_cell(row.get(i).unwrap_or(&Value::Null)))
                        .collect()
                })
                .collect();
            write_table(out, &header, &body)
        }
    }
}

/// One record: a JSON object, a one-row CSV, or `field  value` lines.
pub fn write_one(
    out: &mut dyn Write,
    format: Format,
    fields: &[&str],
    row: &[Value],
) -> io::Result<()> {
    match format {
        Format::Json => {
            write_object(out, fields, row)?;
            out.write_all(b"\n")
        }
        Format::Csv => write_rows(out, format, fields, fields, &[row.to_vec()]),
        Format::Table => {
            let width = fields.iter().map(|f| f.len()).max().unwrap_or(0);
            for (field, value) in fields.iter().zip(row) {
                writeln!(out, "{field:<width$}  {}", table_text(value))?;
            }
            Ok(())
        }
    }
}

/// A JSON object with the fields in their declared order.
pub fn write_object(out: &mut dyn Write, fields: &[&str], row: &[Value]) -> io::Result<()> {
    out.write_all(b"{")?;
    for (n, (field, value)) in fields.iter().zip(row).enumerate() {
        if n > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, field)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, value)?;
    }
    out.write_all(b"}")
}

/// A CSV cell: text as stored, nothing for null, lists joined with `;` (how import splits tags).
pub fn csv_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    }
}

/// A cell as a person reads it: one line, no control characters, at most [`MAX_CELL`] wide.
fn table_cell(value: &Value) -> String {
    let text = table_text(value);
    let mut width = 0;
    let mut cut = String::new();
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if width + w > MAX_CELL {
            cut.pop();
            cut.push('…');
            return cut;
        }
        width += w;
        cut.push(c);
    }
    cut
}

fn table_text(value: &Value) -> String {
    clean_line(&csv_cell(value)).into_owned()
}

fn display_width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

fn write_table(out: &mut dyn Write, header: &[String], body: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for row in body {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(display_width(cell));
        }
    }
    let line = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
        let last = cells.len().saturating_sub(1);
        for (n, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            out.write_all(cell.as_bytes())?;
            if n < last {
                let pad = w.saturating_sub(display_width(cell)) + 2;
                write!(out, "{:pad$}", "")?;
            }
        }
        out.write_all(b"\n")
    };
    let upper: Vec<String> = header.iter().map(|h| h.to_uppercase()).collect();
    line(out, &upper)?;
    for row in body {
        line(out, row)?;
    }
    Ok(())
}

/// Export and streaming lists: one row at a time (constant memory), CSV or JSON Lines.
pub struct RowWriter<W: Write> {
    fields: Vec<&'static str>,
    kind: Sink<W>,
}

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Lines(W),
}

impl<W: Write> RowWriter<W> {
    pub fn csv(out: W, fields: &[&'static str]) -> io::Result<Self> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(fields)?;
        Ok(RowWriter {
            fields: fields.to_vec(),
            kind: Sink::Csv(Box::new(csv)),
        })
    }

    pub fn json_lines(out: W, fields: &[&'static str]) -> Self {
        RowWriter {
            fields: fields.to_vec(),
            kind: Sink::Lines(out),
        }
    }

    pub fn write(&mut self, row: &[Value]) -> io::Result<()> {
        match &mut self.kind {
            Sink::Csv(csv) => Ok(csv.write_record(row.iter().map(csv_cell))?),
            Sink::Lines(out) => {
                write_object(out, &self.fields, row)?;
                out.write_all(b"\n")
            }
        }
    }

    pub fn finish(self) -> io::Result<()> {
        match self.kind {
            Sink::Csv(mut csv) => csv.flush(),
            Sink::Lines(mut out) => out.flush(),
        }
    }
}
