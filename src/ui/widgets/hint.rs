//! Key hints generated from the bindings in effect: the one place that turns
//! a bound command into the text of a hint.

use crossterm::event::KeyCode;

use crate::config::keymap::{Command, KeySpec};
use crate::state::State;

/// The first key bound to `cmd` as the config spells it (`enter`, `ctrl-s`;
/// screen hint lines). Empty when unbound.
pub fn first_key(state: &State, cmd: Command) -> String {
    state
        .keymap
        .keys(cmd)
        .first()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The first key bound to `cmd` as popup footers show it: named keys
/// capitalised (`Enter`, `Esc`, `Tab`), others as the config spells them
/// (`ctrl-s`, `j`). Empty when unbound.
pub fn popup_key(state: &State, cmd: Command) -> String {
    state
        .keymap
        .keys(cmd)
        .first()
        .map(footer_spelling)
        .unwrap_or_default()
}

fn footer_spelling(spec: &KeySpec) -> String {
    let text = spec.to_string();
    let named = !matches!(spec.code(), KeyCode::Char(c) if c != ' ');
    if !named || !spec.modifiers().is_empty() {
        return text;
    }
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// A popup footer such as `Enter pick · Esc`: each bound command's key
/// (`popup_key`) and its label (may be empty), joined by ` · `; unbound
/// commands are left out.
pub fn popup_hint(state: &State, items: &[(Command, &str)]) -> String {
    items
        .iter()
        .filter_map(|&(cmd, label)| {
            let key = popup_key(state, cmd);
            if key.is_empty() {
                None
            } else if label.is_empty() {
                Some(key)
            } else {
                Some(format!("{key} {label}"))
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
