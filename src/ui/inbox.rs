//! Draws the task inbox.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::config::theme::Theme;
use crate::state::State;
use crate::state::inbox::InboxScreen;

pub fn draw(buf: &mut Buffer, area: Rect, _screen: &InboxScreen, _state: &State, theme: &Theme) {
    super::chrome::lead_placeholder(buf, area, "Task inbox", theme);
}
