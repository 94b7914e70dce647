//! The one way the end-to-end tests start the real `closer` binary: against the test's private
//! cluster (its socket), with a throwaway data directory, no config file and no `DATABASE_URL`
//! from the environment.
#![allow(dead_code)]

use std::path::Path;

use crate::common::TestDb;
use crate::tmux::sh_quote;

/// The shell command that runs `closer {args}` as `login`. `env` is put first (e.g.
/// `-u VISUAL TZ=UTC EDITOR=… `, ending in a space).
pub fn closer_command(
    db: &TestDb,
    login: &str,
    password: &str,
    data_dir: &Path,
    env: &str,
    args: &str,
) -> String {
    format!(
        "env -u DATABASE_URL {env}PGHOST={} PGPORT={} PGUSER={} PGPASSWORD={} PGDATABASE={} CLOSER_DATA_DIR={} CLOSER_CONFIG=/nonexistent/closer.toml {}{args}",
        sh_quote(&db.cluster.socket_dir().display().to_string()),
        db.cluster.port(),
        sh_quote(login),
        sh_quote(password),
        sh_quote(&db.database),
        sh_quote(&data_dir.display().to_string()),
        sh_quote(env!("CARGO_BIN_EXE_closer")),
    )
}
