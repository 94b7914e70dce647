//! `T`: the lead's tags. Type a tag and Enter adds it in the chosen colour (Tab cycles the
//! palette, or end the text with `#rrggbb`); ↑/↓ select a tag, Delete removes it.

use crossterm::event::{KeyCode, KeyEvent};
use uuid::Uuid;

use super::{Popup, show};
use crate::config::keymap::Command;
use crate::state::history::{Place, Undo};
use crate::state::lead::input::TextInput;
use crate::state::lead::{LeadEffect, LeadScreen, LeadTag, Saved};
use crate::state::{Effect, Failure, RequestId, Screen, State};

/// Colours offered for new tags: (name, `#rrggbb`).
pub const PALETTE: [(&str, &str); 8] = [
    ("blue", "#3b82f6"),
    ("green", "#10b981"),
    ("amber", "#f59e0b"),
    ("red", "#ef4444"),
    ("violet", "#8b5cf6"),
    ("pink", "#ec4899"),
    ("teal", "#14b8a6"),
    ("gray", "#808080"),
];

#[derive(Debug, Clone, PartialEq)]
pub struct TagEditor {
    pub lead_id: Uuid,
    pub tags: Vec<LeadTag>,
    /// Selected tag (for Delete).
    pub selected: usize,
    pub input: TextInput,
    /// Index into [`PALETTE`].
    pub color: usize,
    /// Saves in flight.
    pub pending: Vec<RequestId>,
    /// Removals in flight with the tag they remove (its undo adds it back).
    pub removing: Vec<(RequestId, LeadTag)>,
    pub error: Option<String>,
    /// The organization's tags (completion), and the read that brings them.
    pub known: Vec<String>,
    pub known_request: Option<RequestId>,
}

impl TagEditor {
    /// The organization's tag the typed text starts (case-insensitive), not already on the
    /// lead and not already typed in full: → (at the end of the text) completes it.
    pub fn suggestion(&self) -> Option<&str> {
        let typed = self.input.value().trim().to_lowercase();
        if typed.is_empty() {
            return None;
        }
        self.known
            .iter()
            .filter(|k| !self.tags.iter().any(|t| t.tag.eq_ignore_ascii_case(k)))
            .find(|k| k.to_lowercase().starts_with(&typed) && k.to_lowercase() != typed)
            .map(String::as_str)
    }
}

/// The organization's tags arrived.
pub fn on_org_tags(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<String>, Failure>,
) -> Vec<Effect> {
    if let Some(Popup::Tags(editor)) = &mut state.popup
        && editor.known_request == Some(request)
    {
        editor.known_request = None;
        // Without completion the editor still works: no message for a failed read.
        editor.known = result.unwrap_or_default();
    }
    Vec::new()
}

pub fn open(state: &mut State) -> Vec<Effect> {
    let Some((lead_id, tags)) = (match &state.screen {
        Screen::Lead(s) => s.detail().map(|d| (d.id, d.tags.clone())),
        _ => None,
    }) else {
        return Vec::new();
    };
    let request = state.next_id();
    show(
        state,
        Popup::Tags(TagEditor {
            lead_id,
            tags,
            selected: 0,
            input: TextInput::new("", 60),
            color: 0,
            pending: Vec::new(),
            removing: Vec::new(),
            error: None,
            known: Vec::new(),
            known_request: Some(request),
        }),
    );
    vec![Effect::Lead(LeadEffect::LoadOrgTags { request })]
}

/// `name #rrggbb` → (name, colour) when the suffix is a hex colour.
fn split_color(text: &str) -> (String, Option<String>) {
    let text = text.trim();
    if let Some((name, hex)) = text.rsplit_once(' ')
        && hex.len() == 7
        && hex.starts_with('#')
        && hex[1..].chars().all(|c| c.is_ascii_hexdigit())
    {
        return (name.trim().to_string(), Some(hex.to_ascii_lowercase()));
    }
    (text.to_string(), None)
}

pub fn key(state: &mut State, mut editor: TagEditor, key: &KeyEvent) -> Vec<Effect> {
    let mut fx = Vec::new();
    let popup = state.keymap.popup_command(key);
    match key.code {
        _ if popup == Some(Command::Cancel) => return Vec::new(),
        _ if popup == Some(Command::Confirm) => {
            let (tag, color) = split_color(editor.input.value());
            if tag.is_empty() {
                return Vec::new();
            }
            if tag.chars().count() > 50 {
                editor.error = Some("Tags are 1–50 characters".to_string());
            } else if editor.tags.iter().any(|t| t.tag.eq_ignore_ascii_case(&tag)) {
                editor.error = Some(format!("{tag} is already on this lead"));
            } else {
                let color = color.unwrap_or_else(|| {
                    PALETTE
                        .get(editor.color)
                        .map_or("#808080", |(_, hex)| hex)
                        .to_string()
                });
                let request = state.next_id();
                editor.pending.push(request);
                editor.error = None;
                editor.input.set("");
                fx.push(Effect::Lead(LeadEffect::AddTag {
                    request,
                    lead_id: editor.lead_id,
                    tag,
                    color,
                }));
            }
        }
        // Tab cycles the new tag's colour; up and down walk the lead's tags.
        _ if popup == Some(Command::NextField) => editor.color = (editor.color + 1) % PALETTE.len(),
        _ if popup == Some(Command::PrevField) => {
            editor.color = (editor.color + PALETTE.len() - 1) % PALETTE.len()
        }
        _ if popup == Some(Command::PopupUp) => editor.selected = editor.selected.saturating_sub(1),
        _ if popup == Some(Command::PopupDown) => {
            editor.selected = super::step(editor.selected, 1, editor.tags.len().saturating_sub(1));
        }
        KeyCode::Delete if editor.input.value().is_empty() => {
            if let Some(tag) = editor.tags.get(editor.selected).cloned() {
                let request = state.next_id();
                editor.pending.push(request);
                editor.removing.push((request, tag.clone()));
                // Shown gone at once; a failure puts it back with the reason.
                editor.tags.retain(|t| t.id != tag.id);
                editor.selected = editor.selected.min(editor.tags.len().saturating_sub(1));
                fx.push(Effect::Lead(LeadEffect::RemoveTag {
                    request,
                    lead_id: editor.lead_id,
                    tag_id: tag.id,
                    tag: tag.tag,
                }));
            }
        }
        KeyCode::Right if editor.input.cursor >= editor.input.text.len() => {
            if let Some(full) = editor.suggestion().map(str::to_string) {
                editor.input.set(full);
            }
        }
        _ => {
            if editor.input.handle(key) {
                editor.error = None;
            }
        }
    }
    show(state, Popup::Tags(editor));
    fx
}

/// Whether the open tag editor waits for `request`.
pub fn is_waiting(state: &State, request: RequestId) -> bool {
    matches!(
        &state.popup,
        Some(Popup::Tags(e)) if e.pending.contains(&request)
    )
}

pub fn on_saved(
    state: &mut State,
    request: RequestId,
    result: Result<Saved, Failure>,
) -> Vec<Effect> {
    let mut fx = Vec::new();
    let mut done = None;
    if let Some(Popup::Tags(editor)) = &mut state.popup {
        editor.pending.retain(|r| *r != request);
        let removed = editor
            .removing
            .iter()
            .position(|(r, _)| *r == request)
            .map(|at| editor.removing.remove(at).1);
        match &result {
            Ok(Saved::Tag(tag)) => {
                editor.tags.push(tag.clone());
                editor.selected = editor.tags.len().saturating_sub(1);
                done = Some((editor.lead_id, tag.clone(), true));
            }
            Ok(_) => done = removed.map(|tag| (editor.lead_id, tag, false)),
            Err(f) => editor.error = Some(f.message.clone()),
        }
    }
    if let Some((lead_id, tag, added)) = done {
        let label = if added {
            format!("added the tag {}", tag.tag)
        } else {
            format!("removed the tag {}", tag.tag)
        };
        let undo = Undo::Tag {
            lead_id,
            tag,
            added,
        };
        state.history.push(label, Place::Lead(lead_id), undo);
    }
    if let Err(f) = &result {
        fx.extend(crate::state::note_failure(state, f));
    }
    // The header shows the tags: re-read (this also restores a tag whose removal failed).
    if matches!(&state.screen, Screen::Lead(LeadScreen { .. })) {
        fx.extend(<crate::state::lead::Reducer as crate::state::screen::Contract>::reload(state));
    }
    fx
}
