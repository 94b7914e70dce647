//! Issue 11's undo history against a real PostgreSQL through real rep logins: undoing a bulk
//! reassign of 3 tasks puts every task back with its own previous owner; an undo of a task a
//! teammate changed since is refused and writes nothing.

use crate::common;

use chrono::{NaiveDate, Utc};
use closer::data::inbox::{TaskBefore, TaskChange, TaskUndo};
use closer::data::models::TaskPriority;
use closer::data::{DataError, PgStore};
use common::{TestDb, TestUser};
use uuid::Uuid;

async fn store_of(db: &TestDb, user: &TestUser, org: Uuid) -> PgStore {
    db.session(user)
        .await
        .open(org)
        .expect("a member opens the org")
}

async fn task(db: &TestDb, org: Uuid, lead: Uuid, title: &str, owner: Uuid) -> Uuid {
    sqlx::query_scalar(
        "insert into lead_tasks (organization_id, lead_id, title, due_date, assigned_to)
         values ($1, $2, $3, '2026-12-10', $4) returning id",
    )
    .bind(org)
    .bind(lead)
    .bind(title)
    .bind(owner)
    .fetch_one(&db.admin)
    .await
    .expect("insert a task")
}

async fn owner(db: &TestDb, id: Uuid) -> Option<Uuid> {
    sqlx::query_scalar("select assigned_to from lead_tasks where id = $1")
        .bind(id)
        .fetch_one(&db.admin)
        .await
        .expect("read the owner")
}

fn before(id: Uuid, title: &str, owner: Uuid) -> TaskBefore {
    TaskBefore {
        id,
        title: title.to_string(),
        description: None,
        due_date: NaiveDate::from_ymd_opt(2026, 12, 10),
        due_time: None,
        priority: TaskPriority::Medium,
        assigned_to: Some(owner),
    }
}

#[tokio::test]
async fn undo_of_a_bulk_reassign_restores_every_task() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let lead = db.lead(org, "Dana Buyer").await;
    let rep = db.user("Acme", "rep").await;
    let mate = db.user("Acme", "rep").await;
    let third = db.user("Acme", "rep").await;
    let store = store_of(&db, &rep, org).await;
    // Two of mine and one of my teammate's (visible to me as a rep of the org).
    let a = task(&db, org, lead, "a", rep.profile_id).await;
    let b = task(&db, org, lead, "b", rep.profile_id).await;
    let c = task(&db, org, lead, "c", mate.profile_id).await;
    store
        .reassign_tasks(&[a, b, c], third.profile_id)
        .await
        .expect("bulk reassign");
    for t in [a, b, c] {
        assert_eq!(owner(&db, t).await, Some(third.profile_id));
    }
    let undo = TaskUndo {
        label: "reassigned 3 tasks".to_string(),
        before: vec![
            before(a, "a", rep.profile_id),
            before(b, "b", rep.profile_id),
            before(c, "c", mate.profile_id),
        ],
        change: TaskChange::Assignee(third.profile_id),
    };
    store
        .restore_tasks(&undo, Utc::now())
        .await
        .expect("the undo");
    assert_eq!(owner(&db, a).await, Some(rep.profile_id));
    assert_eq!(owner(&db, b).await, Some(rep.profile_id));
    assert_eq!(owner(&db, c).await, Some(mate.profile_id));

    // Again, but a teammate moves `b` on before the undo: nothing is overwritten.
    store
        .reassign_tasks(&[a, b, c], third.profile_id)
        .await
        .expect("bulk reassign");
    let teammate = store_of(&db, &mate, org).await;
    teammate
        .reassign_tasks(&[b], mate.profile_id)
        .await
        .expect("the teammate's change");
    match store.restore_tasks(&undo, Utc::now()).await {
        Err(DataError::Invalid(why)) => {
            assert!(why.contains("a teammate changed “b” since"), "{why}")
        }
        other => panic!("expected the conflict, got {other:?}"),
    }
    assert_eq!(
        owner(&db, a).await,
        Some(third.profile_id),
        "nothing written"
    );
    assert_eq!(owner(&db, b).await, Some(mate.profile_id));
    assert_eq!(owner(&db, c).await, Some(third.profile_id));
}

#[tokio::test]
async fn undo_of_a_reschedule_and_a_priority_change() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let lead = db.lead(org, "Dana Buyer").await;
    let rep = db.user("Acme", "rep").await;
    let store = store_of(&db, &rep, org).await;
    let a = task(&db, org, lead, "a", rep.profile_id).await;
    let moved = NaiveDate::from_ymd_opt(2026, 12, 24);
    store
        .set_due(a, moved, None, Utc::now())
        .await
        .expect("reschedule");
    let undo = TaskUndo {
        label: "rescheduled “a”".to_string(),
        before: vec![before(a, "a", rep.profile_id)],
        change: TaskChange::Due(vec![(a, moved, None)]),
    };
    store.restore_tasks(&undo, Utc::now()).await.expect("undo");
    let due: Option<NaiveDate> =
        sqlx::query_scalar("select due_date from lead_tasks where id = $1")
            .bind(a)
            .fetch_one(&db.admin)
            .await
            .expect("read");
    assert_eq!(due, NaiveDate::from_ymd_opt(2026, 12, 10));

    store
        .set_tasks_priority(&[a], TaskPriority::High)
        .await
        .expect("priority");
    let undo = TaskUndo {
        label: "priority".to_string(),
        before: vec![before(a, "a", rep.profile_id)],
        change: TaskChange::Priority(TaskPriority::High),
    };
    store.restore_tasks(&undo, Utc::now()).await.expect("undo");
    let p: String = sqlx::query_scalar("select priority::text from lead_tasks where id = $1")
        .bind(a)
        .fetch_one(&db.admin)
        .await
        .expect("read");
    assert_eq!(p, "medium");
}
