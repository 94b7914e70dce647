//! Configuration: `~/.config/closer/config.toml` (see `config.example.toml`).
//!
//! Every key is optional; a missing file means the defaults. Unknown keys
//! are errors, and every error renders as `<file>:<line>:<column>: <message>`.
//! There is deliberately no `password` key: passwords come from
//! `PGPASSWORD`, `~/.pgpass` or the interactive prompt.

pub mod keymap;
pub mod paths;
pub mod theme;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;

pub use keymap::{Command, KeySpec, Keymap, KeysSection, Scope};
pub use theme::Theme;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

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
struct Source<'a> {
    text: &'a str,
    file: &'a str,
}

impl Source<'_> {
    fn location(&self, span: std::ops::Range<usize>) -> Location {
        Location::from_offset(self.text, span.start)
    }

    fn error(
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
    fn password_error(&self, value_span: std::ops::Range<usize>) -> ConfigError {
        let start = key_start_before(self.text, value_span.start);
        self.error(
            ConfigErrorKind::Password,
            Some(start..start),
            "`password` is not supported in the config file: closer never stores \
             passwords; they come from PGPASSWORD, ~/.pgpass or the password prompt",
        )
    }

    fn toml_error(&self, err: &toml::de::Error) -> ConfigError {
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

// ---------------------------------------------------------------------------
// Public configuration
// ---------------------------------------------------------------------------

/// `[connection]`. Unset values fall back to the libpq environment
/// (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, ...) and defaults. The
/// password is never part of the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// Host name or socket directory.
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub sslmode: Option<SslMode>,
    pub ssl_root_cert: Option<PathBuf>,
    /// Default `"closer"`.
    pub application_name: String,
    /// Default 15000; 0 disables the timeout.
    pub statement_timeout_ms: u64,
    /// Set when host/port point at a pooler (PgBouncer): where the one LISTEN connection goes
    /// instead (PostgreSQL itself); its port defaults to `port`.
    pub listen_host: Option<String>,
    pub listen_port: Option<u16>,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            host: None,
            port: None,
            database: None,
            user: None,
            sslmode: None,
            ssl_root_cert: None,
            application_name: "closer".to_owned(),
            statement_timeout_ms: 15_000,
            listen_host: None,
            listen_port: None,
        }
    }
}

/// `connection.sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// The libpq spelling (`verify-full`).
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ui.start_screen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartScreen {
    #[default]
    Board,
    Inbox,
}

/// `ui.board_sort`: order of the cards in a stage column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardSort {
    #[default]
    Score,
    LastContact,
    Newest,
}

impl BoardSort {
    /// The next order for `cycle_sort`.
    pub fn next(self) -> BoardSort {
        match self {
            BoardSort::Score => BoardSort::LastContact,
            BoardSort::LastContact => BoardSort::Newest,
            BoardSort::Newest => BoardSort::Score,
        }
    }

    /// Short label for the board header.
    pub fn label(self) -> &'static str {
        match self {
            BoardSort::Score => "score",
            BoardSort::LastContact => "last contact",
            BoardSort::Newest => "newest",
        }
    }
}

/// `[ui]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiConfig {
    /// A lead without contact for this many days is stale. Default 14.
    pub stale_after_days: u32,
    pub start_screen: StartScreen,
    pub board_sort: BoardSort,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            stale_after_days: 14,
            start_screen: StartScreen::default(),
            board_sort: BoardSort::default(),
        }
    }
}

/// The whole configuration, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub connection: ConnectionConfig,
    pub ui: UiConfig,
    /// Configured colours; draw with `theme.resolve(no_color)`.
    pub theme: Theme,
    /// Default bindings with the user's `[keys]` applied.
    pub keymap: Keymap,
    /// The file the configuration came from; `None` when the defaults were
    /// used because there was no file.
    pub source: Option<PathBuf>,
}

impl Config {
    /// Loads `path`, or [`paths::config_file`] when `None`. A missing file
    /// gives the defaults (with `source == None`).
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => match paths::config_file() {
                Some(p) => p,
                None => return Ok(Config::default()),
            },
        };
        let label = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError {
                    file: label,
                    location: None,
                    kind: ConfigErrorKind::Io,
                    message: format!("cannot read the config file: {e}"),
                });
            }
        };
        let mut config = Config::from_toml_str(&text, &label)?;
        config.source = Some(path);
        Ok(config)
    }

    /// Parses and validates `text`; `file_label` is used in error messages.
    pub fn from_toml_str(text: &str, file_label: &str) -> Result<Config, ConfigError> {
        let src = Source {
            text,
            file: file_label,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| src.toml_error(&e))?;

        if let Some(password) = raw.password.as_ref().or(raw.connection.password.as_ref()) {
            return Err(src.password_error(password.span()));
        }

        let connection = raw.connection.validate(&src)?;
        let ui = raw.ui.validate(&src)?;
        let theme = raw.theme.validate(&src)?;
        let keys = raw.keys.into_section(&src);
        let keymap = Keymap::from_config(&keys)?;
        Ok(Config {
            connection,
            ui,
            theme,
            keymap,
            source: None,
        })
    }
}

// ---------------------------------------------------------------------------
// Raw (as parsed) structures
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    /// Only to reject it with a helpful message.
    password: Option<Spanned<IgnoredAny>>,
    connection: RawConnection,
    ui: RawUi,
    theme: RawTheme,
    keys: RawKeys,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConnection {
    host: Option<String>,
    port: Option<Spanned<u16>>,
    database: Option<String>,
    user: Option<String>,
    sslmode: Option<SslMode>,
    ssl_root_cert: Option<PathBuf>,
    application_name: Option<String>,
    statement_timeout_ms: Option<u64>,
    listen_host: Option<String>,
    listen_port: Option<u16>,
    /// Only to reject it with a helpful message.
    password: Option<Spanned<IgnoredAny>>,
}

impl RawConnection {
    fn validate(self, src: &Source<'_>) -> Result<ConnectionConfig, ConfigError> {
        if let Some(port) = &self.port
            && *port.get_ref() == 0
        {
            return Err(src.error(
                ConfigErrorKind::InvalidValue,
                Some(port.span()),
                "port must be between 1 and 65535",
            ));
        }
        let defaults = ConnectionConfig::default();
        Ok(ConnectionConfig {
            host: self.host,
            port: self.port.map(Spanned::into_inner),
            database: self.database,
            user: self.user,
            sslmode: self.sslmode,
            ssl_root_cert: self.ssl_root_cert,
            application_name: self.application_name.unwrap_or(defaults.application_name),
            statement_timeout_ms: self
                .statement_timeout_ms
                .unwrap_or(defaults.statement_timeout_ms),
            listen_host: self.listen_host,
            listen_port: self.listen_port,
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawUi {
    stale_after_days: Option<Spanned<u32>>,
    start_screen: Option<StartScreen>,
    board_sort: Option<BoardSort>,
}

impl RawUi {
    fn validate(self, src: &Source<'_>) -> Result<UiConfig, ConfigError> {
        let defaults = UiConfig::default();
        let stale_after_days = match self.stale_after_days {
            Some(days) if *days.get_ref() == 0 => {
                return Err(src.error(
                    ConfigErrorKind::InvalidValue,
                    Some(days.span()),
                    "stale_after_days must be at least 1",
                ));
            }
            Some(days) => days.into_inner(),
            None => defaults.stale_after_days,
        };
        Ok(UiConfig {
            stale_after_days,
            start_screen: self.start_screen.unwrap_or(defaults.start_screen),
            board_sort: self.board_sort.unwrap_or(defaults.board_sort),
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawTheme {
    accent: Option<Spanned<String>>,
    selected_bg: Option<Spanned<String>>,
    selected_fg: Option<Spanned<String>>,
    overdue: Option<Spanned<String>>,
    stale: Option<Spanned<String>>,
    muted: Option<Spanned<String>>,
    error: Option<Spanned<String>>,
    ok: Option<Spanned<String>>,
    border: Option<Spanned<String>>,
}

impl RawTheme {
    fn validate(self, src: &Source<'_>) -> Result<Theme, ConfigError> {
        let mut theme = Theme::default();
        let entries = [
            ("accent", self.accent),
            ("selected_bg", self.selected_bg),
            ("selected_fg", self.selected_fg),
            ("overdue", self.overdue),
            ("stale", self.stale),
            ("muted", self.muted),
            ("error", self.error),
            ("ok", self.ok),
            ("border", self.border),
        ];
        for (key, value) in entries {
            let Some(value) = value else { continue };
            let color = theme::parse_color(value.get_ref()).map_err(|message| {
                src.error(
                    ConfigErrorKind::InvalidValue,
                    Some(value.span()),
                    format!("theme.{key}: {message}"),
                )
            })?;
            theme.set(key, color);
        }
        Ok(theme)
    }
}

#[derive(Deserialize, Default)]
#[serde(transparent)]
struct RawKeys(BTreeMap<Spanned<String>, Spanned<RawKeyList>>);

impl RawKeys {
    fn into_section(self, src: &Source<'_>) -> KeysSection {
        let mut entries: Vec<_> = self.0.into_iter().collect();
        entries.sort_by_key(|(name, _)| name.span().start);
        let entries = entries
            .into_iter()
            .map(|(name, list)| {
                let list_span = list.span();
                let keys = match list.into_inner() {
                    RawKeyList::One(key) => vec![keymap::Located {
                        value: key,
                        location: Some(src.location(list_span)),
                    }],
                    RawKeyList::Many(keys) => keys
                        .into_iter()
                        .map(|k| keymap::Located {
                            location: Some(src.location(k.span())),
                            value: k.into_inner(),
                        })
                        .collect(),
                };
                keymap::KeyBindingEntry {
                    command: keymap::Located {
                        location: Some(src.location(name.span())),
                        value: name.into_inner(),
                    },
                    keys,
                }
            })
            .collect();
        KeysSection {
            file: src.file.to_owned(),
            entries,
        }
    }
}

/// `command = "key"` or `command = ["key", ...]`.
enum RawKeyList {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawKeyList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawKeyList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a list of keys such as ["j", "down"] (or a single key)"#)
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawKeyList, E> {
                Ok(RawKeyList::One(v.to_owned()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawKeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<Spanned<String>>()? {
                    keys.push(key);
                }
                Ok(RawKeyList::Many(keys))
            }
        }

        deserializer.deserialize_any(Visitor)
    }
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

    #[test]
    fn empty_config_is_default() {
        let config = Config::from_toml_str("", "test.toml").expect("empty is valid");
        assert_eq!(config, Config::default());
    }
}
