//! The picker popup (stages, pipelines).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::popup::{Picker, PickerKind};
use crate::state::{State, layout};
use crate::ui::widgets::paint::{fill, put, put_split, stage_style};
use crate::ui::widgets::{popup_frame, popup_hint};

pub(super) fn picker_box(
    buf: &mut Buffer,
    area: Rect,
    picker: &Picker,
    state: &State,
    theme: &Theme,
) {
    let (hint, width) = if picker.kind == PickerKind::View {
        let hint = popup_hint(
            state,
            &[
                (Command::Confirm, "show"),
                (Command::RenameView, "rename"),
                (Command::DeleteView, "delete"),
                (Command::ShareView, "share"),
                (Command::DefaultView, "start view"),
                (Command::Cancel, ""),
            ],
        );
        (hint, 72)
    } else {
        let hint = popup_hint(state, &[(Command::Confirm, "pick"), (Command::Cancel, "")]);
        (hint, 44)
    };
    let items = u16::try_from(picker.items.len()).unwrap_or(u16::MAX);
    let rect = layout::centered(area, width, items.saturating_add(2));
    let inner = popup_frame(buf, rect, &picker.title, &hint, theme);
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
                PickerKind::Stage { .. } | PickerKind::BulkStage => "here",
                PickerKind::Pipeline => "shown",
                PickerKind::View => "default",
            };
            vec![Span::styled(what, base.patch(theme.muted_style()))]
        } else {
            Vec::new()
        };
        put_split(buf, Rect::new(inner.x, y, inner.width, 1), &left, &right);
    }
}
