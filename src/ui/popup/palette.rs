//! The command palette: the query, then the matching commands (with their keys), screens,
//! pipelines and leads.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::popup::Palette;
use crate::state::popup::palette::entries;
use crate::state::{State, layout};
use crate::ui::text::width;
use crate::ui::widgets::paint::{fill, put, put_split, spinner};
use crate::ui::widgets::{popup_frame, popup_hint};

pub(super) fn palette_box(
    buf: &mut Buffer,
    area: Rect,
    palette: &Palette,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    let items = entries(state, palette);
    let w = area.width.saturating_sub(4).min(72);
    let wanted = u16::try_from(items.len().clamp(1, 14)).unwrap_or(14);
    let h = wanted
        .saturating_add(4)
        .min(area.height.saturating_sub(2).max(4));
    let mut rect = layout::centered(area, w, h);
    // The upper third, where the eye already is.
    rect.y = area.y + (area.height.saturating_sub(h)) / 4;
    let hint = popup_hint(state, &[(Command::Confirm, "run"), (Command::Cancel, "")]);
    let inner = popup_frame(buf, rect, "Command palette", &hint, theme);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    let searching = palette.request.is_some() || palette.debounce.is_some();
    let status = if searching {
        format!("{} leads…", spinner(state))
    } else {
        String::new()
    };
    let status_w = width(&status);
    let room = usize::from(inner.width).saturating_sub(3 + status_w + usize::from(status_w > 0));
    let text = crate::ui::clean(&palette.query).into_owned();
    let mut shown = text.as_str();
    while width(shown) > room {
        let mut chars = shown.chars();
        chars.next();
        shown = chars.as_str();
    }
    let end = put(
        buf,
        inner.x,
        inner.y,
        inner.width,
        &[
            Span::styled(": ", theme.accent_style()),
            Span::raw(shown.to_string()),
        ],
    );
    if status_w > 0 && usize::from(inner.width) > status_w + 3 {
        let sw = u16::try_from(status_w).unwrap_or(0);
        put(
            buf,
            inner.right().saturating_sub(sw),
            inner.y,
            sw,
            &[Span::styled(status, theme.muted_style())],
        );
    }
    let cursor = Some(Position::new(end, inner.y));
    if inner.height < 2 {
        return cursor;
    }
    let list = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    if items.is_empty() {
        let text = if searching { "" } else { "Nothing matches" };
        put_split(
            buf,
            Rect::new(list.x, list.y, list.width, 1),
            &[Span::styled(text, theme.muted_style())],
            &[],
        );
        return cursor;
    }
    let visible = usize::from(list.height);
    let selected = palette.selected.min(items.len().saturating_sub(1));
    let offset = layout::card_offset(0, selected, items.len(), visible);
    for (i, item) in items.iter().enumerate().skip(offset).take(visible) {
        let y = list.y + u16::try_from(i - offset).unwrap_or(0);
        let base = if i == selected {
            theme.selected_style()
        } else {
            Style::default()
        };
        fill(
            buf,
            Rect::new(list.x.saturating_sub(1), y, list.width + 2, 1),
            base,
        );
        if i == selected {
            put(
                buf,
                list.x.saturating_sub(1),
                y,
                1,
                &[Span::styled("›", base)],
            );
        }
        put_split(
            buf,
            Rect::new(list.x, y, list.width, 1),
            &[Span::styled(
                item.label.clone(),
                base.add_modifier(Modifier::BOLD),
            )],
            &[Span::styled(
                item.detail.clone(),
                base.patch(theme.muted_style()),
            )],
        );
    }
    cursor
}
