//! Saved views on the board: `F` lists them (own, then the organization's shared ones) and
//! applies the one picked (its filter and sort); Ctrl-S in the filter bar saves the filter as a
//! view named after it; at start the person's default view is applied.

use uuid::Uuid;

use super::BoardEffect;
use crate::data::views::SavedView;
use crate::filter::{self, Filter};
use crate::state::popup::{Picker, PickerItem, PickerKind, Popup};
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
    let items = state
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
    state.popup = Some(Popup::Picker(Picker {
        kind: PickerKind::View,
        title: "Saved views".to_string(),
        items,
        selected: 0,
    }));
    Vec::new()
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
        label.push_str(if v.mine { " (shared)" } else { " (team)" });
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
