//! End to end (issue 11): the real `closer` in tmux. A typed `thu 10:00` in Due is stored as
//! next Thursday 10:00; a pasted multi-line block in Name creates nothing; ctrl-c on a dirty form
//! asks instead of quitting. The command palette finds and runs "switch pipeline" and a lead by
//! name.

mod common;
#[path = "support/launch.rs"]
mod launch;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use common::TestDb;
use launch::{eventually, launch_as, top_lead};
use tmux::Tmux;
use uuid::Uuid;

struct Setup {
    db: TestDb,
    lead: Uuid,
    tui: Tmux,
    _data_dir: tempfile::TempDir,
}

async fn open_board(org_name: &str) -> Setup {
    let db = TestDb::new().await;
    let org = db.org(org_name).await;
    let rep = db.user(org_name, "rep").await;
    let stage = db.first_stage(org).await;
    let lead = top_lead(&db, org, stage, Some(rep.profile_id), "Quinn Input").await;
    let data_dir = tempfile::tempdir().expect("temp data dir");
    let tui = launch_as(
        &db,
        &rep,
        data_dir.path(),
        (110, 32),
        "TZ=UTC ",
        "",
        "Quinn Input",
    );
    Setup {
        db,
        lead,
        tui,
        _data_dir: data_dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_weekday_and_time_is_stored_as_typed() {
    let s = open_board("E2E Input Dates").await;
    s.tui.keys(&["Enter"]);
    s.tui.wait_for("1 Overview", Duration::from_secs(10));
    // t: new task. Title, then Due: `thu 10:00` typed key by key (t, h, u … once picked today,
    // set high priority and typed into Notes).
    s.tui.keys(&["t"]);
    s.tui.wait_for("New task", Duration::from_secs(5));
    s.tui.keys(&["Call about the offer", "Tab"]);
    for key in ["t", "h", "u", " ", "1", "0", ":", "0", "0"] {
        s.tui.keys(&[key]);
    }
    s.tui.wait_for("→ Thu", Duration::from_secs(5));
    s.tui.keys(&["C-s"]);
    let row: (Option<NaiveDate>, Option<NaiveTime>, String) =
        eventually(&s.tui, "the task", || async {
            sqlx::query_as(
                "select due_date, due_time, priority::text from lead_tasks where lead_id = $1",
            )
            .bind(s.lead)
            .fetch_optional(&s.db.admin)
            .await
            .expect("read the task")
        })
        .await;
    let today = Utc::now().date_naive();
    let ahead = (7 + 3 - i64::from(today.weekday().num_days_from_monday())) % 7;
    let thursday = today + chrono::Duration::days(if ahead == 0 { 7 } else { ahead });
    assert_eq!(thursday.weekday(), Weekday::Thu);
    assert_eq!(row.0, Some(thursday));
    assert_eq!(row.1, NaiveTime::from_hms_opt(10, 0, 0));
    assert_eq!(row.2, "medium", "`h` did not set the priority");
    s.tui.keys(&["q"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_block_creates_nothing_and_ctrl_c_asks() {
    let s = open_board("E2E Input Paste").await;
    s.tui.keys(&["n"]);
    s.tui.wait_for("New lead", Duration::from_secs(5));
    s.tui.paste("Jane Doe\njane@x.test\n+1 555 1234\nAcme\n\n");
    s.tui
        .wait_for("Jane Doe jane@x.test", Duration::from_secs(5));
    // Give a (wrong) submit time to reach the database, then check nothing did.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let created: i64 = sqlx::query_scalar("select count(*) from leads where name like 'Jane%'")
        .fetch_one(&s.db.admin)
        .await
        .expect("count leads");
    assert_eq!(created, 0, "a paste created a lead:\n{}", s.tui.screen());
    assert!(s.tui.screen().contains("New lead"), "the form stays open");

    // ctrl-c on the dirty form asks like Esc; the app keeps running.
    s.tui.keys(&["C-c"]);
    s.tui
        .wait_for("Discard what you typed?", Duration::from_secs(5));
    assert!(!s.tui.screen().contains("CLOSER-EXITED"));
    s.tui.keys(&["C-c"]);
    s.tui.keys(&["q"]);
    s.tui.wait_for("CLOSER-EXITED-0", Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_palette_finds_and_runs_switch_pipeline_and_a_lead_by_name() {
    let s = open_board("E2E Input Palette").await;
    // A second pipeline with one lead, added before the palette's pipeline list is read (the
    // board reads it at start: refresh once).
    let org: Uuid = sqlx::query_scalar("select organization_id from leads where id = $1")
        .bind(s.lead)
        .fetch_one(&s.db.admin)
        .await
        .expect("the org");
    let pipeline: Uuid = sqlx::query_scalar(
        "insert into pipelines (organization_id, name) values ($1, 'Rentals') returning id",
    )
    .bind(org)
    .fetch_one(&s.db.admin)
    .await
    .expect("a second pipeline");
    let stage: Uuid = sqlx::query_scalar(
        "insert into pipeline_stages (organization_id, pipeline_id, name, order_index)
         values ($1, $2, 'Viewing', 1) returning id",
    )
    .bind(org)
    .bind(pipeline)
    .fetch_one(&s.db.admin)
    .await
    .expect("its stage");
    sqlx::query(
        "insert into leads (organization_id, stage_id, name, score)
         values ($1, $2, 'Rita Rental', 50)",
    )
    .bind(org)
    .bind(stage)
    .execute(&s.db.admin)
    .await
    .expect("its lead");
    s.tui.keys(&["r"]);
    s.tui.wait_for("● connected", Duration::from_secs(10));

    // ":" then "switch pipeline": the command with its key; Enter runs it (the picker).
    s.tui.keys(&[":"]);
    s.tui.wait_for("Command palette", Duration::from_secs(5));
    s.tui.keys(&["switch pipeline"]);
    s.tui.wait_for("Switch pipeline", Duration::from_secs(5));
    s.tui.keys(&["Enter"]);
    let screen = s.tui.wait_for("Rentals", Duration::from_secs(10));
    let number = screen
        .lines()
        .find_map(|l| {
            let at = l.find("Rentals")?;
            l[..at]
                .trim_end()
                .chars()
                .last()
                .filter(char::is_ascii_digit)
        })
        .unwrap_or_else(|| panic!("Rentals is numbered in the picker:\n{screen}"));
    s.tui.keys(&[&number.to_string()]);
    s.tui.wait_for("Rita Rental", Duration::from_secs(10));
    s.tui.wait_for("Viewing", Duration::from_secs(5));

    // A lead by name (the data layer's search): Quinn, in the other pipeline.
    s.tui.keys(&["C-p"]);
    s.tui.wait_for("Command palette", Duration::from_secs(5));
    s.tui.keys(&["quinn"]);
    s.tui.wait_for("lead", Duration::from_secs(10));
    s.tui.wait_for("Quinn Input", Duration::from_secs(10));
    let started = Instant::now();
    loop {
        let screen = s.tui.screen();
        if screen.contains("Quinn Input") && screen.contains("lead") && !screen.contains("leads…")
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the lead search never answered:\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.tui.keys(&["Enter"]);
    let screen = s.tui.wait_for("1 Overview", Duration::from_secs(10));
    assert!(screen.contains("Quinn Input"), "{screen}");
    s.tui.keys(&["q"]);
}
