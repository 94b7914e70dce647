//! The filtered headers' rows (`stage_filter_deltas`, migration 0033) rebuilt from the data:
//! the seed writes without triggers, so it recomputes them with the headers' own rows.

use color_eyre::eyre::Result;
use uuid::Uuid;

/// One row per stage and owner, one per stage and facet (each score, each tag, each next step,
/// last-touch day and source: migrations 0049, 0050 and 0051), and as many for the open deals,
/// per currency.
pub async fn recompute_filter_summaries(
    conn: &mut sqlx::PgConnection,
    organization_id: Uuid,
) -> Result<()> {
    sqlx::query("delete from stage_filter_deltas where organization_id = $1")
        .bind(organization_id)
        .execute(&mut *conn)
        .await?;
    // One pass over the leads for the owner, score, touch and next-step rows (grouping sets)
    // and one over the open deals with their lead's keys, instead of a union of one row per
    // lead and facet (4M at 1M leads) joined to the deals; the tags beside.
    sqlx::query(
        "insert into stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count, open_deal_amount, weighted_deal_amount, currency)
         with open_deals as (
             select d.lead_id, d.currency, sum(d.amount) amount, sum(d.amount * d.probability / 100.0) weighted
             from deals d where d.organization_id = $1 and d.status = 'open' group by d.lead_id, d.currency
         ), next as (
             select t.lead_id, count(*) open, min(closer.task_step(t.due_date, t.due_time) collate \"C\") first_step
             from lead_tasks t
             where t.organization_id = $1 and t.status in ('pending', 'overdue') group by t.lead_id
         ), keyed as materialized (
             select l.id, l.stage_id, l.assigned_to, 'score:' || l.score score,
                    closer.touch_facet(coalesce(l.last_contacted_at, l.created_at)) touch,
                    closer.next_facet(coalesce(n.open, 0), n.first_step) next, closer.source_facet(l.source) source
             from leads l left join next n on n.lead_id = l.id
             where l.organization_id = $1
         ), tags as (
             select l.id, l.stage_id, 'tag:' || g.tag facet from lead_tags g
             join leads l on l.organization_id = g.organization_id and l.id = g.lead_id
             where g.organization_id = $1
         ), rows as (
             select k.stage_id, k.assigned_to, k.score, k.touch, k.next, k.source, null::text currency,
                    grouping(k.assigned_to) by_owner, count(*) n, 0::numeric amount, 0::numeric weighted
             from keyed k
             group by grouping sets ((k.stage_id, k.assigned_to), (k.stage_id, k.score),
                                     (k.stage_id, k.touch), (k.stage_id, k.next), (k.stage_id, k.source))
             union all
             select k.stage_id, k.assigned_to, k.score, k.touch, k.next, k.source, o.currency,
                    grouping(k.assigned_to), 0, sum(o.amount), sum(o.weighted)
             from open_deals o join keyed k on k.id = o.lead_id
             group by grouping sets ((k.stage_id, k.assigned_to, o.currency), (k.stage_id, k.score, o.currency),
                                     (k.stage_id, k.touch, o.currency), (k.stage_id, k.next, o.currency),
                                     (k.stage_id, k.source, o.currency))
         )
         select $1, r.stage_id, case when r.by_owner = 0 then r.assigned_to end,
                case when r.by_owner = 0 then null else coalesce(r.score, r.touch, r.next, r.source) end,
                r.n, r.amount, r.weighted, r.currency
         from rows r
         union all
         select $1, t.stage_id, null, t.facet, count(*), 0, 0, null from tags t group by t.stage_id, t.facet
         union all
         select $1, t.stage_id, null, t.facet, 0, sum(o.amount), sum(o.weighted), o.currency
         from tags t join open_deals o on o.lead_id = t.id group by t.stage_id, t.facet, o.currency",
    )
    .bind(organization_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
