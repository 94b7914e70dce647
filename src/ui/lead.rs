//! Draws the lead detail screen.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::config::theme::Theme;
use crate::state::State;
use crate::state::lead::LeadScreen;

pub fn draw(buf: &mut Buffer, area: Rect, screen: &LeadScreen, _state: &State, theme: &Theme) {
    super::chrome::lead_placeholder(buf, area, &screen.name, theme);
}
