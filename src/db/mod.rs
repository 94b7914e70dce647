//! Database administration: the private local cluster, migrations, provisioning and seeding.

pub mod cluster;
