//! The demo tells one story (issue 10): over a seeded organization, SQL finds zero
//! contradictions between the seeded figures and the seeded rows they summarize.

use crate::common;

use common::TestDb;
use sqlx::AssertSqlSafe;

/// Each check counts the rows that contradict one rule; every count must be zero.
const CHECKS: &[(&str, &str)] = &[
    (
        "last contact is the newest interaction (notes are not contact)",
        "select count(*) from leads l where l.organization_id = $1
           and l.last_contacted_at is distinct from (select max(i.occurred_at) from lead_interactions i
                where i.organization_id = l.organization_id and i.lead_id = l.id and i.type <> 'note')",
    ),
    (
        "call counters equal the calls logged",
        "select count(*) from leads l where l.organization_id = $1
           and l.total_calls <> (select count(*) from lead_interactions i
                where i.organization_id = l.organization_id and i.lead_id = l.id and i.type = 'call')",
    ),
    (
        "outcomes fit their interaction type",
        "select count(*) from lead_interactions i where i.organization_id = $1 and not coalesce(case i.type
             when 'note' then i.outcome is null
             when 'call' then i.outcome in ('connected','voicemail','no_answer','interested','not_interested','meeting_booked')
             when 'meeting' then i.outcome in ('held','interested','not_interested','offer_requested')
             else i.outcome in ('sent','replied','no_reply') end, false)",
    ),
    (
        "interactions happen between the lead's creation and now",
        "select count(*) from lead_interactions i join leads l on l.id = i.lead_id
         where i.organization_id = $1 and (i.occurred_at < l.created_at or i.occurred_at > now())",
    ),
    (
        "the engagement label matches the engagement score",
        "select count(*) from leads l join lead_profiles p on p.organization_id = l.organization_id and p.lead_id = l.id
         where l.organization_id = $1 and p.engagement_level is distinct from
               case when l.engagement_score < 34 then 'low' when l.engagement_score < 67 then 'medium' else 'high' end",
    ),
    (
        "closed leads have a deal closed their way, on a day between creation and today",
        "select count(*) from leads l join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
         where l.organization_id = $1 and (s.is_won or s.is_lost) and not exists (
             select 1 from deals d where d.organization_id = l.organization_id and d.lead_id = l.id
               and d.status = case when s.is_won then 'won'::deal_status else 'lost'::deal_status end
               and d.closed_on between l.created_at::date and current_date)",
    ),
    (
        "closed leads have no open deals and no open tasks",
        "select count(*) from leads l join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
         where l.organization_id = $1 and (s.is_won or s.is_lost)
           and (exists (select 1 from deals d where d.organization_id = l.organization_id and d.lead_id = l.id and d.status = 'open')
                or exists (select 1 from lead_tasks t where t.organization_id = l.organization_id and t.lead_id = l.id
                                                         and t.status <> 'completed'))",
    ),
    (
        "open leads have only open deals",
        "select count(*) from deals d join leads l on l.id = d.lead_id
         join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
         where d.organization_id = $1 and not (s.is_won or s.is_lost) and d.status <> 'open'",
    ),
    (
        "a lost reason exactly on lost leads",
        "select count(*) from leads l join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
         where l.organization_id = $1 and s.is_lost = (l.lost_reason is null)",
    ),
    (
        "deals are in the organization's currency, or a few in euros (the mixed case, issue 11)",
        "select count(*) from deals d join organizations o on o.id = d.organization_id
         where d.organization_id = $1 and d.currency not in (o.currency, 'EUR')",
    ),
    (
        "every lead has one running stay, in the stage it stands in",
        "select count(*) from leads l where l.organization_id = $1 and 1 <> (
             select count(*) from stage_history h where h.organization_id = l.organization_id and h.lead_id = l.id
               and h.left_at is null and h.to_stage_id = l.stage_id)",
    ),
    (
        "a closed lead's running stay began the day its deal closed",
        "select count(*) from leads l
         join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
         join stage_history h on h.organization_id = l.organization_id and h.lead_id = l.id and h.left_at is null
         join deals d on d.organization_id = l.organization_id and d.lead_id = l.id and d.status <> 'open'
         where l.organization_id = $1 and (s.is_won or s.is_lost) and d.closed_on <> h.entered_at::date",
    ),
    (
        "closed_on exactly on closed deals",
        "select count(*) from deals d where d.organization_id = $1 and (d.status = 'open') = (d.closed_on is not null)",
    ),
];

#[tokio::test]
async fn a_seeded_organization_has_zero_contradictions() {
    let db = TestDb::new().await;
    let org = db.org("Story Co").await;
    db.user("Story Co", "rep").await;
    closer::db::seed::seed(&db.admin, org, 3000, 11)
        .await
        .expect("seed");
    let mut failures = Vec::new();
    for (rule, sql) in CHECKS {
        let bad: i64 = sqlx::query_scalar(AssertSqlSafe(*sql))
            .bind(org)
            .fetch_one(&db.admin)
            .await
            .unwrap_or_else(|e| panic!("{rule}: {e}"));
        if bad != 0 {
            failures.push(format!("{rule}: {bad} rows"));
        }
    }
    assert!(
        failures.is_empty(),
        "contradictions:\n{}",
        failures.join("\n")
    );

    // Roughly a quarter of the open leads rot (no contact for longer than their stage allows).
    let (rotting, open): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where coalesce(l.last_contacted_at, l.created_at)
                                       < now() - make_interval(days => s.rotting_days)),
                count(*)
         from leads l join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
         where l.organization_id = $1 and not (s.is_won or s.is_lost)",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("rotting share");
    let share = rotting as f64 / open as f64;
    assert!(
        (0.15..=0.40).contains(&share),
        "{rotting} of {open} open leads rot"
    );

    // Close dates spread over the last year: the period totals differ.
    let (month, year, all): (i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where closed_on >= date_trunc('month', current_date)),
                count(*) filter (where closed_on >= current_date - 365),
                count(*)
         from deals where organization_id = $1 and status = 'won'",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("spread");
    assert!(
        0 < month && month < year && year <= all,
        "{month} / {year} / {all}"
    );
}
