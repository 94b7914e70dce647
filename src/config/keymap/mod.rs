//! The keymap: bindable commands (`command.rs`), key specs (`spec.rs`), the
//! `[keys]` table as written (`parse.rs`), the default bindings
//! (`assets/keymap.toml`, read in `defaults.rs`) and the checks that build
//! the bindings in effect (`validate.rs`).

mod command;
pub mod defaults;
mod parse;
mod spec;
mod validate;

use std::collections::HashMap;

use crossterm::event::KeyEvent;

pub use command::{Command, Scope};
pub(crate) use parse::RawKeys;
pub use parse::{KeyBindingEntry, KeysSection, Located};
pub use spec::{KeySpec, KeySpecError};

/// The bindings in effect: defaults, with each command the user configured
/// replaced by the user's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// Keys per command, in the order written.
    keys: HashMap<Command, Vec<KeySpec>>,
    /// (scope, key) → command, for every scope a command applies in.
    lookup: HashMap<(Scope, KeySpec), Command>,
}

impl Default for Keymap {
    /// The default bindings.
    fn default() -> Self {
        // The defaults are checked by a unit test; never panic at runtime.
        Keymap::from_config(&KeysSection::default()).unwrap_or_else(|_| Keymap::build_unchecked())
    }
}

impl Keymap {
    fn insert(&mut self, command: Command, specs: Vec<KeySpec>) {
        for &spec in &specs {
            for &scope in command.scopes() {
                self.lookup.entry((scope, spec)).or_insert(command);
            }
        }
        self.keys.insert(command, specs);
    }

    /// The command `key` triggers on a screen of `scope`: the screen's
    /// commands first, then the global ones. `None` for unbound keys and
    /// key releases.
    pub fn command_for(&self, scope: Scope, key: &KeyEvent) -> Option<Command> {
        let spec = KeySpec::from_event(key)?;
        self.lookup
            .get(&(scope, spec))
            .or_else(|| self.lookup.get(&(Scope::Global, spec)))
            .copied()
    }

    /// The popup command `key` triggers while a popup is open (`Scope::Popup`
    /// only; the popup falls back to the screen's keymap for lists).
    pub fn popup_command(&self, key: &KeyEvent) -> Option<Command> {
        let spec = KeySpec::from_event(key)?;
        self.lookup.get(&(Scope::Popup, spec)).copied()
    }

    /// The pipeline editor's command for `key` (`Scope::Editor` only, read while its popup
    /// is open, after the popup commands).
    pub fn editor_command(&self, key: &KeyEvent) -> Option<Command> {
        let spec = KeySpec::from_event(key)?;
        self.lookup.get(&(Scope::Editor, spec)).copied()
    }

    /// The commands active in `scope` (for `Scope::Global`: the global
    /// ones; screen scopes do not repeat the global commands) with the keys
    /// in effect, in help order. A command the user unbound has an empty
    /// key list.
    pub fn bindings(&self, scope: Scope) -> Vec<(Command, Vec<KeySpec>)> {
        Command::ALL
            .iter()
            .filter(|c| c.scopes().contains(&scope))
            .map(|&c| (c, self.keys(c).to_vec()))
            .collect()
    }

    /// The keys bound to `command` (empty when unbound).
    pub fn keys(&self, command: Command) -> &[KeySpec] {
        self.keys.get(&command).map_or(&[], Vec::as_slice)
    }

    /// The keys of `command` joined with `/` for hints, e.g. `H/shift-left`.
    /// Empty when unbound.
    pub fn keys_label(&self, command: Command) -> String {
        self.keys(command)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_conflict_free() {
        let keymap = Keymap::from_config(&KeysSection::default()).expect("defaults are valid");
        assert_eq!(keymap, Keymap::build_unchecked());
        for &c in Command::ALL {
            assert!(!keymap.keys(c).is_empty(), "{c} has a default binding");
        }
    }
}
