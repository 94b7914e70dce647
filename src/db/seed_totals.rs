//! The board's header totals of one organization rebuilt from its rows (after a seed or a demo
//! reset): what the delta triggers would have written, folded; and after a seed, the insights fold
//! and the search's name words.

use std::time::Instant;

use color_eyre::eyre::{Result, WrapErr};
use sqlx::PgPool;
use uuid::Uuid;

/// Rebuilds the board totals of one organization from the rows: one delta row per stage, and
/// per stage, currency and status, month closed.
pub async fn recompute_stage_summaries(
    conn: &mut sqlx::PgConnection,
    organization_id: Uuid,
) -> Result<()> {
    sqlx::query("delete from stage_summary_deltas where organization_id = $1")
        .bind(organization_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into stage_summary_deltas (organization_id, stage_id, lead_count, open_deal_amount, weighted_deal_amount,
                                           currency, closed_status, closed_month, closed_deal_count, closed_deal_amount)
         select s.organization_id, s.id, coalesce(l.n, 0), 0, 0, null, null, null, 0, 0
         from pipeline_stages s
         left join (select stage_id, count(*) n from leads where organization_id = $1 group by stage_id) l on l.stage_id = s.id
         where s.organization_id = $1
         union all
         select l.organization_id, l.stage_id, 0,
                coalesce(sum(d.amount) filter (where d.status = 'open'), 0),
                coalesce(sum(d.amount * d.probability / 100.0) filter (where d.status = 'open'), 0),
                d.currency, nullif(d.status, 'open'), closed.month,
                count(*) filter (where d.status <> 'open'),
                coalesce(sum(d.amount) filter (where d.status <> 'open'), 0)
         from deals d join leads l on l.organization_id = d.organization_id and l.id = d.lead_id
         cross join lateral (select case when d.status <> 'open' then date_trunc('month', d.closed_on)::date end as month) closed
         where d.organization_id = $1 and (d.status = 'open' or d.closed_on is not null)
         group by l.organization_id, l.stage_id, d.currency, d.status, closed.month",
    )
    .bind(organization_id)
    .execute(&mut *conn)
    .await?;
    super::seed_filters::recompute_filter_summaries(conn, organization_id).await?;
    Ok(())
}

/// The board's header and filter totals and the insights deal, call and task rollups (the seed
/// writes with triggers off), and on another connection the insights stay rollups (migration
/// 0031: folded now, not on a rep's first read).
pub(super) async fn derive_totals_and_fold(pool: &PgPool, organization_id: Uuid) -> Result<()> {
    let started = Instant::now();
    let totals = async {
        let mut conn = super::seed::prepared_connection(pool).await?;
        recompute_stage_summaries(&mut conn, organization_id).await?;
        learn_name_words(&mut conn, organization_id).await?;
        super::seed_insights::rebuild_insights_facts(pool, organization_id).await?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "seed totals recomputed"
        );
        Ok::<(), color_eyre::eyre::Report>(())
    };
    let fold = async {
        // Triggers off like the fill: the million open-stay rows it writes skip their
        // foreign-key checks (the organization exists; 2 s of the fold at 1M leads).
        let mut conn = super::seed::prepared_connection(pool).await?;
        // Statistics first: the fold's joins and aggregates over just-written tables were
        // planned blind (VACUUM (ANALYZE) runs only at the very end).
        sqlx::query("ANALYZE public.stage_history, public.leads")
            .execute(&mut conn)
            .await?;
        sqlx::query("SELECT closer_insights.compact($1, true)")
            .bind(organization_id)
            .execute(&mut conn)
            .await
            .wrap_err("seeding failed while folding the insights rollups")?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "seed insights folded"
        );
        Ok(())
    };
    let (totals, fold) = tokio::join!(totals, fold);
    totals.and(fold)
}

/// The spelling tier's dictionary (migration 0062): the words of the seeded names that the
/// leads' insert trigger would have added (the seed writes with triggers off).
async fn learn_name_words(conn: &mut sqlx::PgConnection, organization_id: Uuid) -> Result<()> {
    sqlx::query(
        "select closer_find.learn(array_agg(l.organization_id), array_agg(l.name))
         from leads l where l.organization_id = $1",
    )
    .bind(organization_id)
    .execute(conn)
    .await
    .wrap_err("seeding failed while collecting the name words of the search")?;
    Ok(())
}
