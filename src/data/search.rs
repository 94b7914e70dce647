//! Search that finds what a person means: accents, case, word order and one typo in names do
//! not matter; names, companies, e-mails, phone digits, tags and the text of interactions and
//! task notes are searched, best matches first, each saying where it matched. The work is
//! `closer.find_leads` (migration 0008: why it is a function, and why its indexes are usable by
//! nobody else).

use super::DataError;
use super::models::SearchHit;
use super::outcome::retrying as read_retrying;
use super::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

/// Longest query sent: the function reads the first 200 characters anyway.
const MAX_QUERY_CHARS: usize = 200;

impl PgStore {
    /// The best `limit` (1..=100) leads of this organization for `query`.
    pub async fn find_leads(&self, query: &str, limit: i64) -> Result<Vec<SearchHit>> {
        // Control characters (NUL above all: PostgreSQL text cannot hold it) are never searched for.
        let query: String = query
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_QUERY_CHARS)
            .collect();
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        read_retrying(|| self.find_leads_once(query, limit)).await
    }

    async fn find_leads_once(&self, query: &str, limit: i64) -> Result<Vec<SearchHit>> {
        Ok(sqlx::query_as::<_, SearchHit>(
            "select id, name, company, stage_id, matched, snippet from closer.find_leads($1, $2, $3)",
        )
        .bind(self.organization_id())
        .bind(query)
        .bind(limit.clamp(1, 100) as i32)
        .fetch_all(&self.pool)
        .await?)
    }
}
