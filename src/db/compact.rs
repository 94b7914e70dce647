//! `closer admin compact`: rewrites the tables every write appends to and the folds empty (the
//! header and filter deltas), so they hold only their live rows again. A busy floor, or a long
//! transaction that kept vacuum from reusing their space, leaves them many times their live
//! size, one live row a page, and every header or filter read scans all of it.

use color_eyre::eyre::{Result, WrapErr};
use sqlx::{AssertSqlSafe, PgPool};

/// The tables whose rows writers insert and folds delete, in the order they are rewritten.
pub const CHURNING_TABLES: [&str; 2] = ["stage_summary_deltas", "stage_filter_deltas"];

/// One table's size (table, indexes and TOAST) before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compacted {
    pub table: &'static str,
    pub bytes_before: i64,
    pub bytes_after: i64,
}

/// Rewrites each of [`CHURNING_TABLES`] (`VACUUM (FULL, ANALYZE)`). Each holds an exclusive lock
/// while it is rewritten (its live rows are a few per stage and facet: well under a second),
/// so writers wait that long; the lock is only waited for `lock_wait`, so a long transaction
/// makes this fail instead of stalling every writer queued behind it.
pub async fn compact(pool: &PgPool, lock_wait: std::time::Duration) -> Result<Vec<Compacted>> {
    super::admin::require_superuser(pool, "compact", "it rewrites Closer's tables").await?;
    let mut conn = pool.acquire().await?;
    let millis = lock_wait.as_millis().max(1);
    sqlx::raw_sql(AssertSqlSafe(format!("set lock_timeout = {millis}")))
        .execute(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(CHURNING_TABLES.len());
    for table in CHURNING_TABLES {
        let size = format!("select pg_total_relation_size('public.{table}'::regclass)");
        let bytes_before: i64 = sqlx::query_scalar(AssertSqlSafe(size.clone()))
            .fetch_one(&mut *conn)
            .await?;
        sqlx::raw_sql(AssertSqlSafe(format!("vacuum (full, analyze) public.{table}")))
            .execute(&mut *conn)
            .await
            .map_err(|e| match e.as_database_error().and_then(|d| d.code()) {
                Some(code) if code == "55P03" => color_eyre::eyre::eyre!(
                    "{table} is in use by a long transaction, so it was left as it was; try again when that transaction has ended"
                ),
                _ => color_eyre::eyre::Report::new(e),
            })
            .wrap_err_with(|| format!("could not compact {table}"))?;
        let bytes_after: i64 = sqlx::query_scalar(AssertSqlSafe(size))
            .fetch_one(&mut *conn)
            .await?;
        out.push(Compacted {
            table,
            bytes_before,
            bytes_after,
        });
    }
    sqlx::raw_sql("reset lock_timeout")
        .execute(&mut *conn)
        .await?;
    Ok(out)
}
