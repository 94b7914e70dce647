//! `closer import leads`: checked rows written in batches through `closer.import_leads`
//! (migration 0010), all inside ONE transaction: every batch or none (a dry run rolls back).
//! A batch is one round trip whatever its size; rows are never written one by one.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

use super::DataError;
use super::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

/// Rows per call of `closer.import_leads`: big enough that round trips do not count, small
/// enough that one call stays well inside the import's statement timeout
/// ([`IMPORT_BATCH_TIMEOUT`]). A batch costs about 0.4 ms of server CPU per row at 1M leads
/// (19 indexes on `leads`, three of them trigram; the history trigger and foreign-key checks;
/// authors checked once per statement since 0066): 2,000 rows are about a second warm.
pub const IMPORT_BATCH: usize = 2_000;

/// The least statement timeout of an import's transaction (a PostgreSQL interval).
pub const IMPORT_BATCH_TIMEOUT: &str = "120s";

/// One row as the function reads it (`jsonb_to_recordset`): `None` leaves a stored value alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportRow {
    pub row_no: i32,
    pub id: Option<Uuid>,
    pub external_id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub location: Option<String>,
    pub industry: Option<String>,
    /// `None`: the default stage for a new lead, the current one for an existing lead.
    pub stage_id: Option<Uuid>,
    /// `None`: me for a new lead, unchanged for an existing one.
    pub owner: Option<Uuid>,
    pub source: Option<String>,
    pub lead_source: Option<String>,
    pub score: Option<i32>,
    pub tags: Vec<String>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    /// Kept only on a lead whose stage is lost (as closing does).
    pub lost_reason: Option<String>,
}

/// How an import writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportWrite {
    /// One rejected row and nothing is written.
    AllOrNothing,
    /// The accepted rows are written, rejected ones reported.
    Partial,
    /// Everything is checked and rolled back.
    DryRun,
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImportOutcome {
    pub row_no: i32,
    /// `created`, `updated`, `unchanged`, `skipped` or `rejected`.
    pub action: String,
    pub lead_id: Uuid,
}

impl PgStore {
    /// Writes `rows` (already checked; duplicates inside the file already removed) in batches,
    /// calling `progress` with the rows done after each. `on_duplicate`: skip, update or create.
    /// All or nothing: a row the database rejects (a lost lead without a reason) rolls every
    /// batch back at the end, so the report still names every rejected row.
    pub async fn import_leads(
        &self,
        rows: &[ImportRow],
        default_stage: Uuid,
        on_duplicate: &str,
        write: ImportWrite,
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<ImportOutcome>> {
        let mut tx = self.pool().begin().await?;
        // A batch can need far longer than an interactive statement: 2,000 rows into a 1M-lead
        // database whose pages had left the cache took more than the default 15 s (every index
        // leaf read from disk). A disabled or longer timeout stays as configured.
        sqlx::query(
            "select set_config('statement_timeout', $1, true)
             where current_setting('statement_timeout')::interval > interval '0'
               and current_setting('statement_timeout')::interval < $1::interval",
        )
        .bind(IMPORT_BATCH_TIMEOUT)
        .execute(&mut *tx)
        .await?;
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut refused = false;
        for batch in rows.chunks(IMPORT_BATCH) {
            let done: Vec<ImportOutcome> = sqlx::query_as(
                "select row_no, action, lead_id from closer.import_leads($1, $2, $3, $4)",
            )
            .bind(self.organization_id())
            .bind(Json(batch))
            .bind(default_stage)
            .bind(on_duplicate)
            .fetch_all(&mut *tx)
            .await?;
            refused |= done.iter().any(|o| o.action == "rejected");
            outcomes.extend(done);
            progress(outcomes.len());
        }
        if write == ImportWrite::DryRun || (refused && write == ImportWrite::AllOrNothing) {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(outcomes)
    }
}
