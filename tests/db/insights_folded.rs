//! Migration 0031: the funnel and velocity panels read rollups folded below a per-organization
//! watermark plus the same facts over the tail above it. Every figure must equal the plain query
//! (`FUNNEL_PLAIN_SQL`, the definition, run here by the superuser over the raw rows) with only a
//! tail, after a compaction, after changes to folded facts (moves back and forth, a reopened
//! lead, a reassignment, a deleted lead, a reordered and a deleted stage) and after compacting
//! them; and no member reads a rollup, another organization's figures or, as a rep, anyone
//! else's.

use crate::cockpit_insights::{Org, Q3, known_history};
use crate::common;

use chrono::Datelike;
use closer::data::PgStore;
use closer::data::insights::{FUNNEL_PLAIN_SQL, InsightsQuery, LOST_REASONS_PLAIN_SQL, Period};
use sqlx::Row;
use uuid::Uuid;

/// (stage, entered, moved on, stays left, median, p80) per stage, in stage order.
type Funnel = Vec<(Uuid, i64, i64, i64, Option<f64>, Option<f64>)>;

async fn plain(o: &Org, period: Period, person: Option<Uuid>) -> Funnel {
    sqlx::query(FUNNEL_PLAIN_SQL)
        .bind(o.org)
        .bind(o.pipeline)
        .bind(period.from())
        .bind(period.to_exclusive())
        .bind(person)
        .fetch_all(&o.db.admin)
        .await
        .expect("the plain funnel")
        .iter()
        .map(|r| {
            (
                r.get("id"),
                r.get("entered"),
                r.get("moved_on"),
                r.get("stays_left"),
                r.get("median_days"),
                r.get("p80_days"),
            )
        })
        .collect()
}

/// The lost reasons (label, leads) of the plain query.
async fn plain_reasons(o: &Org, period: Period, person: Option<Uuid>) -> Vec<(String, i64)> {
    sqlx::query_as(LOST_REASONS_PLAIN_SQL)
        .bind(o.org)
        .bind(o.pipeline)
        .bind(period.from())
        .bind(period.to_exclusive())
        .bind(person)
        .fetch_all(&o.db.admin)
        .await
        .expect("the plain lost reasons")
}

async fn folded(
    store: &PgStore,
    o: &Org,
    period: Period,
    person: Option<Uuid>,
) -> (Funnel, Vec<(String, i64)>) {
    let got = store
        .insights(&InsightsQuery {
            pipeline_id: o.pipeline,
            period,
            person,
        })
        .await
        .expect("insights");
    let reasons = got
        .lost_reasons
        .iter()
        .map(|r| (r.label.clone(), r.count))
        .collect();
    let funnel = got
        .funnel
        .iter()
        .map(|s| {
            (
                s.stage_id,
                s.entered,
                s.moved_on,
                s.stays_left,
                s.median_days,
                s.p80_days,
            )
        })
        .collect();
    (funnel, reasons)
}

fn same_float(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        (None, None) => true,
        _ => false,
    }
}

/// Every period kind around the history (and today's) × the team, each rep as themselves and a
/// rep seen by the manager: the folded figures equal the plain query's.
async fn check_all(o: &Org, when: &str) {
    let today = chrono::Utc::now().date_naive();
    let periods = [
        Q3,
        Period::Month(2026, 7),
        Period::Month(2026, 8),
        Period::Month(2026, 9),
        Period::Year(2026),
        Period::quarter_of(today),
        Period::Month(today.year(), today.month()),
        Period::Year(today.year()),
    ];
    let manager = o.store(&o.manager).await;
    let rep1 = o.store(&o.rep1).await;
    let rep2 = o.store(&o.rep2).await;
    let mut compared = 0;
    for period in periods {
        for (store, person, seen) in [
            (&manager, None, None),
            (&manager, Some(o.rep2.profile_id), Some(o.rep2.profile_id)),
            (&rep1, None, Some(o.rep1.profile_id)),
            (&rep2, None, Some(o.rep2.profile_id)),
        ] {
            let want = plain(o, period, seen).await;
            let (got, reasons) = folded(store, o, period, person).await;
            let mut want_reasons = plain_reasons(o, period, seen).await;
            want_reasons.truncate(closer::data::insights::RANKED_LIMIT);
            assert_eq!(
                reasons, want_reasons,
                "{when}, {period}, {seen:?}: lost reasons"
            );
            assert_eq!(got.len(), want.len(), "{when}, {period}, {seen:?}: stages");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(
                    (g.0, g.1, g.2, g.3),
                    (w.0, w.1, w.2, w.3),
                    "{when}, {period}, {seen:?}: (stage, entered, moved on, stays left)"
                );
                assert!(
                    same_float(g.4, w.4) && same_float(g.5, w.5),
                    "{when}, {period}, {seen:?}, stage {}: median/p80 {:?}/{:?} vs {:?}/{:?}",
                    g.0,
                    g.4,
                    g.5,
                    w.4,
                    w.5
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "{when}: compared {compared} stage rows");
}

async fn rollup_rows(o: &Org) -> i64 {
    sqlx::query_scalar(
        "select (select count(*) from closer_insights.entries where organization_id = $1)
              + (select count(*) from closer_insights.exits where organization_id = $1)
              + (select count(*) from closer_insights.days where organization_id = $1)",
    )
    .bind(o.org)
    .fetch_one(&o.db.admin)
    .await
    .expect("count rollup rows")
}

/// Compacts as the manager after the watermark can pass the last write (it stays a second
/// behind every running transaction).
async fn compact(o: &Org) {
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let folded = o
        .store(&o.manager)
        .await
        .compact_insights()
        .await
        .expect("compact");
    assert!(folded, "nobody else compacts this organization");
    let waiting: (i64, i64) = sqlx::query_as(
        "select (select count(*) from closer_insights.owner_changes where organization_id = $1),
                (select count(*) from closer_insights.gone_stays where organization_id = $1)",
    )
    .bind(o.org)
    .fetch_one(&o.db.admin)
    .await
    .expect("count the logs");
    assert_eq!(waiting, (0, 0), "a compaction consumes the logged changes");
}

async fn set_owner(o: &Org, lead: Uuid, owner: Uuid) {
    sqlx::query("update leads set assigned_to = $2 where id = $1")
        .bind(lead)
        .bind(owner)
        .execute(&o.db.admin)
        .await
        .expect("reassign");
}

async fn lead_id(o: &Org, name: &str) -> Uuid {
    sqlx::query_scalar("select id from leads where organization_id = $1 and name = $2")
        .bind(o.org)
        .bind(name)
        .fetch_one(&o.db.admin)
        .await
        .expect("find the lead")
}

#[tokio::test]
async fn folded_figures_equal_the_plain_query_through_every_change() {
    let o = known_history().await;
    assert_eq!(rollup_rows(&o).await, 0, "nothing folded yet");
    check_all(&o, "all tail").await;

    compact(&o).await;
    assert!(rollup_rows(&o).await > 10, "the history is folded");
    check_all(&o, "folded").await;

    // Changes to folded facts, and a new tail: E goes back and forth, A (won) is reopened and won
    // again, B (rep1's, folded) goes to rep2 and back to rep1 and then to rep2, D is deleted, a
    // new lead arrives.
    let (a, b, d, e) = (
        lead_id(&o, "A").await,
        lead_id(&o, "B").await,
        lead_id(&o, "D").await,
        lead_id(&o, "E").await,
    );
    o.walk(e, &["Qualified", "Contacted", "Qualified"]).await;
    o.walk(a, &["Proposal", "Won"]).await;
    set_owner(&o, b, o.rep2.profile_id).await;
    set_owner(&o, b, o.rep1.profile_id).await;
    set_owner(&o, b, o.rep2.profile_id).await;
    sqlx::query("delete from leads where id = $1")
        .bind(d)
        .execute(&o.db.admin)
        .await
        .expect("delete D");
    sqlx::query("update leads set lost_reason = 'Budget' where id = $1")
        .bind(b)
        .execute(&o.db.admin)
        .await
        .expect("edit B's reason in place");
    let i = o.lead("I", &o.rep1, "web").await;
    o.walk(i, &["Contacted"]).await;
    check_all(&o, "changes in the tail").await;

    compact(&o).await;
    check_all(&o, "changes folded").await;

    // After folding again: E reassigned (its folded and tail stays follow), the stages reordered
    // (Proposal before Qualified: "moved on" is judged by the order now) and Contacted deleted
    // (its leads moved to New, logged).
    set_owner(&o, e, o.rep1.profile_id).await;
    o.walk(i, &["Qualified"]).await;
    let manager = o.store(&o.manager).await;
    let mut order: Vec<Uuid> = manager
        .stage_settings(o.pipeline)
        .await
        .expect("stages")
        .iter()
        .map(|s| s.id)
        .collect();
    let (qualified, proposal) = (o.stage("Qualified").await, o.stage("Proposal").await);
    let qi = order
        .iter()
        .position(|s| *s == qualified)
        .expect("Qualified");
    let pi = order.iter().position(|s| *s == proposal).expect("Proposal");
    order.swap(qi, pi);
    manager
        .reorder_stages(o.pipeline, &order)
        .await
        .expect("reorder");
    let (contacted, new) = (o.stage("Contacted").await, o.stage("New").await);
    manager
        .delete_stage(contacted, new)
        .await
        .expect("delete Contacted");
    check_all(&o, "reordered, deleted stage, reassigned in the tail").await;

    compact(&o).await;
    check_all(&o, "all folded again").await;

    // Sources read the lead's source and creation day from the deal: edits of the lead follow.
    sqlx::query("update leads set source = 'partner', created_at = created_at - interval '3 days' where id = $1")
        .bind(a)
        .execute(&o.db.admin)
        .await
        .expect("edit A's source");
    for period in [Q3, Period::Year(2026)] {
        let got = o
            .store(&o.manager)
            .await
            .insights(&InsightsQuery {
                pipeline_id: o.pipeline,
                period,
                person: None,
            })
            .await
            .expect("insights");
        let want: Vec<(String, i64, f64, f64)> = sqlx::query_as(
            "select coalesce(nullif(btrim(l.source), ''), '(none)'), count(*), sum(d.amount)::float8,
                    sum(d.closed_on - (l.created_at at time zone 'UTC')::date)::float8
             from deals d join leads l on l.id = d.lead_id join pipeline_stages s on s.id = l.stage_id
             where d.organization_id = $1 and s.pipeline_id = $2 and d.status = 'won'
               and d.closed_on >= $3 and d.closed_on < $4
             group by 1 order by 3 desc, 1",
        )
        .bind(o.org)
        .bind(o.pipeline)
        .bind(period.from())
        .bind(period.to_exclusive())
        .fetch_all(&o.db.admin)
        .await
        .expect("plain sources");
        let sources: Vec<(String, i64, f64)> = got
            .sources
            .iter()
            .map(|r| (r.label.clone(), r.count, r.amount))
            .collect();
        let plain: Vec<(String, i64, f64)> = want.iter().map(|w| (w.0.clone(), w.1, w.2)).collect();
        assert_eq!(sources, plain, "{period}: sources");
        assert!(plain.iter().any(|w| w.0 == "partner"), "A's new source");
        let days: f64 = want.iter().map(|w| w.3).sum();
        let won: i64 = want.iter().map(|w| w.1).sum();
        assert!(
            got.avg_days_to_close
                .is_some_and(|g| (g - days / won as f64).abs() < 1e-9),
            "{period}: average days to close"
        );
    }
}

async fn refused(pool: &sqlx::PgPool, sql: &'static str, binds: &[Option<Uuid>]) -> Option<String> {
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    match query.fetch_all(pool).await {
        Ok(_) => None,
        Err(err) => common::sqlstate(&err),
    }
}

#[tokio::test]
async fn rollups_are_read_only_through_the_checked_function() {
    let o = known_history().await;
    compact(&o).await;
    let other_org = o.db.org("Other Insight Co").await;
    let stranger = o.db.user("Other Insight Co", "manager").await;
    let funnel = "select * from closer.insights_funnel($1, $2, '2026-07-01', '2026-10-01', $3)";
    let (org, pipeline) = (Some(o.org), Some(o.pipeline));

    // A rep: their own numbers only, never the team's or a teammate's.
    let rep = o.db.login(&o.rep1).await;
    let own = sqlx::query(funnel)
        .bind(o.org)
        .bind(o.pipeline)
        .bind(o.rep1.profile_id)
        .fetch_all(&rep)
        .await
        .expect("a rep reads their own funnel");
    assert!(!own.is_empty());
    let reasons =
        "select * from closer.insights_lost_reasons($1, $2, '2026-07-01', '2026-10-01', $3)";
    for person in [None, Some(o.rep2.profile_id), Some(o.manager.profile_id)] {
        for sql in [funnel, reasons] {
            assert_eq!(
                refused(&rep, sql, &[org, pipeline, person])
                    .await
                    .as_deref(),
                Some("42501"),
                "a rep reading {person:?}: {sql}"
            );
        }
    }
    assert_eq!(
        refused(&rep, reasons, &[org, pipeline, Some(o.rep1.profile_id)]).await,
        None,
        "a rep reads their own lost reasons"
    );
    // No member names the rollups, the logs or the private index expression.
    for sql in [
        "select count(*) from closer_insights.entries",
        "select count(*) from closer_insights.exits",
        "select count(*) from closer_insights.days",
        "select count(*) from closer_insights.watermarks",
        "select count(*) from closer_insights.owner_changes",
        "select count(*) from closer_insights.gone_stays",
        "select count(*) from closer_insights.open_stays",
        "select count(*) from closer_insights.label_changes",
        "select count(*) from closer_insights.hours",
        "select count(*) from closer_insights.stay_facts",
        "explain analyze select 1 from stage_history where closer_insights.stay_hour(entered_at, left_at) = 3",
        "select closer_insights.compact(id, true) from organizations",
    ] {
        assert_eq!(
            refused(&rep, sql, &[]).await.as_deref(),
            Some("42501"),
            "a rep running {sql}"
        );
    }

    // Another organization's manager: neither its figures nor its compaction.
    let outsider = o.db.login(&stranger).await;
    for person in [None, Some(o.rep1.profile_id)] {
        for sql in [funnel, reasons] {
            assert_eq!(
                refused(&outsider, sql, &[org, pipeline, person])
                    .await
                    .as_deref(),
                Some("42501"),
                "another organization's manager reading {person:?}: {sql}"
            );
        }
    }
    assert_eq!(
        refused(&outsider, "select closer.insights_compact($1)", &[org])
            .await
            .as_deref(),
        Some("42501"),
        "another organization's manager compacting"
    );
    // Its own organization (no history) reads empty, whatever the other one holds.
    let own_pipeline = o.db.default_pipeline(other_org).await;
    let rows = sqlx::query(funnel)
        .bind(other_org)
        .bind(own_pipeline)
        .bind(None::<Uuid>)
        .fetch_all(&outsider)
        .await
        .expect("its own funnel");
    assert!(
        rows.iter()
            .all(|r| r.get::<i64, _>("entered") == 0 && r.get::<i64, _>("stays_left") == 0)
    );
    // A pipeline of the other organization passed with one's own organization: no rows.
    let crossed = sqlx::query(funnel)
        .bind(other_org)
        .bind(o.pipeline)
        .bind(None::<Uuid>)
        .fetch_all(&outsider)
        .await
        .expect("a foreign pipeline id");
    assert!(crossed.is_empty(), "another organization's stages leaked");
}

/// Migration 0043: a lead moved back and forth hundreds of times in one month (the tail's running
/// sets of prior next stages, linear per lead) still yields the plain query's figures, in the tail
/// and folded (the time of the tail read is printed, not asserted: machines differ).
#[tokio::test]
async fn a_lead_moved_hundreds_of_times_in_a_month_keeps_the_figures() {
    let o = known_history().await;
    compact(&o).await;
    let e = lead_id(&o, "E").await;
    let mut walk = Vec::new();
    for _ in 0..150 {
        walk.extend(["Qualified", "Contacted"]);
    }
    walk.extend(["Proposal", "Qualified", "Proposal"]);
    o.walk(e, &walk).await;
    let started = std::time::Instant::now();
    let tail = sqlx::query("select * from closer.insights_funnel($1, $2, $3, $4, null)")
        .bind(o.org)
        .bind(o.pipeline)
        .bind(Period::Year(chrono::Utc::now().year()).from())
        .bind(Period::Year(chrono::Utc::now().year()).to_exclusive())
        .fetch_all(&o.db.login(&o.manager).await)
        .await
        .expect("the funnel over a long tail");
    let took = started.elapsed();
    assert!(!tail.is_empty());
    println!("funnel over 303 tail moves of one lead: {took:?}");
    check_all(&o, "one lead moved 303 times (tail)").await;
    compact(&o).await;
    check_all(&o, "one lead moved 303 times (folded)").await;
}
