//! Find and focus against real PostgreSQL: every filter term keeps exactly the leads an
//! independent SQL query (as the superuser, organization named explicitly) finds, column totals
//! through a filter equal a recount, and search finds what people type, inside their organization.

use crate::common;

use std::collections::{BTreeSet, HashMap};

use closer::data::PgStore;
use closer::data::models::BoardSort;
use closer::filter;
use common::{TestDb, TestUser};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

async fn store_of(db: &TestDb, user: &TestUser, org: Uuid) -> PgStore {
    db.session(user)
        .await
        .open(org)
        .expect("a member opens the org")
}

/// 90 leads spread over every stage (closed ones too), owners, sources, scores, tags, ages,
/// contacts and tasks, so each term keeps some leads and drops others.
async fn populate(db: &TestDb, org: Uuid, me: Uuid, other: Uuid) {
    let stages: Vec<Uuid> = db.stages(org).await.into_iter().map(|(id, _)| id).collect();
    sqlx::query(
        "insert into leads (organization_id, stage_id, name, email, source, score, assigned_to, created_at, last_contacted_at)
         select $1, ($2::uuid[])[1 + i % cardinality($2::uuid[])],
                (array['Olivia Reyes', 'Jürgen Müller', 'Zoë García', 'Ana O''Brien', 'Plain Lead'])[1 + i % 5] || ' ' || i,
                'lead' || i || '@example.com',
                (array['website', 'referral', 'Cold Call', null])[1 + i % 4],
                (i * 37) % 101,
                case i % 3 when 0 then $3 when 1 then $4 else null end,
                now() - (i % 40) * interval '1 day' - interval '1 hour',
                case when i % 5 = 0 then null else now() - (i % 25) * interval '1 day' - interval '1 hour' end
         from generate_series(1, 90) i",
    )
    .bind(org)
    .bind(&stages)
    .bind(me)
    .bind(other)
    .execute(&db.admin)
    .await
    .expect("insert leads");
    sqlx::query(
        "insert into lead_tags (organization_id, lead_id, tag)
         select organization_id, id, t from leads, unnest(array['vip', 'hot']) t
         where organization_id = $1 and ((t = 'vip' and score % 4 = 0) or (t = 'hot' and score % 6 = 0))",
    )
    .bind(org)
    .execute(&db.admin)
    .await
    .expect("insert tags");
    sqlx::query(
        "insert into lead_tasks (organization_id, lead_id, title, due_date, status, completed_at)
         select organization_id, id, 'Call back', current_date + (score % 7 - 3),
                case when score % 7 = 6 then 'completed'::task_status else 'pending' end,
                case when score % 7 = 6 then now() end
         from leads where organization_id = $1 and score % 3 <> 0",
    )
    .bind(org)
    .execute(&db.admin)
    .await
    .expect("insert tasks");
}

struct World {
    db: TestDb,
    org: Uuid,
    me: TestUser,
    store: PgStore,
    pipeline: Uuid,
}

async fn world() -> World {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let me = db.user("Acme", "rep").await;
    let other = db.user("Acme", "rep").await;
    sqlx::query("update profiles set full_name = 'Ana Silva' where id = $1")
        .bind(other.profile_id)
        .execute(&db.admin)
        .await
        .expect("name the teammate");
    populate(&db, org, me.profile_id, other.profile_id).await;
    // A second organization with the same shapes: a filter must never reach it.
    let org_b = db.org("Globex").await;
    let rep_b = db.user("Globex", "rep").await;
    let rep_b2 = db.user("Globex", "rep").await;
    populate(&db, org_b, rep_b.profile_id, rep_b2.profile_id).await;
    let store = store_of(&db, &me, org).await;
    let pipeline = db.default_pipeline(org).await;
    World {
        db,
        org,
        me,
        store,
        pipeline,
    }
}

/// Every lead the board shows through `text`, all columns, all pages.
async fn board_ids(w: &World, text: &str) -> BTreeSet<Uuid> {
    let f = filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut ids = BTreeSet::new();
    for (stage, _) in w.db.stages(w.org).await {
        for sort in [BoardSort::Score, BoardSort::LastContact, BoardSort::Newest] {
            let mut after = None;
            let mut seen = BTreeSet::new();
            loop {
                let page = w
                    .store
                    .filtered_column_page(stage, sort, after, 7, &f)
                    .await
                    .unwrap_or_else(|e| panic!("{text}: {e}"));
                seen.extend(page.cards.iter().map(|c| c.id));
                after = page.next_cursor;
                if after.is_none() {
                    break;
                }
            }
            if sort == BoardSort::Score {
                ids.extend(seen);
            } else {
                assert_eq!(
                    ids.intersection(&seen).count(),
                    seen.len(),
                    "{text}: {sort:?}"
                );
            }
        }
    }
    ids
}

/// The same leads by hand-written SQL as the superuser (`$1` org, `$2` me, `$3` time zone).
async fn sql_ids(w: &World, condition: &str) -> BTreeSet<Uuid> {
    let zone = w.store.me().time_zone.clone();
    let rows: Vec<Uuid> = sqlx::query_scalar(AssertSqlSafe(format!(
        "select l.id from leads l where l.organization_id = $1 and ({condition})"
    )))
    .bind(w.org)
    .bind(w.me.profile_id)
    .bind(zone)
    .fetch_all(&w.db.admin)
    .await
    .unwrap_or_else(|e| panic!("{condition}: {e}"));
    rows.into_iter().collect()
}

const CASES: &[(&str, &str)] = &[
    ("", "true"),
    ("mine", "l.assigned_to = $2"),
    ("owner:me,none", "(l.assigned_to = $2 or l.assigned_to is null) and $3 is not null"),
    (
        "owner:ana",
        "l.assigned_to = (select id from profiles where full_name = 'Ana Silva')",
    ),
    (
        "owner:\"ana silva\",me",
        "l.assigned_to in ($2, (select id from profiles where full_name = 'Ana Silva'))",
    ),
    ("tag:vip", "l.score % 4 = 0"),
    ("tag:vip,hot", "l.score % 4 = 0 or l.score % 6 = 0"),
    ("tag:vip tag:hot", "l.score % 12 = 0"),
    ("source:website,\"cold call\"", "l.source in ('website', 'Cold Call')"),
    ("score:>70", "l.score > 70"),
    ("score:<=30", "l.score <= 30"),
    ("score:40..60", "l.score >= 40 and l.score <= 60"),
    (
        "rotting",
        "exists (select 1 from pipeline_stages s where s.id = l.stage_id and not s.is_won and not s.is_lost
                 and now() - coalesce(l.last_contacted_at, l.created_at) > s.rotting_days * interval '1 day')",
    ),
    (
        "overdue",
        "l.id in (select lead_id from lead_tasks where status <> 'completed' and due_date < (now() at time zone $3)::date)",
    ),
    (
        "no-next-step",
        "l.id not in (select lead_id from lead_tasks where completed_at is null)",
    ),
    (
        "created:<7d",
        "l.created_at >= ((now() at time zone $3)::date - 7) at time zone $3",
    ),
    (
        "created:>30d",
        "l.created_at < ((now() at time zone $3)::date - 30) at time zone $3",
    ),
    ("created:today", "(l.created_at at time zone $3)::date = (now() at time zone $3)::date"),
    ("contacted:never", "l.last_contacted_at is null"),
    (
        "contacted:<2w",
        "l.last_contacted_at >= ((now() at time zone $3)::date - 14) at time zone $3",
    ),
    ("müller", "l.name like '%Müller%'"),
    ("\"o'brien\"", "l.name like '%O''Brien%'"),
    ("100%", "false"),
    ("_", "false"),
    ("lead1@", "l.email like 'lead1@%'"),
    (
        "owner:me tag:vip score:>70 rotting",
        "l.assigned_to = $2 and l.score % 4 = 0 and l.score > 70 and exists (select 1 from pipeline_stages s
             where s.id = l.stage_id and s.rotting_days is not null
             and coalesce(l.last_contacted_at, l.created_at) < now() - s.rotting_days * interval '1 day')",
    ),
];

#[tokio::test]
async fn each_filter_keeps_exactly_the_leads_an_independent_query_finds() {
    let w = world().await;
    for (text, condition) in CASES {
        let board = board_ids(&w, text).await;
        let expected = sql_ids(&w, condition).await;
        assert_eq!(board, expected, "filter {text:?}");
    }
    // The cases are not vacuous: most keep some leads and drop others.
    let mut informative = 0;
    for (text, condition) in CASES {
        let n = sql_ids(&w, condition).await.len();
        if n > 0 && n < 90 {
            informative += 1;
        } else {
            eprintln!("{text:?} keeps {n} of 90");
        }
    }
    assert!(
        informative >= CASES.len() - 6,
        "only {informative} informative cases"
    );
}

const LONG_SOURCE: &str = "Partner Webinar Series Autumn Edition Registrations List";
const LONG_SOURCE_FILTER: &str =
    "source:\"partner webinar series autumn edition registrations list\"";

#[tokio::test]
async fn filtered_column_totals_equal_a_recount() {
    let w = world().await;
    sqlx::query(
        "insert into deals (organization_id, lead_id, name, amount, probability, status)
         select organization_id, id, 'Deal', score * 100, score, case when score % 5 = 0 then 'won'::deal_status else 'open' end
         from leads where organization_id = $1",
    )
    .bind(w.org)
    .execute(&w.db.admin)
    .await
    .expect("insert deals");
    // A source changed to one too long for its own facet (0051 hashes it).
    sqlx::query(
        "update leads set source = $2 where organization_id = $1 and id = (
             select id from leads where organization_id = $1 and source = 'website' order by id limit 1)",
    )
    .bind(w.org)
    .bind(LONG_SOURCE)
    .execute(&w.db.admin)
    .await
    .expect("long source");
    for text in [
        "",
        "mine",
        "tag:vip score:>50",
        "rotting",
        "tag:vip rotting",
        "rotting mine",
        "owner:none rotting",
        "score:>50 rotting",
        // 0049's `next:` facets.
        "overdue",
        "no-next-step",
        "overdue no-next-step",
        // 0051's `source:` facets: any case, two at once, none, and one past the facet's length.
        "source:website,\"cold call\"",
        "source:REFERRAL",
        LONG_SOURCE_FILTER,
        "source:referral rotting",
        "zzz",
    ] {
        let f = filter::parse(text).expect("parses");
        let totals = w
            .store
            .filtered_summaries(w.pipeline, &f)
            .await
            .expect("filtered totals");
        for (stage, _) in w.db.stages(w.org).await {
            let ids = board_ids(&w, text).await;
            let ids: Vec<Uuid> = ids.into_iter().collect();
            let (n, amount, weighted): (i64, f64, f64) = sqlx::query_as(
                "select count(*) filter (where l.stage_id = $2),
                        coalesce(sum(d.amount) filter (where l.stage_id = $2), 0)::float8,
                        coalesce(sum(d.amount * d.probability / 100.0) filter (where l.stage_id = $2), 0)::float8
                 from leads l left join deals d on d.lead_id = l.id and d.status = 'open'
                 where l.id = any($1)",
            )
            .bind(&ids)
            .bind(stage)
            .fetch_one(&w.db.admin)
            .await
            .expect("recount");
            let got = totals.get(&stage).copied().unwrap_or_default();
            assert_eq!(got.lead_count, n, "{text:?} count");
            assert!(
                (got.open_deal_amount - amount).abs() < 0.01,
                "{text:?} amount"
            );
            assert!(
                (got.weighted_deal_amount - weighted).abs() < 0.01,
                "{text:?} weighted"
            );
        }
    }
    // Unfiltered totals through the filter path equal the maintained headers.
    let plain = w.store.stage_summaries(w.pipeline).await.expect("headers");
    let through = w
        .store
        .filtered_summaries(w.pipeline, &filter::Filter::default())
        .await
        .expect("totals");
    let nonzero: HashMap<_, _> = plain
        .into_iter()
        .filter(|(_, s)| s.lead_count > 0)
        .collect();
    assert_eq!(nonzero.len(), through.len());
    for (stage, s) in nonzero {
        assert_eq!(
            through.get(&stage).map(|t| t.lead_count),
            Some(s.lead_count)
        );
    }
}

/// Nothing about tasks or tags is stored on the lead: `overdue`, `no-next-step` and `tag:` read
/// the rows themselves, so a teammate's writes through the API change what they keep at the
/// next read, pages and totals alike.
#[tokio::test]
async fn task_and_tag_terms_follow_a_teammates_writes() {
    let w = world().await;
    let teammate = w.db.user("Acme", "rep").await;
    let mut conn = w.db.connect(&teammate).await;
    let lead: Uuid = sqlx::query_scalar(
        "select l.id from leads l where l.organization_id = $1
           and not exists (select 1 from lead_tasks t where t.lead_id = l.id and t.status in ('pending', 'overdue'))
         order by l.id limit 1",
    )
    .bind(w.org)
    .fetch_one(&w.db.admin)
    .await
    .expect("a lead without open tasks");
    let stage: Uuid = sqlx::query_scalar("select stage_id from leads where id = $1")
        .bind(lead)
        .fetch_one(&w.db.admin)
        .await
        .expect("its stage");
    let expect = |text: &'static str, kept: bool, ids: &BTreeSet<Uuid>| {
        assert_eq!(ids.contains(&lead), kept, "{text}: the lead kept");
    };
    expect("overdue", false, &board_ids(&w, "overdue").await);
    expect("no-next-step", true, &board_ids(&w, "no-next-step").await);
    expect("tag:renewal", false, &board_ids(&w, "tag:renewal").await);

    let task: Uuid = sqlx::query_scalar(
        "select id from closer.add_task($1, $2, 'Overdue call', null, current_date - 2, null, 'high', null, 'UTC', now())",
    )
    .bind(w.org)
    .bind(lead)
    .fetch_one(&mut conn)
    .await
    .expect("the teammate adds an overdue task");
    sqlx::query("select * from closer.add_tag($1, $2, 'renewal', '#30a46c')")
        .bind(w.org)
        .bind(lead)
        .execute(&mut conn)
        .await
        .expect("the teammate tags the lead");
    let overdue = board_ids(&w, "overdue").await;
    expect("overdue", true, &overdue);
    expect("no-next-step", false, &board_ids(&w, "no-next-step").await);
    let tagged = board_ids(&w, "tag:renewal").await;
    assert_eq!(tagged, BTreeSet::from([lead]), "tag:renewal");
    // The totals count it too.
    for (text, ids) in [("overdue", &overdue), ("tag:renewal", &tagged)] {
        let f = filter::parse(text).expect("parses");
        let totals = w
            .store
            .filtered_summaries(w.pipeline, &f)
            .await
            .expect("filtered totals");
        let counted: i64 = totals.values().map(|s| s.lead_count).sum();
        assert_eq!(counted, ids.len() as i64, "{text}: totals");
        assert!(
            totals.get(&stage).is_some_and(|s| s.lead_count > 0),
            "{text}: its stage"
        );
    }

    let version: i32 = sqlx::query_scalar("select version from lead_tasks where id = $1")
        .bind(task)
        .fetch_one(&w.db.admin)
        .await
        .expect("the task's version");
    sqlx::query("select * from closer.complete_task($1, $2, $3)")
        .bind(w.org)
        .bind(task)
        .bind(version)
        .execute(&mut conn)
        .await
        .expect("the teammate completes it");
    expect("overdue", false, &board_ids(&w, "overdue").await);
    expect("no-next-step", true, &board_ids(&w, "no-next-step").await);
    // And every term still equals its independent query.
    for (text, condition) in CASES {
        assert_eq!(
            board_ids(&w, text).await,
            sql_ids(&w, condition).await,
            "filter {text:?} after the writes"
        );
    }
}

mod closed_columns;
mod import_totals;
mod inbox;
mod locked_stage;
mod next_step;
mod owner_totals;
mod search;
mod spelling;
mod views;
