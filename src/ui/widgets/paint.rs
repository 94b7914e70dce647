//! Painting primitives: spans written straight into the buffer, clipped to it, so no terminal
//! size can make drawing panic.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use crate::config::theme::Theme;
use crate::state::State;
use crate::ui::text::{clean, truncate, width};

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
        let (nx, _) = buf.set_stringn(x, y, text.as_ref(), usize::from(left), span.style);
        left = left.saturating_sub(nx.saturating_sub(x));
        x = nx;
    }
    x
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

/// Fills a rect with spaces in `style` (clears what is under an overlay).
pub(crate) fn fill(buf: &mut Buffer, area: Rect, style: Style) {
    let area = buf.area.intersection(area);
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.reset();
                cell.set_symbol(" ");
                cell.set_style(style);
            }
        }
    }
}
