//! Saving the lead's forms: building the write from the fields, and what follows a save.

use super::*;
use crate::state::history::{self, Answer};

/// Checks the form; sends the save, or shows what to fix.
pub(crate) fn submit(state: &mut State, mut form: Form<FormKind>) -> Vec<Effect> {
    for f in &mut form.fields {
        f.error = None;
        if f.required && f.raw().trim().is_empty() {
            f.error = Some(format!("{} is required", f.label));
        }
    }
    form.error = None;
    let request = state.next_id();
    let effect = build(&mut form, request, state.now);
    skipped_times(state, &mut form);
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
            // Marking a deal won/lost offers to close the lead too (issue 10).
            let (mut form, effect) =
                match crate::state::popup::closing_deal::offer(state, form, effect) {
                    None => return crate::state::popup::closing_reasons::load(state),
                    Some(back) => back,
                };
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

/// Date fields whose time the clocks skip in the rep's zone (a spring-forward gap): the
/// field says so and the first time that exists.
fn skipped_times(state: &State, form: &mut Form<FormKind>) {
    let today = form.today;
    for field in &mut form.fields {
        if let crate::state::popup::form::FieldValue::Date {
            input,
            picked: None,
        } = &field.value
            && field.error.is_none()
            && let Err(e) = crate::dates::parse_optional_in(input.value(), today, state.zone)
        {
            field.error = Some(format!("Date: {e}"));
        }
    }
}

/// The save a valid form sends; field errors are set where it is not valid (then `None`).
pub(crate) fn build(
    form: &mut Form<FormKind>,
    request: RequestId,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<LeadEffect> {
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
                now,
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
                now,
            })
        }
        FormKind::Deal { lead_id, existing } => {
            // A plain number is in the organization's currency (a new deal) or the deal's own.
            let (amount, currency) = match crate::currency::parse(form.raw(FieldId::Amount)) {
                Ok(Some(t)) => (t.amount, t.currency),
                Ok(None) => (0.0, None),
                Err(e) => {
                    form.set_error(FieldId::Amount, e);
                    (0.0, None)
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
                currency,
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
pub(crate) fn deal_changes(old: &Deal, new: NewDeal) -> DealChanges {
    DealChanges {
        name: (new.name != old.name).then_some(new.name),
        amount: (new.amount != old.amount).then_some(new.amount),
        currency: new.currency.filter(|c| *c != old.currency),
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
    if let Some(awaited) = state.history.answers(request) {
        let answer = match result {
            Ok(_) => Answer::Done(None),
            Err(f) => Answer::Failed(f),
        };
        return history::on_answer(state, awaited, answer);
    }
    let form_is_waiting = matches!(
        &state.popup,
        Some(Popup::Form(f)) if f.saving == Some(request)
    );
    if form_is_waiting {
        let Some(Popup::Form(mut form)) = state.popup.take() else {
            return Vec::new();
        };
        return match result {
            Ok(saved) => {
                record_reschedule(state, &form.kind, &saved);
                record_deal_edit(state, &form, &saved);
                after_save(state, Some(&form.kind), saved)
            }
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
        Ok(saved) => {
            record_completion(state, &saved);
            after_save(state, None, saved)
        }
        Err(f) => {
            state.error(f.message.clone());
            let mut fx = reload(state);
            fx.extend(crate::state::note_failure(state, &f));
            fx
        }
    }
}

/// A reschedule from the lead's Tasks tab joins the undo history with the due date it replaced
/// (the screen still shows it: the re-read comes after).
fn record_reschedule(state: &mut State, kind: &FormKind, saved: &Saved) {
    let (FormKind::Reschedule { task_id, .. }, Saved::Rescheduled { version }) = (kind, saved)
    else {
        return;
    };
    let Screen::Lead(screen) = &state.screen else {
        return;
    };
    let Some(task) = screen
        .data
        .as_ref()
        .and_then(|d| d.tasks.iter().find(|t| t.id == *task_id))
    else {
        return;
    };
    let label = format!("rescheduled “{}”", task.title);
    let undo = history::Undo::Reschedule {
        task_id: *task_id,
        version: *version,
        due_date: task.due_date,
        due_time: task.due_time,
    };
    let place = history::Place::Lead(screen.lead_id);
    state.history.push(label, place, undo);
}

/// A deal edit joins the undo history with the values it replaced: the changes sent are built
/// again from the form (the same parse), and each changed field gets the deal's old value back.
fn record_deal_edit(state: &mut State, form: &Form<FormKind>, saved: &Saved) {
    let (
        FormKind::Deal {
            existing: Some(old),
            ..
        },
        Saved::DealEdited { version },
    ) = (&form.kind, saved)
    else {
        return;
    };
    let Some(LeadEffect::UpdateDeal { changes, .. }) = build(&mut form.clone(), 0, state.now)
    else {
        return;
    };
    let before = DealChanges {
        name: changes.name.as_ref().map(|_| old.name.clone()),
        amount: changes.amount.map(|_| old.amount),
        currency: changes.currency.as_ref().map(|_| old.currency.clone()),
        stage: changes.stage.as_ref().map(|_| old.stage.clone()),
        probability: changes.probability.map(|_| old.probability),
        status: changes.status.map(|_| old.status),
        expected_close_date: changes.expected_close_date.map(|_| old.expected_close_date),
    };
    let Screen::Lead(screen) = &state.screen else {
        return;
    };
    let place = history::Place::Lead(screen.lead_id);
    let undo = history::Undo::Deal {
        deal_id: old.id,
        version: *version,
        before: Box::new(before),
    };
    state
        .history
        .push(format!("edited deal “{}”", old.name), place, undo);
}

/// A completion from the lead's Tasks tab joins the undo history with the status it replaced.
fn record_completion(state: &mut State, saved: &Saved) {
    let Saved::TaskCompleted { task_id } = saved else {
        return;
    };
    let Screen::Lead(screen) = &state.screen else {
        return;
    };
    let Some(task) = screen
        .data
        .as_ref()
        .and_then(|d| d.tasks.iter().find(|t| t.id == *task_id))
    else {
        return;
    };
    let label = format!("completed “{}”", task.title);
    let undo = history::Undo::Reopen {
        task_id: *task_id,
        previous: task.status,
    };
    let place = history::Place::Lead(screen.lead_id);
    state.history.push(label, place, undo);
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
            fx.extend(crate::state::lead::open(state, id, name));
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
        Saved::TaskCompleted { .. } => state.info("Task done"),
        Saved::TaskReopened => state.info("Task reopened"),
        Saved::Rescheduled { .. } => state.info("Task rescheduled"),
        Saved::Deal | Saved::DealEdited { .. } => state.info(match kind {
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
