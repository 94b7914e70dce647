//! The inbox's data layer through real rep logins: grouping by the overdue rule in the rep's
//! time zone (with a pinned clock), and every triage write.

mod common;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use closer::data::DataError;
use closer::data::PgStore;
use closer::data::inbox::{Snooze, TaskGroup};
use closer::data::models::{TaskPriority, TaskStatus};
use common::TestDb;
use uuid::Uuid;

struct World {
    db: TestDb,
    org: Uuid,
    lead: Uuid,
    rep: common::TestUser,
    mate: common::TestUser,
    store: PgStore,
}

async fn world(name: &str, time_zone: &str) -> World {
    let db = TestDb::new().await;
    let org = db.org(name).await;
    let rep = db.user(name, "rep").await;
    let mate = db.user(name, "rep").await;
    let lead = db.lead(org, "Inbox Lead").await;
    let pool = db.login(&rep).await;
    sqlx::query("update profiles set time_zone = $1 where db_role = session_user")
        .bind(time_zone)
        .execute(&pool)
        .await
        .expect("a rep sets their own time zone");
    let store = db.session(&rep).await.open(org).expect("member");
    World {
        db,
        org,
        lead,
        rep,
        mate,
        store,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("time")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("instant")
}

/// Inserts a task for `assignee` with a stored status that may be stale on purpose.
async fn task(
    w: &World,
    title: &str,
    due: Option<(NaiveDate, Option<NaiveTime>)>,
    assignee: Uuid,
    status: &str,
) -> Uuid {
    sqlx::query_scalar(
        "insert into lead_tasks (organization_id, lead_id, title, due_date, due_time, assigned_to, status, completed_at)
         values ($1, $2, $3, $4, $5, $6, $7::task_status, case when $7 = 'completed' then now() end) returning id",
    )
    .bind(w.org)
    .bind(w.lead)
    .bind(title)
    .bind(due.map(|d| d.0))
    .bind(due.and_then(|d| d.1))
    .bind(assignee)
    .bind(status)
    .fetch_one(&w.db.admin)
    .await
    .expect("insert task")
}

fn group_of(inbox: &closer::data::inbox::InboxRows, id: Uuid) -> Option<TaskGroup> {
    inbox
        .tasks
        .iter()
        .find(|(_, t)| t.id == id)
        .map(|(g, _)| *g)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_follows_due_time_in_the_reps_zone_not_the_stored_status() {
    let w = world("Inbox Clock", "America/Los_Angeles").await;
    // Due 2026-03-10 09:00 local (Los Angeles is UTC-7 on that date: DST began 2026-03-08).
    let timed = task(
        &w,
        "Call at nine",
        Some((date(2026, 3, 10), Some(time(9, 0)))),
        w.rep.profile_id,
        "pending",
    )
    .await;
    let all_day = task(
        &w,
        "Sometime today",
        Some((date(2026, 3, 10), None)),
        w.rep.profile_id,
        "pending",
    )
    .await;
    let inbox = w
        .store
        .inbox(utc(2026, 3, 10, 15, 59), false)
        .await
        .expect("inbox at 08:59 local");
    assert_eq!(inbox.today, date(2026, 3, 10));
    assert_eq!(inbox.utc_offset_seconds, -7 * 3600);
    assert_eq!(group_of(&inbox, timed), Some(TaskGroup::Today));
    let inbox = w
        .store
        .inbox(utc(2026, 3, 10, 16, 1), false)
        .await
        .expect("inbox at 09:01 local");
    assert_eq!(
        group_of(&inbox, timed),
        Some(TaskGroup::Overdue),
        "stored 'pending' is ignored"
    );
    assert_eq!(
        group_of(&inbox, all_day),
        Some(TaskGroup::Today),
        "a dateless-time task is today all day"
    );
    // Local midnight of the next day (07:00 UTC): the all-day task becomes overdue.
    let inbox = w
        .store
        .inbox(utc(2026, 3, 11, 6, 59), false)
        .await
        .expect("23:59 local");
    assert_eq!(group_of(&inbox, all_day), Some(TaskGroup::Today));
    let inbox = w
        .store
        .inbox(utc(2026, 3, 11, 7, 1), false)
        .await
        .expect("00:01 local");
    assert_eq!(group_of(&inbox, all_day), Some(TaskGroup::Overdue));
    assert_eq!(
        w.store
            .overdue_task_count_at(utc(2026, 3, 11, 7, 1))
            .await
            .expect("count"),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_instant_is_a_different_day_in_auckland_and_los_angeles() {
    let la = world("Inbox LA", "America/Los_Angeles").await;
    let akl = world("Inbox AKL", "Pacific/Auckland").await;
    // 2026-06-15 20:00 UTC is 13:00 on the 15th in LA and 08:00 on the 16th in Auckland.
    let now = utc(2026, 6, 15, 20, 0);
    let la_task = task(
        &la,
        "Due the 15th",
        Some((date(2026, 6, 15), None)),
        la.rep.profile_id,
        "pending",
    )
    .await;
    let akl_task = task(
        &akl,
        "Due the 15th",
        Some((date(2026, 6, 15), None)),
        akl.rep.profile_id,
        "pending",
    )
    .await;
    let la_inbox = la.store.inbox(now, false).await.expect("LA");
    let akl_inbox = akl.store.inbox(now, false).await.expect("AKL");
    assert_eq!(group_of(&la_inbox, la_task), Some(TaskGroup::Today));
    assert_eq!(group_of(&akl_inbox, akl_task), Some(TaskGroup::Overdue));
    assert_eq!(akl_inbox.today, date(2026, 6, 16));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_order_by_priority_then_due_and_team_view_shows_teammates_only_of_this_org() {
    let w = world("Inbox Groups", "UTC").await;
    let now = utc(2026, 5, 4, 12, 0);
    let low = task(
        &w,
        "low soon",
        Some((date(2026, 5, 6), None)),
        w.rep.profile_id,
        "pending",
    )
    .await;
    let high = task(
        &w,
        "high later",
        Some((date(2026, 5, 9), None)),
        w.rep.profile_id,
        "pending",
    )
    .await;
    sqlx::query("update lead_tasks set priority = case when id = $1 then 'high'::task_priority else 'low' end where id = any($2)")
        .bind(high)
        .bind(vec![high, low])
        .execute(&w.db.admin)
        .await
        .expect("priorities");
    let nodate = task(&w, "whenever", None, w.rep.profile_id, "pending").await;
    let recent = task(
        &w,
        "done recently",
        Some((date(2026, 5, 1), None)),
        w.rep.profile_id,
        "completed",
    )
    .await;
    let old = task(
        &w,
        "done long ago",
        Some((date(2026, 3, 1), None)),
        w.rep.profile_id,
        "completed",
    )
    .await;
    sqlx::query("update lead_tasks set completed_at = case when id = $1 then $3 else $4 end where id = any($2)")
        .bind(recent)
        .bind(vec![recent, old])
        .bind(utc(2026, 5, 2, 9, 0))
        .bind(utc(2026, 4, 1, 9, 0))
        .execute(&w.db.admin)
        .await
        .expect("completion times");
    let mates = task(
        &w,
        "teammate's",
        Some((date(2026, 5, 4), None)),
        w.mate.profile_id,
        "pending",
    )
    .await;
    let other = world("Inbox Other Org", "UTC").await;
    let foreign = task(
        &other,
        "foreign",
        Some((date(2026, 5, 4), None)),
        other.rep.profile_id,
        "pending",
    )
    .await;

    let mine = w.store.inbox(now, false).await.expect("mine");
    let upcoming: Vec<Uuid> = mine
        .tasks
        .iter()
        .filter(|(g, _)| *g == TaskGroup::Upcoming)
        .map(|(_, t)| t.id)
        .collect();
    assert_eq!(
        upcoming,
        vec![high, low],
        "high priority first, then due date"
    );
    assert_eq!(group_of(&mine, nodate), Some(TaskGroup::NoDate));
    assert_eq!(
        group_of(&mine, recent),
        Some(TaskGroup::Completed),
        "completed two days ago"
    );
    assert_eq!(
        group_of(&mine, old),
        None,
        "completed a month ago: out of the 7-day window"
    );
    assert_eq!(group_of(&mine, mates), None, "not mine");
    let team = w.store.inbox(now, true).await.expect("team");
    assert_eq!(group_of(&team, mates), Some(TaskGroup::Today));
    assert_eq!(
        group_of(&team, foreign),
        None,
        "never another organization's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_complete_is_all_or_nothing_and_undo_restores() {
    let w = world("Inbox Bulk", "UTC").await;
    let now = Utc::now();
    let a = task(
        &w,
        "a",
        Some((date(2020, 1, 1), None)),
        w.rep.profile_id,
        "pending",
    )
    .await;
    let b = task(&w, "b", None, w.rep.profile_id, "pending").await;
    // One invisible id (another org's task) makes the whole batch fail.
    let other = world("Inbox Bulk Other", "UTC").await;
    let foreign = task(&other, "foreign", None, other.rep.profile_id, "pending").await;
    let err = w
        .store
        .complete_tasks(&[a, b, foreign], now)
        .await
        .expect_err("not all visible");
    assert_eq!(err, DataError::NotFound);
    let open: i64 =
        w.db.admin_count(
            "lead_tasks",
            &format!("id in ('{a}', '{b}') and status <> 'completed'"),
        )
        .await;
    assert_eq!(open, 2, "nothing applied");
    assert_eq!(
        other
            .db
            .admin_count(
                "lead_tasks",
                &format!("id = '{foreign}' and status = 'pending'")
            )
            .await,
        1
    );

    let undo = w
        .store
        .complete_tasks(&[a, b], now)
        .await
        .expect("complete two");
    assert_eq!(
        w.db.admin_count(
            "lead_tasks",
            "status = 'completed' and completed_at is not null"
        )
        .await,
        2
    );
    assert_eq!(
        w.db.admin_count("lead_activities", "type = 'task_completed'")
            .await,
        2
    );
    w.store.reopen_tasks(&undo, now).await.expect("undo");
    assert_eq!(
        w.db.admin_count(
            "lead_tasks",
            &format!("id = '{a}' and status = 'overdue' and completed_at is null")
        )
        .await,
        1
    );
    assert_eq!(
        w.db.admin_count("lead_tasks", &format!("id = '{b}' and status = 'pending'"))
            .await,
        1
    );
    assert!(undo.iter().all(|(_, s)| *s != TaskStatus::Completed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snooze_reschedule_priority_reassign_edit_and_add() {
    let w = world("Inbox Writes", "UTC").await;
    let now = utc(2026, 7, 1, 10, 0); // a Wednesday
    let overdue = task(
        &w,
        "late",
        Some((date(2026, 6, 20), None)),
        w.rep.profile_id,
        "overdue",
    )
    .await;
    let later = task(
        &w,
        "later",
        Some((date(2026, 7, 10), None)),
        w.rep.profile_id,
        "pending",
    )
    .await;
    w.store
        .snooze_tasks(&[overdue, later], Snooze::Days(1), now)
        .await
        .expect("snooze +1");
    let due = |id: Uuid| {
        let admin = w.db.admin.clone();
        async move {
            sqlx::query_as::<_, (Option<NaiveDate>, TaskStatus)>(
                "select due_date, status from lead_tasks where id = $1",
            )
            .bind(id)
            .fetch_one(&admin)
            .await
            .expect("task")
        }
    };
    assert_eq!(
        due(overdue).await,
        (Some(date(2026, 7, 2)), TaskStatus::Pending),
        "overdue → tomorrow, status fixed"
    );
    assert_eq!(
        due(later).await.0,
        Some(date(2026, 7, 11)),
        "a future task moves a day later"
    );
    w.store
        .snooze_tasks(&[overdue], Snooze::NextMonday, now)
        .await
        .expect("next monday");
    assert_eq!(due(overdue).await.0, Some(date(2026, 7, 6)));
    w.store
        .set_due(overdue, Some(date(2026, 6, 1)), Some(time(9, 30)), now)
        .await
        .expect("reschedule to the past");
    assert_eq!(
        due(overdue).await,
        (Some(date(2026, 6, 1)), TaskStatus::Overdue)
    );
    w.store
        .set_due(overdue, None, Some(time(9, 30)), now)
        .await
        .expect("clear");
    assert_eq!(
        w.db.admin_count(
            "lead_tasks",
            &format!("id = '{overdue}' and due_date is null and due_time is null")
        )
        .await,
        1
    );

    w.store
        .set_tasks_priority(&[later], TaskPriority::High)
        .await
        .expect("priority");
    assert_eq!(w.db.admin_count("lead_tasks", "priority = 'high'").await, 1);
    w.store
        .reassign_tasks(&[later], w.mate.profile_id)
        .await
        .expect("reassign");
    assert_eq!(
        w.db.admin_count(
            "lead_tasks",
            &format!("assigned_to = '{}'", w.mate.profile_id)
        )
        .await,
        1
    );
    let outsider = world("Inbox Outsider", "UTC").await;
    let err = w
        .store
        .reassign_tasks(&[later], outsider.rep.profile_id)
        .await
        .expect_err("not a member");
    assert!(err.to_string().contains("not a member"), "{err}");
    w.store
        .edit_task(later, "  Renamed  ", Some("details"))
        .await
        .expect("edit");
    assert_eq!(
        w.db.admin_count(
            "lead_tasks",
            "title = 'Renamed' and description = 'details'"
        )
        .await,
        1
    );
    assert!(
        w.store.edit_task(later, " ", None).await.is_err(),
        "a title is required"
    );
    let added = w
        .store
        .create_task(
            w.lead,
            "Follow up",
            None,
            Some(date(2026, 6, 30)),
            None,
            TaskPriority::Medium,
            None,
            now,
        )
        .await
        .expect("add");
    assert_eq!(
        w.db.admin_count(
            "lead_tasks",
            &format!(
                "id = '{added}' and status = 'overdue' and assigned_to = '{}'",
                w.rep.profile_id
            )
        )
        .await,
        1
    );
    for kind in [
        "task_snoozed",
        "task_rescheduled",
        "task_priority_changed",
        "task_reassigned",
        "task_edited",
        "task_added",
    ] {
        assert!(
            w.db.admin_count("lead_activities", &format!("type = '{kind}'"))
                .await
                >= 1,
            "{kind} recorded"
        );
    }
    let teammates = w.store.teammates().await.expect("teammates");
    assert_eq!(teammates.len(), 2);
    let facts = w.store.triage_facts(w.lead).await.expect("facts");
    assert_eq!(facts.name, "Inbox Lead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_of_another_org_cannot_complete_these_tasks() {
    let w = world("Inbox Victim", "UTC").await;
    let t = task(&w, "mine", None, w.rep.profile_id, "pending").await;
    let attacker = world("Inbox Attacker", "UTC").await;
    assert_eq!(
        attacker
            .store
            .complete_tasks(&[t], Utc::now())
            .await
            .expect_err("invisible"),
        DataError::NotFound
    );
    assert_eq!(
        w.db.admin_count("lead_tasks", &format!("id = '{t}' and status = 'pending'"))
            .await,
        1
    );
}
