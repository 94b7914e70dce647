//! The task inbox's data layer against a real PostgreSQL, through real rep logins (RLS applies):
//! groups derived from the rep's clock across time zones and date boundaries (injectable
//! `now`), ordering, team scope and tenant isolation, every triage write with its activity rows
//! and a consistent status, all-or-nothing bulk writes, undo, and version conflicts between two
//! logins.

use crate::common;

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use closer::data::inbox::{Inbox, InboxScope, Snooze, TaskGroup, group_of};
use closer::data::models::{MemberRole, TaskPriority, TaskStatus};
use closer::data::{DataError, PgStore};
use common::{TestDb, TestUser};
use serde_json::Value;
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const AUCKLAND: &str = "Pacific/Auckland";
const LOS_ANGELES: &str = "America/Los_Angeles";

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s)
        .single()
        .expect("a valid instant")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("a valid time")
}

async fn store_of(db: &TestDb, user: &TestUser, org: Uuid) -> PgStore {
    db.session(user)
        .await
        .open(org)
        .expect("a member opens the org")
}

/// Sets the person's time zone as themself (through the write API: `closer.update_my_profile`)
/// and logs in again (the zone is read at login).
async fn in_zone(db: &TestDb, user: &TestUser, org: Uuid, zone: &str) -> PgStore {
    let pool = db.login(user).await;
    let updated = sqlx::query("select version from closer.update_my_profile(null, null, null, $1)")
        .bind(zone)
        .fetch_all(&pool)
        .await
        .expect("a person sets their own time zone")
        .len();
    assert_eq!(updated, 1);
    pool.close().await;
    let store = store_of(db, user, org).await;
    assert_eq!(store.me().time_zone, zone);
    store
}

/// A task inserted as the superuser, with exactly the stored values wanted.
#[derive(Clone)]
struct Spec {
    title: &'static str,
    due_date: Option<NaiveDate>,
    due_time: Option<NaiveTime>,
    priority: &'static str,
    status: &'static str,
    completed_at: Option<DateTime<Utc>>,
    assigned_to: Option<Uuid>,
}

fn spec(title: &'static str, assigned_to: Option<Uuid>) -> Spec {
    Spec {
        title,
        due_date: None,
        due_time: None,
        priority: "medium",
        status: "pending",
        completed_at: None,
        assigned_to,
    }
}

impl Spec {
    fn due(mut self, date: NaiveDate) -> Spec {
        self.due_date = Some(date);
        self
    }
    fn at(mut self, time: NaiveTime) -> Spec {
        self.due_time = Some(time);
        self
    }
    fn priority(mut self, priority: &'static str) -> Spec {
        self.priority = priority;
        self
    }
    fn status(mut self, status: &'static str) -> Spec {
        self.status = status;
        self
    }
    fn completed(mut self, at: DateTime<Utc>) -> Spec {
        self.status = "completed";
        self.completed_at = Some(at);
        self
    }
}

async fn insert_task(db: &TestDb, org: Uuid, lead: Uuid, spec: Spec) -> Uuid {
    sqlx::query_scalar(
        "insert into lead_tasks (organization_id, lead_id, title, due_date, due_time, priority, status,
                                 completed_at, assigned_to)
         values ($1, $2, $3, $4, $5, $6::task_priority, $7::task_status, $8, $9) returning id",
    )
    .bind(org)
    .bind(lead)
    .bind(spec.title)
    .bind(spec.due_date)
    .bind(spec.due_time)
    .bind(spec.priority)
    .bind(spec.status)
    .bind(spec.completed_at)
    .bind(spec.assigned_to)
    .fetch_one(&db.admin)
    .await
    .expect("insert a task as the superuser")
}

/// A task as stored (superuser view).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct Stored {
    title: String,
    description: Option<String>,
    due_date: Option<NaiveDate>,
    due_time: Option<NaiveTime>,
    priority: String,
    status: String,
    completed_at: Option<DateTime<Utc>>,
    assigned_to: Option<Uuid>,
    version: i32,
}

async fn stored(db: &TestDb, id: Uuid) -> Stored {
    sqlx::query_as(
        "select title, description, due_date, due_time, priority::text as priority,
                status::text as status, completed_at, assigned_to, version
         from lead_tasks where id = $1",
    )
    .bind(id)
    .fetch_one(&db.admin)
    .await
    .expect("read a task as the superuser")
}

/// (type, content, created_by) of a lead's activities, oldest first (superuser view).
async fn activities(db: &TestDb, lead: Uuid) -> Vec<(String, Value, Option<Uuid>)> {
    sqlx::query_as(
        "select type, content, created_by from lead_activities where lead_id = $1 order by created_at, id",
    )
    .bind(lead)
    .fetch_all(&db.admin)
    .await
    .expect("read activities")
}

/// The activities of one task, in order: (type, content, created_by).
async fn task_activities(db: &TestDb, task: Uuid) -> Vec<(String, Value, Option<Uuid>)> {
    sqlx::query_as(
        "select type, content, created_by from lead_activities where content->>'task_id' = $1::text
         order by created_at, id",
    )
    .bind(task)
    .fetch_all(&db.admin)
    .await
    .expect("read a task's activities")
}

async fn activity_count(db: &TestDb) -> i64 {
    db.admin_count("lead_activities", "true").await
}

/// Every task of the inbox and its group.
fn groups(inbox: &Inbox) -> HashMap<Uuid, TaskGroup> {
    inbox.tasks.iter().map(|(g, t)| (t.id, *g)).collect()
}

async fn group_at(store: &PgStore, now: DateTime<Utc>, id: Uuid) -> Option<TaskGroup> {
    let inbox = store
        .inbox(now, InboxScope::Mine)
        .await
        .expect("read the inbox");
    groups(&inbox).get(&id).copied()
}

/// The SQL grouping and the pure `group_of` agree on every listed task.
fn assert_rust_agrees(inbox: &Inbox) {
    for (group, task) in &inbox.tasks {
        assert_eq!(
            group_of(task, inbox.now, inbox.utc_offset()),
            *group,
            "group_of disagrees with the query for {:?}",
            task.title
        );
        assert_eq!(inbox.group_of(task), *group);
    }
}

fn titles(inbox: &Inbox, group: TaskGroup) -> Vec<&str> {
    inbox.group(group).map(|t| t.title.as_str()).collect()
}

fn previous_status(undo: &[(Uuid, TaskStatus)], id: Uuid) -> TaskStatus {
    undo.iter()
        .find(|(u, _)| *u == id)
        .map(|(_, s)| *s)
        .expect("the task is in the undo list")
}

/// One organization "Acme" with a lead and a rep in `zone`.
struct World {
    db: TestDb,
    org: Uuid,
    lead: Uuid,
    rep: TestUser,
    store: PgStore,
}

async fn world(zone: &str) -> World {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let lead = db.lead(org, "Dana Buyer").await;
    let rep = db.user("Acme", "rep").await;
    let store = in_zone(&db, &rep, org, zone).await;
    World {
        db,
        org,
        lead,
        rep,
        store,
    }
}

// ---------------------------------------------------------------------------
// Groups and the rep's clock
// ---------------------------------------------------------------------------

#[tokio::test]
async fn groups_follow_the_reps_clock_across_the_due_time_and_midnight() {
    let w = world(AUCKLAND).await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let timed = insert_task(
        db,
        org,
        lead,
        spec("Call at nine", me)
            .due(date(2026, 3, 10))
            .at(time(9, 0)),
    )
    .await;
    let all_day = insert_task(
        db,
        org,
        lead,
        spec("Send brochure", me).due(date(2026, 3, 10)),
    )
    .await;
    let tomorrow = insert_task(db, org, lead, spec("Follow up", me).due(date(2026, 3, 11))).await;
    let undated = insert_task(db, org, lead, spec("Someday", me)).await;
    // Stored statuses that no one updated: the group is derived, never read from them.
    let stale_pending = insert_task(
        db,
        org,
        lead,
        spec("Stale pending", me)
            .due(date(2026, 3, 2))
            .status("pending"),
    )
    .await;
    let stale_overdue = insert_task(
        db,
        org,
        lead,
        spec("Stale overdue", me)
            .due(date(2026, 3, 20))
            .status("overdue"),
    )
    .await;

    // 2026-03-10 08:59 in Auckland (NZDT, UTC+13) is 2026-03-09 19:59 UTC.
    let before_nine = utc(2026, 3, 9, 19, 59, 0);
    let inbox = w
        .store
        .inbox(before_nine, InboxScope::Mine)
        .await
        .expect("inbox");
    assert_eq!(inbox.today, date(2026, 3, 10));
    assert_eq!(inbox.local_time, time(8, 59));
    assert_eq!(inbox.utc_offset_seconds, 13 * 3600);
    let g = groups(&inbox);
    assert_eq!(g[&timed], TaskGroup::Today, "due 09:00, it is 08:59");
    assert_eq!(g[&all_day], TaskGroup::Today);
    assert_eq!(g[&tomorrow], TaskGroup::Upcoming);
    assert_eq!(g[&undated], TaskGroup::NoDate);
    assert_eq!(
        g[&stale_pending],
        TaskGroup::Overdue,
        "stored pending, but past due"
    );
    assert_eq!(
        g[&stale_overdue],
        TaskGroup::Upcoming,
        "stored overdue, but due later"
    );
    assert_rust_agrees(&inbox);
    assert_eq!(w.store.overdue_count(before_nine).await.expect("count"), 1);

    // 09:01 local.
    let after_nine = utc(2026, 3, 9, 20, 1, 0);
    let inbox = w
        .store
        .inbox(after_nine, InboxScope::Mine)
        .await
        .expect("inbox");
    let g = groups(&inbox);
    assert_eq!(g[&timed], TaskGroup::Overdue, "due 09:00, it is 09:01");
    assert_eq!(g[&all_day], TaskGroup::Today, "no time: due all day");
    assert_rust_agrees(&inbox);
    assert_eq!(w.store.overdue_count(after_nine).await.expect("count"), 2);

    // An untimed task is Upcoming until local midnight of its day, Today all that day, and
    // Overdue from local midnight of the next.
    let cases = [
        (utc(2026, 3, 9, 10, 59, 59), TaskGroup::Upcoming), // 2026-03-09 23:59:59 local
        (utc(2026, 3, 9, 11, 0, 0), TaskGroup::Today),      // 2026-03-10 00:00 local
        (utc(2026, 3, 10, 10, 59, 59), TaskGroup::Today),   // 2026-03-10 23:59:59 local
        (utc(2026, 3, 10, 11, 0, 0), TaskGroup::Overdue),   // 2026-03-11 00:00 local
    ];
    for (now, expected) in cases {
        assert_eq!(
            group_at(&w.store, now, all_day).await,
            Some(expected),
            "at {now}"
        );
    }
    // At local midnight of 2026-03-11 "Follow up" is due today.
    assert_eq!(
        group_at(&w.store, utc(2026, 3, 10, 11, 0, 0), tomorrow).await,
        Some(TaskGroup::Today)
    );
}

#[tokio::test]
async fn the_same_instant_is_another_day_in_auckland_and_los_angeles() {
    let w = world(AUCKLAND).await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let all_day = insert_task(
        db,
        org,
        lead,
        spec("Send contract", me).due(date(2026, 3, 10)),
    )
    .await;
    let at_eight = insert_task(
        db,
        org,
        lead,
        spec("Call back", me).due(date(2026, 3, 10)).at(time(8, 0)),
    )
    .await;

    // 2026-03-10 12:00 UTC: 2026-03-11 01:00 in Auckland, 2026-03-10 05:00 in Los Angeles (PDT).
    let now = utc(2026, 3, 10, 12, 0, 0);
    let auckland = w.store.inbox(now, InboxScope::Mine).await.expect("inbox");
    assert_eq!(auckland.today, date(2026, 3, 11));
    let g = groups(&auckland);
    assert_eq!(g[&all_day], TaskGroup::Overdue);
    assert_eq!(g[&at_eight], TaskGroup::Overdue);
    assert_rust_agrees(&auckland);
    assert_eq!(w.store.overdue_count(now).await.expect("count"), 2);

    let store = in_zone(db, &w.rep, org, LOS_ANGELES).await;
    let los_angeles = store.inbox(now, InboxScope::Mine).await.expect("inbox");
    assert_eq!(los_angeles.today, date(2026, 3, 10));
    assert_eq!(los_angeles.utc_offset_seconds, -7 * 3600);
    let g = groups(&los_angeles);
    assert_eq!(g[&all_day], TaskGroup::Today);
    assert_eq!(
        g[&at_eight],
        TaskGroup::Today,
        "08:00 is still ahead at 05:00"
    );
    assert_rust_agrees(&los_angeles);
    assert_eq!(store.overdue_count(now).await.expect("count"), 0);

    // In Los Angeles the timed task falls due at 08:00 PDT (15:00 UTC), the untimed one at
    // local midnight (2026-03-11 07:00 UTC).
    assert_eq!(
        group_at(&store, utc(2026, 3, 10, 14, 59, 0), at_eight).await,
        Some(TaskGroup::Today)
    );
    assert_eq!(
        group_at(&store, utc(2026, 3, 10, 15, 1, 0), at_eight).await,
        Some(TaskGroup::Overdue)
    );
    assert_eq!(
        group_at(&store, utc(2026, 3, 11, 6, 59, 59), all_day).await,
        Some(TaskGroup::Today)
    );
    assert_eq!(
        group_at(&store, utc(2026, 3, 11, 7, 0, 0), all_day).await,
        Some(TaskGroup::Overdue)
    );
}

#[tokio::test]
async fn groups_are_ordered_by_priority_then_due_and_carry_the_lead() {
    let w = world("UTC").await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let now = utc(2026, 3, 10, 12, 0, 0);
    for s in [
        spec("low old", me).due(date(2026, 3, 1)).priority("low"),
        spec("high late", me).due(date(2026, 3, 8)).priority("high"),
        spec("medium", me).due(date(2026, 3, 2)),
        spec("high early 9:00", me)
            .due(date(2026, 3, 5))
            .at(time(9, 0))
            .priority("high"),
        spec("high early untimed", me)
            .due(date(2026, 3, 5))
            .priority("high"),
        spec("high early 8:00", me)
            .due(date(2026, 3, 5))
            .at(time(8, 0))
            .priority("high"),
        spec("today low", me).due(date(2026, 3, 10)).priority("low"),
        spec("today high", me)
            .due(date(2026, 3, 10))
            .at(time(17, 0))
            .priority("high"),
        spec("done 2 days ago", me)
            .due(date(2026, 3, 1))
            .completed(now - Duration::days(2)),
        spec("done 1 hour ago", me).completed(now - Duration::hours(1)),
        spec("done 8 days ago", me).completed(now - Duration::days(8)),
    ] {
        insert_task(db, org, lead, s).await;
    }
    let inbox = w.store.inbox(now, InboxScope::Mine).await.expect("inbox");
    assert_eq!(
        titles(&inbox, TaskGroup::Overdue),
        [
            "high early 8:00",
            "high early 9:00",
            "high early untimed",
            "high late",
            "medium",
            "low old"
        ]
    );
    assert_eq!(
        titles(&inbox, TaskGroup::Today),
        ["today high", "today low"]
    );
    assert_eq!(
        titles(&inbox, TaskGroup::Completed),
        ["done 1 hour ago", "done 2 days ago"],
        "recently completed: the last 7 days, newest first"
    );
    let order: Vec<TaskGroup> = inbox.tasks.iter().map(|(g, _)| *g).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "groups in display order");
    assert_eq!(inbox.totals[&TaskGroup::Overdue], 6);
    assert_eq!(inbox.totals[&TaskGroup::Completed], 2);
    assert_eq!(inbox.completed_since, now - Duration::days(7));
    assert_rust_agrees(&inbox);

    let (stage_id, stage_name) = db.stages(org).await.remove(0);
    let color: String = sqlx::query_scalar("select color from pipeline_stages where id = $1")
        .bind(stage_id)
        .fetch_one(&db.admin)
        .await
        .expect("stage colour");
    let first = inbox
        .group(TaskGroup::Overdue)
        .next()
        .expect("an overdue task");
    assert_eq!(first.lead_id, lead);
    assert_eq!(first.lead_name, "Dana Buyer");
    assert_eq!(first.stage_name, stage_name);
    assert_eq!(inbox.stage_color(first), Some(color.as_str()));
    assert_eq!(first.assigned_to, me);
    assert_eq!(first.assignee_name, Some(format!("Person {}", w.rep.login)));
    assert_eq!(first.priority, TaskPriority::High);
    assert_eq!(
        inbox.find(first.id).map(|(g, _)| g),
        Some(TaskGroup::Overdue)
    );

    // An explicit window shows older completions.
    let longer = w
        .store
        .inbox_since(now, InboxScope::Mine, Some(now - Duration::days(30)))
        .await
        .expect("inbox");
    assert_eq!(
        titles(&longer, TaskGroup::Completed),
        ["done 1 hour ago", "done 2 days ago", "done 8 days ago"]
    );
    // An empty inbox still knows the rep's clock.
    let stranger = db.user("Acme", "rep").await;
    let empty = in_zone(db, &stranger, org, AUCKLAND)
        .await
        .inbox(now, false)
        .await
        .expect("inbox");
    assert!(empty.tasks.is_empty());
    assert_eq!(
        (empty.today, empty.utc_offset_seconds),
        (date(2026, 3, 11), 13 * 3600)
    );
}

#[tokio::test]
async fn team_scope_shows_teammates_tasks_but_never_another_organizations() {
    let db = TestDb::new().await;
    let acme = db.org("Acme").await;
    let other = db.org("Globex").await;
    let rep = db.user("Acme", "rep").await;
    let mate = db.user("Acme", "rep").await;
    let manager = db.user("Acme", "manager").await;
    let stranger = db.user("Globex", "rep").await;
    let acme_lead = db.lead(acme, "Acme lead").await;
    let other_lead = db.lead(other, "Globex lead").await;
    let day = date(2026, 3, 10);
    let mine = insert_task(
        &db,
        acme,
        acme_lead,
        spec("mine", Some(rep.profile_id)).due(day),
    )
    .await;
    let theirs = insert_task(
        &db,
        acme,
        acme_lead,
        spec("theirs", Some(mate.profile_id)).due(day),
    )
    .await;
    let nobody = insert_task(&db, acme, acme_lead, spec("unassigned", None).due(day)).await;
    let foreign = insert_task(
        &db,
        other,
        other_lead,
        spec("foreign", Some(stranger.profile_id)).due(day),
    )
    .await;
    let now = utc(2026, 3, 10, 12, 0, 0);

    let store = store_of(&db, &rep, acme).await;
    let own = groups(&store.inbox(now, InboxScope::Mine).await.expect("inbox"));
    assert_eq!(own.keys().copied().collect::<Vec<_>>(), [mine]);

    let team = store.inbox(now, InboxScope::Team).await.expect("inbox");
    assert_eq!(team.scope, InboxScope::Team);
    let g = groups(&team);
    assert_eq!(g.len(), 3);
    assert!(g.contains_key(&mine) && g.contains_key(&theirs) && g.contains_key(&nobody));
    assert!(
        !g.contains_key(&foreign),
        "never another organization's task"
    );
    let (_, t) = team.find(theirs).expect("listed");
    assert_eq!(t.assigned_to, Some(mate.profile_id));
    assert_eq!(
        t.assignee_name,
        Some(format!("Person {}", mate.login)),
        "grouped by person"
    );
    assert_eq!(team.find(nobody).expect("listed").1.assignee_name, None);
    // The worker's `team: bool` is the same scope.
    assert_eq!(groups(&store.inbox(now, true).await.expect("inbox")), g);

    let manager_view = store_of(&db, &manager, acme).await;
    let g = groups(
        &manager_view
            .inbox(now, InboxScope::Team)
            .await
            .expect("inbox"),
    );
    assert_eq!(g.len(), 3);

    let outsider = store_of(&db, &stranger, other).await;
    let g = groups(&outsider.inbox(now, InboxScope::Team).await.expect("inbox"));
    assert_eq!(g.keys().copied().collect::<Vec<_>>(), [foreign]);
}

// ---------------------------------------------------------------------------
// Complete and undo
// ---------------------------------------------------------------------------

#[tokio::test]
async fn completing_tasks_is_one_transaction_with_activities() {
    let w = world("UTC").await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let now = utc(2026, 3, 10, 12, 0, 0);
    let earlier = now - Duration::days(1);
    let overdue = insert_task(
        db,
        org,
        lead,
        spec("overdue", me).due(date(2026, 3, 1)).status("overdue"),
    )
    .await;
    let pending = insert_task(db, org, lead, spec("pending", me).due(date(2026, 3, 20))).await;
    let done = insert_task(db, org, lead, spec("done", me).completed(earlier)).await;

    let undo = w
        .store
        .complete_tasks(&[overdue, pending, done, pending], now)
        .await
        .expect("complete");
    assert_eq!(
        undo,
        [
            (overdue, TaskStatus::Overdue),
            (pending, TaskStatus::Pending),
            (done, TaskStatus::Completed)
        ],
        "each task once, with its status before"
    );
    for id in [overdue, pending] {
        let s = stored(db, id).await;
        assert_eq!(
            (s.status.as_str(), s.completed_at, s.version),
            ("completed", Some(now), 2)
        );
        let acts = task_activities(db, id).await;
        assert_eq!(acts.len(), 1);
        assert_eq!(acts[0].0, "task_completed");
        assert_eq!(acts[0].1["title"], s.title.as_str());
        assert_eq!(acts[0].2, me, "recorded as the rep");
    }
    let s = stored(db, done).await;
    assert_eq!(
        (s.completed_at, s.version),
        (Some(earlier), 1),
        "already completed: untouched"
    );
    assert!(task_activities(db, done).await.is_empty());
    let inbox = w.store.inbox(now, InboxScope::Mine).await.expect("inbox");
    assert_eq!(titles(&inbox, TaskGroup::Completed).len(), 3);

    // One unknown id: nothing changes.
    let open = insert_task(db, org, lead, spec("still open", me).due(date(2026, 3, 20))).await;
    let activities_before = activity_count(db).await;
    assert_eq!(
        w.store.complete_tasks(&[open, Uuid::new_v4()], now).await,
        Err(DataError::NotFound)
    );
    let s = stored(db, open).await;
    assert_eq!(
        (s.status.as_str(), s.completed_at, s.version),
        ("pending", None, 1)
    );
    assert_eq!(activity_count(db).await, activities_before);
    assert_eq!(w.store.complete_tasks(&[], now).await, Ok(Vec::new()));
}

#[tokio::test]
async fn undo_reopens_with_a_status_derived_again() {
    let w = world("UTC").await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let now = utc(2026, 3, 10, 12, 0, 0);
    // Stored "pending" although past due: reopening writes the status it should have.
    let past = insert_task(db, org, lead, spec("past", me).due(date(2026, 3, 9))).await;
    let future = insert_task(db, org, lead, spec("future", me).due(date(2026, 3, 12))).await;
    let earlier = now - Duration::days(2);
    let done = insert_task(db, org, lead, spec("done before", me).completed(earlier)).await;

    let undo = w
        .store
        .complete_tasks(&[past, future, done], now)
        .await
        .expect("complete");
    assert_eq!(previous_status(&undo, past), TaskStatus::Pending);
    let later = now + Duration::minutes(1);
    w.store.undo_complete(&undo, later).await.expect("undo");
    for (id, status) in [(past, "overdue"), (future, "pending")] {
        let s = stored(db, id).await;
        assert_eq!((s.status.as_str(), s.completed_at), (status, None));
        let kinds: Vec<String> = task_activities(db, id)
            .await
            .into_iter()
            .map(|a| a.0)
            .collect();
        assert_eq!(kinds, ["task_completed", "task_reopened"]);
    }
    let s = stored(db, done).await;
    assert_eq!(
        (s.status.as_str(), s.completed_at, s.version),
        ("completed", Some(earlier), 1),
        "was done before"
    );
    let inbox = w.store.inbox(later, InboxScope::Mine).await.expect("inbox");
    assert_eq!(groups(&inbox)[&past], TaskGroup::Overdue);
    assert_eq!(groups(&inbox)[&future], TaskGroup::Upcoming);

    // The worker's name for it.
    let undo = w
        .store
        .complete_tasks(&[future], now)
        .await
        .expect("complete");
    w.store.reopen_tasks(&undo, later).await.expect("reopen");
    assert_eq!(stored(db, future).await.status, "pending");

    // Someone else reopened one of the tasks meanwhile: the undo is a conflict and reopens none.
    let mate = w.db.user("Acme", "rep").await;
    let other = store_of(db, &mate, org).await;
    let a = insert_task(db, org, lead, spec("a", me).due(date(2026, 3, 12))).await;
    let b = insert_task(db, org, lead, spec("b", me).due(date(2026, 3, 12))).await;
    let undo = w
        .store
        .complete_tasks(&[a, b], now)
        .await
        .expect("complete");
    other
        .undo_complete(&[(b, TaskStatus::Pending)], now)
        .await
        .expect("their undo");
    let before = (
        stored(db, a).await,
        stored(db, b).await,
        activity_count(db).await,
    );
    assert_eq!(
        w.store.undo_complete(&undo, later).await,
        Err(DataError::Conflict)
    );
    assert_eq!(
        (
            stored(db, a).await,
            stored(db, b).await,
            activity_count(db).await
        ),
        before
    );
    assert_eq!(before.0.status, "completed");
    // A task deleted meanwhile: gone, and nothing reopens.
    sqlx::query("delete from lead_tasks where id = $1")
        .bind(b)
        .execute(&db.admin)
        .await
        .expect("delete");
    assert_eq!(
        w.store.undo_complete(&undo, later).await,
        Err(DataError::NotFound)
    );
    assert_eq!(stored(db, a).await.status, "completed");
}

// ---------------------------------------------------------------------------
// Snooze
// ---------------------------------------------------------------------------

#[tokio::test]
async fn snoozing_counts_from_today_in_the_reps_zone() {
    let w = world(AUCKLAND).await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    // 2026-03-10 12:00 UTC is Wednesday 2026-03-11 01:00 in Auckland (still the 10th in UTC).
    let now = utc(2026, 3, 10, 12, 0, 0);
    assert_eq!(w.store.local_today(now).await, Ok(date(2026, 3, 11)));
    let overdue = insert_task(
        db,
        org,
        lead,
        spec("overdue", me)
            .due(date(2026, 3, 5))
            .at(time(10, 0))
            .status("overdue"),
    )
    .await;
    let later = insert_task(db, org, lead, spec("later", me).due(date(2026, 3, 20))).await;
    let undated = insert_task(db, org, lead, spec("undated", me)).await;
    let done = insert_task(
        db,
        org,
        lead,
        spec("done", me).due(date(2026, 3, 1)).completed(now),
    )
    .await;

    w.store
        .snooze_tasks(&[overdue, later, done], Snooze::Days(1), now)
        .await
        .expect("snooze");
    let s = stored(db, overdue).await;
    assert_eq!(
        (s.due_date, s.due_time, s.status.as_str()),
        (Some(date(2026, 3, 12)), Some(time(10, 0)), "pending"),
        "an overdue task snoozed +1 day is due tomorrow (local), at its time"
    );
    assert_eq!(
        stored(db, later).await.due_date,
        Some(date(2026, 3, 21)),
        "a later task moves a day later"
    );
    let s = stored(db, done).await;
    assert_eq!(
        (s.due_date, s.version),
        (Some(date(2026, 3, 1)), 1),
        "a completed task is left alone"
    );
    let acts = task_activities(db, overdue).await;
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].0, "task_snoozed");
    assert_eq!(acts[0].1["from_date"], "2026-03-05");
    assert_eq!(acts[0].1["due_date"], "2026-03-12");
    assert_eq!(acts[0].1["due_time"], "10:00:00");
    assert_eq!(acts[0].1["snooze"], "+1 day");
    assert_eq!(acts[0].2, me);
    assert!(task_activities(db, done).await.is_empty());
    assert_eq!(
        groups(&w.store.inbox(now, InboxScope::Mine).await.expect("inbox"))[&overdue],
        TaskGroup::Upcoming
    );

    w.store
        .snooze_tasks(&[undated], Snooze::Days(2), now)
        .await
        .expect("snooze");
    assert_eq!(stored(db, undated).await.due_date, Some(date(2026, 3, 13)));
    w.store
        .snooze_tasks(&[undated], Snooze::NextMonday, now)
        .await
        .expect("snooze");
    assert_eq!(stored(db, undated).await.due_date, Some(date(2026, 3, 16)));
    // On a Monday (2026-03-16 09:00 local), next Monday is a week ahead.
    let monday = utc(2026, 3, 15, 20, 0, 0);
    w.store
        .snooze_tasks(&[undated], Snooze::NextMonday, monday)
        .await
        .expect("snooze");
    assert_eq!(stored(db, undated).await.due_date, Some(date(2026, 3, 23)));
    w.store
        .snooze_tasks(&[undated], Snooze::Until(date(2026, 4, 1)), now)
        .await
        .expect("snooze");
    let s = stored(db, undated).await;
    assert_eq!(
        (s.due_date, s.status.as_str()),
        (Some(date(2026, 4, 1)), "pending")
    );
    // Snoozed into the past (a date typed by hand): the status says so.
    w.store
        .snooze_tasks(&[undated], Snooze::Until(date(2026, 3, 1)), now)
        .await
        .expect("snooze");
    assert_eq!(stored(db, undated).await.status, "overdue");
    assert_eq!(task_activities(db, undated).await.len(), 5);

    // One invisible task: nothing moves.
    let other_org = db.org("Globex").await;
    let other_lead = db.lead(other_org, "Globex lead").await;
    let foreign = insert_task(
        db,
        other_org,
        other_lead,
        spec("foreign", None).due(date(2026, 3, 5)),
    )
    .await;
    let before = (
        stored(db, later).await,
        stored(db, foreign).await,
        activity_count(db).await,
    );
    assert_eq!(
        w.store
            .snooze_tasks(&[later, foreign], Snooze::Days(3), now)
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        (
            stored(db, later).await,
            stored(db, foreign).await,
            activity_count(db).await
        ),
        before
    );
    assert!(matches!(
        w.store
            .snooze_tasks(&[later], Snooze::Days(100_000), now)
            .await,
        Err(DataError::Invalid(_))
    ));
}

// ---------------------------------------------------------------------------
// Single-task edits with versions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn reschedule_checks_the_version_between_two_logins() {
    let w = world("UTC").await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let mate = db.user("Acme", "rep").await;
    let other = store_of(db, &mate, org).await;
    let now = utc(2026, 3, 10, 12, 0, 0);
    let id = insert_task(db, org, lead, spec("call", me).due(date(2026, 3, 12))).await;

    // Both read version 1; the teammate saves first, moving it into the past.
    let version = other
        .reschedule_task_at(id, 1, Some(date(2026, 3, 9)), Some(time(9, 30)), now)
        .await
        .expect("first save wins");
    assert_eq!(version, 2);
    assert_eq!(
        w.store
            .reschedule_task_at(id, 1, Some(date(2026, 3, 14)), None, now)
            .await,
        Err(DataError::Conflict)
    );
    let s = stored(db, id).await;
    assert_eq!(
        (s.due_date, s.due_time, s.status.as_str(), s.version),
        (Some(date(2026, 3, 9)), Some(time(9, 30)), "overdue", 2)
    );
    let acts = task_activities(db, id).await;
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].0, "task_rescheduled");
    assert_eq!(acts[0].1["from_date"], "2026-03-12");
    assert_eq!(acts[0].1["due_date"], "2026-03-09");
    assert_eq!(acts[0].1["due_time"], "09:30:00");
    assert_eq!(acts[0].2, Some(mate.profile_id));

    // With the current version it applies: later today is pending.
    assert_eq!(
        w.store
            .reschedule_task_at(id, 2, Some(date(2026, 3, 10)), Some(time(15, 0)), now)
            .await,
        Ok(3)
    );
    assert_eq!(stored(db, id).await.status, "pending");
    // Earlier today (11:00 < 12:00) is overdue.
    assert_eq!(
        w.store
            .reschedule_task_at(id, 3, Some(date(2026, 3, 10)), Some(time(11, 0)), now)
            .await,
        Ok(4)
    );
    assert_eq!(stored(db, id).await.status, "overdue");
    // Cleared: no date, no time, pending.
    assert_eq!(
        w.store.reschedule_task_at(id, 4, None, None, now).await,
        Ok(5)
    );
    let s = stored(db, id).await;
    assert_eq!(
        (s.due_date, s.due_time, s.status.as_str()),
        (None, None, "pending")
    );
    assert_eq!(task_activities(db, id).await.len(), 4);
    assert!(matches!(
        w.store
            .reschedule_task_at(id, 5, None, Some(time(9, 0)), now)
            .await,
        Err(DataError::Invalid(_))
    ));

    // Without a version (the worker's `set_due`): applies over anything, time without a date dropped.
    w.store
        .set_due(id, Some(date(2026, 3, 1)), None, now)
        .await
        .expect("set due");
    assert_eq!(stored(db, id).await.status, "overdue");
    w.store
        .set_due(id, None, Some(time(9, 0)), now)
        .await
        .expect("clear");
    let s = stored(db, id).await;
    assert_eq!(
        (s.due_date, s.due_time, s.status.as_str(), s.version),
        (None, None, "pending", 7)
    );

    sqlx::query("delete from lead_tasks where id = $1")
        .bind(id)
        .execute(&db.admin)
        .await
        .expect("delete");
    assert_eq!(
        w.store
            .reschedule_task_at(id, 7, Some(date(2026, 3, 14)), None, now)
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        w.store.set_due(id, None, None, now).await,
        Err(DataError::NotFound)
    );
}

#[tokio::test]
async fn priority_changes_are_version_checked_and_bulk_ones_all_or_nothing() {
    let w = world("UTC").await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let mate = db.user("Acme", "rep").await;
    let other = store_of(db, &mate, org).await;
    let id = insert_task(
        db,
        org,
        lead,
        spec("call", me).due(date(2026, 3, 1)).status("overdue"),
    )
    .await;

    assert_eq!(w.store.set_priority(id, 1, TaskPriority::High).await, Ok(2));
    assert_eq!(
        other.set_priority(id, 1, TaskPriority::Low).await,
        Err(DataError::Conflict)
    );
    let s = stored(db, id).await;
    assert_eq!(
        (s.priority.as_str(), s.status.as_str(), s.version),
        ("high", "overdue", 2)
    );
    let acts = task_activities(db, id).await;
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].0, "task_priority_changed");
    assert_eq!(
        (acts[0].1["from"].as_str(), acts[0].1["to"].as_str()),
        (Some("medium"), Some("high"))
    );
    assert_eq!(acts[0].2, me);

    let second = insert_task(db, org, lead, spec("second", me).priority("high")).await;
    w.store
        .set_tasks_priority(&[id, second], TaskPriority::High)
        .await
        .expect("bulk");
    assert_eq!(
        task_activities(db, id).await.len(),
        1,
        "no change, no activity"
    );
    assert_eq!(task_activities(db, second).await.len(), 0);
    w.store
        .set_tasks_priority(&[id, second], TaskPriority::Low)
        .await
        .expect("bulk");
    for t in [id, second] {
        assert_eq!(stored(db, t).await.priority, "low");
        assert_eq!(
            task_activities(db, t).await.len(),
            if t == id { 2 } else { 1 }
        );
    }

    let before = (stored(db, id).await, activity_count(db).await);
    assert_eq!(
        w.store
            .set_tasks_priority(&[id, Uuid::new_v4()], TaskPriority::Medium)
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!((stored(db, id).await, activity_count(db).await), before);
}

#[tokio::test]
async fn editing_a_task_checks_its_title_and_version() {
    let w = world("UTC").await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let mate = db.user("Acme", "rep").await;
    let other = store_of(db, &mate, org).await;
    let id = insert_task(db, org, lead, spec("Call", me).due(date(2026, 3, 20))).await;

    let version = w
        .store
        .edit_task_checked(
            id,
            1,
            "  Call about the offer  ",
            Some("Ask for\nthe deposit"),
        )
        .await
        .expect("edit");
    assert_eq!(version, 2);
    assert_eq!(
        other.edit_task_checked(id, 1, "Theirs", None).await,
        Err(DataError::Conflict)
    );
    let s = stored(db, id).await;
    assert_eq!(
        (
            s.title.as_str(),
            s.description.as_deref(),
            s.status.as_str(),
            s.version
        ),
        (
            "Call about the offer",
            Some("Ask for\nthe deposit"),
            "pending",
            2
        )
    );
    let acts = task_activities(db, id).await;
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].0, "task_edited");
    assert_eq!(acts[0].1["title"], "Call about the offer");
    assert_eq!(acts[0].1["from_title"], "Call");
    assert_eq!(acts[0].2, me);

    // A blank description clears it; the worker's unchecked `edit_task` applies over anything.
    other
        .edit_task(id, "Call about the offer", Some("   "))
        .await
        .expect("edit");
    let s = stored(db, id).await;
    assert_eq!((s.description, s.version), (None, 3));
    assert!(matches!(
        w.store.edit_task_checked(id, 3, "   ", None).await,
        Err(DataError::Invalid(_))
    ));
    assert!(matches!(
        w.store.edit_task(id, &"x".repeat(501), None).await,
        Err(DataError::Invalid(_))
    ));
    assert!(matches!(
        w.store.edit_task(id, "nul\0", None).await,
        Err(DataError::Invalid(_))
    ));
    assert_eq!(stored(db, id).await.version, 3);
    assert_eq!(task_activities(db, id).await.len(), 2);
    assert_eq!(
        w.store.edit_task(Uuid::new_v4(), "Gone", None).await,
        Err(DataError::NotFound)
    );
}

// ---------------------------------------------------------------------------
// Reassign, add, teammates, triage facts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn reassigning_needs_a_member_and_is_all_or_nothing() {
    let w = world("UTC").await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let mate = db.user("Acme", "rep").await;
    db.org("Globex").await;
    let stranger = db.user("Globex", "rep").await;
    let now = utc(2026, 3, 10, 12, 0, 0);
    let a = insert_task(
        db,
        org,
        lead,
        spec("a", me).due(date(2026, 3, 1)).status("overdue"),
    )
    .await;
    let b = insert_task(db, org, lead, spec("b", me).due(date(2026, 3, 20))).await;

    w.store
        .reassign_tasks(&[a, b], mate.profile_id)
        .await
        .expect("reassign");
    for t in [a, b] {
        let s = stored(db, t).await;
        assert_eq!((s.assigned_to, s.version), (Some(mate.profile_id), 2));
    }
    let acts = task_activities(db, a).await;
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].0, "task_reassigned");
    assert_eq!(acts[0].1["to"], mate.profile_id.to_string());
    assert_eq!(acts[0].1["from"], w.rep.profile_id.to_string());
    assert_eq!(acts[0].1["to_name"], format!("Person {}", mate.login));
    assert_eq!(acts[0].2, me);
    // The tasks left my inbox and are in theirs.
    assert!(groups(&w.store.inbox(now, InboxScope::Mine).await.expect("inbox")).is_empty());
    let theirs = store_of(db, &mate, org).await;
    assert_eq!(
        groups(&theirs.inbox(now, InboxScope::Mine).await.expect("inbox")).len(),
        2
    );

    let before = (
        stored(db, a).await,
        stored(db, b).await,
        activity_count(db).await,
    );
    for outsider in [stranger.profile_id, Uuid::new_v4()] {
        match w.store.reassign_tasks(&[a, b], outsider).await {
            Err(DataError::Invalid(why)) => {
                assert!(why.contains("not a member of this organization"), "{why}")
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
    assert_eq!(
        w.store
            .reassign_tasks(&[a, Uuid::new_v4()], w.rep.profile_id)
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        (
            stored(db, a).await,
            stored(db, b).await,
            activity_count(db).await
        ),
        before
    );
}

#[tokio::test]
async fn adding_a_task_records_it_with_the_status_it_has_now() {
    let w = world(LOS_ANGELES).await;
    let (db, lead) = (&w.db, w.lead);
    let mate = db.user("Acme", "rep").await;
    // 2026-03-10 12:00 UTC is 05:00 PDT.
    let now = utc(2026, 3, 10, 12, 0, 0);
    let note = Some("Bring the floor plan");
    let high = TaskPriority::High;
    let day = Some(date(2026, 3, 10));

    let early = w
        .store
        .create_task(
            lead,
            &draft("Early call", note, day, Some(time(4, 30)), high, None),
            now,
        )
        .await
        .expect("add");
    let later = w
        .store
        .create_task(
            lead,
            &draft("Later call", None, day, Some(time(6, 0)), high, None),
            now,
        )
        .await
        .expect("add");
    let theirs = w
        .store
        .create_task(
            lead,
            &draft("Their call", None, None, None, high, Some(mate.profile_id)),
            now,
        )
        .await
        .expect("add");
    let s = stored(db, early).await;
    assert_eq!(
        (
            s.status.as_str(),
            s.priority.as_str(),
            s.description.as_deref(),
            s.completed_at,
            s.assigned_to
        ),
        ("overdue", "high", note, None, Some(w.rep.profile_id))
    );
    assert_eq!(stored(db, later).await.status, "pending");
    let s = stored(db, theirs).await;
    assert_eq!(
        (s.status.as_str(), s.assigned_to),
        ("pending", Some(mate.profile_id))
    );
    let acts = activities(db, lead).await;
    assert_eq!(acts.iter().filter(|a| a.0 == "task_added").count(), 3);
    let first = &task_activities(db, early).await[0];
    assert_eq!(first.0, "task_added");
    assert_eq!(first.1["title"], "Early call");
    assert_eq!(first.1["due_date"], "2026-03-10");
    assert_eq!(first.1["due_time"], "04:30:00");
    assert_eq!(first.2, Some(w.rep.profile_id));
    let inbox = w.store.inbox(now, InboxScope::Mine).await.expect("inbox");
    assert_eq!(titles(&inbox, TaskGroup::Overdue), ["Early call"]);
    assert_eq!(titles(&inbox, TaskGroup::Today), ["Later call"]);

    let count = (
        activity_count(db).await,
        db.admin_count("lead_tasks", "true").await,
    );
    let invalid = |r: Result<Uuid, DataError>| match r {
        Err(DataError::Invalid(why)) => why,
        other => panic!("expected Invalid, got {other:?}"),
    };
    invalid(
        w.store
            .create_task(lead, &draft("  ", None, None, None, high, None), now)
            .await,
    );
    invalid(
        w.store
            .create_task(
                lead,
                &draft("No date", None, None, Some(time(9, 0)), high, None),
                now,
            )
            .await,
    );
    let globex = db.org("Globex").await;
    let stranger = db.user("Globex", "rep").await;
    let why = invalid(
        w.store
            .create_task(
                lead,
                &draft(
                    "Outsider",
                    None,
                    None,
                    None,
                    high,
                    Some(stranger.profile_id),
                ),
                now,
            )
            .await,
    );
    assert!(why.contains("not a member of this organization"), "{why}");
    let foreign_lead = db.lead(globex, "Globex lead").await;
    assert_eq!(
        w.store
            .create_task(
                foreign_lead,
                &draft("Sneaky", None, None, None, high, None),
                now
            )
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        (
            activity_count(db).await,
            db.admin_count("lead_tasks", "true").await
        ),
        count
    );
}

#[tokio::test]
async fn teammates_are_the_organizations_members() {
    let db = TestDb::new().await;
    let acme = db.org("Acme").await;
    db.org("Globex").await;
    let rep = db.user("Acme", "rep").await;
    let manager = db.user("Acme", "manager").await;
    db.user("Globex", "rep").await;
    let store = store_of(&db, &rep, acme).await;
    let team = store.teammates().await.expect("teammates");
    assert_eq!(team.len(), 2);
    let me = team.iter().find(|t| t.me).expect("me");
    assert_eq!((me.profile_id, me.role), (rep.profile_id, MemberRole::Rep));
    let boss = team.iter().find(|t| !t.me).expect("the manager");
    assert_eq!(
        (boss.profile_id, boss.role, boss.full_name.clone()),
        (
            manager.profile_id,
            MemberRole::Manager,
            format!("Person {}", manager.login)
        )
    );
    let names: Vec<String> = team.iter().map(|t| t.full_name.to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");
}

#[tokio::test]
async fn triage_facts_sum_up_the_lead() {
    let w = world("UTC").await;
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let contacted = utc(2026, 3, 8, 15, 0, 0);
    sqlx::query(
        "update leads set phone = '+64 21 555 0100', email = 'dana@example.com', score = 72,
                last_contacted_at = $2, assigned_to = $3 where id = $1",
    )
    .bind(lead)
    .bind(contacted)
    .bind(w.rep.profile_id)
    .execute(&db.admin)
    .await
    .expect("lead details");
    sqlx::query("insert into lead_profiles (organization_id, lead_id, company) values ($1, $2, 'Harbour Homes')")
        .bind(org)
        .bind(lead)
        .execute(&db.admin)
        .await
        .expect("profile");
    sqlx::query(
        "insert into lead_interactions (organization_id, lead_id, type, direction, subject, content, outcome, occurred_at)
         values ($1, $2, 'email', 'outbound', 'Brochure', 'Sent it', null, $3),
                ($1, $2, 'call', 'outbound', null, E'\\nAsked about parking\\nand more', 'call back Friday', $4)",
    )
    .bind(org)
    .bind(lead)
    .bind(contacted - Duration::days(3))
    .bind(contacted)
    .execute(&db.admin)
    .await
    .expect("interactions");
    sqlx::query(
        "insert into deals (organization_id, lead_id, name, amount, status)
         values ($1, $2, 'Flat 1', 250000, 'open'), ($1, $2, 'Parking', 15000.50, 'open'),
                ($1, $2, 'Old', 99999, 'lost')",
    )
    .bind(org)
    .bind(lead)
    .execute(&db.admin)
    .await
    .expect("deals");

    let facts = w.store.triage_facts(lead).await.expect("facts");
    let (_, stage_name) = db.stages(org).await.remove(0);
    assert_eq!(facts.lead_id, lead);
    assert_eq!(facts.name, "Dana Buyer");
    assert_eq!(facts.company.as_deref(), Some("Harbour Homes"));
    assert_eq!(facts.stage, stage_name);
    assert!(facts.stage_color.starts_with('#'));
    assert_eq!(facts.phone.as_deref(), Some("+64 21 555 0100"));
    assert_eq!(facts.email.as_deref(), Some("dana@example.com"));
    assert_eq!(facts.score, 72);
    assert_eq!(facts.owner_name, Some(format!("Person {}", w.rep.login)));
    assert_eq!(facts.last_contacted_at, Some(contacted));
    assert_eq!(
        facts.last_interaction.as_deref(),
        Some("Call (outbound): Asked about parking — call back Friday")
    );
    assert_eq!(facts.last_interaction_at, Some(contacted));
    assert_eq!((facts.open_deal_amount, facts.open_deals), (265000.5, 2));

    let bare = db.lead(org, "Bare lead").await;
    let facts = w.store.triage_facts(bare).await.expect("facts");
    assert_eq!(
        (
            facts.company,
            facts.last_interaction,
            facts.open_deal_amount,
            facts.open_deals
        ),
        (None, None, 0.0, 0)
    );

    let globex = db.org("Globex").await;
    let foreign = db.lead(globex, "Globex lead").await;
    assert_eq!(
        w.store.triage_facts(foreign).await,
        Err(DataError::NotFound)
    );
}

// ---------------------------------------------------------------------------
// Tenancy
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_rep_of_another_organization_cannot_touch_a_task() {
    let w = world("UTC").await;
    let me = Some(w.rep.profile_id);
    let (db, org, lead) = (&w.db, w.org, w.lead);
    let globex = db.org("Globex").await;
    let stranger = db.user("Globex", "rep").await;
    let outsider = store_of(db, &stranger, globex).await;
    let now = utc(2026, 3, 10, 12, 0, 0);
    let id = insert_task(
        db,
        org,
        lead,
        spec("Acme's", me).due(date(2026, 3, 1)).status("overdue"),
    )
    .await;
    let before = (stored(db, id).await, activity_count(db).await);

    assert_eq!(
        outsider.complete_tasks(&[id], now).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        outsider
            .undo_complete(&[(id, TaskStatus::Pending)], now)
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        outsider.snooze_tasks(&[id], Snooze::Days(1), now).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        outsider.reassign_tasks(&[id], stranger.profile_id).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        outsider.set_tasks_priority(&[id], TaskPriority::Low).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        outsider.set_priority(id, 1, TaskPriority::Low).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        outsider.reschedule_task_at(id, 1, None, None, now).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        outsider.set_due(id, None, None, now).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        outsider.edit_task_checked(id, 1, "Mine now", None).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        outsider.edit_task(id, "Mine now", None).await,
        Err(DataError::NotFound)
    );
    assert_eq!(outsider.triage_facts(lead).await, Err(DataError::NotFound));
    assert!(groups(&outsider.inbox(now, InboxScope::Team).await.expect("inbox")).is_empty());
    assert_eq!((stored(db, id).await, activity_count(db).await), before);

    // A rep in both organizations, working in Globex, cannot reach Acme's task either.
    db.add_to_org(&w.rep, "Globex", "rep").await;
    let both = store_of(db, &w.rep, globex).await;
    assert_eq!(
        both.complete_tasks(&[id], now).await,
        Err(DataError::NotFound)
    );
    assert_eq!((stored(db, id).await, activity_count(db).await), before);
}

/// The task `create_task` is given, from the inbox form's values.
fn draft(
    title: &str,
    description: Option<&str>,
    due_date: Option<NaiveDate>,
    due_time: Option<NaiveTime>,
    priority: TaskPriority,
    assigned_to: Option<Uuid>,
) -> closer::data::lead::NewTask {
    closer::data::lead::NewTask {
        title: title.to_string(),
        description: description.map(str::to_string),
        due_date,
        due_time,
        priority,
        assigned_to,
    }
}
