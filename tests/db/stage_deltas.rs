//! The append-only header and filter deltas carry no foreign keys since migration 0048 (each
//! checked row locked the organization's and the stage's rows for every writer of the floor):
//! the rows of a deleted stage or organization still go with it. (With today's cascade order the
//! stages' trigger already removes an organization's rows; its own trigger is there for any
//! order, so only the stage half of this test fails without 0048's triggers.)

use crate::common::TestDb;
use uuid::Uuid;

async fn deltas(db: &TestDb, column: &str, id: Uuid) -> (i64, i64) {
    let count = |table: &str| {
        let sql = format!("select count(*) from {table} where {column} = $1");
        let db = &db.admin;
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_one(db)
                .await
                .expect("count deltas")
        }
    };
    (
        count("stage_summary_deltas").await,
        count("stage_filter_deltas").await,
    )
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
    // Leads moved out and back: both stages hold header and filter deltas.
    sqlx::query("update leads set stage_id = $2, score = score + 1 where organization_id = $1")
        .bind(org)
        .bind(second)
        .execute(&db.admin)
        .await
        .expect("move out");
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
}
