//! The conflict popup: mine and theirs field by field after someone saved first.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::popup::ConflictPrompt;
use crate::state::{State, layout};
use crate::ui::widgets::paint::{put, put_split};
use crate::ui::widgets::{first_key, popup_frame, popup_key};

pub(super) fn conflict_box(
    buf: &mut Buffer,
    area: Rect,
    prompt: &ConflictPrompt,
    state: &State,
    theme: &Theme,
) {
    let rows = u16::try_from(prompt.rows.len()).unwrap_or(u16::MAX);
    let w = area.width.saturating_sub(4).min(96);
    let h = rows.saturating_add(7).min(area.height);
    let rect = layout::centered(area, w, h);
    let footer = if prompt.saving.is_some() {
        "saving…".to_string()
    } else {
        format!(
            "{}/{} save · {} back to the form",
            popup_key(state, Command::Confirm),
            first_key(state, Command::SaveForm),
            popup_key(state, Command::Cancel)
        )
    };
    let inner = popup_frame(
        buf,
        rect,
        "Someone else changed this lead · choose per field",
        &footer,
        theme,
    );
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let lw = 14u16.min(inner.width / 4);
    let col_w = inner.width.saturating_sub(lw + 2) / 2;
    let mine_x = inner.x + lw + 1;
    let theirs_x = mine_x + col_w + 1;
    let muted = theme.muted_style();
    put(buf, inner.x, inner.y, lw, &[Span::styled("Field", muted)]);
    put(
        buf,
        mine_x,
        inner.y,
        col_w,
        &[Span::styled("Mine (m)", muted)],
    );
    put(
        buf,
        theirs_x,
        inner.y,
        col_w,
        &[Span::styled("Theirs (t)", muted)],
    );
    let list_h = usize::from(inner.height.saturating_sub(3));
    let offset = layout::card_offset(0, prompt.selected, prompt.rows.len(), list_h);
    for (n, (i, row)) in prompt
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(list_h)
        .enumerate()
    {
        let y = inner.y + 1 + u16::try_from(n).unwrap_or(0);
        let sel = i == prompt.selected;
        let label_style = if sel {
            theme.accent_style().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        let both = if row.both { "!" } else { " " };
        put_split(
            buf,
            Rect::new(inner.x, y, lw, 1),
            &[
                Span::styled(if sel { "›" } else { " " }, label_style),
                Span::styled(row.label, label_style),
                Span::styled(both, theme.stale_style()),
            ],
            &[],
        );
        let chosen = |yes: bool| {
            if yes {
                if sel {
                    theme.selected_style()
                } else {
                    Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                }
            } else {
                muted
            }
        };
        let show = |v: &str| {
            if v.is_empty() {
                "(empty)".to_string()
            } else {
                v.to_string()
            }
        };
        let mark = |yes: bool| if yes { "✓ " } else { "  " };
        put_split(
            buf,
            Rect::new(mine_x, y, col_w, 1),
            &[Span::styled(
                format!("{}{}", mark(row.take_mine), show(&row.mine)),
                chosen(row.take_mine),
            )],
            &[],
        );
        put_split(
            buf,
            Rect::new(theirs_x, y, col_w, 1),
            &[Span::styled(
                format!("{}{}", mark(!row.take_mine), show(&row.theirs)),
                chosen(!row.take_mine),
            )],
            &[],
        );
    }
    let help_y = inner.bottom().saturating_sub(2);
    if help_y > inner.y {
        put_split(
            buf,
            Rect::new(inner.x, help_y, inner.width, 1),
            &[Span::styled(
                "m mine · t theirs · space toggle · M all mine · T all theirs · ! both changed it",
                muted,
            )],
            &[],
        );
    }
    let msg_y = inner.bottom().saturating_sub(1);
    if msg_y > inner.y {
        let (text, style) = match (&prompt.error, prompt.saving) {
            (_, Some(_)) => ("Saving…".to_string(), Style::default()),
            (Some(e), None) => (format!("✕ {e}"), theme.error_style()),
            (None, None) => (
                format!("Saving writes over version {}", prompt.version),
                muted,
            ),
        };
        put_split(
            buf,
            Rect::new(inner.x, msg_y, inner.width, 1),
            &[Span::styled(text, style)],
            &[],
        );
    }
}
