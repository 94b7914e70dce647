//! The organization's recent lost reasons, offered by number in the closing popup (issue 10):
//! the most used `leads.lost_reason` values of the last 90 days, top 8. Read as the member (RLS
//! decides which leads count) and bounded: the newest `SCANNED` leads with a reason, one range
//! of `leads_lost_reason_recent_idx` (migration 0012), then counted.

use super::DataError;
use super::outcome::retrying as read_retrying;
use super::store::PgStore;

/// How many reasons the popup lists.
pub const RECENT_REASONS: i64 = 8;
/// How many lost leads the count looks at, at most.
pub const SCANNED: i64 = 5000;

pub const RECENT_REASONS_SQL: &str = "
    select r.reason from (
        select btrim(l.lost_reason) as reason
        from leads l
        where l.organization_id = $1 and l.lost_reason is not null
          and l.updated_at >= now() - interval '90 days'
        order by l.updated_at desc
        limit $3
    ) r
    where r.reason <> ''
    group by r.reason
    order by count(*) desc, r.reason
    limit $2";

impl PgStore {
    /// Most used lost reasons of the last 90 days, most used first (ties by name).
    pub async fn recent_lost_reasons(&self) -> Result<Vec<String>, DataError> {
        read_retrying(|| async move {
            Ok(sqlx::query_scalar::<_, String>(RECENT_REASONS_SQL)
                .bind(self.organization_id())
                .bind(RECENT_REASONS)
                .bind(SCANNED)
                .fetch_all(&self.pool)
                .await?)
        })
        .await
    }
}
