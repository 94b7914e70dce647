//! Configuration: `~/.config/closer/config.toml` (see `config.example.toml`).
//!
//! Every key is optional; a missing file means the defaults. Unknown keys
//! are errors, and every error renders as `<file>:<line>:<column>: <message>`.
//! There is deliberately no `password` key: passwords come from
//! `PGPASSWORD`, `~/.pgpass` or the interactive prompt.

pub mod error;
pub mod keymap;
pub mod paths;
pub mod theme;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;

pub(crate) use error::Source;
pub use error::{ConfigError, ConfigErrorKind, Location};
pub use keymap::{Command, KeySpec, Keymap, KeysSection, Scope};
pub use theme::Theme;

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
    theme: theme::RawTheme,
    keys: keymap::RawKeys,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_default() {
        let config = Config::from_toml_str("", "test.toml").expect("empty is valid");
        assert_eq!(config, Config::default());
    }
}
