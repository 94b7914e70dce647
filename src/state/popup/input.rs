//! The popups' one-line inputs: typing, Backspace, Ctrl-U (clear), Ctrl-W (delete word), edited
//! by the one text input, `lead::input::TextInput`, with the cursor kept at the end.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::state::lead::input::TextInput;

/// Longest one-line input where the caller sets no tighter limit.
pub const MAX_LINE: usize = 200;

/// Edits `input` with `key`, keeping it at most `max` characters; returns true when it changed.
/// A popup's line keeps its cursor at the end, so the editing is `TextInput`'s (the one text
/// input) and keys that only move a cursor are left to the popup.
pub fn edit(input: &mut String, key: &KeyEvent, max: usize) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let editing = match key.code {
        KeyCode::Char('u' | 'w') if ctrl => true,
        KeyCode::Char(c) => !ctrl && !alt && !c.is_control(),
        KeyCode::Backspace => true,
        _ => false,
    };
    if !editing {
        return false;
    }
    let before = input.clone();
    let mut line = TextInput::new(std::mem::take(input), max);
    line.handle(key);
    *input = line.text;
    *input != before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn a_popup_line_is_edited_at_its_end_within_its_limit() {
        let mut line = String::new();
        for c in "Acme Corp".chars() {
            assert!(edit(
                &mut line,
                &key(KeyCode::Char(c), KeyModifiers::NONE),
                9
            ));
        }
        assert!(
            !edit(&mut line, &key(KeyCode::Char('!'), KeyModifiers::NONE), 9),
            "full"
        );
        assert!(
            !edit(&mut line, &key(KeyCode::Left, KeyModifiers::NONE), 9),
            "no cursor"
        );
        assert!(edit(
            &mut line,
            &key(KeyCode::Char('w'), KeyModifiers::CONTROL),
            9
        ));
        assert_eq!(line, "Acme ");
        assert!(edit(
            &mut line,
            &key(KeyCode::Backspace, KeyModifiers::NONE),
            9
        ));
        assert_eq!(line, "Acme");
        assert!(edit(
            &mut line,
            &key(KeyCode::Char('u'), KeyModifiers::CONTROL),
            9
        ));
        assert_eq!(line, "");
        assert!(
            !edit(&mut line, &key(KeyCode::Backspace, KeyModifiers::NONE), 9),
            "empty"
        );
    }
}
