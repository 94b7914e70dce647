//! The help popup (`?`) lists every binding in effect: the screen's commands and the global
//! ones, each with the keys the keymap (defaults from `assets/keymap.toml` + the user's
//! `[keys]`) gives it.

use closer::config::keymap::{Keymap, KeysSection, Scope};
use closer::state::{Action, Popup, State, update};

use crate::harness::{Ui, ch};

/// (keys, description) rows the help popup should show for `scope` and the global commands.
fn expected(keymap: &Keymap, scope: Scope) -> Vec<(String, String)> {
    [scope, Scope::Global]
        .into_iter()
        .flat_map(|s| keymap.bindings(s))
        .map(|(cmd, keys)| {
            let label = if keys.is_empty() {
                "(unbound)".to_string()
            } else {
                keys.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            (label, cmd.description().to_string())
        })
        .collect()
}

fn shown(state: &State) -> Vec<(String, String)> {
    let Some(Popup::Help(help)) = &state.popup else {
        panic!("the help popup is open");
    };
    // The board's legend of card marks (issue 10) is not a binding: checked on its own below.
    help.sections
        .iter()
        .filter(|s| s.title != "Card and header marks")
        .flat_map(|s| s.rows.iter().cloned())
        .collect()
}

#[test]
fn help_on_the_board_explains_every_card_mark() {
    let ui = Ui::new(100, 40).press("?");
    let Some(Popup::Help(help)) = &ui.state.popup else {
        panic!("the help popup is open");
    };
    let legend = help
        .sections
        .iter()
        .find(|s| s.title == "Card and header marks")
        .expect("a legend");
    let marks: Vec<&str> = legend.rows.iter().map(|(m, _)| m.as_str()).collect();
    for mark in ["me", "87d", "2 late", "no next step", "✓ ✗", "forecast"] {
        assert!(marks.contains(&mark), "{mark} missing from {marks:?}");
    }
}

#[test]
fn help_lists_every_default_binding_on_the_board() {
    let ui = Ui::new(100, 40).press("?");
    let rows = shown(&ui.state);
    assert_eq!(rows, expected(&Keymap::default(), Scope::Board));
    assert!(rows.iter().any(|(k, _)| k == "L shift-right"));
}

#[test]
fn help_lists_user_bindings_in_effect() {
    let user = KeysSection::new("test")
        .bind("help", &["f1"])
        .bind("cycle_sort", &["f3", "f2"])
        .bind("undo_move", &[]);
    let keymap = Keymap::from_config(&user).expect("valid");
    let mut ui = Ui::new(100, 40);
    ui.state.keymap = keymap.clone();
    let ui = ui.press("f1");
    let rows = shown(&ui.state);
    assert_eq!(rows, expected(&keymap, Scope::Board));
    assert!(rows.contains(&("f3 f2".to_string(), "Cycle the card sort order".to_string())));
    assert!(rows.iter().any(|(k, _)| k == "(unbound)"));
    // `?` no longer opens it.
    let mut state = ui.state;
    update(
        &mut state,
        Action::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Esc,
        )),
    );
    update(&mut state, ch('?'));
    assert!(state.popup.is_none(), "? is not bound any more");
}

#[test]
fn popup_keys_follow_the_keymap_and_the_footer_shows_them() {
    // Defaults: the footer spells the popup keys as before.
    let ui = Ui::new(100, 40).press("?");
    assert!(ui.screen().contains("Esc close · j/k scroll"));

    // `cancel` rebound: the footer shows the new key and the new key closes the popup.
    let user = KeysSection::new("test")
        .bind("cancel", &["ctrl-g"])
        .bind("down", &["n"])
        .bind("new_lead", &["N"]);
    let keymap = Keymap::from_config(&user).expect("popup keys may reuse global keys");
    let mut ui = Ui::new(100, 40);
    ui.state.keymap = keymap;
    let ui = ui.press("?");
    assert!(
        ui.screen().contains("ctrl-g close · n/k scroll"),
        "{}",
        ui.screen()
    );
    let ui = ui.press("ctrl-g");
    assert!(
        ui.state.popup.is_none(),
        "the rebound cancel key closes the popup"
    );
}

#[test]
fn popup_keys_conflict_only_with_popup_keys() {
    // `esc` is `back` globally and `cancel` in popups: no conflict.
    assert!(Keymap::from_config(&KeysSection::new("test")).is_ok());
    let err = Keymap::from_config(&KeysSection::new("test").bind("confirm", &["esc"]))
        .expect_err("confirm and cancel both on esc");
    assert!(err.message.contains("`cancel`"), "{err}");
    assert!(err.message.contains("in a popup"), "{err}");
}
