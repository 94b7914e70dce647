//! The menu popups of the inbox (snooze, priority): quick keys and a selection.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use crate::config::theme::Theme;
use crate::state::inbox::{InboxScreen, PRIORITY_CHOICES, SNOOZE_CHOICES};
use crate::state::popup::Popup;
use crate::state::{State, layout};
use crate::ui::text::width;
use crate::ui::widgets::card_frame;
use crate::ui::widgets::paint::put;

pub(super) fn menu(
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
    let inner = card_frame(buf, rect, title, theme);
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
        crate::ui::widgets::paint::fill(buf, row, style);
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

/// The snooze and priority menus.
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
        _ => {}
    }
}
