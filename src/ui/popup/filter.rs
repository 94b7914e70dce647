//! The timeline filter popup.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::lead::FILTERS;
use crate::state::{State, layout};
use crate::ui::widgets::paint::{fill, put_split};
use crate::ui::widgets::{popup_frame, popup_hint};

pub(super) fn filter_box(
    buf: &mut Buffer,
    area: Rect,
    selected: usize,
    state: &State,
    theme: &Theme,
) {
    let hint = popup_hint(state, &[(Command::Confirm, ""), (Command::Cancel, "")]);
    let n = u16::try_from(FILTERS.len()).unwrap_or(u16::MAX);
    let rect = layout::centered(area, 34, n.saturating_add(2));
    let inner = popup_frame(buf, rect, "Show in the timeline", &hint, theme);
    for (i, (key, filter)) in FILTERS.iter().enumerate().take(usize::from(inner.height)) {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        let base = if i == selected {
            theme.selected_style()
        } else {
            Style::default()
        };
        fill(buf, Rect::new(inner.x, y, inner.width, 1), base);
        put_split(
            buf,
            Rect::new(inner.x, y, inner.width, 1),
            &[
                Span::styled(format!("{key} "), base.patch(theme.accent_style())),
                Span::styled(filter.label(), base),
            ],
            &[],
        );
    }
}
