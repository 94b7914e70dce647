//! Totals from the filter deltas (migration 0033): `mine` / `owner:`, one tag and one score
//! range read the deltas of those owners / facets. They must equal an independent recount of
//! the rows after every kind of write a teammate makes (moves, owner changes, bulk writes, tags
//! added, removed and renamed, score changes, deals added, edited, won, deleted and new leads)
//! and after the deltas are folded.

use super::{World, world};

use closer::currency::Code;
use closer::data::PgStore;
use closer::data::bulk::{BulkWrite, Marked};
use closer::data::lead::{DealChanges, DealStatus, NewDeal};
use closer::filter;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// Filters the deltas answer and the same leads as SQL over `l` (`$1` org, `$2` me).
const CASES: &[(&str, &str)] = &[
    (
        "tag:vip",
        "l.id in (select g.lead_id from lead_tags g where g.tag = 'vip')",
    ),
    (
        "tag:hot",
        "l.id in (select g.lead_id from lead_tags g where g.tag = 'hot')",
    ),
    (
        "tag:renewal",
        "l.id in (select g.lead_id from lead_tags g where g.tag = 'renewal')",
    ),
    ("score:>70", "l.score > 70"),
    ("score:40..60", "l.score between 40 and 60"),
    ("mine", "l.assigned_to = $2"),
    ("owner:none", "l.assigned_to is null"),
    (
        "owner:me,none",
        "l.assigned_to = $2 or l.assigned_to is null",
    ),
    (
        "owner:ana",
        "l.assigned_to = (select id from profiles where full_name = 'Ana Silva')",
    ),
    (
        "owner:\"ana silva\" owner:me,ana",
        "l.assigned_to = (select id from profiles where full_name = 'Ana Silva')",
    ),
    ("mine owner:none", "false"),
];

/// Per stage of the default pipeline: (stage, leads, open USD amount, weighted USD amount,
/// open EUR amount) of the leads `condition` keeps, counted from the rows as the superuser.
async fn recount(w: &World, condition: &str) -> Vec<(Uuid, i64, f64, f64, f64)> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select s.id,
                (select count(*) from leads l where l.organization_id = $1 and l.stage_id = s.id and ({condition})),
                (select coalesce(sum(d.amount), 0)::float8 from deals d join leads l on l.id = d.lead_id
                 where l.organization_id = $1 and l.stage_id = s.id and d.status = 'open' and d.currency = 'USD' and ({condition})),
                (select coalesce(sum(d.amount * d.probability / 100.0), 0)::float8 from deals d join leads l on l.id = d.lead_id
                 where l.organization_id = $1 and l.stage_id = s.id and d.status = 'open' and d.currency = 'USD' and ({condition})),
                (select coalesce(sum(d.amount), 0)::float8 from deals d join leads l on l.id = d.lead_id
                 where l.organization_id = $1 and l.stage_id = s.id and d.status = 'open' and d.currency = 'EUR' and ({condition}))
         from pipeline_stages s where s.organization_id = $1 and s.pipeline_id = $3"
    )))
    .bind(w.org)
    .bind(w.me.profile_id)
    .bind(w.pipeline)
    .fetch_all(&w.db.admin)
    .await
    .unwrap_or_else(|e| panic!("{condition}: {e}"))
}

/// Every owner case: the headers through the filter equal the recount, stage by stage. Returns
/// how many (case, stage) pairs had leads, so callers can check the comparison is not vacuous.
pub(super) async fn check(w: &World, when: &str) -> usize {
    let mut informative = 0;
    for (text, condition) in CASES {
        let f = filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let totals = w
            .store
            .filtered_summaries(w.pipeline, &f)
            .await
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        for (stage, n, amount, weighted, eur) in recount(w, condition).await {
            let got = totals.get(&stage).copied().unwrap_or_default();
            let at = format!("{when}: {text:?}, stage {stage}");
            assert_eq!(got.lead_count, n, "{at}: count");
            assert!(
                (got.open_deal_amount - amount).abs() < 0.01,
                "{at}: amount {} vs {amount}",
                got.open_deal_amount
            );
            assert!(
                (got.weighted_deal_amount - weighted).abs() < 0.01,
                "{at}: weighted {} vs {weighted}",
                got.weighted_deal_amount
            );
            let got_eur = match got.others.largest {
                Some((code, a)) if code == Code::from_db("EUR") => a,
                _ => 0.0,
            };
            assert!((got_eur - eur).abs() < 0.01, "{at}: EUR {got_eur} vs {eur}");
            if n > 0 {
                informative += 1;
            }
        }
    }
    informative
}

async fn version(w: &World, lead: Uuid) -> i32 {
    sqlx::query_scalar("select version from leads where id = $1")
        .bind(lead)
        .fetch_one(&w.db.admin)
        .await
        .expect("version")
}

/// Leads of the org with `condition` (as the superuser), in id order.
async fn leads_where(w: &World, condition: &str, limit: i64) -> Vec<Uuid> {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "select l.id from leads l where l.organization_id = $1 and ({condition}) order by l.id limit $3"
    )))
    .bind(w.org)
    .bind(w.me.profile_id)
    .bind(limit)
    .fetch_all(&w.db.admin)
    .await
    .unwrap_or_else(|e| panic!("{condition}: {e}"))
}

fn deal(amount: f64, currency: Option<&str>) -> NewDeal {
    NewDeal {
        name: "Renewal".into(),
        amount,
        currency: currency.map(str::to_string),
        stage: "qualification".into(),
        probability: 40,
        status: DealStatus::Open,
        expected_close_date: None,
    }
}

/// One deal per lead, open or won, in two currencies, its amount and probability from the score.
pub(super) async fn insert_deals_for_every_lead(w: &World) {
    sqlx::query(
        "insert into deals (organization_id, lead_id, name, amount, probability, status, currency)
         select organization_id, id, 'Deal', score * 100 + 0.25, score,
                case when score % 5 = 0 then 'won'::deal_status else 'open' end,
                case when score % 7 = 0 then 'EUR' else 'USD' end
         from leads where organization_id = $1",
    )
    .bind(w.org)
    .execute(&w.db.admin)
    .await
    .expect("insert deals");
}

#[tokio::test]
async fn owner_totals_equal_a_recount_after_every_kind_of_write() {
    let w = world().await;
    insert_deals_for_every_lead(&w).await;
    assert!(check(&w, "seeded").await >= 12, "too few stages with leads");

    let teammate_user = w.db.user("Acme", "rep").await;
    let teammate: PgStore = super::store_of(&w.db, &teammate_user, w.org).await;
    let ana: Uuid = sqlx::query_scalar("select id from profiles where full_name = 'Ana Silva'")
        .fetch_one(&w.db.admin)
        .await
        .expect("Ana");
    let open_stages: Vec<Uuid> = sqlx::query_scalar(
        "select id from pipeline_stages where organization_id = $1 and pipeline_id = $2
           and not is_won and not is_lost order by order_index",
    )
    .bind(w.org)
    .bind(w.pipeline)
    .fetch_all(&w.db.admin)
    .await
    .expect("open stages");

    // A move of one of my leads with open deals (they travel with it).
    let to = open_stages[1];
    let lead = leads_where(
        &w,
        &format!(
            "l.assigned_to = $2 and l.stage_id = '{}'
             and exists (select 1 from deals d where d.lead_id = l.id and d.status = 'open')",
            open_stages[0]
        ),
        1,
    )
    .await[0];
    let from = open_stages[0];
    teammate
        .move_lead(lead, from, to, None)
        .await
        .expect("the teammate moves my lead");
    check(&w, "after a move").await;

    // Owner changes: mine → Ana, nobody's → mine, Ana's → nobody's (bulk).
    let v = version(&w, lead).await;
    teammate
        .change_owner(lead, v, ana)
        .await
        .expect("the teammate gives my lead to Ana");
    let unowned = leads_where(&w, "l.assigned_to is null", 1).await[0];
    let v = version(&w, unowned).await;
    teammate
        .change_owner(unowned, v, w.me.profile_id)
        .await
        .expect("the teammate gives me a lead");
    check(&w, "after owner changes").await;
    let anas = leads_where(
        &w,
        "l.assigned_to = (select id from profiles where full_name = 'Ana Silva')
         and l.stage_id in (select id from pipeline_stages where not is_won and not is_lost)",
        4,
    )
    .await;
    assert_eq!(anas.len(), 4, "Ana's open leads");
    let their_stages: Vec<Uuid> =
        sqlx::query_scalar("select distinct stage_id from leads where id = any($1)")
            .bind(&anas)
            .fetch_all(&w.db.admin)
            .await
            .expect("their stages");
    let bulk_to = *open_stages
        .iter()
        .find(|s| !their_stages.contains(s))
        .expect("an open stage none of them is in");
    let mut marked = Vec::new();
    for id in &anas {
        marked.push(Marked {
            id: *id,
            version: version(&w, *id).await,
        });
    }
    teammate
        .bulk_write(
            &marked,
            &BulkWrite::Assign {
                owner: w.me.profile_id,
            },
            "assigned".into(),
        )
        .await
        .expect("bulk assign to me");
    let mut marked = Vec::new();
    for id in &anas {
        marked.push(Marked {
            id: *id,
            version: version(&w, *id).await,
        });
    }
    teammate
        .bulk_write(
            &marked,
            &BulkWrite::Move { to_stage: bulk_to },
            "moved".into(),
        )
        .await
        .expect("bulk move");
    check(&w, "after bulk writes").await;

    // Tags: added (one and in bulk), renamed, removed; a score change.
    let tagged = leads_where(
        &w,
        "l.id not in (select lead_id from lead_tags where tag = 'renewal')",
        5,
    )
    .await;
    sqlx::query("select * from closer.add_tag($1, $2, 'renewal', '#30a46c')")
        .bind(w.org)
        .bind(tagged[0])
        .execute(teammate.pool())
        .await
        .expect("the teammate tags a lead");
    let mut marked = Vec::new();
    for id in &tagged[1..] {
        marked.push(Marked {
            id: *id,
            version: version(&w, *id).await,
        });
    }
    teammate
        .bulk_write(
            &marked,
            &BulkWrite::Tag {
                tag: "renewal".into(),
                color: "#30a46c".into(),
            },
            "tagged".into(),
        )
        .await
        .expect("bulk tag");
    check(&w, "after tagging").await;
    sqlx::query(
        "update lead_tags set tag = 'renewal' where id = (
             select g.id from lead_tags g where g.organization_id = $1 and g.tag = 'hot'
               and not exists (select 1 from lead_tags r where r.lead_id = g.lead_id and r.tag = 'renewal')
             order by g.id limit 1)",
    )
    .bind(w.org)
    .execute(&w.db.admin)
    .await
    .expect("rename a tag");
    sqlx::query(
        "delete from lead_tags where organization_id = $1 and lead_id = $2 and tag = 'renewal'",
    )
    .bind(w.org)
    .bind(tagged[1])
    .execute(&w.db.admin)
    .await
    .expect("remove a tag");
    sqlx::query("update leads set score = 99 where id = $1")
        .bind(tagged[2])
        .execute(&w.db.admin)
        .await
        .expect("change a score");
    check(&w, "after tag and score changes").await;

    // Deals: added (USD and EUR), edited, won.
    let mine = leads_where(&w, "l.assigned_to = $2", 3).await;
    let added = teammate
        .add_deal(mine[0], deal(1234.5, None))
        .await
        .expect("a USD deal");
    teammate
        .add_deal(mine[1], deal(999.0, Some("EUR")))
        .await
        .expect("a EUR deal");
    check(&w, "after deals added").await;
    let deal_version = |id: Uuid| {
        let admin = w.db.admin.clone();
        async move {
            sqlx::query_scalar::<_, i32>("select version from deals where id = $1")
                .bind(id)
                .fetch_one(&admin)
                .await
                .expect("deal version")
        }
    };
    teammate
        .update_deal(
            added,
            deal_version(added).await,
            DealChanges {
                amount: Some(2000.0),
                probability: Some(75),
                ..DealChanges::default()
            },
        )
        .await
        .expect("edit the deal");
    teammate
        .update_deal(
            added,
            deal_version(added).await,
            DealChanges {
                status: Some(DealStatus::Won),
                ..DealChanges::default()
            },
        )
        .await
        .expect("win the deal");
    check(&w, "after deal edits").await;

    // New leads (one statement, several owners) and a deleted lead with deals.
    sqlx::query(
        "insert into leads (organization_id, stage_id, name, assigned_to)
         select $1, $2, 'New ' || i, case i % 3 when 0 then $3 when 1 then $4 else null end
         from generate_series(1, 7) i",
    )
    .bind(w.org)
    .bind(open_stages[0])
    .bind(w.me.profile_id)
    .bind(ana)
    .execute(&w.db.admin)
    .await
    .expect("insert leads");
    sqlx::query("delete from leads where id = $1")
        .bind(mine[2])
        .execute(&w.db.admin)
        .await
        .expect("delete a lead");
    check(&w, "after inserts and a delete").await;

    // Folded into one row per (stage, owner, currency): same totals, fewer rows.
    let rows = |admin: sqlx::PgPool, org: Uuid| async move {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from stage_filter_deltas where organization_id = $1",
        )
        .bind(org)
        .fetch_one(&admin)
        .await
        .expect("rows")
    };
    let before = rows(w.db.admin.clone(), w.org).await;
    sqlx::query("select closer.compact_filter_summaries($1)")
        .bind(w.org)
        .execute(&w.db.admin)
        .await
        .expect("fold");
    let after = rows(w.db.admin.clone(), w.org).await;
    assert!(after < before, "folding kept {after} of {before} rows");
    check(&w, "after folding").await;

    // The unfiltered headers are unchanged by the owner column: equal to a recount of all.
    let plain = w.store.stage_summaries(w.pipeline).await.expect("headers");
    for (stage, n, amount, _, _) in recount(&w, "true").await {
        let got = plain.get(&stage).copied().unwrap_or_default();
        assert_eq!(got.lead_count, n, "unfiltered count");
        assert!(
            (got.open_deal_amount - amount).abs() < 0.01,
            "unfiltered amount"
        );
    }
}
