//! End to end (issue 10): the real `closer` binary in tmux, logged in as a rep against a private
//! PostgreSQL, moves a lead with an open deal and an open task into Won, accepts the closing
//! popup, and undoes it; the database is checked after each step.

mod common;
#[path = "support/launch.rs"]
mod launch;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::Duration;

use common::TestDb;
use launch::{eventually, launch_as, top_lead};
use tmux::Tmux;
use uuid::Uuid;

/// (lead stage, deal status, deal probability, deal closed?, task status)
type Facts = (Uuid, String, i32, bool, String);

async fn facts(db: &TestDb, lead: Uuid) -> Facts {
    sqlx::query_as(
        "select l.stage_id, d.status::text, d.probability, d.closed_on is not null, t.status::text
         from leads l join deals d on d.lead_id = l.id join lead_tasks t on t.lead_id = l.id
         where l.id = $1",
    )
    .bind(lead)
    .fetch_one(&db.admin)
    .await
    .expect("read the lead, its deal and its task")
}

/// Polls until the facts equal `want`, or fails with the screen.
async fn until(db: &TestDb, tui: &Tmux, lead: Uuid, want: Facts) {
    eventually(tui, &format!("{want:?}"), || async {
        let now = facts(db, lead).await;
        (now == want).then_some(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_closes_a_lead_as_won_in_one_decision_and_undoes_it() {
    let db = TestDb::new().await;
    let org = db.org("E2E Closing Realty").await;
    let rep = db.user("E2E Closing Realty", "rep").await;
    let proposal = db.stage(org, "Proposal").await;
    let won = db.stage(org, "Won").await;
    let lead = top_lead(&db, org, proposal, Some(rep.profile_id), "Zelda Closer").await;
    sqlx::query(
        "insert into deals (organization_id, lead_id, name, amount, probability) values ($1, $2, 'Flat 4B', 420000, 60)",
    )
    .bind(org)
    .bind(lead)
    .execute(&db.admin)
    .await
    .expect("insert the deal");
    sqlx::query(
        "insert into lead_tasks (organization_id, lead_id, title, due_date, assigned_to)
         values ($1, $2, 'Send the contract', current_date + 1, $3)",
    )
    .bind(org)
    .bind(lead)
    .bind(rep.profile_id)
    .execute(&db.admin)
    .await
    .expect("insert the task");

    let data_dir = tempfile::tempdir().expect("temp data dir");
    let tui = launch_as(
        &db,
        &rep,
        data_dir.path(),
        (120, 32),
        "TZ=UTC ",
        "",
        "Zelda Closer",
    );
    // New, Contacted, Qualified, Proposal: the lead is the only card of the fourth column.
    tui.keys(&["l", "l", "l"]);
    tui.wait_for("$0 · 0 won", Duration::from_secs(10));
    tui.keys(&["L"]);
    tui.wait_for("Move Zelda Closer to Won", Duration::from_secs(10));
    tui.wait_for("Complete 1 open task", Duration::from_secs(5));
    tui.keys(&["Enter"]);
    until(
        &db,
        &tui,
        lead,
        (won, "won".into(), 100, true, "completed".into()),
    )
    .await;
    tui.wait_for("Closed 1 deal and 1 task", Duration::from_secs(10));

    // u puts back exactly what the move changed.
    tui.keys(&["u"]);
    until(
        &db,
        &tui,
        lead,
        (proposal, "open".into(), 60, false, "pending".into()),
    )
    .await;
    let activities: i64 = sqlx::query_scalar(
        "select count(*) from lead_activities where lead_id = $1 and type = 'stage_change'",
    )
    .bind(lead)
    .fetch_one(&db.admin)
    .await
    .expect("count the moves");
    assert_eq!(activities, 2, "the move and its undo are both in the feed");
    tui.keys(&["q"]);
}
