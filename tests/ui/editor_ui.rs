//! Pipeline editor popup (issue 13): `E` on the board; managers reorder with one call, rename,
//! flag won/lost and delete a stage by choosing where its leads go; reps see it read-only.

use super::harness::Ui;
use closer::data::pipeline_editor::{StageChange, StageSettings};
use closer::state::popup::editor::{EditorAction, EditorEffect};
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
    let mut ui = Ui::new(80, 24);
    ui.state.board.pipeline_id = Some(id(99));
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
