//! End to end (issue 13): a rep's `closer` shows the board; a manager reorders and renames
//! stages through the pipeline editor's data layer (the calls the editor makes); the rep's board
//! follows live without a key. Then the rep opens insights with `I`.

mod common;
#[path = "support/launch.rs"]
mod launch;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use closer::data::pipeline_editor::StageChange;
use common::TestDb;
use launch::closer_command;
use tmux::Tmux;
use uuid::Uuid;

/// The board's header row (the line naming the first stages).
fn header(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains('│') && (l.contains("New") || l.contains("Proposal")))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_reorders_stages_and_the_reps_board_follows_live() {
    let db = TestDb::new().await;
    let org = db.org("E2E Cockpit").await;
    let rep = db.user("E2E Cockpit", "rep").await;
    let manager = db.user("E2E Cockpit", "manager").await;
    db.lead(org, "Wanda Watched").await;
    let dir = tempfile::tempdir().expect("dir");
    let watching = Tmux::start(
        120,
        24,
        &closer_command(&db, &rep.login, &rep.password, dir.path(), "", ""),
    );
    // The board is loaded once its lead shows (the status bar says "connected" earlier).
    watching.wait_for("Wanda Watched", Duration::from_secs(30));
    let before = watching.wait_for("● connected", Duration::from_secs(10));
    assert!(header(&before).trim_start().starts_with("New"), "{before}");

    let store = db
        .session(&manager)
        .await
        .open(org)
        .expect("the manager's store");
    let pipeline = db.default_pipeline(org).await;
    let mut order: Vec<Uuid> = db.stages(org).await.iter().map(|(id, _)| *id).collect();
    let proposal = order.remove(3);
    order.insert(0, proposal);
    store
        .reorder_stages(pipeline, &order)
        .await
        .expect("reorder in one call");
    store
        .update_stage(
            proposal,
            &StageChange {
                name: Some("Offer".into()),
                ..StageChange::default()
            },
        )
        .await
        .expect("rename");

    let started = Instant::now();
    loop {
        let screen = watching.screen();
        if header(&screen).trim_start().starts_with("Offer") {
            eprintln!(
                "reorder visible on the rep's board after {:?}",
                started.elapsed()
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "the rep's board never followed the reorder:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The rep's insights open from the board.
    watching.keys(&["I"]);
    let insights = watching.wait_for("Funnel", Duration::from_secs(15));
    assert!(insights.contains("Insights"), "{insights}");
    watching.keys(&["esc", "q"]);
    watching.wait_for("CLOSER-EXITED-0", Duration::from_secs(10));
}
