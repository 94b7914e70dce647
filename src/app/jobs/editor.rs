//! Runs the pipeline editor's effects against the store; the result comes back as an action.

use crate::data::PgStore;
use crate::data::models::MemberRole;
use crate::state::Action;
use crate::state::popup::editor::{EditorAction, EditorEffect};

use super::failure::failure;

pub async fn run(store: &PgStore, effect: EditorEffect) -> Action {
    let action = match effect {
        EditorEffect::Load {
            request,
            pipeline_id,
        } => {
            let can_edit = store.role() != MemberRole::Rep;
            EditorAction::Loaded {
                request,
                result: store
                    .stage_settings(pipeline_id)
                    .await
                    .map(|stages| (stages, can_edit))
                    .map_err(failure),
            }
        }
        EditorEffect::Reorder {
            request,
            pipeline_id,
            order,
        } => EditorAction::Written {
            request,
            result: store
                .reorder_stages(pipeline_id, &order)
                .await
                .map(|_| "Stages reordered".to_owned())
                .map_err(failure),
        },
        EditorEffect::Update {
            request,
            stage,
            change,
        } => EditorAction::Written {
            request,
            result: store
                .update_stage(stage, &change)
                .await
                .map(|_| "Stage saved".to_owned())
                .map_err(failure),
        },
        EditorEffect::Delete {
            request,
            stage,
            move_to,
        } => EditorAction::Written {
            request,
            result: store
                .delete_stage(stage, move_to)
                .await
                .map(|moved| format!("Stage deleted; {moved} leads moved and logged"))
                .map_err(failure),
        },
        EditorEffect::AddStage {
            request,
            pipeline_id,
            name,
        } => EditorAction::Written {
            request,
            result: store
                .add_stage(pipeline_id, &name, None)
                .await
                .map(|_| format!("Stage “{name}” added at the end"))
                .map_err(failure),
        },
        EditorEffect::RenamePipeline {
            request,
            pipeline_id,
            name,
        } => EditorAction::Written {
            request,
            result: store
                .rename_pipeline(pipeline_id, &name)
                .await
                .map(|()| format!("Pipeline renamed “{name}”"))
                .map_err(failure),
        },
        EditorEffect::CreatePipeline {
            request,
            name,
            stages,
        } => EditorAction::Created {
            request,
            result: store
                .create_pipeline(&name, &stages)
                .await
                .map(|id| (id, name))
                .map_err(failure),
        },
        EditorEffect::ArchivePipeline {
            request,
            pipeline_id,
        } => EditorAction::Archived {
            request,
            result: store
                .archive_pipeline(pipeline_id, true)
                .await
                .map_err(failure),
        },
    };
    Action::Editor(action)
}
