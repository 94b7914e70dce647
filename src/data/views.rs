//! Saved views: named filters (the filter language's text) with a sort and a pipeline, a
//! person's own or shared with the organization by a manager. Read through RLS; written by the
//! `closer.*_view` functions of migration 0008, which only touch the caller's own views.

use sqlx::Row;
use uuid::Uuid;

use super::DataError;
use super::models::BoardSort;
use super::outcome::retrying as read_retrying;
use super::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

#[derive(Debug, Clone, PartialEq)]
pub struct SavedView {
    pub id: Uuid,
    pub name: String,
    /// Filter text; parse it with `filter::parse` (it may predate a language change).
    pub filter: String,
    pub sort: BoardSort,
    pub descending: bool,
    pub pipeline_id: Option<Uuid>,
    pub shared: bool,
    pub is_default: bool,
    /// The caller's own view (others' shared views are read-only).
    pub mine: bool,
}

/// One change to a saved view from the view picker (issue 12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewOp {
    Rename {
        view: Uuid,
        name: String,
    },
    Delete {
        view: Uuid,
    },
    /// Managers and admins: share with the organization (`true`) or take back.
    Share {
        view: Uuid,
        share: bool,
    },
    /// The caller's start view (`None`: none).
    Default {
        view: Option<Uuid>,
    },
}

fn sort_name(sort: BoardSort) -> &'static str {
    sort.key_name()
}

/// The key only (descending); the view's `descending` says which way.
fn sort_of(name: &str) -> BoardSort {
    match name {
        "last contact" => BoardSort::LastContact,
        "newest" => BoardSort::Newest,
        _ => BoardSort::Score,
    }
}

impl PgStore {
    /// The caller's views and the organization's shared ones: own first, then by name.
    pub async fn saved_views(&self) -> Result<Vec<SavedView>> {
        read_retrying(|| self.saved_views_once()).await
    }

    async fn saved_views_once(&self) -> Result<Vec<SavedView>> {
        let rows = sqlx::query(
            "select id, name, filter, sort, descending, pipeline_id, shared, is_default, owner_id = $2 as mine
             from saved_views where organization_id = $1
             order by owner_id = $2 desc, lower(name), id limit 500",
        )
        .bind(self.organization_id())
        .bind(self.me.profile_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let sort: String = r.try_get("sort")?;
                let descending: bool = r.try_get("descending")?;
                Ok(SavedView {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    filter: r.try_get("filter")?,
                    sort: sort_of(&sort),
                    descending,
                    pipeline_id: r.try_get("pipeline_id")?,
                    shared: r.try_get("shared")?,
                    is_default: r.try_get("is_default")?,
                    mine: r.try_get("mine")?,
                })
            })
            .collect()
    }

    /// Saves (or overwrites, by name) one of the caller's views; returns its id.
    pub async fn save_view(
        &self,
        name: &str,
        filter: &crate::filter::Filter,
        sort: BoardSort,
        descending: bool,
        pipeline_id: Option<Uuid>,
    ) -> Result<Uuid> {
        Ok(
            sqlx::query_scalar("select closer.save_view($1, $2, $3, $4, $5, $6)")
                .bind(self.organization_id())
                .bind(name)
                .bind(filter.to_string())
                .bind(sort_name(sort))
                .bind(descending)
                .bind(pipeline_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Whether one of the caller's own views was renamed.
    pub async fn rename_view(&self, view: Uuid, name: &str) -> Result<bool> {
        self.view_call("select closer.rename_view($1, $2, $3)", view, Some(name))
            .await
    }

    pub async fn delete_view(&self, view: Uuid) -> Result<bool> {
        self.view_call("select closer.delete_view($1, $2)", view, None)
            .await
    }

    /// Managers: share one of their views with the organization, or take it back.
    pub async fn share_view(&self, view: Uuid, share: bool) -> Result<bool> {
        Ok(sqlx::query_scalar("select closer.share_view($1, $2, $3)")
            .bind(self.organization_id())
            .bind(view)
            .bind(share)
            .fetch_one(&self.pool)
            .await?)
    }

    /// The caller's start view (`None`: none).
    pub async fn set_default_view(&self, view: Option<Uuid>) -> Result<bool> {
        Ok(sqlx::query_scalar("select closer.set_default_view($1, $2)")
            .bind(self.organization_id())
            .bind(view)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Runs one picker change; `false` when it touched none of the caller's own views.
    pub async fn write_view(&self, op: &ViewOp) -> Result<bool> {
        match op {
            ViewOp::Rename { view, name } => self.rename_view(*view, name).await,
            ViewOp::Delete { view } => self.delete_view(*view).await,
            ViewOp::Share { view, share } => self.share_view(*view, *share).await,
            ViewOp::Default { view } => self.set_default_view(*view).await,
        }
    }

    async fn view_call(&self, sql: &'static str, view: Uuid, name: Option<&str>) -> Result<bool> {
        let query = sqlx::query_scalar(sql)
            .bind(self.organization_id())
            .bind(view);
        let query = match name {
            Some(n) => query.bind(n),
            None => query,
        };
        Ok(query.fetch_one(&self.pool).await?)
    }
}
