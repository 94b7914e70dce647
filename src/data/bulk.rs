//! Many leads at once (issue 12, migration 0015): move, reassign, tag or delete the marked leads
//! in one `closer.bulk_*` statement, all or nothing, with the exact undo as one plain value.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::data::DataError;
use crate::data::store::PgStore;

type Result<T> = std::result::Result<T, DataError>;

/// A marked lead and the version its card showed (a teammate's change since refuses the write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marked {
    pub id: Uuid,
    pub version: i32,
}

/// What to do with the marked leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkWrite {
    /// To an open stage of their pipeline.
    Move {
        to_stage: Uuid,
    },
    Assign {
        owner: Uuid,
    },
    Tag {
        tag: String,
        color: String,
    },
    /// Managers and admins only; not undone.
    Delete,
}

/// What `closer.bulk_undo` needs to put every lead back: the database's own payload, untouched,
/// and the words for the status line. A plain value, so any undo history can hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkUndo {
    /// "moved 3 leads to Qualified".
    pub label: String,
    pub payload: Value,
}

/// The result of a bulk write: how many leads it changed (leads already in the target state are
/// left alone), and its undo (none for a delete).
#[derive(Debug, Clone, PartialEq)]
pub struct BulkDone {
    pub changed: usize,
    pub undo: Option<BulkUndo>,
}

fn items(leads: &[Marked]) -> Value {
    Value::Array(
        leads
            .iter()
            .map(|m| json!({ "id": m.id, "version": m.version }))
            .collect(),
    )
}

fn changed_in(payload: &Value) -> usize {
    payload
        .get("leads")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

impl PgStore {
    /// One statement: every marked lead changes, or none does (the error's sentence says which
    /// lead stopped it). `label` names the write for the undo ("moved 3 leads to Won").
    pub async fn bulk_write(
        &self,
        leads: &[Marked],
        write: &BulkWrite,
        label: String,
    ) -> Result<BulkDone> {
        let org = self.organization_id();
        let list = items(leads);
        let payload: Value = match write {
            BulkWrite::Move { to_stage } => {
                sqlx::query_scalar("select closer.bulk_move($1, $2, $3)")
                    .bind(org)
                    .bind(&list)
                    .bind(to_stage)
                    .fetch_one(self.pool())
                    .await?
            }
            BulkWrite::Assign { owner } => {
                sqlx::query_scalar("select closer.bulk_assign($1, $2, $3)")
                    .bind(org)
                    .bind(&list)
                    .bind(owner)
                    .fetch_one(self.pool())
                    .await?
            }
            BulkWrite::Tag { tag, color } => {
                sqlx::query_scalar("select closer.bulk_tag($1, $2, $3, $4)")
                    .bind(org)
                    .bind(&list)
                    .bind(tag)
                    .bind(color)
                    .fetch_one(self.pool())
                    .await?
            }
            BulkWrite::Delete => {
                let done: i32 = sqlx::query_scalar("select closer.bulk_delete($1, $2)")
                    .bind(org)
                    .bind(&list)
                    .fetch_one(self.pool())
                    .await?;
                return Ok(BulkDone {
                    changed: usize::try_from(done).unwrap_or(0),
                    undo: None,
                });
            }
        };
        let changed = changed_in(&payload);
        Ok(BulkDone {
            changed,
            undo: (changed > 0).then_some(BulkUndo { label, payload }),
        })
    }

    /// Puts every lead of `undo` back, or none when a teammate changed one since (the sentence
    /// names it). Returns how many leads were put back.
    pub async fn bulk_undo(&self, undo: &BulkUndo) -> Result<usize> {
        let done: i32 = sqlx::query_scalar("select closer.bulk_undo($1, $2)")
            .bind(self.organization_id())
            .bind(&undo.payload)
            .fetch_one(self.pool())
            .await?;
        Ok(usize::try_from(done).unwrap_or(0))
    }
}
