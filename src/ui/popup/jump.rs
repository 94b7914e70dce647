//! The jump-to-lead popup: the typed query and the hits.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::popup::Jump;
use crate::state::{State, layout};
use crate::ui::widgets::paint::{fill, put, put_split, spinner, stage_style};
use crate::ui::widgets::{QueryPopup, popup_hint, query_popup};

pub(super) fn jump_box(
    buf: &mut Buffer,
    area: Rect,
    jump: &Jump,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    let searching = jump.request.is_some() || jump.debounce.is_some();
    let hint = popup_hint(state, &[(Command::Confirm, "go"), (Command::Cancel, "")]);
    let popup = QueryPopup {
        title: "Jump to lead",
        hint: &hint,
        prompt: "/ ",
        query: &jump.input,
        status: if searching {
            format!("{} searching…", spinner(state))
        } else {
            String::new()
        },
        max_width: 64,
        rows: u16::try_from(jump.hits.len()).unwrap_or(u16::MAX),
    };
    let (cursor, list) = query_popup(buf, area, &popup, theme)?;
    let cursor = Some(cursor);
    let Some(list) = list else {
        return cursor;
    };
    if jump.hits.is_empty() {
        let hint = if jump.input.trim().is_empty() {
            "Type a name, email, phone or company"
        } else if jump.searched.is_some() && !searching {
            "No matching leads"
        } else {
            ""
        };
        put_split(
            buf,
            Rect::new(list.x, list.y, list.width, 1),
            &[Span::styled(hint, theme.muted_style())],
            &[],
        );
        return cursor;
    }
    let top = list.y;
    let visible = usize::from(list.bottom().saturating_sub(top));
    let offset = layout::card_offset(0, jump.selected, jump.hits.len(), visible);
    for (i, hit) in jump.hits.iter().enumerate().skip(offset).take(visible) {
        let y = top + u16::try_from(i - offset).unwrap_or(0);
        let selected = i == jump.selected;
        let base = if selected {
            theme.selected_style()
        } else {
            Style::default()
        };
        fill(
            buf,
            Rect::new(list.x.saturating_sub(1), y, list.width + 2, 1),
            base,
        );
        if selected {
            put(
                buf,
                list.x.saturating_sub(1),
                y,
                1,
                &[Span::styled("›", base)],
            );
        }
        let mut left = vec![Span::styled(
            hit.name.clone(),
            base.add_modifier(Modifier::BOLD),
        )];
        if let Some(company) = &hit.company {
            left.push(Span::styled(
                format!(" · {company}"),
                base.patch(theme.muted_style()),
            ));
        }
        // Where the search matched, when not the name (a note's words, a phone, a tag…).
        if let Some(matched) = &hit.matched {
            left.push(Span::styled(
                format!(" — {}", crate::ui::clean(matched)),
                base.patch(theme.muted_style()),
            ));
        }
        let stage = state
            .board
            .column_index(hit.stage_id)
            .and_then(|ci| state.board.columns.get(ci));
        let right = match stage {
            Some(col) => vec![Span::styled(
                col.stage.name.clone(),
                base.patch(stage_style(&col.stage.color, theme)),
            )],
            None => vec![Span::styled(
                "other pipeline",
                base.patch(theme.muted_style()),
            )],
        };
        put_split(buf, Rect::new(list.x, y, list.width, 1), &left, &right);
    }
    cursor
}
