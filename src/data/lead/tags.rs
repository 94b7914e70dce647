//! The organization's tags, for completion in the tag editor (most used first, bounded).

use crate::data::{DataError, PgStore};

/// Tags offered at most.
const TAG_LIMIT: i64 = 200;

impl PgStore {
    /// The tags the organization uses, one spelling each (migration 0007), most used first.
    pub async fn organization_tags(&self) -> Result<Vec<String>, DataError> {
        let tags: Vec<String> = sqlx::query_scalar(
            "select tag from lead_tags where organization_id = $1
             group by tag order by count(*) desc, tag limit $2",
        )
        .bind(self.organization_id())
        .bind(TAG_LIMIT)
        .fetch_all(self.pool())
        .await?;
        Ok(tags)
    }
}
