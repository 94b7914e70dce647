//! The append-only header and filter deltas carry no foreign keys since migration 0048 (each
//! checked row took KEY SHARE locks on the organization's and the stage's rows): the rows of a
//! deleted stage or organization still go with it. (With today's cascade order the stages'
//! trigger already removes an organization's rows; its own trigger is there for any order, so
//! only the stage half of this test fails without 0048's triggers.) The insights' call and task
//! deltas lost theirs in 0054 and go with their organization the same way.

use crate::common::TestDb;
use uuid::Uuid;

/// (header rows, filter rows) whose `column` is `id`.
async fn deltas(db: &TestDb, column: &str, id: Uuid) -> (i64, i64) {
    let mut counts = [0; 2];
    for (count, table) in counts
        .iter_mut()
        .zip(["stage_summary_deltas", "stage_filter_deltas"])
    {
        *count = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from {table} where {column} = $1"
        )))
        .bind(id)
        .fetch_one(&db.admin)
        .await
        .expect("count deltas");
    }
    (counts[0], counts[1])
}

#[tokio::test]
async fn a_deleted_stage_or_organization_takes_its_delta_rows_along() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let other = db.org("Globex").await;
    let stages = db.stages(org).await;
    let (first, second) = (stages[0].0, stages[1].0);
    for org in [org, other] {
        for i in 0..4 {
            db.lead(org, &format!("Lead {i}")).await;
        }
    }
    // Every lead moved to the second stage: both stages hold header and filter deltas. Folding
    // is held off for the move (a writer folds one time in 64, and a fold of the emptied stage
    // leaves it no rows at all: this test then failed one run in about sixteen).
    let mut tx = db.admin.begin().await.expect("begin");
    sqlx::query(
        "select set_config('closer.summaries_folded', 'on', true),
                set_config('closer.filter_summaries_folded', 'on', true)",
    )
    .execute(&mut *tx)
    .await
    .expect("hold folding off");
    sqlx::query("update leads set stage_id = $2, score = score + 1 where organization_id = $1")
        .bind(org)
        .bind(second)
        .execute(&mut *tx)
        .await
        .expect("move out");
    tx.commit().await.expect("commit the move");
    let (headers, filters) = deltas(&db, "stage_id", first).await;
    assert!(headers > 0 && filters > 0, "{headers} {filters}");

    sqlx::query("delete from pipeline_stages where id = $1")
        .bind(first)
        .execute(&db.admin)
        .await
        .expect("delete the emptied stage");
    assert_eq!(deltas(&db, "stage_id", first).await, (0, 0));
    let (headers, _) = deltas(&db, "stage_id", second).await;
    assert!(headers > 0, "the other stage keeps its rows");
    let lead_count: i64 = sqlx::query_scalar(
        "select coalesce(sum(lead_count), 0)::bigint from stage_summary_deltas where stage_id = $1",
    )
    .bind(second)
    .fetch_one(&db.admin)
    .await
    .expect("sum");
    assert_eq!(lead_count, 4);

    // Calls and tasks in both organizations: the insights' call and task deltas (0042), which
    // carry no foreign key since 0054 either.
    for org in [org, other] {
        sqlx::query(
            "with l as (select id from leads where organization_id = $1 order by id limit 2),
                  calls as (insert into lead_interactions (organization_id, lead_id, type, subject)
                            select $1, l.id, 'call', 'Call' from l),
                  tasks as (insert into lead_tasks (organization_id, lead_id, title, status, completed_at)
                            select $1, l.id, 'Task', 'completed', now() from l)
             select 1",
        )
        .bind(org)
        .execute(&db.admin)
        .await
        .expect("calls and tasks");
    }
    let insight_deltas = |org: Uuid| {
        let admin = db.admin.clone();
        async move {
            sqlx::query_as::<_, (i64, i64)>(
                "select (select count(*) from closer_insights.call_deltas where organization_id = $1),
                        (select count(*) from closer_insights.task_deltas where organization_id = $1)",
            )
            .bind(org)
            .fetch_one(&admin)
            .await
            .expect("count insight deltas")
        }
    };
    let (calls, tasks) = insight_deltas(org).await;
    assert!(calls > 0 && tasks > 0, "{calls} {tasks}");
    let before_other_insights = insight_deltas(other).await;

    // An organization deleted with its leads: none of its rows is left, the other's all are.
    let before_other = deltas(&db, "organization_id", other).await;
    assert!(before_other.0 > 0);
    sqlx::query("delete from organizations where id = $1")
        .bind(org)
        .execute(&db.admin)
        .await
        .expect("delete the organization");
    assert_eq!(deltas(&db, "organization_id", org).await, (0, 0));
    assert_eq!(deltas(&db, "organization_id", other).await, before_other);
    assert_eq!(insight_deltas(org).await, (0, 0));
    assert_eq!(insight_deltas(other).await, before_other_insights);
}
