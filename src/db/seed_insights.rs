//! The insights deal, call and task rollups of a freshly seeded organization (migration 0042):
//! the seed writes with triggers off, so no delta was logged; this recomputes the rollups from
//! the tables once at the end, as the admin.

use color_eyre::eyre::{Result, WrapErr};
use sqlx::PgPool;
use uuid::Uuid;

pub async fn rebuild_insights_facts(pool: &PgPool, organization_id: Uuid) -> Result<()> {
    sqlx::query("SELECT closer_insights.rebuild_facts($1)")
        .bind(organization_id)
        .execute(pool)
        .await
        .wrap_err("seeding failed while folding the insights deal, call and task rollups")?;
    Ok(())
}
