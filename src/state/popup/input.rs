//! The one text input of the popups: typing, Backspace, Ctrl-U (clear), Ctrl-W (delete word).
//! (The lead forms' multi-line fields use `lead::input::TextInput`, which adds a cursor.)

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Longest one-line input where the caller sets no tighter limit.
pub const MAX_LINE: usize = 200;

/// Edits `input` with `key`, keeping it at most `max` characters; returns true when it changed.
pub fn edit(input: &mut String, key: &KeyEvent, max: usize) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            let changed = !input.is_empty();
            input.clear();
            changed
        }
        KeyCode::Char('w') if ctrl => {
            let trimmed = input.trim_end().len();
            let cut = input[..trimmed]
                .rfind(char::is_whitespace)
                .map_or(0, |i| i + 1);
            let changed = cut != input.len();
            input.truncate(cut);
            changed
        }
        KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
            if c.is_control() || input.chars().count() >= max {
                return false;
            }
            input.push(c);
            true
        }
        KeyCode::Backspace => input.pop().is_some(),
        _ => false,
    }
}
