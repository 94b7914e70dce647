//! The task edit popup of the inbox.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::{footer, input_line, label};
use crate::config::keymap::Command;
use crate::state::inbox::EditField;
use crate::state::layout;
use crate::ui::text::wrap;
use crate::ui::widgets::paint::put;
use crate::ui::widgets::{Ctx, card_frame, first_key};

pub(super) fn edit(
    buf: &mut Buffer,
    area: Rect,
    title: &str,
    description: &str,
    field: EditField,
    hint: Option<&str>,
    cx: Ctx<'_>,
) {
    let Ctx { state, theme } = cx;
    let rect = layout::centered(area, 72, 12);
    let inner = card_frame(buf, rect, "Edit task", theme);
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
        &format!(
            "tab next field · {} save from the description · {save} save · {} cancel",
            first_key(state, Command::Confirm),
            first_key(state, Command::Cancel)
        ),
        theme,
    );
}
