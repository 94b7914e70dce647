//! Saved views on the board: `F` lists them (own, then the organization's shared ones) and
//! applies the one picked (its filter and sort); Ctrl-S in the filter bar saves the filter as a
//! view named after it; at start the person's default view is applied. In the picker the
//! person renames, deletes, shares (managers) and picks the start view of their own views;
//! teammates' shared views are read-only.

use uuid::Uuid;

use super::BoardEffect;
use crate::config::keymap::Command;
use crate::data::models::MemberRole;
use crate::data::views::{SavedView, ViewOp};
use crate::filter::{self, Filter};
use crate::state::popup::{Picker, PickerItem, PickerKind, Popup, Prompt, PromptPurpose};
use crate::state::request::InFlight;
use crate::state::{Connection, Effect, Failure, RequestId, State, note_failure};

/// Longest view name (the database's limit).
const MAX_NAME: usize = 100;

/// Reads the views; the picker opens on them when `open_picker`.
pub fn request(state: &mut State, open_picker: bool) -> Vec<Effect> {
    let request = state.next_id();
    state.board.views_request = Some(request);
    vec![
        BoardEffect::LoadViews {
            request,
            open_picker,
        }
        .into(),
    ]
}

pub(super) fn on_views(
    state: &mut State,
    request: RequestId,
    open_picker: bool,
    result: Result<Vec<SavedView>, Failure>,
) -> Vec<Effect> {
    if !state.board.views_request.answered_by(request) {
        return Vec::new();
    }
    let views = match result {
        Ok(views) => views,
        Err(f) => {
            if open_picker {
                state.error(f.message.clone());
            }
            return note_failure(state, &f);
        }
    };
    state.connection = Connection::Connected;
    state.board.views = views;
    if !open_picker {
        // The start view: only if the person has not filtered meanwhile.
        let default = state.board.views.iter().find(|v| v.is_default && v.mine);
        return match default.map(|v| v.id) {
            Some(id) if state.board.filter.is_empty() => apply_view(state, id),
            _ => Vec::new(),
        };
    }
    if state.board.views.is_empty() {
        state.info("No saved views yet: Ctrl-S in the filter bar (f) saves one");
        return Vec::new();
    }
    show_picker(state, 0);
    Vec::new()
}

/// The picker over `state.board.views`, on the `selected`th.
fn show_picker(state: &mut State, selected: usize) {
    let items: Vec<PickerItem> = state
        .board
        .views
        .iter()
        .map(|v| PickerItem {
            id: v.id,
            label: label(v),
            color: None,
            current: false,
        })
        .collect();
    let selected = selected.min(items.len().saturating_sub(1));
    state.popup = Some(Popup::Picker(Picker {
        kind: PickerKind::View,
        title: "Saved views".to_string(),
        items,
        selected,
    }));
}

/// A picker key that changes the highlighted view; `None`: not one of them.
pub fn manage(state: &mut State, picker: &Picker, cmd: Command) -> Option<Vec<Effect>> {
    if !matches!(
        cmd,
        Command::RenameView | Command::DeleteView | Command::ShareView | Command::DefaultView
    ) {
        return None;
    }
    let item = picker.items.get(picker.selected)?;
    let view = state.board.views.iter().find(|v| v.id == item.id)?.clone();
    // The picker stays open for a sentence; a write reopens it when the views are read again.
    state.popup = Some(Popup::Picker(picker.clone()));
    if !view.mine {
        state.info(format!(
            "“{}” is a teammate's shared view: read-only (pick it, then ctrl-s in the filter bar saves your own copy)",
            view.name
        ));
        return Some(Vec::new());
    }
    let op = match cmd {
        Command::RenameView => {
            state.popup = Some(Popup::Prompt(Prompt {
                purpose: PromptPurpose::RenameView { view: view.id },
                title: format!("Rename the view “{}”", view.name),
                input: view.name.clone(),
                hint: None,
            }));
            return Some(Vec::new());
        }
        Command::DeleteView => ViewOp::Delete { view: view.id },
        Command::ShareView => {
            if state.board.lifecycle.role == Some(MemberRole::Rep) {
                state.info("Only managers and admins share views with the organization");
                return Some(Vec::new());
            }
            ViewOp::Share {
                view: view.id,
                share: !view.shared,
            }
        }
        _ => ViewOp::Default {
            view: (!view.is_default).then_some(view.id),
        },
    };
    Some(write(state, op, &view.name))
}

/// The rename prompt's text.
pub fn rename(state: &mut State, view: Uuid, name: String) -> Vec<Effect> {
    let old = state
        .board
        .views
        .iter()
        .find(|v| v.id == view)
        .map(|v| v.name.clone())
        .unwrap_or_default();
    let name: String = name.chars().take(MAX_NAME).collect();
    write(state, ViewOp::Rename { view, name }, &old)
}

fn write(state: &mut State, op: ViewOp, name: &str) -> Vec<Effect> {
    let done = match &op {
        ViewOp::Rename { name: new, .. } => format!("Renamed “{name}” to “{new}”"),
        ViewOp::Delete { .. } => {
            format!("Deleted the view “{name}” (ctrl-s in the filter bar saves it again)")
        }
        ViewOp::Share { share: true, .. } => format!("“{name}” is shared with the organization"),
        ViewOp::Share { share: false, .. } => format!("“{name}” is yours alone again"),
        ViewOp::Default { view: Some(_) } => format!("“{name}” is your start view"),
        ViewOp::Default { view: None } => "No start view: the board starts unfiltered".to_string(),
    };
    let request = state.next_id();
    state.board.views_request = Some(request);
    vec![BoardEffect::WriteView { request, op, done }.into()]
}

/// A picker change landed: say so, then read the views again and reopen the picker.
pub(super) fn on_written(
    state: &mut State,
    request: RequestId,
    done: String,
    result: Result<bool, Failure>,
) -> Vec<Effect> {
    if state.board.views_request != Some(request) {
        return Vec::new();
    }
    state.board.views_request = None;
    match result {
        Ok(true) => state.info(done),
        Ok(false) => state.error("That view was deleted or is not yours; nothing changed"),
        Err(f) => {
            state.error(format!("The view was not changed: {}", f.message));
            let mut fx = note_failure(state, &f);
            fx.extend(self::request(state, true));
            return fx;
        }
    }
    self::request(state, true)
}

fn label(v: &SavedView) -> String {
    let mut label = String::new();
    if v.is_default && v.mine {
        label.push_str("★ ");
    }
    label.push_str(&v.name);
    if v.filter != v.name {
        label.push_str(&format!(" — {}", v.filter));
    }
    if v.shared {
        label.push_str(if v.mine {
            " (shared)"
        } else {
            " (team, read-only)"
        });
    }
    label
}

/// Shows the board through view `id`: its filter and sort.
pub fn apply_view(state: &mut State, id: Uuid) -> Vec<Effect> {
    let Some(view) = state.board.views.iter().find(|v| v.id == id).cloned() else {
        return Vec::new();
    };
    match filter::parse(&view.filter) {
        Ok(f) => {
            // A view stores the key and the direction apart.
            state.board.sort = if view.descending {
                view.sort.key()
            } else {
                view.sort.key().flip()
            };
            let fx = super::filter::apply(state, f);
            state.info(format!("View: {}", view.name));
            fx
        }
        Err(e) => {
            state.error(format!("The view “{}” no longer parses: {e}", view.name));
            Vec::new()
        }
    }
}

/// Saves `filter` as a view named after its text, then shows it.
pub fn save(state: &mut State, filter: Filter) -> Vec<Effect> {
    let text = filter.to_string();
    if text.is_empty() {
        state.error("Type a filter to save as a view");
        return Vec::new();
    }
    let name: String = text.chars().take(MAX_NAME).collect();
    let request = state.next_id();
    let sort = state.board.sort;
    let mut fx = super::filter::apply(state, filter.clone());
    fx.push(
        BoardEffect::SaveView {
            request,
            name,
            filter,
            sort,
        }
        .into(),
    );
    fx
}

pub(super) fn on_saved(
    state: &mut State,
    _request: RequestId,
    result: Result<Uuid, Failure>,
) -> Vec<Effect> {
    match result {
        Ok(_) => {
            state.info(format!(
                "Saved the view “{}” (F lists views)",
                state.board.filter
            ));
            request(state, false)
        }
        Err(f) => {
            state.error(format!("The view was not saved: {}", f.message));
            note_failure(state, &f)
        }
    }
}
