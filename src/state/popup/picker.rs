//! The picker popup: choose a stage to move the selected lead to, or a pipeline to show.

use crossterm::event::{KeyCode, KeyEvent};
use uuid::Uuid;

use super::Popup;
use crate::config::keymap::Command;
use crate::state::{Effect, State, board};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    /// Move `lead_id` out of `from_stage`.
    Stage {
        lead_id: Uuid,
        from_stage: Uuid,
    },
    Pipeline,
    /// Move the marked cards (issue 12).
    BulkStage,
    /// A saved view (issue 12).
    View,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PickerItem {
    pub id: Uuid,
    pub label: String,
    /// `#rrggbb` for stages.
    pub color: Option<String>,
    /// Where the lead is / the pipeline shown now.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub kind: PickerKind,
    pub title: String,
    pub items: Vec<PickerItem>,
    pub selected: usize,
}

impl Picker {
    pub fn select_by(&mut self, delta: isize) {
        let last = self.items.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }
}

pub(super) fn key(state: &mut State, mut picker: Picker, key: KeyEvent) -> Vec<Effect> {
    let popup = state.keymap.popup_command(&key);
    if picker.kind == PickerKind::View
        && let Some(cmd) = popup
        && let Some(fx) = board::views::manage(state, &picker, cmd)
    {
        return fx;
    }
    match key.code {
        _ if popup == Some(Command::Cancel) => return Vec::new(),
        _ if popup == Some(Command::Confirm) => return confirm(state, &picker),
        KeyCode::Char(c @ '1'..='9') if key.modifiers.is_empty() => {
            let index = usize::from(c as u8 - b'1');
            if index < picker.items.len() {
                picker.selected = index;
                return confirm(state, &picker);
            }
        }
        _ => match state.keymap.command_for(state.scope(), &key) {
            Some(Command::Back) => return Vec::new(),
            Some(Command::Quit) => return Vec::new(),
            Some(Command::Up | Command::Left) => picker.select_by(-1),
            Some(Command::Down | Command::Right) => picker.select_by(1),
            Some(Command::Top | Command::PageUp) => picker.selected = 0,
            Some(Command::Bottom | Command::PageDown) => {
                picker.selected = picker.items.len().saturating_sub(1)
            }
            Some(Command::OpenLead) => return confirm(state, &picker),
            _ => {}
        },
    }
    state.popup = Some(Popup::Picker(picker));
    Vec::new()
}

fn confirm(state: &mut State, picker: &Picker) -> Vec<Effect> {
    let Some(item) = picker.items.get(picker.selected) else {
        return Vec::new();
    };
    if item.current {
        return Vec::new();
    }
    match picker.kind {
        PickerKind::Stage {
            lead_id,
            from_stage,
        } => board::begin_move(state, lead_id, from_stage, item.id, false),
        PickerKind::Pipeline => board::switch_pipeline(state, item.id),
        PickerKind::BulkStage => board::marks::move_to(state, item.id),
        PickerKind::View => board::views::apply_view(state, item.id),
    }
}
