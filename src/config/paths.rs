//! Where closer keeps its files.
//!
//! * the configuration file: `~/.config/closer/config.toml` on Linux (the
//!   platform config directory elsewhere), overridable with `CLOSER_CONFIG`;
//! * the data directory (log file, demo cluster, remembered state): the
//!   platform data directory (`~/.local/share/closer` on Linux), overridable
//!   with `CLOSER_DATA_DIR`.

use std::ffi::OsString;
use std::path::PathBuf;

use directories::ProjectDirs;

/// Environment variable overriding the configuration file path.
pub const CONFIG_ENV: &str = "CLOSER_CONFIG";
/// Environment variable overriding the data directory.
pub const DATA_DIR_ENV: &str = "CLOSER_DATA_DIR";

/// File name of the configuration file inside the config directory.
pub const CONFIG_FILE_NAME: &str = "config.toml";
/// File name of the remembered-state file inside the data directory.
pub const STATE_FILE_NAME: &str = "state.toml";
/// File name of the log file inside the data directory.
pub const LOG_FILE_NAME: &str = "closer.log";
/// Directory name of the demo cluster inside the data directory.
pub const DEMO_CLUSTER_DIR_NAME: &str = "demo-cluster";

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "closer")
}

/// A set, non-empty environment variable as a path.
fn env_path(name: &str) -> Option<PathBuf> {
    non_empty(std::env::var_os(name))
}

fn non_empty(value: Option<OsString>) -> Option<PathBuf> {
    value.filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The configuration file: `$CLOSER_CONFIG` if set, otherwise
/// `<config dir>/closer/config.toml`. `None` only when no home directory can
/// be determined and the variable is unset.
pub fn config_file() -> Option<PathBuf> {
    env_path(CONFIG_ENV).or_else(|| project_dirs().map(|d| d.config_dir().join(CONFIG_FILE_NAME)))
}

/// The data directory: `$CLOSER_DATA_DIR` if set, otherwise the platform
/// data directory for closer. Falls back to `<temp dir>/closer` when no home
/// directory can be determined. The directory is not created here.
pub fn data_dir() -> PathBuf {
    env_path(DATA_DIR_ENV)
        .or_else(|| project_dirs().map(|d| d.data_dir().to_path_buf()))
        .unwrap_or_else(|| std::env::temp_dir().join("closer"))
}

/// `<data dir>/state.toml`: remembers the last chosen organization per
/// connection.
pub fn state_file() -> PathBuf {
    data_dir().join(STATE_FILE_NAME)
}

/// `<data dir>/closer.log`.
pub fn log_file() -> PathBuf {
    data_dir().join(LOG_FILE_NAME)
}

/// `<data dir>/demo-cluster`: where the throw-away demo PostgreSQL cluster
/// lives.
pub fn demo_cluster_dir() -> PathBuf {
    data_dir().join(DEMO_CLUSTER_DIR_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_override_is_ignored() {
        assert_eq!(non_empty(Some(OsString::new())), None);
        assert_eq!(non_empty(None), None);
        assert_eq!(
            non_empty(Some(OsString::from("/tmp/x.toml"))),
            Some(PathBuf::from("/tmp/x.toml"))
        );
    }

    #[test]
    fn files_live_in_the_data_dir() {
        let dir = data_dir();
        assert_eq!(state_file(), dir.join("state.toml"));
        assert_eq!(log_file(), dir.join("closer.log"));
    }
}
