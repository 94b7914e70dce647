//! The filtered headers' rows (`stage_filter_deltas`, migration 0033) rebuilt from the data:
//! the seed writes without triggers, so it recomputes them with the headers' own rows.

use color_eyre::eyre::Result;
use uuid::Uuid;

/// One row per stage and owner, one per stage and facet (each score, each tag, each next step and
/// last-touch day: migrations 0049 and 0050), and as many
/// for the open deals, per currency.
pub async fn recompute_filter_summaries(
    conn: &mut sqlx::PgConnection,
    organization_id: Uuid,
) -> Result<()> {
    sqlx::query("delete from stage_filter_deltas where organization_id = $1")
        .bind(organization_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count, open_deal_amount, weighted_deal_amount, currency)
         with open_deals as (
             select d.lead_id, d.currency, sum(d.amount) amount, sum(d.amount * d.probability / 100.0) weighted
             from deals d where d.organization_id = $1 and d.status = 'open' group by d.lead_id, d.currency
         ), facets as (
             select l.id, l.stage_id, 'score:' || l.score facet from leads l where l.organization_id = $1
             union all
             select l.id, l.stage_id, 'tag:' || g.tag from lead_tags g
             join leads l on l.organization_id = g.organization_id and l.id = g.lead_id
             where g.organization_id = $1
             union all
             select l.id, l.stage_id, closer.touch_facet(coalesce(l.last_contacted_at, l.created_at))
             from leads l where l.organization_id = $1
             union all
             select l.id, l.stage_id, closer.next_facet(coalesce(n.open, 0), n.first_due)
             from leads l left join (
                 select t.lead_id, count(*) open, min(t.due_date) first_due from lead_tasks t
                 where t.organization_id = $1 and t.status in ('pending', 'overdue') group by t.lead_id
             ) n on n.lead_id = l.id
             where l.organization_id = $1
         )
         select $1, l.stage_id, l.assigned_to, null, count(*), 0, 0, null
         from leads l where l.organization_id = $1 group by l.stage_id, l.assigned_to
         union all
         select $1, l.stage_id, l.assigned_to, null, 0, sum(o.amount), sum(o.weighted), o.currency
         from open_deals o join leads l on l.organization_id = $1 and l.id = o.lead_id
         group by l.stage_id, l.assigned_to, o.currency
         union all
         select $1, f.stage_id, null, f.facet, count(*), 0, 0, null from facets f group by f.stage_id, f.facet
         union all
         select $1, f.stage_id, null, f.facet, 0, sum(o.amount), sum(o.weighted), o.currency
         from facets f join open_deals o on o.lead_id = f.id group by f.stage_id, f.facet, o.currency",
    )
    .bind(organization_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
