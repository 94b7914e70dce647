//! Stage history for seeded leads (the seed writes with triggers off, so `stage_history` stays
//! empty): each lead walks its pipeline's open stages up to where it stands (won leads through
//! all of them, lost leads drop out part-way), one in ten goes back a stage and forward again.
//! Closed deals get the day their lead closed and lost leads a reason, so insights have history.
//! Set-based and deterministic (hashes of the lead id); leads that already have history are skipped.

use color_eyre::eyre::{Result, WrapErr};
use uuid::Uuid;

const HISTORY_SQL: &str = "WITH st AS (
         SELECT s.pipeline_id,
                array_agg(s.id ORDER BY s.order_index) FILTER (WHERE NOT s.is_won AND NOT s.is_lost) AS open_ids
         FROM pipeline_stages s WHERE s.organization_id = $1 GROUP BY 1
     ), base AS (
         SELECT l.id, l.stage_id, l.created_at, l.assigned_to, s.is_won, s.is_lost,
                coalesce(st.open_ids, '{}') AS open_ids, abs(hashtext(l.id::text)) AS h
         FROM leads l
         JOIN pipeline_stages s ON s.organization_id = l.organization_id AND s.id = l.stage_id
         JOIN st ON st.pipeline_id = s.pipeline_id
         WHERE l.organization_id = $1
           AND NOT EXISTS (SELECT 1 FROM stage_history h WHERE h.organization_id = $1 AND h.lead_id = l.id)
     ), walked AS (
         SELECT b.*, CASE
                WHEN b.is_won THEN b.open_ids || b.stage_id
                WHEN b.is_lost AND cardinality(b.open_ids) > 0
                    THEN b.open_ids[1:1 + b.h % cardinality(b.open_ids)] || b.stage_id
                WHEN array_position(b.open_ids, b.stage_id) IS NOT NULL
                    THEN b.open_ids[1:array_position(b.open_ids, b.stage_id)]
                ELSE ARRAY[b.stage_id] END AS path
         FROM base b
     ), paths AS (
         SELECT w.id, w.created_at, w.assigned_to,
                CASE WHEN (w.h / 7) % 10 = 0 AND cardinality(w.path) >= 3
                     THEN w.path[1:cardinality(w.path) - 1] || w.path[cardinality(w.path) - 2]
                          || w.path[cardinality(w.path) - 1] || w.path[cardinality(w.path)]
                     ELSE w.path END AS path,
                (now() - w.created_at) * 0.9 AS span
         FROM walked w
     )
     INSERT INTO stage_history (organization_id, lead_id, from_stage_id, to_stage_id, entered_at, left_at,
                                next_stage_id, changed_by)
     SELECT $1, p.id, CASE WHEN g.i > 1 THEN p.path[g.i - 1] END, p.path[g.i],
            p.created_at + p.span * ((g.i - 1)::float8 / cardinality(p.path)),
            CASE WHEN g.i < cardinality(p.path) THEN p.created_at + p.span * (g.i::float8 / cardinality(p.path)) END,
            CASE WHEN g.i < cardinality(p.path) THEN p.path[g.i + 1] END,
            p.assigned_to
     FROM paths p CROSS JOIN LATERAL generate_series(1, cardinality(p.path)) g(i)";

const CLOSED_ON_SQL: &str = "UPDATE deals d SET closed_on = (h.entered_at AT TIME ZONE 'UTC')::date
     FROM stage_history h
     WHERE d.organization_id = $1 AND h.organization_id = $1 AND h.lead_id = d.lead_id
       AND h.left_at IS NULL AND d.status <> 'open' AND d.closed_on IS NULL";

const LOST_REASON_SQL: &str = "UPDATE leads l
     SET lost_reason = (ARRAY['Price too high', 'Chose a competitor', 'No budget', 'Bad timing', 'Stopped answering',
                              'Wrong location'])[1 + (abs(hashtext(l.id::text)) / 3) % 6]
     FROM pipeline_stages s
     WHERE l.organization_id = $1 AND s.organization_id = $1 AND s.id = l.stage_id AND s.is_lost
       AND l.lost_reason IS NULL";

/// Fills the history of an organization's leads that have none; returns the rows written.
pub async fn seed_history(conn: &mut sqlx::PgConnection, organization_id: Uuid) -> Result<u64> {
    let rows = sqlx::query(HISTORY_SQL)
        .bind(organization_id)
        .execute(&mut *conn)
        .await
        .wrap_err("seeding the stage history failed")?
        .rows_affected();
    for (what, sql) in [
        ("closing days", CLOSED_ON_SQL),
        ("lost reasons", LOST_REASON_SQL),
    ] {
        sqlx::query(sql)
            .bind(organization_id)
            .execute(&mut *conn)
            .await
            .wrap_err_with(|| format!("seeding {what} failed"))?;
    }
    // Statistics and the visibility map, so insights read index-only at once.
    sqlx::query("VACUUM (ANALYZE) public.stage_history")
        .execute(&mut *conn)
        .await
        .wrap_err("VACUUM (ANALYZE) of the stage history failed")?;
    Ok(rows)
}
