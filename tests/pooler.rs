//! One round trip per action (counted on the wire), and the TUI's data layer plus live updates
//! through a real PgBouncer in transaction mode.

mod common;
mod pooler_util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use closer::data::PgStore;
use closer::data::connect::Route;
use closer::data::inbox::InboxScope;
use closer::data::lead::{InteractionKind, NewInteraction, NewLead};
use closer::data::live::{self, LiveEvent};
use closer::data::models::BoardSort;
use closer::data::store::Session;
use common::{TestDb, TestUser};
use pooler_util::{CountingProxy, PgBouncer};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use tokio::sync::mpsc;
use uuid::Uuid;

static LOG: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

fn server_socket(db: &TestDb) -> std::path::PathBuf {
    db.cluster
        .socket_dir()
        .join(format!(".s.PGSQL.{}", db.cluster.port()))
}

fn over_tcp(db: &TestDb, user: &TestUser, port: u16) -> PgConnectOptions {
    PgConnectOptions::new_without_pgpass()
        .host("127.0.0.1")
        .port(port)
        .username(&user.login)
        .password(&user.password)
        .database(&db.database)
        .ssl_mode(PgSslMode::Disable)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_is_one_round_trip_with_no_ping_before_it() {
    let db = TestDb::new().await;
    let org = db.org("Round Trips").await;
    let rep = db.user("Round Trips", "rep").await;
    let lead = db.lead(org, "Counted Lead").await;
    let stages = db.stages(org).await;
    let (a, b) = (stages[0].0, stages[1].0);
    let proxy = CountingProxy::start(server_socket(&db)).await;

    // The counter sees pings: a pool that tests before acquire sends a lone Sync per checkout.
    let pinging = PgPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(true)
        .connect_with(over_tcp(&db, &rep, proxy.port))
        .await
        .expect("pinging pool");
    for _ in 0..2 {
        sqlx::query_scalar::<_, i32>("select $1")
            .bind(1)
            .fetch_one(&pinging)
            .await
            .expect("select");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.reset();
    sqlx::query_scalar::<_, i32>("select $1")
        .bind(1)
        .fetch_one(&pinging)
        .await
        .expect("select");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let old = proxy.counts();
    assert_eq!(
        old.lone_syncs, 2,
        "test_before_acquire pings before, sqlx pings after: {old:?}"
    );
    pinging.close().await;

    // Closer's pool: the move is one statement, one Sync; the only lone Sync is sqlx 0.9's
    // release ping, sent after the caller already has its result.
    let session = Session::connect(over_tcp(&db, &rep, proxy.port), 15_000)
        .await
        .expect("session through the counting proxy");
    let store = session.open(org).expect("member");
    let mut at = a;
    for _ in 0..4 {
        let to = if at == a { b } else { a };
        store
            .move_lead(lead, at, to, None)
            .await
            .expect("warm-up move");
        at = to;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    proxy.reset();
    let to = if at == a { b } else { a };
    let started = std::time::Instant::now();
    store.move_lead(lead, at, to, None).await.expect("move");
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let counts = proxy.counts();
    eprintln!("one move sent {counts:?} in {took:?}");
    assert_eq!(counts.of('E'), 1, "one statement: {counts:?}");
    assert_eq!(counts.of('P'), 0, "already prepared: {counts:?}");
    assert_eq!(counts.statement_syncs, 1, "one round trip: {counts:?}");
    assert_eq!(counts.of('Q'), 0, "no simple queries around it: {counts:?}");
    assert!(
        counts.lone_syncs <= 1,
        "no ping before acquire (at most sqlx's release ping after): {counts:?}"
    );
    assert!(counts.round_trips() <= 2, "{counts:?}");
}

/// The board, a move, a search, the inbox and a lead capture, as the TUI's workers run them.
async fn exercise(store: &PgStore, lead: Uuid, from: Uuid, to: Uuid) {
    let board = match closer::app::load_board(store, None).await {
        Ok(board) => board,
        Err(e) => {
            let path = LOG.lock().expect("log").clone();
            eprintln!("{}", std::fs::read_to_string(path).unwrap_or_default());
            panic!("board through the pooler: {e:?}");
        }
    };
    assert!(!board.stages.is_empty(), "stages load");
    for stage in &board.stages {
        store
            .column_page(stage.id, BoardSort::Score, None, 50)
            .await
            .expect("column page");
    }
    store.move_lead(lead, from, to, None).await.expect("move");
    let hits = store
        .search_leads("Pooled".into(), 20)
        .await
        .expect("search");
    assert!(hits.iter().any(|h| h.id == lead), "search finds the lead");
    store
        .inbox(Utc::now(), InboxScope::Mine)
        .await
        .expect("inbox");
    let created = store
        .create_lead(NewLead {
            name: format!("Captured {}", Uuid::new_v4()),
            email: None,
            phone: None,
            company: None,
            stage_id: from,
            assigned_to: None,
        })
        .await
        .expect("capture a lead");
    store
        .log_interaction(
            created,
            NewInteraction {
                kind: InteractionKind::Note,
                direction: None,
                subject: Some("through the pooler".into()),
                content: None,
                duration_secs: None,
                outcome: None,
            },
        )
        .await
        .expect("log a note");
}

async fn server_connections(db: &TestDb, login: &str) -> i64 {
    sqlx::query_scalar("select count(*) from pg_stat_activity where usename = $1")
        .bind(login)
        .fetch_one(&db.admin)
        .await
        .expect("pg_stat_activity")
}

/// TUIs sharing PgBouncer: more clients than server connections, in transaction mode.
const CLIENTS: usize = 4;
const SERVER_CONNECTIONS: u32 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_layer_and_live_updates_work_through_pgbouncer_in_transaction_mode() {
    let db = TestDb::new().await;
    let org = db.org("Pooled Org").await;
    let rep = db.user("Pooled Org", "rep").await;
    let mate = db.user("Pooled Org", "rep").await;
    let mut leads = Vec::new();
    for n in 0..CLIENTS {
        leads.push(db.lead(org, &format!("Pooled Lead {n}")).await);
    }
    let mates_lead = db.lead(org, "Pooled Mate Lead").await;
    let stages = db.stages(org).await;
    let (a, b, c) = (stages[0].0, stages[1].0, stages[2].0);
    let bouncer = PgBouncer::start(
        db.cluster.socket_dir(),
        db.cluster.port(),
        "transaction",
        SERVER_CONNECTIONS,
        &[
            (rep.login.as_str(), rep.password.as_str()),
            (mate.login.as_str(), mate.password.as_str()),
        ],
    );
    *LOG.lock().expect("log") = bouncer.log_path();
    let pooled = |user: &TestUser| Route::Pooled {
        listen: Box::new(db.options(user)),
    };
    let connect = |user: &TestUser| {
        Session::connect_via(over_tcp(&db, user, bouncer.port), 15_000, pooled(user))
    };

    // The first TUI listens (directly to PostgreSQL: LISTEN needs a session).
    let session = connect(&rep)
        .await
        .unwrap_or_else(|e| panic!("session through pgbouncer: {e}\n{}", bouncer.log()));
    let store = session.open(org).expect("member");
    let (listen_pool, own) = store.live_source();
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(live::listen(
        listen_pool.clone(),
        own.clone(),
        org,
        move |event| tx.send(event).is_ok(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Four TUIs of one login at once on two server connections: each client's named
    // statements land on whichever server connection is free, where PgBouncer prepares them
    // again as needed (a collision or a missing statement fails the exercise).
    let mut stores = vec![store.clone()];
    for _ in 1..CLIENTS {
        let other = connect(&rep)
            .await
            .expect("another session through pgbouncer")
            .open(org)
            .expect("member");
        stores.push(other);
    }
    for round in 0..3 {
        let (from, to) = if round % 2 == 0 { (a, b) } else { (b, a) };
        let runs = stores
            .iter()
            .zip(&leads)
            .map(|(store, lead)| exercise(store, *lead, from, to));
        futures::future::join_all(runs).await;
        let servers = server_connections(&db, &rep.login).await;
        assert!(
            servers <= i64::from(SERVER_CONNECTIONS) + 1,
            "{CLIENTS} clients share {SERVER_CONNECTIONS} server connections (+ the listener), got {servers}"
        );
    }
    for lead in &leads {
        let stage: Uuid = sqlx::query_scalar("select stage_id from leads where id = $1")
            .bind(lead)
            .fetch_one(&db.admin)
            .await
            .expect("stage");
        assert_eq!(stage, b, "every client's three moves landed");
    }
    let log = bouncer.log();
    let complaints: Vec<&str> = log
        .lines()
        .filter(|l| (l.contains("ERROR") || l.contains("WARNING")) && l.contains("prepared"))
        .collect();
    assert!(
        complaints.is_empty(),
        "no prepared-statement errors in PgBouncer's log: {complaints:#?}"
    );
    for other in stores.drain(1..) {
        other.pool().close().await;
    }

    // A teammate's move through the pooler reaches the rep's direct listener.
    while rx.try_recv().is_ok() {}
    tokio::time::sleep(Duration::from_millis(1200)).await;
    while rx.try_recv().is_ok() {}
    let mates = connect(&mate)
        .await
        .expect("teammate session")
        .open(org)
        .expect("member");
    mates.move_lead(mates_lead, a, c, None).await.expect("move");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut heard = None;
    while heard.is_none() {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(LiveEvent::Changed(change))) if change.leads.contains(mates_lead) => {
                heard = Some(change)
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let change = heard.expect("the teammate's move is heard through the direct listener");
    assert!(
        change.stages.contains(a) && change.stages.contains(c),
        "{change:?}"
    );

    // What one running TUI holds on the server: its listener, plus a server connection only
    // while a transaction runs (PgBouncer takes it back at commit and closes idle ones after
    // `server_idle_timeout`, 1 s here).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let held = server_connections(&db, &rep.login).await;
    eprintln!("server connections held by one idle TUI behind PgBouncer: {held}");
    assert!(
        held <= 2,
        "one TUI holds at most 2 server connections, got {held}"
    );
}

/// A TUI connected directly, with its listener up and several jobs in flight at once (as the
/// loop dispatches them): its server connections, sampled from `pg_stat_activity` throughout,
/// never exceed 2 (the listener and one query connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_tui_holds_at_most_two_server_connections() {
    let db = TestDb::new().await;
    let org = db.org("Two Connections").await;
    let rep = db.user("Two Connections", "rep").await;
    let mut leads = Vec::new();
    for n in 0..CLIENTS {
        leads.push(db.lead(org, &format!("Pooled Counted {n}")).await);
    }
    let stages = db.stages(org).await;
    let (a, b) = (stages[0].0, stages[1].0);
    let store = db.session(&rep).await.open(org).expect("member");
    let (listen_pool, own) = store.live_source();
    tokio::spawn(live::listen(listen_pool.clone(), own.clone(), org, |_| {
        true
    }));

    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (sampling, admin, login) = (sampling.clone(), db.admin.clone(), rep.login.clone());
        tokio::spawn(async move {
            let mut peak = 0;
            while sampling.load(Ordering::Relaxed) {
                let held: i64 =
                    sqlx::query_scalar("select count(*) from pg_stat_activity where usename = $1")
                        .bind(&login)
                        .fetch_one(&admin)
                        .await
                        .expect("pg_stat_activity");
                peak = peak.max(held);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            peak
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    for round in 0..3 {
        let (from, to) = if round % 2 == 0 { (a, b) } else { (b, a) };
        let jobs = leads.iter().map(|lead| exercise(&store, *lead, from, to));
        futures::future::join_all(jobs).await;
    }
    sampling.store(false, Ordering::Relaxed);
    let peak = sampler.await.expect("sampler");
    eprintln!("peak server connections of one running TUI: {peak}");
    assert_eq!(
        peak, 2,
        "one running TUI holds its listener and one query connection, never more"
    );
}
