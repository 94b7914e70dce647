//! Issue 11's undo history against a real PostgreSQL through real rep logins: undoing a bulk
//! reassign of 3 tasks puts every task back with its own previous owner; an undo of a task a
//! teammate changed since is refused and writes nothing. The undo history's other writes: a chain
//! of lead edits undone at the versions the history keeps (rebased after each undo), owner
//! changes and moves, each refused after a teammate's change.

use crate::common;

use chrono::{NaiveDate, Utc};
use closer::data::inbox::{TaskBefore, TaskChange, TaskUndo};
use closer::data::lead::UpdateOutcome;
use closer::data::models::{TaskPriority, TaskStatus};
use closer::data::{DataError, PgStore};
use closer::state::lead::LeadFields;
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

/// The lead's fields as the edit form would show them, and its version.
async fn fields(store: &PgStore, lead: Uuid) -> (LeadFields, i32) {
    let d = store.lead_detail(lead).await.expect("read the lead");
    (LeadFields::of(&d), d.version)
}

/// Saves `after` over `base` at `version` as the edit form does (and as the history's undo
/// does with the two swapped); the new version, or `None` on a conflict.
async fn save(
    store: &PgStore,
    lead: Uuid,
    version: i32,
    after: &LeadFields,
    base: &LeadFields,
) -> Option<i32> {
    match store
        .update_lead(lead, version, after.edit_from(base))
        .await
        .expect("update")
    {
        UpdateOutcome::Saved { version } => Some(version),
        UpdateOutcome::Conflict { .. } => None,
    }
}

#[tokio::test]
async fn a_chain_of_lead_undos_walks_back_and_a_teammates_change_is_kept() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let lead = db.lead(org, "Dana Buyer").await;
    let rep = db.user("Acme", "manager").await;
    let mate = db.user("Acme", "manager").await;
    let store = store_of(&db, &rep, org).await;
    let teammate = store_of(&db, &mate, org).await;

    // Two edits, recorded as the history records them: (from, version left, before, after).
    let (base0, v0) = fields(&store, lead).await;
    let mut one = base0.clone();
    one.email = "dana@buyer.test".to_string();
    let v1 = save(&store, lead, v0, &one, &base0).await.expect("edit 1");
    let mut two = one.clone();
    two.phone = "+1 555 0101".to_string();
    let v2 = save(&store, lead, v1, &two, &one).await.expect("edit 2");

    // `u`: the newest first, at the version it left; then the older one at the version the
    // first undo left (the history's rebase: v1 → v3), not a conflict with itself.
    let v3 = save(&store, lead, v2, &one, &two)
        .await
        .expect("undo of edit 2 is not a conflict");
    let (now, _) = fields(&store, lead).await;
    assert_eq!(
        (now.email.as_str(), now.phone.as_str()),
        ("dana@buyer.test", "")
    );
    save(&store, lead, v3, &base0, &one)
        .await
        .expect("undo of edit 1 at the rebased version");
    let (now, v4) = fields(&store, lead).await;
    assert_eq!(now, base0, "back where the chain started");

    // An edit, then a teammate changes the same lead: the undo is refused, theirs is kept.
    let mut three = now.clone();
    three.email = "mine@buyer.test".to_string();
    let v5 = save(&store, lead, v4, &three, &now).await.expect("edit 3");
    let (_, seen) = fields(&teammate, lead).await;
    let mut theirs = three.clone();
    theirs.email = "theirs@buyer.test".to_string();
    save(&teammate, lead, seen, &theirs, &three)
        .await
        .expect("the teammate's edit");
    assert_eq!(
        save(&store, lead, v5, &now, &three).await,
        None,
        "a conflict"
    );
    let (after, _) = fields(&store, lead).await;
    assert_eq!(after.email, "theirs@buyer.test", "nothing overwritten");
}

#[tokio::test]
async fn undo_of_an_owner_change_and_a_move_refuses_after_a_teammates_change() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let lead = db.lead(org, "Dana Buyer").await;
    let rep = db.user("Acme", "manager").await;
    let mate = db.user("Acme", "manager").await;
    let store = store_of(&db, &rep, org).await;
    let teammate = store_of(&db, &mate, org).await;

    // Owner: give it to the teammate, undo gives it back (at the version the change left).
    let (_, v0) = fields(&store, lead).await;
    let v1 = store
        .change_owner(lead, v0, mate.profile_id)
        .await
        .expect("owner change");
    store
        .change_owner(lead, v1, rep.profile_id)
        .await
        .expect("the undo");
    let (_, v2) = fields(&store, lead).await;
    let v3 = store
        .change_owner(lead, v2, mate.profile_id)
        .await
        .expect("owner change again");
    // The teammate edits the lead since: the undo is a conflict and writes nothing.
    let (base, seen) = fields(&teammate, lead).await;
    let mut theirs = base.clone();
    theirs.name = "Dana B. Buyer".to_string();
    save(&teammate, lead, seen, &theirs, &base)
        .await
        .expect("the teammate's edit");
    match store.change_owner(lead, v3, rep.profile_id).await {
        Err(DataError::Conflict) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let owner: Option<Uuid> = sqlx::query_scalar("select assigned_to from leads where id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("read the owner");
    assert_eq!(owner, Some(mate.profile_id));

    // Move: New → second stage, undo back; again, and the teammate moves it on: refused.
    let stages = db.stages(org).await;
    let (first, second, third) = (stages[0].0, stages[1].0, stages[2].0);
    store
        .move_lead(lead, first, second, None)
        .await
        .expect("move");
    store
        .move_lead(lead, second, first, None)
        .await
        .expect("the undo");
    store
        .move_lead(lead, first, second, None)
        .await
        .expect("move again");
    teammate
        .move_lead(lead, second, third, None)
        .await
        .expect("the teammate's move");
    match store.move_lead(lead, second, first, None).await {
        Err(DataError::Conflict) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let stage: Uuid = sqlx::query_scalar("select stage_id from leads where id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("read the stage");
    assert_eq!(stage, third, "the teammate's move is kept");
}

#[tokio::test]
async fn undo_of_a_completion_on_the_lead_screen_reopens_unless_reopened_since() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let lead = db.lead(org, "Dana Buyer").await;
    let rep = db.user("Acme", "rep").await;
    let mate = db.user("Acme", "rep").await;
    let store = store_of(&db, &rep, org).await;
    let teammate = store_of(&db, &mate, org).await;
    let a = task(&db, org, lead, "a", rep.profile_id).await;
    let status = |db: &TestDb| {
        let admin = db.admin.clone();
        async move {
            sqlx::query_scalar::<_, String>("select status::text from lead_tasks where id = $1")
                .bind(a)
                .fetch_one(&admin)
                .await
                .expect("read the status")
        }
    };
    let before = status(&db).await;
    assert_ne!(before, "completed");
    // What the lead screen's `x` and `u` send: complete at its version, reopen with the status
    // it had.
    store.complete_task(a, 1).await.expect("complete");
    store
        .undo_complete(&[(a, TaskStatus::Pending)], Utc::now())
        .await
        .expect("the undo");
    assert_ne!(status(&db).await, "completed");
    // Completed again; a teammate reopens it since: the undo is refused.
    let version: i32 = sqlx::query_scalar("select version from lead_tasks where id = $1")
        .bind(a)
        .fetch_one(&db.admin)
        .await
        .expect("read the version");
    store.complete_task(a, version).await.expect("complete");
    teammate
        .undo_complete(&[(a, TaskStatus::Pending)], Utc::now())
        .await
        .expect("the teammate reopens it");
    assert!(
        matches!(
            store
                .undo_complete(&[(a, TaskStatus::Pending)], Utc::now())
                .await,
            Err(DataError::Conflict)
        ),
        "refused: someone reopened it since"
    );
}
