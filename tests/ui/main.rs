//! The state+render tests in one binary (one link instead of three): reducer behaviour and insta
//! snapshots of whole frames, no database. Snapshots live in `tests/ui/snapshots/`, named after
//! the module (`ui__board_ui__…`).

mod board_ui;
mod bulk_ui;
mod closing_more_ui;
mod closing_ui;
mod currency_ui;
mod editor_ui;
mod find_ui;
mod harness;
mod help_ui;
mod inbox_ui;
mod input_ui;
mod insights_ui;
mod lead_ui;
mod lifecycle_ui;
mod loop_ui;
mod monkey_ui;
mod palette_ui;
mod pictures;
mod undo_ui;
