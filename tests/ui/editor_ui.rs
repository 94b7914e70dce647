//! Pipeline editor popup (issue 13): `E` on the board; managers reorder with one call, rename,
//! flag won/lost and delete a stage by choosing where its leads go; reps see it read-only.

use super::harness::Ui;
use closer::config::keymap::{Keymap, KeysSection};
use closer::data::pipeline_editor::{StageChange, StageSettings};
use closer::state::popup::editor::{EditorAction, EditorEffect, EditorMode};
use closer::state::{Action, Effect, Popup, update};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn stages() -> Vec<StageSettings> {
    ["New", "Contacted", "Proposal", "Won", "Lost"]
        .iter()
        .enumerate()
        .map(|(i, name)| StageSettings {
            id: id(i as u128 + 1),
            name: (*name).into(),
            order_index: i as i32,
            color: "#5b8def".into(),
            is_won: *name == "Won",
            is_lost: *name == "Lost",
            default_probability: Some(10 + 20 * i as i32),
            rotting_days: (i < 3).then_some(14),
        })
        .collect()
}

fn last_editor_effect(ui: &Ui) -> Option<EditorEffect> {
    ui.effects.iter().rev().find_map(|e| match e {
        Effect::Editor(e) => Some(e.clone()),
        _ => None,
    })
}

fn opened(can_edit: bool) -> Ui {
    load(Ui::new(80, 24), can_edit)
}

fn load(mut ui: Ui, can_edit: bool) -> Ui {
    ui.state.board.pipeline_id = Some(id(99));
    ui.state.board.pipelines = vec![closer::data::models::Pipeline {
        id: id(99),
        name: "Sales".into(),
        is_default: false,
    }];
    let mut ui = ui.press("E");
    let Some(EditorEffect::Load {
        request,
        pipeline_id,
    }) = last_editor_effect(&ui)
    else {
        panic!("E loads the editor: {:?}", ui.effects);
    };
    assert_eq!(pipeline_id, id(99));
    let fx = update(
        &mut ui.state,
        Action::Editor(EditorAction::Loaded {
            request,
            result: Ok((stages(), can_edit)),
        }),
    );
    ui.effects.extend(fx);
    ui
}

#[test]
fn a_manager_reorders_in_one_call_renames_and_deletes_by_choosing_where_leads_go() {
    let ui = opened(true);
    insta::assert_snapshot!("editor_80x24", ui.screen());
    let ui = ui.press("j J");
    let Some(EditorEffect::Reorder { order, .. }) = last_editor_effect(&ui) else {
        panic!("J reorders");
    };
    assert_eq!(
        order,
        [id(1), id(3), id(2), id(4), id(5)],
        "the whole order in one call"
    );
    // Answer the write so the editor takes keys again (it re-reads).
    let mut ui = ui;
    if let Some(Popup::Editor(e)) = &ui.state.popup {
        let request = e.request.expect("a write in flight");
        update(
            &mut ui.state,
            Action::Editor(EditorAction::Written {
                request,
                result: Ok("Stages reordered".into()),
            }),
        );
    }
    let Some(Popup::Editor(e)) = &ui.state.popup else {
        panic!("the editor stays open");
    };
    let reload = e.request.expect("re-read after the write");
    update(
        &mut ui.state,
        Action::Editor(EditorAction::Loaded {
            request: reload,
            result: Ok((stages(), true)),
        }),
    );
    let ui = ui.press("r backspace backspace backspace backspace backspace backspace backspace backspace backspace O f f e r enter");
    let Some(EditorEffect::Update { change, .. }) = last_editor_effect(&ui) else {
        panic!("r … enter renames");
    };
    assert_eq!(
        change,
        StageChange {
            name: Some("Offer".into()),
            ..StageChange::default()
        }
    );
}

#[test]
fn delete_names_the_destination() {
    let ui = opened(true).press("d");
    insta::assert_snapshot!("editor_delete_80x24", ui.screen());
    let ui = ui.press("j enter");
    let Some(EditorEffect::Delete { stage, move_to, .. }) = last_editor_effect(&ui) else {
        panic!("d, a stage, enter deletes");
    };
    assert_eq!((stage, move_to), (id(1), id(3)));
}

#[test]
fn reps_see_it_read_only() {
    let ui = opened(false).press("J w x d r");
    assert!(
        !matches!(
            last_editor_effect(&ui),
            Some(
                EditorEffect::Reorder { .. }
                    | EditorEffect::Update { .. }
                    | EditorEffect::Delete { .. }
            )
        ),
        "no write for a rep"
    );
    let screen = ui.screen();
    assert!(screen.contains("read-only"), "{screen}");
}

/// Answers the write in flight with `result`, then the re-read with `stages()`.
fn answer(ui: &mut Ui, result: Result<String, closer::state::Failure>) {
    let Some(Popup::Editor(e)) = &ui.state.popup else {
        panic!("the editor is open");
    };
    let request = e.request.expect("a write in flight");
    update(
        &mut ui.state,
        Action::Editor(EditorAction::Written { request, result }),
    );
}

#[test]
fn a_manager_recolours_sets_probability_and_rotting_days_from_the_keymap() {
    let ui = opened(true).press("c");
    insta::assert_snapshot!("editor_colour_80x24", ui.screen());
    let mut ui = ui.press(
        "backspace backspace backspace backspace backspace backspace backspace A B C D E F enter",
    );
    let Some(EditorEffect::Update { stage, change, .. }) = last_editor_effect(&ui) else {
        panic!("c … enter recolours");
    };
    assert_eq!(stage, id(1));
    assert_eq!(change.color.as_deref(), Some("#abcdef"));
    answer(&mut ui, Ok("Stage saved".into()));

    // A bad value is a sentence, and nothing is sent.
    let before = ui.effects.len();
    let mut ui = ui.press("j");
    let reload = match &ui.state.popup {
        Some(Popup::Editor(e)) => e.request,
        _ => None,
    };
    if let Some(request) = reload {
        update(
            &mut ui.state,
            Action::Editor(EditorAction::Loaded {
                request,
                result: Ok((stages(), true)),
            }),
        );
    }
    let ui = ui.press("% backspace backspace 1 2 0 enter");
    assert!(
        !ui.effects[before..]
            .iter()
            .any(|e| matches!(e, Effect::Editor(EditorEffect::Update { .. }))),
        "120 % is refused before a round trip"
    );
    assert!(ui.screen().contains("0 to 100"), "{}", ui.screen());
    let ui = ui.press("backspace backspace backspace 7 5 enter");
    let Some(EditorEffect::Update { stage, change, .. }) = last_editor_effect(&ui) else {
        panic!("% … enter sets the probability");
    };
    assert_eq!((stage, change.default_probability), (id(2), Some(Some(75))));
}

#[test]
fn rotting_days_clear_with_an_empty_value_and_closed_stages_never_rot() {
    let ui = opened(true).press("R backspace backspace enter");
    let Some(EditorEffect::Update { change, .. }) = last_editor_effect(&ui) else {
        panic!("R, empty, enter clears");
    };
    assert_eq!(change.rotting_days, Some(None));

    let ui = opened(true).press("j j j R");
    assert!(
        !matches!(last_editor_effect(&ui), Some(EditorEffect::Update { .. })),
        "Won never rots"
    );
    assert!(ui.screen().contains("never rot"), "{}", ui.screen());
}

#[test]
fn a_manager_creates_and_archives_pipelines() {
    let ui = opened(true).press("n P a r t n e r s");
    insta::assert_snapshot!("editor_new_pipeline_80x24", ui.screen());
    let mut ui = ui.press("enter");
    let Some(EditorEffect::CreatePipeline {
        request,
        name,
        stages: names,
    }) = last_editor_effect(&ui)
    else {
        panic!("n … enter creates a pipeline");
    };
    assert_eq!(name, "Partners");
    assert_eq!(names.len(), 5);
    let fx = update(
        &mut ui.state,
        Action::Editor(EditorAction::Created {
            request,
            result: Ok((id(77), "Partners".into())),
        }),
    );
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Editor(EditorEffect::Load { pipeline_id, .. }) if *pipeline_id == id(77)
        )),
        "the editor turns to the new pipeline: {fx:?}"
    );

    // Archive asks first; the board then leaves the pipeline.
    let ui = opened(true).press("A");
    insta::assert_snapshot!("editor_archive_80x24", ui.screen());
    let mut ui = ui.press("enter");
    let Some(EditorEffect::ArchivePipeline {
        request,
        pipeline_id,
    }) = last_editor_effect(&ui)
    else {
        panic!("A, enter archives");
    };
    assert_eq!(pipeline_id, id(99));
    update(
        &mut ui.state,
        Action::Editor(EditorAction::Archived {
            request,
            result: Ok(()),
        }),
    );
    assert!(ui.state.popup.is_none(), "the editor closes");
    assert_eq!(
        ui.state.board.pipeline_id, None,
        "the board goes to the default"
    );
}

#[test]
fn editor_keys_come_from_the_keymap() {
    let screen = opened(true).screen();
    assert!(screen.contains("J/K move"), "{screen}");
    assert!(screen.contains("n new pipeline"), "{screen}");
    // A user's binding replaces the default in the keys and in the hint.
    let user = KeysSection::new("test").bind("rename_stage", &["e"]);
    let keymap = Keymap::from_config(&user).expect("valid");
    let mut ui = Ui::new(80, 24);
    ui.state.keymap = keymap;
    let ui = load(ui, true);
    assert!(ui.screen().contains("e name"), "{}", ui.screen());
    let ui = ui.press("r");
    assert!(
        matches!(&ui.state.popup, Some(Popup::Editor(e)) if e.mode == EditorMode::Browse),
        "r no longer renames"
    );
    let ui = ui.press("e");
    assert!(
        matches!(&ui.state.popup, Some(Popup::Editor(e)) if matches!(e.mode, EditorMode::Text(..))),
        "e renames"
    );
}
