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
use crate::ui::widgets::paint::{fill, put, put_split, spinner};
use crate::ui::widgets::{QueryPopup, popup_hint, query_popup};

pub(super) fn palette_box(
    buf: &mut Buffer,
    area: Rect,
    palette: &Palette,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    let items = entries(state, palette);
    let searching = palette.request.is_some() || palette.debounce.is_some();
    let hint = popup_hint(state, &[(Command::Confirm, "run"), (Command::Cancel, "")]);
    let popup = QueryPopup {
        title: "Command palette",
        hint: &hint,
        prompt: ": ",
        query: &palette.query,
        status: if searching {
            format!("{} leads…", spinner(state))
        } else {
            String::new()
        },
        max_width: 72,
        rows: u16::try_from(items.len().clamp(1, 14)).unwrap_or(14),
    };
    let (cursor, list) = query_popup(buf, area, &popup, theme)?;
    let cursor = Some(cursor);
    let Some(list) = list else {
        return cursor;
    };
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
