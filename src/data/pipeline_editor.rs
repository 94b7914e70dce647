//! The pipeline editor's reads and writes (migration 0009). Every write is one call of a
//! `closer.*` function, refused by the database for reps; the notify triggers of pipelines and
//! stages tell every board to reload.

use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use super::DataError;
use super::outcome::retrying;
use super::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

/// One pipeline as the editor lists it (archived ones too).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineInfo {
    pub id: Uuid,
    pub name: String,
    pub is_default: bool,
    pub archived: bool,
}

/// A stage with every setting the editor changes.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct StageSettings {
    pub id: Uuid,
    pub name: String,
    pub order_index: i32,
    pub color: String,
    pub is_won: bool,
    pub is_lost: bool,
    pub default_probability: Option<i32>,
    pub rotting_days: Option<i32>,
}

/// A change to one stage; `None` leaves the setting alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageChange {
    pub name: Option<String>,
    pub color: Option<String>,
    pub is_won: Option<bool>,
    pub is_lost: Option<bool>,
    /// `Some(None)` clears it.
    pub default_probability: Option<Option<i32>>,
    pub rotting_days: Option<Option<i32>>,
}

impl StageChange {
    fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        if let Some(name) = &self.name {
            map.insert("name".into(), name.clone().into());
        }
        if let Some(color) = &self.color {
            map.insert("color".into(), color.clone().into());
        }
        if let Some(won) = self.is_won {
            map.insert("is_won".into(), won.into());
        }
        if let Some(lost) = self.is_lost {
            map.insert("is_lost".into(), lost.into());
        }
        if let Some(p) = self.default_probability {
            map.insert("default_probability".into(), p.into());
        }
        if let Some(r) = self.rotting_days {
            map.insert("rotting_days".into(), r.into());
        }
        serde_json::Value::Object(map)
    }
}

impl PgStore {
    pub async fn editor_pipelines(&self) -> Result<Vec<PipelineInfo>> {
        retrying(|| async {
            let rows = sqlx::query(
                "select id, name, is_default, archived_at is not null as archived from pipelines
                 where organization_id = $1 order by archived_at is not null, is_default desc, name",
            )
            .bind(self.organization_id())
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(PipelineInfo {
                        id: r.try_get("id")?,
                        name: r.try_get("name")?,
                        is_default: r.try_get("is_default")?,
                        archived: r.try_get("archived")?,
                    })
                })
                .collect()
        })
        .await
    }

    pub async fn stage_settings(&self, pipeline_id: Uuid) -> Result<Vec<StageSettings>> {
        retrying(|| async {
            Ok(sqlx::query_as::<_, StageSettings>(
                "select id, name, order_index, color, is_won, is_lost, default_probability, rotting_days
                 from pipeline_stages where organization_id = $1 and pipeline_id = $2 order by order_index",
            )
            .bind(self.organization_id())
            .bind(pipeline_id)
            .fetch_all(&self.pool)
            .await?)
        })
        .await
    }

    pub async fn create_pipeline(&self, name: &str, stage_names: &[String]) -> Result<Uuid> {
        Ok(
            sqlx::query_scalar("select closer.create_pipeline($1, $2, $3)")
                .bind(self.organization_id())
                .bind(name)
                .bind(stage_names)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn rename_pipeline(&self, pipeline_id: Uuid, name: &str) -> Result<()> {
        let changed: bool = sqlx::query_scalar("select closer.rename_pipeline($1, $2, $3)")
            .bind(self.organization_id())
            .bind(pipeline_id)
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        found(changed)
    }

    pub async fn archive_pipeline(&self, pipeline_id: Uuid, archived: bool) -> Result<()> {
        let changed: bool = sqlx::query_scalar("select closer.archive_pipeline($1, $2, $3)")
            .bind(self.organization_id())
            .bind(pipeline_id)
            .bind(archived)
            .fetch_one(&self.pool)
            .await?;
        found(changed)
    }

    pub async fn add_stage(
        &self,
        pipeline_id: Uuid,
        name: &str,
        color: Option<&str>,
    ) -> Result<Uuid> {
        let id: Option<Uuid> = sqlx::query_scalar("select closer.add_stage($1, $2, $3, $4)")
            .bind(self.organization_id())
            .bind(pipeline_id)
            .bind(name)
            .bind(color)
            .fetch_one(&self.pool)
            .await?;
        id.ok_or(DataError::NotFound)
    }

    pub async fn update_stage(&self, stage_id: Uuid, change: &StageChange) -> Result<i32> {
        let version: Option<i32> = sqlx::query_scalar("select closer.update_stage($1, $2, $3)")
            .bind(self.organization_id())
            .bind(stage_id)
            .bind(change.to_json())
            .fetch_one(&self.pool)
            .await?;
        version.ok_or(DataError::NotFound)
    }

    /// The whole new order in one round trip; returns how many stages changed position.
    pub async fn reorder_stages(&self, pipeline_id: Uuid, stage_ids: &[Uuid]) -> Result<i32> {
        Ok(
            sqlx::query_scalar("select closer.reorder_stages($1, $2, $3)")
                .bind(self.organization_id())
                .bind(pipeline_id)
                .bind(stage_ids)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Deletes a stage after moving its leads to `move_to` (logged on each); returns how many moved.
    pub async fn delete_stage(&self, stage_id: Uuid, move_to: Uuid) -> Result<i32> {
        Ok(sqlx::query_scalar("select closer.delete_stage($1, $2, $3)")
            .bind(self.organization_id())
            .bind(stage_id)
            .bind(move_to)
            .fetch_one(&self.pool)
            .await?)
    }
}

fn found(changed: bool) -> Result<()> {
    if changed {
        Ok(())
    } else {
        Err(DataError::NotFound)
    }
}
