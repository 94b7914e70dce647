//! Documents: recording one (metadata only; the file stays where it is) and turning what a rep
//! typed (a link or a local path) into that metadata.

use uuid::Uuid;

use super::{DocumentType, NewDocument};
use crate::data::DataError;
use crate::data::store::PgStore;
use crate::data::validate::{check_no_nul, invalid, optional_text, show_char};

type Result<T> = std::result::Result<T, DataError>;

const ADD_DOCUMENT_SQL: &str = "select id from closer.add_document($1, $2, $3, $4, $5, $6, $7)";

impl PgStore {
    /// Records a document's metadata (the file stays where it is) with a `document_added`
    /// activity. Returns the document's id.
    pub async fn add_document(&self, lead_id: Uuid, document: NewDocument) -> Result<Uuid> {
        let file_name = document.file_name.trim();
        if file_name.is_empty() {
            return Err(invalid("A document needs a file name"));
        }
        if file_name.chars().count() > 500 {
            return Err(invalid("A file name can be at most 500 characters"));
        }
        check_no_nul("The file name", file_name)?;
        let url = document.file_url.trim();
        if url.is_empty() {
            return Err(invalid("A document needs a link or a file path"));
        }
        if url.chars().count() > 4000 {
            return Err(invalid("A link can be at most 4000 characters"));
        }
        if let Some(c) = url.chars().find(|c| c.is_control()) {
            return Err(invalid(format!(
                "A link cannot contain control characters (found {})",
                show_char(c)
            )));
        }
        if document.file_size.is_some_and(|s| s < 0) {
            return Err(invalid("A file size cannot be negative"));
        }
        let file_type = optional_text("The file type", document.file_type, 200)?;
        let id: Option<Uuid> = sqlx::query_scalar(ADD_DOCUMENT_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(file_name)
            .bind(url)
            .bind(file_type)
            .bind(document.file_size)
            .bind(document.document_type)
            .fetch_optional(self.pool())
            .await?;
        id.ok_or(DataError::NotFound)
    }
}

impl NewDocument {
    /// Document metadata from what a rep typed: a link (`scheme://…`) is kept as is; a local path
    /// (`~/` expanded, relative to the current directory) must be an existing file and becomes a
    /// `file://` URL with its size read from disk. The file type is guessed from the extension.
    pub async fn from_location(location: &str, document_type: DocumentType) -> Result<NewDocument> {
        let location = location.trim();
        if location.is_empty() {
            return Err(invalid("A document needs a link or a file path"));
        }
        if is_url(location) {
            let path = location.split(['?', '#']).next().unwrap_or(location);
            let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
            let file_name = after_scheme
                .rsplit('/')
                .find(|segment| !segment.is_empty())
                .unwrap_or(after_scheme)
                .to_owned();
            return Ok(NewDocument {
                file_type: guess_file_type(&file_name),
                file_name,
                file_url: location.to_owned(),
                file_size: None,
                document_type,
            });
        }
        let shown = crate::text::clean_line(location).into_owned();
        let mut path = match location.strip_prefix("~/") {
            Some(rest) => match std::env::var_os("HOME") {
                Some(home) => std::path::PathBuf::from(home).join(rest),
                None => return Err(invalid("Cannot expand ~: HOME is not set")),
            },
            None => std::path::PathBuf::from(location),
        };
        if path.is_relative() {
            let here = std::env::current_dir()
                .map_err(|e| invalid(format!("Cannot resolve {shown}: {e}")))?;
            path = here.join(path);
        }
        let path = tokio::fs::canonicalize(&path)
            .await
            .map_err(|e| invalid(format!("No file at {shown} ({e})")))?;
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| invalid(format!("Cannot read {shown} ({e})")))?;
        if !meta.is_file() {
            return Err(invalid(format!("{shown} is not a file")));
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        Ok(NewDocument {
            file_type: guess_file_type(&file_name),
            file_name,
            file_url: file_url(&path),
            file_size: i64::try_from(meta.len()).ok(),
            document_type,
        })
    }
}

/// `scheme://…` with a plausible scheme.
fn is_url(text: &str) -> bool {
    match text.split_once("://") {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `file://` + the absolute path, percent-encoded byte by byte (unreserved characters and `/`
/// are kept).
fn file_url(path: &std::path::Path) -> String {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let mut url = String::from("file://");
    if bytes.first() != Some(&b'/') {
        url.push('/');
    }
    for b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

fn guess_file_type(file_name: &str) -> Option<String> {
    let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    let mime = match ext.as_str() {
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "odp" => "application/vnd.oasis.opendocument.presentation",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "zip" => "application/zip",
        _ => return None,
    };
    Some(mime.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_become_file_urls() {
        assert_eq!(
            file_url(std::path::Path::new("/tmp/Q3 offer #2 – ü.pdf")),
            "file:///tmp/Q3%20offer%20%232%20%E2%80%93%20%C3%BC.pdf"
        );
        assert!(is_url("https://example.com/a.pdf"));
        assert!(!is_url("/home/ann/a.pdf"));
        assert!(!is_url("://x"));
    }
}
