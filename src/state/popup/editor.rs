//! The pipeline editor popup (board `E`, issue 13): the board's pipeline, its stages with their
//! settings. Managers and admins reorder (`J`/`K`, one call with the whole order), rename (`r`),
//! flag won (`w`) or lost (`x`) and delete a stage by choosing where its leads go (`d`, then a
//! stage, then Enter). Reps see it read-only (the database refuses their writes anyway).
//! After each write the editor and the board re-read (the app ignores its own notifications).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;

use super::Popup;
use crate::config::keymap::Command;
use crate::data::pipeline_editor::{StageChange, StageSettings};
use crate::state::{Effect, Failure, RequestId, State};

/// What the editor is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorMode {
    Browse,
    /// Typing the selected stage's new name.
    Rename(String),
    /// Choosing where the selected stage's leads go.
    DeleteTo(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineEditor {
    pub pipeline_id: Uuid,
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
    state.popup = Some(Popup::Editor(PipelineEditor {
        pipeline_id,
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
    let command = state.keymap.popup_command(key);
    if let EditorMode::Rename(name) = &mut e.mode {
        match (command, key.code) {
            (Some(Command::Cancel), _) => e.mode = EditorMode::Browse,
            (Some(Command::Confirm), _) => return write_name(state, e),
            (_, KeyCode::Backspace) => {
                name.pop();
            }
            // Stage names hold at most 100 characters (0001).
            (_, KeyCode::Char(c))
                if !key.modifiers.contains(KeyModifiers::CONTROL) && name.chars().count() < 100 =>
            {
                name.push(c);
            }
            _ => {}
        }
        state.popup = Some(Popup::Editor(e));
        return Vec::new();
    }
    if command == Some(Command::Cancel) {
        if e.mode == EditorMode::Browse {
            return Vec::new();
        }
        e.mode = EditorMode::Browse;
        state.popup = Some(Popup::Editor(e));
        return Vec::new();
    }
    let last = e.stages.len().saturating_sub(1);
    let busy = e.request.is_some();
    let mut fx = Vec::new();
    match (&mut e.mode, key.code) {
        (EditorMode::DeleteTo(target), KeyCode::Char('j') | KeyCode::Down) => {
            *target = next_other(*target, e.selected, last, true);
        }
        (EditorMode::DeleteTo(target), KeyCode::Char('k') | KeyCode::Up) => {
            *target = next_other(*target, e.selected, last, false);
        }
        (EditorMode::DeleteTo(target), _) if command == Some(Command::Confirm) && !busy => {
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
        (EditorMode::Browse, KeyCode::Char(c)) if !e.can_edit && "JKrwxd".contains(c) => {
            state.info("Only managers and admins can change pipelines");
        }
        (EditorMode::Browse, KeyCode::Char(c @ ('J' | 'K'))) if !busy => {
            let to = if c == 'J' {
                (e.selected + 1).min(last)
            } else {
                e.selected.saturating_sub(1)
            };
            if to != e.selected {
                e.stages.swap(e.selected, to);
                e.selected = to;
                let request = state.next_id();
                e.request = Some(request);
                fx.push(
                    EditorEffect::Reorder {
                        request,
                        pipeline_id: e.pipeline_id,
                        order: e.stages.iter().map(|s| s.id).collect(),
                    }
                    .into(),
                );
            }
        }
        (EditorMode::Browse, KeyCode::Char('r')) => {
            if let Some(stage) = e.stages.get(e.selected) {
                e.mode = EditorMode::Rename(stage.name.clone());
            }
        }
        (EditorMode::Browse, KeyCode::Char(c @ ('w' | 'x'))) if !busy => {
            if let Some(stage) = e.stages.get(e.selected) {
                let change = if c == 'w' {
                    StageChange {
                        is_won: Some(!stage.is_won),
                        is_lost: Some(false),
                        ..StageChange::default()
                    }
                } else {
                    StageChange {
                        is_lost: Some(!stage.is_lost),
                        is_won: Some(false),
                        ..StageChange::default()
                    }
                };
                let request = state.next_id();
                e.request = Some(request);
                fx.push(
                    EditorEffect::Update {
                        request,
                        stage: stage.id,
                        change,
                    }
                    .into(),
                );
            }
        }
        (EditorMode::Browse, KeyCode::Char('d')) if e.stages.len() > 1 => {
            e.mode = EditorMode::DeleteTo(next_other(e.selected, e.selected, last, true));
        }
        _ => {}
    }
    state.popup = Some(Popup::Editor(e));
    fx
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

fn write_name(state: &mut State, mut e: PipelineEditor) -> Vec<Effect> {
    let EditorMode::Rename(name) = std::mem::replace(&mut e.mode, EditorMode::Browse) else {
        state.popup = Some(Popup::Editor(e));
        return Vec::new();
    };
    let name = name.trim().to_owned();
    let Some(stage) = e.stages.get(e.selected).map(|s| s.id) else {
        state.popup = Some(Popup::Editor(e));
        return Vec::new();
    };
    if name.is_empty() {
        state.error("A stage needs a name");
        state.popup = Some(Popup::Editor(e));
        return Vec::new();
    }
    let request = state.next_id();
    e.request = Some(request);
    state.popup = Some(Popup::Editor(e));
    vec![
        EditorEffect::Update {
            request,
            stage,
            change: StageChange {
                name: Some(name),
                ..StageChange::default()
            },
        }
        .into(),
    ]
}

/// Results: stale ones (the editor closed or a newer request) are dropped.
pub fn update(state: &mut State, action: EditorAction) -> Vec<Effect> {
    let Some(Popup::Editor(mut e)) = state.popup.take() else {
        // Closed meanwhile; a finished write still changed the board.
        return match action {
            EditorAction::Written { result: Ok(_), .. } => crate::state::refresh(state),
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
        _ => {
            state.popup = Some(Popup::Editor(e));
            Vec::new()
        }
    }
}
