//! Many cards at once on the board (issue 12): `space` marks, `V` marks a range that follows the
//! selection, Esc clears; with marks `m` / `o` / `T` / `D` send ONE bulk write of every marked
//! card and `u` sends its one undo. The writes themselves are tested against PostgreSQL in
//! tests/lifecycle.rs (bulk::*).

use super::board_ui::{Fake, id, loaded};
use super::harness::{ch, key, render, screen_text};
use closer::data::bulk::{BulkDone, BulkUndo, BulkWrite};
use closer::data::models::MemberRole;
use closer::state::lifecycle::{LifecycleAction, LifecycleEffect};
use closer::state::popup::Popup;
use closer::state::{Action, Effect, Failure, State, update};
use crossterm::event::KeyCode;

fn bulk(fx: &[Effect]) -> Option<&LifecycleEffect> {
    fx.iter().find_map(|e| match e {
        Effect::Lifecycle(
            l @ (LifecycleEffect::Bulk { .. } | LifecycleEffect::BulkUndo { .. }),
        ) => Some(l),
        _ => None,
    })
}

fn names_marked(state: &State) -> Vec<String> {
    let mut out: Vec<String> = state
        .board
        .columns
        .iter()
        .flat_map(|c| c.cards.iter())
        .filter(|c| state.board.marks.contains(&c.id))
        .map(|c| c.name.clone())
        .collect();
    out.sort();
    out
}

/// Marks the first three cards of the first column: `space`, then `V` from the second card down.
fn mark_three(state: &mut State) {
    update(state, ch(' '));
    update(state, ch('j'));
    update(state, ch('V'));
    update(state, ch('j'));
    update(state, ch('V'));
}

#[test]
fn marks_show_on_the_cards_and_the_count_in_the_status_bar() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    mark_three(&mut state);
    assert_eq!(state.board.marks.len(), 3, "{:?}", names_marked(&state));
    let frame = render(&state, 120, 24);
    let text = screen_text(&frame);
    assert!(text.contains("3 marked"), "{text}");
    assert!(text.contains("✓ Grace Hopper"), "{text}");
    insta::assert_snapshot!("marked_cards", frame.backend());

    // `space` on a marked card unmarks it; Esc clears every mark.
    update(&mut state, ch(' '));
    assert_eq!(state.board.marks.len(), 2);
    update(&mut state, key(KeyCode::Esc));
    assert!(state.board.marks.is_empty());
    assert!(!screen_text(&render(&state, 120, 24)).contains("marked "));
}

#[test]
fn the_range_follows_the_selection_and_ends_when_leaving_the_column() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    update(&mut state, ch('V'));
    update(&mut state, ch('j'));
    update(&mut state, ch('j'));
    assert_eq!(state.board.marks.len(), 3);
    update(&mut state, ch('k'));
    assert_eq!(state.board.marks.len(), 2, "moving back shrinks the range");
    update(&mut state, ch('l'));
    assert!(state.board.range.is_none(), "another column ends the range");
    update(&mut state, ch('j'));
    assert_eq!(state.board.marks.len(), 2, "the marks it made stay");
}

#[test]
fn a_bulk_move_is_one_write_and_u_sends_its_one_undo() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    mark_three(&mut state);
    update(&mut state, ch('m'));
    let Some(Popup::Picker(p)) = &state.popup else {
        panic!("m opens the stage picker");
    };
    assert_eq!(p.title, "Move 3 marked leads to…");
    // The third stage: Qualified.
    let fx = update(&mut state, ch('3'));
    let Some(LifecycleEffect::Bulk {
        request,
        leads,
        write,
        label,
    }) = bulk(&fx).cloned()
    else {
        panic!("one bulk write: {fx:?}");
    };
    assert_eq!(leads.len(), 3);
    assert_eq!(
        write,
        BulkWrite::Move {
            to_stage: id(0x103)
        }
    );
    let undo = BulkUndo {
        label: label.clone(),
        payload: serde_json::json!({"kind": "move", "leads": []}),
    };
    let fx = update(
        &mut state,
        Action::Lifecycle(LifecycleAction::BulkDone {
            request,
            label,
            result: Ok(BulkDone {
                changed: 3,
                undo: Some(undo.clone()),
            }),
        }),
    );
    assert!(state.board.marks.is_empty(), "the marks go once it landed");
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        message.as_deref(),
        Some("Moved 3 leads to Qualified (u undoes)")
    );
    fake.drive(&mut state, fx, false);

    let fx = update(&mut state, ch('u'));
    let Some(LifecycleEffect::BulkUndo { undo: sent, .. }) = bulk(&fx) else {
        panic!("u sends the bulk undo: {fx:?}");
    };
    assert_eq!(sent, &undo);
}

#[test]
fn marked_leads_are_not_moved_into_won_or_lost() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    mark_three(&mut state);
    update(&mut state, ch('m'));
    let fx = update(&mut state, ch('4'));
    assert!(bulk(&fx).is_none(), "nothing is sent: {fx:?}");
    let message = state
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(message.contains("close them one at a time"), "{message}");
    assert_eq!(state.board.marks.len(), 3, "the marks stay");
}

#[test]
fn a_refused_bulk_write_keeps_the_marks_and_says_why() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    mark_three(&mut state);
    update(&mut state, ch('m'));
    let fx = update(&mut state, ch('2'));
    let Some(LifecycleEffect::Bulk { request, label, .. }) = bulk(&fx).cloned() else {
        panic!("one bulk write: {fx:?}");
    };
    let why = "A teammate changed Alan Turing since you marked it; nothing was changed (press r to reload)";
    update(
        &mut state,
        Action::Lifecycle(LifecycleAction::BulkDone {
            request,
            label,
            result: Err(Failure {
                message: why.into(),
                connection: false,
            }),
        }),
    );
    assert_eq!(state.message.as_ref().map(|m| m.text.as_str()), Some(why));
    assert_eq!(state.board.marks.len(), 3);
    assert!(state.history.entries.is_empty(), "nothing to undo");
}

#[test]
fn owner_tag_and_delete_act_on_the_marked_cards() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    mark_three(&mut state);

    // Owner: the picker names the marked cards; a choice is one bulk write.
    let fx = update(&mut state, ch('o'));
    let Some(LifecycleEffect::LoadMembers { request }) = fx.iter().find_map(|e| match e {
        Effect::Lifecycle(l) => Some(l.clone()),
        _ => None,
    }) else {
        panic!("o asks for the team: {fx:?}");
    };
    update(
        &mut state,
        Action::Lifecycle(LifecycleAction::MembersLoaded {
            request,
            result: Ok(vec![closer::state::inbox::Assignee {
                id: id(0xB0),
                name: "Tony Hoare".into(),
                me: false,
            }]),
        }),
    );
    let frame = render(&state, 120, 24);
    assert!(screen_text(&frame).contains("Owner of 3 marked leads"));
    let fx = update(&mut state, key(KeyCode::Enter));
    let Some(LifecycleEffect::Bulk { leads, write, .. }) = bulk(&fx) else {
        panic!("one bulk write: {fx:?}");
    };
    assert_eq!(leads.len(), 3);
    assert_eq!(write, &BulkWrite::Assign { owner: id(0xB0) });
    state.board.bulk_request = None;

    // Tag: a prompt, then one bulk write with the typed tag.
    update(&mut state, ch('T'));
    for c in "vip".chars() {
        update(&mut state, ch(c));
    }
    let fx = update(&mut state, key(KeyCode::Enter));
    let Some(LifecycleEffect::Bulk { leads, write, .. }) = bulk(&fx) else {
        panic!("one bulk write: {fx:?}");
    };
    assert_eq!(leads.len(), 3);
    assert!(matches!(write, BulkWrite::Tag { tag, .. } if tag == "vip"));
    state.board.bulk_request = None;

    // Delete: a rep gets a sentence; a manager confirms "Delete 3 marked leads?".
    state.board.lifecycle.role = Some(MemberRole::Rep);
    update(&mut state, ch('D'));
    assert!(state.popup.is_none());
    let message = state
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(message.contains("Only managers and admins"), "{message}");
    state.board.lifecycle.role = Some(MemberRole::Manager);
    update(&mut state, ch('D'));
    let frame = render(&state, 120, 24);
    insta::assert_snapshot!("delete_marked", frame.backend());
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(
        matches!(bulk(&fx), Some(LifecycleEffect::Bulk { write: BulkWrite::Delete, leads, .. }) if leads.len() == 3),
        "{fx:?}"
    );
}

#[test]
fn t_without_marks_tags_the_selected_card() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    update(&mut state, ch('T'));
    let Some(Popup::Prompt(p)) = &state.popup else {
        panic!("T opens the tag prompt");
    };
    assert_eq!(p.title, "Add a tag to Grace Hopper");
    for c in "hot".chars() {
        update(&mut state, ch(c));
    }
    let fx = update(&mut state, key(KeyCode::Enter));
    let Some(LifecycleEffect::Bulk { leads, .. }) = bulk(&fx) else {
        panic!("one bulk write: {fx:?}");
    };
    assert_eq!(leads.len(), 1);
}
