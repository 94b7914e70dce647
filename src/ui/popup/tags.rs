//! The tag editor popup.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::Span;

use super::form::text_line;
use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::lead::wrap::str_cells;
use crate::state::popup::tags::{PALETTE, TagEditor};
use crate::state::{State, layout};
use crate::ui::widgets::paint::{fill, put, put_split, stage_style};
use crate::ui::widgets::{popup_frame, popup_key};

pub(super) fn tags_box(
    buf: &mut Buffer,
    area: Rect,
    editor: &TagEditor,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    // Del (remove the selected tag) is still a fixed key of the tag editor.
    let hint = format!(
        "{} add · Del remove · {}",
        popup_key(state, Command::Confirm),
        popup_key(state, Command::Cancel)
    );
    let n = u16::try_from(editor.tags.len().max(1)).unwrap_or(u16::MAX);
    let w = area.width.saturating_sub(4).min(60);
    let h = n.saturating_add(6).min(area.height);
    let rect = layout::centered(area, w, h);
    let inner = popup_frame(buf, rect, "Tags", &hint, theme);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    let list_h = usize::from(inner.height.saturating_sub(3));
    if editor.tags.is_empty() && list_h > 0 {
        put(
            buf,
            inner.x,
            inner.y,
            inner.width,
            &[Span::styled("No tags yet", theme.muted_style())],
        );
    }
    let offset = layout::card_offset(0, editor.selected, editor.tags.len(), list_h);
    for (n, (i, tag)) in editor
        .tags
        .iter()
        .enumerate()
        .skip(offset)
        .take(list_h)
        .enumerate()
    {
        let y = inner.y + u16::try_from(n).unwrap_or(0);
        let sel = i == editor.selected;
        let base = if sel {
            theme.selected_style()
        } else {
            Style::default()
        };
        fill(buf, Rect::new(inner.x, y, inner.width, 1), base);
        put_split(
            buf,
            Rect::new(inner.x, y, inner.width, 1),
            &[
                Span::styled("● ", base.patch(stage_style(&tag.color, theme))),
                Span::styled(tag.tag.clone(), base),
            ],
            &[Span::styled(
                tag.color.clone(),
                base.patch(theme.muted_style()),
            )],
        );
    }
    let input_y = inner.bottom().saturating_sub(2);
    let (name, hex) = PALETTE
        .get(editor.color)
        .copied()
        .unwrap_or(("gray", "#808080"));
    let swatch = format!("  ● {name} (Tab)");
    let sw = u16::try_from(str_cells(&swatch)).unwrap_or(0);
    put(
        buf,
        inner.x,
        input_y,
        2,
        &[Span::styled("+ ", theme.accent_style())],
    );
    let cursor = text_line(
        buf,
        Rect::new(inner.x + 2, input_y, inner.width.saturating_sub(sw + 2), 1),
        &editor.input,
        true,
        theme,
    );
    put(
        buf,
        inner.right().saturating_sub(sw),
        input_y,
        sw,
        &[Span::styled(swatch, stage_style(hex, theme))],
    );
    let msg_y = inner.bottom().saturating_sub(1);
    let (text, style) = match &editor.error {
        Some(e) => (format!("✕ {e}"), theme.error_style()),
        None if editor.suggestion().is_some() => (
            format!(
                "→ {} (→ completes)",
                editor.suggestion().unwrap_or_default()
            ),
            theme.accent_style(),
        ),
        None if !editor.pending.is_empty() => ("Saving…".to_string(), theme.muted_style()),
        None => (
            "type a tag · end with #rrggbb for any colour · ↑/↓ select".to_string(),
            theme.muted_style(),
        ),
    };
    put_split(
        buf,
        Rect::new(inner.x, msg_y, inner.width, 1),
        &[Span::styled(text, style)],
        &[],
    );
    cursor
}
