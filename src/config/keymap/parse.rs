//! The `[keys]` table as written (in the user's config.toml and in
//! `assets/keymap.toml` alike): entries in file order with their positions.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use crate::config::{Location, Source};

/// A value with the place in the config file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub location: Option<Location>,
}

impl<T> Located<T> {
    /// A value that did not come from a file.
    pub fn unlocated(value: T) -> Located<T> {
        Located {
            value,
            location: None,
        }
    }
}

/// One `command = ["key", ...]` line of `[keys]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBindingEntry {
    pub command: Located<String>,
    /// Empty: the command is unbound.
    pub keys: Vec<Located<String>>,
}

/// The `[keys]` section as written by the user, in file order, with
/// positions for error messages. Built by [`super::Config::from_toml_str`];
/// [`KeysSection::bind`] builds one in code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeysSection {
    /// File label used in error messages.
    pub file: String,
    pub entries: Vec<KeyBindingEntry>,
}

impl KeysSection {
    /// An empty section for `file`.
    pub fn new(file: impl Into<String>) -> KeysSection {
        KeysSection {
            file: file.into(),
            entries: Vec::new(),
        }
    }

    /// Adds `command = keys` (without positions).
    pub fn bind(mut self, command: &str, keys: &[&str]) -> KeysSection {
        self.entries.push(KeyBindingEntry {
            command: Located::unlocated(command.to_owned()),
            keys: keys
                .iter()
                .map(|k| Located::unlocated((*k).to_owned()))
                .collect(),
        });
        self
    }
}

#[derive(Deserialize, Default)]
#[serde(transparent)]
pub(crate) struct RawKeys(BTreeMap<Spanned<String>, Spanned<RawKeyList>>);

impl RawKeys {
    pub(crate) fn into_section(self, src: &Source<'_>) -> KeysSection {
        let mut entries: Vec<_> = self.0.into_iter().collect();
        entries.sort_by_key(|(name, _)| name.span().start);
        let entries = entries
            .into_iter()
            .map(|(name, list)| {
                let list_span = list.span();
                let keys = match list.into_inner() {
                    RawKeyList::One(key) => vec![Located {
                        value: key,
                        location: Some(src.location(list_span)),
                    }],
                    RawKeyList::Many(keys) => keys
                        .into_iter()
                        .map(|k| Located {
                            location: Some(src.location(k.span())),
                            value: k.into_inner(),
                        })
                        .collect(),
                };
                KeyBindingEntry {
                    command: Located {
                        location: Some(src.location(name.span())),
                        value: name.into_inner(),
                    },
                    keys,
                }
            })
            .collect();
        KeysSection {
            file: src.file.to_owned(),
            entries,
        }
    }
}

/// `command = "key"` or `command = ["key", ...]`.
enum RawKeyList {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawKeyList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawKeyList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a list of keys such as ["j", "down"] (or a single key)"#)
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawKeyList, E> {
                Ok(RawKeyList::One(v.to_owned()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawKeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<Spanned<String>>()? {
                    keys.push(key);
                }
                Ok(RawKeyList::Many(keys))
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}
