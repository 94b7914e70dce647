//! Fault injection against the data layer the TUI uses: backends killed mid-use and a server
//! restart. Nothing may be lost or applied twice, and the store must carry on afterwards.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use closer::data::DataError;
use closer::db::admin::{self, NewUser};
use closer::db::cluster::TempCluster;
use common::TestDb;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

async fn stage_of(admin: &sqlx::PgPool, lead: Uuid) -> Uuid {
    sqlx::query_scalar("select stage_id from leads where id = $1")
        .bind(lead)
        .fetch_one(admin)
        .await
        .expect("lead")
}

async fn stage_changes(admin: &sqlx::PgPool, lead: Uuid) -> i64 {
    sqlx::query_scalar(
        "select count(*) from lead_activities where lead_id = $1 and type = 'stage_change'",
    )
    .bind(lead)
    .fetch_one(admin)
    .await
    .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_under_killed_backends_are_applied_exactly_once_or_not_at_all() {
    let db = TestDb::new().await;
    let org = db.org("Faults Kill").await;
    let rep = db.user("Faults Kill", "rep").await;
    let lead = db.lead(org, "Fragile Lead").await;
    let stages = db.stages(org).await;
    let (a, b) = (stages[0].0, stages[1].0);
    let store = db.session(&rep).await.open(org).expect("member");

    // A killer terminates the rep's backends every few milliseconds while the rep works.
    let stop = Arc::new(AtomicBool::new(false));
    let killer = {
        let admin = db.admin.clone();
        let login = rep.login.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut kills = 0i64;
            while !stop.load(Ordering::Relaxed) {
                kills += sqlx::query_scalar::<_, i64>(
                    "select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = $1",
                )
                .bind(&login)
                .fetch_one(&admin)
                .await
                .unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(60)).await;
            }
            kills
        })
    };

    let (mut applied, mut refused) = (0i64, 0i64);
    let mut expected = a;
    for i in 0..60 {
        let (from, to) = if i % 2 == 0 { (a, b) } else { (b, a) };
        if expected != from {
            continue;
        }
        match store.move_lead(lead, from, to, None).await {
            Ok(moved) => {
                assert_eq!(moved.stage_id, to);
                assert_eq!(
                    stage_of(&db.admin, lead).await,
                    to,
                    "reported applied, so it is applied"
                );
                expected = to;
                applied += 1;
            }
            Err(err) => {
                assert!(
                    err.is_connection(),
                    "only the connection may fail here: {err}"
                );
                assert_eq!(
                    stage_of(&db.admin, lead).await,
                    from,
                    "reported failed, so it was not applied"
                );
                refused += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let kills = killer.await.expect("killer");
    assert!(kills > 0, "the test must actually kill backends");
    assert_eq!(
        stage_changes(&db.admin, lead).await,
        applied,
        "every applied move logged exactly once"
    );
    eprintln!("{applied} moves applied, {refused} failed cleanly, {kills} backends killed");
    // And the store carries on.
    assert!(store.pipelines().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_carries_on_after_a_server_restart() {
    let mut cluster = TempCluster::start().await.expect("cluster");
    let admin_pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(cluster.superuser_options("postgres"))
        .await
        .expect("admin");
    admin::migrate(&admin_pool).await.expect("migrate");
    admin::create_org(&admin_pool, "Restart Org")
        .await
        .expect("org");
    let added = admin::add_user(
        &admin_pool,
        NewUser {
            org: "Restart Org",
            login: "restart_rep",
            full_name: "Restart Rep",
            email: "r@example.test",
            role: common::role("rep"),
            password: Some("restart-password-1".into()),
        },
    )
    .await
    .expect("user");
    assert!(added.password.is_some());
    let org = admin::org_id(&admin_pool, "Restart Org")
        .await
        .expect("query")
        .expect("org");
    let stages: Vec<Uuid> = sqlx::query_scalar(
        "select id from pipeline_stages where organization_id = $1 order by order_index",
    )
    .bind(org)
    .fetch_all(&admin_pool)
    .await
    .expect("stages");
    let lead: Uuid = common::insert_lead(&admin_pool, org, stages[0], "Survivor")
        .await
        .expect("lead");
    admin_pool.close().await;

    let session = closer::data::store::Session::connect(
        cluster.login_options("postgres", "restart_rep", "restart-password-1"),
        15_000,
    )
    .await
    .expect("rep session");
    let store = session.open(org).expect("member");
    store
        .move_lead(lead, stages[0], stages[1], None)
        .await
        .expect("first move");

    let restarted = std::time::Instant::now();
    cluster.restart().await.expect("restart the server");
    // The pool's connections died with the server; the next calls must work without a restart of Closer.
    let pipelines = store
        .pipelines()
        .await
        .expect("a read after the restart is retried and succeeds");
    assert_eq!(pipelines.len(), 1);
    let moved = store.move_lead(lead, stages[1], stages[2], None).await;
    eprintln!(
        "store usable again {:?} after the restart began",
        restarted.elapsed()
    );
    moved.expect("a move after the restart");
    let page = store
        .column_page(stages[2], Default::default(), None, 10)
        .await
        .expect("column");
    assert_eq!(
        page.cards.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![lead]
    );

    let admin_pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(cluster.superuser_options("postgres"))
        .await
        .expect("admin again");
    let changes: i64 = sqlx::query_scalar(
        "select count(*) from lead_activities where lead_id = $1 and type = 'stage_change'",
    )
    .bind(lead)
    .fetch_one(&admin_pool)
    .await
    .expect("count");
    assert_eq!(
        changes, 2,
        "two moves, two activities: nothing lost, nothing doubled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_login_gets_a_clear_error_not_a_crash() {
    let db = TestDb::new().await;
    let org = db.org("Faults Removed").await;
    let rep = db.user("Faults Removed", "rep").await;
    let store = db.session(&rep).await.open(org).expect("member");
    db.remove(&rep, "Faults Removed").await;
    let err = store.pipelines().await.expect_err("the login is gone");
    assert!(
        matches!(err, DataError::Authentication | DataError::Connection(_)),
        "removed login: {err:?}"
    );
    let again = db
        .try_session(&rep)
        .await
        .expect_err("cannot log in any more");
    assert_eq!(again, DataError::Authentication);
    assert!(again.to_string().contains("refused the login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_query_is_cancelled_on_the_server() {
    let db = TestDb::new().await;
    let org = db.org("Faults Cancel").await;
    let rep = db.user("Faults Cancel", "rep").await;
    let store = db.session(&rep).await.open(org).expect("member");
    let slow = {
        let pool = store.pool().clone();
        tokio::spawn(async move {
            sqlx::query("select pg_sleep(30)")
                .execute(&pool)
                .await
                .map_err(DataError::from)
        })
    };
    // Wait until the server is really running it, then cancel as Esc does.
    let started = std::time::Instant::now();
    loop {
        let cancelled = store.cancel_running().await.expect("cancel");
        if cancelled > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the slow query never showed up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let result = tokio::time::timeout(Duration::from_secs(5), slow)
        .await
        .expect("cancelled promptly")
        .expect("task");
    assert_eq!(
        result.expect_err("the query was cancelled"),
        DataError::Cancelled
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
