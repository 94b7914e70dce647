//! Issue 11: the command palette (`:` / ctrl-p) finds and runs commands, pipelines and leads.

use closer::config::keymap::Command;
use closer::data::models::LeadHit;
use closer::state::board::BoardEffect;
use closer::state::lead::{LeadAction, LeadEffect};
use closer::state::popup::palette::{Target, entries};
use closer::state::{Action, BoardAction, Effect, Popup, Screen, update};
use crossterm::event::KeyCode;
use uuid::Uuid;

use super::harness::{ch, ctrl, key, render, screen_text};
use super::lead_ui::{board, data};

fn typed(state: &mut closer::state::State, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        fx.extend(update(state, ch(c)));
    }
    fx
}

fn first_entry(state: &closer::state::State) -> Option<Target> {
    match &state.popup {
        Some(Popup::Palette(p)) => entries(state, p).into_iter().next().map(|e| e.target),
        _ => None,
    }
}

#[test]
fn finds_and_runs_switch_pipeline() {
    let mut state = board(100, 30);
    update(&mut state, ch(':'));
    assert!(
        matches!(state.popup, Some(Popup::Palette(_))),
        "`:` opens it"
    );
    typed(&mut state, "switch pipeline");
    assert_eq!(
        first_entry(&state),
        Some(Target::Command(Command::SwitchPipeline))
    );
    // The key from the keymap in effect is shown next to it.
    let screen = screen_text(&render(&state, 100, 30));
    let line = screen
        .lines()
        .find(|l| l.contains("Switch pipeline"))
        .unwrap_or_default();
    assert!(line.contains(" p "), "{screen}");
    update(&mut state, key(KeyCode::Enter));
    match &state.popup {
        Some(Popup::Picker(picker)) => assert_eq!(picker.title, "Switch pipeline"),
        other => panic!("expected the pipeline picker, got {other:?}"),
    }
}

#[test]
fn ctrl_p_opens_it_and_a_pipeline_runs_by_name() {
    let mut state = board(100, 30);
    update(&mut state, ctrl('p'));
    assert!(matches!(state.popup, Some(Popup::Palette(_))));
    typed(&mut state, "sales");
    assert!(matches!(first_entry(&state), Some(Target::Pipeline(_))));
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Board(BoardEffect::Load { .. }))),
        "{fx:?}"
    );
    assert!(state.popup.is_none());
}

#[test]
fn finds_and_opens_a_lead_by_name() {
    let mut state = board(100, 30);
    update(&mut state, ch(':'));
    let fx = typed(&mut state, "grace");
    let token = fx
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::StartDebounce { token, .. } => Some(*token),
            _ => None,
        })
        .expect("the lead search is debounced");
    let fx = update(&mut state, Action::DebounceElapsed(token));
    let request = fx
        .iter()
        .find_map(|e| match e {
            Effect::Board(BoardEffect::SearchLeads { request, limit, .. }) => {
                assert!(*limit > 0, "bounded");
                Some(*request)
            }
            _ => None,
        })
        .expect("a bounded lead search");
    let lead = Uuid::from_u128(0x1001);
    update(
        &mut state,
        Action::Board(BoardAction::SearchResults {
            request,
            result: Ok(vec![LeadHit {
                id: lead,
                name: "Grace Hopper".to_string(),
                company: Some("Navy".to_string()),
                stage_id: Uuid::from_u128(0xAA),
                matched: None,
            }]),
        }),
    );
    assert_eq!(
        first_entry(&state),
        Some(Target::Lead {
            id: lead,
            name: "Grace Hopper".to_string()
        })
    );
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Lead(LeadEffect::Load { lead_id, .. }) if *lead_id == lead)
        ),
        "{fx:?}"
    );
}

#[test]
fn every_screens_commands_are_listed_with_their_key_and_screen() {
    let mut state = board(100, 30);
    update(&mut state, ch(':'));
    let Some(Popup::Palette(p)) = &state.popup else {
        panic!("the palette is open");
    };
    let all = entries(&state, p);
    for cmd in [
        Command::CompleteTask,
        Command::AddTask,
        Command::CyclePerson,
        Command::MoveNextStage,
        Command::Undo,
    ] {
        assert!(
            all.iter().any(|e| e.target == Target::Command(cmd)),
            "{cmd:?} is listed"
        );
    }
    let detail = |cmd| {
        all.iter()
            .find(|e| e.target == Target::Command(cmd))
            .map(|e| e.detail.clone())
    };
    assert_eq!(
        detail(Command::MoveNextStage).as_deref(),
        Some("L/shift-right")
    );
    assert_eq!(detail(Command::CompleteTask).as_deref(), Some("x · inbox"));
    assert_eq!(detail(Command::AddTask).as_deref(), Some("t · lead"));
    typed(&mut state, "task");
    insta::assert_snapshot!("palette_every_screen", render(&state, 100, 30).backend());
}

#[test]
fn a_lead_command_from_the_board_opens_the_selected_lead_and_runs_there() {
    let mut state = board(100, 30);
    update(&mut state, ch(':'));
    typed(&mut state, "add a task");
    assert_eq!(first_entry(&state), Some(Target::Command(Command::AddTask)));
    let fx = update(&mut state, key(KeyCode::Enter));
    let (request, lead_id) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Lead(LeadEffect::Load {
                request, lead_id, ..
            }) => Some((*request, *lead_id)),
            _ => None,
        })
        .expect("the selected lead opens");
    assert!(
        state.popup.is_none(),
        "nothing runs before the lead is there"
    );
    update(
        &mut state,
        Action::Lead(LeadAction::Loaded {
            request,
            result: Ok(Some(Box::new(data(lead_id, "Grace Hopper")))),
        }),
    );
    match &state.popup {
        Some(Popup::Form(form)) => assert!(form.title.contains("task"), "{}", form.title),
        other => panic!("expected the task form, got {other:?}"),
    }
}

#[test]
fn an_inbox_command_from_the_board_switches_there_and_teaches_the_key() {
    let mut state = board(100, 30);
    update(&mut state, ch(':'));
    typed(&mut state, "complete the task");
    assert_eq!(
        first_entry(&state),
        Some(Target::Command(Command::CompleteTask))
    );
    update(&mut state, key(KeyCode::Enter));
    assert!(matches!(state.screen, Screen::Inbox(_)));
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("Inbox: “Complete the task” is x here")
    );
}
