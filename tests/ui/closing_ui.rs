//! Closing is one decision (issue 10) on the board: the closing popup for won, lost and
//! surprising moves (snapshots), its choices in the one write it sends, and an undo that neither
//! asks again nor can be cancelled.

use super::board_ui::{Fake, id, loaded, selected_name};
use super::harness::{ch, key, render};
use closer::data::closing::{CloseMove, DealChoice, TaskChoice};
use closer::state::{BoardEffect, Effect, Popup, State, update};
use crossterm::event::KeyCode;

fn close_effect(fx: &[Effect]) -> Option<CloseMove> {
    fx.iter().find_map(|e| match e {
        Effect::Board(BoardEffect::CloseLead { close, .. }) => Some(close.clone()),
        _ => None,
    })
}

/// Selects column `col` (0-based) from the first.
fn go_to_column(state: &mut State, col: usize) {
    for _ in 0..col {
        update(state, ch('l'));
    }
}

#[test]
fn a_move_to_won_asks_once_and_sends_deals_and_tasks_with_the_move() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    go_to_column(&mut state, 2);
    assert_eq!(selected_name(&state).as_deref(), Some("Ken Thompson"));
    assert!(
        update(&mut state, ch('L')).is_empty(),
        "nothing before the choice"
    );
    assert!(matches!(state.popup, Some(Popup::Closing(_))));
    insta::assert_snapshot!("won_popup", render(&state, 100, 24).backend());
    // Tasks: space cycles complete → cancel → leave open; deals stay on.
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ch(' '));
    insta::assert_snapshot!("won_popup_cancel_tasks", render(&state, 100, 24).backend());
    let Some(Popup::Closing(dialog)) = &state.popup else {
        panic!("expected the closing popup, got {:?}", state.popup);
    };
    assert_eq!(dialog.tasks, TaskChoice::Cancel);
    update(&mut state, ch(' '));
    let fx = update(&mut state, key(KeyCode::Enter));
    let close = close_effect(&fx).expect("one closing write");
    assert_eq!(
        (close.lead_id, close.to_stage, close.deals, close.tasks),
        (id(0x1007), id(0x104), DealChoice::Close, TaskChoice::Keep)
    );
    assert_eq!(close.lost_reason, None);
    assert_eq!(state.board.selected, 3, "the card moved at once");
}

#[test]
fn a_move_from_won_to_lost_warns_needs_a_reason_and_undo_restores_without_asking() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    go_to_column(&mut state, 3);
    assert_eq!(selected_name(&state).as_deref(), Some("Frances Allen"));
    update(&mut state, ch('L'));
    let Some(Popup::Closing(dialog)) = &state.popup else {
        panic!("expected the closing popup, got {:?}", state.popup);
    };
    assert!(dialog.warning.is_some(), "Won → Lost is surprising");
    // An empty reason is refused; Esc cancels without moving.
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    insta::assert_snapshot!("lost_popup_refused", render(&state, 100, 24).backend());
    update(&mut state, key(KeyCode::Esc));
    assert!(state.popup.is_none());
    assert_eq!(state.board.selected, 3);

    update(&mut state, ch('L'));
    // Letters are text here ('u' is undo on the board).
    for c in "budget cut".chars() {
        update(&mut state, ch(c));
    }
    let fx = update(&mut state, key(KeyCode::Enter));
    let close = close_effect(&fx).expect("closing write");
    assert_eq!(close.lost_reason.as_deref(), Some("budget cut"));
    assert_eq!(close.deals, DealChoice::Close);
    fake.drive(&mut state, fx, false);
    assert_eq!(state.board.selected, 4);

    // Undo: straight to the exact undo, no popup, so Esc has nothing to cancel.
    let fx = update(&mut state, ch('u'));
    assert!(state.popup.is_none(), "undo never asks again");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Board(BoardEffect::UndoClose { .. }))),
        "{fx:?}"
    );
    update(&mut state, key(KeyCode::Esc));
    fake.drive(&mut state, fx, false);
    assert_eq!(selected_name(&state).as_deref(), Some("Frances Allen"));
    assert_eq!(state.board.selected, 3, "back in Won");
}

#[test]
fn reopening_a_won_lead_asks_first_and_can_reopen_its_deals() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    go_to_column(&mut state, 3);
    assert!(update(&mut state, ch('H')).is_empty());
    insta::assert_snapshot!("reopen_popup", render(&state, 100, 24).backend());
    let fx = update(&mut state, key(KeyCode::Enter));
    let close = close_effect(&fx).expect("closing write");
    assert_eq!(
        (close.to_stage, close.deals, close.tasks),
        (id(0x103), DealChoice::Reopen, TaskChoice::Keep)
    );
}

#[test]
fn a_move_to_won_can_cancel_the_tasks_in_the_same_write() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    go_to_column(&mut state, 2);
    update(&mut state, ch('L'));
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ch(' '));
    let fx = update(&mut state, key(KeyCode::Enter));
    let close = close_effect(&fx).expect("one closing write");
    assert_eq!(
        (close.deals, close.tasks),
        (DealChoice::Close, TaskChoice::Cancel)
    );
}

#[test]
fn the_tasks_tab_shows_a_cancelled_task_as_cancelled() {
    use closer::data::models::TaskStatus;
    use closer::state::Screen;
    let mut state = super::lead_ui::lead_open(120, 30);
    if let Screen::Lead(screen) = &mut state.screen
        && let Some(data) = screen.data.as_mut()
        && let Some(task) = data.tasks.first_mut()
    {
        task.status = TaskStatus::Cancelled;
        task.overdue = false;
    }
    update(&mut state, ch('3'));
    let screen = render(&state, 120, 30).backend().to_string();
    let row = screen
        .lines()
        .find(|l| l.contains("✗ "))
        .expect("a cancelled row");
    assert!(row.contains("cancelled"), "{row}");
}
