//! The one-line prompt popup (a lost reason).

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::popup::Prompt;
use crate::state::{State, layout};
use crate::ui::widgets::paint::{put, put_split};
use crate::ui::widgets::{popup_frame, popup_hint};

pub(super) fn prompt_box(
    buf: &mut Buffer,
    area: Rect,
    prompt: &Prompt,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    let hint = popup_hint(
        state,
        &[(Command::Confirm, "ok"), (Command::Cancel, "cancel")],
    );
    let w = area.width.saturating_sub(4).min(64);
    let rect = layout::centered(area, w, 4);
    let inner = popup_frame(buf, rect, &prompt.title, &hint, theme);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    // Show the end of long input.
    let room = usize::from(inner.width.saturating_sub(3));
    let shown = crate::ui::text::tail(&prompt.input, room);
    let end = put(
        buf,
        inner.x,
        inner.y,
        inner.width,
        &[Span::styled("› ", theme.accent_style()), Span::raw(shown)],
    );
    if inner.height > 1
        && let Some(hint) = &prompt.hint
    {
        put_split(
            buf,
            Rect::new(inner.x, inner.y + 1, inner.width, 1),
            &[Span::styled(hint.clone(), theme.error_style())],
            &[],
        );
    }
    Some(Position::new(end, inner.y))
}
