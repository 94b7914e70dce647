//! The one way the end-to-end tests start the real `closer` binary: against the test's private
//! cluster (its socket), with a throwaway data directory, no config file and no `DATABASE_URL`
//! from the environment.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use uuid::Uuid;

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

/// Starts `closer {args}` as `user` in a `cols`×`rows` tmux window and waits until `first`
/// shows and the status bar says connected (the board's data and the live listener are up).
pub fn launch_as(
    db: &TestDb,
    user: &crate::common::TestUser,
    data_dir: &Path,
    (cols, rows): (u16, u16),
    env: &str,
    args: &str,
    first: &str,
) -> crate::tmux::Tmux {
    let tui = crate::tmux::Tmux::start(
        cols,
        rows,
        &closer_command(db, &user.login, &user.password, data_dir, env, args),
    );
    tui.wait_for(first, Duration::from_secs(30));
    tui.wait_for("● connected", Duration::from_secs(10));
    tui
}

/// A lead on top of its column (score 99: where the cursor starts), owned by `owner`.
pub async fn top_lead(
    db: &TestDb,
    org: Uuid,
    stage: Uuid,
    owner: Option<Uuid>,
    name: &str,
) -> Uuid {
    sqlx::query_scalar(
        "insert into leads (organization_id, stage_id, name, score, assigned_to)
         values ($1, $2, $3, 99, $4) returning id",
    )
    .bind(org)
    .bind(stage)
    .bind(name)
    .bind(owner)
    .fetch_one(&db.admin)
    .await
    .expect("insert the top lead")
}

/// Polls `check` until it returns `Some` (15 s at most), or fails with `what` and the screen.
pub async fn eventually<T, F, Fut>(tui: &crate::tmux::Tmux, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{what} never reached the database:\n{}",
            tui.screen()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
