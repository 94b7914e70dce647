//! The assign popup of the inbox: filter and teammates.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use super::{footer, input_line};
use crate::config::keymap::Command;
use crate::state::inbox::{Assignees, InboxScreen, filtered_teammates};
use crate::state::layout;
use crate::ui::widgets::paint::{put, spinner};
use crate::ui::widgets::{Ctx, Spelling, card_frame, hint};

pub(super) fn assign(
    buf: &mut Buffer,
    area: Rect,
    n: usize,
    filter: &str,
    selected: usize,
    s: &InboxScreen,
    cx: Ctx<'_>,
) {
    let Ctx { state, theme } = cx;
    let title = if n == 1 {
        "Reassign to".to_string()
    } else {
        format!("Reassign {n} tasks to")
    };
    let rect = layout::centered(area, 50, 12);
    let inner = card_frame(buf, rect, &title, theme);
    if inner.height == 0 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2);
    input_line(buf, Rect::new(x, inner.y, w, 1), filter, true, theme);
    if filter.is_empty() && w > 2 {
        put(
            buf,
            x + 2,
            inner.y,
            w - 2,
            &[Span::styled("type a name to filter", theme.muted_style())],
        );
    }
    let list_top = inner.y + 1;
    let list_h = inner.height.saturating_sub(2);
    match &s.teammates {
        Assignees::Loaded(_) => {
            let people = filtered_teammates(&s.teammates, filter);
            if people.is_empty() && list_h > 0 {
                put(
                    buf,
                    x,
                    list_top,
                    w,
                    &[Span::styled("Nobody matches", theme.muted_style())],
                );
            }
            let visible = usize::from(list_h);
            let offset = layout::card_offset(0, selected, people.len(), visible);
            for (i, p) in people.iter().enumerate().skip(offset).take(visible) {
                let dy = u16::try_from(i - offset).unwrap_or(0);
                let style = if i == selected {
                    theme.selected_style()
                } else {
                    Style::default()
                };
                let row = Rect::new(inner.x, list_top + dy, inner.width, 1);
                crate::ui::widgets::paint::fill(buf, row, style);
                let mut spans = vec![Span::styled(format!(" {}", p.name), style)];
                if p.me {
                    spans.push(Span::styled(" (me)", style.patch(theme.muted_style())));
                }
                put(buf, row.x, row.y, row.width, &spans);
            }
        }
        _ => {
            if list_h > 0 {
                put(
                    buf,
                    x,
                    list_top,
                    w,
                    &[Span::styled(
                        format!("{} loading teammates…", spinner(state)),
                        theme.muted_style(),
                    )],
                );
            }
        }
    }
    if inner.height > 2 {
        footer(
            buf,
            Rect::new(x, inner.y + inner.height - 1, w, 1),
            &format!(
                "↑↓ choose · {}",
                hint(
                    state,
                    &[(Command::Confirm, "assign"), (Command::Cancel, "cancel")],
                    Spelling::Config
                )
            ),
            theme,
        );
    }
}
