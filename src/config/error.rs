//! Configuration errors: positions in the file and messages that render as
//! `<file>:<line>:<column>: <message>`.

use std::fmt;

/// A 1-based position in the config file (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The position of byte `offset` in `text`.
    pub fn from_offset(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// What went wrong, for callers that want to branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Io,
    /// TOML syntax error, unknown key or wrong value type (from the parser).
    Toml,
    /// A `password` key: not supported on purpose.
    Password,
    /// A value that parses but is not acceptable (colour, range, ...).
    InvalidValue,
    /// A `[keys]` entry naming no command.
    UnknownCommand,
    /// A key spec that cannot be parsed.
    InvalidKey,
    /// One key bound to two commands active on the same screen.
    DuplicateBinding,
}

/// A configuration error. Displays as `<file>:<line>:<column>: <message>`
/// (or `<file>: <message>` when there is no position, e.g. I/O errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub location: Option<Location>,
    pub kind: ConfigErrorKind,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(Location { line, column }) => {
                write!(f, "{}:{line}:{column}: {}", self.file, self.message)
            }
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Turns byte spans into [`ConfigError`]s for one file.
pub(crate) struct Source<'a> {
    pub(crate) text: &'a str,
    pub(crate) file: &'a str,
}

impl Source<'_> {
    pub(crate) fn location(&self, span: std::ops::Range<usize>) -> Location {
        Location::from_offset(self.text, span.start)
    }

    pub(crate) fn error(
        &self,
        kind: ConfigErrorKind,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            location: span.map(|s| self.location(s)),
            kind,
            message: message.into(),
        }
    }

    /// The `password` key whose value starts at `value_span`, pointing at
    /// the key rather than at the (secret) value.
    pub(crate) fn password_error(&self, value_span: std::ops::Range<usize>) -> ConfigError {
        let start = key_start_before(self.text, value_span.start);
        self.error(
            ConfigErrorKind::Password,
            Some(start..start),
            "`password` is not supported in the config file: closer never stores \
             passwords; they come from PGPASSWORD, ~/.pgpass or the password prompt",
        )
    }

    pub(crate) fn toml_error(&self, err: &toml::de::Error) -> ConfigError {
        let message = err.message().trim().replace('\n', " ");
        self.error(ConfigErrorKind::Toml, err.span(), message)
    }
}

/// The start of the key in `key = value`, given the byte offset of the
/// value: skips back over `=` and blanks, then over the key (bare or
/// quoted). Falls back to `value_start` when the text does not look like
/// that.
fn key_start_before(text: &str, value_start: usize) -> usize {
    let Some(before) = text.get(..value_start) else {
        return value_start;
    };
    let Some(eq) = before.trim_end_matches([' ', '\t']).strip_suffix('=') else {
        return value_start;
    };
    let key = eq.trim_end_matches([' ', '\t']);
    let start = match key.chars().last() {
        Some(q @ ('"' | '\'')) => key[..key.len() - 1].rfind(q),
        Some(_) => key
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map(|i| i + 1)
            .or(Some(0)),
        None => None,
    };
    start.unwrap_or(value_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_to_locations() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(
            Location::from_offset(text, 0),
            Location { line: 1, column: 1 }
        );
        assert_eq!(
            Location::from_offset(text, 6),
            Location { line: 2, column: 1 }
        );
        // 'é' is two bytes but one column.
        assert_eq!(
            Location::from_offset(text, 9),
            Location { line: 2, column: 3 }
        );
        assert_eq!(
            Location::from_offset(text, 999),
            Location { line: 3, column: 1 }
        );
    }

    #[test]
    fn key_start_is_found() {
        let text = "[connection]\n  password = \"x\"\n";
        let value = text.find('"').expect("has a value");
        assert_eq!(
            key_start_before(text, value),
            text.find("password").expect("key")
        );
        let text = "connection.\"password\"=1";
        let value = text.find('1').expect("has a value");
        assert_eq!(
            key_start_before(text, value),
            text.find("\"password").expect("key")
        );
        assert_eq!(key_start_before("x", 0), 0);
    }
}
