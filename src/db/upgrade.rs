//! Repairs an older database needs before the migrations run: what a landed migration could
//! not do itself (migrations are append-only, so it stays as it landed).

use color_eyre::eyre::{Result, WrapErr};
use sqlx::PgPool;

/// Migration 0007 merges a lead's tag spellings (`VIP`, `vip`) and then adds a unique index on
/// `lower(tag)`; its merge runs as `closer_owner`, which forced row security shows no rows, so on
/// a database holding both spellings the index failed. Merged here first, as the admin, while
/// 0007 is still to come (migrations are append-only: 0007 itself stays as it landed).
pub(super) async fn merge_tag_spellings_before_0007(pool: &PgPool) -> Result<()> {
    let has_history: bool = sqlx::query_scalar(
        "select to_regclass('public._sqlx_migrations') is not null
            and to_regclass('public.lead_tags') is not null",
    )
    .fetch_one(pool)
    .await?;
    if !has_history {
        return Ok(());
    }
    let applied: bool =
        sqlx::query_scalar("select exists (select from _sqlx_migrations where version = 7)")
            .fetch_one(pool)
            .await?;
    if applied {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    // Derived cleanup, not an edit: no version bump, no activity, no notification.
    for statement in [
        "ALTER TABLE lead_tags DISABLE TRIGGER USER",
        "DELETE FROM lead_tags g USING lead_tags keep
         WHERE keep.organization_id = g.organization_id AND keep.lead_id = g.lead_id
           AND lower(keep.tag) = lower(g.tag)
           AND (keep.created_at, keep.id) < (g.created_at, g.id)",
        "UPDATE lead_tags g SET tag = first.tag
         FROM (SELECT DISTINCT ON (organization_id, lower(tag)) organization_id,
                      lower(tag) AS key, tag
               FROM lead_tags ORDER BY organization_id, lower(tag), created_at, id) first
         WHERE g.organization_id = first.organization_id AND lower(g.tag) = first.key
           AND g.tag <> first.tag",
        "ALTER TABLE lead_tags ENABLE TRIGGER USER",
    ] {
        sqlx::query(statement)
            .execute(&mut *tx)
            .await
            .wrap_err("merging tag spellings before migration 0007 failed")?;
    }
    tx.commit().await?;
    Ok(())
}
