//! The owner picker and the delete confirmation (issue 12: owner and lifecycle).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use super::input_line;
use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::State;
use crate::state::inbox::Assignees;
use crate::state::layout;
use crate::state::popup::delete::DeleteConfirm;
use crate::state::popup::filtered_teammates;
use crate::state::popup::owner::OwnerPicker;
use crate::ui::widgets::paint::{fill, put, spinner};
use crate::ui::widgets::{popup_frame, popup_key};

pub(super) fn owner_box(
    buf: &mut Buffer,
    area: Rect,
    p: &OwnerPicker,
    state: &State,
    theme: &Theme,
) {
    let rect = layout::centered(area, 56, 12);
    let footer = format!(
        "↑↓ choose · tab complete · {} give · {} cancel",
        popup_key(state, Command::Confirm),
        popup_key(state, Command::Cancel)
    );
    let title = format!("Owner of {}", p.name);
    let inner = popup_frame(buf, rect, &title, &footer, theme);
    if inner.height == 0 || inner.width < 3 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2);
    input_line(buf, Rect::new(x, inner.y, w, 1), &p.filter, true, theme);
    if p.filter.is_empty() && w > 2 {
        put(
            buf,
            x + 2,
            inner.y,
            w - 2,
            &[Span::styled("type a name", theme.muted_style())],
        );
    }
    let list_top = inner.y + 1;
    let list_h = inner.height.saturating_sub(1);
    let members = &state.board.lifecycle.members;
    if !matches!(members, Assignees::Loaded(_)) {
        if list_h > 0 {
            let text = format!("{} loading the team…", spinner(state));
            put(
                buf,
                x,
                list_top,
                w,
                &[Span::styled(text, theme.muted_style())],
            );
        }
    } else {
        let people = filtered_teammates(members, &p.filter);
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
        let offset = layout::card_offset(0, p.selected, people.len(), visible);
        for (i, m) in people.iter().enumerate().skip(offset).take(visible) {
            let dy = u16::try_from(i - offset).unwrap_or(0);
            let style = if i == p.selected {
                theme.selected_style()
            } else {
                Style::default()
            };
            let row = Rect::new(inner.x, list_top + dy, inner.width, 1);
            fill(buf, row, style);
            let mut spans = vec![Span::styled(format!(" {}", m.name), style)];
            if m.me {
                spans.push(Span::styled(" (me)", style.patch(theme.muted_style())));
            }
            if p.current == Some(m.id) {
                spans.push(Span::styled(
                    " · owner now",
                    style.patch(theme.muted_style()),
                ));
            }
            put(buf, row.x, row.y, row.width, &spans);
        }
    }
}

pub(super) fn delete_box(
    buf: &mut Buffer,
    area: Rect,
    c: &DeleteConfirm,
    state: &State,
    theme: &Theme,
) {
    let rect = layout::centered(area, 56, 7);
    let footer = format!(
        "{} delete · {} keep it",
        popup_key(state, Command::Confirm),
        popup_key(state, Command::Cancel)
    );
    let title = if c.bulk {
        "Delete leads"
    } else {
        "Delete lead"
    };
    let inner = popup_frame(buf, rect, title, &footer, theme);
    if inner.height == 0 || inner.width < 3 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2);
    put(
        buf,
        x,
        inner.y,
        w,
        &[Span::raw(format!("Delete {}?", c.name))],
    );
    if inner.height > 1 {
        put(
            buf,
            x,
            inner.y + 1,
            w,
            &[Span::styled(
                "Tasks, notes and deals go too. There is no undo.",
                theme.muted_style(),
            )],
        );
    }
}
