//! Popups: help, pickers, the one-line prompt, jump-to-lead.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::theme::Theme;
use crate::state::layout;
use crate::state::{HelpOverlay, JumpOverlay, Overlay, Picker, PickerKind, Prompt, State};

use super::{fill, put, put_split, spinner, stage_style, width};

/// Draws the open overlay over `area`; returns where the text cursor goes, if any.
pub(super) fn draw(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) -> Option<Position> {
    match state.overlay.as_ref()? {
        Overlay::Help(help) => {
            help_box(buf, area, help, theme);
            None
        }
        Overlay::Picker(picker) => {
            picker_box(buf, area, picker, theme);
            None
        }
        Overlay::Prompt(prompt) => prompt_box(buf, area, prompt, theme),
        Overlay::Jump(jump) => jump_box(buf, area, jump, state, theme),
        Overlay::Lead(overlay) => super::lead::draw_overlay(buf, area, overlay, state, theme),
    }
}

/// A bordered box with a title; returns the inner rect.
pub(super) fn frame_box(
    buf: &mut Buffer,
    rect: Rect,
    title: &str,
    footer: &str,
    theme: &Theme,
) -> Rect {
    fill(buf, rect, Style::default());
    if rect.width < 2 || rect.height < 2 {
        return Rect::new(rect.x, rect.y, 0, 0);
    }
    let border = theme.accent_style();
    let w = rect.width;
    let right = rect.x + w - 1;
    let bottom = rect.y + rect.height - 1;
    let horiz = "─".repeat(usize::from(w - 2));
    put(
        buf,
        rect.x,
        rect.y,
        w,
        &[
            Span::styled("╭", border),
            Span::styled(horiz.clone(), border),
            Span::styled("╮", border),
        ],
    );
    put(
        buf,
        rect.x,
        bottom,
        w,
        &[
            Span::styled("╰", border),
            Span::styled(horiz, border),
            Span::styled("╯", border),
        ],
    );
    for y in rect.y + 1..bottom {
        put(buf, rect.x, y, 1, &[Span::styled("│", border)]);
        put(buf, right, y, 1, &[Span::styled("│", border)]);
    }
    if !title.is_empty() && w > 4 {
        put_split(
            buf,
            Rect::new(rect.x + 2, rect.y, w - 4, 1),
            &[Span::styled(
                format!(" {title} "),
                border.add_modifier(Modifier::BOLD),
            )],
            &[],
        );
    }
    if !footer.is_empty() && w > 4 {
        let fw = u16::try_from(width(footer) + 2)
            .unwrap_or(u16::MAX)
            .min(w - 4);
        put(
            buf,
            right.saturating_sub(fw + 1),
            bottom,
            fw,
            &[Span::styled(format!(" {footer} "), theme.muted_style())],
        );
    }
    Rect::new(rect.x + 2, rect.y + 1, w.saturating_sub(4), rect.height - 2)
}

fn help_box(buf: &mut Buffer, area: Rect, help: &HelpOverlay, theme: &Theme) {
    let lines = u16::try_from(help.line_count()).unwrap_or(u16::MAX);
    let rect = layout::centered(area, 64, lines.saturating_add(2));
    let inner = frame_box(buf, rect, "Keys", "Esc close · j/k scroll", theme);
    let key_w = 18u16.min(inner.width / 2);
    let mut rows: Vec<(Vec<Span<'_>>, Vec<Span<'_>>)> = Vec::new();
    for (i, section) in help.sections.iter().enumerate() {
        if i > 0 {
            rows.push((Vec::new(), Vec::new()));
        }
        rows.push((
            vec![Span::styled(
                section.title.clone(),
                theme.accent_style().add_modifier(Modifier::BOLD),
            )],
            Vec::new(),
        ));
        for (keys, desc) in &section.rows {
            rows.push((
                vec![Span::styled(keys.clone(), theme.accent_style())],
                vec![Span::raw(desc.clone())],
            ));
        }
    }
    for (i, (keys, desc)) in rows
        .iter()
        .skip(help.scroll)
        .take(usize::from(inner.height))
        .enumerate()
    {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        if desc.is_empty() {
            put_split(buf, Rect::new(inner.x, y, inner.width, 1), keys, &[]);
        } else {
            put_split(
                buf,
                Rect::new(inner.x, y, key_w.saturating_sub(1), 1),
                keys,
                &[],
            );
            put_split(
                buf,
                Rect::new(inner.x + key_w, y, inner.width.saturating_sub(key_w), 1),
                desc,
                &[],
            );
        }
    }
}

fn picker_box(buf: &mut Buffer, area: Rect, picker: &Picker, theme: &Theme) {
    let items = u16::try_from(picker.items.len()).unwrap_or(u16::MAX);
    let rect = layout::centered(area, 44, items.saturating_add(2));
    let inner = frame_box(buf, rect, &picker.title, "Enter pick · Esc", theme);
    let visible = usize::from(inner.height);
    let offset = layout::card_offset(0, picker.selected, picker.items.len(), visible);
    for (i, item) in picker.items.iter().enumerate().skip(offset).take(visible) {
        let y = inner.y + u16::try_from(i - offset).unwrap_or(0);
        let selected = i == picker.selected;
        let base = if selected {
            theme.selected_style()
        } else {
            Style::default()
        };
        let row = Rect::new(inner.x.saturating_sub(1), y, inner.width + 2, 1);
        fill(buf, row, base);
        if selected {
            put(buf, row.x, y, 1, &[Span::styled("›", base)]);
        }
        let number = if i < 9 {
            format!("{} ", i + 1)
        } else {
            "  ".to_string()
        };
        let mut left = vec![Span::styled(number, base.patch(theme.muted_style()))];
        if let Some(color) = &item.color {
            left.push(Span::styled("● ", base.patch(stage_style(color, theme))));
        }
        left.push(Span::styled(item.label.clone(), base));
        let right = if item.current {
            let what = match picker.kind {
                PickerKind::Stage { .. } => "here",
                PickerKind::Pipeline => "shown",
            };
            vec![Span::styled(what, base.patch(theme.muted_style()))]
        } else {
            Vec::new()
        };
        put_split(buf, Rect::new(inner.x, y, inner.width, 1), &left, &right);
    }
}

fn prompt_box(buf: &mut Buffer, area: Rect, prompt: &Prompt, theme: &Theme) -> Option<Position> {
    let w = area.width.saturating_sub(4).min(64);
    let rect = layout::centered(area, w, 4);
    let inner = frame_box(buf, rect, &prompt.title, "Enter ok · Esc cancel", theme);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    // Show the end of long input.
    let room = usize::from(inner.width.saturating_sub(3));
    let text = super::clean(&prompt.input).into_owned();
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
            Span::styled("› ", theme.accent_style()),
            Span::raw(shown.to_string()),
        ],
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

fn jump_box(
    buf: &mut Buffer,
    area: Rect,
    jump: &JumpOverlay,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    let w = area.width.saturating_sub(4).min(64);
    let wanted = u16::try_from(jump.hits.len().max(1)).unwrap_or(u16::MAX);
    let h = wanted
        .saturating_add(4)
        .min(area.height.saturating_sub(2).max(4));
    let mut rect = layout::centered(area, w, h);
    // Sit in the upper third, like a palette.
    rect.y = area.y + (area.height.saturating_sub(h)) / 4;
    let inner = frame_box(buf, rect, "Jump to lead", "Enter go · Esc", theme);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    let searching = jump.request.is_some() || jump.debounce.is_some();
    let status = if searching {
        format!("{} searching…", spinner(state))
    } else {
        String::new()
    };
    let status_w = width(&status);
    let room = usize::from(inner.width).saturating_sub(3 + status_w + usize::from(status_w > 0));
    let text = super::clean(&jump.input).into_owned();
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
            Span::styled("/ ", theme.accent_style()),
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
    if jump.hits.is_empty() {
        let hint = if jump.input.trim().is_empty() {
            "Type a name, email, phone or company"
        } else if jump.searched.is_some() && !searching {
            "No matching leads"
        } else {
            ""
        };
        put_split(
            buf,
            Rect::new(list.x, list.y, list.width, 1),
            &[Span::styled(hint, theme.muted_style())],
            &[],
        );
        return cursor;
    }
    let top = list.y;
    let visible = usize::from(list.bottom().saturating_sub(top));
    let offset = layout::card_offset(0, jump.selected, jump.hits.len(), visible);
    for (i, hit) in jump.hits.iter().enumerate().skip(offset).take(visible) {
        let y = top + u16::try_from(i - offset).unwrap_or(0);
        let selected = i == jump.selected;
        let base = if selected {
            theme.selected_style()
        } else {
            Style::default()
        };
        fill(
            buf,
            Rect::new(list.x.saturating_sub(1), y, list.width + 2, 1),
            base,
        );
        if selected {
            put(
                buf,
                list.x.saturating_sub(1),
                y,
                1,
                &[Span::styled("›", base)],
            );
        }
        let mut left = vec![Span::styled(
            hit.name.clone(),
            base.add_modifier(Modifier::BOLD),
        )];
        if let Some(company) = &hit.company {
            left.push(Span::styled(
                format!(" · {company}"),
                base.patch(theme.muted_style()),
            ));
        }
        let stage = state
            .board
            .column_index(hit.stage_id)
            .and_then(|ci| state.board.columns.get(ci));
        let right = match stage {
            Some(col) => vec![Span::styled(
                col.stage.name.clone(),
                base.patch(stage_style(&col.stage.color, theme)),
            )],
            None => vec![Span::styled(
                "other pipeline",
                base.patch(theme.muted_style()),
            )],
        };
        put_split(buf, Rect::new(list.x, y, list.width, 1), &left, &right);
    }
    cursor
}
