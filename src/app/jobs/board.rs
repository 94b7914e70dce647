//! The board's reads: pipelines, stages and totals of one board load.

use uuid::Uuid;

use tokio::sync::mpsc::UnboundedSender;

use super::BoardBackend;
use crate::data::views::ViewOp;
use crate::state::{Action, BoardAction, BoardData, Failure, RequestId};

/// A change from the view picker (issue 12) → [`BoardAction::ViewWritten`].
pub fn write_view<S: BoardBackend>(
    store: S,
    tx: UnboundedSender<Action>,
    request: RequestId,
    op: ViewOp,
    done: String,
) {
    tokio::spawn(async move {
        let result = store.change_view(op).await;
        let action = BoardAction::ViewWritten {
            request,
            done,
            result,
        };
        let _ = tx.send(Action::Board(action));
    });
}

/// Pipelines, then stages and summaries of the chosen pipeline (concurrently).
pub async fn load_board<S: BoardBackend>(
    store: &S,
    pipeline_id: Option<Uuid>,
) -> Result<BoardData, Failure> {
    let (pipelines, pipeline_id) = match pipeline_id {
        Some(id) => {
            // Stages and summaries do not depend on the pipeline list: one round trip.
            let (pipelines, stages, summaries) = tokio::join!(
                store.pipelines(),
                store.stages(id),
                store.stage_summaries(id)
            );
            let mut stages = stages?;
            stages.sort_by_key(|s| s.order_index);
            return Ok(BoardData {
                pipelines: pipelines?,
                pipeline_id: Some(id),
                stages,
                summaries: summaries?,
            });
        }
        None => {
            let pipelines = store.pipelines().await?;
            let chosen = pipelines
                .iter()
                .find(|p| p.is_default)
                .or_else(|| pipelines.first())
                .map(|p| p.id);
            (pipelines, chosen)
        }
    };
    let Some(id) = pipeline_id else {
        return Ok(BoardData {
            pipelines,
            ..BoardData::default()
        });
    };
    let (stages, summaries) = tokio::join!(store.stages(id), store.stage_summaries(id));
    let mut stages = stages?;
    stages.sort_by_key(|s| s.order_index);
    Ok(BoardData {
        pipelines,
        pipeline_id: Some(id),
        stages,
        summaries: summaries?,
    })
}
