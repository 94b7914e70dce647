//! A lead's owner and contact for the board and the lead screen (issue 12: owner and
//! lifecycle). Deleting is `PgStore::delete_lead` (data/script.rs), shared with the CLI.

use serde_json::json;
use sqlx::Row;
use uuid::Uuid;

use crate::data::DataError;
use crate::data::outcome::retrying;
use crate::data::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

/// The same version-checked `closer.update_lead` the lead form uses: the owner column and the
/// `lead_updated` activity in one statement.
const CHANGE_OWNER_SQL: &str = "select version from closer.update_lead($1, $2, $3, jsonb_build_object('assigned_to', $4::uuid), '{}'::jsonb, $5)";

const LEAD_EXISTS_SQL: &str = "select 1 from leads where organization_id = $1 and id = $2";

const CONTACT_SQL: &str =
    "select email, coalesce(nullif(btrim(phone), ''), nullif(btrim(mobile), '')) as phone
     from leads where organization_id = $1 and id = $2";

/// A lead's e-mail and phone (the mobile when there is no phone), blanks as `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl PgStore {
    /// Gives the lead to `to` (a member of the organization) if it is still at
    /// `expected_version`; returns the new version. `Conflict` when someone changed it meanwhile,
    /// `NotFound` when it is gone or invisible. Never retried (a write).
    pub async fn change_owner(
        &self,
        lead_id: Uuid,
        expected_version: i32,
        to: Uuid,
    ) -> Result<i32> {
        let version: Option<i32> = sqlx::query_scalar(CHANGE_OWNER_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(expected_version)
            .bind(to)
            .bind(json!(["assigned_to"]))
            .fetch_optional(self.pool())
            .await?;
        if let Some(version) = version {
            return Ok(version);
        }
        let exists = sqlx::query(LEAD_EXISTS_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .fetch_optional(self.pool())
            .await?;
        Err(match exists {
            Some(_) => DataError::Conflict,
            None => DataError::NotFound,
        })
    }

    /// The lead's e-mail and phone, for copying. `NotFound` if gone or invisible.
    pub async fn lead_contact(&self, lead_id: Uuid) -> Result<Contact> {
        retrying(|| async {
            let row = sqlx::query(CONTACT_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .fetch_optional(self.pool())
                .await?
                .ok_or(DataError::NotFound)?;
            let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
            Ok(Contact {
                email: blank(row.try_get("email")?),
                phone: blank(row.try_get("phone")?),
            })
        })
        .await
    }
}
