//! Issue 10, the rest (against a real PostgreSQL, through rep logins):
//! - marking a deal won or lost on the lead screen and accepting the move runs `close_lead` with
//!   every open deal closed: deals, tasks, reason and activities after it and after its undo;
//! - the organization's recent lost reasons: most used of the last 90 days, top 8, through RLS.

use crate::common;

use crate::closing::{add_deal, add_task_due, deal, lead_row, moves, org_today, task_status, team};
use chrono::NaiveDate;
use closer::data::closing::{CloseMove, DealChoice, TaskChoice};
use common::{TestDb, TestUser};
use serde_json::json;
use uuid::Uuid;

/// What the lead screen sends when the rep marks a deal and accepts the move.
fn deal_close(
    lead: Uuid,
    from: Uuid,
    to: Uuid,
    reason: Option<&str>,
    tasks: TaskChoice,
) -> CloseMove {
    CloseMove {
        lead_id: lead,
        from_stage: from,
        to_stage: to,
        lost_reason: reason.map(str::to_string),
        deals: DealChoice::Close,
        tasks,
    }
}

#[tokio::test]
async fn a_deal_marked_lost_with_the_move_closes_every_open_deal_and_undo_restores_them() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Deal Lost Co").await;
    let new = db.stage(org, "New").await;
    let lost = db.stage(org, "Lost").await;
    let lead = db.lead(org, "Grace").await;
    let marked = add_deal(&db, org, lead, 640_000.0, 60).await;
    let other = add_deal(&db, org, lead, 20_000.0, 30).await;
    let task = add_task_due(&db, org, lead, "Send the contract", 3).await;

    let closed = store
        .close_lead(deal_close(
            lead,
            new,
            lost,
            Some("went with a competitor"),
            TaskChoice::Complete,
        ))
        .await
        .expect("close as lost from the deal");
    assert_eq!(closed.moved.stage_id, lost);
    assert_eq!((closed.undo.deal_count(), closed.undo.task_count()), (2, 1));
    let today = org_today(&db, org).await;
    // Lost keeps the probability a rep had; only won sets 100.
    assert_eq!(deal(&db, marked).await, ("lost".into(), 60, Some(today)));
    assert_eq!(deal(&db, other).await, ("lost".into(), 30, Some(today)));
    assert_eq!(task_status(&db, task).await.0, "completed");
    assert_eq!(
        lead_row(&db, lead).await,
        (lost, Some("went with a competitor".into()))
    );
    let logged = moves(&db, lead).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["lost_reason"], "went with a competitor");
    assert_eq!(logged[0]["deals"], "close");
    // Both deals, in whatever order the update returned them.
    let mut logged_ids: Vec<String> = logged[0]["deal_ids"]
        .as_array()
        .expect("deal ids")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    logged_ids.sort();
    let mut ids = vec![marked.to_string(), other.to_string()];
    ids.sort();
    assert_eq!(logged_ids, ids);
    assert_eq!(logged[0]["task_ids"], json!([task]));

    store.undo_close(&closed.undo).await.expect("undo");
    assert_eq!(deal(&db, marked).await, ("open".into(), 60, None));
    assert_eq!(deal(&db, other).await, ("open".into(), 30, None));
    assert_eq!(task_status(&db, task).await.0, "pending");
    assert_eq!(lead_row(&db, lead).await, (new, None));
    let logged = moves(&db, lead).await;
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[1]["undo"], true);
    assert_eq!(logged[1]["to"], "New");
}

#[tokio::test]
async fn a_deal_marked_won_with_the_move_keeping_tasks_and_undo_is_exact() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Deal Won Co").await;
    let new = db.stage(org, "New").await;
    let won = db.stage(org, "Won").await;
    let lead = db.lead(org, "Alan").await;
    let marked = add_deal(&db, org, lead, 1000.0, 40).await;
    let task = add_task_due(&db, org, lead, "Hand over keys", 3).await;

    let closed = store
        .close_lead(deal_close(lead, new, won, None, TaskChoice::Keep))
        .await
        .expect("close as won from the deal");
    assert_eq!((closed.undo.deal_count(), closed.undo.task_count()), (1, 0));
    let today = org_today(&db, org).await;
    assert_eq!(deal(&db, marked).await, ("won".into(), 100, Some(today)));
    assert_eq!(task_status(&db, task).await.0, "pending", "tasks kept");
    assert_eq!(lead_row(&db, lead).await, (won, None));
    assert_eq!(moves(&db, lead).await[0]["task_ids"], json!([]));

    store.undo_close(&closed.undo).await.expect("undo");
    assert_eq!(deal(&db, marked).await, ("open".into(), 40, None));
    assert_eq!(task_status(&db, task).await.0, "pending");
    assert_eq!(lead_row(&db, lead).await, (new, None));
}

async fn lost_lead(db: &TestDb, org: Uuid, stage: Uuid, name: &str, reason: &str, days_ago: i32) {
    sqlx::query(
        "insert into leads (organization_id, stage_id, name, lost_reason, updated_at)
         values ($1, $2, $3, $4, now() - make_interval(days => $5))",
    )
    .bind(org)
    .bind(stage)
    .bind(name)
    .bind(reason)
    .bind(days_ago)
    .execute(&db.admin)
    .await
    .expect("insert a lost lead");
}

#[tokio::test]
async fn recent_lost_reasons_are_the_most_used_of_90_days_top_8_and_stay_in_the_org() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Reasons Co").await;
    let lost = db.stage(org, "Lost").await;
    assert!(
        store
            .recent_lost_reasons()
            .await
            .expect("none yet")
            .is_empty()
    );
    for (i, (reason, uses)) in [
        ("price", 4),
        ("competitor", 3),
        ("timing", 2),
        ("no budget", 1),
        ("r5", 1),
        ("r6", 1),
        ("r7", 1),
        ("r8", 1),
        ("r9", 1),
    ]
    .iter()
    .enumerate()
    {
        for n in 0..*uses {
            lost_lead(&db, org, lost, &format!("L{i}-{n}"), reason, 5).await;
        }
    }
    // Older than 90 days: not counted, however often.
    for n in 0..9 {
        lost_lead(&db, org, lost, &format!("Old{n}"), "ancient", 120).await;
    }
    // Another organization's reasons never show.
    let other = db.org("Other Reasons Co").await;
    let other_lost = db.stage(other, "Lost").await;
    for n in 0..9 {
        lost_lead(&db, other, other_lost, &format!("X{n}"), "secret", 1).await;
    }
    let reasons = store.recent_lost_reasons().await.expect("reasons");
    assert_eq!(
        reasons,
        [
            "price",
            "competitor",
            "timing",
            "no budget",
            "r5",
            "r6",
            "r7",
            "r8"
        ]
    );
    // The same as plain SQL over the organization's rows.
    let plain: Vec<String> = sqlx::query_scalar(
        "select lost_reason from leads where organization_id = $1 and lost_reason is not null
           and updated_at >= now() - interval '90 days'
         group by lost_reason order by count(*) desc, lost_reason limit 8",
    )
    .bind(org)
    .fetch_all(&db.admin)
    .await
    .expect("plain sql");
    assert_eq!(reasons, plain);
    // The read is one range of migration 0012's partial index (not a scan of the leads).
    let mut conn = db.admin.acquire().await.expect("a connection");
    sqlx::query("set enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .expect("planner setting");
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "explain {}",
        closer::data::closing_reasons::RECENT_REASONS_SQL
    )))
    .bind(org)
    .bind(8_i64)
    .bind(5000_i64)
    .fetch_all(&mut *conn)
    .await
    .expect("explain");
    assert!(
        plan.join("\n").contains("leads_lost_reason_recent_idx"),
        "{plan:?}"
    );
}

/// A task of `lead` assigned to `rep`, due `days` from today (negative: overdue), with the
/// status the write path would give it.
async fn rep_task(db: &TestDb, org: Uuid, lead: Uuid, rep: &TestUser, days: i32) -> Uuid {
    sqlx::query_scalar(
        "insert into lead_tasks (organization_id, lead_id, title, due_date, status, assigned_to)
         values ($1, $2, 'Follow up', current_date + $3,
                 case when $3 < 0 then 'overdue'::task_status else 'pending'::task_status end, $4)
         returning id",
    )
    .bind(org)
    .bind(lead)
    .bind(days)
    .bind(rep.profile_id)
    .fetch_one(&db.admin)
    .await
    .expect("insert a task")
}

#[tokio::test]
async fn a_move_to_won_can_cancel_open_tasks_and_undo_restores_each_status() {
    use closer::data::models::TaskStatus;
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Cancel Co").await;
    let new = db.stage(org, "New").await;
    let won = db.stage(org, "Won").await;
    let lead = db.lead(org, "Ada").await;
    let deal_id = add_deal(&db, org, lead, 1000.0, 40).await;
    let pending = rep_task(&db, org, lead, &rep, 3).await;
    let overdue = rep_task(&db, org, lead, &rep, -2).await;
    let done = rep_task(&db, org, lead, &rep, 1).await;
    sqlx::query("update lead_tasks set status = 'completed', completed_at = now() where id = $1")
        .bind(done)
        .execute(&db.admin)
        .await
        .expect("one task was already done");

    let mut close = deal_close(lead, new, won, None, TaskChoice::Cancel);
    close.deals = DealChoice::Close;
    let closed = store.close_lead(close).await.expect("close as won");
    assert_eq!((closed.undo.deal_count(), closed.undo.task_count()), (1, 2));
    assert_eq!(task_status(&db, pending).await.0, "cancelled");
    assert_eq!(task_status(&db, overdue).await.0, "cancelled");
    assert_eq!(
        task_status(&db, done).await.0,
        "completed",
        "a done task stays done"
    );
    let completed_at: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select completed_at from lead_tasks where id = $1")
            .bind(pending)
            .fetch_one(&db.admin)
            .await
            .expect("completed_at");
    assert_eq!(completed_at, None, "cancelled is not completed");
    let logged = moves(&db, lead).await;
    assert_eq!(logged[0]["tasks"], "cancel");
    assert_eq!(logged[0]["task_ids"].as_array().map(Vec::len), Some(2));
    // The lead screen decodes the new status.
    let tasks = store
        .lead_tasks(lead, chrono::Utc::now())
        .await
        .expect("lead tasks");
    let cancelled = tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Cancelled)
        .count();
    assert_eq!(cancelled, 2);
    assert!(
        tasks.iter().all(|t| !t.overdue),
        "a cancelled task is never overdue"
    );

    store.undo_close(&closed.undo).await.expect("undo");
    assert_eq!(task_status(&db, pending).await.0, "pending");
    assert_eq!(task_status(&db, overdue).await.0, "overdue");
    assert_eq!(task_status(&db, done).await.0, "completed");
    assert_eq!(deal(&db, deal_id).await, ("open".into(), 40, None));
    assert_eq!(lead_row(&db, lead).await, (new, None));
}

#[tokio::test]
async fn a_cancelled_task_is_open_nowhere() {
    use closer::data::inbox::{InboxScope, Snooze, TaskGroup};
    use closer::data::models::BoardSort;
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Cancelled Inbox Co").await;
    let new = db.stage(org, "New").await;
    let lead = db.lead(org, "Open lead").await;
    let kept = rep_task(&db, org, lead, &rep, -1).await;
    let cancelled = rep_task(&db, org, lead, &rep, -1).await;
    sqlx::query("update lead_tasks set status = 'cancelled' where id = $1")
        .bind(cancelled)
        .execute(&db.admin)
        .await
        .expect("cancel one");
    let now = chrono::Utc::now();
    for include_closed in [false, true] {
        let inbox = store
            .inbox_filtered(now, InboxScope::Mine, None, include_closed)
            .await
            .expect("inbox");
        let ids: Vec<Uuid> = inbox.tasks.iter().map(|(_, t)| t.id).collect();
        assert_eq!(ids, vec![kept], "only the open task is listed");
        assert_eq!(inbox.totals.get(&TaskGroup::Overdue).copied(), Some(1));
    }
    assert_eq!(store.overdue_task_count_at(now).await.expect("count"), 1);
    let page = store
        .column_page(new, BoardSort::Score, None, 10)
        .await
        .expect("column");
    let card = page.cards.iter().find(|c| c.id == lead).expect("the card");
    assert_eq!((card.open_tasks, card.overdue_tasks), (1, 1));

    // Snoozing or rescheduling a cancelled task keeps it cancelled.
    store
        .snooze_tasks(&[cancelled], Snooze::Days(3), now)
        .await
        .expect("snooze");
    assert_eq!(task_status(&db, cancelled).await.0, "cancelled");
    store
        .set_due(cancelled, NaiveDate::from_ymd_opt(2099, 1, 1), None, now)
        .await
        .expect("reschedule");
    assert_eq!(task_status(&db, cancelled).await.0, "cancelled");
    store
        .snooze_tasks(&[kept], Snooze::Days(3), now)
        .await
        .expect("snooze");
    assert_eq!(
        task_status(&db, kept).await.0,
        "pending",
        "an open one follows its date"
    );
}

/// Each header period with the SQL of its first day (`$1` the organization).
pub(crate) const PERIOD_STARTS: [(closer::data::closing::Period, &str); 4] = [
    (
        closer::data::closing::Period::Month,
        "date_trunc('month', closer.org_today($1))::date",
    ),
    (
        closer::data::closing::Period::Quarter,
        "date_trunc('quarter', closer.org_today($1))::date",
    ),
    (
        closer::data::closing::Period::Year,
        "date_trunc('year', closer.org_today($1))::date",
    ),
    (closer::data::closing::Period::AllTime, "'-infinity'::date"),
];

/// Plain sums per closed stage and period, beside what the headers show (migration 0034 reads
/// them from folded deltas; this reads the deals).
pub(crate) async fn assert_closed_headers_match(
    db: &TestDb,
    store: &closer::data::PgStore,
    org: Uuid,
    closed_stages: &[(Uuid, &str)],
    step: &str,
) {
    let pipeline = db.default_pipeline(org).await;
    for (period, since) in PERIOD_STARTS {
        let totals = store
            .closed_totals(pipeline, period, &closer::filter::Filter::default())
            .await
            .expect("totals");
        for &(stage, status) in closed_stages {
            let sql = format!(
                "select count(*), coalesce(sum(d.amount), 0)::float8 from deals d
                 join leads l on l.id = d.lead_id
                 where l.organization_id = $1 and l.stage_id = $2 and d.status::text = $3
                   and d.closed_on >= {since}"
            );
            let plain: (i64, f64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(org)
                .bind(stage)
                .bind(status)
                .fetch_one(&db.admin)
                .await
                .expect("plain sum");
            let shown = totals.get(&stage).copied().unwrap_or_default();
            assert_eq!(
                (shown.deal_count, shown.amount),
                plain,
                "{status} header in {period:?} after {step}"
            );
        }
    }
}

pub(crate) async fn closed_deal(
    db: &TestDb,
    org: Uuid,
    lead: Uuid,
    status: &str,
    amount: f64,
    days_ago: i32,
) -> Uuid {
    sqlx::query_scalar(
        "insert into deals (organization_id, lead_id, name, amount, status, closed_on)
         values ($1, $2, 'D', $3::numeric, $4::deal_status, closer.org_today($1) - $5) returning id",
    )
    .bind(org)
    .bind(lead)
    .bind(amount)
    .bind(status)
    .bind(days_ago)
    .fetch_one(&db.admin)
    .await
    .expect("closed deal")
}

#[tokio::test]
async fn closed_headers_follow_every_edit_move_and_delete_before_and_after_folding() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Closed Deltas Co").await;
    let (new, won, lost) = (
        db.stage(org, "New").await,
        db.stage(org, "Won").await,
        db.stage(org, "Lost").await,
    );
    let closed_stages = [(won, "won"), (lost, "lost")];
    let (a, b, c) = (
        db.lead(org, "A").await,
        db.lead(org, "B").await,
        db.lead(org, "C").await,
    );
    for (lead, stage) in [(a, won), (b, lost)] {
        sqlx::query("update leads set stage_id = $2 where id = $1")
            .bind(lead)
            .bind(stage)
            .execute(&db.admin)
            .await
            .expect("stage");
    }
    let a_today = closed_deal(&db, org, a, "won", 1000.0, 0).await;
    let a_older = closed_deal(&db, org, a, "won", 500.0, 40).await;
    let b_lost = closed_deal(&db, org, b, "lost", 700.0, 3).await;
    // A won deal of a lead sitting in an open stage counts nowhere until the lead closes.
    closed_deal(&db, org, c, "won", 300.0, 100).await;
    add_deal(&db, org, a, 50.0, 50).await;
    assert_closed_headers_match(&db, &store, org, &closed_stages, "inserts").await;

    let edits: [(&str, String); 8] = [
        (
            "an amount edit",
            format!("update deals set amount = 1234.56 where id = '{a_today}'"),
        ),
        (
            "a close day a year back",
            format!(
                "update deals set closed_on = closer.org_today(organization_id) - 400 where id = '{a_today}'"
            ),
        ),
        (
            "a probability edit of a won deal",
            format!("update deals set probability = 90 where id = '{a_older}'"),
        ),
        (
            "a reopened deal",
            format!("update deals set status = 'open' where id = '{a_older}'"),
        ),
        (
            "a lead with a won deal moved into Won",
            format!("update leads set stage_id = '{won}' where id = '{c}'"),
        ),
        (
            "a closed lead moved back to New",
            format!("update leads set stage_id = '{new}' where id = '{a}'"),
        ),
        (
            "a lost deal moved to another lead",
            format!("update deals set lead_id = '{c}' where id = '{b_lost}'"),
        ),
        (
            "a lost deal marked won",
            format!("update deals set status = 'won' where id = '{b_lost}'"),
        ),
    ];
    for (step, sql) in edits {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&db.admin)
            .await
            .expect(step);
        assert_closed_headers_match(&db, &store, org, &closed_stages, step).await;
    }
    sqlx::query("select closer.compact_stage_summaries($1)")
        .bind(org)
        .execute(&db.admin)
        .await
        .expect("fold");
    assert_closed_headers_match(&db, &store, org, &closed_stages, "folding").await;
    let folded: i64 = sqlx::query_scalar(
        "select count(*) from stage_summary_deltas where organization_id = $1 and closed_status is not null",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("folded rows");
    assert!(
        folded <= 4,
        "one row per stage, status, month and currency, got {folded}"
    );

    sqlx::query("delete from leads where id = $1")
        .bind(c)
        .execute(&db.admin)
        .await
        .expect("delete a closed lead");
    assert_closed_headers_match(&db, &store, org, &closed_stages, "deleting a lead").await;
    sqlx::query("update leads set stage_id = $2 where id = $1")
        .bind(b)
        .bind(won)
        .execute(&db.admin)
        .await
        .expect("move B");
    closed_deal(&db, org, b, "won", 42.0, 1).await;
    assert_closed_headers_match(&db, &store, org, &closed_stages, "a new deal after folding").await;
}
