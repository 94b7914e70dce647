//! Building the keymap: the defaults with the user's `[keys]` applied, and
//! the checks that make a bad binding an error with file:line:column.

use std::collections::HashMap;

use super::Keymap;
use super::command::{Command, overlap};
use super::parse::{KeyBindingEntry, KeysSection};
use super::spec::KeySpec;
use crate::config::{ConfigError, ConfigErrorKind, Location};

/// One command's keys as planned: (command, [(key, position)], from the user).
type Planned = (Command, Vec<(KeySpec, Option<Location>)>, bool);

struct Bound {
    command: Command,
    location: Option<Location>,
    from_user: bool,
}

impl Keymap {
    /// Defaults overridden by `user`. Errors (with file:line:column) for an
    /// unknown command name, an invalid key spec, and a key bound to two
    /// commands that are active on the same screen.
    pub fn from_config(user: &KeysSection) -> Result<Keymap, ConfigError> {
        let file = user.file.as_str();
        let error = |kind, location: Option<Location>, message: String| ConfigError {
            file: file.to_owned(),
            location,
            kind,
            message,
        };

        // User entries first, in file order, so that errors point at the
        // later user-written key; then the defaults of the other commands.
        let mut entries: Vec<&KeyBindingEntry> = user.entries.iter().collect();
        entries.sort_by_key(|e| e.command.location);
        let mut plan: Vec<Planned> = Vec::new();
        let mut configured: HashMap<Command, Option<Location>> = HashMap::new();
        for entry in entries {
            let name = entry.command.value.as_str();
            let Some(command) = Command::from_name(name) else {
                return Err(error(
                    ConfigErrorKind::UnknownCommand,
                    entry.command.location,
                    unknown_command_message(name),
                ));
            };
            if configured.insert(command, entry.command.location).is_some() {
                return Err(error(
                    ConfigErrorKind::InvalidValue,
                    entry.command.location,
                    format!("`{name}` is bound twice in [keys]"),
                ));
            }
            let mut keys = Vec::new();
            for key in &entry.keys {
                let spec = KeySpec::parse(&key.value)
                    .map_err(|e| error(ConfigErrorKind::InvalidKey, key.location, e.to_string()))?;
                keys.push((spec, key.location));
            }
            plan.push((command, keys, true));
        }
        for &command in Command::ALL {
            if configured.contains_key(&command) {
                continue;
            }
            let mut keys = Vec::new();
            for text in command.default_keys() {
                let spec = KeySpec::parse(text).map_err(|e| {
                    error(
                        ConfigErrorKind::InvalidKey,
                        None,
                        format!("default binding of `{command}`: {e}"),
                    )
                })?;
                keys.push((spec, None));
            }
            plan.push((command, keys, false));
        }

        let mut by_key: HashMap<KeySpec, Vec<Bound>> = HashMap::new();
        let mut keymap = Keymap {
            keys: HashMap::new(),
            lookup: HashMap::new(),
        };
        for (command, keys, from_user) in plan {
            let mut specs: Vec<KeySpec> = Vec::new();
            for (spec, location) in keys {
                if specs.contains(&spec) {
                    continue;
                }
                let bound = by_key.entry(spec).or_default();
                if let Some(other) = bound
                    .iter()
                    .find_map(|b| overlap(command, b.command).map(|s| (b, s)))
                {
                    let (other, scope) = other;
                    let at = location.or(other.location);
                    let mut message = format!(
                        "key `{spec}` is bound to both `{}` and `{command}`, which are both active {}",
                        other.command,
                        scope.describe()
                    );
                    if !other.from_user {
                        message.push_str(&format!(
                            " (`{}` has it by default; rebind it, e.g. `{} = [...]`, or unbind it with `{} = []`)",
                            other.command, other.command, other.command
                        ));
                    } else if !from_user {
                        message.push_str(&format!(
                            " (`{command}` has it by default; rebind it, e.g. `{command} = [...]`, or unbind it with `{command} = []`)"
                        ));
                    } else if let (Some(first), Some(_)) = (other.location, location) {
                        message.push_str(&format!(" (first bound at line {})", first.line));
                    }
                    return Err(error(ConfigErrorKind::DuplicateBinding, at, message));
                }
                bound.push(Bound {
                    command,
                    location,
                    from_user,
                });
                specs.push(spec);
            }
            keymap.insert(command, specs);
        }
        Ok(keymap)
    }

    /// Defaults without validation (fallback only; unreachable in practice).
    pub(super) fn build_unchecked() -> Keymap {
        let mut keymap = Keymap {
            keys: HashMap::new(),
            lookup: HashMap::new(),
        };
        for &command in Command::ALL {
            let specs = command
                .default_keys()
                .iter()
                .filter_map(|k| KeySpec::parse(k).ok())
                .collect();
            keymap.insert(command, specs);
        }
        keymap
    }
}

fn unknown_command_message(name: &str) -> String {
    let best = Command::ALL
        .iter()
        .map(|c| (edit_distance(name, c.name()), c.name()))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, suggestion)) if d <= 3 => {
            format!("unknown command `{name}` (did you mean `{suggestion}`?)")
        }
        _ => format!(
            "unknown command `{name}`; see config.example.toml or the help popup (?) for the command names"
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert!(unknown_command_message("mve_next_stage").contains("`move_next_stage`"));
        assert!(!unknown_command_message("zzzzzzzzzzzz").contains("did you mean"));
    }
}
