//! The pipeline editor popup (board `E`, issue 13): the board's pipeline, its stages with their
//! settings. Managers and admins reorder (one call with the whole order), rename, recolour, set
//! the default probability and the rotting days, flag won or lost, add a stage, delete one by
//! choosing where its leads go; create, rename and archive pipelines. Its keys are the keymap's
//! `Scope::Editor` commands. Reps see it read-only (the database refuses their writes anyway).
//! After each write the editor and the board re-read (the app ignores its own notifications;
//! other boards follow the notify triggers of pipelines and stages).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;

use super::{Popup, editor_text};
use crate::config::keymap::Command;
use crate::data::pipeline_editor::{StageChange, StageSettings};
use crate::state::{Effect, Failure, RequestId, State};

/// What a typed value becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorField {
    StageName,
    Color,
    Probability,
    RottingDays,
    NewStage,
    NewPipeline,
    PipelineName,
}

impl EditorField {
    /// The prompt before the typed text.
    pub fn prompt(self) -> &'static str {
        match self {
            EditorField::StageName => "Stage name",
            EditorField::Color => "Colour (#rrggbb)",
            EditorField::Probability => "Default probability % (empty clears)",
            EditorField::RottingDays => "Rots after days (empty: never)",
            EditorField::NewStage => "New stage",
            EditorField::NewPipeline => "New pipeline",
            EditorField::PipelineName => "Pipeline name",
        }
    }
}

/// What the editor is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorMode {
    Browse,
    /// Typing a value for the selected stage or the pipeline.
    Text(EditorField, String),
    /// Choosing where the selected stage's leads go.
    DeleteTo(usize),
    /// Archiving the pipeline waits for the keymap's confirm.
    ConfirmArchive,
}

/// The stages of a pipeline the editor creates (won/lost are flagged with the editor's keys).
pub const NEW_PIPELINE_STAGES: [&str; 5] = ["New", "Qualified", "Proposal", "Won", "Lost"];

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineEditor {
    pub pipeline_id: Uuid,
    /// Shown in the title ("" until known).
    pub pipeline_name: String,
    pub stages: Vec<StageSettings>,
    pub selected: usize,
    pub can_edit: bool,
    pub mode: EditorMode,
    pub request: Option<RequestId>,
    pub loaded: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EditorEffect {
    /// → [`EditorAction::Loaded`].
    Load {
        request: RequestId,
        pipeline_id: Uuid,
    },
    /// → [`EditorAction::Written`].
    Reorder {
        request: RequestId,
        pipeline_id: Uuid,
        order: Vec<Uuid>,
    },
    Update {
        request: RequestId,
        stage: Uuid,
        change: StageChange,
    },
    Delete {
        request: RequestId,
        stage: Uuid,
        move_to: Uuid,
    },
    AddStage {
        request: RequestId,
        pipeline_id: Uuid,
        name: String,
    },
    RenamePipeline {
        request: RequestId,
        pipeline_id: Uuid,
        name: String,
    },
    /// → [`EditorAction::Created`].
    CreatePipeline {
        request: RequestId,
        name: String,
        stages: Vec<String>,
    },
    /// → [`EditorAction::Archived`].
    ArchivePipeline {
        request: RequestId,
        pipeline_id: Uuid,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum EditorAction {
    /// The stages and whether this person may change them.
    Loaded {
        request: RequestId,
        result: Result<(Vec<StageSettings>, bool), Failure>,
    },
    Written {
        request: RequestId,
        result: Result<String, Failure>,
    },
    /// A new pipeline: the editor turns to it.
    Created {
        request: RequestId,
        result: Result<(Uuid, String), Failure>,
    },
    /// The pipeline left the picker: the editor closes and the board shows the default one.
    Archived {
        request: RequestId,
        result: Result<(), Failure>,
    },
}

impl From<EditorEffect> for Effect {
    fn from(effect: EditorEffect) -> Effect {
        Effect::Editor(effect)
    }
}

/// `E` on the board.
pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(pipeline_id) = state.board.pipeline_id else {
        state.error("The board has no pipeline yet");
        return Vec::new();
    };
    let request = state.next_id();
    let pipeline_name = state
        .board
        .pipeline()
        .map(|p| p.name.clone())
        .unwrap_or_default();
    state.popup = Some(Popup::Editor(PipelineEditor {
        pipeline_id,
        pipeline_name,
        stages: Vec::new(),
        selected: 0,
        can_edit: false,
        mode: EditorMode::Browse,
        request: Some(request),
        loaded: false,
    }));
    vec![
        EditorEffect::Load {
            request,
            pipeline_id,
        }
        .into(),
    ]
}

fn load(state: &mut State, mut editor: PipelineEditor) -> Vec<Effect> {
    let request = state.next_id();
    editor.request = Some(request);
    let pipeline_id = editor.pipeline_id;
    state.popup = Some(Popup::Editor(editor));
    vec![
        EditorEffect::Load {
            request,
            pipeline_id,
        }
        .into(),
    ]
}

pub(crate) fn key(state: &mut State, mut e: PipelineEditor, key: &KeyEvent) -> Vec<Effect> {
    let popup = state.keymap.popup_command(key);
    if let EditorMode::Text(_, text) = &mut e.mode {
        match (popup, key.code) {
            (Some(Command::Cancel), _) => e.mode = EditorMode::Browse,
            (Some(Command::Confirm), _) => return editor_text::submit(state, e),
            (_, KeyCode::Backspace) => {
                text.pop();
            }
            // Names hold at most 100 characters (0001); the other values are shorter.
            (_, KeyCode::Char(c))
                if !key.modifiers.contains(KeyModifiers::CONTROL) && text.chars().count() < 100 =>
            {
                text.push(c);
            }
            _ => {}
        }
        state.popup = Some(Popup::Editor(e));
        return Vec::new();
    }
    if popup == Some(Command::Cancel) {
        if e.mode == EditorMode::Browse {
            return Vec::new();
        }
        e.mode = EditorMode::Browse;
        state.popup = Some(Popup::Editor(e));
        return Vec::new();
    }
    let last = e.stages.len().saturating_sub(1);
    let busy = e.request.is_some();
    let command = state.keymap.editor_command(key);
    let mut fx = Vec::new();
    match (&mut e.mode, key.code) {
        (EditorMode::ConfirmArchive, _) if popup == Some(Command::Confirm) && !busy => {
            let request = state.next_id();
            e.request = Some(request);
            e.mode = EditorMode::Browse;
            fx.push(
                EditorEffect::ArchivePipeline {
                    request,
                    pipeline_id: e.pipeline_id,
                }
                .into(),
            );
        }
        (EditorMode::ConfirmArchive, _) => {}
        (EditorMode::DeleteTo(target), KeyCode::Char('j') | KeyCode::Down) => {
            *target = next_other(*target, e.selected, last, true);
        }
        (EditorMode::DeleteTo(target), KeyCode::Char('k') | KeyCode::Up) => {
            *target = next_other(*target, e.selected, last, false);
        }
        (EditorMode::DeleteTo(target), _) if popup == Some(Command::Confirm) && !busy => {
            let (stage, move_to) = (e.stages.get(e.selected), e.stages.get(*target));
            if let (Some(stage), Some(move_to)) = (stage, move_to) {
                let request = state.next_id();
                fx.push(
                    EditorEffect::Delete {
                        request,
                        stage: stage.id,
                        move_to: move_to.id,
                    }
                    .into(),
                );
                e.request = Some(request);
                e.mode = EditorMode::Browse;
                e.selected = e.selected.min(last.saturating_sub(1));
            }
        }
        (EditorMode::Browse, KeyCode::Char('j') | KeyCode::Down) => {
            e.selected = (e.selected + 1).min(last)
        }
        (EditorMode::Browse, KeyCode::Char('k') | KeyCode::Up) => {
            e.selected = e.selected.saturating_sub(1)
        }
        (EditorMode::Browse, _) => {
            if let Some(command) = command {
                fx = browse_command(state, &mut e, command, busy);
            }
        }
        _ => {}
    }
    state.popup = Some(Popup::Editor(e));
    fx
}

/// An editor command in browse mode (the keymap's `Scope::Editor`).
fn browse_command(
    state: &mut State,
    e: &mut PipelineEditor,
    command: Command,
    busy: bool,
) -> Vec<Effect> {
    if !e.can_edit {
        state.info("Only managers and admins can change pipelines");
        return Vec::new();
    }
    let last = e.stages.len().saturating_sub(1);
    let stage = e.stages.get(e.selected).cloned();
    let text = |field: EditorField, text: String| EditorMode::Text(field, text);
    match (command, stage) {
        (Command::MoveStageDown | Command::MoveStageUp, Some(_)) if !busy => {
            let to = if command == Command::MoveStageDown {
                (e.selected + 1).min(last)
            } else {
                e.selected.saturating_sub(1)
            };
            if to == e.selected {
                return Vec::new();
            }
            e.stages.swap(e.selected, to);
            e.selected = to;
            let request = state.next_id();
            e.request = Some(request);
            return vec![
                EditorEffect::Reorder {
                    request,
                    pipeline_id: e.pipeline_id,
                    order: e.stages.iter().map(|s| s.id).collect(),
                }
                .into(),
            ];
        }
        (Command::RenameStage, Some(s)) => e.mode = text(EditorField::StageName, s.name),
        (Command::RecolorStage, Some(s)) => e.mode = text(EditorField::Color, s.color),
        (Command::SetStageProbability, Some(s)) => {
            let now = s.default_probability.map(|p| p.to_string());
            e.mode = text(EditorField::Probability, now.unwrap_or_default());
        }
        (Command::SetRottingDays, Some(s)) if s.is_won || s.is_lost => {
            state.info("Won and lost stages never rot");
        }
        (Command::SetRottingDays, Some(s)) => {
            let now = s.rotting_days.map(|d| d.to_string());
            e.mode = text(EditorField::RottingDays, now.unwrap_or_default());
        }
        (Command::ToggleWonStage | Command::ToggleLostStage, Some(s)) if !busy => {
            let change = if command == Command::ToggleWonStage {
                StageChange {
                    is_won: Some(!s.is_won),
                    is_lost: Some(false),
                    ..StageChange::default()
                }
            } else {
                StageChange {
                    is_lost: Some(!s.is_lost),
                    is_won: Some(false),
                    ..StageChange::default()
                }
            };
            return editor_text::update_stage(state, e, s.id, change);
        }
        (Command::DeleteStage, Some(_)) if e.stages.len() > 1 => {
            e.mode = EditorMode::DeleteTo(next_other(e.selected, e.selected, last, true));
        }
        (Command::AddStage, _) => e.mode = text(EditorField::NewStage, String::new()),
        (Command::NewPipeline, _) => e.mode = text(EditorField::NewPipeline, String::new()),
        (Command::RenamePipeline, _) => {
            e.mode = text(EditorField::PipelineName, e.pipeline_name.clone());
        }
        (Command::ArchivePipeline, _) => e.mode = EditorMode::ConfirmArchive,
        _ => {}
    }
    Vec::new()
}

/// The next index after (or before) `from` that is not `skip`, wrapping.
fn next_other(from: usize, skip: usize, last: usize, down: bool) -> usize {
    let n = last + 1;
    let mut i = from;
    for _ in 0..n {
        i = if down { (i + 1) % n } else { (i + n - 1) % n };
        if i != skip {
            return i;
        }
    }
    from
}

/// Results: stale ones (the editor closed or a newer request) are dropped.
pub fn update(state: &mut State, action: EditorAction) -> Vec<Effect> {
    let Some(Popup::Editor(mut e)) = state.popup.take() else {
        // Closed meanwhile; a finished write still changed the board.
        return match action {
            EditorAction::Written { result: Ok(_), .. }
            | EditorAction::Created { result: Ok(_), .. } => crate::state::refresh(state),
            EditorAction::Archived { result: Ok(()), .. } => {
                // Which pipeline is unknown here: the board re-reads its own, still listed or not.
                crate::state::refresh(state)
            }
            _ => Vec::new(),
        };
    };
    match action {
        EditorAction::Loaded { request, result } if e.request == Some(request) => {
            e.request = None;
            match result {
                Ok((stages, can_edit)) => {
                    e.selected = e.selected.min(stages.len().saturating_sub(1));
                    e.stages = stages;
                    e.can_edit = can_edit;
                    e.loaded = true;
                }
                Err(failure) => state.error(failure.message),
            }
            state.popup = Some(Popup::Editor(e));
            Vec::new()
        }
        EditorAction::Written { request, result } if e.request == Some(request) => {
            e.request = None;
            match result {
                Ok(done) => state.info(done),
                Err(failure) => state.error(failure.message),
            }
            // Re-read either way: after a refusal the editor shows what the database holds.
            let mut fx = load(state, e);
            fx.extend(crate::state::refresh(state));
            fx
        }
        EditorAction::Created { request, result } if e.request == Some(request) => {
            e.request = None;
            match result {
                Ok((id, name)) => {
                    state.info(format!(
                        "Pipeline “{name}” created: mark its won and lost stages here"
                    ));
                    e.pipeline_id = id;
                    e.pipeline_name = name;
                    e.selected = 0;
                    e.loaded = false;
                }
                Err(failure) => state.error(failure.message),
            }
            let mut fx = load(state, e);
            fx.extend(crate::state::refresh(state));
            fx
        }
        EditorAction::Archived { request, result } if e.request == Some(request) => {
            e.request = None;
            match result {
                Ok(()) => {
                    state.info(format!(
                        "Pipeline “{}” archived: it left the pipeline picker",
                        e.pipeline_name
                    ));
                    // The board leaves it for the default pipeline; the editor closes.
                    if state.board.pipeline_id == Some(e.pipeline_id) {
                        state.board.pipeline_id = None;
                    }
                    crate::state::refresh(state)
                }
                Err(failure) => {
                    state.error(failure.message);
                    state.popup = Some(Popup::Editor(e));
                    Vec::new()
                }
            }
        }
        _ => {
            state.popup = Some(Popup::Editor(e));
            Vec::new()
        }
    }
}
