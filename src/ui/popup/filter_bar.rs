//! The board's filter bar: the input (the offending word underlined), why it is wrong, and the
//! completions of the last word.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::popup::FilterBar;
use crate::state::{State, layout};
use crate::ui::text::width;
use crate::ui::widgets::paint::{fill, put, put_split};
use crate::ui::widgets::{popup_frame, popup_hint};

/// On tasks: owner = assignee, overdue = the task, text = title or lead.
const INBOX_EXAMPLE: &str = "owner:me tag:vip overdue call";
const EXAMPLE: &str = "owner:me tag:vip score:>70 rotting overdue no-next-step created:<7d";

pub(super) fn filter_bar_box(
    buf: &mut Buffer,
    area: Rect,
    bar: &FilterBar,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    let w = area.width.saturating_sub(4).min(72);
    let lines = u16::try_from(bar.suggestions.len()).unwrap_or(0) + 2;
    let h = (lines + 2).min(area.height.saturating_sub(2).max(3));
    let mut rect = layout::centered(area, w, h);
    rect.y = area.y + (area.height.saturating_sub(h)) / 4;
    let hint = popup_hint(
        state,
        &[(Command::Confirm, "apply"), (Command::Cancel, "cancel")],
    );
    let title = if bar.inbox {
        "Filter tasks  (tab completes)"
    } else {
        "Filter leads  (tab completes)"
    };
    let inner = popup_frame(buf, rect, title, &hint, theme);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    // Show the end of long input; the error span is underlined where it is visible.
    let room = usize::from(inner.width.saturating_sub(3));
    let mut start = 0;
    while width(&bar.input[start..]) > room {
        start += bar.input[start..].chars().next().map_or(1, char::len_utf8);
    }
    let mut spans = vec![Span::styled("› ", theme.accent_style())];
    match &bar.error {
        Some(e) if e.span.end <= bar.input.len() && e.span.start >= start => {
            let (a, b) = (e.span.start, e.span.end);
            spans.push(Span::raw(
                crate::ui::clean(&bar.input[start..a]).into_owned(),
            ));
            spans.push(Span::styled(
                crate::ui::clean(&bar.input[a..b]).into_owned(),
                theme.error_style().add_modifier(Modifier::UNDERLINED),
            ));
            spans.push(Span::raw(crate::ui::clean(&bar.input[b..]).into_owned()));
        }
        _ => spans.push(Span::raw(
            crate::ui::clean(&bar.input[start..]).into_owned(),
        )),
    }
    let end = put(buf, inner.x, inner.y, inner.width, &spans);
    let cursor = Some(Position::new(end, inner.y));
    if inner.height < 2 {
        return cursor;
    }
    let line = Rect::new(inner.x, inner.y + 1, inner.width, 1);
    let second = match &bar.error {
        Some(e) => Span::styled(e.message.clone(), theme.error_style()),
        None if bar.input.trim().is_empty() && bar.inbox => Span::styled(
            format!("e.g. {INBOX_EXAMPLE} · empty shows every task"),
            theme.muted_style(),
        ),
        None if bar.input.trim().is_empty() => Span::styled(
            format!("e.g. {EXAMPLE} · empty shows every lead"),
            theme.muted_style(),
        ),
        None => Span::styled("Enter applies", theme.muted_style()),
    };
    put_split(buf, line, &[second], &[]);
    for (i, s) in bar.suggestions.iter().enumerate() {
        let y = inner.y + 2 + u16::try_from(i).unwrap_or(u16::MAX);
        if y >= inner.bottom() {
            break;
        }
        let selected = i == bar.selected;
        let base = if selected {
            theme.selected_style()
        } else {
            Style::default()
        };
        fill(buf, Rect::new(inner.x, y, inner.width, 1), base);
        put(
            buf,
            inner.x,
            y,
            inner.width,
            &[Span::styled(
                format!(
                    "{} {}",
                    if selected { "›" } else { " " },
                    crate::ui::clean(s)
                ),
                base,
            )],
        );
    }
    cursor
}
