//! The floor's writes lock no row that every writer of the organization shares (issue 16,
//! migrations 0048 and 0054): a move, a call, a new task and a completed one, a tag and a deal
//! leave the organization's row untouched. Each foreign-key check on `organizations` took a KEY
//! SHARE lock on it, which sets the row's xmax (a MultiXact with fifty writers), so an unchanged
//! xmax means no writer locked it.

use crate::common::TestDb;

use chrono::Utc;
use closer::data::lead::{DealStatus, InteractionKind, NewDeal, NewInteraction, NewTask};
use closer::data::models::TaskPriority;
use uuid::Uuid;

/// The `SET` clauses of a function (`name=value`), by its signature.
pub(crate) async fn function_settings(db: &TestDb, signature: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select unnest(coalesce(proconfig, '{}')) from pg_proc where oid = $1::regprocedure",
    )
    .bind(signature)
    .fetch_all(&db.admin)
    .await
    .expect("the function's settings")
}

async fn organization_xmax(db: &TestDb, org: Uuid) -> String {
    sqlx::query_scalar("select xmax::text from organizations where id = $1")
        .bind(org)
        .fetch_one(&db.admin)
        .await
        .expect("the organization's xmax")
}

#[tokio::test]
async fn the_floors_writes_leave_the_organization_row_unlocked() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let rep = db.user("Acme", "rep").await;
    let store = db.session(&rep).await.open(org).expect("a member");
    let lead = db.lead(org, "Floor lead").await;
    let stages = db.stages(org).await;
    let (first, second) = (stages[0].0, stages[1].0);
    let unlocked = organization_xmax(&db, org).await;

    store
        .move_lead(lead, first, second, None)
        .await
        .expect("a move");
    assert_eq!(organization_xmax(&db, org).await, unlocked, "after a move");

    let call = NewInteraction {
        kind: InteractionKind::Call,
        direction: None,
        subject: Some("Intro call".to_owned()),
        content: None,
        duration_secs: Some(120),
        outcome: None,
    };
    store.log_interaction(lead, call).await.expect("a call");
    assert_eq!(organization_xmax(&db, org).await, unlocked, "after a call");

    let task = NewTask {
        title: "Send the proposal".to_owned(),
        description: None,
        due_date: Some(Utc::now().date_naive()),
        due_time: None,
        priority: TaskPriority::High,
        assigned_to: None,
    };
    let task = store
        .add_task(lead, task, Utc::now())
        .await
        .expect("a task");
    assert_eq!(
        organization_xmax(&db, org).await,
        unlocked,
        "after a new task"
    );
    store
        .complete_tasks(&[task], Utc::now())
        .await
        .expect("completed");
    assert_eq!(
        organization_xmax(&db, org).await,
        unlocked,
        "after completing it"
    );

    store.add_tag(lead, "vip", "#1a2b3c").await.expect("a tag");
    assert_eq!(organization_xmax(&db, org).await, unlocked, "after a tag");
    let deal = NewDeal {
        name: "Pilot".to_owned(),
        amount: 12_000.0,
        currency: None,
        stage: "qualification".to_owned(),
        probability: 30,
        status: DealStatus::Open,
        expected_close_date: None,
    };
    store.add_deal(lead, deal).await.expect("a deal");
    assert_eq!(organization_xmax(&db, org).await, unlocked, "after a deal");
}

/// Migration 0055: the floor's writes (and everything they fire, down to the commit-time notice)
/// keep their generic plans instead of planning every statement on every call.
/// Speed is the bench's to measure; this checks that the setting is on every entry point and
/// that the writes still do what they did under it (the other floor tests run through them).
#[tokio::test]
async fn the_floors_writes_plan_their_statements_once() {
    let db = TestDb::new().await;
    let entry_points = [
        "closer.move_lead(uuid, uuid, uuid, text, uuid)",
        "closer.log_interaction(uuid, uuid, interaction_type, interaction_direction, text, text, integer, text)",
        "closer.add_task(uuid, uuid, text, text, date, time without time zone, task_priority, uuid, text, timestamp with time zone)",
        "closer.complete_task(uuid, uuid, integer)",
        "closer.notify_flush()",
    ];
    for function in entry_points {
        let config = function_settings(&db, function).await;
        assert!(
            config
                .iter()
                .any(|c| c == "plan_cache_mode=force_generic_plan"),
            "{function}: {config:?}"
        );
    }
    // The setting is the functions' own: the rep's session is back on `auto` after a move.
    let org = db.org("Acme").await;
    let rep = db.user("Acme", "rep").await;
    let store = db.session(&rep).await.open(org).expect("a member");
    let lead = db.lead(org, "Planned lead").await;
    let stages = db.stages(org).await;
    store
        .move_lead(lead, stages[0].0, stages[1].0, None)
        .await
        .expect("a move");
    let mode: String = sqlx::query_scalar("select current_setting('plan_cache_mode')")
        .fetch_one(store.pool())
        .await
        .expect("the session's plan cache mode");
    assert_eq!(mode, "auto", "the move's setting ended with the move");
}

/// Migration 0056: the facet helpers are inlined into the statements that call them (a SQL
/// function that is not inlined is parsed and planned again by every statement calling it), and
/// the after-commit announce (0060) is PL/pgSQL, whose plans last the session.
#[tokio::test]
async fn the_writes_helpers_are_inlined_or_cached() {
    let db = TestDb::new().await;
    let plan: Vec<String> = sqlx::query_scalar(
        "explain (verbose, costs off)
         select closer.touch_facet(now()), closer.next_facet(count(*), min(closer.task_step(current_date, localtime)))
         from generate_series(1, 3)",
    )
    .fetch_all(&db.admin)
    .await
    .expect("the plan");
    let plan = plan.join("\n");
    assert!(plan.contains("to_char"), "{plan}");
    assert!(
        !plan.contains("touch_facet")
            && !plan.contains("next_facet")
            && !plan.contains("task_step"),
        "called, not inlined: {plan}"
    );
    let language: String = sqlx::query_scalar(
        "select l.lanname::text from pg_proc p join pg_language l on l.oid = p.prolang
         where p.oid = 'closer.announce_pending()'::regprocedure",
    )
    .fetch_one(&db.admin)
    .await
    .expect("the announce's language");
    assert_eq!(language, "plpgsql");
}

/// Migration 0059: the history table, which every move writes twice, keeps no unique key that
/// nothing reads (its primary key, and no second (organization_id, id) key: no foreign key
/// references the table).
#[tokio::test]
async fn a_moves_history_row_feeds_no_unread_unique_key() {
    let db = TestDb::new().await;
    let unique: Vec<String> = sqlx::query_scalar(
        "select i.indexrelid::regclass::text from pg_index i
         where i.indrelid = 'stage_history'::regclass and i.indisunique and not i.indisprimary
           and not exists (select 1 from pg_constraint f
                           where f.contype = 'f' and f.conindid = i.indexrelid)
           and i.indexrelid <> 'stage_history_open_idx'::regclass",
    )
    .fetch_all(&db.admin)
    .await
    .expect("unique keys of the history");
    assert!(unique.is_empty(), "unread unique keys: {unique:?}");
    let referenced: i64 = sqlx::query_scalar(
        "select count(*) from pg_constraint where contype = 'f' and confrelid = 'stage_history'::regclass",
    )
    .fetch_one(&db.admin)
    .await
    .expect("keys referencing the history");
    assert_eq!(referenced, 0);
}
