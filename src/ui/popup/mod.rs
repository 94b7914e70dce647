//! Drawing the open popup over the screen body: one file per popup, the same names as in
//! `state/popup/`. Each fits whatever area it gets; the text cursor position is returned.

mod assign;
mod closing;
mod conflict;
mod date;
mod edit_task;
mod editor;
mod filter;
mod filter_bar;
mod form;
mod help;
mod jump;
mod menu;
mod new_task;
mod owner;
mod palette;
mod picker;
mod prompt;
mod tags;

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::theme::Theme;
use crate::state::popup::Popup;
use crate::state::{Screen, State};
use crate::ui::widgets::Ctx;
use crate::ui::widgets::paint::put;

/// Draws the open popup over `area`; returns where the text cursor goes, if any.
pub(super) fn draw(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) -> Option<Position> {
    let popup = state.popup.as_ref()?;
    match popup {
        Popup::Help(help) => help::help_box(buf, area, help, state, theme),
        Popup::Picker(picker) => picker::picker_box(buf, area, picker, state, theme),
        Popup::Prompt(prompt) => return prompt::prompt_box(buf, area, prompt, state, theme),
        Popup::Jump(jump) => return jump::jump_box(buf, area, jump, state, theme),
        Popup::Closing(dialog) => {
            return closing::closing_box(buf, area, dialog, state, theme);
        }
        Popup::Form(form) => return form::form_box(buf, area, form, state, theme),
        Popup::Conflict(prompt) => conflict::conflict_box(buf, area, prompt, state, theme),
        Popup::Tags(editor) => return tags::tags_box(buf, area, editor, state, theme),
        Popup::Filter { selected } => filter::filter_box(buf, area, *selected, state, theme),
        Popup::Editor(editor) => editor::editor_box(buf, area, editor, state, theme),
        Popup::FilterBar(bar) => return filter_bar::filter_bar_box(buf, area, bar, state, theme),
        Popup::Palette(palette) => return palette::palette_box(buf, area, palette, state, theme),
        Popup::Owner(p) => owner::owner_box(buf, area, p, state, theme),
        Popup::DeleteLead(c) => owner::delete_box(buf, area, c, state, theme),
        // The inbox's popups read the inbox they are over.
        _ => {
            if let Screen::Inbox(s) = &state.screen {
                inbox_popup(buf, area, popup, s, state, theme);
            }
        }
    }
    None
}

fn inbox_popup(
    buf: &mut Buffer,
    area: Rect,
    popup: &Popup,
    s: &crate::state::inbox::InboxScreen,
    state: &State,
    theme: &Theme,
) {
    match popup {
        Popup::Snooze { .. } | Popup::Priority { .. } => {
            menu::draw(buf, area, popup, s, state, theme)
        }
        Popup::Date {
            purpose,
            input,
            hint,
        } => date::date(
            buf,
            area,
            purpose,
            input,
            hint.as_deref(),
            s,
            Ctx { state, theme },
        ),
        Popup::Assign {
            ids,
            filter,
            selected,
        } => assign::assign(
            buf,
            area,
            ids.len(),
            filter,
            *selected,
            s,
            Ctx { state, theme },
        ),
        Popup::Edit {
            title,
            description,
            field,
            hint,
            ..
        } => edit_task::edit(
            buf,
            area,
            title,
            description,
            *field,
            hint.as_deref(),
            Ctx { state, theme },
        ),
        Popup::NewTask(form) => new_task::new_task(buf, area, form, s, state, theme),
        _ => {}
    }
}

/// An input line: the text (its end, if it is longer than the row) and a block cursor.
pub(super) fn input_line(buf: &mut Buffer, row: Rect, text: &str, focused: bool, theme: &Theme) {
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

pub(super) fn footer(buf: &mut Buffer, row: Rect, text: &str, theme: &Theme) {
    put(
        buf,
        row.x,
        row.y,
        row.width,
        &[Span::styled(text.to_string(), theme.muted_style())],
    );
}

pub(super) fn label(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    w: u16,
    text: &str,
    focused: bool,
    theme: &Theme,
) {
    let style = if focused {
        theme.accent_style().add_modifier(Modifier::BOLD)
    } else {
        theme.muted_style()
    };
    put(buf, x, y, w, &[Span::styled(text.to_string(), style)]);
}
