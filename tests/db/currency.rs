//! Deals carry a currency (issue 11, migration 0022) against a real PostgreSQL: the organization's
//! by default, the one typed otherwise; existing deals backfilled on upgrade; every total summed
//! per currency and equal to plain SQL (never EUR added to USD); a hostile rep can set no
//! organization's currency, nor one Closer does not know.

use crate::common;

use closer::data::PgStore;
use closer::data::closing::Period;
use closer::data::lead::{DealChanges, DealStatus, NewDeal};
use closer::db::admin;
use closer::filter::Filter;
use common::{TestDb, insert_lead};
use uuid::Uuid;

fn new_deal(amount: f64, currency: Option<&str>) -> NewDeal {
    NewDeal {
        name: "Flat".into(),
        amount,
        currency: currency.map(str::to_owned),
        stage: "qualification".into(),
        probability: 50,
        status: DealStatus::Open,
        expected_close_date: None,
    }
}

async fn currency_of(db: &TestDb, deal: Uuid) -> String {
    sqlx::query_scalar("select currency from deals where id = $1")
        .bind(deal)
        .fetch_one(&db.admin)
        .await
        .expect("read the deal's currency")
}

async fn store_of(db: &TestDb, user: &common::TestUser, org: Uuid) -> PgStore {
    db.session(user)
        .await
        .open(org)
        .expect("a member opens the org")
}

#[tokio::test]
async fn deals_take_the_organization_currency_unless_one_is_given() {
    let db = TestDb::new().await;
    let org = db.org("Euro Homes").await;
    let manager = db.user("Euro Homes", "manager").await;
    let rep = db.user("Euro Homes", "rep").await;
    let mut conn = db.connect(&manager).await;
    let changed: bool = sqlx::query_scalar("select closer.set_org_currency($1, 'eur')")
        .bind(org)
        .fetch_one(&mut conn)
        .await
        .expect("a manager sets the organization's currency");
    assert!(changed);
    let store = store_of(&db, &rep, org).await;
    let lead = db.lead(org, "Anna").await;
    let plain = store
        .add_deal(lead, new_deal(1_250_000.0, None))
        .await
        .expect("a deal without a currency");
    assert_eq!(currency_of(&db, plain).await, "EUR");
    let pounds = store
        .add_deal(lead, new_deal(20_000.0, Some("gbp")))
        .await
        .expect("a deal in pounds");
    assert_eq!(currency_of(&db, pounds).await, "GBP");
    let refused = store
        .add_deal(lead, new_deal(1.0, Some("ABC")))
        .await
        .expect_err("an unknown code");
    assert!(
        refused.to_string().contains("a currency Closer knows"),
        "{refused}"
    );
    // An edit may change the currency; one that does not name it leaves it.
    let deals = store.deals(lead).await.expect("read the deals");
    let d = deals.iter().find(|d| d.id == pounds).expect("the deal");
    assert_eq!(d.currency, "GBP");
    let v = store
        .update_deal(
            pounds,
            d.version,
            DealChanges {
                currency: Some("USD".into()),
                ..DealChanges::default()
            },
        )
        .await
        .expect("change the currency");
    assert_eq!(currency_of(&db, pounds).await, "USD");
    store
        .update_deal(
            pounds,
            v,
            DealChanges {
                amount: Some(30_000.0),
                ..DealChanges::default()
            },
        )
        .await
        .expect("change the amount");
    assert_eq!(currency_of(&db, pounds).await, "USD");
    // Writers that name no currency (the 0004 functions, an admin's insert) get the org's.
    let old_api: Uuid = sqlx::query_scalar(
        "select id from closer.add_deal($1, $2, 'Old', 5::float8, 'qualification', 10, 'open', null)",
    )
    .bind(org)
    .bind(lead)
    .fetch_one(&mut db.connect(&rep).await)
    .await
    .expect("the 0004 add_deal");
    assert_eq!(currency_of(&db, old_api).await, "EUR");
    let by_admin: Uuid = sqlx::query_scalar(
        "insert into deals (organization_id, lead_id, name, amount) values ($1, $2, 'Admin', 1) returning id",
    )
    .bind(org)
    .bind(lead)
    .fetch_one(&db.admin)
    .await
    .expect("an admin's insert");
    assert_eq!(currency_of(&db, by_admin).await, "EUR");
    // The activity says which currency.
    let logged: String = sqlx::query_scalar(
        "select content->>'currency' from lead_activities
         where lead_id = $1 and type = 'deal_added' and content->>'deal_id' = $2::text",
    )
    .bind(lead)
    .bind(pounds)
    .fetch_one(&db.admin)
    .await
    .expect("the deal_added activity");
    assert_eq!(logged, "GBP");
}

#[tokio::test]
async fn a_hostile_rep_sets_no_currency() {
    let db = TestDb::new().await;
    let org_a = db.org("Alpha Currency").await;
    let org_b = db.org("Beta Currency").await;
    let rep = db.user("Alpha Currency", "rep").await;
    let manager = db.user("Alpha Currency", "manager").await;
    let lead_b = db.lead(org_b, "Other tenant").await;
    let deal_b: Uuid = sqlx::query_scalar(
        "insert into deals (organization_id, lead_id, name, amount) values ($1, $2, 'B', 10) returning id",
    )
    .bind(org_b)
    .bind(lead_b)
    .fetch_one(&db.admin)
    .await
    .expect("B's deal");
    let mut conn = db.connect(&rep).await;
    let attempts = [
        format!("select closer.set_org_currency('{org_b}', 'JPY')"),
        format!("select closer.set_org_currency('{org_a}', 'JPY')"),
        format!("update organizations set currency = 'JPY' where id = '{org_a}'"),
        format!("update organizations set currency = 'JPY' where id = '{org_b}'"),
        format!(
            "select * from closer.add_deal('{org_b}', '{lead_b}', 'x', 1, 'qualification', 10, 'open', null, 'JPY')"
        ),
    ];
    for sql in &attempts {
        let err = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut conn)
            .await
            .expect_err(sql);
        assert_eq!(
            common::sqlstate(&err).as_deref(),
            Some("42501"),
            "{sql}: {err}"
        );
    }
    // Another organization's deal is not found, so its currency stays.
    let changed: Option<i32> = sqlx::query_scalar(
        "select version from closer.update_deal($1, $2, 1, null, null, null, null, null, false, null, '[]', 'JPY')",
    )
    .bind(org_a)
    .bind(deal_b)
    .fetch_optional(&mut conn)
    .await
    .expect("update_deal runs");
    assert_eq!(changed, None);
    let both: Vec<String> =
        sqlx::query_scalar("select currency from organizations where id in ($1, $2) order by name")
            .bind(org_a)
            .bind(org_b)
            .fetch_all(&db.admin)
            .await
            .expect("read the organizations");
    assert_eq!(both, ["USD", "USD"]);
    assert_eq!(currency_of(&db, deal_b).await, "USD");
    // A manager may, but only a well-formed code.
    let mut conn = db.connect(&manager).await;
    let err = sqlx::query("select closer.set_org_currency($1, 'EURO')")
        .bind(org_a)
        .execute(&mut conn)
        .await
        .expect_err("a malformed code");
    assert_eq!(common::sqlstate(&err).as_deref(), Some("23514"), "{err}");
}

/// Per (stage, currency): open amounts and weighted amounts as the board's view keeps them and
/// as plain SQL over the rows sums them, as text so numerics compare exactly.
async fn kept_and_recounted(db: &TestDb, org: Uuid) -> (Vec<String>, Vec<String>) {
    let kept = sqlx::query_scalar(
        "select format('%s %s %s %s', c.stage_id, c.currency, c.open_deal_amount, c.weighted_deal_amount)
         from stage_currency_summaries c where c.organization_id = $1 order by 1",
    )
    .bind(org)
    .fetch_all(&db.admin)
    .await
    .expect("read the kept totals");
    let plain = sqlx::query_scalar(
        "select format('%s %s %s %s', l.stage_id, d.currency, sum(d.amount)::numeric(18, 2),
                       round(sum(d.amount * d.probability / 100.0), 2)::numeric(18, 2))
         from deals d join leads l on l.organization_id = d.organization_id and l.id = d.lead_id
         where d.organization_id = $1 and d.status = 'open'
         group by l.stage_id, d.currency order by 1",
    )
    .bind(org)
    .fetch_all(&db.admin)
    .await
    .expect("recount");
    (kept, plain)
}

#[tokio::test]
async fn every_total_sums_one_currency_and_equals_plain_sql() {
    let db = TestDb::new().await;
    let org = db.org("Mixed Realty").await;
    let rep = db.user("Mixed Realty", "rep").await;
    let store = store_of(&db, &rep, org).await;
    let pipeline = db.default_pipeline(org).await;
    let stages = db.stages(org).await;
    let (first, second) = (stages[0].0, stages[1].0);
    let won = db.stage(org, "Won").await;
    let mut leads = Vec::new();
    for i in 0..6 {
        let stage = if i % 2 == 0 { first } else { second };
        let lead = insert_lead(&db.admin, org, stage, &format!("Lead {i}"))
            .await
            .expect("a lead");
        leads.push(lead);
    }
    let mut deals = Vec::new();
    for (i, (amount, currency)) in [
        (100_000.0, None),
        (250_000.5, Some("EUR")),
        (40_000.0, Some("GBP")),
        (75_000.0, Some("USD")),
        (300_000.0, Some("EUR")),
        (12_345.67, None),
        (999.99, Some("EUR")),
    ]
    .into_iter()
    .enumerate()
    {
        let id = store
            .add_deal(leads[i % leads.len()], new_deal(amount, currency))
            .await
            .expect("a deal");
        deals.push(id);
    }
    // Moves carry each currency; a close, a delete and a currency change too.
    sqlx::query("update leads set stage_id = $2 where id = any($1)")
        .bind([leads[0], leads[1]].as_slice())
        .bind(second)
        .execute(&db.admin)
        .await
        .expect("move two leads");
    sqlx::query("update leads set stage_id = $2 where id = $1")
        .bind(leads[2])
        .bind(won)
        .execute(&db.admin)
        .await
        .expect("a lead won");
    sqlx::query("update deals set status = 'won', probability = 100 where lead_id = $1")
        .bind(leads[2])
        .execute(&db.admin)
        .await
        .expect("its deals won");
    sqlx::query("update deals set currency = 'EUR' where id = $1")
        .bind(deals[3])
        .execute(&db.admin)
        .await
        .expect("a deal changes currency");
    sqlx::query("delete from leads where id = $1")
        .bind(leads[5])
        .execute(&db.admin)
        .await
        .expect("delete a lead");
    let (kept, plain) = kept_and_recounted(&db, org).await;
    assert!(kept.iter().any(|k| k.contains(" EUR ")), "{kept:?}");
    assert_eq!(kept, plain, "per stage and currency");
    // After a fold too.
    sqlx::query("select closer.compact_stage_summaries($1)")
        .bind(org)
        .execute(&db.admin)
        .await
        .expect("fold");
    let (kept, plain) = kept_and_recounted(&db, org).await;
    assert_eq!(kept, plain, "per stage and currency, folded");

    // The board's headers: the organization's currency only, the others beside it.
    let headers = store.stage_summaries(pipeline).await.expect("headers");
    let filtered = store
        .filtered_summaries(pipeline, &Filter::default())
        .await
        .expect("filtered headers");
    for stage in [first, second] {
        let (usd, usd_weighted, others): (f64, f64, i64) = sqlx::query_as(
            "select coalesce(sum(d.amount) filter (where d.currency = 'USD'), 0)::float8,
                    coalesce(sum(d.amount * d.probability / 100.0) filter (where d.currency = 'USD'), 0)::float8,
                    count(distinct d.currency) filter (where d.currency <> 'USD')
             from deals d join leads l on l.organization_id = d.organization_id and l.id = d.lead_id
             where d.organization_id = $1 and l.stage_id = $2 and d.status = 'open'",
        )
        .bind(org)
        .bind(stage)
        .fetch_one(&db.admin)
        .await
        .expect("plain sums");
        for (what, got) in [
            (
                "maintained",
                headers.get(&stage).copied().unwrap_or_default(),
            ),
            (
                "filtered",
                filtered.get(&stage).copied().unwrap_or_default(),
            ),
        ] {
            assert!(
                (got.open_deal_amount - usd).abs() < 0.005,
                "{what} {got:?} {usd}"
            );
            assert!(
                (got.weighted_deal_amount - usd_weighted).abs() < 0.005,
                "{what} {got:?}"
            );
            assert_eq!(i64::from(got.others.currencies), others, "{what} {got:?}");
            assert_eq!(got.currency.as_str(), "USD");
        }
    }
    let second_header = headers.get(&second).copied().unwrap_or_default();
    assert!(second_header.others.largest.is_some(), "{second_header:?}");

    // Won totals: the USD deals summed, the others apart, every deal counted.
    let closed = store
        .closed_totals(pipeline, Period::AllTime, &Filter::default())
        .await
        .expect("closed totals");
    let got = closed.get(&won).copied().unwrap_or_default();
    let (count, usd, others): (i64, f64, i64) = sqlx::query_as(
        "select count(*), coalesce(sum(d.amount) filter (where d.currency = 'USD'), 0)::float8,
                count(distinct d.currency) filter (where d.currency <> 'USD')
         from deals d join leads l on l.organization_id = d.organization_id and l.id = d.lead_id
         where d.organization_id = $1 and l.stage_id = $2 and d.status = 'won'",
    )
    .bind(org)
    .bind(won)
    .fetch_one(&db.admin)
    .await
    .expect("plain won sums");
    assert_eq!(got.deal_count, count);
    assert!((got.amount - usd).abs() < 0.005, "{got:?}");
    assert_eq!(i64::from(got.others.currencies), others);

    // The organization switches to euros: the same rows, now summed in EUR.
    sqlx::query("update organizations set currency = 'EUR' where id = $1")
        .bind(org)
        .execute(&db.admin)
        .await
        .expect("switch to euros");
    let headers = store.stage_summaries(pipeline).await.expect("headers");
    let eur: f64 = sqlx::query_scalar(
        "select coalesce(sum(d.amount), 0)::float8 from deals d join leads l on l.id = d.lead_id
         where d.organization_id = $1 and l.stage_id = $2 and d.status = 'open' and d.currency = 'EUR'",
    )
    .bind(org)
    .bind(second)
    .fetch_one(&db.admin)
    .await
    .expect("plain euro sum");
    let got = headers.get(&second).copied().unwrap_or_default();
    assert_eq!(got.currency.as_str(), "EUR");
    assert!((got.open_deal_amount - eur).abs() < 0.005, "{got:?} {eur}");
}

#[tokio::test]
async fn insights_sum_the_organization_currency_and_list_the_others() {
    let db = TestDb::new().await;
    let org = db.org("Insight Currency").await;
    let manager = db.user("Insight Currency", "manager").await;
    let store = store_of(&db, &manager, org).await;
    let pipeline = db.default_pipeline(org).await;
    let lead = db.lead(org, "Forecast").await;
    let today = chrono::Utc::now().date_naive();
    for (amount, currency) in [(1000.0, None), (2000.0, Some("EUR")), (500.0, Some("EUR"))] {
        let mut d = new_deal(amount, currency);
        d.expected_close_date = Some(today);
        store.add_deal(lead, d).await.expect("a deal");
    }
    let insights = store
        .insights(&closer::data::insights::InsightsQuery {
            pipeline_id: pipeline,
            period: closer::data::insights::Period::quarter_of(today),
            person: None,
        })
        .await
        .expect("insights");
    assert_eq!(insights.currency, "USD");
    assert_eq!(insights.forecast_total().0, 1000.0);
    assert_eq!(insights.other_currencies.len(), 1, "{insights:?}");
    let eur = &insights.other_currencies[0];
    assert_eq!(
        (
            eur.currency.as_str(),
            eur.status.as_str(),
            eur.count,
            eur.amount
        ),
        ("EUR", "open", 2, 2500.0)
    );
    let json = serde_json::to_value(&insights).expect("json");
    assert_eq!(json["currency"], "USD");
}

#[tokio::test]
async fn an_upgrade_backfills_deals_with_their_organization_currency() {
    let db = TestDb::unmigrated().await;
    {
        let _guard = common::migration_guard().await;
        admin::migrate_to(&db.admin, Some(21))
            .await
            .expect("migrate up to 0021");
    }
    let org: Uuid = sqlx::query_scalar(
        "insert into organizations (name) values ('Before Currency') returning id",
    )
    .fetch_one(&db.admin)
    .await
    .expect("an organization");
    let pipeline: Uuid = sqlx::query_scalar(
        "insert into pipelines (organization_id, name, is_default) values ($1, 'Sales', true) returning id",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("a pipeline");
    let stage: Uuid = sqlx::query_scalar(
        "insert into pipeline_stages (organization_id, pipeline_id, name, order_index) values ($1, $2, 'New', 0)
         returning id",
    )
    .bind(org)
    .bind(pipeline)
    .fetch_one(&db.admin)
    .await
    .expect("a stage");
    let lead = insert_lead(&db.admin, org, stage, "Old lead")
        .await
        .expect("a lead");
    sqlx::query(
        "insert into deals (organization_id, lead_id, name, amount, probability) values ($1, $2, 'Old', 1234.5, 50)",
    )
    .bind(org)
    .bind(lead)
    .execute(&db.admin)
    .await
    .expect("an old deal");
    {
        let _guard = common::migration_guard().await;
        admin::migrate(&db.admin).await.expect("migrate to the end");
    }
    let currency: String = sqlx::query_scalar("select currency from deals where lead_id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("the old deal");
    assert_eq!(currency, "USD");
    let header: (i64, String) = sqlx::query_as(
        "select lead_count, open_deal_amount::text from stage_summaries where stage_id = $1",
    )
    .bind(stage)
    .fetch_one(&db.admin)
    .await
    .expect("the old header");
    assert_eq!(header, (1, "1234.50".to_string()));
    let per_currency: Vec<String> = sqlx::query_scalar(
        "select currency || ' ' || open_deal_amount from stage_currency_summaries where stage_id = $1",
    )
    .bind(stage)
    .fetch_all(&db.admin)
    .await
    .expect("per currency");
    assert_eq!(per_currency, ["USD 1234.50"]);
}
