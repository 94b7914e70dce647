//! The new task popup: lead (searched by name), title, due date, priority.

use crate::config::keymap::Command;
use crate::state::request::InFlight;
use crossterm::event::{KeyCode, KeyEvent};
use uuid::Uuid;

use super::edit_task::MAX_TITLE;
use super::priority::PRIORITY_CHOICES;
use super::{Popup, input, is_save};
use crate::data::models::{LeadHit, TaskPriority};
use crate::state::inbox::{Due, InboxEffect, InboxScreen, screen, writes};
use crate::state::{Effect, Failure, RequestId, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewTaskField {
    Lead,
    Title,
    Due,
    Priority,
}

impl NewTaskField {
    const ORDER: [NewTaskField; 4] = [
        NewTaskField::Lead,
        NewTaskField::Title,
        NewTaskField::Due,
        NewTaskField::Priority,
    ];

    fn step(self, delta: isize) -> NewTaskField {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let n = Self::ORDER.len();
        let j = (i as isize + delta).rem_euclid(n as isize) as usize;
        Self::ORDER.get(j).copied().unwrap_or(NewTaskField::Lead)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTaskForm {
    /// The lead chosen: (id, name).
    pub lead: Option<(Uuid, String)>,
    /// Typed to search for another lead.
    pub query: String,
    pub hits: Vec<LeadHit>,
    pub selected: usize,
    /// The search whose result is awaited.
    pub search: Option<RequestId>,
    pub title: String,
    pub due: String,
    pub priority: TaskPriority,
    pub field: NewTaskField,
    pub hint: Option<String>,
}

/// A new task, for the lead of the task under the cursor (Tab to the lead field to choose
/// another).
pub fn open_new_task(state: &mut State) -> Vec<Effect> {
    let lead = screen(state)
        .and_then(InboxScreen::current)
        .map(|t| (t.lead_id, t.lead_name.clone()));
    let field = if lead.is_some() {
        NewTaskField::Title
    } else {
        NewTaskField::Lead
    };
    super::show(
        state,
        Popup::NewTask(NewTaskForm {
            lead,
            query: String::new(),
            hits: Vec::new(),
            selected: 0,
            search: None,
            title: String::new(),
            due: String::new(),
            priority: TaskPriority::Medium,
            field,
            hint: None,
        }),
    )
}

pub(super) fn key(state: &mut State, mut form: NewTaskForm, key: &KeyEvent) -> Vec<Effect> {
    let mut fx = Vec::new();
    let last_field = form.field == NewTaskField::Priority;
    let confirm = state.keymap.popup_command(key) == Some(Command::Confirm);
    if is_save(state, key) || (confirm && last_field) {
        return match validate_new_task(state, &form) {
            Ok((lead_id, lead_name, title, due)) => {
                writes::add_task(state, lead_id, lead_name, title, due, form.priority)
            }
            Err((field, hint)) => {
                form.field = field;
                form.hint = Some(hint);
                super::show(state, Popup::NewTask(form))
            }
        };
    }
    let popup = state.keymap.popup_command(key);
    match (form.field, key.code) {
        (_, _) if popup == Some(Command::NextField) => form.field = form.field.step(1),
        (_, _) if popup == Some(Command::PrevField) => form.field = form.field.step(-1),
        (NewTaskField::Lead, _) if popup == Some(Command::PopupUp) => {
            form.selected = form.selected.saturating_sub(1)
        }
        (NewTaskField::Lead, _) if popup == Some(Command::PopupDown) => {
            form.selected = super::step(form.selected, 1, form.hits.len().saturating_sub(1));
        }
        (NewTaskField::Lead, _) if confirm => {
            if let Some(hit) = form.hits.get(form.selected) {
                form.lead = Some((hit.id, hit.name.clone()));
                form.query.clear();
                form.hits.clear();
                form.search = None;
            }
            if form.lead.is_some() {
                form.field = NewTaskField::Title;
                form.hint = None;
            }
        }
        (_, _) if confirm => form.field = form.field.step(1),
        (_, _) if popup == Some(Command::PopupDown) => form.field = form.field.step(1),
        (_, _) if popup == Some(Command::PopupUp) => form.field = form.field.step(-1),
        (NewTaskField::Priority, KeyCode::Char(c)) => {
            if let Some((_, _, p)) = PRIORITY_CHOICES.iter().find(|(k, _, _)| *k == c) {
                form.priority = *p;
            }
        }
        (NewTaskField::Priority, _) => {}
        (NewTaskField::Lead, _) => {
            if input::edit(&mut form.query, key, 100) {
                form.hint = None;
                form.selected = 0;
                let query = form.query.trim().to_string();
                if query.is_empty() {
                    form.hits.clear();
                    form.search = None;
                } else {
                    let request = state.next_id();
                    form.search = Some(request);
                    fx.push(Effect::Inbox(InboxEffect::SearchLeads { request, query }));
                }
            }
        }
        (NewTaskField::Title, _) => {
            if input::edit(&mut form.title, key, MAX_TITLE) {
                form.hint = None;
            }
        }
        (NewTaskField::Due, _) => {
            if input::edit(&mut form.due, key, 40) {
                form.hint = None;
            }
        }
    }
    fx.extend(super::show(state, Popup::NewTask(form)));
    fx
}

type NewTaskValues = (Uuid, String, String, Option<Due>);

fn validate_new_task(
    state: &State,
    form: &NewTaskForm,
) -> Result<NewTaskValues, (NewTaskField, String)> {
    let Some((lead_id, lead_name)) = form.lead.clone() else {
        return Err((
            NewTaskField::Lead,
            "Type a lead's name and pick it with Enter".to_string(),
        ));
    };
    let title = form.title.trim();
    if title.is_empty() {
        return Err((NewTaskField::Title, "Give the task a title".to_string()));
    }
    let due = if form.due.trim().is_empty() {
        None
    } else {
        let today = screen(state).map(|s| s.data.local(state.now).0);
        let Some(today) = today else {
            return Err((NewTaskField::Due, "The inbox is still loading".to_string()));
        };
        match crate::dates::parse_optional_in(&form.due, today, state.zone) {
            Ok(due) => due,
            Err(why) => return Err((NewTaskField::Due, why.to_string())),
        }
    };
    Ok((lead_id, lead_name, title.to_string(), due))
}

pub fn on_leads(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<LeadHit>, Failure>,
) -> Vec<Effect> {
    if screen(state).is_none() {
        return Vec::new();
    }
    let Some(Popup::NewTask(form)) = &mut state.popup else {
        return Vec::new();
    };
    if !form.search.answered_by(request) {
        return Vec::new();
    }
    match result {
        Ok(hits) => {
            form.hits = hits;
            form.selected = 0;
            if form.hits.is_empty() {
                form.hint = Some(format!("No lead matches “{}”", form.query.trim()));
            }
            Vec::new()
        }
        Err(f) => {
            form.hint = Some(f.message.clone());
            crate::state::note_failure(state, &f)
        }
    }
}
