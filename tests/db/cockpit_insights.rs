//! Issue 13: every insights figure over an organization with a known history (leads that went
//! back and forth, a reopened deal, a deleted stage, another pipeline, records outside the
//! period). Expected values are worked out by hand below; a few are re-derived with plain SQL.

use crate::common;

use chrono::{DateTime, NaiveDate, Utc};
use closer::data::PgStore;
use closer::data::insights::{InsightsQuery, Period};
use common::{TestDb, TestUser};
use uuid::Uuid;

pub(crate) const Q3: Period = Period::Quarter(2026, 3);

fn at(day: &str) -> DateTime<Utc> {
    format!("{day}T12:00:00Z").parse().expect("a test date")
}

fn date(day: &str) -> NaiveDate {
    day.parse().expect("a test date")
}

pub(crate) struct Org {
    pub(crate) db: TestDb,
    pub(crate) org: Uuid,
    pub(crate) pipeline: Uuid,
    pub(crate) rep1: TestUser,
    pub(crate) rep2: TestUser,
    pub(crate) manager: TestUser,
}

impl Org {
    pub(crate) async fn store(&self, user: &TestUser) -> PgStore {
        self.db
            .session(user)
            .await
            .open(self.org)
            .expect("open the organization")
    }

    pub(crate) async fn stage(&self, name: &str) -> Uuid {
        self.db.stage(self.org, name).await
    }

    pub(crate) async fn lead(&self, name: &str, owner: &TestUser, source: &str) -> Uuid {
        let lead = self.db.lead(self.org, name).await;
        sqlx::query("update leads set assigned_to = $2, source = $3 where id = $1")
            .bind(lead)
            .bind(owner.profile_id)
            .bind(source)
            .execute(&self.db.admin)
            .await
            .expect("assign the lead");
        lead
    }

    /// Moves as plain SQL, one statement (and so one `now()`) per move.
    pub(crate) async fn walk(&self, lead: Uuid, stages: &[&str]) {
        for name in stages {
            let stage = self.stage(name).await;
            sqlx::query("update leads set stage_id = $2 where id = $1")
                .bind(lead)
                .bind(stage)
                .execute(&self.db.admin)
                .await
                .expect("move the lead");
        }
    }

    /// Puts the lead's stays (oldest first) on the given days; the lead is created on the first.
    pub(crate) async fn retime(&self, lead: Uuid, days: &[&str]) {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "select id from stage_history where lead_id = $1 order by entered_at, left_at nulls last",
        )
        .bind(lead)
        .fetch_all(&self.db.admin)
        .await
        .expect("read the stays");
        assert_eq!(ids.len(), days.len(), "one day per stay of {lead}");
        for (i, id) in ids.iter().enumerate() {
            let left = days.get(i + 1).map(|d| at(d));
            sqlx::query("update stage_history set entered_at = $2, left_at = $3 where id = $1")
                .bind(id)
                .bind(at(days[i]))
                .bind(left)
                .execute(&self.db.admin)
                .await
                .expect("retime a stay");
        }
        sqlx::query("update leads set created_at = $2 where id = $1")
            .bind(lead)
            .bind(at(days[0]))
            .execute(&self.db.admin)
            .await
            .expect("retime the lead");
    }

    pub(crate) async fn deal(
        &self,
        lead: Uuid,
        amount: i64,
        probability: i32,
        status: &str,
        close: &str,
    ) {
        let (closed_on, expected) = if status == "open" {
            (None, Some(date(close)))
        } else {
            (Some(date(close)), None)
        };
        sqlx::query(
            "insert into deals (organization_id, lead_id, name, amount, probability, status, closed_on, expected_close_date)
             values ($1, $2, 'Deal', $3, $4, $5::deal_status, $6, $7)",
        )
        .bind(self.org)
        .bind(lead)
        .bind(amount as f64)
        .bind(probability)
        .bind(status)
        .bind(closed_on)
        .bind(expected)
        .execute(&self.db.admin)
        .await
        .expect("insert a deal");
    }

    pub(crate) async fn call(&self, lead: Uuid, by: &TestUser, day: &str) {
        sqlx::query(
            "insert into lead_interactions (organization_id, lead_id, type, occurred_at, created_by) values ($1, $2, 'call', $3, $4)",
        )
        .bind(self.org)
        .bind(lead)
        .bind(at(day))
        .bind(by.profile_id)
        .execute(&self.db.admin)
        .await
        .expect("insert a call");
    }

    pub(crate) async fn task(&self, lead: Uuid, who: &TestUser, done: &str, due: Option<&str>) {
        sqlx::query(
            "insert into lead_tasks (organization_id, lead_id, title, status, completed_at, due_date, assigned_to)
             values ($1, $2, 'Task', 'completed', $3, $4, $5)",
        )
        .bind(self.org)
        .bind(lead)
        .bind(at(done))
        .bind(due.map(date))
        .bind(who.profile_id)
        .execute(&self.db.admin)
        .await
        .expect("insert a task");
    }
}

/// The known history (see the test for the figures it yields).
pub(crate) async fn known_history() -> Org {
    let db = TestDb::new().await;
    let org = db.org("Insight Co").await;
    let rep1 = db.user("Insight Co", "rep").await;
    let rep2 = db.user("Insight Co", "rep").await;
    let manager = db.user("Insight Co", "manager").await;
    let pipeline = db.default_pipeline(org).await;
    let o = Org {
        db,
        org,
        pipeline,
        rep1,
        rep2,
        manager,
    };
    let (r1, r2) = (o.rep1.clone(), o.rep2.clone());
    // A: straight through to Won.
    let a = o.lead("A", &r1, "web").await;
    o.walk(a, &["Contacted", "Qualified", "Proposal", "Won"])
        .await;
    o.retime(
        a,
        &[
            "2026-07-02",
            "2026-07-05",
            "2026-07-10",
            "2026-07-20",
            "2026-08-01",
        ],
    )
    .await;
    o.deal(a, 10_000, 100, "won", "2026-08-01").await;
    // B: back and forth, then lost.
    let b = o.lead("B", &r1, "ads").await;
    o.walk(b, &["Contacted", "New", "Contacted", "Lost"]).await;
    o.retime(
        b,
        &[
            "2026-07-03",
            "2026-07-04",
            "2026-07-06",
            "2026-07-09",
            "2026-08-15",
        ],
    )
    .await;
    o.deal(b, 5_000, 0, "lost", "2026-08-15").await;
    // C: created before the period, won, reopened (back to Proposal), won again.
    let c = o.lead("C", &r2, "referral").await;
    o.walk(c, &["Contacted", "Qualified", "Won", "Proposal", "Won"])
        .await;
    o.retime(
        c,
        &[
            "2026-06-20",
            "2026-07-01",
            "2026-07-08",
            "2026-09-01",
            "2026-09-05",
            "2026-09-20",
        ],
    )
    .await;
    o.deal(c, 20_000, 100, "won", "2026-09-20").await;
    // D: lost at once; E: still open with two open deals.
    let d = o.lead("D", &r2, "web").await;
    o.walk(d, &["Lost"]).await;
    o.retime(d, &["2026-08-10", "2026-08-12"]).await;
    let e = o.lead("E", &r2, "web").await;
    o.walk(e, &["Contacted"]).await;
    o.retime(e, &["2026-09-01", "2026-09-02"]).await;
    o.deal(e, 8_000, 50, "open", "2026-09-15").await;
    o.deal(e, 2_000, 25, "open", "2026-08-30").await;
    sqlx::query("update leads set lost_reason = case name when 'B' then 'Price' else 'Timing ' end where name in ('B', 'D')")
        .execute(&o.db.admin)
        .await
        .expect("lost reasons");
    // F: passes through "Demo", a stage the manager adds after Contacted and then deletes.
    let manager = o.store(&o.manager).await;
    let demo = manager
        .add_stage(pipeline, "Demo", None)
        .await
        .expect("add Demo");
    let mut order: Vec<Uuid> = manager
        .stage_settings(pipeline)
        .await
        .expect("stages")
        .iter()
        .map(|s| s.id)
        .filter(|id| *id != demo)
        .collect();
    order.insert(2, demo);
    manager
        .reorder_stages(pipeline, &order)
        .await
        .expect("reorder");
    let f = o.lead("F", &r1, "event").await;
    o.walk(f, &["Demo"]).await;
    let qualified = o.stage("Qualified").await;
    manager
        .delete_stage(demo, qualified)
        .await
        .expect("delete Demo");
    o.retime(f, &["2026-07-15", "2026-07-16", "2026-07-20"])
        .await;
    // G: after the period, with an open deal expected after it too.
    let g = o.lead("G", &r1, "web").await;
    o.walk(g, &["Contacted"]).await;
    o.retime(g, &["2026-10-05", "2026-10-06"]).await;
    o.deal(g, 7_000, 40, "open", "2026-11-10").await;
    // H: another pipeline's won deal in the period.
    let rental = manager
        .create_pipeline("Rental", &["Ask".into(), "Signed".into()])
        .await
        .expect("second pipeline");
    let signed = manager.stage_settings(rental).await.expect("stages")[1].id;
    let h = common::insert_lead(&o.db.admin, org, signed, "H")
        .await
        .expect("lead H");
    o.deal(h, 99_999, 100, "won", "2026-08-01").await;
    // Calls and tasks, in and out of the period.
    o.call(a, &r1, "2026-07-03").await;
    o.call(b, &r1, "2026-07-04").await;
    o.call(a, &r1, "2026-10-02").await;
    o.call(c, &r2, "2026-08-05").await;
    o.task(a, &r1, "2026-07-10", Some("2026-07-12")).await;
    o.task(b, &r1, "2026-07-15", Some("2026-07-14")).await;
    o.task(c, &r2, "2026-08-01", None).await;
    o.task(c, &r2, "2026-10-01", Some("2026-10-05")).await;
    o
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6)
}

#[tokio::test]
async fn every_panel_matches_the_known_history() {
    let o = known_history().await;
    let store = o.store(&o.manager).await;
    let got = store
        .insights(&InsightsQuery {
            pipeline_id: o.pipeline,
            period: Q3,
            person: None,
        })
        .await
        .expect("insights");

    // Forecast: E's two open deals (G's is after the period).
    let forecast: Vec<(String, i64, f64, f64)> = got
        .forecast
        .iter()
        .map(|m| (m.month.to_string(), m.count, m.amount, m.weighted))
        .collect();
    assert_eq!(
        forecast,
        [
            ("2026-08-01".into(), 1, 2_000.0, 500.0),
            ("2026-09-01".into(), 1, 8_000.0, 4_000.0)
        ]
    );
    // Won and lost per month; the other pipeline's deal does not count.
    let months = |v: &[closer::data::insights::MonthAmount]| {
        v.iter()
            .map(|m| (m.month.to_string(), m.count, m.amount))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        months(&got.won),
        [
            ("2026-08-01".into(), 1, 10_000.0),
            ("2026-09-01".into(), 1, 20_000.0)
        ]
    );
    assert_eq!(months(&got.lost), [("2026-08-01".into(), 1, 5_000.0)]);
    assert_eq!((got.won_count, got.lost_count), (2, 1));
    assert!(close(got.win_rate, 200.0 / 3.0));
    // Funnel (distinct leads entering each stage in the period; moved on = left to a later stage).
    let funnel: Vec<(&str, i64, i64)> = got
        .funnel
        .iter()
        .map(|s| (s.name.as_str(), s.entered, s.moved_on))
        .collect();
    assert_eq!(
        funnel,
        [
            ("New", 5, 4),
            ("Contacted", 4, 3),
            ("Qualified", 3, 2),
            ("Proposal", 2, 2),
            ("Won", 2, 0),
            ("Lost", 2, 0)
        ]
    );
    let conversions: Vec<Option<f64>> = got.funnel.iter().map(|s| s.conversion).collect();
    assert!(close(conversions[0], 80.0) && close(conversions[1], 75.0));
    assert!(close(conversions[2], 200.0 / 3.0) && close(conversions[3], 100.0));
    assert_eq!(
        conversions[4..],
        [None, None],
        "no conversion out of closed stages"
    );
    // Velocity: median and p80 (continuous percentiles) of the days of the stays that left.
    let velocity: Vec<(Option<f64>, Option<f64>, i64)> = got
        .funnel
        .iter()
        .map(|s| (s.median_days, s.p80_days, s.stays_left))
        .collect();
    let expected = [
        (Some(1.5), Some(3.0), 6),
        (Some(6.0), Some(19.0), 4),
        (Some(32.5), Some(46.0), 2),
        (Some(13.5), Some(14.4), 2),
        (Some(4.0), Some(4.0), 1),
        (None, None, 0),
    ];
    for (stage, (got, want)) in got.funnel.iter().zip(velocity.iter().zip(expected)) {
        assert_eq!(got.2, want.2, "{}: stays left", stage.name);
        assert_eq!(got.0.is_some(), want.0.is_some(), "{}", stage.name);
        if let (Some(g), Some(w)) = (got.0, want.0) {
            assert!((g - w).abs() < 1e-6, "{}: median {g} vs {w}", stage.name);
        }
        if let (Some(g), Some(w)) = (got.1, want.1) {
            assert!((g - w).abs() < 1e-6, "{}: p80 {g} vs {w}", stage.name);
        }
    }
    // A: Jul 2 → Aug 1 (30 days); C: Jun 20 → Sep 20 (92 days).
    assert!(close(got.avg_days_to_close, 61.0));
    let ranked = |v: &[closer::data::insights::Ranked]| {
        v.iter()
            .map(|r| (r.label.clone(), r.count, r.amount))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ranked(&got.lost_reasons),
        [("Price".into(), 1, 0.0), ("Timing".into(), 1, 0.0)]
    );
    assert_eq!(
        ranked(&got.sources),
        [
            ("referral".into(), 1, 20_000.0),
            ("web".into(), 1, 10_000.0)
        ]
    );
    let board: Vec<(Uuid, f64, i64, f64, i64, i64, i64)> = got
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
        .collect();
    assert_eq!(
        board,
        [
            (o.rep2.profile_id, 20_000.0, 1, 10_000.0, 1, 1, 1),
            (o.rep1.profile_id, 10_000.0, 1, 0.0, 2, 1, 2),
            (o.manager.profile_id, 0.0, 0, 0.0, 0, 0, 0),
        ]
    );

    // The same figures re-derived with plain SQL over the raw tables.
    let entered_new: i64 = sqlx::query_scalar(
        "select count(distinct h.lead_id) from stage_history h join pipeline_stages s on s.id = h.to_stage_id
         where s.organization_id = $1 and s.name = 'New' and h.entered_at >= '2026-07-01' and h.entered_at < '2026-10-01'",
    )
    .bind(o.org)
    .fetch_one(&o.db.admin)
    .await
    .expect("plain count");
    assert_eq!(entered_new, got.funnel[0].entered);
    let won_total: f64 = sqlx::query_scalar(
        "select sum(d.amount)::float8 from deals d join leads l on l.id = d.lead_id
         join pipeline_stages s on s.id = l.stage_id
         where d.organization_id = $1 and s.pipeline_id = $2 and d.status = 'won'
           and d.closed_on between '2026-07-01' and '2026-09-30'",
    )
    .bind(o.org)
    .bind(o.pipeline)
    .fetch_one(&o.db.admin)
    .await
    .expect("plain sum");
    assert_eq!(won_total, got.won_amount);
}

#[tokio::test]
async fn a_rep_sees_their_own_numbers() {
    let o = known_history().await;
    let store = o.store(&o.rep1).await;
    let got = store
        .insights(&InsightsQuery {
            pipeline_id: o.pipeline,
            period: Q3,
            person: None,
        })
        .await
        .expect("insights");
    let funnel: Vec<i64> = got.funnel.iter().map(|s| s.entered).collect();
    assert_eq!(funnel, [3, 2, 2, 1, 1, 1], "A, B and F only");
    assert_eq!(
        (got.won_count, got.lost_count, got.won_amount),
        (1, 1, 10_000.0)
    );
    assert!(got.forecast.is_empty());
    assert_eq!(got.leaderboard.len(), 1);
    assert_eq!(got.leaderboard[0].profile_id, o.rep1.profile_id);
    assert_eq!(got.lost_reasons.len(), 1);
}
