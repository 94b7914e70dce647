//! Small widgets shared by screens and popups: the rounded frame and the key hints.

mod frame;
mod hint;
pub mod paint;

pub use frame::{card_frame, popup_frame};
pub use hint::first_key;
