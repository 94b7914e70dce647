//! The data layer: models, the PostgreSQL store (the only place the TUI's SQL lives), and errors.

pub mod connect;
pub mod error;
pub mod import;
pub mod inbox;
pub mod lead;
pub mod live;
pub mod models;
mod outcome;
pub mod script;
pub mod session;
pub mod store;
mod task;
mod validate;

pub use error::DataError;
pub use store::PgStore;
