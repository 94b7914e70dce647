//! The date popup of the inbox, with a preview of the typed date.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::{footer, input_line};
use crate::config::keymap::Command;
use crate::state::inbox::{DatePurpose, InboxScreen};
use crate::state::{State, layout};
use crate::ui::text::wrap;
use crate::ui::widgets::paint::put;
use crate::ui::widgets::{Ctx, Spelling, card_frame, hint as key_hint};

/// What a typed date means, or why not.
pub(super) fn date_preview(
    input: &str,
    s: &InboxScreen,
    state: &State,
    clears: bool,
) -> (String, bool) {
    if !clears && crate::dates::clears(input) && !input.trim().is_empty() {
        return ("✕ Type the date to snooze to".to_string(), false);
    }
    let (today, _) = s.data.local(state.now);
    match crate::dates::preview_in(input, today, state.zone) {
        None if clears => ("→ no due date".to_string(), true),
        None => (String::new(), true),
        Some(Ok(text)) => (text, true),
        Some(Err(why)) => (why, false),
    }
}

pub(super) fn date(
    buf: &mut Buffer,
    area: Rect,
    purpose: &DatePurpose,
    input: &str,
    hint: Option<&str>,
    s: &InboxScreen,
    cx: Ctx<'_>,
) {
    let Ctx { state, theme } = cx;
    let rect = layout::centered(area, 60, 7);
    let inner = card_frame(buf, rect, &purpose.title(), theme);
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
            None => crate::dates::hint(s.data.local(state.now).0),
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
            &format!(
                "{}{extra}",
                key_hint(
                    state,
                    &[(Command::Confirm, "save"), (Command::Cancel, "cancel")],
                    Spelling::Config
                )
            ),
            theme,
        );
    }
}
