//! Issue 11: one undo history for every screen. `u` walks back the screen's own entries, the
//! status line says what was undone, and a teammate's change since is reported, not overwritten.

use super::board_ui::{Fake, column_names, id, loaded, selected_name};
use super::harness::{ch, ctrl, key, render, screen_text};
use super::lead_ui::{lead_effects, lead_open};
use closer::state::history::{DEPTH, Place, Undo};
use closer::state::lead::{LeadAction, LeadEffect, UpdateReply};
use closer::state::{Action, BoardEffect, Effect, MessageKind, Screen, State, update};
use crossterm::event::KeyCode;

/// The message line and the status bar: the two bottom rows of the frame.
fn status_lines(state: &State, width: u16, height: u16) -> String {
    let text = screen_text(&render(state, width, height));
    let rows: Vec<&str> = text.lines().collect();
    rows[rows.len().saturating_sub(2)..].join("\n")
}

fn message(state: &State) -> Option<(MessageKind, String)> {
    state.message.as_ref().map(|m| (m.kind, m.text.clone()))
}

fn moves(fx: &[Effect]) -> Vec<(uuid::Uuid, uuid::Uuid, uuid::Uuid)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Board(BoardEffect::MoveLead {
                lead_id,
                from_stage,
                to_stage,
                ..
            }) => Some((*lead_id, *from_stage, *to_stage)),
            _ => None,
        })
        .collect()
}

#[test]
fn u_walks_back_a_chain_of_board_moves_and_says_what_it_undid() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    // Grace: New → Contacted → Qualified, then Alan (New) → Contacted.
    for keys in ["L", "L", "hhL"] {
        for c in keys.chars() {
            let fx = update(&mut state, ch(c));
            fake.drive(&mut state, fx, false);
        }
    }
    let labels: Vec<&str> = state
        .history
        .entries
        .iter()
        .map(|e| e.label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "moved Grace Hopper to Contacted",
            "moved Grace Hopper to Qualified",
            "moved Alan Turing to Contacted"
        ]
    );
    // Newest first: Alan goes back to New.
    let fx = update(&mut state, ch('u'));
    assert_eq!(moves(&fx), [(id(0x1002), id(0x102), id(0x101))]);
    insta::assert_snapshot!("undo_board_move_status", status_lines(&state, 120, 24));
    fake.drive(&mut state, fx, false);
    // Then Grace, one stage at a time.
    let fx = update(&mut state, ch('u'));
    assert_eq!(moves(&fx), [(id(0x1001), id(0x103), id(0x102))]);
    assert_eq!(
        message(&state),
        Some((
            MessageKind::Info,
            "Undid: moved Grace Hopper to Qualified".to_string()
        ))
    );
    fake.drive(&mut state, fx, false);
    let fx = update(&mut state, ch('u'));
    assert_eq!(moves(&fx), [(id(0x1001), id(0x102), id(0x101))]);
    fake.drive(&mut state, fx, false);
    assert!(column_names(&state, 0).contains(&"Grace Hopper".to_string()));
    assert!(column_names(&state, 0).contains(&"Alan Turing".to_string()));
    // The undos are not recorded again: the history is empty.
    assert!(moves(&update(&mut state, ch('u'))).is_empty());
    assert_eq!(
        message(&state),
        Some((MessageKind::Info, "Nothing to undo".to_string()))
    );
}

#[test]
fn undo_of_a_lead_a_teammate_moved_since_is_reported_not_sent() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    let fx = update(&mut state, ch('L'));
    fake.drive(&mut state, fx, false);
    // A teammate moves Grace on to Qualified (a live reload shows her there).
    let fx = update(&mut state, ch('L'));
    fake.drive(&mut state, fx, false);
    state.history.entries.pop();
    let fx = update(&mut state, ch('u'));
    assert!(moves(&fx).is_empty(), "nothing is sent: {fx:?}");
    assert_eq!(selected_name(&state).as_deref(), Some("Grace Hopper"));
    insta::assert_snapshot!("undo_board_conflict_status", status_lines(&state, 120, 24));
    assert!(matches!(message(&state), Some((MessageKind::Error, _))));
}

#[test]
fn the_history_keeps_the_last_thirty_actions() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    for _ in 0..25 {
        for c in ['L', 'H'] {
            let fx = update(&mut state, ch(c));
            fake.drive(&mut state, fx, false);
        }
    }
    const { assert!(DEPTH >= 20) };
    assert_eq!(state.history.entries.len(), DEPTH);
    assert_eq!(
        state.history.newest().map(|e| e.label.as_str()),
        Some("moved Grace Hopper to New")
    );
}

/// Edits the email of the open lead and answers the save with version 4.
fn edit_email(state: &mut State, email: &str) {
    update(state, ch('e'));
    update(state, key(KeyCode::Tab));
    update(state, ctrl('u'));
    for c in email.chars() {
        update(state, ch(c));
    }
    let fx = update(state, ctrl('s'));
    let request = match lead_effects(&fx).as_slice() {
        [LeadEffect::UpdateLead { request, .. }] => *request,
        other => panic!("expected an update, got {other:?}"),
    };
    update(
        state,
        Action::Lead(LeadAction::Updated {
            request,
            result: Ok(UpdateReply::Saved { version: 4 }),
        }),
    );
}

#[test]
fn u_on_the_lead_screen_saves_the_fields_back_at_the_version_the_edit_left() {
    let mut state = lead_open(100, 24);
    edit_email(&mut state, "grace@hopper.dev");
    let entry = state.history.newest().expect("the edit is recorded");
    assert_eq!(entry.label, "edited Grace Hopper");
    assert_eq!(entry.place, Place::Lead(id(0x1001)));
    let fx = update(&mut state, ch('u'));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::UpdateLead {
                request,
                lead_id,
                version,
                fields,
                base,
            },
        ] => {
            assert_eq!((*lead_id, *version), (id(0x1001), 4));
            assert_eq!(base.email, "grace@hopper.dev");
            assert_ne!(fields.email, "grace@hopper.dev", "the email from before");
            *request
        }
        other => panic!("expected the undo's update, got {other:?}"),
    };
    let fx = update(
        &mut state,
        Action::Lead(LeadAction::Updated {
            request,
            result: Ok(UpdateReply::Saved { version: 5 }),
        }),
    );
    assert!(
        lead_effects(&fx)
            .iter()
            .any(|e| matches!(e, LeadEffect::Load { .. })),
        "the lead is re-read"
    );
    insta::assert_snapshot!("undo_lead_edit_status", status_lines(&state, 100, 24));
    assert!(state.history.entries.is_empty());
}

#[test]
fn a_teammates_change_since_the_edit_is_reported_and_kept() {
    let mut state = lead_open(100, 24);
    edit_email(&mut state, "grace@hopper.dev");
    let fx = update(&mut state, ch('u'));
    let request = match lead_effects(&fx).as_slice() {
        [LeadEffect::UpdateLead { request, .. }] => *request,
        other => panic!("expected the undo's update, got {other:?}"),
    };
    let theirs = closer::state::lead::LeadFields::default();
    update(
        &mut state,
        Action::Lead(LeadAction::Updated {
            request,
            result: Ok(UpdateReply::Conflict {
                theirs: Box::new(theirs),
                version: 6,
            }),
        }),
    );
    assert!(state.popup.is_none(), "no merge popup for an undo");
    assert!(matches!(message(&state), Some((MessageKind::Error, _))));
    insta::assert_snapshot!("undo_lead_conflict_status", status_lines(&state, 100, 24));
}

#[test]
fn u_undoes_only_what_belongs_to_the_screen_in_front() {
    let mut state = lead_open(100, 24);
    // A board move recorded earlier (the lead screen shows another lead).
    state.history.push(
        "moved Alan Turing to Contacted",
        Place::Board,
        Undo::Move {
            request: 0,
            lead_id: id(0x1002),
            from_stage: id(0x101),
            to_stage: id(0x102),
            close: None,
        },
    );
    let fx = update(&mut state, ch('u'));
    assert!(fx.is_empty());
    assert_eq!(
        message(&state),
        Some((
            MessageKind::Info,
            "Nothing to undo here; “moved Alan Turing to Contacted” is undone on the board"
                .to_string()
        ))
    );
    assert_eq!(state.history.entries.len(), 1, "kept for the board");
}

/// Answers the newest lead update in `fx` with `version`.
fn saved(state: &mut State, fx: &[Effect], version: i32) {
    let request = match lead_effects(fx).as_slice() {
        [LeadEffect::UpdateLead { request, .. }] => *request,
        other => panic!("expected an update, got {other:?}"),
    };
    update(
        state,
        Action::Lead(LeadAction::Updated {
            request,
            result: Ok(UpdateReply::Saved { version }),
        }),
    );
}

#[test]
fn a_chain_of_undos_on_one_lead_is_not_a_conflict_with_itself() {
    let mut state = lead_open(100, 24);
    // Two edits: 3 → 4 (email), then 4 → 7 (the second save's answer).
    edit_email(&mut state, "grace@hopper.dev");
    // The re-read after the save.
    if let Screen::Lead(s) = &mut state.screen
        && let Some(data) = s.data.as_mut()
    {
        data.detail.version = 4;
        data.detail.email = Some("grace@hopper.dev".to_string());
    }
    update(&mut state, ch('e'));
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ctrl('u'));
    for c in "g@h.dev".chars() {
        update(&mut state, ch(c));
    }
    let fx = update(&mut state, ctrl('s'));
    saved(&mut state, &fx, 7);
    // Undo the second at 7 → 8: the first (left at 4) is now undone at 8.
    let fx = update(&mut state, ch('u'));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::UpdateLead { version: 7, fields, .. }] if fields.email == "grace@hopper.dev"
    ));
    saved(&mut state, &fx, 8);
    let fx = update(&mut state, ch('u'));
    assert!(
        matches!(
            lead_effects(&fx).as_slice(),
            [LeadEffect::UpdateLead { version: 8, base, .. }] if base.email == "grace@hopper.dev"
        ),
        "{fx:?}"
    );
}

#[test]
fn a_reschedule_on_the_lead_screen_is_undone_at_the_version_it_left() {
    let mut state = lead_open(100, 24);
    update(&mut state, ch('3'));
    let (task_id, old_date, old_time) = match &state.screen {
        Screen::Lead(s) => s
            .selected_task()
            .map(|t| (t.id, t.due_date, t.due_time))
            .expect("a task is selected"),
        _ => panic!("on the lead screen"),
    };
    update(&mut state, ch('R'));
    update(&mut state, ch('w'));
    let fx = update(&mut state, key(KeyCode::Enter));
    let request = match lead_effects(&fx).as_slice() {
        [LeadEffect::RescheduleTask { request, .. }] => *request,
        other => panic!("expected a reschedule, got {other:?}"),
    };
    update(
        &mut state,
        Action::Lead(LeadAction::Saved {
            request,
            result: Ok(closer::state::lead::Saved::Rescheduled { version: 9 }),
        }),
    );
    assert_eq!(
        state.history.newest().map(|e| e.place),
        Some(Place::Lead(id(0x1001)))
    );
    let fx = update(&mut state, ch('u'));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::RescheduleTask {
                request,
                task_id: t,
                version,
                due_date,
                due_time,
                ..
            },
        ] => {
            assert_eq!((*t, *version), (task_id, 9));
            assert_eq!((*due_date, *due_time), (old_date, old_time));
            *request
        }
        other => panic!("expected the undo's reschedule, got {other:?}"),
    };
    // A teammate changed the task since: reported, nothing else is sent.
    let fx = update(
        &mut state,
        Action::Lead(LeadAction::Saved {
            request,
            result: Err(closer::state::Failure {
                message: "Someone else changed this record first; reload to see their change"
                    .to_string(),
                connection: false,
            }),
        }),
    );
    assert!(
        !lead_effects(&fx)
            .iter()
            .any(|e| matches!(e, LeadEffect::RescheduleTask { .. }))
    );
    assert!(matches!(
        message(&state),
        Some((MessageKind::Error, text)) if text.starts_with("Not undone (rescheduled")
    ));
}

#[test]
fn a_completion_on_the_lead_screen_is_undone_by_reopening_the_task() {
    let mut state = lead_open(100, 24);
    update(&mut state, ch('3'));
    let (task_id, status) = match &state.screen {
        Screen::Lead(s) => s
            .selected_task()
            .map(|t| (t.id, t.status))
            .expect("a task is selected"),
        _ => panic!("on the lead screen"),
    };
    let fx = update(&mut state, ch('x'));
    let request = match lead_effects(&fx).as_slice() {
        [LeadEffect::CompleteTask { request, .. }] => *request,
        other => panic!("expected a completion, got {other:?}"),
    };
    update(
        &mut state,
        Action::Lead(LeadAction::Saved {
            request,
            result: Ok(closer::state::lead::Saved::TaskCompleted { task_id }),
        }),
    );
    let fx = update(&mut state, ch('u'));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::ReopenTask {
                request,
                task_id: t,
                previous,
                ..
            },
        ] => {
            assert_eq!((*t, *previous), (task_id, status));
            *request
        }
        other => panic!("expected the reopen, got {other:?}"),
    };
    update(
        &mut state,
        Action::Lead(LeadAction::Saved {
            request,
            result: Ok(closer::state::lead::Saved::TaskReopened),
        }),
    );
    assert!(matches!(
        message(&state),
        Some((MessageKind::Info, text)) if text.starts_with("Undid: completed “")
    ));
}

#[test]
fn the_reps_own_move_does_not_make_an_earlier_edit_a_conflict() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    let version = state
        .board
        .selected_card()
        .map(|c| c.version)
        .expect("Grace");
    state.history.push(
        "edited Grace Hopper",
        Place::Lead(id(0x1001)),
        Undo::LeadEdit {
            lead_id: id(0x1001),
            from: version - 1,
            version,
            before: Box::default(),
            after: Box::default(),
        },
    );
    let fx = update(&mut state, ch('L'));
    fake.drive(&mut state, fx, false);
    let moved = state
        .board
        .selected_card()
        .map(|c| c.version)
        .expect("Grace");
    assert_ne!(moved, version, "the move left a new version");
    let edit = state.history.entries.iter().find_map(|e| match &e.undo {
        Undo::LeadEdit { version, .. } => Some(*version),
        _ => None,
    });
    assert_eq!(
        edit,
        Some(moved),
        "the edit is undone at the version the move left"
    );
}
