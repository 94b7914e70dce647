//! Painting primitives: spans written straight into the buffer, clipped to it, so no terminal
//! size can make drawing panic.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use crate::config::theme::Theme;
use crate::state::State;
use crate::ui::text::{clean, is_drawable_ascii, truncate, width};

/// Spinner frames, advanced by `Action::Tick` while something loads.
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The spinner frame for the state.
pub fn spinner(state: &State) -> &'static str {
    SPINNER[state.spinner % SPINNER.len()]
}

/// `#rrggbb` → RGB colour.
pub fn parse_hex(hex: &str) -> Option<Color> {
    let h = hex.trim().strip_prefix('#')?;
    if h.len() != 6 || !h.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(h.get(i..i + 2)?, 16).ok();
    Some(Color::Rgb(byte(0)?, byte(2)?, byte(4)?))
}

/// A stage's colour as a foreground style (bold only without colours).
pub fn stage_style(hex: &str, theme: &Theme) -> Style {
    if theme.no_color {
        return Style::default().add_modifier(Modifier::BOLD);
    }
    Style::default().fg(parse_hex(hex).unwrap_or(theme.accent))
}

fn inside(buf: &Buffer, x: u16, y: u16) -> bool {
    let a = buf.area;
    x >= a.left() && x < a.right() && y >= a.top() && y < a.bottom()
}

/// Writes spans from (x, y), at most `max` cells. Returns the x after the last cell written.
pub(crate) fn put(buf: &mut Buffer, x: u16, y: u16, max: u16, spans: &[Span<'_>]) -> u16 {
    if !inside(buf, x, y) {
        return x;
    }
    let mut x = x;
    let mut left = max.min(buf.area.right().saturating_sub(x));
    for span in spans {
        if left == 0 {
            break;
        }
        let text = clean(&span.content);
        let text = truncate(&text, usize::from(left));
        let nx = if is_drawable_ascii(&text) {
            put_ascii(buf, x, y, &text, left, span.style)
        } else {
            buf.set_stringn(x, y, text.as_ref(), usize::from(left), span.style)
                .0
        };
        left = left.saturating_sub(nx.saturating_sub(x));
        x = nx;
    }
    x
}

/// What `Buffer::set_stringn` writes for printable ASCII (a cell a byte), without splitting the
/// text into graphemes: most of a board frame's text, drawn on every key.
fn put_ascii(buf: &mut Buffer, x: u16, y: u16, text: &str, max: u16, style: Style) -> u16 {
    let room = buf.area.right().saturating_sub(x).min(max);
    let mut end = x;
    for byte in text.bytes().take(usize::from(room)) {
        if let Some(cell) = buf.cell_mut((end, y)) {
            cell.set_char(char::from(byte)).set_style(style);
        }
        end += 1;
    }
    end
}

/// Width of spans as `put` measures them.
pub(crate) fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| width(&clean(&s.content))).sum()
}

/// One row: `left` from the start (cut with '…' to leave room), `right` flush right. Right
/// spans that do not fit are dropped from the front.
pub(crate) fn put_split(buf: &mut Buffer, row: Rect, left: &[Span<'_>], right: &[Span<'_>]) {
    if row.width == 0 || row.height == 0 {
        return;
    }
    let total = usize::from(row.width);
    let mut right = right;
    while !right.is_empty() && spans_width(right) > total {
        right = &right[1..];
    }
    let rw = spans_width(right);
    let gap = usize::from(rw > 0);
    let room = total.saturating_sub(rw + gap);
    // Left spans, cut so the total fits in `room`.
    let mut x = row.x;
    let mut remaining = room;
    for span in left {
        if remaining == 0 {
            break;
        }
        let text = clean(&span.content);
        let w = width(&text);
        let shown = if w > remaining {
            truncate(&text, remaining)
        } else {
            text
        };
        let used = width(&shown);
        x = put(
            buf,
            x,
            row.y,
            u16::try_from(used).unwrap_or(0),
            &[Span::styled(shown, span.style)],
        );
        remaining = remaining.saturating_sub(used);
    }
    if rw > 0 {
        let rx = row.x + u16::try_from(total - rw).unwrap_or(0);
        put(buf, rx, row.y, u16::try_from(rw).unwrap_or(0), right);
    }
}

/// Writes `text` centred in `row`.
pub(crate) fn put_centered(buf: &mut Buffer, row: Rect, spans: &[Span<'_>]) {
    let w = spans_width(spans).min(usize::from(row.width));
    let x = row.x + (row.width - u16::try_from(w).unwrap_or(row.width)) / 2;
    put(buf, x, row.y, row.width.saturating_sub(x - row.x), spans);
}

/// Fills a rect with spaces in `style` (clears what is under a popup).
pub(crate) fn fill(buf: &mut Buffer, area: Rect, style: Style) {
    let area = buf.area.intersection(area);
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            if let Some(cell) = buf.cell_mut((x, y)) {
                // A reset cell draws as a space already: writing " " into each one was the most
                // frequent call of a board frame.
                cell.reset();
                cell.set_style(style);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short path writes the cells, styles and end `set_stringn` does, cut at `max` and at
    /// the buffer's edge alike.
    #[test]
    fn ascii_is_written_as_set_stringn_writes_it() {
        let style = Style::default().fg(Color::Red).add_modifier(Modifier::BOLD);
        for (text, x, max) in [
            ("Ada Lovelace", 0, 20),
            ("Ada Lovelace", 2, 5),
            ("edge", 8, 9),
            ("", 3, 4),
        ] {
            let area = Rect::new(0, 0, 10, 1);
            let (mut ours, mut theirs) = (Buffer::empty(area), Buffer::empty(area));
            let end = put_ascii(&mut ours, x, 0, text, max, style);
            let (expected_end, _) = theirs.set_stringn(x, 0, text, usize::from(max), style);
            assert_eq!(end, expected_end, "{text:?} at {x}, max {max}");
            assert_eq!(ours, theirs, "{text:?} at {x}, max {max}");
        }
    }
}
