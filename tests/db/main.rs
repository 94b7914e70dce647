//! Every database test in one binary (issue 15): one link instead of twenty, one private cluster
//! shared by all of them (see `common`), and one template database migrated once per cluster.
//! Tests that stop, restart or reconfigure a server keep their own binaries (`faults`, `cluster`,
//! `demo_share`, `pooler`), as do the tmux end-to-end tests.
//!
//! Run one family with a module filter: `cargo test --test db closing::`.

#[path = "../common/mod.rs"]
mod common;
mod shell_util;
mod stage_deltas;

mod admin;
mod authors;
mod bench;
mod cli;
mod closed_flag;
mod closing;
mod closing_more;
mod cockpit;
mod cockpit_demo;
mod cockpit_insights;
mod compact;
mod currency;
mod find;
mod hot_rows;
mod import;
mod import_lost;
mod import_scale;
mod inbox_data;
mod input_data;
mod insights_facts;
mod insights_folded;
mod lead_data;
mod lifecycle;
mod live;
mod rls;
mod scale;
mod seed_story;
mod shell;
mod tag_spelling;
mod tenancy;
mod undo_data;
mod upgrade;
