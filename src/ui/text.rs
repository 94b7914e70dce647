//! Database text made safe and measurable for the terminal.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// Longest text kept for one line; the rest could never be shown.
const MAX_CHARS: usize = 512;

/// Makes text from the database safe to draw on one line: control characters (ESC, C1, DEL)
/// become '�', newlines and tabs become spaces, and invisible characters that would make the
/// terminal's idea of the width differ from ours (zero-width spaces and joiners, bidi controls,
/// variation selectors, BOM) are dropped.
pub fn clean(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_CHARS
        && (is_drawable_ascii(text) || !text.chars().any(|c| c.is_control() || is_invisible(c)))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(MAX_CHARS * 4));
    for c in text.chars().take(MAX_CHARS) {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c if is_invisible(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{00AD}'
    )
}

/// Printable ASCII only (most names, companies and labels): a cell a byte, nothing to clean.
/// Checked a byte at a time, cheaper than decoding characters for every span of every frame.
pub fn is_drawable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Display width in terminal cells.
pub fn width(text: &str) -> usize {
    if is_drawable_ascii(text) {
        return text.len();
    }
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// At most `max` cells of `text`, ending in '…' when cut. Wide characters are never split.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if width(text) <= max {
        return Cow::Borrowed(text);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let budget = max - 1;
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > budget {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    let mut out = String::with_capacity(end + 3);
    out.push_str(text[..end].trim_end());
    out.push('…');
    Cow::Owned(out)
}

/// The end of cleaned `text` that fits in `max` cells: a field being typed into shows where the
/// cursor is.
pub fn tail(text: &str, max: usize) -> String {
    let text = clean(text);
    let mut shown = text.as_ref();
    while width(shown) > max {
        let mut chars = shown.chars();
        chars.next();
        shown = chars.as_str();
    }
    shown.to_string()
}

/// `clean` then `truncate`.
pub fn fit(text: &str, max: usize) -> String {
    truncate(&clean(text), max).into_owned()
}

/// Wraps cleaned text into lines of at most `max` cells (words kept whole when they fit).
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let text = clean(text);
    let mut lines = Vec::new();
    if max == 0 {
        return lines;
    }
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ') {
        let ww = width(word);
        let gap = usize::from(used > 0);
        if used + gap + ww <= max {
            if gap == 1 {
                line.push(' ');
            }
            line.push_str(word);
            used += gap + ww;
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        // A word longer than the line is cut by character.
        for c in word.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if used + cw > max {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_escapes_and_invisibles() {
        let dirty = "a\u{1b}[31mb\u{200B}c\u{202E}d\ne\u{9b}";
        let c = clean(dirty);
        assert!(!c.chars().any(char::is_control));
        assert_eq!(c, "a�[31mbcd e�");
        assert!(matches!(clean("Zoë 张伟 🙂"), Cow::Borrowed(_)));
    }

    #[test]
    fn plain_ascii_takes_the_short_path_with_the_same_answers() {
        for text in [
            "Ada Lovelace",
            "ACME Ltd. (42)",
            "",
            "~ {x} |y|",
            "tab\there",
            "del\u{7f}",
        ] {
            let by_char: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
            assert_eq!(width(text), by_char, "{text:?}");
        }
        assert!(matches!(clean("Ada Lovelace"), Cow::Borrowed(_)));
        assert_eq!(clean("tab\there"), "tab here");
        assert_eq!(clean("del\u{7f}"), "del\u{FFFD}");
    }

    #[test]
    fn truncates_by_width() {
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("张伟张伟", 5), "张伟…");
        assert_eq!(truncate("张伟张伟", 4), "张…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("abc", 1), "…");
        assert!(width(&truncate("🙂🙂🙂🙂", 5)) <= 5);
    }
}
