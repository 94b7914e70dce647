//! Migration 0042: forecast, won/lost, sources, other currencies and the leaderboard read monthly
//! rollups plus the deltas logged since the last fold. Every figure must equal the plain query
//! over the tables (`data::insights::plain`, run here by the superuser) after each kind of change
//! (new deals, closes, reopens, amount / probability / close-date edits, currency changes,
//! reassignments, source edits, deletions of deals and leads, calls and tasks added, edited and
//! removed), with a fold in between, and with a deal committed while a fold runs; and no member
//! reads a rollup, another organization's figures or, as a rep, anyone else's.

use crate::cockpit_insights::{Org, Q3, known_history};
use crate::common;

use chrono::{Datelike, NaiveDate};
use closer::data::insights::plain::{
    CLOSED_PLAIN_SQL, FORECAST_PLAIN_SQL, LEADERBOARD_PLAIN_SQL, OTHER_CURRENCIES_PLAIN_SQL,
    SOURCES_PLAIN_SQL, plain_sql,
};
use closer::data::insights::{Insights, InsightsQuery, Period, RANKED_LIMIT};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

async fn plain(o: &Org, template: &str, period: Period, person: Option<Uuid>) -> Vec<PgRow> {
    sqlx::query(sqlx::AssertSqlSafe(plain_sql(template)))
        .bind(o.org)
        .bind(o.pipeline)
        .bind(period.from())
        .bind(period.to_exclusive())
        .bind(person)
        .fetch_all(&o.db.admin)
        .await
        .expect("a plain query")
}

type Months = Vec<(NaiveDate, i64, f64, f64)>;

/// The folded figures of one read, in the shape of the plain rows.
struct Figures {
    forecast: Months,
    won: Months,
    lost: Months,
    sources: Vec<(String, i64, f64)>,
    others: Vec<(String, String, i64, f64)>,
    board: Vec<(Uuid, f64, i64, f64, i64, i64, i64)>,
}

fn figures(got: &Insights) -> Figures {
    let months = |v: &[closer::data::insights::MonthAmount]| -> Months {
        v.iter()
            .map(|m| (m.month, m.count, m.amount, m.weighted))
            .collect()
    };
    Figures {
        forecast: months(&got.forecast),
        won: months(&got.won),
        lost: months(&got.lost),
        sources: got
            .sources
            .iter()
            .map(|s| (s.label.clone(), s.count, s.amount))
            .collect(),
        others: got
            .other_currencies
            .iter()
            .map(|d| (d.currency.clone(), d.status.clone(), d.count, d.amount))
            .collect(),
        board: got
            .leaderboard
            .iter()
            .map(|r| {
                (
                    r.profile_id,
                    r.won_amount,
                    r.won_count,
                    r.open_pipeline,
                    r.calls,
                    r.tasks_on_time,
                    r.tasks_completed,
                )
            })
            .collect(),
    }
}

async fn plain_figures(o: &Org, period: Period, person: Option<Uuid>) -> (Figures, Option<f64>) {
    let forecast = plain(o, FORECAST_PLAIN_SQL, period, person)
        .await
        .iter()
        .map(|r| {
            (
                r.get("month"),
                r.get("n"),
                r.get("amount"),
                r.get("weighted"),
            )
        })
        .collect();
    let (mut won, mut lost) = (Vec::new(), Vec::new());
    for r in plain(o, CLOSED_PLAIN_SQL, period, person).await {
        let amount: f64 = r.get("amount");
        let row = (r.get("month"), r.get("n"), amount, amount);
        if r.get::<String, _>("status") == "won" {
            won.push(row);
        } else {
            lost.push(row);
        }
    }
    let rows = plain(o, SOURCES_PLAIN_SQL, period, person).await;
    let mut sources: Vec<(String, i64, f64)> = rows
        .iter()
        .map(|r| (r.get("label"), r.get("n"), r.get("amount")))
        .collect();
    let won_n: i64 = sources.iter().map(|s| s.1).sum();
    let days: f64 = rows
        .iter()
        .map(|r| r.get::<Option<f64>, _>("days").unwrap_or(0.0))
        .sum();
    sources.truncate(RANKED_LIMIT);
    let others = plain(o, OTHER_CURRENCIES_PLAIN_SQL, period, person)
        .await
        .iter()
        .map(|r| {
            (
                r.get("currency"),
                r.get("status"),
                r.get("n"),
                r.get("amount"),
            )
        })
        .collect();
    let board = plain(o, LEADERBOARD_PLAIN_SQL, period, person)
        .await
        .iter()
        .map(|r| {
            (
                r.get("profile_id"),
                r.get("won_amount"),
                r.get("won_count"),
                r.get("open_amount"),
                r.get("calls"),
                r.get("on_time"),
                r.get("done"),
            )
        })
        .collect();
    let figures = Figures {
        forecast,
        won,
        lost,
        sources,
        others,
        board,
    };
    (figures, (won_n > 0).then(|| days / won_n as f64))
}

/// Every period around the history (and today's) × the team, each rep as themselves and a rep
/// seen by the manager: the folded figures equal the plain queries' exactly.
async fn check_all(o: &Org, when: &str) {
    let today = chrono::Utc::now().date_naive();
    let periods = [
        Q3,
        Period::Month(2026, 7),
        Period::Month(2026, 8),
        Period::Month(2026, 9),
        Period::Quarter(2026, 4),
        Period::Year(2026),
        Period::quarter_of(today),
        Period::Year(today.year()),
    ];
    let manager = o.store(&o.manager).await;
    let rep1 = o.store(&o.rep1).await;
    let rep2 = o.store(&o.rep2).await;
    let mut figures_seen = 0;
    for period in periods {
        for (store, person, seen) in [
            (&manager, None, None),
            (&manager, Some(o.rep2.profile_id), Some(o.rep2.profile_id)),
            (&rep1, None, Some(o.rep1.profile_id)),
            (&rep2, None, Some(o.rep2.profile_id)),
        ] {
            let got = store
                .insights(&InsightsQuery {
                    pipeline_id: o.pipeline,
                    period,
                    person,
                })
                .await
                .expect("insights");
            let (want, avg) = plain_figures(o, period, seen).await;
            let g = figures(&got);
            let at = format!("{when}, {period}, {seen:?}");
            assert_eq!(g.forecast, want.forecast, "{at}: forecast");
            assert_eq!(g.won, want.won, "{at}: won");
            assert_eq!(g.lost, want.lost, "{at}: lost");
            assert_eq!(g.sources, want.sources, "{at}: sources");
            assert_eq!(g.others, want.others, "{at}: other currencies");
            assert_eq!(g.board, want.board, "{at}: leaderboard");
            assert_eq!(got.avg_days_to_close, avg, "{at}: average days to close");
            figures_seen += g.forecast.len()
                + g.won.len()
                + g.lost.len()
                + g.sources.len()
                + g.others.len()
                + g.board.iter().filter(|r| r.2 + r.4 + r.6 > 0).count();
        }
    }
    assert!(
        figures_seen > 60,
        "{when}: compared only {figures_seen} non-empty rows"
    );
}

async fn deltas(o: &Org) -> i64 {
    sqlx::query_scalar(
        "select (select count(*) from closer_insights.deal_deltas where organization_id = $1)
              + (select count(*) from closer_insights.call_deltas where organization_id = $1)
              + (select count(*) from closer_insights.task_deltas where organization_id = $1)",
    )
    .bind(o.org)
    .fetch_one(&o.db.admin)
    .await
    .expect("count the deltas")
}

async fn rollups(o: &Org) -> i64 {
    sqlx::query_scalar(
        "select (select count(*) from closer_insights.deal_months where organization_id = $1)
              + (select count(*) from closer_insights.call_months where organization_id = $1)
              + (select count(*) from closer_insights.task_months where organization_id = $1)",
    )
    .bind(o.org)
    .fetch_one(&o.db.admin)
    .await
    .expect("count the rollups")
}

async fn fold(o: &Org) {
    let folded = o
        .store(&o.manager)
        .await
        .compact_insights()
        .await
        .expect("fold");
    assert!(folded, "nobody else folds this organization");
    assert_eq!(deltas(o).await, 0, "a fold consumes every committed delta");
}

async fn exec(o: &Org, sql: &'static str, lead: Uuid) {
    sqlx::query(sql)
        .bind(lead)
        .execute(&o.db.admin)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
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
async fn deal_call_and_task_figures_equal_the_plain_queries_through_every_change() {
    let o = known_history().await;
    assert!(deltas(&o).await > 10, "the history is logged as deltas");
    assert_eq!(rollups(&o).await, 0, "nothing folded yet");
    check_all(&o, "all deltas").await;
    fold(&o).await;
    assert!(rollups(&o).await > 10, "the history is folded");
    check_all(&o, "folded").await;

    let (a, b, c, e, g) = (
        lead_id(&o, "A").await,
        lead_id(&o, "B").await,
        lead_id(&o, "C").await,
        lead_id(&o, "E").await,
        lead_id(&o, "G").await,
    );
    // New deals (one in EUR), a close, a reopen, edits of amount, probability and close dates.
    o.deal(a, 3_000, 30, "open", "2026-09-10").await;
    o.deal(b, 1_250, 60, "open", "2026-07-31").await;
    o.deal(c, 4_000, 100, "won", "2026-07-15").await;
    o.deal(e, 900, 20, "open", "2026-08-03").await;
    exec(
        &o,
        "update deals set currency = 'EUR' where lead_id = $1 and amount = 900",
        e,
    )
    .await;
    exec(
        &o,
        "update deals set status = 'won', closed_on = '2026-09-12', probability = 100 where lead_id = $1 and amount = 3000",
        a,
    )
    .await;
    exec(
        &o,
        "update deals set status = 'open', closed_on = null, expected_close_date = '2026-12-20' where lead_id = $1 and amount = 20000",
        c,
    )
    .await;
    exec(
        &o,
        "update deals set amount = 2500.55, probability = 35 where lead_id = $1 and amount = 2000",
        e,
    )
    .await;
    exec(
        &o,
        "update deals set expected_close_date = '2026-07-02' where lead_id = $1",
        g,
    )
    .await;
    exec(
        &o,
        "update deals set status = 'lost', closed_on = '2026-08-20' where lead_id = $1 and amount = 1250",
        b,
    )
    .await;
    // Calls and tasks: added, backdated, re-typed, reassigned, un-completed, deleted.
    o.call(e, &o.rep2, "2026-09-30").await;
    o.call(b, &o.rep2, "2026-08-08").await;
    exec(
        &o,
        "update lead_interactions set occurred_at = '2026-06-30T23:59:59Z' where lead_id = $1 and type = 'call' and occurred_at > '2026-10-01'",
        a,
    )
    .await;
    exec(
        &o,
        "update lead_interactions set type = 'email' where lead_id = $1 and type = 'call'",
        b,
    )
    .await;
    o.task(e, &o.rep2, "2026-09-03", Some("2026-09-02")).await;
    exec(
        &o,
        "update lead_tasks set due_date = '2026-07-20' where lead_id = $1",
        b,
    )
    .await;
    exec(
        &o,
        "update lead_tasks set status = 'pending', completed_at = null where lead_id = $1 and completed_at < '2026-09-01'",
        c,
    )
    .await;
    check_all(&o, "deal, call and task changes as deltas").await;
    fold(&o).await;
    check_all(&o, "those changes folded").await;

    // Reassignments (deals follow their lead), a source edit, a deleted deal, a deleted lead, a
    // deleted call and task, and the organization's currency changed.
    exec(
        &o,
        "update leads set assigned_to = (select assigned_to from leads where name = 'E') where id = $1",
        a,
    )
    .await;
    exec(
        &o,
        "update leads set source = 'partner', created_at = created_at - interval '2 days' where id = $1",
        a,
    )
    .await;
    exec(
        &o,
        "update lead_tasks set assigned_to = (select assigned_to from leads where name = 'E') where lead_id = $1",
        b,
    )
    .await;
    exec(
        &o,
        "update lead_interactions set created_by = (select assigned_to from leads where name = 'E') where lead_id = $1",
        a,
    )
    .await;
    check_all(&o, "reassigned").await;
    fold(&o).await;
    exec(
        &o,
        "delete from deals where lead_id = $1 and amount = 8000",
        e,
    )
    .await;
    exec(&o, "delete from leads where id = $1", b).await;
    exec(&o, "delete from lead_tasks where lead_id = $1", a).await;
    exec(&o, "delete from lead_interactions where lead_id = $1", c).await;
    check_all(&o, "deletions as deltas").await;
    sqlx::query("update organizations set currency = 'EUR' where id = $1")
        .bind(o.org)
        .execute(&o.db.admin)
        .await
        .expect("the organization's currency");
    check_all(&o, "the organization now in EUR").await;
    fold(&o).await;
    check_all(&o, "everything folded again").await;
}

/// A deal committed after a fold started (its delta invisible to the fold) is neither lost nor
/// counted twice: it stays a delta until the next fold.
#[tokio::test]
async fn a_deal_written_during_a_fold_is_counted_once() {
    let o = known_history().await;
    fold(&o).await;
    let e = lead_id(&o, "E").await;
    let mut writer = o.db.admin.begin().await.expect("begin");
    sqlx::query(
        "insert into deals (organization_id, lead_id, name, amount, probability, status, expected_close_date)
         values ($1, $2, 'Late', 777, 50, 'open', '2026-08-09')",
    )
    .bind(o.org)
    .bind(e)
    .execute(&mut *writer)
    .await
    .expect("a deal in an open transaction");
    let manager = o.store(&o.manager).await;
    assert!(manager.compact_insights().await.expect("fold"), "folded");
    writer.commit().await.expect("commit");
    assert_eq!(deltas(&o).await, 1, "the late deal waits for the next fold");
    check_all(&o, "a deal committed after a fold").await;
    fold(&o).await;
    check_all(&o, "and folded").await;
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
async fn deal_facts_are_read_only_through_the_checked_functions() {
    let o = known_history().await;
    fold(&o).await;
    let other_org = o.db.org("Other Facts Co").await;
    let stranger = o.db.user("Other Facts Co", "manager").await;
    let facts = "select * from closer.insights_deal_facts($1, $2, '2026-07-01', '2026-10-01', $3)";
    let activity = "select * from closer.insights_activity($1, '2026-07-01', '2026-10-01', $2)";
    let (org, pipeline) = (Some(o.org), Some(o.pipeline));

    // A rep: their own figures only.
    let rep = o.db.login(&o.rep1).await;
    let own = sqlx::query(facts)
        .bind(o.org)
        .bind(o.pipeline)
        .bind(o.rep1.profile_id)
        .fetch_all(&rep)
        .await
        .expect("a rep reads their own deal facts");
    assert!(
        !own.is_empty()
            && own
                .iter()
                .all(|r| r.get::<Option<Uuid>, _>("owner_id") == Some(o.rep1.profile_id)),
        "only the rep's own deals"
    );
    for person in [None, Some(o.rep2.profile_id), Some(o.manager.profile_id)] {
        assert_eq!(
            refused(&rep, facts, &[org, pipeline, person])
                .await
                .as_deref(),
            Some("42501"),
            "a rep reading deal facts of {person:?}"
        );
        assert_eq!(
            refused(&rep, activity, &[org, person]).await.as_deref(),
            Some("42501"),
            "a rep reading activity of {person:?}"
        );
    }
    assert_eq!(
        refused(&rep, activity, &[org, Some(o.rep1.profile_id)]).await,
        None,
        "a rep reads their own calls and tasks"
    );
    // Whole months only: a day range would not be what the rollups hold.
    assert_eq!(
        refused(
            &o.db.login(&o.manager).await,
            "select * from closer.insights_deal_facts($1, $2, '2026-07-02', '2026-10-01', $3)",
            &[org, pipeline, None]
        )
        .await
        .as_deref(),
        Some("22023"),
        "a period that is not whole months"
    );
    // No member names the rollups, the deltas or the fold.
    for sql in [
        "select count(*) from closer_insights.deal_months",
        "select count(*) from closer_insights.deal_deltas",
        "select count(*) from closer_insights.call_months",
        "select count(*) from closer_insights.call_deltas",
        "select count(*) from closer_insights.task_months",
        "select count(*) from closer_insights.task_deltas",
        "insert into closer_insights.deal_deltas (organization_id, pipeline_id, month, status, currency, deals, amount, weighted, days, days_n) select organization_id, id, '2026-07-01', 'won', 'USD', 1, 1e9, 0, 0, 0 from pipelines",
        "select closer_insights.fold_facts(id) from organizations",
        "select closer_insights.rebuild_facts(id) from organizations",
    ] {
        assert_eq!(
            refused(&rep, sql, &[]).await.as_deref(),
            Some("42501"),
            "a rep running {sql}"
        );
    }

    // Another organization's manager: neither the figures, the pending count nor the fold.
    let outsider = o.db.login(&stranger).await;
    for person in [None, Some(o.rep1.profile_id)] {
        assert_eq!(
            refused(&outsider, facts, &[org, pipeline, person])
                .await
                .as_deref(),
            Some("42501"),
            "another organization's manager reading deal facts of {person:?}"
        );
        assert_eq!(
            refused(&outsider, activity, &[org, person])
                .await
                .as_deref(),
            Some("42501"),
            "another organization's manager reading activity of {person:?}"
        );
    }
    for sql in [
        "select closer.insights_facts_pending($1)",
        "select closer.insights_compact($1)",
    ] {
        assert_eq!(
            refused(&outsider, sql, &[org]).await.as_deref(),
            Some("42501"),
            "another organization's manager: {sql}"
        );
    }
    // Its own organization reads nothing of the other's, even with the other's pipeline id.
    for pipe in [o.db.default_pipeline(other_org).await, o.pipeline] {
        let rows = sqlx::query(facts)
            .bind(other_org)
            .bind(pipe)
            .bind(None::<Uuid>)
            .fetch_all(&outsider)
            .await
            .expect("its own deal facts");
        assert!(rows.is_empty(), "another organization's deals leaked");
    }
    let rows = sqlx::query(activity)
        .bind(other_org)
        .bind(None::<Uuid>)
        .fetch_all(&outsider)
        .await
        .expect("its own activity");
    assert!(rows.is_empty(), "another organization's calls leaked");
}
