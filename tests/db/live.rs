//! Live updates between real logins: delivery, coalescing, tenant isolation of the channel, and
//! listening again after the backend is killed.

use crate::common;

use std::time::{Duration, Instant};

use closer::app::Worker;
use closer::config::keymap::Keymap;
use closer::data::PgStore;
use closer::data::connect::Route;
use closer::data::live::{self, Change, LiveEvent, OwnBackends};
use closer::data::store::Session;
use closer::state::board::BoardEffect;
use closer::state::{Action, Effect, Options, State, Viewer, update};
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
    tokio::spawn(live::listen(
        pool,
        OwnBackends::default(),
        org,
        move |event| tx.send(event).is_ok(),
    ));
    // LISTEN is issued asynchronously; give it a moment to be in place.
    tokio::time::sleep(Duration::from_millis(300)).await;
    rx
}

async fn next_change(
    rx: &mut mpsc::UnboundedReceiver<LiveEvent>,
    within: Duration,
) -> Option<Change> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(LiveEvent::Changed(change))) => return Some(change),
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
    let change = next_change(&mut rx, Duration::from_secs(1))
        .await
        .expect("notified within a second");
    let latency = sent.elapsed();
    // The payload names the lead and both columns (it used to name only the table).
    assert!(change.leads.contains(lead), "{change:?}");
    assert_eq!(
        change.stages,
        live::Scope::Ids([stages[0].0, stages[1].0].into()),
        "only the two affected columns"
    );
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
    let new_channel: String = sqlx::query_scalar("select closer.org_channel($1)")
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

/// Behind a pooler the listener's pool holds one connection, which the listener itself holds:
/// a rotation must re-read the channel on that connection, not wait for the pool (10 s) and
/// report the listener lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_with_a_one_connection_listen_pool_follows_at_once() {
    let db = TestDb::new().await;
    let org = db.org("Live Rotate Pooled").await;
    db.org("Live Rotate Pooled Other").await;
    let stays = db.user("Live Rotate Pooled", "rep").await;
    let leaves = db.user("Live Rotate Pooled", "rep").await;
    db.add_to_org(&leaves, "Live Rotate Pooled Other", "rep")
        .await;
    // The pooled route's pools (one connection each), both straight to the server here.
    let route = Route::Pooled {
        listen: Box::new(db.options(&stays)),
    };
    let session = Session::connect_via(db.options(&stays), 15_000, route)
        .await
        .expect("session");
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

    db.remove(&leaves, "Live Rotate Pooled").await;
    // The listener answers the rotation with a re-read on the new channel, never a loss.
    let first = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an event after the rotation");
    assert_eq!(first, Some(LiveEvent::Reconnected), "followed, not lost");
    let lead = db.lead(org, "After pooled rotation").await;
    assert!(
        next_change(&mut rx, Duration::from_secs(3)).await.is_some(),
        "lead {lead} announced on the new channel"
    );
}

/// Another login of the same organization floods the channel: 10,000 notifications in about a
/// second, valid-looking and garbage, plus spoofed rotations. The listener delivers a handful of
/// merged changes, re-subscribes never (the channel did not change), and stays responsive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoofed_flood_costs_at_most_a_handful_of_refreshes() {
    let db = TestDb::new().await;
    let org = db.org("Live Flood").await;
    let watcher = db.user("Live Flood", "rep").await;
    let attacker = db.user("Live Flood", "rep").await;
    let mover = db.user("Live Flood", "rep").await;
    let lead = db.lead(org, "After The Flood").await;
    let stages = db.stages(org).await;
    let watching = db.session(&watcher).await.open(org).expect("member");
    let mut tui = Headless::start(watching).await;
    let channel = live::channel_of(&db.login(&attacker).await, org)
        .await
        .expect("a member reads the channel");

    // A probe on the same runtime: how late does a 10 ms timer fire while the flood is handled?
    let probe = tokio::spawn(async {
        let mut worst = Duration::ZERO;
        let end = Instant::now() + Duration::from_secs(3);
        while Instant::now() < end {
            let before = Instant::now();
            tokio::time::sleep(Duration::from_millis(10)).await;
            worst = worst.max(before.elapsed().saturating_sub(Duration::from_millis(10)));
        }
        worst
    });

    let mut conn = db.connect(&attacker).await;
    let started = Instant::now();
    let mut sent = 0i64;
    for batch in 0..10i64 {
        // Every payload differs (PostgreSQL folds identical ones within a transaction).
        let n: i64 = sqlx::query_scalar(
            "select count(pg_notify($1, case i % 3
                 when 0 then json_build_object('v', 1, 'leads', json_build_array(gen_random_uuid()),
                                               'stages', json_build_array(gen_random_uuid()))::text
                 when 1 then 'garbage ' || i
                 else json_build_object('v', 1, 'leads', null,
                                        'stages', json_build_array(gen_random_uuid()))::text
             end)) from generate_series($2::bigint, $3::bigint) i",
        )
        .bind(&channel)
        .bind(batch * 1000)
        .bind(batch * 1000 + 998)
        .fetch_one(&mut conn)
        .await
        .expect("notify");
        sqlx::query("select pg_notify($1, 'channel_rotated')")
            .bind(&channel)
            .execute(&mut conn)
            .await
            .expect("spoofed rotation");
        sent += n + 1;
        tokio::time::sleep(Duration::from_millis(90)).await;
    }
    let flood = started.elapsed();
    assert_eq!(sent, 10_000);

    // The flood is being handled while we send it; apply what remains.
    let settle = tui.settle(Duration::from_millis(1500));
    let (worst, ()) = tokio::join!(async { probe.await.expect("probe") }, settle);
    let (mut changes, mut reconnects) = (0, 0);
    for (event, _) in &tui.live {
        match event {
            LiveEvent::Changed(_) => changes += 1,
            LiveEvent::Reconnected => reconnects += 1,
            LiveEvent::Disconnected(why) => panic!("the flood cut the listener: {why}"),
        }
    }
    let (full, columns, headers) = tui.live_reads();
    eprintln!(
        "flood of {sent} notifications in {flood:?} → {changes} changes, {reconnects} reconnects, \
         {full} full board reloads, {} column reloads, {headers} header reloads; \
         worst timer lateness {worst:?}",
        columns.len()
    );
    let seconds = flood.as_secs() as usize + 2;
    assert!(
        changes >= 1,
        "valid-looking payloads are hints, so they are heard"
    );
    assert!(
        changes <= seconds,
        "at most one change per second: {changes} in {flood:?}"
    );
    assert!(
        full <= seconds,
        "at most one full reload per second: {full}"
    );
    assert!(
        headers <= seconds,
        "at most one header read per second: {headers}"
    );
    assert_eq!(reconnects, 0, "spoofed rotations change nothing");
    assert!(
        worst < Duration::from_millis(500),
        "the runtime stays responsive: {worst:?}"
    );

    // And it still hears a real change promptly, and shows it.
    tui.live.clear();
    let store = db.session(&mover).await.open(org).expect("member");
    store
        .move_lead(lead, stages[0].0, stages[1].0, None)
        .await
        .expect("move");
    tui.settle(Duration::from_millis(1500)).await;
    assert!(
        tui.live.iter().any(|(event, _)| matches!(
            event,
            LiveEvent::Changed(change) if change.leads.contains(lead)
        )),
        "a real move after the flood is heard: {:?}",
        tui.live
    );
}

/// The rep's own writes come back on the channel from the rep's own backends: ignored. A
/// teammate's move names exactly the two columns it changed.
/// 0027: a move commits first and announces after, in a transaction of its own (0060: from the
/// writer's session, without an outbox). A member who forges the pending notices reaches only
/// their own organization; a write that changes nothing announces nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_pending_notice_reaches_only_the_callers_organization() {
    let db = TestDb::new().await;
    let org_a = db.org("Announce A").await;
    let org_b = db.org("Announce B").await;
    let watcher = db.user("Announce A", "rep").await;
    let forger = db.user("Announce B", "rep").await;
    let mut rx = listen_as(&db, &watcher, org_a).await;

    let teammate = db.user("Announce B", "rep").await;
    let mut own_rx = listen_as(&db, &teammate, org_b).await;

    let forger_pool = db.login(&forger).await;
    let mut conn = forger_pool.acquire().await.expect("connection");
    // 0060: the notices a write keeps for after its commit are lines "<org> <payload>" in the
    // session. A forged list reaches only the caller's own organization; garbage is skipped.
    let notice = "{\"v\": 1, \"leads\": null, \"stages\": null}";
    let forged = format!(
        "{org_a} {notice}\nnot-a-uuid');drop table leads;-- {notice}\n{org_b} {notice}\n{org_a} {}",
        "x".repeat(9000)
    );
    sqlx::query("select set_config('closer.announce_pending', $1, false)")
        .bind(forged)
        .execute(&mut *conn)
        .await
        .expect("any session may set its own settings");
    sqlx::query("call closer.announce_now()")
        .execute(&mut *conn)
        .await
        .expect("announcing never fails");
    assert_eq!(
        next_change(&mut rx, Duration::from_secs(1)).await,
        None,
        "another organization heard a forged notice"
    );
    assert!(
        next_change(&mut own_rx, Duration::from_secs(2))
            .await
            .is_some(),
        "the forger's own organization hears the line meant for it"
    );
    let left: String = sqlx::query_scalar("select current_setting('closer.announce_pending')")
        .fetch_one(&mut *conn)
        .await
        .expect("read the setting");
    assert_eq!(left, "", "announce forgets what it sent");

    // A move from a stage the lead is not in changes nothing: nothing is announced.
    let insider = db.user("Announce A", "rep").await;
    let store = db.session(&insider).await.open(org_a).expect("member");
    let lead = db.lead(org_a, "Announced lead").await;
    let stages = db.stages(org_a).await;
    next_change(&mut rx, Duration::from_secs(2))
        .await
        .expect("the new lead is heard");
    store
        .move_lead(lead, stages[2].0, stages[1].0, None)
        .await
        .expect_err("a stale move is a conflict");
    assert_eq!(
        next_change(&mut rx, Duration::from_secs(1)).await,
        None,
        "a move that changed nothing was announced"
    );
    // The same move done right is announced once it has committed.
    store
        .move_lead(lead, stages[0].0, stages[1].0, None)
        .await
        .expect("move");
    let change = next_change(&mut rx, Duration::from_secs(2))
        .await
        .expect("the committed move is heard");
    assert_eq!(change.leads, live::Scope::Ids([lead].into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reps_own_move_is_not_echoed_and_a_teammates_names_two_columns() {
    let db = TestDb::new().await;
    let org = db.org("Live Echo").await;
    let rep = db.user("Live Echo", "rep").await;
    let mate = db.user("Live Echo", "rep").await;
    let mine = db.lead(org, "My Lead").await;
    let theirs = db.lead(org, "Their Lead").await;
    let stages = db.stages(org).await;
    let (a, b, c) = (stages[0].0, stages[1].0, stages[2].0);

    let store = db.session(&rep).await.open(org).expect("member");
    let (pool, own) = store.live_source();
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(live::listen(pool.clone(), own.clone(), org, move |event| {
        tx.send(event).is_ok()
    }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!own.is_empty(), "the pool recorded its backends");

    store.move_lead(mine, a, b, None).await.expect("my move");
    store
        .move_lead(mine, b, c, None)
        .await
        .expect("my second move");
    assert_eq!(
        next_change(&mut rx, Duration::from_millis(1500)).await,
        None,
        "my own moves are not refreshed again"
    );

    let mates = db.session(&mate).await.open(org).expect("member");
    mates
        .move_lead(theirs, a, c, None)
        .await
        .expect("their move");
    let change = next_change(&mut rx, Duration::from_secs(2))
        .await
        .expect("the teammate's move is heard");
    assert_eq!(change.leads, live::Scope::Ids([theirs].into()));
    assert_eq!(change.stages, live::Scope::Ids([a, c].into()));
}

/// The TUI's reducer and workers without a terminal, on the real data layer and the real
/// listener: runs every effect as the app loop does and records what live changes asked for.
struct Headless {
    state: State,
    worker: Worker<PgStore>,
    rx: mpsc::UnboundedReceiver<Action>,
    /// Effects issued in answer to each live event, in order.
    live: Vec<(LiveEvent, Vec<Effect>)>,
}

impl Headless {
    async fn start(store: PgStore) -> Headless {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut state = State::new(
            Viewer {
                organization: store.organization_name().to_string(),
                person: store.me().full_name.clone(),
            },
            Keymap::default(),
            Options::default(),
            chrono::Utc::now(),
        );
        // Wide enough that every column of the default pipeline is visible.
        update(
            &mut state,
            Action::Resize {
                width: 300,
                height: 50,
            },
        );
        let effects = state.start();
        let mut headless = Headless {
            state,
            worker: Worker::new(store, tx),
            rx,
            live: Vec::new(),
        };
        headless.run(effects);
        headless.settle(Duration::from_millis(600)).await;
        assert_eq!(
            headless.state.board.status,
            closer::state::BoardStatus::Ready,
            "the board loads"
        );
        headless
    }

    fn run(&self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::StartDebounce { .. } | Effect::Quit => {}
                other => self.worker.run(other),
            }
        }
    }

    /// Applies results and events until none arrives for `quiet`.
    async fn settle(&mut self, quiet: Duration) {
        while let Ok(Some(action)) = tokio::time::timeout(quiet, self.rx.recv()).await {
            let event = match &action {
                Action::Live(event) => Some(event.clone()),
                _ => None,
            };
            let effects = update(&mut self.state, action);
            if let Some(event) = event {
                self.live.push((event, effects.clone()));
            }
            self.run(effects);
        }
    }

    /// Reads the live events caused: (full board reloads, column reloads, header reloads).
    fn live_reads(&self) -> (usize, Vec<uuid::Uuid>, usize) {
        let mut counts = (0, Vec::new(), 0);
        for effect in self.live.iter().flat_map(|(_, fx)| fx) {
            match effect {
                Effect::Board(BoardEffect::Load { .. }) => counts.0 += 1,
                Effect::Board(BoardEffect::LoadColumn { stage_id, .. }) => counts.1.push(*stage_id),
                Effect::Board(BoardEffect::LoadSummaries { .. }) => counts.2 += 1,
                _ => {}
            }
        }
        counts
    }
}

/// Through the TUI's own reducer: my moves cause no read at all; a teammate's move re-reads
/// exactly its two columns and the headers once, never the whole board.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_board_a_teammates_move_rereads_only_its_two_columns() {
    let db = TestDb::new().await;
    let org = db.org("Live Board").await;
    let rep = db.user("Live Board", "rep").await;
    let mate = db.user("Live Board", "rep").await;
    let mine = db.lead(org, "Mine").await;
    let theirs = db.lead(org, "Theirs").await;
    let stages = db.stages(org).await;
    let (a, b, c) = (stages[0].0, stages[1].0, stages[2].0);
    let store = db.session(&rep).await.open(org).expect("member");
    let mut tui = Headless::start(store.clone()).await;
    assert!(tui.state.board.columns.len() >= 3);
    let held: i64 = sqlx::query_scalar("select count(*) from pg_stat_activity where usename = $1")
        .bind(&rep.login)
        .fetch_one(&db.admin)
        .await
        .expect("pg_stat_activity");
    eprintln!("server connections of one TUI connected directly, after its board loaded: {held}");

    store.move_lead(mine, a, b, None).await.expect("my move");
    tui.settle(Duration::from_millis(1500)).await;
    assert!(
        tui.live.is_empty(),
        "no live event for my own move: {:?}",
        tui.live
    );

    let mates = db.session(&mate).await.open(org).expect("member");
    mates
        .move_lead(theirs, a, c, None)
        .await
        .expect("their move");
    tui.settle(Duration::from_millis(1500)).await;
    let (full, mut columns, headers) = tui.live_reads();
    columns.sort();
    let mut expected = vec![a, c];
    expected.sort();
    assert_eq!(full, 0, "no full board reload: {:?}", tui.live);
    assert_eq!(columns, expected, "exactly the two affected columns");
    assert_eq!(headers, 1, "the headers once");
    let moved_in = tui
        .state
        .board
        .columns
        .iter()
        .find(|col| col.stage.id == c)
        .is_some_and(|col| col.cards.iter().any(|card| card.id == theirs));
    assert!(moved_in, "the card shows in its new column");
}
