//! Many cards at once (issue 12): `space` marks a card, `V` marks a range in the column (it
//! follows the selection until `V` again), Esc clears. With marks, `m` / `o` / `T` / `D` act on
//! every marked card in one `closer.bulk_*` write (all or nothing) and `u` undoes it in one
//! `closer.bulk_undo`. Bulk writes are not optimistic: the board is re-read when they land.
//!
//! Marked leads are never moved into won/lost stages: closing asks each lead's reason and what
//! happens to its deals and tasks, and its undo restores them; a rep who marks twenty cards
//! and picks "Lost" would otherwise close deals they never looked at. The sentence says so.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::MarkRange;
use crate::config::keymap::Command;
use crate::data::bulk::{BulkDone, BulkUndo, BulkWrite, Marked};
use crate::data::models::MemberRole;
use crate::state::history::{Place, Undo};
use crate::state::inbox::{Assignee, Assignees};
use crate::state::lifecycle::LifecycleEffect;
use crate::state::popup::delete::DeleteConfirm;
use crate::state::popup::owner::OwnerPicker;
use crate::state::popup::{Picker, PickerItem, PickerKind, Popup, Prompt, PromptPurpose};
use crate::state::screen::Contract;
use crate::state::{Effect, Failure, RequestId, State, note_failure};

/// The colour of tags added to marked cards (the tags popup's first colour).
const TAG_COLOR: &str = "#3b82f6";

/// The board commands marks change; `None`: the command works as without marks.
pub(super) fn command(state: &mut State, cmd: Command) -> Option<Vec<Effect>> {
    let marked = !state.board.marks.is_empty();
    match cmd {
        Command::ToggleMark => Some(toggle(state)),
        Command::MarkRange => Some(range(state)),
        Command::Back if marked || state.board.range.is_some() => {
            clear(state);
            state.info("Marks cleared");
            Some(Vec::new())
        }
        // On the board `T` always goes through the bulk write (the selected card without marks).
        Command::AddTag => Some(open_tag(state)),
        Command::MoveToStage if marked => Some(open_stage_picker(state)),
        Command::ChangeOwner if marked => Some(open_owner(state)),
        Command::DeleteLead if marked => Some(open_delete(state)),
        _ => None,
    }
}

pub(super) fn clear(state: &mut State) {
    state.board.marks.clear();
    state.board.range = None;
}

fn toggle(state: &mut State) -> Vec<Effect> {
    let Some(id) = state.board.selected_card().map(|c| c.id) else {
        state.info("No lead selected");
        return Vec::new();
    };
    state.board.range = None;
    if !state.board.marks.remove(&id) {
        state.board.marks.insert(id);
    }
    Vec::new()
}

fn range(state: &mut State) -> Vec<Effect> {
    if state.board.range.take().is_some() {
        let n = state.board.marks.len();
        state.info(format!("{n} marked"));
        return Vec::new();
    }
    let Some((stage_id, anchor)) = state
        .board
        .selected_card()
        .map(|card| (card.stage_id, card.id))
    else {
        state.info("No lead selected");
        return Vec::new();
    };
    state.board.range = Some(MarkRange {
        stage_id,
        anchor,
        base: state.board.marks.clone(),
    });
    follow_range(state);
    Vec::new()
}

/// After every board command: the range `V` started covers the anchor to the selected card;
/// leaving the column (or losing the anchor) ends it, keeping what it marked.
pub(super) fn follow_range(state: &mut State) {
    let Some(range) = state.board.range.clone() else {
        return;
    };
    let Some(col) = state
        .board
        .column()
        .filter(|c| c.stage.id == range.stage_id)
    else {
        state.board.range = None;
        return;
    };
    let Some(anchor) = col.position(range.anchor) else {
        state.board.range = None;
        return;
    };
    let (from, to) = (anchor.min(col.selected), anchor.max(col.selected));
    let mut marks: BTreeSet<Uuid> = range.base;
    marks.extend(
        col.cards
            .iter()
            .skip(from)
            .take(to - from + 1)
            .map(|c| c.id),
    );
    state.board.marks = marks;
}

/// The marked leads with the versions their cards show, or the sentence why not now.
fn marked(state: &State) -> Result<Vec<Marked>, String> {
    let board = &state.board;
    let mut out = Vec::with_capacity(board.marks.len());
    let mut missing = 0;
    for id in &board.marks {
        if board.is_pending(*id) || board.lifecycle.pending.iter().any(|p| p.lead_id == *id) {
            return Err("A marked lead is still being saved; try again in a moment".into());
        }
        match board
            .find_card(*id)
            .and_then(|(ci, i)| board.columns.get(ci)?.cards.get(i))
        {
            Some(card) => out.push(Marked {
                id: card.id,
                version: card.version,
            }),
            None => missing += 1,
        }
    }
    if missing > 0 {
        return Err(format!(
            "{missing} marked lead{} no longer on the board (a filter or a teammate's change); Esc clears the marks",
            if missing == 1 { " is" } else { "s are" }
        ));
    }
    if board.bulk_request.is_some() {
        return Err("The last change to marked cards is still being saved".into());
    }
    Ok(out)
}

/// "3 marked leads" / "1 marked lead".
fn count(n: usize) -> String {
    format!("{n} marked lead{}", if n == 1 { "" } else { "s" })
}

fn leads_word(n: usize) -> String {
    format!("{n} lead{}", if n == 1 { "" } else { "s" })
}

fn open_stage_picker(state: &mut State) -> Vec<Effect> {
    let n = state.board.marks.len();
    let items: Vec<PickerItem> = state
        .board
        .columns
        .iter()
        .map(|c| PickerItem {
            id: c.stage.id,
            label: c.stage.name.clone(),
            color: Some(c.stage.color.clone()),
            current: false,
        })
        .collect();
    let selected = state.board.selected.min(items.len().saturating_sub(1));
    state.popup = Some(Popup::Picker(Picker {
        kind: PickerKind::BulkStage,
        title: format!("Move {} to…", count(n)),
        items,
        selected,
    }));
    Vec::new()
}

/// The stage picker's choice for the marked cards.
pub(crate) fn move_to(state: &mut State, to_stage: Uuid) -> Vec<Effect> {
    let Some(col) = state
        .board
        .column_index(to_stage)
        .and_then(|i| state.board.columns.get(i))
    else {
        return Vec::new();
    };
    let name = col.stage.name.clone();
    if col.stage.is_won || col.stage.is_lost {
        state.error(format!(
            "Marked leads are not moved into {name}: closing asks for each lead's reason, deals and tasks, so close them one at a time"
        ));
        return Vec::new();
    }
    match marked(state) {
        Ok(leads) => {
            let label = format!("Moved {} to {name}", leads_word(leads.len()));
            send(state, leads, BulkWrite::Move { to_stage }, label)
        }
        Err(why) => refuse(state, why),
    }
}

fn open_owner(state: &mut State) -> Vec<Effect> {
    let n = state.board.marks.len();
    let mut picker = OwnerPicker::new(&crate::state::lifecycle::Target {
        lead_id: Uuid::nil(),
        name: count(n),
        version: 0,
        owner: None,
        contact: None,
    });
    picker.bulk = true;
    state.popup = Some(Popup::Owner(picker));
    if matches!(state.board.lifecycle.members, Assignees::NotLoaded) {
        let request = state.next_id();
        state.board.lifecycle.members = Assignees::Loading(request);
        return vec![Effect::Lifecycle(LifecycleEffect::LoadMembers { request })];
    }
    Vec::new()
}

/// The owner picker's choice for the marked cards.
pub(crate) fn assign(state: &mut State, to: &Assignee) -> Vec<Effect> {
    match marked(state) {
        Ok(leads) => {
            let label = format!("Gave {} to {}", leads_word(leads.len()), to.name);
            send(state, leads, BulkWrite::Assign { owner: to.id }, label)
        }
        Err(why) => refuse(state, why),
    }
}

fn open_tag(state: &mut State) -> Vec<Effect> {
    let what = match state.board.marks.len() {
        0 => match state.board.selected_card() {
            Some(card) => card.name.clone(),
            None => {
                state.info("No lead selected");
                return Vec::new();
            }
        },
        n => count(n),
    };
    state.popup = Some(Popup::Prompt(Prompt {
        purpose: PromptPurpose::BulkTag,
        title: format!("Add a tag to {what}"),
        input: String::new(),
        hint: None,
    }));
    Vec::new()
}

/// The tag prompt's text: the marked cards, or the selected card when none is marked.
pub(crate) fn tag(state: &mut State, tag: String) -> Vec<Effect> {
    let leads = if state.board.marks.is_empty() {
        match state.board.selected_card() {
            Some(card) => Ok(vec![Marked {
                id: card.id,
                version: card.version,
            }]),
            None => Err("No lead selected".to_string()),
        }
    } else {
        marked(state)
    };
    match leads {
        Ok(leads) => {
            let label = format!("Tagged {} {tag}", leads_word(leads.len()));
            let write = BulkWrite::Tag {
                tag,
                color: TAG_COLOR.to_string(),
            };
            send(state, leads, write, label)
        }
        Err(why) => refuse(state, why),
    }
}

fn open_delete(state: &mut State) -> Vec<Effect> {
    let n = state.board.marks.len();
    if state.board.lifecycle.role == Some(MemberRole::Rep) {
        state.info(format!(
            "Only managers and admins can delete leads; ask one to delete the {}",
            count(n)
        ));
        return Vec::new();
    }
    state.popup = Some(Popup::DeleteLead(DeleteConfirm {
        lead_id: Uuid::nil(),
        name: count(n),
        bulk: true,
    }));
    Vec::new()
}

/// The confirmed delete of the marked cards.
pub(crate) fn delete(state: &mut State) -> Vec<Effect> {
    match marked(state) {
        Ok(leads) => {
            let label = format!("Deleted {}", leads_word(leads.len()));
            send(state, leads, BulkWrite::Delete, label)
        }
        Err(why) => refuse(state, why),
    }
}

fn refuse(state: &mut State, why: String) -> Vec<Effect> {
    state.error(why);
    Vec::new()
}

fn send(state: &mut State, leads: Vec<Marked>, write: BulkWrite, label: String) -> Vec<Effect> {
    let request = state.next_id();
    state.board.bulk_request = Some(request);
    state.info(format!("{label}…"));
    vec![Effect::Lifecycle(LifecycleEffect::Bulk {
        request,
        leads,
        write,
        label,
    })]
}

/// `u` reached a write of marked cards in the history.
pub(crate) fn undo(state: &mut State, label: String, undo: BulkUndo) -> Vec<Effect> {
    if state.board.bulk_request.is_some() {
        state.history.push(label, Place::Board, Undo::Bulk(undo));
        return refuse(
            state,
            "The last change to marked cards is still being saved".into(),
        );
    }
    let request = state.next_id();
    state.board.bulk_request = Some(request);
    state.info(format!("Undoing: {}…", undo.label));
    vec![Effect::Lifecycle(LifecycleEffect::BulkUndo {
        request,
        undo,
    })]
}

/// A bulk write landed: marks go, its undo becomes the board's last action, the board re-reads.
pub(crate) fn on_done(
    state: &mut State,
    request: RequestId,
    label: String,
    result: Result<BulkDone, Failure>,
) -> Vec<Effect> {
    if state.board.bulk_request != Some(request) {
        return Vec::new();
    }
    state.board.bulk_request = None;
    match result {
        Ok(done) => {
            clear(state);
            let undoable = done.undo.is_some();
            if let Some(undo) = done.undo {
                state
                    .history
                    .push(label.clone(), Place::Board, Undo::Bulk(undo));
            }
            let undo_key = state
                .keymap
                .keys(Command::UndoMove)
                .first()
                .map(|k| k.title_text());
            match undo_key {
                Some(k) if undoable => state.info(format!("{label} ({k} undoes)")),
                _ => state.info(label),
            }
            super::Reducer::reload(state)
        }
        Err(f) => {
            state.error(f.message.clone());
            note_failure(state, &f)
        }
    }
}

/// A bulk undo landed (or was refused: the undo is kept, the sentence says why).
pub(crate) fn on_undone(
    state: &mut State,
    request: RequestId,
    undo: BulkUndo,
    result: Result<usize, Failure>,
) -> Vec<Effect> {
    if state.board.bulk_request != Some(request) {
        return Vec::new();
    }
    state.board.bulk_request = None;
    match result {
        Ok(_) => {
            state.info(format!("Undone: {}", undo.label));
            super::Reducer::reload(state)
        }
        Err(f) => {
            if f.connection {
                // Not reached: the same undo can be tried again.
                state
                    .history
                    .push(undo.label.clone(), Place::Board, Undo::Bulk(undo));
            }
            state.error(f.message.clone());
            note_failure(state, &f)
        }
    }
}
