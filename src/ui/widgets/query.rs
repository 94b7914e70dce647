//! A popup that searches as the rep types: a frame in the upper third, the query on its first
//! line (its right end kept in view, a status such as "searching…" at the right), and the room
//! left for the list of results. The jump-to-lead popup and the command palette draw their
//! lists into it.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::Span;

use super::paint::put;
use super::popup_frame;
use crate::config::theme::Theme;
use crate::state::layout;
use crate::ui::text::width;

/// What a query popup shows above its list.
pub struct QueryPopup<'a> {
    pub title: &'a str,
    pub hint: &'a str,
    /// Marks the query line (`/ `, `: `).
    pub prompt: &'a str,
    pub query: &'a str,
    /// Right-aligned on the query line; empty for none.
    pub status: String,
    pub max_width: u16,
    /// List rows wanted (the popup shrinks to fit the screen).
    pub rows: u16,
}

/// Draws the frame and the query line. Returns the cursor (after the query) and the list's
/// area, `None` when the screen leaves no room for it; `None` for both on a screen too small.
pub fn query_popup(
    buf: &mut Buffer,
    area: Rect,
    popup: &QueryPopup,
    theme: &Theme,
) -> Option<(Position, Option<Rect>)> {
    let w = area.width.saturating_sub(4).min(popup.max_width);
    let h = popup
        .rows
        .max(1)
        .saturating_add(4)
        .min(area.height.saturating_sub(2).max(4));
    let mut rect = layout::centered(area, w, h);
    // The upper third, where the eye already is.
    rect.y = area.y + (area.height.saturating_sub(h)) / 4;
    let inner = popup_frame(buf, rect, popup.title, popup.hint, theme);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    let status_w = width(&popup.status);
    let room = usize::from(inner.width).saturating_sub(3 + status_w + usize::from(status_w > 0));
    let shown = crate::ui::text::tail(popup.query, room);
    let end = put(
        buf,
        inner.x,
        inner.y,
        inner.width,
        &[
            Span::styled(popup.prompt, theme.accent_style()),
            Span::raw(shown),
        ],
    );
    if status_w > 0 && usize::from(inner.width) > status_w + 3 {
        let sw = u16::try_from(status_w).unwrap_or(0);
        put(
            buf,
            inner.right().saturating_sub(sw),
            inner.y,
            sw,
            &[Span::styled(popup.status.clone(), theme.muted_style())],
        );
    }
    let cursor = Position::new(end, inner.y);
    let list =
        (inner.height >= 2).then(|| Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1));
    Some((cursor, list))
}
