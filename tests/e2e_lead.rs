//! End to end: the real `closer` binary in tmux, logged in as a rep through a real login against a
//! private PostgreSQL, opens a lead from the board with Enter, logs a call with a follow-up task
//! using only keys; the interaction, the lead's call count and contact date, the task and the
//! activity feed change in the database.

mod common;
#[path = "support/launch.rs"]
mod launch;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use common::TestDb;
use launch::{eventually, launch_as};
use tmux::sh_quote;
use uuid::Uuid;

/// type, direction, outcome, duration, subject, content, created_by
type InteractionRow = (
    String,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<Uuid>,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_logs_a_call_with_a_follow_up_using_keys() {
    let db = TestDb::new().await;
    let org = db.org("E2E Lead Realty").await;
    let rep = db.user("E2E Lead Realty", "rep").await;
    let new_stage = db.first_stage(org).await;
    // The top card of "New" (score order) is the one the cursor starts on.
    let lead: Uuid = sqlx::query_scalar(
        "insert into leads (organization_id, stage_id, name, score, total_calls, assigned_to)
         values ($1, $2, 'Zelda Caller', 99, 2, $3) returning id",
    )
    .bind(org)
    .bind(new_stage)
    .bind(rep.profile_id)
    .fetch_one(&db.admin)
    .await
    .expect("insert the top lead");
    for n in 0..3 {
        common::insert_lead(&db.admin, org, new_stage, &format!("Other Lead {n}"))
            .await
            .expect("insert lead");
    }

    let data_dir = tempfile::tempdir().expect("temp data dir");
    let env = format!(
        "-u VISUAL TZ=UTC EDITOR={} ",
        sh_quote(&data_dir.path().join("editor.sh").display().to_string())
    );
    let tui = launch_as(
        &db,
        &rep,
        data_dir.path(),
        (110, 32),
        &env,
        "",
        "Zelda Caller",
    );

    // Open the lead: header, tabs and its data.
    tui.keys(&["Enter"]);
    tui.wait_for("1 Overview", Duration::from_secs(10));
    tui.wait_for("calls 2", Duration::from_secs(10));

    // c: the capture form. c = call, o = outbound, then outcome, duration, subject, content.
    tui.keys(&["c"]);
    tui.wait_for("Log interaction", Duration::from_secs(5));
    tui.keys(&["c", "o"]);
    tui.keys(&["Connected"]);
    tui.keys(&["Tab", "7", "Tab", "Intro call", "Tab"]);
    tui.keys(&["Budget is 600k."]);
    tui.keys(&["Enter", "Wants a second viewing."]);
    tui.keys(&["C-s"]);

    // A saved call offers the follow-up: `m` (tomorrow) typed into Due, Enter to the title,
    // Enter to the priority, Enter saves.
    tui.wait_for("schedule the next step", Duration::from_secs(10));
    tui.keys(&["m", "Enter", "Enter", "Enter"]);
    tui.wait_for("Follow-up scheduled", Duration::from_secs(10));

    let (kind, direction, outcome, duration, subject, content, created_by): InteractionRow =
        eventually(&tui, "the interaction", || async {
            sqlx::query_as(
            "select type::text, direction::text, outcome, duration, subject, content, created_by
             from lead_interactions where lead_id = $1",
        )
        .bind(lead)
        .fetch_optional(&db.admin)
        .await
        .expect("read the interaction")
        })
        .await;
    assert_eq!(kind, "call");
    assert_eq!(direction.as_deref(), Some("outbound"));
    assert_eq!(outcome.as_deref(), Some("Connected"));
    assert_eq!(duration, Some(7 * 60), "minutes are stored as seconds");
    assert_eq!(subject.as_deref(), Some("Intro call"));
    assert_eq!(
        content.as_deref(),
        Some("Budget is 600k.\nWants a second viewing.")
    );
    assert_eq!(created_by, Some(rep.profile_id));

    let (total_calls, last_contacted): (i32, Option<DateTime<Utc>>) =
        sqlx::query_as("select total_calls, last_contacted_at from leads where id = $1")
            .bind(lead)
            .fetch_one(&db.admin)
            .await
            .expect("read the lead");
    assert_eq!(total_calls, 3, "the call is counted");
    let last_contacted = last_contacted.expect("last_contacted_at is set");
    assert!(
        (Utc::now() - last_contacted).num_minutes().abs() < 5,
        "{last_contacted}"
    );

    let (title, due, status, assigned): (String, Option<NaiveDate>, String, Option<Uuid>) =
        eventually(&tui, "the follow-up task", || async {
            sqlx::query_as(
                "select title, due_date, status::text, assigned_to from lead_tasks where lead_id = $1",
            )
            .bind(lead)
            .fetch_optional(&db.admin)
            .await
            .expect("read the task")
        })
        .await;
    assert_eq!(title, "Follow up with Zelda Caller");
    assert_eq!(status, "pending");
    assert_eq!(due, Utc::now().date_naive().succ_opt(), "m = tomorrow");
    assert_eq!(assigned, Some(rep.profile_id), "the rep's own follow-up");

    // The activity feed records both, by the rep.
    let activities: Vec<(String, Option<Uuid>)> = sqlx::query_as(
        "select type, created_by from lead_activities where lead_id = $1 order by created_at",
    )
    .bind(lead)
    .fetch_all(&db.admin)
    .await
    .expect("read the activities");
    assert!(
        activities.len() >= 2,
        "an activity for the call and one for the task: {activities:?}"
    );
    assert!(
        activities.iter().all(|(_, by)| *by == Some(rep.profile_id)),
        "{activities:?}"
    );

    // The timeline shows the call once the screen re-reads.
    tui.keys(&["2"]);
    tui.wait_for("Intro call", Duration::from_secs(10));
    tui.keys(&["Escape"]);
    tui.wait_for("Zelda Caller", Duration::from_secs(5));
    tui.keys(&["q"]);
    tui.wait_for("CLOSER-EXITED-0", Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_merge_a_conflict_new_leads_validate_and_notes_come_from_the_editor() {
    let db = TestDb::new().await;
    let org = db.org("E2E Edit Realty").await;
    let rep = db.user("E2E Edit Realty", "rep").await;
    let stages = db.stages(org).await;
    let (new_stage, contacted_stage) = (stages[0].0, stages[1].0);
    let lead: Uuid = sqlx::query_scalar(
        "insert into leads (organization_id, stage_id, name, score, email, phone)
         values ($1, $2, 'Yusuf Editor', 99, 'yusuf@old.example', '+1 555 0100') returning id",
    )
    .bind(org)
    .bind(new_stage)
    .fetch_one(&db.admin)
    .await
    .expect("insert the lead");

    let data_dir = tempfile::tempdir().expect("temp data dir");
    // $EDITOR: a script that writes the note (as an editor would) and exits.
    let editor = data_dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Long note from the editor\\nsecond line\\n' > \"$1\"\n",
    )
    .expect("write the editor script");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755))
            .expect("make the editor executable");
    }
    let env = format!(
        "-u VISUAL TZ=UTC EDITOR={} ",
        sh_quote(&data_dir.path().join("editor.sh").display().to_string())
    );
    let tui = launch_as(
        &db,
        &rep,
        data_dir.path(),
        (110, 32),
        &env,
        "",
        "Yusuf Editor",
    );
    tui.keys(&["Enter"]);
    tui.wait_for("yusuf@old.example", Duration::from_secs(10));

    // e: edit. A teammate saves the email and the phone while the form is open.
    tui.keys(&["e"]);
    tui.wait_for("Edit · Yusuf Editor", Duration::from_secs(5));
    sqlx::query(
        "update leads set email = 'yusuf@theirs.example', phone = '+1 555 0199' where id = $1",
    )
    .bind(lead)
    .execute(&db.admin)
    .await
    .expect("a teammate's change");
    tui.keys(&["Tab", "C-u", "yusuf@mine.example", "C-s"]);
    let screen = tui.wait_for("Someone else changed this lead", Duration::from_secs(10));
    assert!(screen.contains("yusuf@theirs.example"), "{screen}");
    // Defaults: my email (I changed it), their phone (only they did). Enter saves.
    tui.keys(&["Enter"]);
    tui.wait_for("Lead saved", Duration::from_secs(10));
    let (email, phone, version): (Option<String>, Option<String>, i32) =
        eventually(&tui, "the merged edit", || async {
            let row: (Option<String>, Option<String>, i32) =
                sqlx::query_as("select email, phone, version from leads where id = $1")
                    .bind(lead)
                    .fetch_one(&db.admin)
                    .await
                    .expect("read the lead");
            (row.0.as_deref() == Some("yusuf@mine.example")).then_some(row)
        })
        .await;
    assert_eq!(email.as_deref(), Some("yusuf@mine.example"));
    assert_eq!(phone.as_deref(), Some("+1 555 0199"), "their phone is kept");
    assert_eq!(version, 3, "saved once on top of their version");

    // c, a note written in $EDITOR (ctrl-e on the content), saved.
    tui.keys(&["c", "n", "-"]);
    tui.keys(&["Tab", "Tab", "Tab", "C-e"]);
    tui.wait_for("second line", Duration::from_secs(10));
    tui.keys(&["C-s"]);
    tui.wait_for("Note logged", Duration::from_secs(10));
    let content: Option<String> = eventually(&tui, "the note", || async {
        sqlx::query_scalar(
            "select content from lead_interactions where lead_id = $1 and type = 'note'",
        )
        .bind(lead)
        .fetch_optional(&db.admin)
        .await
        .expect("read the note")
    })
    .await;
    assert_eq!(
        content.as_deref(),
        Some("Long note from the editor\nsecond line")
    );

    // n from the board: a bad email is refused inline, then the lead is created in the column
    // the rep is in (Contacted), owned by the rep.
    tui.keys(&["Escape", "l", "n"]);
    tui.wait_for("New lead", Duration::from_secs(5));
    tui.keys(&["Xavier New", "Tab", "xavier@nowhere", "C-s"]);
    tui.wait_for("is not an email address", Duration::from_secs(5));
    tui.keys(&[".example", "C-s"]);
    tui.wait_for("Created Xavier New", Duration::from_secs(10));
    let (stage, owner, email): (Uuid, Option<Uuid>, Option<String>) =
        eventually(&tui, "the new lead", || async {
            sqlx::query_as(
                "select stage_id, assigned_to, email from leads where name = 'Xavier New'",
            )
            .fetch_optional(&db.admin)
            .await
            .expect("read the new lead")
        })
        .await;
    assert_eq!(stage, contacted_stage);
    assert_eq!(owner, Some(rep.profile_id));
    assert_eq!(email.as_deref(), Some("xavier@nowhere.example"));

    tui.keys(&["q"]);
    tui.wait_for("CLOSER-EXITED-0", Duration::from_secs(10));
}
