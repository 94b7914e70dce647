//! What a failed read or an empty write means, shared by every store family: a read that hit a
//! dropped connection is tried once more; a version-checked write that touched nothing is told
//! apart as a lost race ([`DataError::Conflict`]) or a gone/invisible row ([`DataError::NotFound`]).

use std::future::Future;
use std::time::Duration;

use uuid::Uuid;

use super::DataError;
use super::store::{POOL_SIZE, PgStore};

type Result<T> = std::result::Result<T, DataError>;

/// Reads are idempotent, so a read that failed on a dropped connection is tried again. Pools do
/// not ping before handing a connection out (one round trip per action), so after a server restart
/// every idle connection is dead: each failed attempt discards one (sqlx drops a connection whose
/// release fails), and a fresh one is reached after at most the pool's size of attempts.
/// Never wrap a write in this: the outcome of a dropped write is unknown.
pub(crate) async fn retrying<T, F, Fut>(read: F) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 1;
    loop {
        match read().await {
            Err(err) if err.is_connection() && attempt <= POOL_SIZE => {
                tracing::info!("read failed on a dropped connection, retrying: {err}");
                let pause = if attempt == 1 { 200 } else { 20 };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The tables whose rows carry a `version` checked by writes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Versioned {
    Tasks,
    Deals,
}

impl PgStore {
    /// A version-checked write touched nothing: `Conflict` if the row is still there (so its
    /// version moved), `NotFound` if it is gone or invisible.
    pub(crate) async fn conflict_or_gone(&self, table: Versioned, id: Uuid) -> DataError {
        let sql = match table {
            Versioned::Tasks => {
                "select exists (select 1 from lead_tasks where organization_id = $1 and id = $2)"
            }
            Versioned::Deals => {
                "select exists (select 1 from deals where organization_id = $1 and id = $2)"
            }
        };
        match sqlx::query_scalar::<_, bool>(sql)
            .bind(self.organization_id())
            .bind(id)
            .fetch_one(self.pool())
            .await
        {
            Ok(true) => DataError::Conflict,
            Ok(false) => DataError::NotFound,
            Err(e) => e.into(),
        }
    }
}
