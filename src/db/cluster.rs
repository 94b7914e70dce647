//! Local PostgreSQL cluster.
