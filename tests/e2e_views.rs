//! End to end (issue 12): the real `closer` in tmux as a rep filters the board to `owner:me`,
//! saves the view (ctrl-s in the filter bar), quits, starts Closer again, picks the view with
//! `F`, and the column counts on screen equal a plain SQL count of the rep's leads per stage.

mod common;
#[path = "support/launch.rs"]
mod launch;
#[path = "support/tmux.rs"]
mod tmux;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::TestDb;
use launch::closer_command;
use tmux::Tmux;
use uuid::Uuid;

/// The count each stage's header shows: the number right of the stage's name on the header line.
fn header_counts(screen: &str, stages: &[String]) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    let Some(line) = screen.lines().find(|l| l.contains(&stages[0])) else {
        return out;
    };
    for cell in line.split('│') {
        let words: Vec<&str> = cell.split_whitespace().collect();
        for stage in stages {
            let name: Vec<&str> = stage.split_whitespace().collect();
            if words.len() > name.len()
                && words[..name.len()] == name[..]
                && let Some(n) = words.last().and_then(|w| w.parse::<i64>().ok())
            {
                out.insert(stage.clone(), n);
            }
        }
    }
    out
}

async fn sql_counts(db: &TestDb, owner: Uuid, stages: &[(Uuid, String)]) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    for (id, name) in stages {
        let n: i64 = sqlx::query_scalar(
            "select count(*) from leads where stage_id = $1 and assigned_to = $2",
        )
        .bind(id)
        .bind(owner)
        .fetch_one(&db.admin)
        .await
        .expect("count");
        out.insert(name.clone(), n);
    }
    out
}

/// Waits until the open stages' header counts equal `want`.
fn wait_for_counts(tui: &Tmux, names: &[String], want: &HashMap<String, i64>) -> String {
    let started = Instant::now();
    loop {
        let screen = tui.screen();
        let shown = header_counts(&screen, names);
        if names.iter().all(|n| shown.get(n) == want.get(n)) {
            return screen;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "header counts {shown:?} never matched SQL {want:?}:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_owner_me_view_survives_a_restart_and_its_counts_match_sql() {
    let db = TestDb::new().await;
    let org = db.org("E2E Views").await;
    let rep = db.user("E2E Views", "rep").await;
    let manager = db.user("E2E Views", "manager").await;
    let stages = db.stages(org).await;
    // Open stages only: the closed headers count leads closed in a period.
    let open: Vec<(Uuid, String)> = stages
        .iter()
        .filter(|(_, n)| n != "Won" && n != "Lost")
        .cloned()
        .collect();
    let names: Vec<String> = open.iter().map(|(_, n)| n.clone()).collect();
    for (i, (stage, _)) in open.iter().enumerate() {
        for n in 0..(i + 1) {
            for (owner, who) in [(rep.profile_id, "Mine"), (manager.profile_id, "Boss")] {
                sqlx::query(
                    "insert into leads (organization_id, stage_id, name, assigned_to) values ($1, $2, $3, $4)",
                )
                .bind(org)
                .bind(stage)
                .bind(format!("{who} {i}-{n}"))
                .bind(owner)
                .execute(&db.admin)
                .await
                .expect("insert a lead");
            }
        }
        // Leads nobody owns count on the unfiltered board only.
        common::insert_lead(&db.admin, org, *stage, &format!("Nobody {i}"))
            .await
            .expect("insert lead");
    }
    let mine = sql_counts(&db, rep.profile_id, &open).await;

    let data_dir = tempfile::tempdir().expect("temp data dir");
    let command = closer_command(&db, &rep.login, &rep.password, data_dir.path(), "", "");
    let tui = Tmux::start(160, 32, &command);
    tui.wait_for("● connected", Duration::from_secs(30));
    tui.keys(&["f"]);
    tui.keys(&["owner:me"]);
    tui.keys(&["C-s"]);
    tui.wait_for("Saved the view", Duration::from_secs(10));
    tui.wait_for("filter: mine", Duration::from_secs(10));
    wait_for_counts(&tui, &names, &mine);
    let (name, filter): (String, String) = sqlx::query_as(
        "select name, filter from saved_views where owner_id = $1 and organization_id = $2",
    )
    .bind(rep.profile_id)
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("one saved view");
    assert_eq!(filter, "mine");
    tui.keys(&["q"]);
    tui.wait_for("CLOSER-EXITED-0", Duration::from_secs(10));
    drop(tui);

    // A new Closer: unfiltered at first (not the start view), the view is in the picker.
    let tui = Tmux::start(160, 32, &command);
    tui.wait_for("● connected", Duration::from_secs(30));
    let everyone: HashMap<String, i64> = open
        .iter()
        .enumerate()
        .map(|(i, (_, n))| (n.clone(), 2 * (i as i64 + 1) + 1))
        .collect();
    wait_for_counts(&tui, &names, &everyone);
    tui.keys(&["F"]);
    let screen = tui.wait_for("Saved views", Duration::from_secs(10));
    assert!(screen.contains(&name), "{screen}");
    tui.keys(&["Enter"]);
    tui.wait_for("filter: mine", Duration::from_secs(10));
    let screen = wait_for_counts(&tui, &names, &mine);
    assert!(!screen.contains("Boss "), "only the rep's leads: {screen}");
    tui.keys(&["q"]);
    tui.wait_for("CLOSER-EXITED-0", Duration::from_secs(10));
}
