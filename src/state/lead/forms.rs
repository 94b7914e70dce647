//! The lead screen's forms: what each one asks, how it is checked, what it saves, and what
//! happens after (a saved call offers the follow-up task; a failed save keeps the form open with
//! everything typed and the reason).

mod save;

pub(crate) use save::{
    after_save, check_lead_fields, complete_task, edited_fields, on_saved, submit,
};

use chrono::NaiveDate;
use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::{
    DEAL_STAGES, Deal, DealChanges, DealStatus, Direction, DocumentInput, DocumentType,
    InteractionKind, LeadEdit, LeadEffect, LeadFields, LeadScreen, NewDeal, NewInteraction,
    NewLead, NewTask, Saved, Tab, TaskPriority, amount_text, deal_stage_key, local_today, reload,
};
use crate::config::keymap::Command;
use crate::state::popup::Popup;
use crate::state::popup::form::{
    ChoiceOption, Field, FieldId, Form, FormKey, FormKeys, Walk, email_problem, mobile_problem,
    parse_amount, parse_date, parse_duration, parse_int, phone_problem, refused,
};
use crate::state::{Effect, Failure, RequestId, Screen, State};

/// What a form saves.
#[derive(Debug, Clone, PartialEq)]
pub enum FormKind {
    /// Log an interaction (`c`).
    Capture {
        lead_id: Uuid,
        lead_name: String,
    },
    /// The follow-up task offered after a call.
    FollowUp {
        lead_id: Uuid,
    },
    Task {
        lead_id: Uuid,
    },
    Reschedule {
        task_id: Uuid,
        version: i32,
    },
    /// Add (`existing` none) or edit a deal (only what changed is saved).
    Deal {
        lead_id: Uuid,
        existing: Option<Box<Deal>>,
    },
    Document {
        lead_id: Uuid,
    },
    NewLead,
    /// Edit the lead; `base` is what the form started from (for three-way conflict defaults).
    EditLead {
        lead_id: Uuid,
        version: i32,
        base: Box<LeadFields>,
    },
}

/// Whether `key` is bound to `cmd`.
pub(crate) fn bound(state: &State, cmd: Command, key: &KeyEvent) -> bool {
    state.keymap.keys(cmd).iter().any(|k| k.matches(key))
}

fn keys(state: &State, cmd: Command) -> String {
    let label = state.keymap.keys_label(cmd);
    if label.is_empty() {
        "(unbound)".to_string()
    } else {
        label
    }
}

fn today(state: &State) -> NaiveDate {
    local_today(state.now).0
}

fn lead_screen(state: &State) -> Option<&LeadScreen> {
    match &state.screen {
        Screen::Lead(s) => Some(s),
        _ => None,
    }
}

fn show(state: &mut State, form: Form<FormKind>) -> Vec<Effect> {
    crate::state::popup::show(state, Popup::Form(form));
    Vec::new()
}

// ---------------------------------------------------------------------------
// Opening forms
// ---------------------------------------------------------------------------

/// `c`: log a call, email, meeting, note, SMS or WhatsApp in a few keys.
pub fn open_capture(state: &mut State) -> Vec<Effect> {
    let Some(screen) = lead_screen(state) else {
        return Vec::new();
    };
    let (lead_id, lead_name) = (screen.lead_id, screen.name.clone());
    let kinds = InteractionKind::ALL
        .iter()
        .map(|k| ChoiceOption::new(k.key(), k.label(), k.as_str()))
        .collect();
    let directions = vec![
        ChoiceOption::new('o', "outbound", "outbound"),
        ChoiceOption::new('i', "inbound", "inbound"),
        ChoiceOption::new('-', "none", ""),
    ];
    let content_hint = format!(
        "Enter new line · {} $EDITOR · {} save",
        keys(state, Command::ExternalEditor),
        keys(state, Command::SaveForm)
    );
    let fields = vec![
        Field::choice(FieldId::Kind, "Type", kinds, 1),
        Field::choice(FieldId::Direction, "Direction", directions, 0),
        Field::text(FieldId::Outcome, "Outcome", "", 200)
            .hint("e.g. connected, voicemail, no answer, interested"),
        Field::text(FieldId::Duration, "Duration", "", 20)
            .hint("minutes (15), m:ss (1:30), 90s or 1h30"),
        Field::text(FieldId::Subject, "Subject", "", 1000),
        Field::area(FieldId::Content, "Content", "", super::input::MAX_CHARS).hint(content_hint),
    ];
    let title = format!("Log interaction · {lead_name}");
    let form = Form::new(
        FormKind::Capture { lead_id, lead_name },
        title,
        fields,
        today(state),
    );
    show(state, form)
}

fn task_fields(title: &str, due: Option<NaiveDate>, follow_up: bool) -> Vec<Field> {
    let priorities = vec![
        ChoiceOption::new('l', "low", "low"),
        ChoiceOption::new('m', "medium", "medium"),
        ChoiceOption::new('h', "high", "high"),
    ];
    let mut fields = vec![
        Field::text(FieldId::Title, "Title", title, 500).required(),
        Field::date(FieldId::Due, "Due", due),
        Field::choice(FieldId::Priority, "Priority", priorities, 1),
    ];
    if follow_up {
        // The due date is what the rep decides; the title is usually fine as offered.
        fields.swap(0, 1);
    } else {
        fields.push(Field::area(FieldId::Description, "Notes", "", 10_000));
    }
    fields
}

/// `t`: add a task to the lead.
pub fn open_task(state: &mut State) -> Vec<Effect> {
    let Some(screen) = lead_screen(state) else {
        return Vec::new();
    };
    let lead_id = screen.lead_id;
    let title = format!("New task · {}", screen.name);
    let form = Form::new(
        FormKind::Task { lead_id },
        title,
        task_fields("", None, false),
        today(state),
    );
    show(state, form)
}

/// After a saved call: schedule the next step right away (Esc skips).
fn open_follow_up(state: &mut State, lead_id: Uuid, lead_name: &str) -> Vec<Effect> {
    let form = Form::new(
        FormKind::FollowUp { lead_id },
        "Call logged · schedule the next step? (Esc skips)",
        task_fields(&format!("Follow up with {lead_name}"), None, true),
        today(state),
    );
    show(state, form)
}

/// `R` on the Tasks tab: a new due date for the selected task.
pub fn open_reschedule(state: &mut State) -> Vec<Effect> {
    let Some(task) = lead_screen(state)
        .and_then(LeadScreen::selected_task)
        .cloned()
    else {
        state.info("No task selected (t adds one)");
        return Vec::new();
    };
    if task.is_done() {
        state.info("That task is done");
        return Vec::new();
    }
    let form = Form::new(
        FormKind::Reschedule {
            task_id: task.id,
            version: task.version,
        },
        format!("Reschedule · {}", task.title),
        vec![Field::date(FieldId::Due, "Due", task.due_date)],
        today(state),
    );
    show(state, form)
}

/// `d` adds a deal; Enter on the Deals tab edits the selected one.
pub fn open_deal(state: &mut State, edit: bool) -> Vec<Effect> {
    let Some(screen) = lead_screen(state) else {
        return Vec::new();
    };
    let lead_id = screen.lead_id;
    let existing = if edit {
        match screen.selected_deal() {
            Some(d) => Some(d.clone()),
            None => {
                state.info("No deal selected (d adds one)");
                return Vec::new();
            }
        }
    } else {
        None
    };
    let stages: Vec<ChoiceOption> = DEAL_STAGES
        .iter()
        .map(|s| ChoiceOption::new(deal_stage_key(s), *s, *s))
        .collect();
    let statuses = vec![
        ChoiceOption::new('o', "open", "open"),
        ChoiceOption::new('w', "won", "won"),
        ChoiceOption::new('l', "lost", "lost"),
    ];
    let (name, amount, stage, probability, status, close, title) = match &existing {
        Some(d) => (
            d.name.clone(),
            format!("{} {}", amount_text(d.amount), d.currency),
            DEAL_STAGES.iter().position(|s| *s == d.stage).unwrap_or(0),
            d.probability.to_string(),
            match d.status {
                DealStatus::Open => 0,
                DealStatus::Won => 1,
                DealStatus::Lost => 2,
            },
            d.expected_close_date,
            format!("Edit deal · {}", d.name),
        ),
        None => (
            String::new(),
            String::new(),
            0,
            "10".to_string(),
            0,
            None,
            format!("New deal · {}", screen.name),
        ),
    };
    let fields = vec![
        Field::text(FieldId::Name, "Name", name, 200).required(),
        Field::text(FieldId::Amount, "Amount", amount, 30)
            .hint("250k, €1,250,000, GBP 20k; a plain number: your organization's currency"),
        Field::choice(FieldId::Stage, "Stage", stages, stage),
        Field::text(FieldId::Probability, "Probability %", probability, 5),
        Field::choice(FieldId::Status, "Status", statuses, status),
        Field::date(FieldId::CloseDate, "Close date", close),
    ];
    let form = Form::new(
        FormKind::Deal {
            lead_id,
            existing: existing.map(Box::new),
        },
        title,
        fields,
        today(state),
    );
    show(state, form)
}

/// `a`: attach a document by path or URL (metadata only).
pub fn open_document(state: &mut State) -> Vec<Effect> {
    let Some(screen) = lead_screen(state) else {
        return Vec::new();
    };
    let lead_id = screen.lead_id;
    let title = format!("Attach document · {}", screen.name);
    let types = DocumentType::ALL
        .iter()
        .map(|t| ChoiceOption::new(t.key(), t.as_str(), t.as_str()))
        .collect();
    let fields = vec![
        Field::text(FieldId::Path, "Path or URL", "", 4000)
            .required()
            .hint("a local file (its size and type are read) or an https:// link"),
        Field::text(FieldId::Name, "Name", "", 500).hint("blank: the file name"),
        Field::choice(FieldId::DocumentType, "Type", types, 4),
    ];
    let form = Form::new(FormKind::Document { lead_id }, title, fields, today(state));
    show(state, form)
}

/// `n`: a new lead, in the column the rep is in, owned by the rep.
pub fn open_new_lead(state: &mut State) -> Vec<Effect> {
    let columns = &state.board.columns;
    if columns.is_empty() {
        state.info("The board has no stages yet: wait for it to load (or ask an admin)");
        return Vec::new();
    }
    let stages: Vec<ChoiceOption> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| ChoiceOption {
            key: char::from_digit(u32::try_from(i + 1).unwrap_or(0), 10).unwrap_or('\0'),
            label: c.stage.name.clone(),
            value: c.stage.id.to_string(),
            color: Some(c.stage.color.clone()),
        })
        .collect();
    let current = state.board.selected.min(stages.len().saturating_sub(1));
    let fields = vec![
        Field::text(FieldId::Name, "Name", "", 200).required(),
        Field::text(FieldId::Email, "Email", "", 320).hint("name@example.com"),
        Field::text(FieldId::Phone, "Phone", "", 30).hint("+1 555 0100"),
        Field::text(FieldId::Company, "Company", "", 200),
        Field::choice(FieldId::Stage, "Stage", stages, current),
    ];
    let title = format!("New lead · owned by {}", state.session.person);
    let form = Form::new(FormKind::NewLead, title, fields, today(state));
    show(state, form)
}

/// `e`: edit the lead and its profile.
pub fn open_edit(state: &mut State) -> Vec<Effect> {
    let Some(detail) = lead_screen(state).and_then(LeadScreen::detail).cloned() else {
        return Vec::new();
    };
    let base = Box::new(LeadFields::of(&detail));
    let fields = LeadFields::FIELDS
        .iter()
        .map(|(id, label)| {
            let value = base.get(*id).to_string();
            let field = Field::text(*id, label, value, max_len(*id));
            match id {
                FieldId::Name => field.required(),
                FieldId::Email => field.hint("name@example.com"),
                FieldId::Phone | FieldId::Mobile => field.hint("+1 555 0100"),
                FieldId::MinBudget | FieldId::MaxBudget => field.hint("e.g. 250000, 250k, 1.2m"),
                _ => field,
            }
        })
        .collect();
    let form = Form::new(
        FormKind::EditLead {
            lead_id: detail.id,
            version: detail.version,
            base,
        },
        format!("Edit · {}", detail.name),
        fields,
        today(state),
    );
    show(state, form)
}

fn max_len(id: FieldId) -> usize {
    match id {
        FieldId::Name => 200,
        FieldId::Email => 320,
        FieldId::Phone | FieldId::Mobile => 30,
        FieldId::MinBudget | FieldId::MaxBudget => 30,
        _ => 500,
    }
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

pub fn form_key(state: &mut State, mut form: Form<FormKind>, key: &KeyEvent) -> Vec<Effect> {
    let save = bound(state, Command::SaveForm, key);
    let editor = bound(state, Command::ExternalEditor, key);
    let popup = state.keymap.popup_command(key);
    let roles = FormKeys {
        save,
        editor,
        cancel: popup == Some(Command::Cancel),
        confirm: popup == Some(Command::Confirm),
        walk: Walk::of(popup),
    };
    match form.key_bound(key, roles) {
        FormKey::Stay => show(state, form),
        FormKey::Close => {
            if matches!(form.kind, FormKind::FollowUp { .. }) {
                state.info("No follow-up scheduled");
            }
            Vec::new()
        }
        FormKey::Submit => submit(state, form),
        FormKey::Editor => {
            let Some(field) = form.focused() else {
                return show(state, form);
            };
            let effect = LeadEffect::ExternalEdit {
                field: field.id,
                text: field.raw().to_string(),
            };
            crate::state::popup::show(state, Popup::Form(form));
            vec![Effect::Lead(effect)]
        }
    }
}

/// `$EDITOR` came back: its text replaces the field's (the form is still open).
pub fn on_edited(state: &mut State, field: FieldId, result: Result<String, String>) {
    let form = match &mut state.popup {
        Some(Popup::Form(form)) => form,
        // Another popup of the lead work: the answer is for nobody.
        Some(Popup::Conflict(_) | Popup::Tags(_) | Popup::Filter { .. }) => return,
        _ => {
            if let Err(why) = result {
                state.error(why);
            }
            return;
        }
    };
    match result {
        Ok(text) => {
            if let Some(input) = form.field_mut(field).and_then(Field::input_mut) {
                // Editors add a final newline.
                let text = text.strip_suffix('\n').unwrap_or(&text);
                let text = if input.multiline {
                    text.to_string()
                } else {
                    text.lines().next().unwrap_or("").to_string()
                };
                input.set("");
                input.insert_str(&text);
                form.dirty = true;
                form.error = None;
            }
        }
        Err(why) => form.error = Some(why),
    }
}

// ---------------------------------------------------------------------------
// Saving
// ---------------------------------------------------------------------------
