//! The help popup: the bindings in effect, by scope.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::popup::Help;
use crate::state::{State, layout};
use crate::ui::widgets::paint::put_split;
use crate::ui::widgets::{first_key, popup_frame, popup_hint};

pub(super) fn help_box(buf: &mut Buffer, area: Rect, help: &Help, state: &State, theme: &Theme) {
    let hint = format!(
        "{} · {}/{} scroll",
        popup_hint(state, &[(Command::Cancel, "close")]),
        first_key(state, Command::Down),
        first_key(state, Command::Up)
    );
    let lines = u16::try_from(help.line_count()).unwrap_or(u16::MAX);
    let rect = layout::centered(area, 64, lines.saturating_add(2));
    let inner = popup_frame(buf, rect, "Keys", &hint, theme);
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
