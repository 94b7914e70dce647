//! The data layer: models, the PostgreSQL store (the only place the TUI's SQL lives), and errors.

mod board_filter;
pub mod bulk;
pub mod closing;
pub mod closing_reasons;
pub mod connect;
pub mod error;
pub mod export;
pub mod filter_sql;
pub mod import;
pub mod inbox;
pub mod insights;
pub mod lead;
pub mod lifecycle;
pub mod live;
pub mod models;
mod outcome;
pub mod pipeline_editor;
pub mod script;
mod search;
pub mod session;
pub mod store;
mod task;
mod validate;
pub mod views;

pub use error::DataError;
pub use store::PgStore;
