//! Drawing: `draw(frame, &State, &Theme)` borrows the state and paints one frame. Widgets write
//! straight into the frame buffer; every write is clipped to the buffer, so no terminal size can
//! make drawing panic.

mod board;
mod chrome;
mod inbox;
mod insights;
mod lead;
mod popup;
pub mod text;
pub mod widgets;

use ratatui::Frame;

use crate::config::theme::Theme;
use crate::state::{Screen, State, layout};

pub use text::{clean, fit, truncate, width};
pub use widgets::paint::{SPINNER, parse_hex, spinner, stage_style};

/// Paints the whole screen.
pub fn draw(frame: &mut Frame<'_>, state: &State, theme: &Theme) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    if layout::too_small(area.width, area.height) {
        chrome::too_small(buf, area, theme);
        return;
    }
    let regions = layout::frame(area, state.message.is_some());
    match &state.screen {
        Screen::Board => {
            let (columns, hint) = crate::state::layout::board_split(regions.body);
            board::draw(buf, columns, state, theme);
            if let Some(row) = hint {
                board::hints(buf, row, state, theme);
            }
        }
        Screen::Lead(screen) => lead::draw(buf, regions.body, screen, state, theme),
        Screen::Inbox(screen) => inbox::draw(buf, regions.body, screen, state, theme),
        Screen::Insights(screen) => insights::draw(buf, regions.body, screen, state, theme),
    }
    if let (Some(rect), Some(message)) = (regions.message, &state.message) {
        chrome::message_line(buf, rect, message, theme);
    }
    chrome::status_bar(buf, regions.status, state, theme);
    if let Some(cursor) = popup::draw(buf, regions.body, state, theme) {
        frame.set_cursor_position(cursor);
    }
}
