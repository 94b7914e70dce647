//! The inbox's popups: snooze menu, date prompt, priority menu, teammate picker, the edit form and
//! the new-task form. An open popup takes every key (Esc closes it).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;

use super::{
    Due, GroupKind, InboxEffect, Teammate, Teammates, View, WriteKind, parse_due, screen,
    screen_mut, sort_group,
};
use crate::config::keymap::Command;
use crate::data::models::{LeadHit, TaskPriority};
use crate::state::{Effect, Failure, RequestId, State};

use super::SnoozeChoice;

/// The snooze menu: quick key, label, choice (`None`: type a date).
pub const SNOOZE_CHOICES: [(char, &str, Option<SnoozeChoice>); 4] = [
    ('1', "+1 day", Some(SnoozeChoice::Days(1))),
    ('3', "+3 days", Some(SnoozeChoice::Days(3))),
    ('m', "Next Monday", Some(SnoozeChoice::NextMonday)),
    ('d', "Pick a date…", None),
];

/// The priority menu: quick key, label, priority.
pub const PRIORITY_CHOICES: [(char, &str, TaskPriority); 3] = [
    ('h', "High", TaskPriority::High),
    ('m', "Medium", TaskPriority::Medium),
    ('l', "Low", TaskPriority::Low),
];

/// Longest title the database accepts.
pub const MAX_TITLE: usize = 500;
/// Longest description typed here.
pub const MAX_DESCRIPTION: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
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
}

/// What a typed date is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatePurpose {
    Snooze(Vec<Uuid>),
    Reschedule(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditField {
    Title,
    Description,
}

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

// ---------------------------------------------------------------------------
// Opening
// ---------------------------------------------------------------------------

/// Targets of a command that changes open tasks (not completed ones, not ones being saved).
fn open_targets(state: &mut State) -> Option<Vec<Uuid>> {
    let s = screen(state)?;
    let ids: Vec<Uuid> = s
        .targets()
        .into_iter()
        .filter(|id| {
            s.data
                .find(*id)
                .is_some_and(|(k, _)| k != GroupKind::Completed)
        })
        .collect();
    if ids.is_empty() {
        state.info("No open task selected");
        return None;
    }
    Some(ids)
}

fn set_popup(state: &mut State, popup: Popup) -> Vec<Effect> {
    if let Some(s) = screen_mut(state) {
        s.popup = Some(Box::new(popup));
    }
    Vec::new()
}

pub fn open_snooze(state: &mut State) -> Vec<Effect> {
    match open_targets(state) {
        Some(ids) => set_popup(state, Popup::Snooze { ids, selected: 0 }),
        None => Vec::new(),
    }
}

/// Reschedule works on one task: the one under the cursor.
pub fn open_reschedule(state: &mut State) -> Vec<Effect> {
    let Some(task) = screen(state).and_then(super::InboxScreen::current) else {
        state.info("No task selected");
        return Vec::new();
    };
    if task.status == crate::data::models::TaskStatus::Completed {
        state.info("The task is done");
        return Vec::new();
    }
    let input = task
        .due_date
        .map(|d| {
            let mut text = d.format("%Y-%m-%d").to_string();
            if let Some(t) = task.due_time {
                text.push_str(&t.format(" %H:%M").to_string());
            }
            text
        })
        .unwrap_or_default();
    let id = task.id;
    set_popup(
        state,
        Popup::Date {
            purpose: DatePurpose::Reschedule(id),
            input,
            hint: None,
        },
    )
}

pub fn open_priority(state: &mut State) -> Vec<Effect> {
    let Some(ids) = open_targets(state) else {
        return Vec::new();
    };
    let current = screen(state)
        .and_then(|s| ids.first().and_then(|id| s.data.find(*id)))
        .map(|(_, t)| t.priority);
    let selected = PRIORITY_CHOICES
        .iter()
        .position(|(_, _, p)| Some(*p) == current)
        .unwrap_or(1);
    set_popup(state, Popup::Priority { ids, selected })
}

pub fn open_reassign(state: &mut State) -> Vec<Effect> {
    let Some(ids) = open_targets(state) else {
        return Vec::new();
    };
    let request = state.next_id();
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    s.popup = Some(Box::new(Popup::Assign {
        ids,
        filter: String::new(),
        selected: 0,
    }));
    if s.teammates == Teammates::NotLoaded {
        s.teammates = Teammates::Loading(request);
        return vec![Effect::Inbox(InboxEffect::LoadTeammates { request })];
    }
    Vec::new()
}

pub fn open_edit(state: &mut State) -> Vec<Effect> {
    let Some(task) = screen(state).and_then(super::InboxScreen::current) else {
        state.info("No task selected");
        return Vec::new();
    };
    let popup = Popup::Edit {
        id: task.id,
        title: task.title.clone(),
        description: task.description.clone().unwrap_or_default(),
        field: EditField::Title,
        hint: None,
    };
    set_popup(state, popup)
}

/// A new task, for the lead of the task under the cursor (Tab to the lead field to choose
/// another).
pub fn open_new_task(state: &mut State) -> Vec<Effect> {
    let lead = screen(state)
        .and_then(super::InboxScreen::current)
        .map(|t| (t.lead_id, t.lead_name.clone()));
    let field = if lead.is_some() {
        NewTaskField::Title
    } else {
        NewTaskField::Lead
    };
    set_popup(
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

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// Edits a one-line text; returns true when it changed.
pub fn edit_text(input: &mut String, key: &KeyEvent, max: usize) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            let changed = !input.is_empty();
            input.clear();
            changed
        }
        KeyCode::Char('w') if ctrl => {
            let trimmed = input.trim_end().len();
            let cut = input[..trimmed]
                .rfind(char::is_whitespace)
                .map_or(0, |i| i + 1);
            let changed = cut != input.len();
            input.truncate(cut);
            changed
        }
        KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
            if c.is_control() || input.chars().count() >= max {
                return false;
            }
            input.push(c);
            true
        }
        KeyCode::Backspace => input.pop().is_some(),
        _ => false,
    }
}

/// A menu's movement keys: arrows, or the list commands (j/k…).
fn menu_delta(state: &State, key: &KeyEvent) -> Option<isize> {
    match key.code {
        KeyCode::Up | KeyCode::BackTab => return Some(-1),
        KeyCode::Down | KeyCode::Tab => return Some(1),
        _ => {}
    }
    match state.keymap.command_for(state.scope(), key) {
        Some(Command::Up) => Some(-1),
        Some(Command::Down) => Some(1),
        _ => None,
    }
}

fn is_save(state: &State, key: &KeyEvent) -> bool {
    state.keymap.command_for(state.scope(), key) == Some(Command::SaveForm)
}

pub fn key(state: &mut State, popup: Popup, key: &KeyEvent) -> Vec<Effect> {
    if key.code == KeyCode::Esc {
        // Closed (the popup was taken out of the screen).
        return Vec::new();
    }
    match popup {
        Popup::Snooze { ids, selected } => snooze_key(state, ids, selected, key),
        Popup::Date {
            purpose,
            input,
            hint,
        } => date_key(state, purpose, input, hint, key),
        Popup::Priority { ids, selected } => priority_key(state, ids, selected, key),
        Popup::Assign {
            ids,
            filter,
            selected,
        } => assign_key(state, ids, filter, selected, key),
        Popup::Edit {
            id,
            title,
            description,
            field,
            hint,
        } => edit_key(state, id, title, description, field, hint, key),
        Popup::NewTask(form) => new_task_key(state, form, key),
    }
}

fn snooze_key(state: &mut State, ids: Vec<Uuid>, selected: usize, key: &KeyEvent) -> Vec<Effect> {
    let last = SNOOZE_CHOICES.len() - 1;
    let chosen = match key.code {
        KeyCode::Enter => Some(selected),
        KeyCode::Char(c) => SNOOZE_CHOICES.iter().position(|(k, _, _)| *k == c),
        _ => None,
    };
    if let Some(i) = chosen {
        return match SNOOZE_CHOICES.get(i).and_then(|(_, _, c)| *c) {
            Some(choice) => snooze(state, ids, choice),
            None => set_popup(
                state,
                Popup::Date {
                    purpose: DatePurpose::Snooze(ids),
                    input: String::new(),
                    hint: None,
                },
            ),
        };
    }
    let selected = match menu_delta(state, key) {
        Some(d) => selected.saturating_add_signed(d).min(last),
        None => selected,
    };
    set_popup(state, Popup::Snooze { ids, selected })
}

fn date_key(
    state: &mut State,
    purpose: DatePurpose,
    mut input: String,
    mut hint: Option<String>,
    key: &KeyEvent,
) -> Vec<Effect> {
    if key.code == KeyCode::Enter || is_save(state, key) {
        let today = screen(state).map(|s| s.data.local(state.now).0);
        let text = input.trim().to_lowercase();
        let clear = matches!(text.as_str(), "" | "none" | "-");
        match (&purpose, clear) {
            (DatePurpose::Reschedule(id), true) => return reschedule(state, *id, None),
            (_, _) => {
                if let Some(due) = today.and_then(|today| parse_due(&input, today)) {
                    return match purpose {
                        DatePurpose::Reschedule(id) => reschedule(state, id, Some(due)),
                        DatePurpose::Snooze(ids) => {
                            snooze(state, ids, SnoozeChoice::Until(due.date))
                        }
                    };
                }
                hint = Some(format!("Try {}", super::dates::DATE_HINT));
            }
        }
    } else if edit_text(&mut input, key, 40) {
        hint = None;
    }
    set_popup(
        state,
        Popup::Date {
            purpose,
            input,
            hint,
        },
    )
}

fn priority_key(state: &mut State, ids: Vec<Uuid>, selected: usize, key: &KeyEvent) -> Vec<Effect> {
    let chosen = match key.code {
        KeyCode::Enter => PRIORITY_CHOICES.get(selected).map(|c| c.2),
        KeyCode::Char(c) => PRIORITY_CHOICES
            .iter()
            .enumerate()
            .find(|(i, (k, _, _))| *k == c || char::from_digit(*i as u32 + 1, 10) == Some(c))
            .map(|(_, c)| c.2),
        _ => None,
    };
    if let Some(priority) = chosen {
        return set_priority(state, ids, priority);
    }
    let last = PRIORITY_CHOICES.len() - 1;
    let selected = match menu_delta(state, key) {
        Some(d) => selected.saturating_add_signed(d).min(last),
        None => selected,
    };
    set_popup(state, Popup::Priority { ids, selected })
}

/// Teammates matching the filter (case-insensitive, anywhere in the name).
pub fn filtered<'a>(teammates: &'a Teammates, filter: &str) -> Vec<&'a Teammate> {
    let Teammates::Loaded(list) = teammates else {
        return Vec::new();
    };
    let needle = filter.trim().to_lowercase();
    list.iter()
        .filter(|t| needle.is_empty() || t.name.to_lowercase().contains(&needle))
        .collect()
}

fn assign_key(
    state: &mut State,
    ids: Vec<Uuid>,
    mut filter: String,
    mut selected: usize,
    key: &KeyEvent,
) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let matches: Vec<Teammate> = screen(state)
        .map(|s| {
            filtered(&s.teammates, &filter)
                .into_iter()
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let last = matches.len().saturating_sub(1);
    match key.code {
        KeyCode::Enter => {
            if let Some(to) = matches.get(selected) {
                return reassign(state, ids, to.clone());
            }
        }
        KeyCode::Up => selected = selected.saturating_sub(1),
        KeyCode::Char('p') if ctrl => selected = selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => selected = (selected + 1).min(last),
        KeyCode::Char('n') if ctrl => selected = (selected + 1).min(last),
        _ => {
            if edit_text(&mut filter, key, 60) {
                selected = 0;
            }
        }
    }
    set_popup(
        state,
        Popup::Assign {
            ids,
            filter,
            selected,
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn edit_key(
    state: &mut State,
    id: Uuid,
    mut title: String,
    mut description: String,
    mut field: EditField,
    mut hint: Option<String>,
    key: &KeyEvent,
) -> Vec<Effect> {
    let save =
        is_save(state, key) || (key.code == KeyCode::Enter && field == EditField::Description);
    if save {
        let t = title.trim();
        if t.is_empty() {
            hint = Some("The title cannot be empty".to_string());
            field = EditField::Title;
        } else {
            let d = description.trim();
            let description = (!d.is_empty()).then(|| d.to_string());
            return edit(state, id, t.to_string(), description);
        }
    } else {
        match key.code {
            KeyCode::Enter | KeyCode::Tab | KeyCode::Down => field = EditField::Description,
            KeyCode::BackTab | KeyCode::Up => field = EditField::Title,
            _ => {
                let changed = match field {
                    EditField::Title => edit_text(&mut title, key, MAX_TITLE),
                    EditField::Description => edit_text(&mut description, key, MAX_DESCRIPTION),
                };
                if changed {
                    hint = None;
                }
            }
        }
    }
    set_popup(
        state,
        Popup::Edit {
            id,
            title,
            description,
            field,
            hint,
        },
    )
}

fn new_task_key(state: &mut State, mut form: NewTaskForm, key: &KeyEvent) -> Vec<Effect> {
    let mut fx = Vec::new();
    let last_field = form.field == NewTaskField::Priority;
    if is_save(state, key) || (key.code == KeyCode::Enter && last_field) {
        return match validate_new_task(state, &form) {
            Ok((lead_id, lead_name, title, due)) => {
                add_task(state, lead_id, lead_name, title, due, form.priority)
            }
            Err((field, hint)) => {
                form.field = field;
                form.hint = Some(hint);
                set_popup(state, Popup::NewTask(form))
            }
        };
    }
    match (form.field, key.code) {
        (_, KeyCode::Tab) => form.field = form.field.step(1),
        (_, KeyCode::BackTab) => form.field = form.field.step(-1),
        (NewTaskField::Lead, KeyCode::Up) => form.selected = form.selected.saturating_sub(1),
        (NewTaskField::Lead, KeyCode::Down) => {
            form.selected = (form.selected + 1).min(form.hits.len().saturating_sub(1));
        }
        (NewTaskField::Lead, KeyCode::Enter) => {
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
        (_, KeyCode::Enter | KeyCode::Down) => form.field = form.field.step(1),
        (_, KeyCode::Up) => form.field = form.field.step(-1),
        (NewTaskField::Priority, KeyCode::Char(c)) => {
            if let Some((_, _, p)) = PRIORITY_CHOICES.iter().find(|(k, _, _)| *k == c) {
                form.priority = *p;
            }
        }
        (NewTaskField::Priority, _) => {}
        (NewTaskField::Lead, _) => {
            if edit_text(&mut form.query, key, 100) {
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
            if edit_text(&mut form.title, key, MAX_TITLE) {
                form.hint = None;
            }
        }
        (NewTaskField::Due, _) => {
            if edit_text(&mut form.due, key, 40) {
                form.hint = None;
            }
        }
    }
    fx.extend(set_popup(state, Popup::NewTask(form)));
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
        match today.and_then(|today| parse_due(&form.due, today)) {
            Some(due) => Some(due),
            None => {
                return Err((
                    NewTaskField::Due,
                    format!("Try {}", super::dates::DATE_HINT),
                ));
            }
        }
    };
    Ok((lead_id, lead_name, title.to_string(), due))
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

pub fn on_teammates(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<Teammate>, Failure>,
) -> Vec<Effect> {
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    if s.teammates != Teammates::Loading(request) {
        return Vec::new();
    }
    match result {
        Ok(mut list) => {
            list.sort_by(|a, b| {
                b.me.cmp(&a.me)
                    .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            });
            s.teammates = Teammates::Loaded(list);
            Vec::new()
        }
        Err(f) => {
            s.teammates = Teammates::NotLoaded;
            if matches!(s.popup.as_deref(), Some(Popup::Assign { .. })) {
                s.popup = None;
            }
            state.error(f.message.clone());
            crate::state::note_failure(state, &f)
        }
    }
}

pub fn on_leads(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<LeadHit>, Failure>,
) -> Vec<Effect> {
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    let Some(Popup::NewTask(form)) = s.popup.as_deref_mut() else {
        return Vec::new();
    };
    if form.search != Some(request) {
        return Vec::new();
    }
    form.search = None;
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

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

fn snooze(state: &mut State, ids: Vec<Uuid>, choice: SnoozeChoice) -> Vec<Effect> {
    let now = state.now;
    let Some(request) = state.inbox_write(WriteKind::Snooze, &ids) else {
        return Vec::new();
    };
    let mut moved_to = None;
    if let Some(s) = screen_mut(state) {
        let (today, time) = s.data.local(now);
        for id in &ids {
            // Moves at once to where the new date puts it (the same rule as the database).
            if let Some((_, mut task)) = s.data.take(*id) {
                let date = choice.apply(today, task.due_date);
                task.due_date = Some(date);
                let due = Due {
                    date,
                    time: task.due_time,
                };
                moved_to = Some(super::relative_due(Some(date), task.due_time, today, time).0);
                s.data.insert(group_for(Some(due), today, time), task);
            }
            s.marked.remove(id);
        }
        if let Some(t) = &mut s.triage {
            t.handle(&ids, true);
        }
        // The cursor stays in place, on the next task.
        s.selected_id = None;
        s.restore_cursor();
    }
    match (ids.len(), moved_to) {
        (1, Some(when)) => state.info(format!("Snoozed: {when}")),
        (n, _) => state.info(format!("Snoozed {}: {}", count_label(n), choice.label())),
    }
    vec![Effect::Inbox(InboxEffect::Snooze {
        request,
        ids,
        choice,
        now,
    })]
}

fn count_label(n: usize) -> String {
    if n == 1 {
        "1 task".to_string()
    } else {
        format!("{n} tasks")
    }
}

/// The group a due date puts an open task in, at the screen's local `today`/`time`.
fn group_for(due: Option<Due>, today: chrono::NaiveDate, time: chrono::NaiveTime) -> GroupKind {
    match due {
        None => GroupKind::NoDate,
        Some(d) if d.date < today => GroupKind::Overdue,
        Some(d) if d.date == today && d.time.is_some_and(|t| t < time) => GroupKind::Overdue,
        Some(d) if d.date == today => GroupKind::Today,
        Some(_) => GroupKind::Upcoming,
    }
}

fn reschedule(state: &mut State, id: Uuid, due: Option<Due>) -> Vec<Effect> {
    let now = state.now;
    let Some(request) = state.inbox_write(WriteKind::Reschedule, &[id]) else {
        return Vec::new();
    };
    let mut label = "no date".to_string();
    if let Some(s) = screen_mut(state) {
        let (today, time) = s.data.local(now);
        if let Some((_, mut task)) = s.data.take(id) {
            task.due_date = due.map(|d| d.date);
            task.due_time = due.and_then(|d| d.time);
            label = super::relative_due(task.due_date, task.due_time, today, time).0;
            s.data.insert(group_for(due, today, time), task);
        }
        s.marked.remove(&id);
        if let Some(t) = &mut s.triage {
            t.handle(&[id], false);
        }
        s.selected_id = None;
        s.restore_cursor();
    }
    state.info(format!("Rescheduled: {label}"));
    vec![Effect::Inbox(InboxEffect::Reschedule {
        request,
        id,
        due,
        now,
    })]
}

fn set_priority(state: &mut State, ids: Vec<Uuid>, priority: TaskPriority) -> Vec<Effect> {
    let Some(request) = state.inbox_write(WriteKind::Priority, &ids) else {
        return Vec::new();
    };
    if let Some(s) = screen_mut(state) {
        for g in &mut s.data.groups {
            let mut changed = false;
            for t in &mut g.tasks {
                if ids.contains(&t.id) {
                    t.priority = priority;
                    changed = true;
                }
            }
            if changed {
                sort_group(g.kind, &mut g.tasks);
            }
        }
        s.marked.clear();
        s.restore_cursor();
    }
    vec![Effect::Inbox(InboxEffect::SetPriority {
        request,
        ids,
        priority,
    })]
}

fn reassign(state: &mut State, ids: Vec<Uuid>, to: Teammate) -> Vec<Effect> {
    let Some(request) = state.inbox_write(WriteKind::Reassign, &ids) else {
        return Vec::new();
    };
    if let Some(s) = screen_mut(state) {
        let leaves = s.view == View::Mine && !to.me;
        for id in &ids {
            if leaves {
                // No longer the rep's task; the cursor stays in place, on the next one.
                s.data.take(*id);
            } else {
                for g in &mut s.data.groups {
                    for t in g.tasks.iter_mut().filter(|t| t.id == *id) {
                        t.assigned_to = Some(to.id);
                        t.assignee_name = Some(to.name.clone());
                    }
                }
            }
            s.marked.remove(id);
        }
        if let Some(t) = &mut s.triage {
            t.handle(&ids, false);
        }
        s.restore_cursor();
    }
    let what = count_label(ids.len());
    state.info(format!("Reassigned {what} to {}", to.name));
    vec![Effect::Inbox(InboxEffect::Reassign {
        request,
        ids,
        to: to.id,
    })]
}

fn edit(state: &mut State, id: Uuid, title: String, description: Option<String>) -> Vec<Effect> {
    let Some(request) = state.inbox_write(WriteKind::Edit, &[id]) else {
        return Vec::new();
    };
    if let Some(s) = screen_mut(state) {
        for g in &mut s.data.groups {
            for t in g.tasks.iter_mut().filter(|t| t.id == id) {
                t.title = title.clone();
                t.description = description.clone();
            }
        }
    }
    state.info("Saved");
    vec![Effect::Inbox(InboxEffect::Edit {
        request,
        id,
        title,
        description,
    })]
}

fn add_task(
    state: &mut State,
    lead_id: Uuid,
    lead_name: String,
    title: String,
    due: Option<Due>,
    priority: TaskPriority,
) -> Vec<Effect> {
    let Some(request) = state.inbox_write(WriteKind::Add, &[]) else {
        return Vec::new();
    };
    state.info(format!("Task added for {lead_name}"));
    vec![Effect::Inbox(InboxEffect::AddTask {
        request,
        lead_id,
        title,
        due,
        priority,
        now: state.now,
    })]
}

impl DatePurpose {
    /// The prompt's title.
    pub fn title(&self) -> String {
        match self {
            DatePurpose::Reschedule(_) => "Reschedule to".to_string(),
            DatePurpose::Snooze(ids) if ids.len() == 1 => "Snooze until".to_string(),
            DatePurpose::Snooze(ids) => format!("Snooze {} tasks until", ids.len()),
        }
    }
}
