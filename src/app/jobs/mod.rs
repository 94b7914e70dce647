//! Jobs: each data effect runs in its own tokio task, the result sent back to the loop tagged
//! with the effect's request id. The loop never waits on the database.

mod board;
mod editor;
mod failure;
pub mod inbox;
pub mod lead;
mod lifecycle;

use std::collections::HashMap;
use std::future::Future;

use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

pub use board::load_board;
pub use failure::{failure, unsupported};

use crate::data::PgStore;
use crate::data::closing::{CloseMove, CloseUndo, ClosedLead, ClosedTotals, Period};
use crate::data::models::{
    BoardSort, ColumnCursor, ColumnPage, LeadHit, MovedLead, Pipeline, Stage, StageSummary,
};
use crate::data::views::{SavedView, ViewOp};
use crate::filter::{Filter, FilterChoices};
use crate::state::inbox::InboxEffect;
use crate::state::insights::{InsightsAction, InsightsEffect};
use crate::state::lead::LeadEffect;
use crate::state::lifecycle::LifecycleEffect;
use crate::state::popup::editor::EditorEffect;
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
    /// A column page of the leads `filter` keeps. A backend without filters says so.
    fn filtered_column_page(
        &self,
        _stage_id: Uuid,
        _sort: BoardSort,
        _after: Option<ColumnCursor>,
        _limit: i64,
        _filter: Filter,
    ) -> impl Future<Output = Result<ColumnPage, Failure>> + Send {
        async { Err(unsupported("filter leads")) }
    }
    /// Exact column totals of the leads `filter` keeps.
    fn filtered_summaries(
        &self,
        _pipeline_id: Uuid,
        _filter: Filter,
    ) -> impl Future<Output = Result<HashMap<Uuid, StageSummary>, Failure>> + Send {
        async { Err(unsupported("filter leads")) }
    }
    /// Owners, tags and sources for the filter bar's completion.
    fn filter_choices(&self) -> impl Future<Output = Result<FilterChoices, Failure>> + Send {
        async { Ok(FilterChoices::default()) }
    }
    /// The person's saved views and the organization's shared ones.
    fn saved_views(&self) -> impl Future<Output = Result<Vec<SavedView>, Failure>> + Send {
        async { Ok(Vec::new()) }
    }
    fn save_view(
        &self,
        _name: String,
        _filter: Filter,
        _sort: BoardSort,
    ) -> impl Future<Output = Result<Uuid, Failure>> + Send {
        async { Err(unsupported("filter leads")) }
    }
    /// Renames, deletes, shares or makes default one of the person's views (issue 12).
    fn change_view(&self, _op: ViewOp) -> impl Future<Output = Result<bool, Failure>> + Send {
        async { Err(unsupported("filter leads")) }
    }
    /// Won/lost totals per closed stage (issue 10); backends without them show none.
    fn closed_totals(
        &self,
        _pipeline_id: Uuid,
        _period: Period,
        _filter: Filter,
    ) -> impl Future<Output = Result<HashMap<Uuid, ClosedTotals>, Failure>> + Send {
        async { Ok(HashMap::new()) }
    }
    /// A move with closing choices (issue 10); backends without it refuse.
    fn close_lead(
        &self,
        _close: CloseMove,
    ) -> impl Future<Output = Result<ClosedLead, Failure>> + Send {
        async { Err(unsupported("close leads")) }
    }
    /// A lead's owner, deletion and contact (issue 12); fakes without them answer nothing.
    fn run_lifecycle(
        &self,
        _effect: LifecycleEffect,
    ) -> impl Future<Output = Option<Action>> + Send {
        async { None }
    }
    /// The exact undo of a closing move; backends without it refuse.
    fn undo_close(
        &self,
        _undo: CloseUndo,
    ) -> impl Future<Output = Result<MovedLead, Failure>> + Send {
        async { Err(unsupported("close leads")) }
    }
    /// The organization's most used recent lost reasons (issue 10); none without a database.
    fn recent_lost_reasons(&self) -> impl Future<Output = Result<Vec<String>, Failure>> + Send {
        async { Ok(Vec::new()) }
    }
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
    /// The pipeline editor's reads and writes; backends without them answer nothing.
    fn run_editor(&self, _effect: EditorEffect) -> impl Future<Output = Option<Action>> + Send {
        async { None }
    }
    /// The insights screen's reads; backends without them answer nothing.
    fn run_insights(&self, _effect: InsightsEffect) -> impl Future<Output = Option<Action>> + Send {
        async { None }
    }
}

impl BoardBackend for PgStore {
    fn filtered_column_page(
        &self,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<ColumnCursor>,
        limit: i64,
        filter: Filter,
    ) -> impl Future<Output = Result<ColumnPage, Failure>> + Send {
        let store = self.clone();
        async move {
            store
                .filtered_column_page(stage_id, sort, after, limit, &filter)
                .await
                .map_err(failure)
        }
    }

    fn filtered_summaries(
        &self,
        pipeline_id: Uuid,
        filter: Filter,
    ) -> impl Future<Output = Result<HashMap<Uuid, StageSummary>, Failure>> + Send {
        let store = self.clone();
        async move {
            store
                .filtered_summaries(pipeline_id, &filter)
                .await
                .map_err(failure)
        }
    }

    fn recent_lost_reasons(&self) -> impl Future<Output = Result<Vec<String>, Failure>> + Send {
        let store = self.clone();
        async move { store.recent_lost_reasons().await.map_err(failure) }
    }

    fn filter_choices(&self) -> impl Future<Output = Result<FilterChoices, Failure>> + Send {
        let store = self.clone();
        async move { store.filter_choices().await.map_err(failure) }
    }

    fn saved_views(&self) -> impl Future<Output = Result<Vec<SavedView>, Failure>> + Send {
        let store = self.clone();
        async move { store.saved_views().await.map_err(failure) }
    }

    fn change_view(&self, op: ViewOp) -> impl Future<Output = Result<bool, Failure>> + Send {
        let store = self.clone();
        async move { store.write_view(&op).await.map_err(failure) }
    }

    fn save_view(
        &self,
        name: String,
        filter: Filter,
        sort: BoardSort,
    ) -> impl Future<Output = Result<Uuid, Failure>> + Send {
        let store = self.clone();
        async move {
            store
                .save_view(&name, &filter, sort, !sort.ascending(), None)
                .await
                .map_err(failure)
        }
    }

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
        // The search that finds (0008): accents, word order, typos, notes; hits say where.
        async move {
            let hits = store.find_leads(&query, limit).await.map_err(failure)?;
            Ok(hits.into_iter().map(LeadHit::from).collect())
        }
    }

    fn overdue_task_count(&self) -> impl Future<Output = Result<i64, Failure>> + Send {
        let store = self.clone();
        async move { store.overdue_task_count().await.map_err(failure) }
    }

    fn closed_totals(
        &self,
        pipeline_id: Uuid,
        period: Period,
        filter: Filter,
    ) -> impl Future<Output = Result<HashMap<Uuid, ClosedTotals>, Failure>> + Send {
        let store = self.clone();
        async move {
            store
                .closed_totals(pipeline_id, period, &filter)
                .await
                .map_err(failure)
        }
    }

    fn close_lead(
        &self,
        close: CloseMove,
    ) -> impl Future<Output = Result<ClosedLead, Failure>> + Send {
        let store = self.clone();
        async move { store.close_lead(close).await.map_err(failure) }
    }

    fn undo_close(
        &self,
        undo: CloseUndo,
    ) -> impl Future<Output = Result<MovedLead, Failure>> + Send {
        let store = self.clone();
        async move { store.undo_close(&undo).await.map_err(failure) }
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

    fn run_lifecycle(
        &self,
        effect: LifecycleEffect,
    ) -> impl Future<Output = Option<Action>> + Send {
        let store = self.clone();
        async move { Some(lifecycle::run(&store, effect).await) }
    }

    fn run_inbox(&self, effect: InboxEffect) -> impl Future<Output = Option<Action>> + Send {
        let store = self.clone();
        async move { inbox::run(&store, effect).await }
    }

    fn run_editor(&self, effect: EditorEffect) -> impl Future<Output = Option<Action>> + Send {
        let store = self.clone();
        async move { Some(editor::run(&store, effect).await) }
    }

    fn run_insights(&self, effect: InsightsEffect) -> impl Future<Output = Option<Action>> + Send {
        let store = self.clone();
        async move {
            let InsightsEffect::Load { request, query } = effect;
            let result = store.insights(&query).await.map(Box::new).map_err(failure);
            Some(Action::Insights(InsightsAction::Loaded { request, result }))
        }
    }
}

/// What a backend without the closing writes answers.
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
                filter,
            }) => {
                tokio::spawn(async move {
                    let append = after.is_some();
                    let result = if filter.is_empty() {
                        store.column_page(stage_id, sort, after, limit).await
                    } else {
                        store
                            .filtered_column_page(stage_id, sort, after, limit, filter)
                            .await
                    };
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
                filter,
            }) => {
                tokio::spawn(async move {
                    let result = if filter.is_empty() {
                        store.stage_summaries(pipeline_id).await
                    } else {
                        store.filtered_summaries(pipeline_id, filter).await
                    };
                    let _ = tx.send(Action::Board(BoardAction::SummariesLoaded {
                        request,
                        result,
                    }));
                });
            }
            Effect::Board(BoardEffect::LoadViews {
                request,
                open_picker,
            }) => {
                tokio::spawn(async move {
                    let result = store.saved_views().await;
                    let _ = tx.send(Action::Board(BoardAction::ViewsLoaded {
                        request,
                        open_picker,
                        result,
                    }));
                });
            }
            Effect::Board(BoardEffect::SaveView {
                request,
                name,
                filter,
                sort,
            }) => {
                tokio::spawn(async move {
                    let result = store.save_view(name, filter, sort).await;
                    let _ = tx.send(Action::Board(BoardAction::ViewSaved { request, result }));
                });
            }
            Effect::Board(BoardEffect::WriteView { request, op, done }) => {
                board::write_view(store, tx, request, op, done)
            }
            Effect::Board(BoardEffect::LoadLostReasons { request }) => {
                tokio::spawn(async move {
                    let result = store.recent_lost_reasons().await;
                    let _ = tx.send(Action::Board(BoardAction::LostReasonsLoaded {
                        request,
                        result,
                    }));
                });
            }
            Effect::Board(BoardEffect::LoadFilterChoices { request }) => {
                tokio::spawn(async move {
                    let result = store.filter_choices().await;
                    let _ = tx.send(Action::Board(BoardAction::FilterChoicesLoaded {
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
            Effect::Board(BoardEffect::LoadClosedTotals {
                request,
                pipeline_id,
                period,
                filter,
            }) => {
                tokio::spawn(async move {
                    let result = store.closed_totals(pipeline_id, period, filter).await;
                    let _ = tx.send(Action::Board(BoardAction::ClosedTotalsLoaded {
                        request,
                        result,
                    }));
                });
            }
            Effect::Board(BoardEffect::CloseLead { request, close }) => {
                tokio::spawn(async move {
                    let result = store.close_lead(close).await;
                    let _ = tx.send(Action::Board(BoardAction::LeadClosed { request, result }));
                });
            }
            Effect::Board(BoardEffect::UndoClose { request, undo }) => {
                tokio::spawn(async move {
                    let result = store.undo_close(undo).await;
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
            Effect::Editor(effect) => {
                tokio::spawn(async move {
                    if let Some(action) = store.run_editor(effect).await {
                        let _ = tx.send(action);
                    }
                });
            }
            Effect::Insights(effect) => {
                tokio::spawn(async move {
                    if let Some(action) = store.run_insights(effect).await {
                        let _ = tx.send(action);
                    }
                });
            }
            Effect::Lifecycle(effect) => {
                tokio::spawn(async move {
                    if let Some(action) = store.run_lifecycle(effect).await {
                        let _ = tx.send(action);
                    }
                });
            }
            Effect::Listen => store.listen(tx),
            Effect::CancelQueries => store.cancel_running(),
            Effect::StartDebounce { .. }
            | Effect::Quit
            | Effect::Suspend
            | Effect::Clipboard(_) => {}
        }
    }
}
