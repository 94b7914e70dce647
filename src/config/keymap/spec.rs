//! One key as written in the config (`"j"`, `"shift-right"`, `"ctrl-c"`):
//! parsing, the canonical form and display.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// One key, possibly with modifiers, as written in the config (`"j"`, `"J"`,
/// `"shift-right"`, `"ctrl-c"`, `"enter"`, `"f1"`, `"?"`, ...).
///
/// Canonical form: for character keys the SHIFT modifier is never stored —
/// a shifted letter is its uppercase letter (`"shift-j"` == `"J"`) and other
/// shifted characters are written as the character they produce (`"?"`).
/// `"shift-tab"` is `"backtab"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    code: KeyCode,
    modifiers: KeyModifiers,
}

/// Why a key spec string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpecError {
    message: String,
}

impl fmt::Display for KeySpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for KeySpecError {}

/// Named keys: (canonical name, aliases, code).
const NAMED_KEYS: &[(&str, &[&str], KeyCode)] = &[
    ("enter", &["return"], KeyCode::Enter),
    ("esc", &["escape"], KeyCode::Esc),
    ("tab", &[], KeyCode::Tab),
    ("backtab", &[], KeyCode::BackTab),
    ("space", &[], KeyCode::Char(' ')),
    ("backspace", &[], KeyCode::Backspace),
    ("delete", &["del"], KeyCode::Delete),
    ("insert", &["ins"], KeyCode::Insert),
    ("up", &[], KeyCode::Up),
    ("down", &[], KeyCode::Down),
    ("left", &[], KeyCode::Left),
    ("right", &[], KeyCode::Right),
    ("home", &[], KeyCode::Home),
    ("end", &[], KeyCode::End),
    ("pgup", &["pageup"], KeyCode::PageUp),
    ("pgdn", &["pagedown", "pgdown"], KeyCode::PageDown),
];

const RELEVANT_MODIFIERS: KeyModifiers = KeyModifiers::CONTROL
    .union(KeyModifiers::ALT)
    .union(KeyModifiers::SHIFT);

impl KeySpec {
    /// A key spec from a crossterm code and modifiers, normalised to the
    /// canonical form (see the type docs). Modifiers other than
    /// ctrl/alt/shift are ignored.
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeySpec {
        let mut code = code;
        let mut modifiers = modifiers & RELEVANT_MODIFIERS;
        match code {
            KeyCode::Char(c) => {
                if modifiers.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                    code = KeyCode::Char(c.to_ascii_uppercase());
                }
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => modifiers.remove(KeyModifiers::SHIFT),
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                modifiers.remove(KeyModifiers::SHIFT);
            }
            _ => {}
        }
        KeySpec { code, modifiers }
    }

    /// The key pressed in `event`, or `None` for key release events.
    pub fn from_event(event: &KeyEvent) -> Option<KeySpec> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        Some(KeySpec::new(event.code, event.modifiers))
    }

    /// Whether `event` is a press (or repeat) of this key. Uppercase letters
    /// match whether or not the terminal reports SHIFT; `shift-right` is
    /// Right + SHIFT.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        KeySpec::from_event(event).is_some_and(|k| k == *self)
    }

    /// The key as popup footers and messages spell it: named keys capitalised
    /// (`Enter`, `Esc`, `Tab`) when they have no modifier, everything else as
    /// the config writes it (`ctrl-s`, `j`).
    pub fn title_text(&self) -> String {
        let text = self.to_string();
        let named = !matches!(self.code, KeyCode::Char(c) if c != ' ');
        if !named || !self.modifiers.is_empty() {
            return text;
        }
        let mut chars = text.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    }

    /// The key code.
    pub fn code(&self) -> KeyCode {
        self.code
    }

    /// The modifiers (ctrl/alt, and shift for non-character keys).
    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }

    pub(crate) fn parse(text: &str) -> Result<KeySpec, KeySpecError> {
        let err = |message: String| Err(KeySpecError { message });
        if text.is_empty() {
            return err("empty key name".to_owned());
        }
        let mut rest = text;
        let mut modifiers = KeyModifiers::empty();
        // Peel modifier prefixes while something longer than one character
        // remains, so that "ctrl--" is ctrl + '-' and "-" is '-'.
        while rest.chars().count() > 1 {
            let Some((prefix, tail)) = rest.split_once('-') else {
                break;
            };
            let modifier = match prefix.to_ascii_lowercase().as_str() {
                "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
                "alt" | "meta" | "m" | "a" => KeyModifiers::ALT,
                "shift" | "s" => KeyModifiers::SHIFT,
                _ => return err(unknown_key_message(text)),
            };
            if tail.is_empty() {
                return err(format!("key `{text}`: missing a key after `{prefix}-`"));
            }
            if modifiers.contains(modifier) {
                return err(format!("key `{text}`: modifier `{prefix}` given twice"));
            }
            modifiers |= modifier;
            rest = tail;
        }

        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if modifiers.contains(KeyModifiers::SHIFT) && !c.is_ascii_alphabetic() {
                    return err(format!(
                        "key `{text}`: shift can only be combined with letters and named keys; \
                         write the character the shifted key produces instead (e.g. \"?\")"
                    ));
                }
                KeyCode::Char(c)
            }
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some(code) = named_key(&lower) {
                    code
                } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
                    && (1..=12).contains(&n)
                {
                    KeyCode::F(n)
                } else {
                    return err(unknown_key_message(text));
                }
            }
        };
        Ok(KeySpec::new(code, modifiers))
    }
}

fn named_key(lower: &str) -> Option<KeyCode> {
    NAMED_KEYS
        .iter()
        .find(|(name, aliases, _)| *name == lower || aliases.contains(&lower))
        .map(|(_, _, code)| *code)
}

fn unknown_key_message(text: &str) -> String {
    let names: Vec<&str> = NAMED_KEYS.iter().map(|(name, _, _)| *name).collect();
    format!(
        "unknown key `{text}`: expected a single character (\"j\", \"J\", \"?\") or one of {}, \
         f1..f12, optionally prefixed with ctrl-, alt- or shift-",
        names.join(", ")
    )
}

impl FromStr for KeySpec {
    type Err = KeySpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeySpec::parse(s)
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => {
                let name = NAMED_KEYS
                    .iter()
                    .find(|(_, _, c)| *c == code)
                    .map_or("?", |(name, _, _)| *name);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips() {
        for text in [
            "j",
            "J",
            "shift-right",
            "ctrl-c",
            "enter",
            "esc",
            "tab",
            "backtab",
            "space",
            "up",
            "pgdn",
            "pgup",
            "home",
            "f1",
            "f12",
            "?",
            "/",
            "[",
            "]",
            "-",
            "ctrl--",
            "ctrl-alt-x",
            "alt-shift-up",
        ] {
            let spec: KeySpec = text.parse().expect(text);
            assert_eq!(spec.to_string(), text);
        }
    }

    #[test]
    fn aliases_canonicalise() {
        let canon = |s: &str| s.parse::<KeySpec>().expect(s).to_string();
        assert_eq!(canon("shift-j"), "J");
        assert_eq!(canon("Shift-J"), "J");
        assert_eq!(canon("shift-tab"), "backtab");
        assert_eq!(canon("Enter"), "enter");
        assert_eq!(canon("PageDown"), "pgdn");
        assert_eq!(canon("CTRL-d"), "ctrl-d");
        assert_eq!(canon(" "), "space");
    }

    #[test]
    fn bad_specs() {
        for text in [
            "",
            "ctrl-",
            "hyper-x",
            "foo",
            "f13",
            "shift-?",
            "ctrl-ctrl-x",
        ] {
            assert!(text.parse::<KeySpec>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn title_text_capitalises_plain_named_keys() {
        let title = |s: &str| s.parse::<KeySpec>().expect(s).title_text();
        assert_eq!(title("enter"), "Enter");
        assert_eq!(title("esc"), "Esc");
        assert_eq!(title("space"), "Space");
        assert_eq!(title("ctrl-s"), "ctrl-s");
        assert_eq!(title("j"), "j");
        assert_eq!(title("J"), "J");
    }
}
