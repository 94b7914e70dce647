//! One entry point per subcommand; `main` only dispatches here.

pub mod admin;
pub mod bench;
pub mod demo;
pub mod open;
pub mod report;
