//! Text hygiene for anything printed outside the TUI: data may carry escape sequences.

use std::borrow::Cow;

/// Replaces control characters (including ESC, C1 controls and bidi overrides) so
/// database text can never drive the terminal. Newlines become spaces.
pub fn clean_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if is_unsafe(c) {
                    if c == '\n' || c == '\t' {
                        ' '
                    } else {
                        '\u{FFFD}'
                    }
                } else {
                    c
                }
            })
            .collect(),
    )
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::clean_line;

    #[test]
    fn escape_sequences_are_neutralised() {
        let dirty = "evil\u{1b}]0;pwned\u{7}\u{1b}[2Jname\u{202E}";
        let clean = clean_line(dirty);
        assert!(!clean.chars().any(|c| c.is_control()));
        assert!(clean.contains("evil") && clean.contains("name"));
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            clean_line("Zoë 张伟 🙂"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
