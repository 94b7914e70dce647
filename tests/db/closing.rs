//! Closing a lead as one decision (issue 10, migration 0006) against a real PostgreSQL, through
//! rep logins: won, lost and reopen with their deals, tasks, reason and activities; the exact undo
//! of each; undo refused after a teammate's change or with forged ids; `closed_on` kept by the
//! database; the closed-stage headers equal plain SQL sums for every period.

use crate::closing_more::{PERIOD_STARTS, assert_closed_headers_match, closed_deal};
use crate::common;

use chrono::NaiveDate;
use closer::data::closing::{CloseMove, CloseUndo, DealChoice, Period, TaskChoice};
use closer::data::{DataError, PgStore};
use common::{TestDb, TestUser};
use serde_json::json;
use sqlx::Row;
use uuid::Uuid;

pub(crate) async fn team(db: &TestDb, org_name: &str) -> (Uuid, TestUser, PgStore) {
    let org = db.org(org_name).await;
    let rep = db.user(org_name, "rep").await;
    let store = db
        .session(&rep)
        .await
        .open(org)
        .expect("a member opens the org");
    (org, rep, store)
}

pub(crate) async fn add_deal(
    db: &TestDb,
    org: Uuid,
    lead: Uuid,
    amount: f64,
    probability: i32,
) -> Uuid {
    sqlx::query_scalar(
        "insert into deals (organization_id, lead_id, name, amount, probability)
         values ($1, $2, 'Flat', $3::numeric, $4) returning id",
    )
    .bind(org)
    .bind(lead)
    .bind(amount)
    .bind(probability)
    .fetch_one(&db.admin)
    .await
    .expect("insert a deal")
}

/// An open task, three days overdue.
async fn add_task(db: &TestDb, org: Uuid, lead: Uuid, title: &str) -> Uuid {
    add_task_due(db, org, lead, title, -3).await
}

/// An open task due `days` from today (negative: overdue).
pub(crate) async fn add_task_due(
    db: &TestDb,
    org: Uuid,
    lead: Uuid,
    title: &str,
    days: i32,
) -> Uuid {
    sqlx::query_scalar(
        "insert into lead_tasks (organization_id, lead_id, title, due_date)
         values ($1, $2, $3, current_date + $4) returning id",
    )
    .bind(org)
    .bind(lead)
    .bind(title)
    .bind(days)
    .fetch_one(&db.admin)
    .await
    .expect("insert a task")
}

/// (status, probability, closed_on) of a deal.
pub(crate) async fn deal(db: &TestDb, id: Uuid) -> (String, i32, Option<NaiveDate>) {
    let row = sqlx::query("select status::text, probability, closed_on from deals where id = $1")
        .bind(id)
        .fetch_one(&db.admin)
        .await
        .expect("read the deal");
    (
        row.get("status"),
        row.get("probability"),
        row.get("closed_on"),
    )
}

pub(crate) async fn task_status(db: &TestDb, id: Uuid) -> (String, bool) {
    let row = sqlx::query(
        "select status::text, completed_at is not null as done from lead_tasks where id = $1",
    )
    .bind(id)
    .fetch_one(&db.admin)
    .await
    .expect("read the task");
    (row.get("status"), row.get("done"))
}

pub(crate) async fn lead_row(db: &TestDb, id: Uuid) -> (Uuid, Option<String>) {
    sqlx::query_as("select stage_id, lost_reason from leads where id = $1")
        .bind(id)
        .fetch_one(&db.admin)
        .await
        .expect("read the lead")
}

pub(crate) async fn org_today(db: &TestDb, org: Uuid) -> NaiveDate {
    sqlx::query_scalar("select closer.org_today($1)")
        .bind(org)
        .fetch_one(&db.admin)
        .await
        .expect("today in the org")
}

/// The stage_change activities of a lead, oldest first.
pub(crate) async fn moves(db: &TestDb, lead: Uuid) -> Vec<serde_json::Value> {
    sqlx::query_scalar(
        "select content from lead_activities where lead_id = $1 and type = 'stage_change'
         order by created_at, id",
    )
    .bind(lead)
    .fetch_all(&db.admin)
    .await
    .expect("read the activities")
}

/// Open amount of a stage as the board's header reads it.
async fn open_amount(store: &PgStore, db: &TestDb, org: Uuid, stage: Uuid) -> f64 {
    let pipeline = db.default_pipeline(org).await;
    store
        .stage_summaries(pipeline)
        .await
        .expect("summaries")
        .get(&stage)
        .map_or(0.0, |s| s.open_deal_amount)
}

fn close(lead: Uuid, from: Uuid, to: Uuid, deals: DealChoice, tasks: TaskChoice) -> CloseMove {
    CloseMove {
        lead_id: lead,
        from_stage: from,
        to_stage: to,
        lost_reason: None,
        deals,
        tasks,
    }
}

fn invalid<T: std::fmt::Debug>(result: Result<T, DataError>) -> String {
    match result {
        Err(DataError::Invalid(why)) => why,
        other => panic!("expected a refusal with a sentence, got {other:?}"),
    }
}

#[tokio::test]
async fn a_move_to_won_closes_deals_and_tasks_in_one_call_and_undo_restores_them() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Won Co").await;
    let new = db.stage(org, "New").await;
    let won = db.stage(org, "Won").await;
    let lead = db.lead(org, "Ada").await;
    let open_deal = add_deal(&db, org, lead, 1000.0, 40).await;
    let lost_before = add_deal(&db, org, lead, 50.0, 10).await;
    sqlx::query("update deals set status = 'lost', closed_on = date '2026-01-05' where id = $1")
        .bind(lost_before)
        .execute(&db.admin)
        .await
        .expect("an older lost deal");
    let task = add_task(&db, org, lead, "Call back").await;
    assert_eq!(open_amount(&store, &db, org, new).await, 1000.0);

    let closed = store
        .close_lead(close(
            lead,
            new,
            won,
            DealChoice::Close,
            TaskChoice::Complete,
        ))
        .await
        .expect("close as won");
    assert_eq!(closed.moved.stage_id, won);
    assert_eq!((closed.undo.deal_count(), closed.undo.task_count()), (1, 1));

    let today = org_today(&db, org).await;
    assert_eq!(deal(&db, open_deal).await, ("won".into(), 100, Some(today)));
    // A deal that was already closed keeps its own status and day.
    assert_eq!(
        deal(&db, lost_before).await,
        ("lost".into(), 10, NaiveDate::from_ymd_opt(2026, 1, 5))
    );
    assert_eq!(task_status(&db, task).await, ("completed".into(), true));
    assert_eq!(lead_row(&db, lead).await, (won, None));
    // The forecast no longer counts the won deal in any column.
    assert_eq!(open_amount(&store, &db, org, new).await, 0.0);
    assert_eq!(open_amount(&store, &db, org, won).await, 0.0);
    let logged = moves(&db, lead).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["to"], "Won");
    assert_eq!(logged[0]["deal_ids"], json!([open_deal]));
    assert_eq!(logged[0]["task_ids"], json!([task]));

    let back = store.undo_close(&closed.undo).await.expect("undo");
    assert_eq!(back.stage_id, new);
    assert_eq!(deal(&db, open_deal).await, ("open".into(), 40, None));
    assert_eq!(task_status(&db, task).await, ("pending".into(), false));
    assert_eq!(lead_row(&db, lead).await, (new, None));
    assert_eq!(open_amount(&store, &db, org, new).await, 1000.0);
    let logged = moves(&db, lead).await;
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[1]["undo"], true);
    assert_eq!(logged[1]["to"], "New");
    // Undo is once: the versions moved on.
    assert!(invalid(store.undo_close(&closed.undo).await).starts_with("Cannot undo"));
}

#[tokio::test]
async fn a_move_to_lost_needs_a_reason_stores_it_and_undo_restores_the_previous_one() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Lost Co").await;
    let proposal = db.stage(org, "Proposal").await;
    let lost = db.stage(org, "Lost").await;
    let lead = db.lead(org, "Bob").await;
    sqlx::query("update leads set stage_id = $2, lost_reason = 'old note' where id = $1")
        .bind(lead)
        .bind(proposal)
        .execute(&db.admin)
        .await
        .expect("set up");
    let open_deal = add_deal(&db, org, lead, 700.0, 60).await;
    let task = add_task(&db, org, lead, "Send offer").await;

    let refused = invalid(
        store
            .close_lead(close(
                lead,
                proposal,
                lost,
                DealChoice::Close,
                TaskChoice::Keep,
            ))
            .await,
    );
    assert_eq!(refused, "A lead moved to Lost needs a reason");
    assert_eq!(lead_row(&db, lead).await.0, proposal, "nothing moved");

    let closed = store
        .close_lead(CloseMove {
            lost_reason: Some("Bought elsewhere".into()),
            ..close(lead, proposal, lost, DealChoice::Close, TaskChoice::Keep)
        })
        .await
        .expect("close as lost");
    assert_eq!(closed.undo.previous_reason(), Some("old note"));
    let today = org_today(&db, org).await;
    assert_eq!(deal(&db, open_deal).await, ("lost".into(), 60, Some(today)));
    assert_eq!(task_status(&db, task).await.0, "pending", "tasks kept");
    assert_eq!(
        lead_row(&db, lead).await,
        (lost, Some("Bought elsewhere".into()))
    );
    assert_eq!(moves(&db, lead).await[0]["lost_reason"], "Bought elsewhere");

    store.undo_close(&closed.undo).await.expect("undo");
    assert_eq!(deal(&db, open_deal).await, ("open".into(), 60, None));
    assert_eq!(
        lead_row(&db, lead).await,
        (proposal, Some("old note".into()))
    );
    assert_eq!(open_amount(&store, &db, org, proposal).await, 700.0);
}

#[tokio::test]
async fn reopening_a_won_lead_reopens_its_deals_and_undo_recloses_them_on_their_day() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Reopen Co").await;
    let won = db.stage(org, "Won").await;
    let qualified = db.stage(org, "Qualified").await;
    let lead = db.lead(org, "Cy").await;
    sqlx::query("update leads set stage_id = $2 where id = $1")
        .bind(lead)
        .bind(won)
        .execute(&db.admin)
        .await
        .expect("set up");
    let done = add_deal(&db, org, lead, 900.0, 100).await;
    sqlx::query("update deals set status = 'won', closed_on = date '2026-03-14' where id = $1")
        .bind(done)
        .execute(&db.admin)
        .await
        .expect("won in March");
    let task = add_task(&db, org, lead, "Hand over keys").await;

    let refused = invalid(
        store
            .close_lead(close(
                lead,
                won,
                qualified,
                DealChoice::Close,
                TaskChoice::Keep,
            ))
            .await,
    );
    assert!(refused.starts_with("Deals can only be closed"), "{refused}");

    let reopened = store
        .close_lead(close(
            lead,
            won,
            qualified,
            DealChoice::Reopen,
            TaskChoice::Complete,
        ))
        .await
        .expect("reopen");
    // The stage's default probability (0005: Qualified = 50) replaces the closed 100.
    let (status, probability, closed_on) = deal(&db, done).await;
    assert_eq!((status.as_str(), closed_on), ("open", None));
    assert_eq!(probability, 50);
    assert_eq!(task_status(&db, task).await.0, "completed");
    assert_eq!(open_amount(&store, &db, org, qualified).await, 900.0);
    assert_eq!(moves(&db, lead).await[0]["deals"], "reopen");

    store.undo_close(&reopened.undo).await.expect("undo");
    assert_eq!(
        deal(&db, done).await,
        ("won".into(), 100, NaiveDate::from_ymd_opt(2026, 3, 14))
    );
    assert_eq!(task_status(&db, task).await, ("pending".into(), false));
    assert_eq!(lead_row(&db, lead).await.0, won);
    assert_eq!(open_amount(&store, &db, org, qualified).await, 0.0);
}

#[tokio::test]
async fn undo_is_refused_after_a_teammates_change_and_undoes_nothing() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Race Co").await;
    let mate = db.user("Race Co", "rep").await;
    let mates = db.session(&mate).await.open(org).expect("open");
    let new = db.stage(org, "New").await;
    let won = db.stage(org, "Won").await;
    let lead = db.lead(org, "Dee").await;
    let d = add_deal(&db, org, lead, 100.0, 20).await;
    let closed = store
        .close_lead(close(lead, new, won, DealChoice::Close, TaskChoice::Keep))
        .await
        .expect("close");
    // The teammate edits the won deal's amount through the API.
    let version: i32 = sqlx::query_scalar("select version from deals where id = $1")
        .bind(d)
        .fetch_one(&db.admin)
        .await
        .expect("version");
    sqlx::query(
        "select closer.update_deal($1, $2, $3, null, 120, null, null, null, false, null, '[\"amount\"]')",
    )
    .bind(org)
    .bind(d)
    .bind(version)
    .execute(mates.pool())
    .await
    .expect("teammate edits");
    let why = invalid(store.undo_close(&closed.undo).await);
    assert!(why.contains("deals"), "{why}");
    assert_eq!(lead_row(&db, lead).await.0, won, "the lead stays");
    assert_eq!(deal(&db, d).await.0, "won");
}

#[tokio::test]
async fn a_forged_undo_cannot_reach_other_leads_or_organizations() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Forge Co").await;
    let (other_org, _other, other_store) = team(&db, "Victim Co").await;
    let new = db.stage(org, "New").await;
    let won = db.stage(org, "Won").await;
    let lead = db.lead(org, "Eve").await;
    let second = db.lead(org, "Second").await;
    let mine = add_deal(&db, org, second, 10.0, 10).await;
    let victim_lead = db.lead(other_org, "Victim").await;
    let theirs = add_deal(&db, other_org, victim_lead, 10.0, 10).await;
    let closed = store
        .close_lead(close(lead, new, won, DealChoice::Close, TaskChoice::Keep))
        .await
        .expect("close");

    for target in [mine, theirs] {
        let mut forged = closed.undo.0.clone();
        forged["deals"] = json!([{"id": target, "version": 1, "status": "won",
                                   "probability": 100, "closed_on": "2020-01-01"}]);
        let why = invalid(store.undo_close(&CloseUndo(forged)).await);
        assert!(why.starts_with("Cannot undo"), "{why}");
    }
    assert_eq!(deal(&db, mine).await, ("open".into(), 10, None));
    assert_eq!(deal(&db, theirs).await, ("open".into(), 10, None));
    // Replayed in another organization's name: not a member.
    let replay = other_store.undo_close(&closed.undo).await;
    assert!(matches!(replay, Err(DataError::Invalid(_))), "{replay:?}");
    let foreign = sqlx::query("select closer.undo_close($1, $2)")
        .bind(other_org)
        .bind(&closed.undo.0)
        .execute(store.pool())
        .await
        .expect_err("not a member of the other org");
    assert_eq!(common::sqlstate(&foreign).as_deref(), Some("42501"));
    let garbage = invalid(store.undo_close(&CloseUndo(json!({"lead": 1}))).await);
    assert_eq!(garbage, "This undo is not one Closer wrote");
}

#[tokio::test]
async fn the_database_keeps_closed_on_with_the_status() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Dates Co").await;
    let lead = db.lead(org, "Fay").await;
    let d = add_deal(&db, org, lead, 10.0, 10).await;
    let today = org_today(&db, org).await;
    let version = |db: &TestDb| {
        let admin = db.admin.clone();
        async move {
            sqlx::query_scalar::<_, i32>("select version from deals where id = $1")
                .bind(d)
                .fetch_one(&admin)
                .await
                .expect("version")
        }
    };
    for (status, expected) in [("won", Some(today)), ("open", None), ("lost", Some(today))] {
        sqlx::query(
            "select closer.update_deal($1, $2, $3, null, null, null, null, $4::deal_status, false, null, '[\"status\"]')",
        )
        .bind(org)
        .bind(d)
        .bind(version(&db).await)
        .bind(status)
        .execute(store.pool())
        .await
        .expect("update_deal");
        assert_eq!(deal(&db, d).await.2, expected, "after {status}");
    }
    // An explicit day is kept.
    sqlx::query("update deals set status = 'won', closed_on = date '2025-12-31' where id = $1")
        .bind(d)
        .execute(&db.admin)
        .await
        .expect("explicit day");
    assert_eq!(deal(&db, d).await.2, NaiveDate::from_ymd_opt(2025, 12, 31));
}

#[tokio::test]
async fn closed_stage_headers_equal_plain_sql_sums_for_every_period() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Sums Co").await;
    let pipeline = db.default_pipeline(org).await;
    let won = db.stage(org, "Won").await;
    let lost = db.stage(org, "Lost").await;
    let new = db.stage(org, "New").await;
    // Deals closed on days spread over two years, in both closed columns and (a won deal of a
    // reopened lead) in an open one that must not count.
    for i in 0..40i32 {
        let stage = match i % 3 {
            0 => won,
            1 => lost,
            _ => new,
        };
        let lead = db.lead(org, &format!("L{i}")).await;
        sqlx::query("update leads set stage_id = $2 where id = $1")
            .bind(lead)
            .bind(stage)
            .execute(&db.admin)
            .await
            .expect("stage");
        let status = if i % 2 == 0 { "won" } else { "lost" };
        closed_deal(&db, org, lead, status, 1000.0 + f64::from(i) * 37.5, i * 19).await;
        add_deal(&db, org, lead, 5.0, 50).await;
    }
    assert_closed_headers_match(&db, &store, org, &[(won, "won"), (lost, "lost")], "inserts").await;
    // Under a board filter the closed headers count only the leads it keeps, in every period
    // (a period that starts reads that period's deals first, then their leads): L1's lost deal
    // closed today is in this month, L10-L19's fall in earlier months.
    let l1: Uuid =
        sqlx::query_scalar("select id from leads where organization_id = $1 and name = 'L1'")
            .bind(org)
            .fetch_one(&db.admin)
            .await
            .expect("L1");
    closed_deal(&db, org, l1, "lost", 77.0, 0).await;
    let filter = closer::filter::parse("L1").expect("filter");
    for (period, since) in PERIOD_STARTS {
        let totals = store
            .closed_totals(pipeline, period, &filter)
            .await
            .expect("filtered totals");
        for (stage, status) in [(won, "won"), (lost, "lost")] {
            let (count, amount): (i64, f64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "select count(*), coalesce(sum(d.amount), 0)::float8 from deals d
                 join leads l on l.id = d.lead_id
                 where l.organization_id = $1 and l.stage_id = $2 and d.status::text = $3
                   and l.name like 'L1%' and d.closed_on >= {since}"
            )))
            .bind(org)
            .bind(stage)
            .bind(status)
            .fetch_one(&db.admin)
            .await
            .expect("plain filtered sum");
            let shown = totals.get(&stage).copied().unwrap_or_default();
            assert_eq!(
                (shown.deal_count, shown.amount),
                (count, amount),
                "filtered {status}, {period:?}"
            );
            if matches!(period, Period::Month) && status == "lost" {
                assert!(count > 0, "this month's lost deal of L1 counts");
            }
        }
    }
    // Open stages: the summaries equal plain sums over open deals.
    let summaries = store.stage_summaries(pipeline).await.expect("summaries");
    let (count, amount, weighted): (i64, f64, f64) = sqlx::query_as(
        "select (select count(*) from leads where stage_id = $1),
                coalesce(sum(d.amount), 0)::float8,
                round(coalesce(sum(d.amount * d.probability / 100.0), 0), 2)::float8
         from deals d join leads l on l.id = d.lead_id
         where l.stage_id = $1 and d.status = 'open'",
    )
    .bind(new)
    .fetch_one(&db.admin)
    .await
    .expect("plain open sums");
    let shown = summaries.get(&new).copied().unwrap_or_default();
    assert_eq!(
        (
            shown.lead_count,
            shown.open_deal_amount,
            shown.weighted_deal_amount
        ),
        (count, amount, weighted)
    );
}

#[tokio::test]
async fn the_inbox_and_the_overdue_count_leave_out_tasks_of_closed_leads() {
    use closer::data::inbox::{InboxScope, TaskGroup};
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Inbox Co").await;
    let won = db.stage(org, "Won").await;
    let open_lead = db.lead(org, "Open").await;
    let won_lead = db.lead(org, "Closed").await;
    sqlx::query("update leads set stage_id = $2 where id = $1")
        .bind(won_lead)
        .bind(won)
        .execute(&db.admin)
        .await
        .expect("won");
    for lead in [open_lead, won_lead] {
        let task = add_task(&db, org, lead, "Overdue call").await;
        sqlx::query("update lead_tasks set assigned_to = $2 where id = $1")
            .bind(task)
            .bind(rep.profile_id)
            .execute(&db.admin)
            .await
            .expect("assign");
    }
    let now = chrono::Utc::now();
    let count = store.overdue_task_count_at(now).await.expect("count");
    let inbox = store
        .inbox_filtered(now, InboxScope::Mine, None, false)
        .await
        .expect("inbox");
    let overdue = |inbox: &closer::data::inbox::Inbox| {
        inbox
            .tasks
            .iter()
            .filter(|(g, _)| *g == TaskGroup::Overdue)
            .count()
    };
    assert_eq!(
        (count, overdue(&inbox)),
        (1, 1),
        "the status bar matches the inbox"
    );
    assert_eq!(inbox.totals.get(&TaskGroup::Overdue).copied(), Some(1));
    let all = store
        .inbox_filtered(now, InboxScope::Mine, None, true)
        .await
        .expect("inbox with closed leads");
    assert_eq!(overdue(&all), 2, "O shows them");

    // The flag follows the lead and the stage whoever changes them (migration 0013).
    let visible = |store: &closer::data::PgStore| {
        let store = store.clone();
        async move {
            let inbox = store
                .inbox_filtered(now, InboxScope::Mine, None, false)
                .await
                .expect("inbox");
            let count = store.overdue_task_count_at(now).await.expect("count");
            (overdue(&inbox), count)
        }
    };
    let open_stage: Uuid = sqlx::query_scalar("select stage_id from leads where id = $1")
        .bind(open_lead)
        .fetch_one(&db.admin)
        .await
        .expect("stage");
    sqlx::query("update pipeline_stages set is_won = true, rotting_days = null where id = $1")
        .bind(open_stage)
        .execute(&db.admin)
        .await
        .expect("a manager makes the stage a won one");
    assert_eq!(visible(&store).await, (0, 0), "its leads' tasks leave");
    sqlx::query("update pipeline_stages set is_won = false where id = $1")
        .bind(open_stage)
        .execute(&db.admin)
        .await
        .expect("and back");
    sqlx::query("update leads set stage_id = $2 where id = $1")
        .bind(won_lead)
        .bind(open_stage)
        .execute(&db.admin)
        .await
        .expect("reopen the won lead");
    assert_eq!(visible(&store).await, (2, 2), "both leads are open again");
}

#[tokio::test]
async fn a_new_lead_cannot_start_in_a_lost_stage_without_a_reason() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Create Co").await;
    let lost = db.stage(org, "Lost").await;
    let refused = sqlx::query("select closer.create_lead($1, $2, 'Gus', null, null, null, null)")
        .bind(org)
        .bind(lost)
        .execute(store.pool())
        .await
        .expect_err("no reason, no lead");
    let why = DataError::from(refused).to_string();
    assert!(
        why.starts_with("A lead created in Lost needs a reason"),
        "{why}"
    );
    // With a reason (as a superuser import would write it) it is fine.
    sqlx::query(
        "insert into leads (organization_id, stage_id, name, lost_reason) values ($1, $2, 'Hal', 'No budget')",
    )
    .bind(org)
    .bind(lost)
    .execute(&db.admin)
    .await
    .expect("a lost lead with its reason");
}
