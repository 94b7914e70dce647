//! A lead's owner and lifecycle from the board's card and the lead screen (issue 12): change
//! the owner (optimistic, put back on failure), delete (managers and admins, confirmed), copy
//! the e-mail or phone to the clipboard (OSC 52, written by the loop).

use uuid::Uuid;

use super::history::{Answer, Place, Undo};
use super::inbox::{Assignee, Assignees};
use super::popup::delete::DeleteConfirm;
use super::popup::owner::OwnerPicker;
use super::{BoardEffect, Effect, Failure, Popup, RequestId, Screen, State, note_failure};
use crate::config::keymap::Command;
use crate::data::lifecycle::Contact;
use crate::data::models::MemberRole;

/// What the board keeps for these commands (it outlives the lead screen).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lifecycle {
    /// The login's role in the organization (`None`: unknown; the database decides).
    pub role: Option<MemberRole>,
    /// The organization's members for the owner picker, read once.
    pub members: Assignees,
    /// Owner changes in flight, with what to put back.
    pub pending: Vec<PendingOwner>,
    /// The delete awaited.
    pub delete: Option<(RequestId, Uuid, String)>,
    /// The contact read awaited for a copy from the board.
    pub copy: Option<(RequestId, CopyKind, String)>,
}

/// An owner change sent and not answered yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingOwner {
    pub request: RequestId,
    pub lead_id: Uuid,
    pub name: String,
    pub before: (Option<Uuid>, Option<String>),
    /// The version the change was sent against.
    pub from: i32,
    /// An undo of the history (answered there, not recorded again).
    pub undo: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKind {
    Email,
    Phone,
}

impl CopyKind {
    fn label(self) -> &'static str {
        match self {
            CopyKind::Email => "e-mail",
            CopyKind::Phone => "phone",
        }
    }
}

/// Data work of these commands; run by the app's lifecycle jobs.
#[derive(Debug, Clone, PartialEq)]
pub enum LifecycleEffect {
    /// → [`LifecycleAction::MembersLoaded`].
    LoadMembers { request: RequestId },
    /// `closer.update_lead` with the owner only → [`LifecycleAction::OwnerChanged`].
    ChangeOwner {
        request: RequestId,
        lead_id: Uuid,
        version: i32,
        to: Uuid,
    },
    /// `closer.delete_lead` → [`LifecycleAction::LeadDeleted`].
    DeleteLead {
        request: RequestId,
        lead_id: Uuid,
        name: String,
    },
    /// The lead's e-mail and phone → [`LifecycleAction::ContactLoaded`].
    LoadContact { request: RequestId, lead_id: Uuid },
    /// One `closer.bulk_*` write of the board's marked cards → [`LifecycleAction::BulkDone`].
    Bulk {
        request: RequestId,
        leads: Vec<crate::data::bulk::Marked>,
        write: crate::data::bulk::BulkWrite,
        label: String,
    },
    /// `closer.bulk_undo` → [`LifecycleAction::BulkUndone`].
    BulkUndo {
        request: RequestId,
        undo: crate::data::bulk::BulkUndo,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum LifecycleAction {
    MembersLoaded {
        request: RequestId,
        result: Result<Vec<Assignee>, Failure>,
    },
    /// The new version.
    OwnerChanged {
        request: RequestId,
        result: Result<i32, Failure>,
    },
    LeadDeleted {
        request: RequestId,
        result: Result<(), Failure>,
    },
    ContactLoaded {
        request: RequestId,
        result: Result<Contact, Failure>,
    },
    /// A bulk write of the marked cards landed (`label` says what it did).
    BulkDone {
        request: RequestId,
        label: String,
        result: Result<crate::data::bulk::BulkDone, Failure>,
    },
    /// The undo of a bulk write landed.
    BulkUndone {
        request: RequestId,
        undo: crate::data::bulk::BulkUndo,
        result: Result<usize, Failure>,
    },
}

/// The lead a command acts on: the lead screen's lead, else the board's selected card.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub lead_id: Uuid,
    pub name: String,
    pub version: i32,
    pub owner: Option<Uuid>,
    /// Known on the lead screen only (the card has no contact).
    pub contact: Option<Contact>,
}

fn target(state: &mut State) -> Option<Target> {
    match &state.screen {
        Screen::Lead(screen) => {
            let Some(d) = screen.detail() else {
                let why = match screen.status {
                    super::lead::LeadStatus::Gone => {
                        "This lead was deleted or is no longer visible to you"
                    }
                    _ => "The lead is still loading",
                };
                state.info(why);
                return None;
            };
            Some(Target {
                lead_id: d.id,
                name: d.name.clone(),
                version: d.version,
                owner: d.owner_id,
                contact: Some(Contact {
                    email: d.email.clone().filter(|s| !s.trim().is_empty()),
                    phone: [&d.phone, &d.mobile]
                        .into_iter()
                        .flatten()
                        .find(|s| !s.trim().is_empty())
                        .cloned(),
                }),
            })
        }
        _ => {
            let Some(card) = state.board.selected_card() else {
                state.info("No lead selected");
                return None;
            };
            Some(Target {
                lead_id: card.id,
                name: card.name.clone(),
                version: card.version,
                owner: card.assigned_to,
                contact: None,
            })
        }
    }
}

/// `change_owner`, `change_lead_owner`, `delete_lead`, `copy_email`, `copy_phone`.
pub fn command(state: &mut State, cmd: Command) -> Vec<Effect> {
    let Some(t) = target(state) else {
        return Vec::new();
    };
    match cmd {
        Command::ChangeOwner | Command::ChangeLeadOwner => open_owner(state, t),
        Command::DeleteLead => open_delete(state, t),
        Command::CopyEmail => copy(state, t, CopyKind::Email),
        Command::CopyPhone => copy(state, t, CopyKind::Phone),
        _ => Vec::new(),
    }
}

fn open_owner(state: &mut State, t: Target) -> Vec<Effect> {
    if state.board.is_pending(t.lead_id)
        || state
            .board
            .lifecycle
            .pending
            .iter()
            .any(|p| p.lead_id == t.lead_id)
    {
        state.info(format!(
            "{} is still being saved; try again in a moment",
            t.name
        ));
        return Vec::new();
    }
    state.popup = Some(Popup::Owner(OwnerPicker::new(&t)));
    if matches!(state.board.lifecycle.members, Assignees::NotLoaded) {
        let request = state.next_id();
        state.board.lifecycle.members = Assignees::Loading(request);
        return vec![Effect::Lifecycle(LifecycleEffect::LoadMembers { request })];
    }
    Vec::new()
}

fn open_delete(state: &mut State, t: Target) -> Vec<Effect> {
    if state.board.lifecycle.role == Some(MemberRole::Rep) {
        state.info(format!(
            "Only managers and admins can delete leads; ask one to delete {}",
            t.name
        ));
        return Vec::new();
    }
    state.popup = Some(Popup::DeleteLead(DeleteConfirm {
        lead_id: t.lead_id,
        name: t.name,
        bulk: false,
    }));
    Vec::new()
}

fn copy(state: &mut State, t: Target, kind: CopyKind) -> Vec<Effect> {
    match t.contact {
        Some(contact) => copied(state, &t.name, kind, &contact),
        None => {
            let request = state.next_id();
            state.board.lifecycle.copy = Some((request, kind, t.name));
            vec![Effect::Lifecycle(LifecycleEffect::LoadContact {
                request,
                lead_id: t.lead_id,
            })]
        }
    }
}

fn copied(state: &mut State, name: &str, kind: CopyKind, contact: &Contact) -> Vec<Effect> {
    let value = match kind {
        CopyKind::Email => &contact.email,
        CopyKind::Phone => &contact.phone,
    };
    match value {
        Some(v) => {
            state.info(format!("Copied {} {v} ({name})", kind.label()));
            vec![Effect::Clipboard(v.clone())]
        }
        None => {
            state.info(format!("{name} has no {}", kind.label()));
            Vec::new()
        }
    }
}

/// Sets the owner shown on the card and on the lead screen (and the version, when known).
fn show_owner(
    state: &mut State,
    lead_id: Uuid,
    owner: (Option<Uuid>, Option<String>),
    version: Option<i32>,
) {
    if let Some((ci, i)) = state.board.find_card(lead_id)
        && let Some(card) = state
            .board
            .columns
            .get_mut(ci)
            .and_then(|c| c.cards.get_mut(i))
    {
        card.assigned_to = owner.0;
        card.owner_name = owner.1.clone();
        if let Some(v) = version {
            card.version = v;
        }
    }
    if let Screen::Lead(screen) = &mut state.screen
        && let Some(data) = screen.data.as_mut()
        && data.detail.id == lead_id
    {
        data.detail.owner_id = owner.0;
        data.detail.owner_name = owner.1;
        if let Some(v) = version {
            data.detail.version = v;
        }
    }
}

/// The picker's choice: shown at once, written in one round trip.
pub fn change_owner(state: &mut State, picker: &OwnerPicker, to: &Assignee) -> Vec<Effect> {
    if picker.current == Some(to.id) {
        state.info(format!("{} already owns {}", to.name, picker.name));
        return Vec::new();
    }
    let mut before = current_owner(state, picker.lead_id);
    if before.0.is_none() {
        before.0 = picker.current;
    }
    let request = state.next_id();
    show_owner(
        state,
        picker.lead_id,
        (Some(to.id), Some(to.name.clone())),
        None,
    );
    state.board.lifecycle.pending.push(PendingOwner {
        request,
        lead_id: picker.lead_id,
        name: picker.name.clone(),
        before,
        from: picker.version,
        undo: false,
    });
    state.info(format!("Giving {} to {}…", picker.name, to.name));
    vec![Effect::Lifecycle(LifecycleEffect::ChangeOwner {
        request,
        lead_id: picker.lead_id,
        version: picker.version,
        to: to.id,
    })]
}

/// Undoes an owner change of the history: back to `to` if the lead is still at `version` (the
/// database refuses, and nothing is written, if a teammate changed it since).
pub(crate) fn undo_owner(
    state: &mut State,
    request: RequestId,
    lead_id: Uuid,
    name: String,
    version: i32,
    to: Uuid,
) -> Vec<Effect> {
    let member = match &state.board.lifecycle.members {
        Assignees::Loaded(list) => list.iter().find(|m| m.id == to).map(|m| m.name.clone()),
        _ => None,
    };
    let owner = (Some(to), member);
    let before = current_owner(state, lead_id);
    show_owner(state, lead_id, owner, None);
    state.board.lifecycle.pending.push(PendingOwner {
        request,
        lead_id,
        name,
        before,
        from: version,
        undo: true,
    });
    vec![Effect::Lifecycle(LifecycleEffect::ChangeOwner {
        request,
        lead_id,
        version,
        to,
    })]
}

/// The answer to an owner change the history sent as an undo.
fn answered(state: &mut State, request: RequestId, answer: Answer) -> Vec<Effect> {
    match state.history.answers(request) {
        Some(awaited) => super::history::on_answer(state, awaited, answer),
        None => Vec::new(),
    }
}

/// The owner shown now: on the lead screen, else on the card.
fn current_owner(state: &State, lead_id: Uuid) -> (Option<Uuid>, Option<String>) {
    match &state.screen {
        Screen::Lead(s) => s
            .detail()
            .filter(|d| d.id == lead_id)
            .map(|d| (d.owner_id, d.owner_name.clone())),
        _ => None,
    }
    .or_else(|| {
        let (ci, i) = state.board.find_card(lead_id)?;
        let card = state.board.columns.get(ci)?.cards.get(i)?;
        Some((card.assigned_to, card.owner_name.clone()))
    })
    .unwrap_or((None, None))
}

/// The confirmed delete.
pub fn delete(state: &mut State, confirm: DeleteConfirm) -> Vec<Effect> {
    let request = state.next_id();
    state.board.lifecycle.delete = Some((request, confirm.lead_id, confirm.name.clone()));
    state.info(format!("Deleting {}…", confirm.name));
    vec![Effect::Lifecycle(LifecycleEffect::DeleteLead {
        request,
        lead_id: confirm.lead_id,
        name: confirm.name,
    })]
}

pub fn update(state: &mut State, action: LifecycleAction) -> Vec<Effect> {
    match action {
        LifecycleAction::MembersLoaded { request, result } => on_members(state, request, result),
        LifecycleAction::OwnerChanged { request, result } => {
            let lc = &mut state.board.lifecycle;
            let Some(at) = lc.pending.iter().position(|p| p.request == request) else {
                return Vec::new();
            };
            let p = lc.pending.remove(at);
            match result {
                Ok(version) => {
                    let owner = state
                        .board
                        .find_card(p.lead_id)
                        .and_then(|(ci, i)| state.board.columns.get(ci)?.cards.get(i))
                        .map(|c| (c.assigned_to, c.owner_name.clone()));
                    let name = owner.as_ref().and_then(|o| o.1.clone());
                    if let Some(owner) = owner {
                        show_owner(state, p.lead_id, owner, Some(version));
                    } else if let Screen::Lead(s) = &mut state.screen
                        && let Some(data) = s.data.as_mut()
                        && data.detail.id == p.lead_id
                    {
                        data.detail.version = version;
                    }
                    if p.undo {
                        return answered(state, request, Answer::Done(Some(version)));
                    }
                    if let Some(to) = p.before.0 {
                        let label = match &name {
                            Some(n) => format!("gave {} to {n}", p.name),
                            None => format!("changed the owner of {}", p.name),
                        };
                        let place = match &state.screen {
                            Screen::Lead(s) if s.lead_id == p.lead_id => Place::Lead(p.lead_id),
                            _ => Place::Board,
                        };
                        let undo = Undo::Owner {
                            lead_id: p.lead_id,
                            name: p.name.clone(),
                            from: p.from,
                            version,
                            to,
                        };
                        state.history.push(label, place, undo);
                    }
                    match name {
                        Some(n) => state.info(format!("{} now belongs to {n}", p.name)),
                        None => state.info(format!("Owner of {} changed", p.name)),
                    }
                    Vec::new()
                }
                Err(f) => {
                    show_owner(state, p.lead_id, p.before, None);
                    if p.undo {
                        return answered(state, request, Answer::Failed(f));
                    }
                    state.error(format!(
                        "The owner of {} was not changed: {}",
                        p.name, f.message
                    ));
                    note_failure(state, &f)
                }
            }
        }
        LifecycleAction::LeadDeleted { request, result } => on_deleted(state, request, result),
        LifecycleAction::BulkDone {
            request,
            label,
            result,
        } => super::board::marks::on_done(state, request, label, result),
        LifecycleAction::BulkUndone {
            request,
            undo,
            result,
        } => super::board::marks::on_undone(state, request, undo, result),
        LifecycleAction::ContactLoaded { request, result } => {
            let Some((awaited, kind, name)) = state.board.lifecycle.copy.take() else {
                return Vec::new();
            };
            if awaited != request {
                state.board.lifecycle.copy = Some((awaited, kind, name));
                return Vec::new();
            }
            match result {
                Ok(contact) => copied(state, &name, kind, &contact),
                Err(f) => {
                    state.error(format!("Nothing copied: {}", f.message));
                    note_failure(state, &f)
                }
            }
        }
    }
}

fn on_members(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<Assignee>, Failure>,
) -> Vec<Effect> {
    if state.board.lifecycle.members != Assignees::Loading(request) {
        return Vec::new();
    }
    match result {
        Ok(mut list) => {
            list.sort_by(|a, b| {
                b.me.cmp(&a.me)
                    .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            });
            state.board.lifecycle.members = Assignees::Loaded(list);
            Vec::new()
        }
        Err(f) => {
            state.board.lifecycle.members = Assignees::NotLoaded;
            if matches!(state.popup, Some(Popup::Owner(_))) {
                state.popup = None;
            }
            state.error(format!("Could not read the team: {}", f.message));
            note_failure(state, &f)
        }
    }
}

fn on_deleted(state: &mut State, request: RequestId, result: Result<(), Failure>) -> Vec<Effect> {
    let Some((awaited, lead_id, name)) = state.board.lifecycle.delete.take() else {
        return Vec::new();
    };
    if awaited != request {
        state.board.lifecycle.delete = Some((awaited, lead_id, name));
        return Vec::new();
    }
    if let Err(f) = result {
        state.error(format!("{name} was not deleted: {}", f.message));
        return note_failure(state, &f);
    }
    if let Some((ci, i)) = state.board.find_card(lead_id)
        && let Some(col) = state.board.columns.get_mut(ci)
    {
        let stage = col.stage.id;
        col.remove_card(i);
        state.board.adjust_count(stage, -1);
    }
    if matches!(&state.screen, Screen::Lead(s) if s.lead_id == lead_id) {
        state.screen = Screen::Board;
    }
    state.info(format!("Deleted {name}"));
    // The headers' sums include the lead's value: read them again.
    let Some(pipeline_id) = state.board.pipeline_id else {
        return Vec::new();
    };
    let request = state.next_id();
    state.board.summaries_request = Some(request);
    vec![
        BoardEffect::LoadSummaries {
            request,
            pipeline_id,
            filter: state.board.filter.clone(),
        }
        .into(),
    ]
}
