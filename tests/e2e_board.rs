//! End to end: the real `closer` binary in tmux, logged in as a rep through a real login against a
//! private PostgreSQL, moves a card with keys; the row and the activity change in the database.

mod common;
#[path = "support/launch.rs"]
mod launch;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use common::TestDb;
use launch::{closer_command, launch_as};
use tmux::Tmux;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_moves_a_card_with_keys_and_the_database_records_it() {
    let db = TestDb::new().await;
    let org = db.org("E2E Realty").await;
    let rep = db.user("E2E Realty", "rep").await;
    let stages = db.stages(org).await;
    let (new_stage, contacted_stage) = (stages[0].0, stages[1].0);
    // The top card of "New" (score order) is the one the cursor starts on.
    let lead: Uuid = sqlx::query_scalar(
        "insert into leads (organization_id, stage_id, name, score) values ($1, $2, 'Zelda Topcard', 99) returning id",
    )
    .bind(org)
    .bind(new_stage)
    .fetch_one(&db.admin)
    .await
    .expect("insert the top lead");
    for n in 0..5 {
        common::insert_lead(&db.admin, org, new_stage, &format!("Other Lead {n}"))
            .await
            .expect("insert lead");
    }

    let data_dir = tempfile::tempdir().expect("temp data dir");
    let tui = launch_as(
        &db,
        &rep,
        data_dir.path(),
        (110, 30),
        "",
        "",
        "Zelda Topcard",
    );

    tui.keys(&["L"]);
    let started = Instant::now();
    loop {
        let stage: Uuid = sqlx::query_scalar("select stage_id from leads where id = $1")
            .bind(lead)
            .fetch_one(&db.admin)
            .await
            .expect("read the lead");
        if stage == contacted_stage {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the move never reached the database:\n{}",
            tui.screen()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (kind, created_by, from, to): (String, Uuid, String, String) = sqlx::query_as(
        "select type, created_by, content->>'from', content->>'to' from lead_activities where lead_id = $1 and type = 'stage_change'",
    )
    .bind(lead)
    .fetch_one(&db.admin)
    .await
    .expect("exactly one stage_change activity");
    assert_eq!(
        (kind.as_str(), from.as_str(), to.as_str()),
        ("stage_change", "New", "Contacted")
    );
    assert_eq!(
        created_by, rep.profile_id,
        "the activity records who moved the card"
    );

    // Undo moves it back, also through the database.
    tui.keys(&["u"]);
    let started = Instant::now();
    while sqlx::query_scalar::<_, Uuid>("select stage_id from leads where id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("read the lead")
        != new_stage
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "undo never reached the database:\n{}",
            tui.screen()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    tui.keys(&["q"]);
    tui.wait_for("CLOSER-EXITED-0", Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_one_clear_sentence() {
    let db = TestDb::new().await;
    db.org("E2E Wrong Password").await;
    let rep = db.user("E2E Wrong Password", "rep").await;
    let data_dir = tempfile::tempdir().expect("temp data dir");
    let tui = Tmux::start(
        100,
        20,
        &closer_command(&db, &rep.login, "not-the-password", data_dir.path(), "", ""),
    );
    let screen = tui.wait_for("CLOSER-EXITED-1", Duration::from_secs(20));
    assert!(screen.contains("refused the login"), "{screen}");
    assert!(
        !screen.contains("not-the-password"),
        "the password must never be printed"
    );
    assert!(!screen.contains("panicked"), "{screen}");
}
