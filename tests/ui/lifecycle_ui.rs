//! Owner and lifecycle on the board (issue 12): the owner picker (type to narrow, optimistic
//! card, put back on failure), the delete confirmation (reps get a sentence), copying with
//! OSC 52. The writes themselves are tested against PostgreSQL in tests/db/lifecycle.rs.

use super::board_ui::{Fake, column_names, id, loaded, selected_name};
use super::harness::{ch, key, render};
use closer::data::lifecycle::Contact;
use closer::data::models::MemberRole;
use closer::state::inbox::Assignee;
use closer::state::lifecycle::{LifecycleAction, LifecycleEffect};
use closer::state::popup::Popup;
use closer::state::{Action, Effect, Failure, State, update};
use crossterm::event::KeyCode;

fn press(state: &mut State, action: Action) -> Vec<Effect> {
    update(state, action)
}

fn team() -> Vec<Assignee> {
    vec![
        Assignee {
            id: id(0xAD),
            name: "Ada Lovelace".into(),
            me: true,
        },
        Assignee {
            id: id(0xB0),
            name: "Tony Hoare".into(),
            me: false,
        },
        Assignee {
            id: id(0xB1),
            name: "Barbara Liskov".into(),
            me: false,
        },
    ]
}

fn lifecycle(fx: &[Effect]) -> Option<&LifecycleEffect> {
    fx.iter().find_map(|e| match e {
        Effect::Lifecycle(l) => Some(l),
        _ => None,
    })
}

fn selected_owner(state: &State) -> Option<String> {
    state
        .board
        .selected_card()
        .and_then(|c| c.owner_name.clone())
}

/// `o`, the team arrives: the picker as drawn.
fn open_picker(state: &mut State) {
    let fx = press(state, ch('o'));
    let Some(LifecycleEffect::LoadMembers { request }) = lifecycle(&fx).cloned() else {
        panic!("o asks for the team: {fx:?}");
    };
    press(
        state,
        Action::Lifecycle(LifecycleAction::MembersLoaded {
            request,
            result: Ok(team()),
        }),
    );
}

#[test]
fn owner_picker_narrows_and_the_card_changes_at_once() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    assert_eq!(selected_name(&state).as_deref(), Some("Grace Hopper"));
    open_picker(&mut state);
    insta::assert_snapshot!("owner_picker", render(&state, 100, 24).backend());

    for c in "bar".chars() {
        press(&mut state, ch(c));
    }
    let Some(Popup::Owner(p)) = &state.popup else {
        panic!("the picker stays open");
    };
    assert_eq!(p.filter, "bar");
    // Tab completes the name.
    press(&mut state, key(KeyCode::Tab));
    let Some(Popup::Owner(p)) = &state.popup else {
        panic!("the picker stays open");
    };
    assert_eq!(p.filter, "Barbara Liskov");
    insta::assert_snapshot!("owner_picker_narrowed", render(&state, 100, 24).backend());

    let fx = press(&mut state, key(KeyCode::Enter));
    assert!(state.popup.is_none());
    let Some(LifecycleEffect::ChangeOwner {
        request,
        to,
        version,
        ..
    }) = lifecycle(&fx).cloned()
    else {
        panic!("Enter writes the owner: {fx:?}");
    };
    assert_eq!((to, version), (id(0xB1), 1));
    assert_eq!(selected_owner(&state).as_deref(), Some("Barbara Liskov"));

    press(
        &mut state,
        Action::Lifecycle(LifecycleAction::OwnerChanged {
            request,
            result: Ok(2),
        }),
    );
    let card = state.board.selected_card().expect("a card");
    assert_eq!((card.assigned_to, card.version), (Some(id(0xB1)), 2));
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        message.as_deref(),
        Some("Grace Hopper now belongs to Barbara Liskov")
    );
}

#[test]
fn a_refused_owner_change_puts_the_card_back_with_a_sentence() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    open_picker(&mut state);
    // Me first, then by name: Ada, Barbara, Tony.
    press(&mut state, key(KeyCode::Down));
    press(&mut state, key(KeyCode::Down));
    let fx = press(&mut state, key(KeyCode::Enter));
    let Some(LifecycleEffect::ChangeOwner { request, .. }) = lifecycle(&fx).cloned() else {
        panic!("a write: {fx:?}");
    };
    assert_eq!(selected_owner(&state).as_deref(), Some("Tony Hoare"));
    press(
        &mut state,
        Action::Lifecycle(LifecycleAction::OwnerChanged {
            request,
            result: Err(Failure {
                message: "Someone else changed this record first; reload to see their change"
                    .into(),
                connection: false,
            }),
        }),
    );
    let card = state.board.selected_card().expect("a card");
    assert_eq!(card.owner_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(card.assigned_to, Some(id(0xAD)));
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        message.as_deref(),
        Some(
            "The owner of Grace Hopper was not changed: Someone else changed this record first; reload to see their change"
        )
    );

    // The current owner again: nothing to write.
    open_picker_again(&mut state);
    let fx = press(&mut state, key(KeyCode::Enter));
    assert!(lifecycle(&fx).is_none());
}

fn open_picker_again(state: &mut State) {
    let fx = press(state, ch('o'));
    assert!(lifecycle(&fx).is_none(), "the team is read once");
    assert!(matches!(state.popup, Some(Popup::Owner(_))));
}

#[test]
fn delete_is_confirmed_naming_the_lead_and_the_card_leaves() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    state.board.lifecycle.role = Some(MemberRole::Manager);
    let fx = press(&mut state, ch('D'));
    assert!(lifecycle(&fx).is_none(), "nothing is deleted before Enter");
    insta::assert_snapshot!("delete_confirm", render(&state, 100, 24).backend());

    // Esc keeps it.
    press(&mut state, key(KeyCode::Esc));
    assert!(state.popup.is_none());
    assert!(column_names(&state, 0).contains(&"Grace Hopper".to_string()));

    press(&mut state, ch('D'));
    let fx = press(&mut state, key(KeyCode::Enter));
    let Some(LifecycleEffect::DeleteLead {
        request, lead_id, ..
    }) = lifecycle(&fx).cloned()
    else {
        panic!("Enter deletes: {fx:?}");
    };
    assert_eq!(Some(lead_id), state.board.selected_card().map(|c| c.id));
    let fx = press(
        &mut state,
        Action::Lifecycle(LifecycleAction::LeadDeleted {
            request,
            result: Ok(()),
        }),
    );
    assert!(!column_names(&state, 0).contains(&"Grace Hopper".to_string()));
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Board(closer::state::BoardEffect::LoadSummaries { .. })
        )),
        "the headers are read again"
    );
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(message.as_deref(), Some("Deleted Grace Hopper"));
}

#[test]
fn a_rep_gets_a_sentence_instead_of_the_delete_popup() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    state.board.lifecycle.role = Some(MemberRole::Rep);
    let fx = press(&mut state, ch('D'));
    assert!(fx.is_empty());
    assert!(state.popup.is_none());
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        message.as_deref(),
        Some("Only managers and admins can delete leads; ask one to delete Grace Hopper")
    );
}

#[test]
fn copy_from_the_board_reads_the_contact_then_writes_osc52() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    let fx = press(&mut state, ch('y'));
    let Some(LifecycleEffect::LoadContact { request, .. }) = lifecycle(&fx).cloned() else {
        panic!("y reads the contact: {fx:?}");
    };
    let contact = Contact {
        email: Some("grace@navy.example".into()),
        phone: None,
    };
    let fx = press(
        &mut state,
        Action::Lifecycle(LifecycleAction::ContactLoaded {
            request,
            result: Ok(contact.clone()),
        }),
    );
    assert_eq!(fx, vec![Effect::Clipboard("grace@navy.example".into())]);
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        message.as_deref(),
        Some("Copied e-mail grace@navy.example (Grace Hopper)")
    );

    let fx = press(&mut state, ch('Y'));
    let Some(LifecycleEffect::LoadContact { request, .. }) = lifecycle(&fx).cloned() else {
        panic!("Y reads the contact: {fx:?}");
    };
    let fx = press(
        &mut state,
        Action::Lifecycle(LifecycleAction::ContactLoaded {
            request,
            result: Ok(contact),
        }),
    );
    assert!(fx.is_empty());
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(message.as_deref(), Some("Grace Hopper has no phone"));
}

#[test]
fn osc52_is_the_base64_of_the_text_between_esc_52_and_bel() {
    let bytes = closer::tui::clipboard::osc52("grace@navy.example");
    assert_eq!(bytes, "\x1b]52;c;Z3JhY2VAbmF2eS5leGFtcGxl\x07");
    assert_eq!(
        closer::tui::clipboard::osc52("+1 555 0100"),
        "\x1b]52;c;KzEgNTU1IDAxMDA=\x07"
    );
}

#[test]
fn s_flips_the_sort_and_the_status_bar_says_which_way() {
    use closer::data::models::BoardSort;
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 140, 24);
    let before = column_names(&state, 0);
    let fx = press(&mut state, ch('S'));
    assert_eq!(state.board.sort, BoardSort::ScoreAsc);
    let screen = super::harness::screen_text(&render(&state, 140, 24));
    assert!(screen.contains("sort: score ↑"), "{screen}");
    // The columns are read again in the new order.
    fake.drive(&mut state, fx, false);
    let after = column_names(&state, 0);
    let mut reversed = before.clone();
    reversed.reverse();
    assert_eq!(after, reversed);
    // `s` keeps the direction; `S` again goes back.
    press(&mut state, ch('s'));
    assert_eq!(state.board.sort, BoardSort::LastContactAsc);
    press(&mut state, ch('S'));
    assert_eq!(state.board.sort, BoardSort::LastContact);
}

/// The lead screen: `O` (its `o` opens documents), `y` copies straight from the loaded lead,
/// and a confirmed delete goes back to the board.
#[test]
fn on_the_lead_screen_the_same_commands_act_on_the_open_lead() {
    use closer::state::Screen;
    let mut state = super::lead_ui::lead_open(100, 30);
    let lead_id = match &state.screen {
        Screen::Lead(s) => s.lead_id,
        _ => panic!("the lead screen"),
    };
    let fx = press(&mut state, ch('y'));
    assert_eq!(fx, vec![Effect::Clipboard("grace@navy.mil".into())]);
    let fx = press(&mut state, ch('Y'));
    assert_eq!(fx, vec![Effect::Clipboard("+1 555 0100".into())]);
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        message.as_deref(),
        Some("Copied phone +1 555 0100 (Grace Hopper)")
    );

    let fx = press(&mut state, ch('O'));
    assert!(matches!(state.popup, Some(Popup::Owner(ref p)) if p.lead_id == lead_id));
    let Some(LifecycleEffect::LoadMembers { request }) = lifecycle(&fx).cloned() else {
        panic!("O asks for the team: {fx:?}");
    };
    press(
        &mut state,
        Action::Lifecycle(LifecycleAction::MembersLoaded {
            request,
            result: Ok(team()),
        }),
    );
    for c in "tony".chars() {
        press(&mut state, ch(c));
    }
    let fx = press(&mut state, key(KeyCode::Enter));
    assert!(
        matches!(lifecycle(&fx), Some(LifecycleEffect::ChangeOwner { to, .. }) if *to == id(0xB0))
    );
    let owner = match &state.screen {
        Screen::Lead(s) => s.detail().and_then(|d| d.owner_name.clone()),
        _ => None,
    };
    assert_eq!(owner.as_deref(), Some("Tony Hoare"));

    state.board.lifecycle.role = Some(MemberRole::Admin);
    press(&mut state, ch('D'));
    let fx = press(&mut state, key(KeyCode::Enter));
    let Some(LifecycleEffect::DeleteLead { request, .. }) = lifecycle(&fx).cloned() else {
        panic!("a delete: {fx:?}");
    };
    press(
        &mut state,
        Action::Lifecycle(LifecycleAction::LeadDeleted {
            request,
            result: Ok(()),
        }),
    );
    assert!(matches!(state.screen, Screen::Board));
    assert!(state.board.find_card(lead_id).is_none());
}
