//! The default bindings are data: `assets/keymap.toml`, compiled in and read
//! by the same `[keys]` loader as a user's config.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::command::Command;
use super::parse::{KeysSection, RawKeys};
use crate::config::{ConfigError, Source};

/// `assets/keymap.toml` as compiled in.
pub const KEYMAP_TOML: &str = include_str!("../../../assets/keymap.toml");

/// The label of the asset in error messages.
const FILE: &str = "assets/keymap.toml";

/// The asset holds only a `[keys]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    keys: RawKeys,
}

/// The asset's `[keys]` section, in file order.
pub fn section() -> Result<KeysSection, ConfigError> {
    let src = Source {
        text: KEYMAP_TOML,
        file: FILE,
    };
    let file: KeymapFile = toml::from_str(KEYMAP_TOML).map_err(|e| src.toml_error(&e))?;
    Ok(file.keys.into_section(&src))
}

/// Keys per command, parsed once. The unit tests below keep the asset valid;
/// if it were not, every command would start unbound instead of panicking.
fn table() -> &'static HashMap<Command, Vec<String>> {
    static TABLE: OnceLock<HashMap<Command, Vec<String>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let Ok(section) = section() else {
            return HashMap::new();
        };
        section
            .entries
            .into_iter()
            .filter_map(|entry| {
                let command = Command::from_name(&entry.command.value)?;
                Some((command, entry.keys.into_iter().map(|k| k.value).collect()))
            })
            .collect()
    })
}

/// The default keys of `command` as written in the asset.
pub(crate) fn keys(command: Command) -> &'static [String] {
    table().get(&command).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_every_command_once() {
        let section = section().unwrap_or_else(|e| panic!("{e}"));
        let mut seen = Vec::new();
        for entry in &section.entries {
            let name = entry.command.value.as_str();
            let command = Command::from_name(name)
                .unwrap_or_else(|| panic!("assets/keymap.toml: unknown command `{name}`"));
            assert!(!seen.contains(&command), "`{name}` is listed twice");
            seen.push(command);
        }
        for &command in Command::ALL {
            assert!(seen.contains(&command), "`{command}` has no default keys");
        }
    }
}
