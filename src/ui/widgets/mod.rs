//! Small widgets shared by screens and popups: the rounded frame and the key hints.

mod frame;
mod hint;
pub mod paint;
mod query;

pub use frame::{card_frame, popup_frame};
pub use query::{QueryPopup, query_popup};

use crate::config::theme::Theme;
use crate::state::State;

/// What drawing reads besides the buffer: the state and the theme (passed as one value).
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub state: &'a State,
    pub theme: &'a Theme,
}
pub use hint::{Spelling, first_key, hint, key_text, popup_hint, popup_key};
