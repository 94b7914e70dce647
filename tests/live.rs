//! Live updates between real logins: delivery, coalescing, tenant isolation of the channel, and
//! listening again after the backend is killed.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use closer::data::live::{self, LiveEvent};
use common::TestDb;
use tokio::sync::mpsc;

/// Starts a listener as this login; events arrive on the returned channel.
async fn listen_as(
    db: &TestDb,
    user: &common::TestUser,
    org: uuid::Uuid,
) -> mpsc::UnboundedReceiver<LiveEvent> {
    let pool = db.login(user).await;
    live::channel_of(&pool, org)
        .await
        .expect("a member reads the channel");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(live::listen(pool, org, move |event| tx.send(event).is_ok()));
    // LISTEN is issued asynchronously; give it a moment to be in place.
    tokio::time::sleep(Duration::from_millis(300)).await;
    rx
}

async fn next_change(
    rx: &mut mpsc::UnboundedReceiver<LiveEvent>,
    within: Duration,
) -> Option<BTreeSet<String>> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(LiveEvent::Changed(tables))) => return Some(tables),
            Ok(Some(other)) => {
                eprintln!("live event: {other:?}");
                continue;
            }
            Ok(None) | Err(_) => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teammates_move_reaches_the_other_rep_within_a_second() {
    let db = TestDb::new().await;
    let org = db.org("Live A").await;
    let watcher = db.user("Live A", "rep").await;
    let mover = db.user("Live A", "rep").await;
    let lead = db.lead(org, "Moving Lead").await;
    let stages = db.stages(org).await;
    let mut rx = listen_as(&db, &watcher, org).await;

    let store = db.session(&mover).await.open(org).expect("member");
    let sent = Instant::now();
    store
        .move_lead(lead, stages[0].0, stages[1].0, None)
        .await
        .expect("move");
    let tables = next_change(&mut rx, Duration::from_secs(1))
        .await
        .expect("notified within a second");
    let latency = sent.elapsed();
    assert!(tables.contains("leads"), "{tables:?}");
    eprintln!(
        "notification latency (move committed → listener, incl. 150 ms coalescing window): {latency:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_update_of_5000_leads_is_one_notification() {
    let db = TestDb::new().await;
    let org = db.org("Live Bulk").await;
    let watcher = db.user("Live Bulk", "rep").await;
    closer::db::seed::seed(&db.admin, org, 5_000, 3)
        .await
        .expect("seed 5000 leads");
    let mut rx = listen_as(&db, &watcher, org).await;

    let updated =
        sqlx::query("update leads set score = (score + 1) % 100 where organization_id = $1")
            .bind(org)
            .execute(&db.admin)
            .await
            .expect("bulk update")
            .rows_affected();
    assert_eq!(updated, 5_000);
    assert!(
        next_change(&mut rx, Duration::from_secs(2)).await.is_some(),
        "the bulk update is announced"
    );
    assert_eq!(
        next_change(&mut rx, Duration::from_secs(1)).await,
        None,
        "and only once"
    );

    // Many single-row statements in one transaction arrive as one coalesced refresh.
    let mut tx = db.admin.begin().await.expect("begin");
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("select id from leads where organization_id = $1 limit 200")
            .bind(org)
            .fetch_all(&mut *tx)
            .await
            .expect("ids");
    for id in &ids {
        sqlx::query("update leads set score = 50 where id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .expect("update");
    }
    tx.commit().await.expect("commit");
    assert!(next_change(&mut rx, Duration::from_secs(2)).await.is_some());
    assert_eq!(
        next_change(&mut rx, Duration::from_millis(700)).await,
        None,
        "200 statements → one refresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organization_cannot_read_the_channel_or_hear_the_changes() {
    let db = TestDb::new().await;
    let org_a = db.org("Live Iso A").await;
    db.org("Live Iso B").await;
    let outsider = db.user("Live Iso B", "rep").await;
    let insider = db.user("Live Iso A", "rep").await;
    let outsider_pool = db.login(&outsider).await;
    let err = live::channel_of(&outsider_pool, org_a)
        .await
        .expect_err("B cannot read A's channel");
    assert_eq!(err, closer::data::DataError::NotFound);

    // B listening on every channel name it can see hears nothing of A.
    let org_b: uuid::Uuid = sqlx::query_scalar("select id from organizations")
        .fetch_one(&outsider_pool)
        .await
        .expect("B sees only its own organization");
    let mut rx = listen_as(&db, &outsider, org_b).await;
    let lead = db.lead(org_a, "Secret lead").await;
    let store = db.session(&insider).await.open(org_a).expect("member");
    let stages = db.stages(org_a).await;
    store
        .move_lead(lead, stages[0].0, stages[2].0, None)
        .await
        .expect("move");
    assert_eq!(next_change(&mut rx, Duration::from_secs(1)).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_backend_is_killed_the_listener_reconnects_and_hears_again() {
    let db = TestDb::new().await;
    let org = db.org("Live Kill").await;
    let watcher = db.user("Live Kill", "rep").await;
    let lead = db.lead(org, "Kill Lead").await;
    let mut rx = listen_as(&db, &watcher, org).await;

    let killed_at = Instant::now();
    let killed: i64 = sqlx::query_scalar(
        "select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = $1",
    )
    .bind(&watcher.login)
    .fetch_one(&db.admin)
    .await
    .expect("terminate");
    assert!(killed >= 1);
    // The listener reports the loss and comes back (Reconnected), then changes flow again.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut saw_reconnect = false;
    while Instant::now() < deadline && !saw_reconnect {
        if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
            saw_reconnect = event == LiveEvent::Reconnected;
        }
    }
    assert!(saw_reconnect, "the listener reconnected");
    eprintln!(
        "listener reconnect time after pg_terminate_backend: {:?}",
        killed_at.elapsed()
    );
    sqlx::query("update leads set score = 77 where id = $1")
        .bind(lead)
        .execute(&db.admin)
        .await
        .expect("update");
    assert!(
        next_change(&mut rx, Duration::from_secs(2)).await.is_some(),
        "notifications flow after reconnect"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_member_rotates_the_channel_and_members_follow_it() {
    let db = TestDb::new().await;
    let org = db.org("Live Rotate").await;
    db.org("Live Rotate Other").await;
    let stays = db.user("Live Rotate", "rep").await;
    let leaves = db.user("Live Rotate", "rep").await;
    db.add_to_org(&leaves, "Live Rotate Other", "rep").await;
    let old_channel = live::channel_of(&db.login(&leaves).await, org)
        .await
        .expect("member reads it");
    let mut rx = listen_as(&db, &stays, org).await;

    db.remove(&leaves, "Live Rotate").await;
    let new_channel: String =
        sqlx::query_scalar("select closer.org_channel($1)")
            .bind(org)
            .fetch_one(&db.admin)
            .await
            .expect("channel");
    assert_ne!(
        new_channel, old_channel,
        "the leaver's remembered channel is dead"
    );
    let leaver_pool = db.login(&leaves).await;
    assert!(
        live::channel_of(&leaver_pool, org).await.is_err(),
        "and the new one is unreadable for them"
    );

    // The member who stayed follows the rotation and still hears changes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lead = db.lead(org, "After rotation").await;
    assert!(
        next_change(&mut rx, Duration::from_secs(3)).await.is_some(),
        "lead {lead} announced on the new channel"
    );
}
