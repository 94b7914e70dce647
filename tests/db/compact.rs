//! `closer admin compact` (`closer::db::compact`): the header and filter deltas rewritten to
//! their live rows, the board's totals unchanged, and a long transaction makes it give up after
//! its lock wait instead of queueing every writer behind it.

use crate::common::TestDb;
use closer::db::compact::{CHURNING_TABLES, compact};
use sqlx::{AssertSqlSafe, PgPool};
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn size(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "select pg_total_relation_size('public.{table}'::regclass)"
    )))
    .fetch_one(pool)
    .await
    .expect("size")
}

/// Every stage's header totals, as the board reads them (superuser: no row security).
async fn headers(pool: &PgPool, org: Uuid) -> Vec<(Uuid, i64, f64)> {
    sqlx::query_as(
        "select stage_id, lead_count::int8, open_deal_amount::float8 from stage_summaries
         where organization_id = $1 order by stage_id",
    )
    .bind(org)
    .fetch_all(pool)
    .await
    .expect("headers")
}

/// What a floor leaves behind: 20,000 delta rows inserted and folded away, the last one kept so
/// a plain vacuum cannot give the pages back.
async fn churn(db: &TestDb, org: Uuid, stage: Uuid) {
    for (table, facet, value) in [
        ("stage_filter_deltas", ", facet", ", 'tag:junk'"),
        ("stage_summary_deltas", "", ""),
    ] {
        let statements = [
            format!(
                "insert into {table} (organization_id, stage_id, lead_count{facet})
                 select $1, $2, 0{value} from generate_series(1, 20001)"
            ),
            format!(
                "delete from {table} where ctid in (select ctid from {table}
                     where organization_id = $1 and stage_id = $2 and lead_count = 0
                     order by ctid limit 20000)"
            ),
        ];
        for sql in statements {
            sqlx::query(AssertSqlSafe(sql))
                .bind(org)
                .bind(stage)
                .execute(&db.admin)
                .await
                .expect("churn");
        }
        sqlx::raw_sql(AssertSqlSafe(format!("vacuum {table}")))
            .execute(&db.admin)
            .await
            .expect("vacuum");
    }
}

#[tokio::test]
async fn compacting_gives_the_churned_pages_back_and_keeps_every_total() {
    let db = TestDb::new().await;
    let org = db.org("Compact Co").await;
    let stage = db.first_stage(org).await;
    for name in ["Ada", "Grace", "Edsger"] {
        db.lead(org, name).await;
    }
    let totals = headers(&db.admin, org).await;
    churn(&db, org, stage).await;
    let bloated: Vec<i64> = {
        let mut v = Vec::new();
        for table in CHURNING_TABLES {
            v.push(size(&db.admin, table).await);
        }
        v
    };

    let done = compact(&db.admin, Duration::from_secs(2))
        .await
        .expect("compact");

    assert_eq!(done.len(), CHURNING_TABLES.len());
    for (i, table) in CHURNING_TABLES.iter().enumerate() {
        let after = size(&db.admin, table).await;
        assert_eq!(done[i].table, *table);
        assert_eq!(done[i].bytes_before, bloated[i]);
        assert_eq!(done[i].bytes_after, after);
        assert!(
            after * 4 < bloated[i],
            "{table}: {after} bytes after, {} before",
            bloated[i]
        );
    }
    assert_eq!(headers(&db.admin, org).await, totals, "no total changed");
}

#[tokio::test]
async fn a_long_transaction_makes_it_give_up_not_stall_the_writers() {
    let db = TestDb::new().await;
    let org = db.org("Busy Co").await;
    db.lead(org, "Ada").await;
    // A report that has read the filter deltas and is still open.
    let mut reader = db.admin.begin().await.expect("begin");
    sqlx::query("select count(*) from stage_filter_deltas")
        .execute(&mut *reader)
        .await
        .expect("read");

    let started = Instant::now();
    let err = compact(&db.admin, Duration::from_millis(300))
        .await
        .expect_err("the table is in use");
    let waited = started.elapsed();

    let text = format!("{err:#}");
    assert!(text.contains("long transaction"), "{text}");
    assert!(!text.contains("55P03"), "a sentence, not a code: {text}");
    assert!(waited < Duration::from_secs(10), "gave up after {waited:?}");
    // Writers are not queued behind it: a new lead lands while the report is still open.
    db.lead(org, "Grace").await;
    reader.rollback().await.expect("rollback");
}
