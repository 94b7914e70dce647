//! A lead's next step and last touch in the filter deltas (migrations 0049 and 0050):
//! `no-next-step`, `overdue` and `rotting` read the `next:` and `touch:` facets, so every task
//! write and call log must keep them equal to a recount from the rows: through the TUI's
//! functions and plain SQL, one task or several of one lead in a statement, a task moved to
//! another lead, calls logged (a new day, then the same day again), leads moved into won and
//! back, deleted, and folded; and with movers and task writers on the same leads at once,
//! without a deadlock.

use super::import_totals::{delta_mismatches, delta_mismatches_in};
use super::owner_totals::insert_deals_for_every_lead;
use super::{World, world};

use chrono::{Duration, Utc};
use closer::data::PgStore;
use closer::data::inbox::Snooze;
use closer::data::lead::{InteractionKind, NewInteraction, NewTask};
use closer::data::models::TaskPriority;
use uuid::Uuid;

async fn assert_exact(w: &World, when: &str) {
    let (wrong, groups) = delta_mismatches(w).await;
    assert!(wrong.is_empty(), "{when}: deltas minus recount {wrong:#?}");
    assert!(groups > 40, "{when}: only {groups} groups");
}

fn task(title: &str, days: Option<i64>) -> NewTask {
    NewTask {
        title: title.to_owned(),
        description: None,
        due_date: days.map(|d| Utc::now().date_naive() + Duration::days(d)),
        due_time: None,
        priority: TaskPriority::Medium,
        assigned_to: None,
    }
}

/// A lead of the organization with no open task.
async fn lead_without_tasks(w: &World) -> Uuid {
    let leads = leads_without_tasks(w, 1).await;
    *leads.first().expect("a lead without tasks")
}

/// Up to `n` leads of the organization with no open task, by name.
async fn leads_without_tasks(w: &World, n: i64) -> Vec<Uuid> {
    sqlx::query_scalar(
        "select l.id from leads l where l.organization_id = $1
           and not exists (select 1 from lead_tasks t where t.lead_id = l.id and t.status <> 'completed')
         order by l.name limit $2",
    )
    .bind(w.org)
    .bind(n)
    .fetch_all(&w.db.admin)
    .await
    .expect("leads without tasks")
}

async fn stage(w: &World, won: bool) -> Uuid {
    sqlx::query_scalar(
        "select s.id from pipeline_stages s where s.organization_id = $1 and s.pipeline_id = $2
           and s.is_won = $3 and not s.is_lost order by s.order_index limit 1",
    )
    .bind(w.org)
    .bind(w.pipeline)
    .bind(won)
    .fetch_one(&w.db.admin)
    .await
    .expect("a stage")
}

async fn stage_of(w: &World, lead: Uuid) -> Uuid {
    sqlx::query_scalar("select stage_id from leads where id = $1")
        .bind(lead)
        .fetch_one(&w.db.admin)
        .await
        .expect("the lead's stage")
}

async fn sql(w: &World, statement: &str, lead: Uuid) {
    sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
        .bind(lead)
        .execute(&w.db.admin)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

#[tokio::test]
async fn next_steps_equal_a_recount_after_every_kind_of_task_write() {
    let w = world().await;
    insert_deals_for_every_lead(&w).await;
    assert_exact(&w, "seeded").await;
    let now = Utc::now();

    let lead = lead_without_tasks(&w).await;
    let late = w
        .store
        .add_task(lead, task("Late call", Some(-2)), now)
        .await
        .expect("add a task");
    assert_exact(&w, "a first task, overdue").await;
    let undated = w
        .store
        .add_task(lead, task("Someday", None), now)
        .await
        .expect("add an undated task");
    assert_exact(&w, "a second task, undated").await;
    w.store.complete_task(late, 1).await.expect("complete");
    assert_exact(&w, "the dated task completed").await;
    w.store
        .reschedule_task(undated, 1, Some(now.date_naive()), None, now)
        .await
        .expect("reschedule");
    assert_exact(&w, "the undated task dated").await;
    let before = w
        .store
        .complete_tasks(&[undated], now)
        .await
        .expect("complete in bulk");
    assert_exact(&w, "the last open task completed").await;
    w.store.reopen_tasks(&before, now).await.expect("reopen");
    assert_exact(&w, "reopened").await;
    w.store
        .snooze_tasks(&[undated], Snooze::Days(3), now)
        .await
        .expect("snooze");
    assert_exact(&w, "snoozed").await;

    // A call moves the lead's touch to today; a second one the same day changes nothing.
    for n in 1..=2 {
        let call = NewInteraction {
            kind: InteractionKind::Call,
            direction: None,
            subject: Some(format!("Call {n}")),
            content: None,
            duration_secs: None,
            outcome: None,
        };
        w.store
            .log_interaction(lead, call)
            .await
            .expect("log a call");
        assert_exact(&w, &format!("call {n} logged")).await;
    }
    sql(
        &w,
        "update leads set last_contacted_at = now() - interval '30 days' where id = $1",
        lead,
    )
    .await;
    assert_exact(&w, "last contact set back a month").await;

    // Into won and back: the lead's open tasks follow it (0013) and its facets with it.
    let (open, won) = (stage_of(&w, lead).await, stage(&w, true).await);
    w.store
        .move_lead(lead, open, won, None)
        .await
        .expect("move to won");
    assert_exact(&w, "moved into won").await;
    w.store
        .move_lead(lead, won, open, None)
        .await
        .expect("move back");
    assert_exact(&w, "moved back").await;

    // Plain SQL: two tasks of one lead in one statement, a task moved to another lead, deletes.
    sql(
        &w,
        "insert into lead_tasks (organization_id, lead_id, title, due_date)
         select organization_id, id, 'Pair', current_date + d from leads, unnest(array[-5, 4]) d where id = $1",
        lead,
    )
    .await;
    assert_exact(&w, "two tasks in one statement").await;
    sql(
        &w,
        "update lead_tasks set status = 'completed', completed_at = now()
         where lead_id = $1 and title = 'Pair'",
        lead,
    )
    .await;
    assert_exact(&w, "two tasks completed in one statement").await;
    let other = lead_without_tasks(&w).await;
    sql(
        &w,
        "update lead_tasks set lead_id = (select l.id from leads l where l.organization_id = lead_tasks.organization_id
                                            and l.id <> $1 order by l.name desc limit 1)
         where lead_id = $1 and status <> 'completed'",
        lead,
    )
    .await;
    assert_exact(&w, "a task moved to another lead").await;
    sql(
        &w,
        "delete from lead_tasks where lead_id in (
             select t.lead_id from lead_tasks t
             where t.organization_id = (select organization_id from leads where id = $1) and t.status <> 'completed'
             limit 3)",
        other,
    )
    .await;
    assert_exact(&w, "tasks deleted").await;
    sql(&w, "delete from leads where id = $1", lead).await;
    assert_exact(&w, "a lead with tasks deleted").await;
    sql(
        &w,
        "select closer.compact_filter_summaries(organization_id) from leads where id = $1",
        other,
    )
    .await;
    assert_exact(&w, "folded").await;
}

pub(super) async fn deadlocks(w: &World) -> i64 {
    sqlx::query_scalar("select deadlocks from pg_stat_database where datname = current_database()")
        .fetch_one(&w.db.admin)
        .await
        .expect("deadlock count")
}

/// `n` leads of `stage`, by name.
pub(super) async fn leads_in(w: &World, stage: Uuid, n: usize) -> Vec<Uuid> {
    let leads: Vec<Uuid> = sqlx::query_scalar(
        "select id from leads where organization_id = $1 and stage_id = $2 order by name limit $3",
    )
    .bind(w.org)
    .bind(stage)
    .bind(n as i64)
    .fetch_all(&w.db.admin)
    .await
    .expect("leads to work");
    assert_eq!(leads.len(), n, "leads in the stage");
    leads
}

/// The stores of `n` new reps of the organization, one session each.
pub(super) async fn rep_stores(w: &World, n: usize) -> Vec<PgStore> {
    let mut stores = Vec::new();
    for _ in 0..n {
        let rep = w.db.user("Acme", "rep").await;
        stores.push(w.db.session(&rep).await.open(w.org).expect("a member"));
    }
    stores
}

/// Moves a lead from `open` to `won` and back `rounds` times while teammates write it.
pub(super) async fn mover(
    store: PgStore,
    lead: Uuid,
    open: Uuid,
    won: Uuid,
    rounds: usize,
) -> Vec<String> {
    let mut errors = Vec::new();
    for i in 0..rounds {
        for (from, to) in [(open, won), (won, open)] {
            if let Err(e) = store.move_lead(lead, from, to, None).await {
                errors.push(format!("move {i} of {lead}: {e}"));
            }
        }
    }
    errors
}

/// Adds a task to a lead and completes it, `rounds` times.
async fn writer(store: PgStore, lead: Uuid, rounds: usize) -> Vec<String> {
    let mut errors = Vec::new();
    for i in 0..rounds {
        let days = Some(i as i64 % 5 - 2);
        match store
            .add_task(lead, task("Floor task", days), Utc::now())
            .await
        {
            Ok(id) => {
                if let Err(e) = store.complete_tasks(&[id], Utc::now()).await {
                    errors.push(format!("complete {i} on {lead}: {e}"));
                }
            }
            Err(e) => errors.push(format!("add {i} on {lead}: {e}")),
        }
    }
    errors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn movers_and_task_writers_on_the_same_leads_keep_next_steps_exact() {
    const LEADS: usize = 4;
    const ROUNDS: usize = 12;
    let w = world().await;
    insert_deals_for_every_lead(&w).await;
    let (open, won) = (stage(&w, false).await, stage(&w, true).await);
    let leads = leads_in(&w, open, LEADS).await;
    let stores = rep_stores(&w, 3).await;
    let before = deadlocks(&w).await;
    let mut handles = Vec::new();
    for (i, lead) in leads.iter().enumerate() {
        let movers = stores[i % 3].clone();
        handles.push(tokio::spawn(mover(movers, *lead, open, won, ROUNDS)));
        for k in 1..3 {
            let store = stores[(i + k) % 3].clone();
            handles.push(tokio::spawn(writer(store, *lead, ROUNDS)));
        }
    }
    let mut errors = Vec::new();
    for handle in handles {
        errors.extend(handle.await.expect("a worker finished"));
    }
    assert!(errors.is_empty(), "errors under load: {errors:?}");
    assert_eq!(deadlocks(&w).await, before, "the server detected deadlocks");
    assert_exact(&w, "after movers and task writers").await;
}

/// `closer.rotting_edge` (0050) reads leads as the owner, so it must answer only for an
/// organization the caller belongs to: a rep of another organization, given this one's ids,
/// gets nothing, and a member gets only leads of their own pipeline's stages.
#[tokio::test]
async fn the_rotting_edge_answers_only_a_member() {
    let w = world().await;
    // Every lead of a stage with a limit touched a minute before the limit ran out.
    sqlx::query(
        "update leads l set last_contacted_at = now() - make_interval(days => s.rotting_days) - interval '1 minute'
         from pipeline_stages s where s.id = l.stage_id and s.rotting_days is not null and l.organization_id = $1",
    )
    .bind(w.org)
    .execute(&w.db.admin)
    .await
    .expect("touch every lead on the edge");
    let edge = "select count(*) from closer.rotting_edge($1, $2, now())";
    let member = w.db.login(&w.me).await;
    let mine: i64 = sqlx::query_scalar(edge)
        .bind(w.org)
        .bind(w.pipeline)
        .fetch_one(&member)
        .await
        .expect("a member reads the edge");
    let expected: i64 = sqlx::query_scalar(
        "select count(*) from leads l join pipeline_stages s on s.id = l.stage_id
         where l.organization_id = $1 and s.rotting_days is not null
           and date_trunc('day', l.last_contacted_at at time zone 'UTC')
               = date_trunc('day', (now() - make_interval(days => s.rotting_days)) at time zone 'UTC')",
    )
    .bind(w.org)
    .fetch_one(&w.db.admin)
    .await
    .expect("count the edge");
    assert!(mine > 0, "the edge has leads");
    assert_eq!(mine, expected);
    let stranger = w.db.user("Globex", "rep").await;
    let stranger = w.db.login(&stranger).await;
    let theirs: i64 = sqlx::query_scalar(edge)
        .bind(w.org)
        .bind(w.pipeline)
        .fetch_one(&stranger)
        .await
        .expect("another organization's rep calls it");
    assert_eq!(theirs, 0, "another organization's leads through the edge");
}

/// The seed writes without triggers and rebuilds the deltas itself (`db/seed_filters.rs`): its
/// rows must equal the same recount, every facet included.
#[tokio::test]
async fn a_seeded_organization_has_exact_filter_deltas() {
    let db = crate::common::TestDb::new().await;
    let org = db.org("Seeded Co").await;
    db.user("Seeded Co", "rep").await;
    closer::db::seed::seed(&db.admin, org, 2000, 7)
        .await
        .expect("seed");
    let (wrong, groups) = delta_mismatches_in(&db.admin, org).await;
    assert!(wrong.is_empty(), "seeded: deltas minus recount {wrong:#?}");
    assert!(groups > 100, "only {groups} groups");
}

/// Migration 0061: a lead whose first due day has a timed task keeps that task's hour, so
/// `overdue` sums today's earlier hours from the deltas and counts only the current hour's
/// leads. A pinned clock (14:30 UTC on a day of its own) with tasks before, in and after the
/// current hour, untimed, and one moved to another hour of the same day by plain SQL: the totals
/// equal a recount per stage, and the deltas equal a recount group by group.
#[tokio::test]
async fn overdue_by_the_hour_equals_a_recount() {
    let w = world().await;
    insert_deals_for_every_lead(&w).await;
    let day = chrono::NaiveDate::from_ymd_opt(2031, 3, 12).expect("a day");
    let at = |h: u32, m: u32| chrono::NaiveTime::from_hms_opt(h, m, 0).expect("a time");
    let now = day.and_time(at(14, 30)).and_utc();
    let leads = leads_without_tasks(&w, 7).await;
    assert_eq!(leads.len(), 7, "enough leads without tasks");
    // (lead, due times on `day`): an earlier hour, the current hour before and after 14:30, a
    // later hour, no time, an earlier hour beside a later one, and no time beside the current hour.
    let plans: [&[Option<chrono::NaiveTime>]; 7] = [
        &[Some(at(13, 10))],
        &[Some(at(14, 10))],
        &[Some(at(14, 50))],
        &[Some(at(16, 0))],
        &[None],
        &[Some(at(16, 0)), Some(at(9, 5))],
        &[None, Some(at(14, 20))],
    ];
    let mut later = None;
    for (lead, times) in leads.iter().zip(plans) {
        for time in times {
            let id = w
                .store
                .add_task(
                    *lead,
                    NewTask {
                        title: "Timed".to_owned(),
                        description: None,
                        due_date: Some(day),
                        due_time: *time,
                        priority: TaskPriority::High,
                        assigned_to: None,
                    },
                    now,
                )
                .await
                .expect("add a timed task");
            if *time == Some(at(16, 0)) && later.is_none() {
                later = Some(id);
            }
        }
    }
    assert_exact(&w, "timed tasks added").await;
    let ctx = closer::data::filter_sql::FilterContext {
        time_zone: "UTC".to_owned(),
        now,
        ..w.store.filter_context()
    };
    let overdue = closer::filter::parse("overdue").expect("parses");
    let recount = "select l.stage_id, count(*) from leads l
                   where l.organization_id = $1
                     and l.stage_id in (select s.id from pipeline_stages s where s.pipeline_id = $2)
                     and exists (select 1 from lead_tasks t
                                 where t.organization_id = $1 and t.lead_id = l.id
                                   and t.status in ('pending', 'overdue')
                                   and (t.due_date < $3::date or (t.due_date = $3::date and t.due_time < $4::time)))
                   group by l.stage_id";
    for when in ["tasks added", "a 16:00 task moved to 14:05 by SQL"] {
        if when.starts_with("a 16:00") {
            sqlx::query("update lead_tasks set due_time = '14:05' where id = $1")
                .bind(later.expect("a 16:00 task"))
                .execute(&w.db.admin)
                .await
                .expect("move the task within its day");
            assert_exact(&w, when).await;
        }
        let totals = w
            .store
            .filtered_summaries_with(w.pipeline, &overdue, &ctx)
            .await
            .expect("overdue totals");
        let expected: Vec<(Uuid, i64)> = sqlx::query_as(recount)
            .bind(w.org)
            .bind(w.pipeline)
            .bind(day)
            .bind(at(14, 30))
            .fetch_all(&w.db.admin)
            .await
            .expect("recount");
        let mut got: Vec<(Uuid, i64)> = totals
            .iter()
            .filter(|(_, s)| s.lead_count != 0)
            .map(|(stage, s)| (*stage, s.lead_count))
            .collect();
        got.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(got, expected, "{when}");
    }
    let hours: Vec<String> = sqlx::query_scalar(
        "select distinct facet from stage_filter_deltas
         where organization_id = $1 and facet like 'next:2031-03-12%' order by 1",
    )
    .bind(w.org)
    .fetch_all(&w.db.admin)
    .await
    .expect("the day's facets");
    assert!(
        hours.contains(&"next:2031-03-12T09".to_owned())
            && hours.contains(&"next:2031-03-12T14".to_owned())
            && hours.contains(&"next:2031-03-12".to_owned()),
        "{hours:?}"
    );
}
