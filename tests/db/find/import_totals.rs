//! The filter totals after `closer import leads` (issue 14, migration 0044): an import's tags are
//! counted once per INSERT statement, not once per tag row. After a first import of new leads
//! (tags in several cases, some spelled like the organization's existing tags) and an
//! `--on-duplicate update` import whose rows move existing leads to another stage AND add a tag,
//! only add tags, change an owner and add a tag, or create leads, every group of the filter
//! deltas equals a recount from the leads, tags and open deals, and the board's filtered totals
//! equal `owner_totals`' recount, before and after the deltas are folded.

use super::owner_totals::{check, insert_deals_for_every_lead};
use super::{World, world};

use crate::import::import;
use crate::shell_util::Shell;

use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// A (stage, owner, facet, currency) group whose deltas differ from the recount, with the
/// differences (deltas minus recount) of its lead count, open amount and weighted amount.
type Mismatch = (
    Uuid,
    Option<Uuid>,
    Option<String>,
    Option<String>,
    i64,
    f64,
    f64,
);

/// Every group of the organization's `stage_filter_deltas` against the same group recounted from
/// the rows, as 0033's rebuild counts them: an owner row per (stage, assigned_to), one facet row
/// per score, tag, next step (0049), last-touch day (0050) and source (0051), each with its leads'
/// open deals per currency. Returns the groups that differ
/// and how many groups the recount has.
pub(super) async fn delta_mismatches(w: &World) -> (Vec<Mismatch>, i64) {
    delta_mismatches_in(&w.db.admin, w.org).await
}

/// [`delta_mismatches`] of organization `org`, read as the superuser `admin`.
pub(super) async fn delta_mismatches_in(admin: &sqlx::PgPool, org: Uuid) -> (Vec<Mismatch>, i64) {
    const RECOUNT: &str = "
        with open_deals as (
            select d.lead_id, d.currency, sum(d.amount) as amount, sum(d.amount * d.probability / 100.0) as weighted
            from deals d where d.organization_id = $1 and d.status = 'open'
            group by d.lead_id, d.currency
        ), facets as (
            select l.id, l.stage_id, 'score:' || l.score as facet from leads l where l.organization_id = $1
            union all
            select l.id, l.stage_id, 'tag:' || g.tag
            from lead_tags g join leads l on l.organization_id = g.organization_id and l.id = g.lead_id
            where g.organization_id = $1
            union all
            select l.id, l.stage_id, 'touch:' || to_char(coalesce(l.last_contacted_at, l.created_at) at time zone 'UTC', 'YYYY-MM-DD')
            from leads l where l.organization_id = $1
            union all
            select l.id, l.stage_id,
                   case when char_length(lower(l.source)) > 53 then 'source#' || md5(lower(l.source))
                        else 'source:' || coalesce(lower(l.source), '') end
            from leads l where l.organization_id = $1
            union all
            select l.id, l.stage_id,
                   'next:' || case when n.lead_id is null then 'none' when n.first_step is null then 'undated'
                                   else rtrim(n.first_step, '~') end
            from leads l left join (
                -- 0061: the first due day, and the hour of its earliest timed task if it has one.
                select t.lead_id,
                       min(to_char(t.due_date, 'YYYY-MM-DD') || coalesce('T' || to_char(t.due_time, 'HH24'), '~')
                           collate \"C\") as first_step
                from lead_tasks t
                where t.organization_id = $1 and t.status <> 'completed' group by t.lead_id
            ) n on n.lead_id = l.id
            where l.organization_id = $1
        ), recount as (
            select l.stage_id, l.assigned_to as owner_id, null::text as facet, null::text as currency,
                   count(*)::numeric as n, 0::numeric as a, 0::numeric as w
            from leads l where l.organization_id = $1 group by l.stage_id, l.assigned_to
            union all
            select l.stage_id, l.assigned_to, null, o.currency, 0, sum(o.amount), sum(o.weighted)
            from open_deals o join leads l on l.organization_id = $1 and l.id = o.lead_id
            group by l.stage_id, l.assigned_to, o.currency
            union all
            select f.stage_id, null, f.facet, null, count(*), 0, 0 from facets f group by f.stage_id, f.facet
            union all
            select f.stage_id, null, f.facet, o.currency, 0, sum(o.amount), sum(o.weighted)
            from facets f join open_deals o on o.lead_id = f.id
            group by f.stage_id, f.facet, o.currency
        )";
    let mismatches: Vec<Mismatch> = sqlx::query_as(AssertSqlSafe(format!(
        "{RECOUNT}, both_sides as (
            select d.stage_id, d.owner_id, d.facet, d.currency, d.lead_count::numeric as n,
                   d.open_deal_amount as a, d.weighted_deal_amount as w
            from stage_filter_deltas d where d.organization_id = $1
            union all
            select r.stage_id, r.owner_id, r.facet, r.currency, -r.n, -r.a, -r.w from recount r
        )
        select b.stage_id, b.owner_id, b.facet, b.currency, sum(b.n)::int8, sum(b.a)::float8, sum(b.w)::float8
        from both_sides b
        group by b.stage_id, b.owner_id, b.facet, b.currency
        having sum(b.n) <> 0 or abs(sum(b.a)) > 0.005 or abs(sum(b.w)) > 0.005
        order by 1, 2, 3, 4"
    )))
    .bind(org)
    .fetch_all(admin)
    .await
    .expect("deltas against a recount");
    let groups: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "{RECOUNT} select count(*) from recount"
    )))
    .bind(org)
    .fetch_one(admin)
    .await
    .expect("recount groups");
    (mismatches, groups)
}

/// The deltas equal the recount group by group, and the board's filtered totals equal
/// `owner_totals`' recount; then the same after a fold (which must not add rows).
async fn assert_exact(w: &World, when: &str) {
    let (wrong, groups) = delta_mismatches(w).await;
    assert!(wrong.is_empty(), "{when}: deltas minus recount {wrong:#?}");
    assert!(groups > 40, "{when}: only {groups} groups");
    assert!(
        check(w, when).await >= 12,
        "{when}: too few stages with leads"
    );

    let rows = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from stage_filter_deltas where organization_id = $1",
        )
        .bind(w.org)
        .fetch_one(&w.db.admin)
        .await
        .expect("rows")
    };
    let before = rows().await;
    sqlx::query("select closer.compact_filter_summaries($1)")
        .bind(w.org)
        .execute(&w.db.admin)
        .await
        .expect("fold");
    let after = rows().await;
    assert!(
        after <= before,
        "{when}: folding grew {before} rows to {after}"
    );
    let when = format!("{when}, folded");
    let (wrong, _) = delta_mismatches(w).await;
    assert!(wrong.is_empty(), "{when}: deltas minus recount {wrong:#?}");
    check(w, &when).await;
}

/// The number of leads with `tag` (exact spelling) in the organization.
async fn tagged(w: &World, tag: &str) -> i64 {
    sqlx::query_scalar("select count(*) from lead_tags where organization_id = $1 and tag = $2")
        .bind(w.org)
        .bind(tag)
        .fetch_one(&w.db.admin)
        .await
        .expect("tag count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_totals_equal_a_recount_after_an_import() {
    let w = world().await;
    // Open deals in two currencies (won ones too): a tag's rows carry its leads' open deals.
    insert_deals_for_every_lead(&w).await;
    assert_exact(&w, "seeded").await;

    let shell = Shell::new(&w.db, w.me.clone());
    let me = format!("{}@example.com", w.me.login);
    let ana: String =
        sqlx::query_scalar("select email from profiles where full_name = 'Ana Silva'")
            .fetch_one(&w.db.admin)
            .await
            .expect("Ana's e-mail");

    // 1. New leads: the organization's `vip` and `hot` in other cases, `renewal` first spelled
    // in lower case (later rows' `Renewal` / `RENEWAL` join it), the same tag twice in a row.
    let mut file = String::from("Name,Email,Stage,Owner,Tags\n");
    let spellings = [
        "VIP;hot",
        "renewal",
        "Hot;Renewal;newsletter",
        "vip;VIP",
        "RENEWAL;Newsletter;cold",
        "",
    ];
    let stages = ["New", "Contacted", "Qualified", "Proposal", "Won"];
    for i in 0..30 {
        let owner = match i % 3 {
            0 => me.as_str(),
            1 => ana.as_str(),
            _ => "",
        };
        file.push_str(&format!(
            "Imported {i},imported{i}@example.com,{},{owner},\"{}\"\n",
            stages[i % stages.len()],
            spellings[i % spellings.len()]
        ));
    }
    let path = shell.file("new.csv", file.as_bytes());
    let report = import(&shell, &path, &[]);
    assert_eq!(report["created"], 30, "{report}");
    assert_eq!(tagged(&w, "renewal").await, 15, "one spelling of renewal");
    assert_eq!(
        tagged(&w, "VIP").await,
        0,
        "the organization's vip spelling"
    );
    assert_exact(&w, "after importing new leads").await;

    // 2. --on-duplicate update: existing leads (seeded and imported) moved to another open stage
    // AND tagged (a new tag, and one they may already have in another case), only tagged,
    // given to another owner and tagged, only moved; and new leads.
    let open = ["New", "Contacted", "Qualified", "Proposal"];
    let leads: Vec<(String, String, String)> = sqlx::query_as(
        "select l.name, l.email, s.name from leads l join pipeline_stages s on s.id = l.stage_id
         where l.organization_id = $1 and l.email is not null order by l.email",
    )
    .bind(w.org)
    .fetch_all(&w.db.admin)
    .await
    .expect("leads and their stages");
    assert!(leads.len() >= 100, "{} leads", leads.len());
    let mut file = String::from("Name,Email,Stage,Owner,Tags\n");
    let mut moved_and_tagged = 0;
    for (n, (name, email, stage)) in leads.iter().enumerate().take(60) {
        let other = open
            .iter()
            .find(|s| **s != stage.as_str())
            .expect("another open stage");
        let row = match n % 5 {
            // Moved and tagged: a new tag, and `VIP` (the lead may have `vip` already).
            0 | 1 => {
                moved_and_tagged += 1;
                format!("{name},{email},{other},,\"Expansion;VIP\"\n")
            }
            // Only tagged.
            2 => format!("{name},{email},,,\"expansion;Renewal;HOT\"\n"),
            // Another owner and a tag.
            3 => format!("{name},{email},,{ana},churn-risk\n"),
            // Only moved.
            _ => format!("{name},{email},{other},,\n"),
        };
        file.push_str(&row);
    }
    for i in 0..5 {
        file.push_str(&format!(
            "Late {i},late{i}@example.com,Qualified,{me},\"Expansion;cold\"\n"
        ));
    }
    let path = shell.file("update.csv", file.as_bytes());
    let report = import(&shell, &path, &["--on-duplicate", "update"]);
    assert_eq!(report["created"], 5, "{report}");
    assert!(report["updated"].as_u64() >= Some(50), "{report}");
    assert_eq!(moved_and_tagged, 24);
    assert_eq!(tagged(&w, "Expansion").await, 24 + 12 + 5, "expansion");
    assert_exact(&w, "after an update import").await;

    // 3. The same file again: nothing to add, nothing to move.
    let report = import(&shell, &path, &["--on-duplicate", "update"]);
    assert_eq!(report["created"], 0, "{report}");
    assert_exact(&w, "after the same import again").await;
}
