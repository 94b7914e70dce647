//! Closer: a keyboard-first terminal CRM on PostgreSQL with row-level security.

pub mod app;
pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod currency;
pub mod data;
pub mod dates;
pub mod db;
pub mod errors;
pub mod filter;
pub mod script;
pub mod state;
pub mod text;
pub mod tui;
pub mod ui;
