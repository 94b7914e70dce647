//! Issue 10 on the lead screen: marking a deal won in the Deals tab offers, in the closing popup,
//! to move the lead to the pipeline's won stage too. Accepting sends one closing write through
//! the board (`close_lead`, undone by `u` there); unticking saves only the deal, as before;
//! Esc goes back to the form as typed.

use super::board_ui::{Fake, loaded};
use super::harness::{ch, ctrl, key, render};
use super::lead_ui::{form_value, lead_effects, lead_open};
use closer::data::closing::{CloseUndo, ClosedLead, DealChoice, TaskChoice};
use closer::data::models::MovedLead;
use closer::state::lead::{DealChanges, DealStatus, FieldId, LeadEffect};
use closer::state::{Action, BoardAction, BoardEffect, Effect, Popup, Screen, State, update};
use crossterm::event::KeyCode;
use uuid::Uuid;

/// Opens the selected deal's form on the Deals tab and picks `status` (o / w / l).
fn mark_deal(state: &mut State, status: char) -> Vec<Effect> {
    update(state, ch('4'));
    update(state, key(KeyCode::Enter));
    for _ in 0..4 {
        update(state, key(KeyCode::Tab));
    }
    update(state, ch(status));
    assert_eq!(
        form_value(state, FieldId::Status).as_deref(),
        Some(if status == 'w' { "won" } else { "open" })
    );
    update(state, ctrl('s'))
}

fn lead_id(state: &State) -> Uuid {
    match &state.screen {
        Screen::Lead(s) => s.lead_id,
        _ => panic!("the lead screen is open"),
    }
}

fn won_stage(state: &State) -> Uuid {
    state
        .board
        .columns
        .iter()
        .find(|c| c.stage.is_won)
        .map(|c| c.stage.id)
        .expect("a won column")
}

#[test]
fn marking_a_deal_won_offers_the_move_and_accepting_sends_one_closing_write() {
    let mut state = lead_open(100, 24);
    let fx = mark_deal(&mut state, 'w');
    assert!(fx.is_empty(), "nothing is written before the choice");
    let Some(Popup::Closing(dialog)) = &state.popup else {
        panic!("expected the closing popup, got {:?}", state.popup);
    };
    assert!(dialog.deal.is_some());
    insta::assert_snapshot!("deal_won_offer", render(&state, 100, 24).backend());

    let lead = lead_id(&state);
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(lead_effects(&fx).is_empty(), "no plain deal update");
    let (request, close) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Board(BoardEffect::CloseLead { request, close }) => {
                Some((*request, close.clone()))
            }
            _ => None,
        })
        .expect("one closing write");
    assert_eq!(
        (close.lead_id, close.to_stage, close.deals, close.tasks),
        (
            lead,
            won_stage(&state),
            DealChoice::Close,
            TaskChoice::Complete
        )
    );
    assert_eq!(close.lost_reason, None);
    assert!(state.popup.is_none());

    // The answer keeps the exact undo for `u` on the board and re-reads the lead screen.
    let undo = CloseUndo(serde_json::json!({"deals": [{"id": Uuid::nil()}], "tasks": []}));
    let fx = update(
        &mut state,
        Action::Board(BoardAction::LeadClosed {
            request,
            result: Ok(ClosedLead {
                moved: MovedLead {
                    lead_id: lead,
                    stage_id: close.to_stage,
                    version: 9,
                },
                undo: undo.clone(),
            }),
        }),
    );
    match state.history.newest().map(|e| &e.undo) {
        Some(closer::state::history::Undo::Move { close, .. }) => {
            assert_eq!(close.as_ref(), Some(&undo))
        }
        other => panic!("expected the move in the undo history, got {other:?}"),
    }
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Lead(LeadEffect::Load { lead_id, .. }) if *lead_id == lead)
        ),
        "the lead screen re-reads: {fx:?}"
    );
}

#[test]
fn declining_the_move_saves_only_the_deal_and_esc_returns_to_the_form() {
    let mut state = lead_open(100, 24);
    mark_deal(&mut state, 'w');
    // Tasks off and the move unticked: the popup shrinks to the move row.
    update(&mut state, ch(' '));
    let Some(Popup::Closing(dialog)) = &state.popup else {
        panic!("expected the closing popup");
    };
    assert_eq!(dialog.rows().len(), 1);
    insta::assert_snapshot!("deal_won_declined", render(&state, 100, 24).backend());
    let fx = update(&mut state, key(KeyCode::Enter));
    match lead_effects(&fx).as_slice() {
        [LeadEffect::UpdateDeal { changes, .. }] => assert_eq!(
            *changes,
            DealChanges {
                status: Some(DealStatus::Won),
                ..DealChanges::default()
            }
        ),
        other => panic!("expected only the deal update, got {other:?}"),
    }
    assert!(
        matches!(&state.popup, Some(Popup::Form(f)) if f.saving.is_some()),
        "the form waits for its save as before"
    );

    // Esc: back to the form, status still won, nothing sent.
    let mut state = lead_open(100, 24);
    mark_deal(&mut state, 'w');
    let fx = update(&mut state, key(KeyCode::Esc));
    assert!(lead_effects(&fx).is_empty());
    assert_eq!(form_value(&state, FieldId::Status).as_deref(), Some("won"));
}

#[test]
fn other_deal_edits_save_as_before() {
    let mut state = lead_open(100, 24);
    // Status unchanged (open): the plain update, no popup.
    update(&mut state, ch('4'));
    update(&mut state, key(KeyCode::Enter));
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ctrl('u'));
    update(&mut state, ch('5'));
    let fx = update(&mut state, ctrl('s'));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::UpdateDeal { .. }]
    ));
    assert!(!matches!(state.popup, Some(Popup::Closing(_))));
}

// ---------------------------------------------------------------------------
// Recent lost reasons in the closing popup
// ---------------------------------------------------------------------------

fn reasons_request(fx: &[Effect]) -> Option<u64> {
    fx.iter().find_map(|e| match e {
        Effect::Board(BoardEffect::LoadLostReasons { request }) => Some(*request),
        _ => None,
    })
}

/// The board with Frances Allen's move to Lost asked and the recent reasons answered.
fn lost_popup(fake: &mut Fake) -> State {
    let mut state = loaded(fake, 100, 24);
    for _ in 0..3 {
        update(&mut state, ch('l'));
    }
    let fx = update(&mut state, ch('L'));
    let request = reasons_request(&fx).expect("the popup asks for the recent reasons");
    update(
        &mut state,
        Action::Board(BoardAction::LostReasonsLoaded {
            request,
            result: Ok(vec![
                "price".to_string(),
                "went with a competitor".to_string(),
                "timing".to_string(),
                "competitor's discount".to_string(),
            ]),
        }),
    );
    state
}

fn reason(state: &State) -> String {
    match &state.popup {
        Some(Popup::Closing(d)) => d.reason.clone(),
        other => panic!("expected the closing popup, got {other:?}"),
    }
}

#[test]
fn lost_reasons_are_listed_with_numbers_narrowed_by_typing_and_picked_by_digit() {
    let mut fake = Fake::new();
    let mut state = lost_popup(&mut fake);
    insta::assert_snapshot!("lost_reasons_listed", render(&state, 100, 24).backend());
    for c in "COMP".chars() {
        update(&mut state, ch(c));
    }
    insta::assert_snapshot!("lost_reasons_narrowed", render(&state, 100, 24).backend());
    // 2 is the second of the narrowed list.
    update(&mut state, ch('2'));
    assert_eq!(reason(&state), "competitor's discount");
    // The text is a listed reason now: digits are text.
    update(&mut state, ch('5'));
    assert_eq!(reason(&state), "competitor's discount5");
    let fx = update(&mut state, key(KeyCode::Enter));
    let close = fx
        .iter()
        .find_map(|e| match e {
            Effect::Board(BoardEffect::CloseLead { close, .. }) => Some(close.clone()),
            _ => None,
        })
        .expect("closing write");
    assert_eq!(close.lost_reason.as_deref(), Some("competitor's discount5"));
}

#[test]
fn a_digit_beyond_the_list_is_typed_and_an_empty_list_changes_nothing() {
    let mut fake = Fake::new();
    let mut state = lost_popup(&mut fake);
    update(&mut state, ch('9'));
    assert_eq!(reason(&state), "9");
    update(&mut state, key(KeyCode::Backspace));
    update(&mut state, ch('1'));
    assert_eq!(reason(&state), "price");

    // A failed read leaves typing as it was.
    let mut state = loaded(&mut fake, 100, 24);
    for _ in 0..3 {
        update(&mut state, ch('l'));
    }
    let fx = update(&mut state, ch('L'));
    let request = reasons_request(&fx).expect("asked");
    update(
        &mut state,
        Action::Board(BoardAction::LostReasonsLoaded {
            request,
            result: Err(closer::state::Failure {
                message: "connection lost".to_string(),
                connection: true,
            }),
        }),
    );
    update(&mut state, ch('1'));
    assert_eq!(reason(&state), "1");
}
