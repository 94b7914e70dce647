//! Jobs: each data effect runs in its own tokio task, the result sent back to the loop tagged
//! with the effect's request id. The loop never waits on the database.

mod board;
mod failure;
pub mod inbox;
pub mod lead;

use std::collections::HashMap;
use std::future::Future;

use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

pub use board::load_board;
pub use failure::failure;

use crate::data::PgStore;
use crate::data::models::{
    BoardSort, ColumnCursor, ColumnPage, LeadHit, MovedLead, Pipeline, Stage, StageSummary,
};
use crate::state::inbox::InboxEffect;
use crate::state::lead::LeadEffect;
use crate::state::{Action, BoardAction, BoardEffect, Effect, Failure};

/// What the board needs from the database. Implemented for [`PgStore`]; tests use fakes.
pub trait BoardBackend: Clone + Send + Sync + 'static {
    fn pipelines(&self) -> impl Future<Output = Result<Vec<Pipeline>, Failure>> + Send;
    fn stages(&self, pipeline_id: Uuid)
    -> impl Future<Output = Result<Vec<Stage>, Failure>> + Send;
    fn stage_summaries(
        &self,
        pipeline_id: Uuid,
    ) -> impl Future<Output = Result<HashMap<Uuid, StageSummary>, Failure>> + Send;
    fn column_page(
        &self,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<ColumnCursor>,
        limit: i64,
    ) -> impl Future<Output = Result<ColumnPage, Failure>> + Send;
    fn move_lead(
        &self,
        lead_id: Uuid,
        from_stage: Uuid,
        to_stage: Uuid,
        lost_reason: Option<String>,
    ) -> impl Future<Output = Result<MovedLead, Failure>> + Send;
    fn search_leads(
        &self,
        query: String,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<LeadHit>, Failure>> + Send;
    fn overdue_task_count(&self) -> impl Future<Output = Result<i64, Failure>> + Send;
    /// Listen for teammates' changes, sending [`Action::Live`] until the loop is gone.
    fn listen(&self, _tx: UnboundedSender<Action>) {}
    /// Cancel this process's running queries on the server.
    fn cancel_running(&self) {}
    /// The lead screen's data work; backends without it (board test fakes) answer nothing.
    fn run_lead(&self, _effect: LeadEffect) -> impl Future<Output = Option<Action>> + Send {
        async { None }
    }
    /// The inbox's data work; backends without it answer nothing.
    fn run_inbox(&self, _effect: InboxEffect) -> impl Future<Output = Option<Action>> + Send {
        async { None }
    }
}

impl BoardBackend for PgStore {
    fn pipelines(&self) -> impl Future<Output = Result<Vec<Pipeline>, Failure>> + Send {
        let store = self.clone();
        async move { store.pipelines().await.map_err(failure) }
    }

    fn stages(
        &self,
        pipeline_id: Uuid,
    ) -> impl Future<Output = Result<Vec<Stage>, Failure>> + Send {
        let store = self.clone();
        async move { store.stages(pipeline_id).await.map_err(failure) }
    }

    fn stage_summaries(
        &self,
        pipeline_id: Uuid,
    ) -> impl Future<Output = Result<HashMap<Uuid, StageSummary>, Failure>> + Send {
        let store = self.clone();
        async move { store.stage_summaries(pipeline_id).await.map_err(failure) }
    }

    fn column_page(
        &self,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<ColumnCursor>,
        limit: i64,
    ) -> impl Future<Output = Result<ColumnPage, Failure>> + Send {
        let store = self.clone();
        async move {
            store
                .column_page(stage_id, sort, after, limit)
                .await
                .map_err(failure)
        }
    }

    fn move_lead(
        &self,
        lead_id: Uuid,
        from_stage: Uuid,
        to_stage: Uuid,
        lost_reason: Option<String>,
    ) -> impl Future<Output = Result<MovedLead, Failure>> + Send {
        let store = self.clone();
        async move {
            store
                .move_lead(lead_id, from_stage, to_stage, lost_reason)
                .await
                .map_err(failure)
        }
    }

    fn search_leads(
        &self,
        query: String,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<LeadHit>, Failure>> + Send {
        let store = self.clone();
        async move { store.search_leads(query, limit).await.map_err(failure) }
    }

    fn overdue_task_count(&self) -> impl Future<Output = Result<i64, Failure>> + Send {
        let store = self.clone();
        async move { store.overdue_task_count().await.map_err(failure) }
    }

    fn listen(&self, tx: UnboundedSender<Action>) {
        let store = self.clone();
        tokio::spawn(async move {
            let (pool, own) = store.live_source();
            crate::data::live::listen(
                pool.clone(),
                own.clone(),
                store.organization_id(),
                |event| tx.send(Action::Live(event)).is_ok(),
            )
            .await;
        });
    }

    fn cancel_running(&self) {
        let store = self.clone();
        tokio::spawn(async move {
            if let Err(err) = store.cancel_running().await {
                tracing::warn!("could not cancel the running query: {err}");
            }
        });
    }

    fn run_lead(&self, effect: LeadEffect) -> impl Future<Output = Option<Action>> + Send {
        let store = self.clone();
        async move { lead::run(&store, effect).await }
    }

    fn run_inbox(&self, effect: InboxEffect) -> impl Future<Output = Option<Action>> + Send {
        let store = self.clone();
        async move { inbox::run(&store, effect).await }
    }
}

/// Spawns data effects. `StartDebounce` and `Quit` belong to the loop and are ignored here.
pub struct Worker<S> {
    store: S,
    tx: UnboundedSender<Action>,
}

impl<S: BoardBackend> Worker<S> {
    pub fn new(store: S, tx: UnboundedSender<Action>) -> Self {
        Worker { store, tx }
    }

    pub fn run(&self, effect: Effect) {
        let store = self.store.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::Board(BoardEffect::Load {
                request,
                pipeline_id,
            }) => {
                tokio::spawn(async move {
                    let result = load_board(&store, pipeline_id).await;
                    let _ = tx.send(Action::Board(BoardAction::Loaded { request, result }));
                });
            }
            Effect::Board(BoardEffect::LoadColumn {
                request,
                stage_id,
                sort,
                after,
                limit,
            }) => {
                tokio::spawn(async move {
                    let append = after.is_some();
                    let result = store.column_page(stage_id, sort, after, limit).await;
                    let _ = tx.send(Action::Board(BoardAction::ColumnLoaded {
                        request,
                        stage_id,
                        append,
                        result,
                    }));
                });
            }
            Effect::Board(BoardEffect::LoadSummaries {
                request,
                pipeline_id,
            }) => {
                tokio::spawn(async move {
                    let result = store.stage_summaries(pipeline_id).await;
                    let _ = tx.send(Action::Board(BoardAction::SummariesLoaded {
                        request,
                        result,
                    }));
                });
            }
            Effect::Board(BoardEffect::MoveLead {
                request,
                lead_id,
                from_stage,
                to_stage,
                lost_reason,
            }) => {
                tokio::spawn(async move {
                    let result = store
                        .move_lead(lead_id, from_stage, to_stage, lost_reason)
                        .await;
                    let _ = tx.send(Action::Board(BoardAction::LeadMoved { request, result }));
                });
            }
            Effect::Board(BoardEffect::SearchLeads {
                request,
                query,
                limit,
            }) => {
                tokio::spawn(async move {
                    let result = store.search_leads(query, limit).await;
                    let _ = tx.send(Action::Board(BoardAction::SearchResults {
                        request,
                        result,
                    }));
                });
            }
            Effect::LoadOverdue { request, delay } => {
                tokio::spawn(async move {
                    if let Some(delay) = delay {
                        tokio::time::sleep(delay).await;
                    }
                    let result = store.overdue_task_count().await;
                    let _ = tx.send(Action::OverdueLoaded { request, result });
                });
            }
            Effect::Lead(effect) => {
                tokio::spawn(async move {
                    if let Some(action) = store.run_lead(effect).await {
                        let _ = tx.send(action);
                    }
                });
            }
            Effect::Inbox(effect) => {
                tokio::spawn(async move {
                    if let Some(action) = store.run_inbox(effect).await {
                        let _ = tx.send(action);
                    }
                });
            }
            Effect::Listen => store.listen(tx),
            Effect::CancelQueries => store.cancel_running(),
            Effect::StartDebounce { .. } | Effect::Quit | Effect::Suspend => {}
        }
    }
}
