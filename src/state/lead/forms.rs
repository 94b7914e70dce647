//! The lead screen's forms: what each one asks, how it is checked, what it saves, and what
//! happens after (a saved call offers the follow-up task; a failed save keeps the form open with
//! everything typed and the reason).

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
    ChoiceOption, Field, FieldId, Form, FormKey, email_problem, mobile_problem, parse_amount,
    parse_date, parse_duration, parse_int, phone_problem, refused,
};
use crate::state::{Effect, Failure, RequestId, Screen, State};

/// How a due date is entered.
const DUE_HINT: &str =
    "t today · m tomorrow · 3 +3d · w next week · n none · or 2025-04-01, fri 14:00";

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
    let due_hint = DUE_HINT;
    let mut fields = vec![
        Field::text(FieldId::Title, "Title", title, 500).required(),
        Field::date(FieldId::Due, "Due", due).hint(due_hint),
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
    let due_hint = DUE_HINT;
    let form = Form::new(
        FormKind::Reschedule {
            task_id: task.id,
            version: task.version,
        },
        format!("Reschedule · {}", task.title),
        vec![Field::date(FieldId::Due, "Due", task.due_date).hint(due_hint)],
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
            amount_text(d.amount),
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
        Field::text(FieldId::Amount, "Amount", amount, 30).hint("e.g. 250000, 250k or 1.2m"),
        Field::choice(FieldId::Stage, "Stage", stages, stage),
        Field::text(FieldId::Probability, "Probability %", probability, 5),
        Field::choice(FieldId::Status, "Status", statuses, status),
        Field::date(FieldId::CloseDate, "Close date", close).hint(DUE_HINT),
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
    match form.key(key, save, editor) {
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

/// Checks the form; sends the save, or shows what to fix.
fn submit(state: &mut State, mut form: Form<FormKind>) -> Vec<Effect> {
    for f in &mut form.fields {
        f.error = None;
        if f.required && f.raw().trim().is_empty() {
            f.error = Some(format!("{} is required", f.label));
        }
    }
    form.error = None;
    let request = state.next_id();
    let effect = build(&mut form, request);
    let unchanged = match &effect {
        Some(LeadEffect::UpdateLead { fields, base, .. }) => fields == base,
        Some(LeadEffect::UpdateDeal { changes, .. }) => *changes == DealChanges::default(),
        _ => false,
    };
    match effect {
        Some(_) if unchanged && !form.fields.iter().any(|f| f.error.is_some()) => {
            state.info("Nothing changed");
            Vec::new()
        }
        Some(effect) if !form.fields.iter().any(|f| f.error.is_some()) => {
            form.saving = Some(request);
            crate::state::popup::show(state, Popup::Form(form));
            vec![Effect::Lead(effect)]
        }
        _ => {
            form.focus_first_error();
            show(state, form)
        }
    }
}

/// The save a valid form sends; field errors are set where it is not valid (then `None`).
fn build(form: &mut Form<FormKind>, request: RequestId) -> Option<LeadEffect> {
    let today = form.today;
    match form.kind.clone() {
        FormKind::Capture { lead_id, .. } => {
            let kind = InteractionKind::parse(form.raw(FieldId::Kind))?;
            let direction = Direction::parse(form.raw(FieldId::Direction));
            if kind == InteractionKind::Note && direction == Some(Direction::Inbound) {
                form.set_error(
                    FieldId::Direction,
                    "A note has no direction: pick outbound (o) or none (-)",
                );
            }
            let duration = match parse_duration(form.raw(FieldId::Duration)) {
                Ok(d) => d,
                Err(e) => {
                    form.set_error(FieldId::Duration, e);
                    None
                }
            };
            let content = form.raw(FieldId::Content);
            let content = (!content.trim().is_empty()).then(|| content.to_string());
            Some(LeadEffect::LogInteraction {
                request,
                lead_id,
                interaction: NewInteraction {
                    kind,
                    direction,
                    subject: form.opt(FieldId::Subject),
                    content,
                    duration_secs: duration,
                    outcome: form.opt(FieldId::Outcome),
                },
            })
        }
        FormKind::Task { lead_id } | FormKind::FollowUp { lead_id } => {
            let due = match parse_date(form.raw(FieldId::Due), today) {
                Ok(d) => d,
                Err(e) => {
                    form.set_error(FieldId::Due, e);
                    None
                }
            };
            let description = form.raw(FieldId::Description);
            let description = (!description.trim().is_empty()).then(|| description.to_string());
            Some(LeadEffect::AddTask {
                request,
                lead_id,
                task: NewTask {
                    title: form.opt(FieldId::Title).unwrap_or_default(),
                    description,
                    due_date: due.map(|d| d.date),
                    due_time: due.and_then(|d| d.time),
                    priority: TaskPriority::parse(form.raw(FieldId::Priority))
                        .unwrap_or(TaskPriority::Medium),
                    assigned_to: None,
                },
            })
        }
        FormKind::Reschedule { task_id, version } => {
            let due = match parse_date(form.raw(FieldId::Due), today) {
                Ok(d) => d,
                Err(e) => {
                    form.set_error(FieldId::Due, e);
                    None
                }
            };
            Some(LeadEffect::RescheduleTask {
                request,
                task_id,
                version,
                due_date: due.map(|d| d.date),
                due_time: due.and_then(|d| d.time),
            })
        }
        FormKind::Deal { lead_id, existing } => {
            let amount = match parse_amount(form.raw(FieldId::Amount)) {
                Ok(a) => a.unwrap_or(0.0),
                Err(e) => {
                    form.set_error(FieldId::Amount, e);
                    0.0
                }
            };
            let probability = match parse_int(form.raw(FieldId::Probability), 0, 100) {
                Ok(p) => p.unwrap_or(10),
                Err(e) => {
                    form.set_error(FieldId::Probability, format!("Probability: {e}"));
                    0
                }
            };
            let close = match parse_date(form.raw(FieldId::CloseDate), today) {
                Ok(d) => d.map(|d| d.date),
                Err(e) => {
                    form.set_error(FieldId::CloseDate, e);
                    None
                }
            };
            let deal = NewDeal {
                name: form.opt(FieldId::Name).unwrap_or_default(),
                amount,
                stage: form.raw(FieldId::Stage).to_string(),
                probability: i32::try_from(probability).unwrap_or(0),
                status: DealStatus::parse(form.raw(FieldId::Status)).unwrap_or(DealStatus::Open),
                expected_close_date: close,
            };
            Some(match existing {
                Some(old) => LeadEffect::UpdateDeal {
                    request,
                    deal_id: old.id,
                    version: old.version,
                    changes: deal_changes(&old, deal),
                },
                None => LeadEffect::AddDeal {
                    request,
                    lead_id,
                    deal,
                },
            })
        }
        FormKind::Document { lead_id } => Some(LeadEffect::AddDocument {
            request,
            lead_id,
            document: DocumentInput {
                location: form.opt(FieldId::Path).unwrap_or_default(),
                file_name: form.opt(FieldId::Name),
                document_type: DocumentType::parse(form.raw(FieldId::DocumentType))
                    .unwrap_or(DocumentType::Other),
            },
        }),
        FormKind::NewLead => {
            for (id, problem) in [
                (FieldId::Email, email_problem(form.raw(FieldId::Email))),
                (FieldId::Phone, phone_problem(form.raw(FieldId::Phone))),
            ] {
                if let Some(p) = problem {
                    form.set_error(id, p);
                }
            }
            let stage_id = form.raw(FieldId::Stage).parse::<Uuid>().ok()?;
            Some(LeadEffect::CreateLead {
                request,
                lead: NewLead {
                    name: form.opt(FieldId::Name).unwrap_or_default(),
                    email: form.opt(FieldId::Email),
                    phone: form.opt(FieldId::Phone),
                    company: form.opt(FieldId::Company),
                    stage_id,
                    // The rep owns what they create.
                    assigned_to: None,
                },
            })
        }
        FormKind::EditLead {
            lead_id,
            version,
            base,
        } => {
            let fields = edited_fields(form);
            check_lead_fields(form, &fields);
            Some(LeadEffect::UpdateLead {
                request,
                lead_id,
                version,
                fields: Box::new(fields),
                base,
            })
        }
    }
}

/// The lead fields as typed (trimmed).
pub(crate) fn edited_fields(form: &Form<FormKind>) -> LeadFields {
    let mut fields = LeadFields::default();
    for (id, _) in LeadFields::FIELDS {
        fields.set(id, form.raw(id).trim().to_string());
    }
    fields
}

/// Field errors for lead fields that the database would refuse.
pub(crate) fn check_lead_fields(form: &mut Form<FormKind>, fields: &LeadFields) {
    let problems = [
        (FieldId::Email, email_problem(&fields.email)),
        (FieldId::Phone, phone_problem(&fields.phone)),
        (FieldId::Mobile, mobile_problem(&fields.mobile)),
        (
            FieldId::MinBudget,
            parse_amount(&fields.min_budget).err().map(str::to_string),
        ),
        (
            FieldId::MaxBudget,
            parse_amount(&fields.max_budget).err().map(str::to_string),
        ),
    ];
    for (id, problem) in problems {
        if let Some(p) = problem {
            form.set_error(id, p);
        }
    }
    if let (Ok(min), Ok(max)) = (
        parse_amount(&fields.min_budget),
        parse_amount(&fields.max_budget),
    ) && let Some(p) = refused(LeadEdit {
        min_budget: Some(min),
        max_budget: Some(max),
        ..LeadEdit::default()
    }) {
        form.set_error(FieldId::MaxBudget, p);
    }
}

/// Only the deal fields the form changed.
fn deal_changes(old: &Deal, new: NewDeal) -> DealChanges {
    DealChanges {
        name: (new.name != old.name).then_some(new.name),
        amount: (new.amount != old.amount).then_some(new.amount),
        stage: (new.stage != old.stage).then_some(new.stage),
        probability: (new.probability != old.probability).then_some(new.probability),
        status: (new.status != old.status).then_some(new.status),
        expected_close_date: (new.expected_close_date != old.expected_close_date)
            .then_some(new.expected_close_date),
    }
}

/// `x` on the Tasks tab: completes the selected task.
pub fn complete_task(state: &mut State) -> Vec<Effect> {
    let Some(task) = lead_screen(state)
        .and_then(LeadScreen::selected_task)
        .cloned()
    else {
        state.info("No task selected (t adds one)");
        return Vec::new();
    };
    if task.is_done() {
        state.info("That task is already done");
        return Vec::new();
    }
    let request = state.next_id();
    state.info(format!("Completing “{}”…", task.title));
    vec![Effect::Lead(LeadEffect::CompleteTask {
        request,
        task_id: task.id,
        version: task.version,
    })]
}

/// A save answered. The form that sent it closes on success and stays open (with the reason)
/// on failure; saves without a form report in the message line.
pub fn on_saved(
    state: &mut State,
    request: RequestId,
    result: Result<Saved, Failure>,
) -> Vec<Effect> {
    let form_is_waiting = matches!(
        &state.popup,
        Some(Popup::Form(f)) if f.saving == Some(request)
    );
    if form_is_waiting {
        let Some(Popup::Form(mut form)) = state.popup.take() else {
            return Vec::new();
        };
        return match result {
            Ok(saved) => after_save(state, Some(&form.kind), saved),
            Err(f) => {
                form.saving = None;
                form.error = Some(f.message.clone());
                crate::state::popup::show(state, Popup::Form(form));
                crate::state::note_failure(state, &f)
            }
        };
    }
    if crate::state::popup::tags::is_waiting(state, request) {
        return crate::state::popup::tags::on_saved(state, request, result);
    }
    match result {
        Ok(saved) => after_save(state, None, saved),
        Err(f) => {
            state.error(f.message.clone());
            let mut fx = reload(state);
            fx.extend(crate::state::note_failure(state, &f));
            fx
        }
    }
}

/// What follows a successful save: a message, fresh data, and for a call the follow-up offer.
pub(crate) fn after_save(state: &mut State, kind: Option<&FormKind>, saved: Saved) -> Vec<Effect> {
    state.connection = crate::state::Connection::Connected;
    let mut fx = Vec::new();
    // Cards show contact dates, task counts and amounts: the lead's column re-reads.
    let stage = lead_screen(state).and_then(|s| s.detail().map(|d| d.stage_id));
    if let Some(ci) = stage.and_then(|id| state.board.column_index(id))
        && let Some(col) = state.board.columns.get_mut(ci)
    {
        col.stale = true;
    }
    match saved {
        Saved::Lead { id, name, stage_id } => {
            state.info(format!("Created {name}"));
            fx.extend(crate::state::refresh(state));
            if let Some(ci) = state.board.column_index(stage_id) {
                state.board.selected = ci;
            }
            fx.extend(super::open(state, id, name));
            return fx;
        }
        Saved::Interaction { kind: k } => {
            state.info(format!("{} logged", k.label()));
            fx.extend(reload(state));
            if k == InteractionKind::Call
                && let Some(FormKind::Capture { lead_id, lead_name }) = kind
            {
                fx.extend(open_follow_up(state, *lead_id, lead_name));
            }
            return fx;
        }
        Saved::Task => state.info(match kind {
            Some(FormKind::FollowUp { .. }) => "Follow-up scheduled",
            _ => "Task added",
        }),
        Saved::TaskCompleted => state.info("Task done"),
        Saved::Rescheduled => state.info("Task rescheduled"),
        Saved::Deal => state.info(match kind {
            Some(FormKind::Deal {
                existing: Some(_), ..
            }) => "Deal saved",
            _ => "Deal added",
        }),
        Saved::Document => state.info("Document attached"),
        Saved::LeadUpdated => state.info("Lead saved"),
        Saved::Tag(_) | Saved::TagRemoved(_) => {}
    }
    if let Screen::Lead(screen) = &mut state.screen {
        match kind {
            Some(FormKind::Task { .. } | FormKind::FollowUp { .. }) => screen.tab = Tab::Tasks,
            Some(FormKind::Deal { .. }) => screen.tab = Tab::Deals,
            Some(FormKind::Document { .. }) => screen.tab = Tab::Documents,
            _ => {}
        }
    }
    fx.extend(reload(state));
    fx
}
