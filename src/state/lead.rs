//! The lead detail screen's state and reducer (no I/O).
//!
//! A header (stage, owner, scores, tags) over five tabs: Overview, Timeline, Tasks, Deals,
//! Documents. Capturing work happens in form popups (`state/popup/form.rs`, opened by `forms`)
//! shown over any screen (a new lead can be created from the board). Every save carries a
//! request id; a failed save keeps the form open with what was typed and the reason. Editing
//! the lead is version-checked: a conflict opens [`ConflictPrompt`] to merge mine and theirs
//! field by field.

pub mod forms;
pub mod geometry;
pub mod input;
pub mod model;
mod nav;
pub mod overview;
mod screen;
mod typeahead;
pub mod wrap;

use crate::state::request::InFlight;
use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveTime, Offset, Utc};
use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::popup::{self, Popup};
use super::screen::Contract;
use super::{Effect, Failure, Screen, State};
use crate::config::keymap::Command;

pub use crate::state::popup::conflict::ConflictPrompt;
pub use crate::state::popup::form::{Field, FieldId, FieldValue, Form};
pub use crate::state::popup::tags::TagEditor;
pub use forms::FormKind;
pub use model::*;
pub use screen::{LeadScreen, LeadStatus, Tab};

use super::RequestId;

/// Filter choices: (quick key, filter).
pub const FILTERS: [(char, TimelineFilter); 8] = [
    ('a', TimelineFilter::All),
    ('e', TimelineFilter::Kind(InteractionKind::Email)),
    ('c', TimelineFilter::Kind(InteractionKind::Call)),
    ('m', TimelineFilter::Kind(InteractionKind::Meeting)),
    ('n', TimelineFilter::Kind(InteractionKind::Note)),
    ('s', TimelineFilter::Kind(InteractionKind::Sms)),
    ('w', TimelineFilter::Kind(InteractionKind::Whatsapp)),
    ('v', TimelineFilter::Activities),
];

/// What a save produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    Interaction {
        kind: InteractionKind,
    },
    Task,
    TaskCompleted {
        task_id: Uuid,
    },
    /// A completion undone (the undo history).
    TaskReopened,
    /// The task's new version.
    Rescheduled {
        version: i32,
    },
    Deal,
    /// A deal edit saved: the deal's new version (the undo history checks against it).
    DealEdited {
        version: i32,
    },
    Document,
    Tag(LeadTag),
    TagRemoved(Uuid),
    /// The lead's fields were saved.
    LeadUpdated,
    /// A new lead.
    Lead {
        id: Uuid,
        name: String,
        stage_id: Uuid,
    },
}

/// The answer to a version-checked lead update.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateReply {
    Saved {
        version: i32,
    },
    /// Someone saved first: their values and the version to save against.
    Conflict {
        theirs: Box<LeadFields>,
        version: i32,
    },
    Gone,
}

/// Results and events that belong to the lead screen.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadAction {
    /// `Ok(None)`: the lead was deleted or is no longer visible.
    Loaded {
        request: RequestId,
        result: Result<Option<Box<LeadData>>, Failure>,
    },
    Saved {
        request: RequestId,
        result: Result<Saved, Failure>,
    },
    Updated {
        request: RequestId,
        result: Result<UpdateReply, Failure>,
    },
    /// `$EDITOR` finished: the new text (or why not) and the terminal size after it.
    Edited {
        field: FieldId,
        result: Result<String, String>,
        size: Option<(u16, u16)>,
    },
    /// The system opener was started (or could not be).
    Opened(Result<String, String>),
    /// The organization's tags, for completion (`popup/tags.rs`).
    OrgTags(RequestId, Result<Vec<String>, Failure>),
}

/// Data work the lead screen asks for; run by `app::lead_worker` (`ExternalEdit` by the loop,
/// which owns the terminal).
#[derive(Debug, Clone, PartialEq)]
pub enum LeadEffect {
    /// Lead, timeline, tasks, deals, documents → [`LeadAction::Loaded`].
    Load {
        request: RequestId,
        lead_id: Uuid,
        /// Decides which open tasks show as overdue.
        now: DateTime<Utc>,
    },
    LogInteraction {
        request: RequestId,
        lead_id: Uuid,
        interaction: NewInteraction,
    },
    AddTask {
        request: RequestId,
        lead_id: Uuid,
        task: NewTask,
        now: DateTime<Utc>,
    },
    CompleteTask {
        request: RequestId,
        task_id: Uuid,
        version: i32,
    },
    /// Reopens a task completed from this screen (the undo history; refused if someone
    /// reopened it since) → [`LeadAction::Saved`].
    ReopenTask {
        request: RequestId,
        task_id: Uuid,
        previous: TaskStatus,
        now: DateTime<Utc>,
    },
    RescheduleTask {
        request: RequestId,
        task_id: Uuid,
        version: i32,
        due_date: Option<NaiveDate>,
        due_time: Option<NaiveTime>,
        now: DateTime<Utc>,
    },
    AddDeal {
        request: RequestId,
        lead_id: Uuid,
        deal: NewDeal,
    },
    UpdateDeal {
        request: RequestId,
        deal_id: Uuid,
        version: i32,
        changes: DealChanges,
    },
    AddDocument {
        request: RequestId,
        lead_id: Uuid,
        document: DocumentInput,
    },
    CreateLead {
        request: RequestId,
        lead: NewLead,
    },
    /// Saves the fields that differ from `base` if the lead is still at `version` →
    /// [`LeadAction::Updated`].
    UpdateLead {
        request: RequestId,
        lead_id: Uuid,
        version: i32,
        fields: Box<LeadFields>,
        base: Box<LeadFields>,
    },
    AddTag {
        request: RequestId,
        lead_id: Uuid,
        tag: String,
        color: String,
    },
    RemoveTag {
        request: RequestId,
        lead_id: Uuid,
        tag_id: Uuid,
        tag: String,
    },
    /// The organization's tags → [`LeadAction::OrgTags`].
    LoadOrgTags {
        request: RequestId,
    },
    /// Open a document with the system opener, detached → [`LeadAction::Opened`].
    Open {
        target: String,
    },
    /// Suspend the terminal and edit `text` in `$EDITOR` → [`LeadAction::Edited`].
    ExternalEdit {
        field: FieldId,
        text: String,
    },
}

/// The lead screen's side of the screen contract.
pub struct Reducer;

impl Contract for Reducer {
    type Action = LeadAction;

    fn key(state: &mut State, k: &KeyEvent) -> Option<Vec<Effect>> {
        key(state, k)
    }

    fn command(state: &mut State, cmd: Command) -> Vec<Effect> {
        nav::command(state, cmd)
    }

    fn update(state: &mut State, action: LeadAction) -> Vec<Effect> {
        update(state, action)
    }

    fn on_live_change(state: &mut State, change: &crate::data::live::Change) -> Vec<Effect> {
        on_live_change(state, change)
    }

    fn reload(state: &mut State) -> Vec<Effect> {
        reload(state)
    }

    /// The lead screen draws its own "Loading" body and ticks no spinner in the status bar.
    fn is_loading(_state: &State) -> bool {
        false
    }
}

/// "Today" and the time of day in the rep's calendar.
pub fn local_today(now: DateTime<Utc>) -> (NaiveDate, NaiveTime) {
    let local = now.with_timezone(&Local);
    (local.date_naive(), local.time())
}

// ---------------------------------------------------------------------------
// Opening and loading
// ---------------------------------------------------------------------------

/// Opens a lead. From the board, `[` / `]` then walk the column the rep was in.
pub fn open(state: &mut State, lead_id: Uuid, name: String) -> Vec<Effect> {
    let origin = match state.screen {
        Screen::Board => state
            .board
            .column()
            .filter(|c| c.position(lead_id).is_some())
            .map(|c| (c.stage.id, c.position(lead_id).unwrap_or(0))),
        Screen::Lead(ref l) => l.origin.map(|o| (o, l.origin_index)),
        Screen::Inbox(_) | Screen::Insights(_) => None,
    };
    let tab = match &state.screen {
        Screen::Lead(l) => l.tab,
        _ => Tab::Overview,
    };
    let mut screen = LeadScreen::new(lead_id, name);
    screen.tab = tab;
    if let Some((stage, index)) = origin {
        screen.origin = Some(stage);
        screen.origin_index = index;
    }
    state.screen = Screen::Lead(screen);
    reload(state)
}

/// Re-reads everything the screen shows (what is on screen stays until the answer).
fn reload(state: &mut State) -> Vec<Effect> {
    if !matches!(state.screen, Screen::Lead(_)) {
        return Vec::new();
    }
    let request = state.next_id();
    let Screen::Lead(screen) = &mut state.screen else {
        return Vec::new();
    };
    screen.request = Some(request);
    if screen.data.is_none() {
        screen.status = LeadStatus::Loading;
    }
    let lead_id = screen.lead_id;
    vec![Effect::Lead(LeadEffect::Load {
        request,
        lead_id,
        now: state.now,
    })]
}

/// A teammate changed data: the lead on screen re-reads what it shows (through RLS), and only
/// when the change names it (its row or any of its children).
fn on_live_change(state: &mut State, change: &crate::data::live::Change) -> Vec<Effect> {
    match &state.screen {
        Screen::Lead(screen) if change.leads.contains(screen.lead_id) => reload(state),
        _ => Vec::new(),
    }
}

fn update(state: &mut State, action: LeadAction) -> Vec<Effect> {
    match action {
        LeadAction::Loaded { request, result } => on_loaded(state, request, result),
        LeadAction::Saved { request, result } => forms::on_saved(state, request, result),
        LeadAction::Updated { request, result } => {
            popup::conflict::on_updated(state, request, result)
        }
        LeadAction::Edited {
            field,
            result,
            size,
        } => {
            let mut fx = Vec::new();
            if let Some((width, height)) = size {
                fx.extend(super::update(
                    state,
                    super::Action::Resize { width, height },
                ));
            }
            forms::on_edited(state, field, result);
            fx
        }
        LeadAction::OrgTags(request, result) => popup::tags::on_org_tags(state, request, result),
        LeadAction::Opened(result) => {
            match result {
                Ok(what) => state.info(format!("Opened {what}")),
                Err(why) => state.error(why),
            }
            Vec::new()
        }
    }
}

fn on_loaded(
    state: &mut State,
    request: RequestId,
    result: Result<Option<Box<LeadData>>, Failure>,
) -> Vec<Effect> {
    let Screen::Lead(screen) = &mut state.screen else {
        return Vec::new();
    };
    if !screen.request.answered_by(request) {
        return Vec::new();
    }
    match result {
        Ok(None) => {
            screen.status = LeadStatus::Gone;
            screen.data = None;
            Vec::new()
        }
        Ok(Some(data)) => {
            screen.name = data.detail.name.clone();
            screen.data = Some(data);
            screen.status = LeadStatus::Ready;
            clamp_selection(screen);
            sync_tag_editor(state);
            state.connection = super::Connection::Connected;
            typeahead::replay(state)
        }
        Err(f) => {
            if screen.data.is_none() {
                screen.status = LeadStatus::Failed(f.message.clone());
            } else {
                state.error(format!("{} (r to retry)", f.message));
            }
            super::note_failure(state, &f)
        }
    }
}

fn clamp_selection(screen: &mut LeadScreen) {
    let counts = screen.data.as_ref().map_or([0; 5], |d| {
        [
            usize::MAX,
            d.timeline.iter().filter(|e| screen.filter.keeps(e)).count(),
            d.tasks.len(),
            d.deals.len(),
            d.documents.len(),
        ]
    });
    for (sel, n) in screen.selected.iter_mut().zip(counts).skip(1) {
        *sel = (*sel).min(n.saturating_sub(1));
    }
    if let Some(id) = screen.expanded
        && !screen.timeline().iter().any(|e| e.id == id)
    {
        screen.expanded = None;
        screen.expanded_scroll = 0;
    }
}

/// The tag editor shows the tags as loaded.
fn sync_tag_editor(state: &mut State) {
    let Screen::Lead(screen) = &state.screen else {
        return;
    };
    let Some(detail) = screen.detail() else {
        return;
    };
    if let Some(Popup::Tags(editor)) = &mut state.popup
        && editor.lead_id == detail.id
    {
        editor.tags = detail.tags.clone();
        editor.selected = editor.selected.min(editor.tags.len().saturating_sub(1));
    }
}

// ---------------------------------------------------------------------------
// Keys and commands
// ---------------------------------------------------------------------------

/// A key the screen wants before the keymap. The screen itself has no text input (forms are
/// popups), so nothing is consumed here.
fn key(state: &mut State, key: &KeyEvent) -> Option<Vec<Effect>> {
    typeahead::hold(state, key)
}

/// Only web links, mail links and files are handed to the opener (never something that could
/// be read as an option or a command).
pub fn openable(target: &str) -> Result<(), String> {
    let lower = target.to_ascii_lowercase();
    let ok = lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("file://")
        || lower.starts_with("mailto:")
        || target.starts_with('/')
        || target.starts_with("~/");
    if target.is_empty() {
        return Err("The document has no file or URL".to_string());
    }
    if !ok || target.chars().any(char::is_control) {
        return Err(format!(
            "Not opening {}: only http(s), file and mailto links or absolute paths are opened",
            crate::text::clean_line(target)
        ));
    }
    Ok(())
}
