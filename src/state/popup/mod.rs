//! Popups: one slot (`State::popup`), one enum, one file per popup. Only one is open at a time:
//! each is modal and closes back to the screen, so a stack would only add states nobody can
//! reach. An open popup takes every key; the router hands it over through `popup::key`.
//!
//! A new popup is a new file here (its data, how it opens, its keys) plus a variant below and
//! its drawing in `ui/popup/`.

pub mod assign;
pub mod closing;
pub mod closing_deal;
pub mod closing_reasons;
pub mod conflict;
pub mod date;
pub mod delete;
pub mod edit_task;
pub mod editor;
mod editor_text;
pub mod filter;
pub mod filter_bar;
pub mod form;
pub mod help;
pub mod input;
pub mod jump;
pub mod new_task;
pub mod owner;
pub mod palette;
pub mod picker;
pub mod priority;
pub mod prompt;
pub mod snooze;
pub mod tags;

use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::{Effect, State};
use crate::config::keymap::Command;

pub use assign::filtered as filtered_teammates;
pub use closing::{CloseKind, CloseRow, ClosingDialog};
pub use conflict::ConflictPrompt;
pub use date::DatePurpose;
pub use edit_task::EditField;
pub use filter_bar::FilterBar;
pub use form::Form;
pub use help::{Help, HelpSection};
pub use jump::Jump;
pub use new_task::{NewTaskField, NewTaskForm};
pub use palette::Palette;
pub use picker::{Picker, PickerItem, PickerKind};
pub use priority::PRIORITY_CHOICES;
pub use prompt::{Prompt, PromptPurpose};
pub use snooze::SNOOZE_CHOICES;
pub use tags::TagEditor;

/// The open popup.
#[allow(clippy::large_enum_variant)] // one at a time, in one slot
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    // Anywhere.
    Help(Help),
    // The board.
    Picker(Picker),
    Prompt(Prompt),
    Jump(Jump),
    /// A move into or out of a closed stage (issue 10).
    Closing(ClosingDialog),
    // The lead work (over any screen).
    Form(Form<crate::state::lead::FormKind>),
    Conflict(ConflictPrompt),
    Tags(TagEditor),
    Filter {
        selected: usize,
    },
    // The inbox.
    Snooze {
        ids: Vec<Uuid>,
        selected: usize,
    },
    Date {
        purpose: DatePurpose,
        input: String,
        hint: Option<String>,
    },
    Priority {
        ids: Vec<Uuid>,
        selected: usize,
    },
    Assign {
        ids: Vec<Uuid>,
        filter: String,
        selected: usize,
    },
    Edit {
        id: Uuid,
        title: String,
        description: String,
        field: EditField,
        hint: Option<String>,
    },
    NewTask(NewTaskForm),
    // The board's pipeline editor (issue 13).
    Editor(editor::PipelineEditor),
    // The board's filter (issue 12).
    FilterBar(FilterBar),
    // Anywhere: the command palette.
    Palette(Palette),
    // The board and the lead screen: owner and lifecycle (issue 12).
    Owner(owner::OwnerPicker),
    DeleteLead(delete::DeleteConfirm),
}

impl Popup {
    /// Popups of the inbox: drawn over its list, and they hide its key hints.
    pub fn is_inbox(&self) -> bool {
        matches!(
            self,
            Popup::Snooze { .. }
                | Popup::Date { .. }
                | Popup::Priority { .. }
                | Popup::Assign { .. }
                | Popup::Edit { .. }
                | Popup::NewTask(_)
        )
    }

    /// Waits for a search the spinner shows.
    pub fn is_loading(&self) -> bool {
        matches!(self, Popup::Jump(j) if j.request.is_some())
            || matches!(self, Popup::Editor(e) if e.request.is_some())
            || matches!(self, Popup::Palette(p) if p.request.is_some())
    }
}

/// Opens (or puts back) `popup`.
pub fn show(state: &mut State, popup: Popup) -> Vec<Effect> {
    state.popup = Some(popup);
    Vec::new()
}

/// A key for the open popup (already taken out of the slot: a handler that does not put it back
/// closes it).
pub(crate) fn key(state: &mut State, popup: Popup, key: KeyEvent) -> Vec<Effect> {
    if popup.is_inbox() {
        // Esc closes; after each key the inbox keeps its cursor in view and fetches what
        // triage shows.
        let mut fx = if state.keymap.popup_command(&key) == Some(Command::Cancel) {
            Vec::new()
        } else {
            inbox_key(state, popup, &key)
        };
        fx.extend(crate::state::inbox::settle(state));
        return fx;
    }
    match popup {
        Popup::Help(help) => help::key(state, help, key),
        Popup::Picker(picker) => picker::key(state, picker, key),
        Popup::Prompt(prompt) => prompt::key(state, prompt, key),
        Popup::Jump(jump) => jump::key(state, jump, key),
        Popup::Closing(dialog) => closing::key(state, dialog, key),
        Popup::Form(form) => crate::state::lead::forms::form_key(state, form, &key),
        Popup::Conflict(prompt) => conflict::key(state, prompt, &key),
        Popup::Tags(editor) => tags::key(state, editor, &key),
        Popup::Filter { selected } => filter::key(state, selected, &key),
        Popup::Editor(e) => editor::key(state, e, &key),
        Popup::FilterBar(bar) => filter_bar::key(state, bar, &key),
        Popup::Palette(palette) => palette::key(state, palette, key),
        Popup::Owner(p) => owner::key(state, p, &key),
        Popup::DeleteLead(c) => delete::key(state, c, &key),
        other => show(state, other),
    }
}

fn inbox_key(state: &mut State, popup: Popup, key: &KeyEvent) -> Vec<Effect> {
    match popup {
        Popup::Snooze { ids, selected } => snooze::key(state, ids, selected, key),
        Popup::Date {
            purpose,
            input,
            hint,
        } => date::key(state, purpose, input, hint, key),
        Popup::Priority { ids, selected } => priority::key(state, ids, selected, key),
        Popup::Assign {
            ids,
            filter,
            selected,
        } => assign::key(state, ids, filter, selected, key),
        Popup::Edit {
            id,
            title,
            description,
            field,
            hint,
        } => edit_task::key(state, id, title, description, field, hint, key),
        Popup::NewTask(form) => new_task::key(state, form, key),
        other => show(state, other),
    }
}

/// A list's movement keys: the popup's own (`popup_up`/`popup_down`, `prev_field`/`next_field`),
/// which leave letters to a text filter typed above the list.
pub(super) fn list_step(state: &State, key: &KeyEvent) -> Option<isize> {
    match state.keymap.popup_command(key) {
        Some(Command::PopupUp | Command::PrevField) => Some(-1),
        Some(Command::PopupDown | Command::NextField) => Some(1),
        _ => None,
    }
}

/// A search-as-you-type popup's debounce fired (palette, jump to lead): when `token` is still
/// the latest, the lead search of what is typed becomes the awaited `request`.
pub(super) fn search_typed(
    debounce: &mut Option<crate::state::RequestId>,
    awaited: &mut Option<crate::state::RequestId>,
    typed: &str,
    token: crate::state::RequestId,
    request: crate::state::RequestId,
) -> Vec<Effect> {
    if *debounce != Some(token) {
        return Vec::new();
    }
    *debounce = None;
    let query = typed.trim().to_string();
    if query.is_empty() {
        return Vec::new();
    }
    *awaited = Some(request);
    vec![
        crate::state::board::BoardEffect::SearchLeads {
            request,
            query,
            limit: crate::state::SEARCH_LIMIT,
        }
        .into(),
    ]
}

/// `selected` moved by `delta`, within `0..=last`.
pub(super) fn step(selected: usize, delta: isize, last: usize) -> usize {
    selected.saturating_add_signed(delta).min(last)
}

/// A menu's movement keys (a menu has no text to type): the list keys, or the screen's own
/// list commands (j/k…).
pub(super) fn menu_delta(state: &State, key: &KeyEvent) -> Option<isize> {
    list_step(state, key).or_else(|| match state.keymap.command_for(state.scope(), key) {
        Some(Command::Up) => Some(-1),
        Some(Command::Down) => Some(1),
        _ => None,
    })
}

pub(super) fn is_save(state: &State, key: &KeyEvent) -> bool {
    state.keymap.command_for(state.scope(), key) == Some(Command::SaveForm)
}
