//! Key hints generated from the bindings in effect.

use crate::config::keymap::Command;
use crate::state::State;

/// The first key bound to `cmd` (empty when unbound).
pub fn first_key(state: &State, cmd: Command) -> String {
    state
        .keymap
        .keys(cmd)
        .first()
        .map(ToString::to_string)
        .unwrap_or_default()
}
