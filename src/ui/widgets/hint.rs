//! Key hints generated from the bindings in effect: the one place that turns
//! a bound command into the text of a hint.

use crate::config::keymap::Command;
use crate::state::State;

/// How a hint spells a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// As the config writes it: `enter`, `esc`, `ctrl-s` (screen hint lines,
    /// the inbox's task popups).
    Config,
    /// Named keys capitalised: `Enter`, `Esc`, `Tab`; others as the config
    /// writes them (`ctrl-s`, `j`) (the rounded popups' footers).
    Title,
}

/// The first key bound to `cmd` in `spelling`; empty when unbound.
pub fn key_text(state: &State, cmd: Command, spelling: Spelling) -> String {
    let Some(spec) = state.keymap.keys(cmd).first() else {
        return String::new();
    };
    match spelling {
        Spelling::Config => spec.to_string(),
        Spelling::Title => spec.title_text(),
    }
}

/// The first key bound to `cmd` as the config spells it (`enter`, `ctrl-s`).
pub fn first_key(state: &State, cmd: Command) -> String {
    key_text(state, cmd, Spelling::Config)
}

/// The first key bound to `cmd` as popup footers show it (`Enter`, `Esc`).
pub fn popup_key(state: &State, cmd: Command) -> String {
    key_text(state, cmd, Spelling::Title)
}

/// A hint such as `Enter pick · Esc`: each bound command's key and its label
/// (may be empty), joined by ` · `; unbound commands are left out.
pub fn hint(state: &State, items: &[(Command, &str)], spelling: Spelling) -> String {
    items
        .iter()
        .filter_map(|&(cmd, label)| {
            let key = key_text(state, cmd, spelling);
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

/// [`hint`] for a rounded popup's footer (`Enter pick · Esc`).
pub fn popup_hint(state: &State, items: &[(Command, &str)]) -> String {
    hint(state, items, Spelling::Title)
}
