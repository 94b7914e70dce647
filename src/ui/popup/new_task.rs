//! The new task popup of the inbox.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use super::date::date_preview;
use super::{footer, input_line, label};
use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::inbox::{InboxScreen, NewTaskField, NewTaskForm, PRIORITY_CHOICES};
use crate::state::{State, layout};
use crate::ui::text::fit;
use crate::ui::widgets::paint::{put, spinner};
use crate::ui::widgets::{card_frame, first_key};

pub(super) fn new_task(
    buf: &mut Buffer,
    area: Rect,
    form: &NewTaskForm,
    s: &InboxScreen,
    state: &State,
    theme: &Theme,
) {
    let rect = layout::centered(area, 64, 16);
    let inner = card_frame(buf, rect, "New task", theme);
    if inner.height == 0 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2);
    let bottom = inner.y + inner.height;
    let label_w = 10u16.min(w);
    let value_x = x + label_w;
    let value_w = w.saturating_sub(label_w);
    let mut y = inner.y;
    // Lead
    let focused = form.field == NewTaskField::Lead;
    label(buf, x, y, label_w, "Lead", focused, theme);
    if focused {
        input_line(
            buf,
            Rect::new(value_x, y, value_w, 1),
            &form.query,
            true,
            theme,
        );
        if form.query.is_empty()
            && let Some((_, name)) = &form.lead
        {
            put(
                buf,
                value_x + 2,
                y,
                value_w.saturating_sub(2),
                &[Span::styled(
                    format!("{} (type to choose another)", fit(name, 30)),
                    theme.muted_style(),
                )],
            );
        }
        y += 1;
        let room = 5usize.min(usize::from(bottom.saturating_sub(y + 6)));
        let offset = layout::card_offset(0, form.selected, form.hits.len(), room);
        for (i, hit) in form.hits.iter().enumerate().skip(offset).take(room) {
            let style = if i == form.selected {
                theme.selected_style()
            } else {
                Style::default()
            };
            let row = Rect::new(value_x, y, value_w, 1);
            crate::ui::widgets::paint::fill(buf, row, style);
            let mut spans = vec![Span::styled(hit.name.clone(), style)];
            if let Some(c) = &hit.company {
                spans.push(Span::styled(
                    format!(" · {c}"),
                    style.patch(theme.muted_style()),
                ));
            }
            put(buf, row.x, row.y, row.width, &spans);
            y += 1;
        }
        if form.search.is_some() && y < bottom {
            put(
                buf,
                value_x,
                y,
                value_w,
                &[Span::styled(
                    format!("{} searching…", spinner(state)),
                    theme.muted_style(),
                )],
            );
            y += 1;
        }
    } else {
        let name = form
            .lead
            .as_ref()
            .map_or("(none)".to_string(), |(_, n)| n.clone());
        put(buf, value_x, y, value_w, &[Span::raw(name)]);
        y += 1;
    }
    y += 1;
    // Title
    if y < bottom {
        let focused = form.field == NewTaskField::Title;
        label(buf, x, y, label_w, "Title", focused, theme);
        input_line(
            buf,
            Rect::new(value_x, y, value_w, 1),
            &form.title,
            focused,
            theme,
        );
        y += 2;
    }
    // Due
    if y < bottom {
        let focused = form.field == NewTaskField::Due;
        label(buf, x, y, label_w, "Due", focused, theme);
        input_line(
            buf,
            Rect::new(value_x, y, value_w, 1),
            &form.due,
            focused,
            theme,
        );
        y += 1;
        if y < bottom {
            let (preview, ok) = date_preview(&form.due, s, state, false);
            let text = if form.due.trim().is_empty() {
                format!(
                    "empty: no due date · {}",
                    crate::dates::hint(s.data.local(state.now).0)
                )
            } else {
                preview
            };
            let style = if ok {
                theme.muted_style()
            } else {
                theme.error_style()
            };
            put(buf, value_x, y, value_w, &[Span::styled(text, style)]);
        }
        y += 2;
    }
    // Priority
    if y < bottom {
        let focused = form.field == NewTaskField::Priority;
        label(buf, x, y, label_w, "Priority", focused, theme);
        let mut spans = Vec::new();
        for (k, name, p) in PRIORITY_CHOICES {
            let style = if p == form.priority {
                theme.selected_style()
            } else {
                Style::default()
            };
            spans.push(Span::styled(format!(" {k} {name} "), style));
            spans.push(Span::raw(" "));
        }
        put(buf, value_x, y, value_w, &spans);
        y += 1;
    }
    if let Some(h) = &form.hint
        && y < bottom.saturating_sub(1)
    {
        put(
            buf,
            x,
            y,
            w,
            &[Span::styled(h.clone(), theme.error_style())],
        );
    }
    let save = first_key(state, Command::SaveForm);
    footer(
        buf,
        Rect::new(x, bottom.saturating_sub(1), w, 1),
        &format!(
            "tab next field · {} on priority or {save} saves · {} cancel",
            first_key(state, Command::Confirm),
            first_key(state, Command::Cancel)
        ),
        theme,
    );
}
