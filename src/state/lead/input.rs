//! An editable text with a cursor: one line (names, dates, amounts) or several (notes).
//!
//! The cursor is a byte index that always sits on a char boundary. Every edit is O(length) at
//! worst, so a 1 MB note from `$EDITOR` stays editable.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Longest text a form field accepts (the database allows 2 000 000 characters of content).
pub const MAX_CHARS: usize = 2_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextInput {
    pub text: String,
    /// Byte index into `text`, on a char boundary.
    pub cursor: usize,
    /// Enter inserts a newline (else it is left to the form).
    pub multiline: bool,
    /// Longest text accepted, in chars.
    pub max_chars: usize,
}

impl TextInput {
    pub fn new(text: impl Into<String>, max_chars: usize) -> TextInput {
        let text: String = text.into();
        TextInput {
            cursor: text.len(),
            text,
            multiline: false,
            max_chars,
        }
    }

    pub fn multiline(text: impl Into<String>, max_chars: usize) -> TextInput {
        TextInput {
            multiline: true,
            ..TextInput::new(text, max_chars)
        }
    }

    /// Replaces the text (cursor at the end).
    pub fn set(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.cursor = self.text.len();
    }

    pub fn value(&self) -> &str {
        &self.text
    }

    /// The trimmed text, `None` when blank.
    pub fn trimmed(&self) -> Option<String> {
        let t = self.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    fn clamp(&mut self) {
        if self.cursor > self.text.len() {
            self.cursor = self.text.len();
        }
        while self.cursor > 0 && !self.text.is_char_boundary(self.cursor) {
            self.cursor -= 1;
        }
    }

    fn prev_boundary(&self, at: usize) -> usize {
        self.text[..at]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self, at: usize) -> usize {
        self.text[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8())
    }

    fn line_start(&self, at: usize) -> usize {
        self.text[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self, at: usize) -> usize {
        self.text[at..]
            .find('\n')
            .map_or(self.text.len(), |i| at + i)
    }

    /// Inserts text at the cursor (control characters other than newlines in multi-line inputs
    /// are dropped; what does not fit under `max_chars` is cut).
    pub fn insert_str(&mut self, s: &str) -> bool {
        self.clamp();
        let room = self.max_chars.saturating_sub(self.text.chars().count());
        let multiline = self.multiline;
        let clean: String = s
            .chars()
            .filter(|c| (multiline && *c == '\n') || !c.is_control())
            .take(room)
            .collect();
        if clean.is_empty() {
            return false;
        }
        self.text.insert_str(self.cursor, &clean);
        self.cursor += clean.len();
        true
    }

    /// Handles an editing key; returns true when it was one (consumed).
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        self.clamp();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char(c) if !ctrl && !alt => {
                let mut buf = [0u8; 4];
                self.insert_str(c.encode_utf8(&mut buf));
                true
            }
            KeyCode::Enter if self.multiline && !ctrl && !alt => {
                self.insert_str("\n");
                true
            }
            KeyCode::Backspace if ctrl || alt => {
                self.delete_word();
                true
            }
            KeyCode::Char('w') if ctrl => {
                self.delete_word();
                true
            }
            KeyCode::Backspace => {
                if self.cursor > 0 {
                    let start = self.prev_boundary(self.cursor);
                    self.text.replace_range(start..self.cursor, "");
                    self.cursor = start;
                }
                true
            }
            KeyCode::Delete => {
                if self.cursor < self.text.len() {
                    let end = self.next_boundary(self.cursor);
                    self.text.replace_range(self.cursor..end, "");
                }
                true
            }
            KeyCode::Char('u') if ctrl => {
                let start = self.line_start(self.cursor);
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
                true
            }
            KeyCode::Char('k') if ctrl => {
                let end = self.line_end(self.cursor);
                self.text.replace_range(self.cursor..end, "");
                true
            }
            KeyCode::Left => {
                self.cursor = self.prev_boundary(self.cursor);
                true
            }
            KeyCode::Right => {
                self.cursor = self.next_boundary(self.cursor);
                true
            }
            KeyCode::Home => {
                self.cursor = self.line_start(self.cursor);
                true
            }
            KeyCode::Char('a') if ctrl => {
                self.cursor = self.line_start(self.cursor);
                true
            }
            KeyCode::End => {
                self.cursor = self.line_end(self.cursor);
                true
            }
            KeyCode::Up if self.multiline => self.vertical(-1),
            KeyCode::Down if self.multiline => self.vertical(1),
            _ => false,
        }
    }

    fn delete_word(&mut self) {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end().len();
        let cut = before[..trimmed].rfind(char::is_whitespace).map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
        self.text.replace_range(cut..self.cursor, "");
        self.cursor = cut;
    }

    /// Moves to the same column of the previous/next logical line. False at the first/last line
    /// (so the form can move to the neighbouring field).
    fn vertical(&mut self, delta: i8) -> bool {
        let start = self.line_start(self.cursor);
        let column = self.text[start..self.cursor].chars().count();
        let target_start = if delta < 0 {
            if start == 0 {
                return false;
            }
            self.line_start(start - 1)
        } else {
            let end = self.line_end(self.cursor);
            if end >= self.text.len() {
                return false;
            }
            end + 1
        };
        let target_end = self.line_end(target_start);
        let mut pos = target_start;
        for (n, (i, c)) in self.text[target_start..target_end]
            .char_indices()
            .enumerate()
        {
            if n == column {
                break;
            }
            pos = target_start + i + c.len_utf8();
        }
        self.cursor = pos;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_around_multibyte_chars() {
        let mut t = TextInput::new("", 100);
        for c in "a张🙂b".chars() {
            t.handle(&key(KeyCode::Char(c)));
        }
        assert_eq!(t.text, "a张🙂b");
        t.handle(&key(KeyCode::Left));
        t.handle(&key(KeyCode::Backspace));
        assert_eq!(t.text, "a张b");
        t.handle(&key(KeyCode::Home));
        t.handle(&key(KeyCode::Delete));
        assert_eq!(t.text, "张b");
        t.handle(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(t.text, "张b");
        t.handle(&key(KeyCode::End));
        t.handle(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(t.text, "");
    }

    #[test]
    fn multiline_moves_between_lines() {
        let mut t = TextInput::multiline("one\ntwo three\nx", 100);
        // From the end ("x|"), up keeps the column.
        assert!(t.handle(&key(KeyCode::Up)));
        assert_eq!(&t.text[t.cursor..], "wo three\nx");
        assert!(t.handle(&key(KeyCode::Up)));
        assert_eq!(&t.text[t.cursor..], "ne\ntwo three\nx");
        assert!(!t.handle(&key(KeyCode::Up)));
        t.handle(&key(KeyCode::End));
        t.handle(&key(KeyCode::Enter));
        assert_eq!(t.text, "one\n\ntwo three\nx");
        assert!(t.handle(&key(KeyCode::Down)));
        assert!(t.handle(&key(KeyCode::Down)));
        assert!(!t.handle(&key(KeyCode::Down)));
    }

    #[test]
    fn limits_and_controls() {
        let mut t = TextInput::new("", 3);
        assert!(t.insert_str("ab\u{1b}[31mcdef"));
        assert_eq!(t.text, "ab[");
        let mut t = TextInput::new("", 10);
        t.handle(&key(KeyCode::Enter));
        assert_eq!(t.text, "");
    }
}
