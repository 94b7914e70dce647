//! Issue 11, input that never surprises: bracketed paste, ctrl-c over typed text, ctrl-z.

use closer::state::lead::FieldId;
use closer::state::{Action, Effect, Popup, update};
use crossterm::event::KeyCode;

use super::harness::{ch, ctrl, key, render, screen_text};
use super::lead_ui::{board, form_value, lead_open};

/// The block from the issue: pasted into Name it filled the fields and created the lead.
const BLOCK: &str = "Jane Doe\njane@x.test\n+1 555 1234\nAcme\n\n";

#[test]
fn a_pasted_block_never_submits_the_new_lead_form() {
    let mut state = board(100, 30);
    update(&mut state, ch('n'));
    assert!(matches!(state.popup, Some(Popup::Form(_))));
    let fx = update(&mut state, Action::Paste(BLOCK.to_string()));
    assert!(fx.is_empty(), "a paste sends nothing: {fx:?}");
    assert!(
        matches!(state.popup, Some(Popup::Form(_))),
        "the form stays open"
    );
    assert_eq!(
        form_value(&state, FieldId::Name).as_deref(),
        Some("Jane Doe jane@x.test +1 555 1234 Acme")
    );
    assert_eq!(form_value(&state, FieldId::Email).as_deref(), Some(""));
}

#[test]
fn multi_line_fields_keep_the_pasted_lines() {
    let mut state = lead_open(100, 30);
    update(&mut state, ch('t'));
    // Title, Due, Priority, Notes: Tab to the notes.
    for _ in 0..3 {
        update(&mut state, key(KeyCode::Tab));
    }
    let fx = update(&mut state, Action::Paste("one\r\ntwo\n".to_string()));
    assert!(fx.is_empty());
    assert_eq!(
        form_value(&state, FieldId::Description).as_deref(),
        Some("one\ntwo\n")
    );
}

#[test]
fn a_long_paste_is_cut_at_the_limit_and_the_rep_is_told() {
    let mut state = board(100, 30);
    update(&mut state, ch('n'));
    update(&mut state, Action::Paste("x".repeat(250)));
    assert_eq!(
        form_value(&state, FieldId::Name).map(|n| n.chars().count()),
        Some(200)
    );
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        message.as_deref(),
        Some("Pasted text was cut: 50 characters did not fit in the field")
    );
}

#[test]
fn a_paste_into_a_search_searches_like_typing() {
    let mut state = board(100, 30);
    update(&mut state, ch('/'));
    let fx = update(&mut state, Action::Paste("Grace\nHopper".to_string()));
    match &state.popup {
        Some(Popup::Jump(jump)) => assert_eq!(jump.input, "Grace Hopper"),
        other => panic!("expected the jump popup, got {other:?}"),
    }
    assert!(!fx.is_empty(), "the search is scheduled");
}

#[test]
fn ctrl_c_on_a_dirty_form_asks_like_esc() {
    let mut state = board(100, 30);
    update(&mut state, ch('n'));
    for c in "Jane".chars() {
        update(&mut state, ch(c));
    }
    let fx = update(&mut state, ctrl('c'));
    assert!(!fx.contains(&Effect::Quit), "ctrl-c asks first");
    assert!(!state.quit);
    assert_eq!(form_value(&state, FieldId::Name).as_deref(), Some("Jane"));
    let screen = screen_text(&render(&state, 100, 30));
    assert!(screen.contains("Discard what you typed?"), "{screen}");
    // Any other key keeps editing; a second ctrl-c discards the form (the app stays).
    update(&mut state, ch('!'));
    assert_eq!(form_value(&state, FieldId::Name).as_deref(), Some("Jane!"));
    update(&mut state, ctrl('c'));
    let fx = update(&mut state, ctrl('c'));
    assert!(state.popup.is_none(), "discarded");
    assert!(!fx.contains(&Effect::Quit));
    // Nothing typed anywhere: ctrl-c quits at once.
    let fx = update(&mut state, ctrl('c'));
    assert_eq!(fx, vec![Effect::Quit]);
}

#[test]
fn ctrl_c_on_a_popup_with_text_asks_before_quitting() {
    let mut state = board(100, 30);
    update(&mut state, ch('/'));
    update(&mut state, ch('G'));
    let fx = update(&mut state, ctrl('c'));
    assert!(!fx.contains(&Effect::Quit));
    assert!(matches!(state.popup, Some(Popup::Jump(_))));
    let fx = update(&mut state, ctrl('c'));
    assert!(fx.contains(&Effect::Quit));
}

#[test]
fn ctrl_z_suspends() {
    let mut state = board(100, 30);
    let fx = update(&mut state, ctrl('z'));
    assert_eq!(fx, vec![Effect::Suspend]);
    assert!(!state.quit);
}

#[test]
fn numbered_pickers_say_press_a_number() {
    let mut state = board(100, 30);
    update(&mut state, ch('n'));
    // Name, Email, Phone, Company, Stage: the stage choice is numbered.
    for _ in 0..4 {
        update(&mut state, key(KeyCode::Tab));
    }
    let screen = screen_text(&render(&state, 100, 30));
    assert!(screen.contains("press a number to pick"), "{screen}");
    assert!(!screen.contains("press a letter"), "{screen}");
}

/// Issue 11: a due time the clocks skip in the rep's zone is refused with the time that exists;
/// one they pass twice is explained in the preview.
#[test]
fn due_times_on_dst_days_are_checked_in_the_reps_zone() {
    let mut state = lead_open(120, 30);
    state.zone = Some(chrono_tz::Europe::Berlin);
    update(&mut state, ch('t'));
    for c in "Call back".chars() {
        update(&mut state, ch(c));
    }
    update(&mut state, key(KeyCode::Tab));
    for c in "2026-10-25 02:30".chars() {
        update(&mut state, ch(c));
    }
    let screen = screen_text(&render(&state, 120, 30));
    assert!(screen.contains("UTC+02:00 · happens twice"), "{screen}");
    update(&mut state, ctrl('u'));
    for c in "2026-03-29 02:30".chars() {
        update(&mut state, ch(c));
    }
    insta::assert_snapshot!("dst_gap_preview", render(&state, 120, 30).backend());
    let fx = update(&mut state, ctrl('s'));
    assert!(fx.is_empty(), "nothing is saved: {fx:?}");
    match &state.popup {
        Some(Popup::Form(form)) => {
            let due = form
                .fields
                .iter()
                .find(|f| f.id == FieldId::Due)
                .and_then(|f| f.error.clone());
            assert_eq!(
                due.as_deref(),
                Some(
                    "Date: 02:30 does not exist on Mar 29 in Europe/Berlin: the clocks jump forward; try 03:00"
                )
            );
        }
        other => panic!("the form stays open, got {other:?}"),
    }
}

/// Issue 11: `€1,250,000` was stored and shown as `$1,250,000`. A deal keeps the currency typed
/// with its amount; a code Closer does not know is refused with the list of accepted ones.
#[test]
fn a_deal_keeps_its_currency_and_an_unknown_code_is_refused() {
    let mut state = lead_open(100, 30);
    update(&mut state, ch('d'));
    for c in "Harbour flat".chars() {
        update(&mut state, ch(c));
    }
    update(&mut state, key(KeyCode::Tab));
    for c in "XYZ 1,250,000".chars() {
        update(&mut state, ch(c));
    }
    let fx = update(&mut state, ctrl('s'));
    assert!(fx.is_empty(), "nothing is saved: {fx:?}");
    match &state.popup {
        Some(Popup::Form(form)) => {
            let error = form
                .fields
                .iter()
                .find(|f| f.id == FieldId::Amount)
                .and_then(|f| f.error.clone())
                .unwrap_or_default();
            assert!(
                error.starts_with(
                    "Amount: XYZ is not a currency Closer knows. Type one of USD, EUR, GBP"
                ),
                "{error}"
            );
        }
        other => panic!("the form stays open, got {other:?}"),
    }
    // In euros it is saved as euros.
    update(&mut state, ctrl('u'));
    for c in "€1,250,000".chars() {
        update(&mut state, ch(c));
    }
    let fx = update(&mut state, ctrl('s'));
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Lead(closer::state::lead::LeadEffect::AddDeal { deal, .. })
                if deal.amount == 1_250_000.0 && deal.currency.as_deref() == Some("EUR")
        )),
        "{fx:?}"
    );
}
