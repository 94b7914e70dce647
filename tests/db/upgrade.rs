//! Upgrading a database that already holds an organization's rows: each migration's backfill
//! must reach them. Migrations create objects as `closer_owner`, which forced row security lets
//! see no organization's rows, so a backfill written as `closer_owner` silently changes nothing.

use crate::common;

use closer::db::admin;
use common::{TestDb, insert_lead};

#[tokio::test]
async fn every_backfill_reaches_the_rows_of_an_older_database() {
    let db = TestDb::unmigrated().await;
    {
        let _guard = common::migration_guard().await;
        admin::migrate_to(&db.admin, Some(4))
            .await
            .expect("migrate up to 0004");
    }
    // The organization as 0004 knew it (today's `create_org` writes later columns).
    let org: uuid::Uuid = sqlx::query_scalar(
        "insert into organizations (name) values ('Upgrade Realty') returning id",
    )
    .fetch_one(&db.admin)
    .await
    .expect("an organization");
    let pipeline: uuid::Uuid = sqlx::query_scalar(
        "insert into pipelines (organization_id, name, is_default) values ($1, 'Sales', true)
         returning id",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("a pipeline");
    for (order, (name, color, is_won, is_lost)) in admin::DEFAULT_STAGES.iter().enumerate() {
        sqlx::query(
            "insert into pipeline_stages (organization_id, pipeline_id, name, order_index, color,
                                          is_won, is_lost)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org)
        .bind(pipeline)
        .bind(name)
        .bind(order as i32)
        .bind(color)
        .bind(is_won)
        .bind(is_lost)
        .execute(&db.admin)
        .await
        .expect("a stage");
    }
    let won = db.stage(org, "Won").await;
    let lead = insert_lead(&db.admin, org, won, "Old Winner")
        .await
        .expect("a lead closed before the upgrade");
    sqlx::query(
        "insert into deals (organization_id, lead_id, name, amount, status)
         values ($1, $2, 'Old deal', 1000, 'won')",
    )
    .bind(org)
    .bind(lead)
    .execute(&db.admin)
    .await
    .expect("a won deal");
    sqlx::query(
        "insert into lead_tasks (organization_id, lead_id, title, due_date)
         values ($1, $2, 'Old task', current_date - 1)",
    )
    .bind(org)
    .bind(lead)
    .execute(&db.admin)
    .await
    .expect("an open task on the closed lead");
    for tag in ["VIP", "vip"] {
        sqlx::query("insert into lead_tags (organization_id, lead_id, tag) values ($1, $2, $3)")
            .bind(org)
            .bind(lead)
            .bind(tag)
            .execute(&db.admin)
            .await
            .expect("a tag in two spellings");
    }

    {
        let _guard = common::migration_guard().await;
        admin::migrate(&db.admin).await.expect("migrate to the end");
    }

    let (new_rot, won_probability): (Option<i32>, Option<i32>) = sqlx::query_as(
        "select (select rotting_days from pipeline_stages where organization_id = $1 and name = 'New'),
                (select default_probability from pipeline_stages where organization_id = $1 and name = 'Won')",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("stage settings");
    assert_eq!(
        (new_rot, won_probability),
        (Some(7), Some(100)),
        "0005's stage defaults"
    );
    let closed_on: bool =
        sqlx::query_scalar("select closed_on is not null from deals where lead_id = $1")
            .bind(lead)
            .fetch_one(&db.admin)
            .await
            .expect("the deal");
    assert!(closed_on, "0005's closed_on of a won deal");
    let spellings: i64 = sqlx::query_scalar("select count(*) from lead_tags where lead_id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("tags");
    assert_eq!(spellings, 1, "0007 keeps one spelling of a tag per lead");
    let stays: i64 = sqlx::query_scalar("select count(*) from stage_history where lead_id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("history");
    assert_eq!(stays, 1, "0009's stage history of an existing lead");
    let flagged: bool = sqlx::query_scalar("select lead_closed from lead_tasks where lead_id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("the task");
    assert!(flagged, "0013's closed-lead flag of an existing task");
}
