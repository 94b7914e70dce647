//! Word wrapping by terminal cells, lazily: a caller that shows ten rows of a 1 MB note wraps
//! only what it shows. Widths match what `ui::text::clean` draws (control characters become one
//! replacement cell, invisible characters none), so a wrapped row never overflows its area.

use unicode_width::UnicodeWidthChar;

/// Cells `c` takes once drawn.
pub fn cells(c: char) -> usize {
    match c {
        '\t' => 1,
        c if c.is_control() => 1,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{00AD}' => 0,
        c => c.width().unwrap_or(0),
    }
}

/// Cells of a string.
pub fn str_cells(s: &str) -> usize {
    s.chars().map(cells).sum()
}

/// Visual rows of `text` at `width` cells: byte ranges `(start, end)` into `text`, the newline
/// excluded. Words are kept whole when they fit; longer ones are cut by cells.
pub struct Rows<'a> {
    text: &'a str,
    pos: usize,
    width: usize,
    done: bool,
}

pub fn rows(text: &str, width: usize) -> Rows<'_> {
    Rows {
        text,
        pos: 0,
        width: width.max(1),
        done: false,
    }
}

impl Iterator for Rows<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        if self.done {
            return None;
        }
        let start = self.pos;
        let rest = &self.text[start..];
        let mut used = 0;
        let mut last_space: Option<usize> = None;
        for (i, c) in rest.char_indices() {
            if c == '\n' {
                self.pos = start + i + 1;
                return Some((start, start + i));
            }
            let w = cells(c);
            if used + w > self.width && i > 0 {
                // Break after the last space if there was one, else here.
                let end = match last_space {
                    Some(s) => s,
                    None => start + i,
                };
                self.pos = end;
                let row_end = end;
                // Skip the spaces that caused the break.
                while self.text[self.pos..].starts_with(' ') {
                    self.pos += 1;
                }
                return Some((start, row_end));
            }
            if c == ' ' {
                last_space = Some(start + i + 1);
            }
            used += w;
        }
        self.done = true;
        Some((start, self.text.len()))
    }
}

/// Number of rows `text` wraps to at `width`, counting no further than `cap`.
pub fn count_rows(text: &str, width: usize, cap: usize) -> usize {
    rows(text, width).take(cap).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(text: &str, width: usize) -> Vec<&str> {
        rows(text, width).map(|(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn wraps_words_and_long_runs() {
        assert_eq!(wrap("hello world", 5), vec!["hello", "world"]);
        assert_eq!(wrap("hello world", 8), vec!["hello ", "world"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb", 4), vec!["a", "", "b"]);
        assert_eq!(wrap("", 4), vec![""]);
        assert_eq!(wrap("张伟张伟张", 4), vec!["张伟", "张伟", "张"]);
        for (s, e) in rows("🙂🙂🙂 x\u{1b}[0m \u{202E}abc", 3) {
            let _ = s..e;
        }
    }

    #[test]
    fn rows_never_exceed_width() {
        let text = "Zoë 张伟 🙂 \u{1b}[31m red \u{200B}zero width, a veryveryverylongword and more";
        for w in 1..20 {
            for (s, e) in rows(text, w) {
                assert!(str_cells(&text[s..e]) <= w.max(2), "{w}: {:?}", &text[s..e]);
            }
        }
    }
}
