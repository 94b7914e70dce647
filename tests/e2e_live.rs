//! End to end: two `closer` instances (two reps, two real logins) on one board; one moves a card
//! with a key and the other shows it without any key being pressed.

mod common;
#[path = "support/launch.rs"]
mod launch;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use common::TestDb;
use launch::closer_command;
use tmux::Tmux;

/// The header of the second column ("Contacted  N").
fn contacted_count(screen: &str) -> Option<u32> {
    let header = screen.lines().find(|l| l.contains("Contacted"))?;
    let after = header.split("Contacted").nth(1)?;
    after.split_whitespace().next()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_in_one_closer_appears_in_the_other() {
    let db = TestDb::new().await;
    let org = db.org("E2E Live").await;
    let mover = db.user("E2E Live", "rep").await;
    let watcher = db.user("E2E Live", "rep").await;
    let stages = db.stages(org).await;
    sqlx::query("insert into leads (organization_id, stage_id, name, score) values ($1, $2, 'Wanda Watched', 99)")
        .bind(org)
        .bind(stages[0].0)
        .execute(&db.admin)
        .await
        .expect("lead");

    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let watching = Tmux::start(
        110,
        24,
        &closer_command(&db, &watcher.login, &watcher.password, dir_b.path(), "", ""),
    );
    let moving = Tmux::start(
        110,
        24,
        &closer_command(&db, &mover.login, &mover.password, dir_a.path(), "", ""),
    );
    watching.wait_for("Wanda Watched", Duration::from_secs(30));
    moving.wait_for("Wanda Watched", Duration::from_secs(30));
    let before = watching.wait_for("● connected", Duration::from_secs(10));
    assert_eq!(contacted_count(&before), Some(0), "{before}");

    moving.keys(&["L"]);
    let started = Instant::now();
    loop {
        let screen = watching.screen();
        if contacted_count(&screen) == Some(1) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the watcher never showed the move:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "move visible in the other Closer after {:?}",
        started.elapsed()
    );
    moving.keys(&["q"]);
    watching.keys(&["q"]);
    watching.wait_for("CLOSER-EXITED-0", Duration::from_secs(10));
}
