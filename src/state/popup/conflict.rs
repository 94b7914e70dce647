//! No lost updates: when someone saved the lead first, the rep sees each field where their
//! values differ (mine vs theirs), chooses per field (or all mine / all theirs), and saves again
//! against the new version.
//!
//! Defaults are three-way: a field only I changed keeps mine, a field only they changed takes
//! theirs, a field we both changed keeps mine (the rep just typed it) but is marked.

use crossterm::event::{KeyCode, KeyEvent};

use super::form::{FieldId, Form};
use super::{Popup, menu_delta, show, step};
use crate::config::keymap::Command;
use crate::state::history::{self, Answer, Place, Undo};
use crate::state::lead::forms::{FormKind, after_save, bound, check_lead_fields, edited_fields};
use crate::state::lead::{LeadEffect, LeadFields, LeadStatus, Saved, UpdateReply};
use crate::state::{Effect, Failure, RequestId, Screen, State};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    pub field: FieldId,
    pub label: &'static str,
    pub mine: String,
    pub theirs: String,
    /// Both sides changed it since the form opened.
    pub both: bool,
    pub take_mine: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConflictPrompt {
    /// The edit form as the rep left it (Esc returns to it).
    pub form: Form<FormKind>,
    pub lead_id: uuid::Uuid,
    pub theirs: LeadFields,
    /// The version to save against.
    pub version: i32,
    pub rows: Vec<ConflictRow>,
    pub selected: usize,
    pub saving: Option<RequestId>,
    pub error: Option<String>,
}

impl ConflictPrompt {
    pub fn new(
        form: Form<FormKind>,
        lead_id: uuid::Uuid,
        theirs: LeadFields,
        version: i32,
    ) -> ConflictPrompt {
        let mine = edited_fields(&form);
        let base = match &form.kind {
            FormKind::EditLead { base, .. } => base.as_ref().clone(),
            _ => LeadFields::default(),
        };
        let rows = LeadFields::FIELDS
            .iter()
            .filter(|(id, _)| mine.get(*id) != theirs.get(*id))
            .map(|(id, label)| {
                let i_changed = mine.get(*id) != base.get(*id);
                let they_changed = theirs.get(*id) != base.get(*id);
                ConflictRow {
                    field: *id,
                    label,
                    mine: mine.get(*id).to_string(),
                    theirs: theirs.get(*id).to_string(),
                    both: i_changed && they_changed,
                    take_mine: i_changed,
                }
            })
            .collect();
        ConflictPrompt {
            form,
            lead_id,
            theirs,
            version,
            rows,
            selected: 0,
            saving: None,
            error: None,
        }
    }

    /// Theirs, with mine where chosen.
    pub fn merged(&self) -> LeadFields {
        let mut out = self.theirs.clone();
        for row in self.rows.iter().filter(|r| r.take_mine) {
            out.set(row.field, row.mine.clone());
        }
        out
    }
}

pub fn key(state: &mut State, mut prompt: ConflictPrompt, key: &KeyEvent) -> Vec<Effect> {
    if prompt.saving.is_some() {
        show(state, Popup::Conflict(prompt));
        return Vec::new();
    }
    let last = prompt.rows.len().saturating_sub(1);
    let save = bound(state, Command::SaveForm, key);
    let popup = state.keymap.popup_command(key);
    if save || popup == Some(Command::Confirm) {
        return send(state, prompt);
    }
    match key.code {
        _ if popup == Some(Command::Cancel) => {
            // Back to the form, with what was typed.
            let mut form = prompt.form;
            form.error = Some(
                "Not saved: someone else changed this lead (ctrl-s to compare again)".to_string(),
            );
            show(state, Popup::Form(form));
            return Vec::new();
        }
        _ if popup == Some(Command::TakeMine) || popup == Some(Command::TakeTheirs) => {
            if let Some(row) = prompt.rows.get_mut(prompt.selected) {
                row.take_mine = popup == Some(Command::TakeMine);
            }
            prompt.selected = step(prompt.selected, 1, last);
        }
        _ if popup == Some(Command::TakeAllMine) => {
            prompt.rows.iter_mut().for_each(|r| r.take_mine = true)
        }
        _ if popup == Some(Command::TakeAllTheirs) => {
            prompt.rows.iter_mut().for_each(|r| r.take_mine = false)
        }
        // The arrows across flip the row too: the two values sit side by side.
        _ if popup == Some(Command::Toggle)
            || matches!(key.code, KeyCode::Left | KeyCode::Right) =>
        {
            if let Some(row) = prompt.rows.get_mut(prompt.selected) {
                row.take_mine = !row.take_mine;
            }
        }
        _ => {
            if let Some(delta) = menu_delta(state, key) {
                prompt.selected = step(prompt.selected, delta, last);
            }
        }
    }
    show(state, Popup::Conflict(prompt));
    Vec::new()
}

/// Saves the merged values against their version.
fn send(state: &mut State, mut prompt: ConflictPrompt) -> Vec<Effect> {
    let merged = prompt.merged();
    if merged == prompt.theirs {
        // "Keep theirs" everywhere: their version is already saved, so nothing is written;
        // the popup closes and the lead is read again to show it.
        state.info("Kept their version: nothing to save");
        return <crate::state::lead::Reducer as crate::state::screen::Contract>::reload(state);
    }
    // The merged values must pass the same checks as the form (theirs did, mine were checked).
    let mut probe = prompt.form.clone();
    for f in &mut probe.fields {
        f.error = None;
    }
    check_lead_fields(&mut probe, &merged);
    if merged.name.trim().is_empty() {
        probe.set_error(FieldId::Name, "Name is required");
    }
    if let Some(f) = probe.fields.iter().find(|f| f.error.is_some()) {
        prompt.error = Some(format!(
            "{}: {}",
            f.label,
            f.error.clone().unwrap_or_default()
        ));
        show(state, Popup::Conflict(prompt));
        return Vec::new();
    }
    let request = state.next_id();
    prompt.saving = Some(request);
    prompt.error = None;
    let effect = LeadEffect::UpdateLead {
        request,
        lead_id: prompt.lead_id,
        version: prompt.version,
        fields: Box::new(merged),
        base: Box::new(prompt.theirs.clone()),
    };
    show(state, Popup::Conflict(prompt));
    vec![Effect::Lead(effect)]
}

/// The answer to an update sent by the edit form or by the conflict prompt.
pub fn on_updated(
    state: &mut State,
    request: RequestId,
    result: Result<UpdateReply, Failure>,
) -> Vec<Effect> {
    if let Some(awaited) = state.history.answers(request) {
        let answer = match result {
            Ok(UpdateReply::Saved { version }) => Answer::Done(Some(version)),
            Ok(UpdateReply::Conflict { .. }) => Answer::Conflict,
            Ok(UpdateReply::Gone) => Answer::Failed(Failure {
                message: "the lead was deleted or is no longer visible to you".to_string(),
                connection: false,
            }),
            Err(f) => Answer::Failed(f),
        };
        return history::on_answer(state, awaited, answer);
    }
    let waiting = match &state.popup {
        Some(Popup::Form(f)) => f.saving == Some(request),
        Some(Popup::Conflict(p)) => p.saving == Some(request),
        _ => false,
    };
    if !waiting {
        return Vec::new();
    }
    // The form as typed, and the prompt if the update came from one.
    let (mut form, prompt) = match state.popup.take() {
        Some(Popup::Form(f)) => (f, None),
        Some(Popup::Conflict(p)) => (p.form.clone(), Some(p)),
        other => {
            state.popup = other;
            return Vec::new();
        }
    };
    form.saving = None;
    match result {
        Ok(UpdateReply::Saved { version }) => {
            if prompt.is_none()
                && let FormKind::EditLead {
                    lead_id,
                    base,
                    version: from,
                } = &form.kind
            {
                let after = edited_fields(&form);
                let undo = Undo::LeadEdit {
                    lead_id: *lead_id,
                    from: *from,
                    version,
                    before: base.clone(),
                    after: Box::new(after.clone()),
                };
                let label = format!("edited {}", after.name);
                state.history.push(label, Place::Lead(*lead_id), undo);
            }
            after_save(state, Some(&form.kind), Saved::LeadUpdated)
        }
        Ok(UpdateReply::Conflict { theirs, version }) => {
            let lead_id = match &form.kind {
                FormKind::EditLead { lead_id, .. } => *lead_id,
                _ => return Vec::new(),
            };
            let mut next = ConflictPrompt::new(form, lead_id, *theirs, version);
            if let Some(old) = prompt {
                // Keep the rep's choices for rows that are still in conflict.
                for row in &mut next.rows {
                    if let Some(was) = old.rows.iter().find(|r| r.field == row.field) {
                        row.take_mine = was.take_mine;
                    }
                }
                next.error = Some("Changed again meanwhile: compare once more".to_string());
            }
            if next.rows.is_empty() {
                // Nothing differs any more: save mine against the new version at once.
                return send(state, next);
            }
            show(state, Popup::Conflict(next));
            Vec::new()
        }
        Ok(UpdateReply::Gone) => {
            form.error = Some(
                "This lead was deleted or is no longer visible to you: it cannot be saved"
                    .to_string(),
            );
            show(state, Popup::Form(form));
            if let Screen::Lead(screen) = &mut state.screen {
                screen.status = LeadStatus::Gone;
                screen.data = None;
            }
            Vec::new()
        }
        Err(f) => {
            match prompt {
                Some(mut p) => {
                    p.saving = None;
                    p.error = Some(f.message.clone());
                    show(state, Popup::Conflict(p));
                }
                None => {
                    form.error = Some(f.message.clone());
                    show(state, Popup::Form(form));
                }
            }
            crate::state::note_failure(state, &f)
        }
    }
}
