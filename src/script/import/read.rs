//! The file → header and records: UTF-8 with or without BOM, `,` `;` or tab detected from the
//! header line, quoted fields with newlines (the `csv` crate). Cells stay bytes until checked,
//! so a row that is not UTF-8 is rejected on its own instead of failing the file.

use csv::ByteRecord;

use super::super::{Fail, Result};

pub struct Table {
    pub headers: Vec<String>,
    /// (spreadsheet row number — the header is row 1 —, cells).
    pub records: Vec<(usize, ByteRecord)>,
}

/// The delimiter that splits the header line into the most columns (quotes respected).
pub fn detect_delimiter(data: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in data {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    candidates[best]
}

pub fn read(data: &[u8]) -> Result<Table> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Fail::bad_input("the file is empty"));
    }
    let delimiter = detect_delimiter(data);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(data);
    let headers = reader
        .byte_headers()
        .map_err(|e| Fail::bad_input(format!("cannot read the header line: {e}")))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    let mut records = Vec::new();
    let mut record = ByteRecord::new();
    // The header is row 1 and each record the next row (the csv crate skips blank lines, so
    // they are not counted); a quoted newline does not start a row, as in a spreadsheet.
    let mut row = 1;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                row += 1;
                // Rows of blank cells are not leads.
                if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                records.push((row, record.clone()));
            }
            Err(e) => {
                return Err(Fail::bad_input(format!(
                    "the file is not valid CSV after row {row}: {e}"
                )));
            }
        }
    }
    Ok(Table { headers, records })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_bom_and_quoted_newlines() {
        assert_eq!(detect_delimiter(b"a;b;c\n1,5;2;3"), b';');
        assert_eq!(detect_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(detect_delimiter(b"\"x;y\",b\n"), b',');
        let table = read(b"\xEF\xBB\xBFName;Notes\n\"Ada\";\"line one\nline two\"\n\nBob;x\n")
            .map_err(|f| f.message)
            .expect("reads");
        assert_eq!(table.headers, ["Name", "Notes"]);
        assert_eq!(table.records.len(), 2);
        assert_eq!(&table.records[0].1[1], b"line one\nline two");
        assert_eq!(table.records[1].0, 3, "record numbers, header = 1");
    }
}
