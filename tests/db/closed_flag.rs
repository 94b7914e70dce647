//! The closed-lead flag of tasks (migrations 0013 and 0057): a lead moving into or out of won or
//! lost flips its open tasks only, leaving completed ones untouched (no new row, no version bump),
//! and a task that becomes open again takes its lead's state then, so the inbox still leaves out
//! exactly the open tasks of closed leads.

use crate::closing::team;
use crate::common::TestDb;

use closer::data::inbox::InboxScope;
use uuid::Uuid;

async fn task(db: &TestDb, org: Uuid, lead: Uuid, assignee: Uuid, status: &str) -> Uuid {
    sqlx::query_scalar(
        "insert into lead_tasks (organization_id, lead_id, title, due_date, status, assigned_to,
                                 completed_at)
         values ($1, $2, 'Call back', current_date - 1, $3::task_status, $4,
                 case when $3 = 'completed' then now() end)
         returning id",
    )
    .bind(org)
    .bind(lead)
    .bind(status)
    .bind(assignee)
    .fetch_one(&db.admin)
    .await
    .expect("insert a task")
}

/// (lead_closed, version) of a task.
async fn flag(db: &TestDb, task: Uuid) -> (bool, i32) {
    sqlx::query_as("select lead_closed, version from lead_tasks where id = $1")
        .bind(task)
        .fetch_one(&db.admin)
        .await
        .expect("read the task")
}

async fn put(db: &TestDb, lead: Uuid, stage: Uuid) {
    sqlx::query("update leads set stage_id = $2, lost_reason = null where id = $1")
        .bind(lead)
        .bind(stage)
        .execute(&db.admin)
        .await
        .expect("move the lead");
}

async fn set_status(db: &TestDb, task: Uuid, status: &str) {
    sqlx::query(
        "update lead_tasks set status = $2::task_status,
                completed_at = case when $2 = 'completed' then now() end
         where id = $1",
    )
    .bind(task)
    .bind(status)
    .execute(&db.admin)
    .await
    .expect("change the task's status");
}

#[tokio::test]
async fn closing_flips_open_tasks_only_and_a_reopened_task_takes_its_leads_state() {
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Flag Co").await;
    let won = db.stage(org, "Won").await;
    let lead = db.lead(org, "Closing").await;
    let open_stage: Uuid = sqlx::query_scalar("select stage_id from leads where id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("the lead's stage");
    let open = task(&db, org, lead, rep.profile_id, "pending").await;
    let done = task(&db, org, lead, rep.profile_id, "completed").await;
    let done_before = flag(&db, done).await;

    put(&db, lead, won).await;
    assert!(flag(&db, open).await.0, "the open task follows its lead");
    assert_eq!(
        flag(&db, done).await,
        done_before,
        "a completed task is not rewritten"
    );

    // Reopened while the lead is won: closed, so the inbox leaves it out.
    set_status(&db, done, "pending").await;
    assert!(
        flag(&db, done).await.0,
        "a reopened task takes its lead's state"
    );
    let now = chrono::Utc::now();
    let inbox = store
        .inbox_filtered(now, InboxScope::Mine, None, false)
        .await
        .expect("inbox");
    assert!(
        inbox.tasks.iter().all(|(_, t)| t.lead_id != lead),
        "no task of the won lead in the inbox"
    );
    assert_eq!(store.overdue_task_count_at(now).await.expect("count"), 0);

    // Completed again, the lead reopens, then the task: open.
    set_status(&db, done, "completed").await;
    put(&db, lead, open_stage).await;
    assert!(
        !flag(&db, open).await.0,
        "the open task follows the lead back"
    );
    set_status(&db, done, "overdue").await;
    assert!(!flag(&db, done).await.0, "reopened under an open lead");
    assert_eq!(store.overdue_task_count_at(now).await.expect("count"), 2);

    // An open task handed to a won lead takes that lead's state too.
    let other = db.lead(org, "Already won").await;
    put(&db, other, won).await;
    sqlx::query("update lead_tasks set lead_id = $2 where id = $1")
        .bind(open)
        .bind(other)
        .execute(&db.admin)
        .await
        .expect("move the task to the won lead");
    assert!(flag(&db, open).await.0, "it joins a closed lead");
    assert_eq!(store.overdue_task_count_at(now).await.expect("count"), 1);
}
