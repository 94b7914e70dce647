//! End to end: the real `closer inbox` in tmux, logged in as a rep through a real login against a
//! private PostgreSQL. The rep snoozes one task, then marks two with space and completes both at
//! once; the rows (due date, status, completed_at) and the activity rows change in the database,
//! and the overdue count in the status bar follows.

mod common;
#[path = "support/launch.rs"]
mod launch;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::TestDb;
use launch::closer_command;
use sqlx::PgPool;
use tmux::Tmux;
use uuid::Uuid;

async fn add_task(
    db: &TestDb,
    org: Uuid,
    lead: Uuid,
    who: Uuid,
    title: &str,
    days: i32,
    priority: &str,
) -> Uuid {
    sqlx::query_scalar(
        "insert into lead_tasks (organization_id, lead_id, title, due_date, priority, assigned_to)
         values ($1, $2, $3, current_date + $4, $5::task_priority, $6) returning id",
    )
    .bind(org)
    .bind(lead)
    .bind(title)
    .bind(days)
    .bind(priority)
    .bind(who)
    .fetch_one(&db.admin)
    .await
    .expect("insert a task")
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    status: String,
    due_date: Option<NaiveDate>,
    completed: bool,
}

async fn row(admin: &PgPool, task: Uuid) -> Row {
    let (status, due_date, completed): (String, Option<NaiveDate>, bool) = sqlx::query_as(
        "select status::text, due_date, completed_at is not null from lead_tasks where id = $1",
    )
    .bind(task)
    .fetch_one(admin)
    .await
    .expect("read the task");
    Row {
        status,
        due_date,
        completed,
    }
}

/// Polls until `check` holds (or fails with the screen).
async fn eventually<F, Fut>(tui: &Tmux, what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{what} never happened; the screen was:\n{}",
            tui.screen()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_snoozes_one_task_and_completes_two_in_bulk() {
    let db = TestDb::new().await;
    let org = db.org("E2E Inbox Realty").await;
    let rep = db.user("E2E Inbox Realty", "rep").await;
    let lead = db.lead(org, "Grace Hopper").await;
    let other_lead = db.lead(org, "Alan Turing").await;
    let me = rep.profile_id;
    // Sorted by priority then due date: A, B, C, then D (upcoming).
    let a = add_task(&db, org, lead, me, "Alpha snooze me", -3, "high").await;
    let b = add_task(&db, org, other_lead, me, "Bravo finish", -2, "high").await;
    let c = add_task(&db, org, lead, me, "Charlie finish", -1, "medium").await;
    let d = add_task(&db, org, lead, me, "Delta later", 5, "low").await;
    let today: NaiveDate = sqlx::query_scalar("select current_date")
        .fetch_one(&db.admin)
        .await
        .expect("today");

    let data_dir = tempfile::tempdir().expect("temp data dir");
    let tui = Tmux::start(
        120,
        30,
        &closer_command(
            &db,
            &rep.login,
            &rep.password,
            data_dir.path(),
            "",
            " inbox",
        ),
    );
    tui.wait_for("Alpha snooze me", Duration::from_secs(30));
    tui.wait_for("● connected", Duration::from_secs(10));
    tui.wait_for("3 overdue  ", Duration::from_secs(10));

    // Snooze the first task by a day.
    tui.keys(&["z"]);
    tui.wait_for("Next Monday", Duration::from_secs(5));
    tui.keys(&["1"]);
    let tomorrow = today.succ_opt().expect("a tomorrow");
    eventually(&tui, "the snooze", || async {
        row(&db.admin, a).await.due_date == Some(tomorrow)
    })
    .await;
    assert_eq!(
        row(&db.admin, a).await,
        Row {
            status: "pending".to_string(),
            due_date: Some(tomorrow),
            completed: false,
        }
    );
    // The re-read moves it to Upcoming and the status bar counts one overdue task less.
    tui.wait_for("2 overdue  ", Duration::from_secs(10));

    // Mark the first two (space), then complete both at once.
    tui.keys(&["g", "Space", "Space"]);
    tui.wait_for("2 marked", Duration::from_secs(5));
    tui.keys(&["x"]);
    eventually(&tui, "the bulk completion", || async {
        row(&db.admin, b).await.completed && row(&db.admin, c).await.completed
    })
    .await;
    for task in [b, c] {
        let r = row(&db.admin, task).await;
        assert_eq!((r.status.as_str(), r.completed), ("completed", true));
    }
    // Both were completed in one transaction: the same completed_at.
    let same: bool = sqlx::query_scalar(
        "select count(distinct completed_at) = 1 from lead_tasks where id = any($1)",
    )
    .bind(vec![b, c])
    .fetch_one(&db.admin)
    .await
    .expect("read completed_at");
    assert!(same, "one transaction, one timestamp");
    // The others are untouched.
    assert_eq!(row(&db.admin, a).await.status, "pending");
    assert_eq!(
        row(&db.admin, d).await,
        Row {
            status: "pending".to_string(),
            due_date: today.checked_add_days(chrono::Days::new(5)),
            completed: false,
        }
    );
    // Each change left an activity on the lead's timeline, recorded as the rep.
    let activities: Vec<(Uuid, String, Option<Uuid>)> = sqlx::query_as(
        "select lead_id, type, created_by from lead_activities
         where organization_id = $1 and type like 'task%' order by created_at, type",
    )
    .bind(org)
    .fetch_all(&db.admin)
    .await
    .expect("read the activities");
    let of = |lead_id: Uuid, kind: &str| {
        activities
            .iter()
            .filter(|(l, t, by)| *l == lead_id && t == kind && *by == Some(me))
            .count()
    };
    assert_eq!(of(lead, "task_snoozed"), 1, "{activities:?}");
    assert_eq!(of(other_lead, "task_completed"), 1, "{activities:?}");
    assert_eq!(of(lead, "task_completed"), 1, "{activities:?}");
    assert_eq!(
        activities.len(),
        3,
        "nothing else was written: {activities:?}"
    );
    // Nothing overdue is left: the status bar count is gone.
    let started = Instant::now();
    while tui.screen().contains(" overdue  ") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the overdue count never cleared:\n{}",
            tui.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    tui.keys(&["q"]);
    tui.wait_for("CLOSER-EXITED-0", Duration::from_secs(10));
}
