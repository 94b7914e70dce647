//! The one-line prompt popup: today the reason for moving a lead into a lost stage.

use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::{Popup, input};
use crate::config::keymap::Command;
use crate::state::{Effect, State, board};

/// A one-line text prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub purpose: PromptPurpose,
    pub title: String,
    pub input: String,
    /// Shown under the input after a refused submit.
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptPurpose {
    /// The reason for moving a lead into a lost stage.
    LostReason {
        lead_id: Uuid,
        from_stage: Uuid,
        to_stage: Uuid,
        undo: bool,
    },
    /// A tag for the board's marked cards (or the selected card).
    BulkTag,
    /// A new name for one of the person's saved views.
    RenameView { view: Uuid },
}

pub(super) fn key(state: &mut State, mut prompt: Prompt, key: KeyEvent) -> Vec<Effect> {
    let popup = state.keymap.popup_command(&key);
    match key.code {
        _ if popup == Some(Command::Cancel) => {
            state.info(match prompt.purpose {
                PromptPurpose::LostReason { .. } => "Move cancelled",
                PromptPurpose::BulkTag => "No tag added",
                PromptPurpose::RenameView { .. } => "The view keeps its name",
            });
            Vec::new()
        }
        _ if popup == Some(Command::Confirm) => {
            let reason = prompt.input.trim().to_string();
            if reason.is_empty() {
                let cancel = state
                    .keymap
                    .keys(Command::Cancel)
                    .first()
                    .map(|k| format!(", or {} to cancel", k.title_text()))
                    .unwrap_or_default();
                let what = match prompt.purpose {
                    PromptPurpose::LostReason { .. } => "a reason",
                    PromptPurpose::BulkTag => "a tag",
                    PromptPurpose::RenameView { .. } => "a name",
                };
                prompt.hint = Some(format!("Type {what}{cancel}"));
                state.popup = Some(Popup::Prompt(prompt));
                return Vec::new();
            }
            match prompt.purpose {
                PromptPurpose::LostReason {
                    lead_id,
                    from_stage,
                    to_stage,
                    undo,
                } => board::perform_move(state, lead_id, from_stage, to_stage, Some(reason), undo),
                PromptPurpose::BulkTag => board::marks::tag(state, reason),
                PromptPurpose::RenameView { view } => board::views::rename(state, view, reason),
            }
        }
        _ => {
            if input::edit(&mut prompt.input, &key, input::MAX_LINE) {
                prompt.hint = None;
            }
            state.popup = Some(Popup::Prompt(prompt));
            Vec::new()
        }
    }
}
