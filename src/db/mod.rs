//! Database administration: the private local cluster, migrations, provisioning and seeding.

pub mod admin;
pub mod cluster;
pub mod compact;
pub mod scram;
pub mod seed;
pub mod seed_filters;
pub mod seed_history;
pub mod seed_insights;
pub mod seed_totals;
mod upgrade;
