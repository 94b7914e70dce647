//! The form popup of the lead work (capture, task, deal, document, edit, new lead): fields scroll so the focused one is shown; returns the text cursor.

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::lead::FormKind;
use crate::state::lead::input::TextInput;
use crate::state::lead::wrap::{self, cells, str_cells};
use crate::state::popup::form::{DATE_PICKS, Field, FieldValue, Form};
use crate::state::{State, layout};
use crate::ui::widgets::paint::{fill, put, put_split, stage_style};
use crate::ui::widgets::{first_key, popup_frame, popup_hint, popup_key};

/// Width of the label column.
const LABEL_W: u16 = 15;

/// Rows a field takes: multi-line text gets a box of several rows, the rest one row; an error
/// adds up to two rows under the field (`value_w`: width of the value column).
pub(super) fn field_rows(field: &Field, area_rows: u16, value_w: u16) -> u16 {
    let body = if field.is_multiline() { area_rows } else { 1 };
    body + error_rows(field, value_w)
}

pub(super) fn error_text(field: &Field) -> Option<String> {
    field.error.as_ref().map(|e| format!("✕ {e}"))
}

pub(super) fn error_rows(field: &Field, value_w: u16) -> u16 {
    error_text(field).map_or(0, |e| {
        u16::try_from(wrap::rows(&e, usize::from(value_w)).take(2).count()).unwrap_or(1)
    })
}

/// The value column's width in a form box of width `w`.
pub(super) fn value_width(w: u16) -> u16 {
    let inner = w.saturating_sub(4);
    inner.saturating_sub(LABEL_W.min(inner / 3))
}

pub(super) fn form_box(
    buf: &mut Buffer,
    area: Rect,
    form: &Form<FormKind>,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    let w = area.width.saturating_sub(4).clamp(area.width.min(20), 84);
    // Rows below the fields: the focused field's hint and the form's message.
    let message = form_message(form, state);
    let inner_w = usize::from(w.saturating_sub(4)).max(1);
    let message_rows: Vec<(usize, usize)> = message
        .as_ref()
        .map(|(text, _)| wrap::rows(text, inner_w).take(3).collect())
        .unwrap_or_default();
    let footer_rows = 1 + u16::try_from(message_rows.len()).unwrap_or(0);
    let max_h = area.height;
    let area_rows = 6u16.min(max_h.saturating_sub(8).max(2));
    let fields_h: u16 = form
        .fields
        .iter()
        .map(|f| field_rows(f, area_rows, value_width(w)))
        .fold(0u16, u16::saturating_add);
    let h = fields_h
        .saturating_add(footer_rows)
        .saturating_add(3)
        .min(max_h);
    let rect = layout::centered(area, w, h);
    let footer = if form.saving.is_some() {
        "saving…".to_string()
    } else {
        format!(
            "{} save · {}",
            first_key(state, Command::SaveForm),
            popup_hint(state, &[(Command::Cancel, "cancel")])
        )
    };
    let inner = popup_frame(buf, rect, &form.title, &footer, theme);
    if inner.width == 0 || inner.height == 0 {
        return None;
    }
    // The fields' viewport: everything above the hint and message rows (and a blank row).
    let view_h = inner.height.saturating_sub(footer_rows + 1);
    let heights: Vec<u16> = form
        .fields
        .iter()
        .map(|f| field_rows(f, area_rows, value_width(w)))
        .collect();
    // First field shown: the focused one must fit.
    let mut first = 0;
    let focus = form.focus.min(form.fields.len().saturating_sub(1));
    while first < focus
        && heights[first..=focus]
            .iter()
            .fold(0u16, |a, h| a.saturating_add(*h))
            > view_h
    {
        first += 1;
    }
    let mut y = inner.y;
    let mut cursor = None;
    for (i, field) in form.fields.iter().enumerate().skip(first) {
        let fh = heights.get(i).copied().unwrap_or(1);
        if y.saturating_add(fh.min(2)) > inner.y.saturating_add(view_h) && i != focus {
            break;
        }
        let room = inner.y.saturating_add(view_h).saturating_sub(y);
        if room == 0 {
            break;
        }
        let focused = i == focus && form.saving.is_none();
        let c = field_row(
            buf,
            Rect::new(inner.x, y, inner.width, fh.min(room)),
            field,
            (focused, form.today, state.zone),
            area_rows,
            theme,
        );
        if focused {
            cursor = c;
        }
        y = y.saturating_add(fh);
    }
    // Hint of the focused field, then the form's message.
    let hint_y = inner.y.saturating_add(view_h).saturating_add(1);
    if hint_y < inner.bottom()
        && let Some(field) = form.focused()
    {
        let hint = field_hint(field, form, state);
        put_split(
            buf,
            Rect::new(inner.x, hint_y, inner.width, 1),
            &[Span::styled(hint, theme.muted_style())],
            &[],
        );
    }
    if let Some((text, style)) = &message {
        for (n, (s, e)) in message_rows.iter().enumerate() {
            let y = hint_y
                .saturating_add(1)
                .saturating_add(u16::try_from(n).unwrap_or(0));
            if y >= inner.bottom() {
                break;
            }
            put(
                buf,
                inner.x,
                y,
                inner.width,
                &[Span::styled(text[*s..*e].to_string(), *style)],
            );
        }
    }
    cursor
}

/// The line under the fields: why a save failed, the Esc confirmation, or that it is saving.
pub(super) fn form_message(form: &Form<FormKind>, state: &State) -> Option<(String, Style)> {
    let theme_err = Style::default().add_modifier(Modifier::BOLD);
    if form.confirm_close {
        return Some((
            format!(
                "Discard what you typed? {} again to discard, any other key to keep editing",
                popup_key(state, Command::Cancel)
            ),
            theme_err,
        ));
    }
    if form.saving.is_some() {
        return Some(("Saving…".to_string(), Style::default()));
    }
    let _ = state;
    form.error.as_ref().map(|e| (format!("✕ {e}"), theme_err))
}

pub(super) fn field_hint(field: &Field, form: &Form<FormKind>, state: &State) -> String {
    if let Some(h) = &field.hint {
        return h.clone();
    }
    match &field.value {
        // Stage pickers are numbered; most others are lettered.
        FieldValue::Choice { options, .. } if options.iter().all(|o| o.key.is_ascii_digit()) => {
            "press a number to pick · ←/→ cycle".to_string()
        }
        FieldValue::Choice { .. } => "press a letter to pick · ←/→ cycle".to_string(),
        FieldValue::Date { .. } => {
            let keys: Vec<String> = DATE_PICKS.iter().map(|(k, l)| format!("{k} {l}")).collect();
            format!(
                "{} · or {}",
                keys.join(" · "),
                crate::dates::short_hint(form.today)
            )
        }
        FieldValue::Text(t) if t.multiline => format!(
            "Enter new line · {} $EDITOR",
            first_key(state, Command::ExternalEditor)
        ),
        FieldValue::Text(_) => {
            let confirm = popup_key(state, Command::Confirm);
            if form.focus + 1 >= form.fields.len() {
                format!("{confirm} saves")
            } else {
                // Tab and Shift-Tab move between fields in every form (fixed keys).
                format!("{confirm}/Tab next field · Shift-Tab back")
            }
        }
    }
}

/// Draws one field; returns the cursor position when it is a focused text.
pub(super) fn field_row(
    buf: &mut Buffer,
    rect: Rect,
    field: &Field,
    (focused, today, zone): (bool, NaiveDate, Option<chrono_tz::Tz>),
    area_rows: u16,
    theme: &Theme,
) -> Option<Position> {
    if rect.height == 0 || rect.width == 0 {
        return None;
    }
    let label_style = if focused {
        theme.accent_style().add_modifier(Modifier::BOLD)
    } else if field.error.is_some() {
        theme.error_style()
    } else {
        theme.muted_style()
    };
    let marker = if focused { "›" } else { " " };
    let star = if field.required { "*" } else { "" };
    let lw = LABEL_W.min(rect.width / 3);
    put_split(
        buf,
        Rect::new(rect.x, rect.y, lw.saturating_sub(1), 1),
        &[
            Span::styled(marker, label_style),
            Span::styled(format!("{}{star}", field.label), label_style),
        ],
        &[],
    );
    let vx = rect.x.saturating_add(lw);
    let vw = rect.width.saturating_sub(lw);
    let body_h = if field.is_multiline() {
        area_rows.min(rect.height)
    } else {
        1
    };
    let value_rect = Rect::new(vx, rect.y, vw, body_h);
    let cursor = match &field.value {
        FieldValue::Text(input) if input.multiline => {
            text_area(buf, value_rect, input, focused, theme)
        }
        FieldValue::Text(input) => text_line(buf, value_rect, input, focused, theme),
        FieldValue::Date { input, picked } => {
            // The live preview of what the typed text resolves to, right of the text.
            let used = u16::try_from((str_cells(&input.text) + 2).max(12)).unwrap_or(vw);
            let preview_rect =
                Rect::new(vx.saturating_add(used), rect.y, vw.saturating_sub(used), 1);
            let c = text_line(
                buf,
                Rect {
                    width: used.min(vw),
                    ..value_rect
                },
                input,
                focused,
                theme,
            );
            let preview = match picked {
                Some(_) if !focused => None,
                _ => crate::dates::preview_in(&input.text, today, zone),
            };
            let span = match preview {
                Some(Ok(text)) => Span::styled(text, theme.accent_style()),
                Some(Err(why)) => Span::styled(why, theme.error_style()),
                None => Span::raw(""),
            };
            put_split(buf, preview_rect, &[span], &[]);
            c
        }
        FieldValue::Choice { options, selected } => {
            choice_row(buf, value_rect, options, *selected, focused, theme);
            None
        }
    };
    if let Some(err) = error_text(field) {
        let rows = wrap::rows(&err, usize::from(vw)).take(2).enumerate();
        for (y, (n, (s, e))) in (rect.y + body_h..rect.bottom()).zip(rows) {
            // The second row holds the rest (cut with '…' if longer).
            let text = if n == 1 { &err[s..] } else { &err[s..e] };
            put_split(
                buf,
                Rect::new(vx, y, vw, 1),
                &[Span::styled(text.to_string(), theme.error_style())],
                &[],
            );
        }
    }
    cursor
}

/// One line of text, scrolled so the cursor shows.
pub(super) fn text_line(
    buf: &mut Buffer,
    rect: Rect,
    input: &TextInput,
    focused: bool,
    theme: &Theme,
) -> Option<Position> {
    let width = usize::from(rect.width.saturating_sub(1));
    let cursor = input.cursor.min(input.text.len());
    let before = input.text.get(..cursor).unwrap_or("");
    // Drop chars from the front until the cursor fits.
    let mut start = 0;
    let mut used = str_cells(before);
    for c in before.chars() {
        if used <= width {
            break;
        }
        used = used.saturating_sub(cells(c));
        start += c.len_utf8();
    }
    let shown = input.text.get(start..).unwrap_or("");
    let style = if focused {
        Style::default().add_modifier(Modifier::UNDERLINED)
    } else {
        Style::default()
    };
    fill(buf, rect, if focused { style } else { Style::default() });
    if input.text.is_empty() && !focused {
        put(
            buf,
            rect.x,
            rect.y,
            rect.width,
            &[Span::styled("—", theme.muted_style())],
        );
    } else {
        put(
            buf,
            rect.x,
            rect.y,
            rect.width,
            &[Span::styled(shown.to_string(), style)],
        );
    }
    focused.then(|| {
        Position::new(
            rect.x
                .saturating_add(u16::try_from(used).unwrap_or(0))
                .min(rect.right().saturating_sub(1)),
            rect.y,
        )
    })
}

/// Several lines, wrapped, scrolled so the cursor's row shows. Only the logical lines around
/// the cursor are laid out.
pub(super) fn text_area(
    buf: &mut Buffer,
    rect: Rect,
    input: &TextInput,
    focused: bool,
    theme: &Theme,
) -> Option<Position> {
    let h = usize::from(rect.height);
    let w = usize::from(rect.width.saturating_sub(1)).max(1);
    fill(buf, rect, Style::default());
    // Gutter to show it is a box.
    for y in rect.y..rect.bottom() {
        put(
            buf,
            rect.x,
            y,
            1,
            &[Span::styled("▏", theme.border_style())],
        );
    }
    let text = input.text.as_str();
    let cursor = input.cursor.min(text.len());
    // Start laying out `h` logical lines before the cursor's line (each is at least a row).
    let mut start = text
        .get(..cursor)
        .map_or(0, |b| b.rfind('\n').map_or(0, |i| i + 1));
    for _ in 0..h {
        if start == 0 {
            break;
        }
        start = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
    let slice = &text[start..];
    let mut rows: Vec<(usize, usize)> = Vec::new();
    let mut cursor_row = None;
    for (s, e) in wrap::rows(slice, w) {
        let (s, e) = (s + start, e + start);
        rows.push((s, e));
        if cursor_row.is_none() && cursor >= s && cursor <= e {
            // A cursor at a wrapped row's end shows at the start of the next row.
            cursor_row = Some(rows.len() - 1);
        }
        if let Some(cr) = cursor_row
            && rows.len() >= cr + h
        {
            break;
        }
    }
    let cr = cursor_row.unwrap_or(rows.len().saturating_sub(1));
    let top = cr.saturating_sub(h - 1);
    let x = rect.x.saturating_add(1);
    if text.is_empty() && !focused {
        put(
            buf,
            x,
            rect.y,
            rect.width.saturating_sub(1),
            &[Span::styled("—", theme.muted_style())],
        );
    }
    let mut pos = None;
    for (n, (s, e)) in rows.iter().enumerate().skip(top).take(h) {
        let y = rect.y + u16::try_from(n - top).unwrap_or(0);
        put(
            buf,
            x,
            y,
            rect.width.saturating_sub(1),
            &[Span::raw(text[*s..*e].to_string())],
        );
        if n == cr {
            let col = str_cells(&text[*s..cursor.clamp(*s, *e)]);
            pos = Some(Position::new(
                x.saturating_add(u16::try_from(col).unwrap_or(0))
                    .min(rect.right().saturating_sub(1)),
                y,
            ));
        }
    }
    if focused {
        pos.or(Some(Position::new(x, rect.y)))
    } else {
        None
    }
}

pub(super) fn choice_row(
    buf: &mut Buffer,
    rect: Rect,
    options: &[crate::state::popup::form::ChoiceOption],
    selected: usize,
    focused: bool,
    theme: &Theme,
) {
    // Options as "k label"; when they do not all fit, a window around the selection.
    let items: Vec<(String, bool, Option<&str>)> = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let key = if o.key == '\0' {
                String::new()
            } else {
                format!("{} ", o.key)
            };
            (
                format!("{key}{}", o.label),
                i == selected,
                o.color.as_deref(),
            )
        })
        .collect();
    let width = usize::from(rect.width);
    let mut first = 0;
    let total = |from: usize| {
        items[from..]
            .iter()
            .map(|(t, _, _)| str_cells(t) + 3)
            .sum::<usize>()
    };
    while first < selected && total(first) > width {
        first += 1;
    }
    let mut spans = Vec::new();
    if first > 0 {
        spans.push(Span::styled("‹ ", theme.muted_style()));
    }
    for (text, is_sel, color) in items.iter().skip(first) {
        let mut style = match color {
            Some(hex) => stage_style(hex, theme),
            None => Style::default(),
        };
        if *is_sel {
            style = if focused {
                theme.selected_style()
            } else {
                style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
            };
        } else if color.is_none() {
            style = theme.muted_style();
        }
        // Brackets mark the choice without colours too.
        let shown = if *is_sel {
            format!("[{text}]")
        } else {
            format!(" {text} ")
        };
        spans.push(Span::styled(shown, style));
        spans.push(Span::raw(" "));
    }
    put_split(buf, rect, &spans, &[]);
}
