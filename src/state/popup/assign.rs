//! The assign popup: type to filter teammates, Enter reassigns the tasks.

use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::{Popup, input, list_step, step};
use crate::config::keymap::Command;
use crate::state::inbox::{Assignee, Assignees, InboxEffect, screen, screen_mut, writes};
use crate::state::{Effect, Failure, RequestId, State};

pub fn open_reassign(state: &mut State) -> Vec<Effect> {
    let Some(ids) = writes::open_targets(state) else {
        return Vec::new();
    };
    let request = state.next_id();
    if screen(state).is_none() {
        return Vec::new();
    }
    state.popup = Some(Popup::Assign {
        ids,
        filter: String::new(),
        selected: 0,
    });
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    if s.teammates == Assignees::NotLoaded {
        s.teammates = Assignees::Loading(request);
        return vec![Effect::Inbox(InboxEffect::LoadTeammates { request })];
    }
    Vec::new()
}

/// The people matching the filter (case-insensitive, anywhere in the name).
pub fn filtered<'a>(teammates: &'a Assignees, filter: &str) -> Vec<&'a Assignee> {
    let Assignees::Loaded(list) = teammates else {
        return Vec::new();
    };
    let needle = filter.trim().to_lowercase();
    list.iter()
        .filter(|t| needle.is_empty() || t.name.to_lowercase().contains(&needle))
        .collect()
}

pub(super) fn key(
    state: &mut State,
    ids: Vec<Uuid>,
    mut filter: String,
    mut selected: usize,
    key: &KeyEvent,
) -> Vec<Effect> {
    let matches: Vec<Assignee> = screen(state)
        .map(|s| {
            filtered(&s.teammates, &filter)
                .into_iter()
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let last = matches.len().saturating_sub(1);
    let confirm = state.keymap.popup_command(key) == Some(Command::Confirm);
    if confirm {
        if let Some(to) = matches.get(selected) {
            return writes::reassign(state, ids, to.clone());
        }
    } else if let Some(delta) = list_step(state, key) {
        selected = step(selected, delta, last);
    } else if input::edit(&mut filter, key, 60) {
        selected = 0;
    }
    super::show(
        state,
        Popup::Assign {
            ids,
            filter,
            selected,
        },
    )
}

pub fn on_teammates(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<Assignee>, Failure>,
) -> Vec<Effect> {
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    if s.teammates != Assignees::Loading(request) {
        return Vec::new();
    }
    match result {
        Ok(mut list) => {
            list.sort_by(|a, b| {
                b.me.cmp(&a.me)
                    .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            });
            s.teammates = Assignees::Loaded(list);
            Vec::new()
        }
        Err(f) => {
            s.teammates = Assignees::NotLoaded;
            if matches!(state.popup, Some(Popup::Assign { .. })) {
                state.popup = None;
            }
            state.error(f.message.clone());
            crate::state::note_failure(state, &f)
        }
    }
}
