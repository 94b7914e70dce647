//! Runs the real `closer` binary as a rep (PG* variables, the TUI's connect path) for the
//! scripting-command tests (`tests/db/shell.rs`, `tests/db/import.rs`).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{TestDb, TestUser};

pub struct Shell<'a> {
    pub db: &'a TestDb,
    pub user: TestUser,
    pub dir: tempfile::TempDir,
}

impl<'a> Shell<'a> {
    pub fn new(db: &'a TestDb, user: TestUser) -> Shell<'a> {
        Shell {
            db,
            user,
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// `closer ARGS` as this rep, standard output not a terminal.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_closer"))
            .args(args)
            .env_remove("DATABASE_URL")
            .env("PGHOST", self.db.cluster.socket_dir())
            .env("PGPORT", self.db.cluster.port().to_string())
            .env("PGUSER", &self.user.login)
            .env("PGPASSWORD", &self.user.password)
            .env("PGDATABASE", &self.db.database)
            .env("PGSSLMODE", "disable")
            .env("CLOSER_DATA_DIR", self.dir.path())
            .env("CLOSER_CONFIG", "/nonexistent/closer.toml")
            .output()
            .expect("run closer")
    }

    /// Runs and expects success; returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "closer {args:?} failed: {}",
            text(&out)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// Runs and returns the exit code with standard error.
    pub fn fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "closer {args:?} should fail: {}",
            text(&out)
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON from {args:?}: {e}\n{out}"))
    }

    /// Writes `bytes` to a file in the test's directory; returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write a test file");
        path_text(&path)
    }
}

pub fn path_text(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").to_owned()
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
