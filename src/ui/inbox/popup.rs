//! The inbox's popups, centred over the inbox body.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::State;
use crate::state::inbox::{
    DatePurpose, EditField, InboxScreen, NewTaskField, NewTaskForm, PRIORITY_CHOICES, Popup,
    SNOOZE_CHOICES, Teammates, filtered_teammates, parse_due,
};
use crate::state::layout;

use super::{boxed, wrap};
use crate::ui::{fit, put, spinner, width};

pub(super) fn draw(
    buf: &mut Buffer,
    area: Rect,
    popup: &Popup,
    s: &InboxScreen,
    state: &State,
    theme: &Theme,
) {
    match popup {
        Popup::Snooze { ids, selected } => {
            let title = if ids.len() == 1 {
                "Snooze".to_string()
            } else {
                format!("Snooze {} tasks", ids.len())
            };
            // With one task, each choice shows the date it gives.
            let (today, _) = s.data.local(state.now);
            let due = match ids.as_slice() {
                [one] => s.data.find(*one).map(|(_, t)| t.due_date),
                _ => None,
            };
            let items: Vec<(char, String)> = SNOOZE_CHOICES
                .iter()
                .map(|(k, label, choice)| {
                    let text = match (choice, due) {
                        (Some(c), Some(due)) => {
                            format!("{label:<12} {}", c.apply(today, due).format("%a %b %-d"))
                        }
                        _ => (*label).to_string(),
                    };
                    (*k, text)
                })
                .collect();
            menu(buf, area, &title, &items, *selected, theme);
        }
        Popup::Priority { ids, selected } => {
            let title = if ids.len() == 1 {
                "Priority".to_string()
            } else {
                format!("Priority of {} tasks", ids.len())
            };
            let items: Vec<(char, String)> = PRIORITY_CHOICES
                .iter()
                .map(|(k, label, _)| (*k, (*label).to_string()))
                .collect();
            menu(buf, area, &title, &items, *selected, theme);
        }
        Popup::Date {
            purpose,
            input,
            hint,
        } => date(buf, area, purpose, input, hint.as_deref(), s, state, theme),
        Popup::Assign {
            ids,
            filter,
            selected,
        } => assign(buf, area, ids.len(), filter, *selected, s, state, theme),
        Popup::Edit {
            title,
            description,
            field,
            hint,
            ..
        } => edit(
            buf,
            area,
            title,
            description,
            *field,
            hint.as_deref(),
            state,
            theme,
        ),
        Popup::NewTask(form) => new_task(buf, area, form, s, state, theme),
    }
}

fn menu(
    buf: &mut Buffer,
    area: Rect,
    title: &str,
    items: &[(char, String)],
    selected: usize,
    theme: &Theme,
) {
    let w = items
        .iter()
        .map(|(_, l)| width(l) + 8)
        .max()
        .unwrap_or(20)
        .max(width(title) + 6)
        .max(28);
    let h = items.len() + 2;
    let rect = layout::centered(
        area,
        u16::try_from(w).unwrap_or(u16::MAX),
        u16::try_from(h).unwrap_or(u16::MAX),
    );
    let inner = boxed(buf, rect, title, theme);
    for (i, (key, label)) in items.iter().enumerate() {
        let Ok(dy) = u16::try_from(i) else {
            break;
        };
        if dy >= inner.height {
            break;
        }
        let style = if i == selected {
            theme.selected_style()
        } else {
            Style::default()
        };
        let row = Rect::new(inner.x, inner.y + dy, inner.width, 1);
        crate::ui::fill(buf, row, style);
        put(
            buf,
            row.x,
            row.y,
            row.width,
            &[
                Span::styled(" ", style),
                Span::styled(key.to_string(), style.patch(theme.accent_style())),
                Span::styled(format!("  {label}"), style),
            ],
        );
    }
}

/// An input line: the text (its end, if it is longer than the row) and a block cursor.
fn input_line(buf: &mut Buffer, row: Rect, text: &str, focused: bool, theme: &Theme) {
    if row.width == 0 {
        return;
    }
    let room = usize::from(row.width).saturating_sub(1);
    let clean = crate::ui::clean(text);
    // Show the end of a long text so the cursor stays visible.
    let mut shown: String = String::new();
    let mut used = 0;
    for c in clean.chars().rev() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > room {
            break;
        }
        used += cw;
        shown.insert(0, c);
    }
    let style = if focused {
        Style::default()
    } else {
        theme.muted_style()
    };
    let mut spans = vec![Span::styled(shown, style)];
    if focused {
        spans.push(Span::styled(
            " ",
            Style::default().add_modifier(Modifier::REVERSED),
        ));
    }
    put(buf, row.x, row.y, row.width, &spans);
}

fn footer(buf: &mut Buffer, row: Rect, text: &str, theme: &Theme) {
    put(
        buf,
        row.x,
        row.y,
        row.width,
        &[Span::styled(text.to_string(), theme.muted_style())],
    );
}

fn first_key(state: &State, cmd: Command) -> String {
    state
        .keymap
        .keys(cmd)
        .first()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// What a typed date means, or why not.
fn date_preview(input: &str, s: &InboxScreen, state: &State, clears: bool) -> (String, bool) {
    let text = input.trim().to_lowercase();
    if clears && matches!(text.as_str(), "" | "none" | "-") {
        return ("→ no due date".to_string(), true);
    }
    if text.is_empty() {
        return (String::new(), true);
    }
    let (today, _) = s.data.local(state.now);
    match parse_due(input, today) {
        Some(due) => {
            let mut t = due.date.format("→ %a %b %-d, %Y").to_string();
            if let Some(time) = due.time {
                t.push_str(&time.format(" %H:%M").to_string());
            }
            (t, true)
        }
        None => ("?".to_string(), false),
    }
}

#[allow(clippy::too_many_arguments)]
fn date(
    buf: &mut Buffer,
    area: Rect,
    purpose: &DatePurpose,
    input: &str,
    hint: Option<&str>,
    s: &InboxScreen,
    state: &State,
    theme: &Theme,
) {
    let rect = layout::centered(area, 60, 7);
    let inner = boxed(buf, rect, &purpose.title(), theme);
    if inner.height == 0 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2);
    input_line(buf, Rect::new(x, inner.y, w, 1), input, true, theme);
    let clears = matches!(purpose, DatePurpose::Reschedule(_));
    let (preview, ok) = date_preview(input, s, state, clears);
    if inner.height > 1 {
        let style = if ok {
            theme.accent_style()
        } else {
            theme.error_style()
        };
        put(buf, x, inner.y + 1, w, &[Span::styled(preview, style)]);
    }
    if inner.height > 2 {
        let text = match hint {
            Some(h) => h.to_string(),
            None => crate::state::inbox::dates::DATE_HINT.to_string(),
        };
        let style = if hint.is_some() {
            theme.error_style()
        } else {
            theme.muted_style()
        };
        for (i, line) in wrap(&text, usize::from(w)).into_iter().take(2).enumerate() {
            let dy = 2 + u16::try_from(i).unwrap_or(0);
            if dy < inner.height.saturating_sub(1) {
                put(buf, x, inner.y + dy, w, &[Span::styled(line, style)]);
            }
        }
    }
    if inner.height > 4 {
        let extra = if clears {
            " · none clears the date"
        } else {
            ""
        };
        footer(
            buf,
            Rect::new(x, inner.y + inner.height - 1, w, 1),
            &format!("enter save · esc cancel{extra}"),
            theme,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn assign(
    buf: &mut Buffer,
    area: Rect,
    n: usize,
    filter: &str,
    selected: usize,
    s: &InboxScreen,
    state: &State,
    theme: &Theme,
) {
    let title = if n == 1 {
        "Reassign to".to_string()
    } else {
        format!("Reassign {n} tasks to")
    };
    let rect = layout::centered(area, 50, 12);
    let inner = boxed(buf, rect, &title, theme);
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
        Teammates::Loaded(_) => {
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
                crate::ui::fill(buf, row, style);
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
            "↑↓ choose · enter assign · esc cancel",
            theme,
        );
    }
}

fn label(buf: &mut Buffer, x: u16, y: u16, w: u16, text: &str, focused: bool, theme: &Theme) {
    let style = if focused {
        theme.accent_style().add_modifier(Modifier::BOLD)
    } else {
        theme.muted_style()
    };
    put(buf, x, y, w, &[Span::styled(text.to_string(), style)]);
}

#[allow(clippy::too_many_arguments)]
fn edit(
    buf: &mut Buffer,
    area: Rect,
    title: &str,
    description: &str,
    field: EditField,
    hint: Option<&str>,
    state: &State,
    theme: &Theme,
) {
    let rect = layout::centered(area, 72, 12);
    let inner = boxed(buf, rect, "Edit task", theme);
    if inner.height == 0 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2);
    let bottom = inner.y + inner.height;
    let mut y = inner.y;
    label(buf, x, y, w, "Title", field == EditField::Title, theme);
    y += 1;
    if y < bottom {
        input_line(
            buf,
            Rect::new(x, y, w, 1),
            title,
            field == EditField::Title,
            theme,
        );
        y += 2;
    }
    if y < bottom {
        label(
            buf,
            x,
            y,
            w,
            "Description",
            field == EditField::Description,
            theme,
        );
        y += 1;
    }
    // The description's end (where typing happens), wrapped.
    let focused = field == EditField::Description;
    let lines = wrap(description, usize::from(w.saturating_sub(1)));
    let room = usize::from(bottom.saturating_sub(y).saturating_sub(2)).max(1);
    let start = lines.len().saturating_sub(room);
    let shown: Vec<String> = if lines.is_empty() {
        vec![String::new()]
    } else {
        lines.into_iter().skip(start).collect()
    };
    let n = shown.len();
    for (i, line) in shown.into_iter().enumerate() {
        if y >= bottom.saturating_sub(1) {
            break;
        }
        let last = i + 1 == n;
        input_line(buf, Rect::new(x, y, w, 1), &line, focused && last, theme);
        y += 1;
    }
    if let Some(h) = hint
        && y < bottom.saturating_sub(1)
    {
        put(
            buf,
            x,
            y,
            w,
            &[Span::styled(h.to_string(), theme.error_style())],
        );
    }
    let save = first_key(state, Command::SaveForm);
    footer(
        buf,
        Rect::new(x, bottom.saturating_sub(1), w, 1),
        &format!("tab next field · enter save from the description · {save} save · esc cancel"),
        theme,
    );
}

fn new_task(
    buf: &mut Buffer,
    area: Rect,
    form: &NewTaskForm,
    s: &InboxScreen,
    state: &State,
    theme: &Theme,
) {
    let rect = layout::centered(area, 64, 16);
    let inner = boxed(buf, rect, "New task", theme);
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
            crate::ui::fill(buf, row, style);
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
                "empty: no due date · tomorrow, fri, +3, 04-01 14:30".to_string()
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
        &format!("tab next field · enter on priority or {save} saves · esc cancel"),
        theme,
    );
}
