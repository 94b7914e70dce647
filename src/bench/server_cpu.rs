//! The database server's CPU time while `closer bench load` writes: user and system time of the
//! postmaster and of all its processes (the live backends, and those it has already reaped),
//! read from /proc. Only for a server on this machine (Linux); elsewhere the figure is absent.
//! Throughput on this VM drifts with its neighbours; CPU per transaction is what a change to
//! the write path moves.

use serde::Serialize;
use sqlx::PgPool;

use super::proc_stat::{self, TICKS_PER_SECOND};
use super::report::round;

#[derive(Debug, Clone, Serialize)]
pub struct ServerCpu {
    /// CPU seconds of the server per second of the run.
    pub cores: f64,
    pub ms_per_transaction: f64,
}

/// A server whose processes this machine can see.
pub struct Server {
    postmaster: u32,
}

impl Server {
    /// The postmaster of `pool`'s server: the parent of one of its backends, if that parent is a
    /// PostgreSQL process here. `local` says the connection goes to this machine (a Unix socket
    /// or a loopback address); a remote backend's pid means nothing here.
    pub async fn find(pool: &PgPool, local: bool) -> Option<Server> {
        if !local {
            return None;
        }
        let backend: i32 = sqlx::query_scalar("select pg_backend_pid()")
            .fetch_one(pool)
            .await
            .ok()?;
        let parent = proc_stat::read(&format!("/proc/{backend}/stat"))?.ppid;
        let name = std::fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
        matches!(name.trim(), "postgres" | "postmaster").then_some(Server { postmaster: parent })
    }

    /// CPU seconds the server has used since it started.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let own = proc_stat::read(&format!("/proc/{}/stat", self.postmaster))?;
        let mut ticks = own.utime + own.stime + own.reaped;
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(child) = proc_stat::read(&format!("/proc/{pid}/stat"))
                && child.ppid == self.postmaster
            {
                ticks += child.utime + child.stime;
            }
        }
        Some(ticks as f64 / TICKS_PER_SECOND)
    }
}

/// What the load run reports from two readings of [`Server::cpu_seconds`].
pub fn figures(cpu_seconds: f64, wall_seconds: f64, transactions: u64) -> ServerCpu {
    ServerCpu {
        cores: round(cpu_seconds / wall_seconds.max(f64::EPSILON)),
        ms_per_transaction: round(cpu_seconds * 1000.0 / transactions.max(1) as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_divide_by_the_run_and_its_transactions() {
        let f = figures(12.0, 6.0, 2000);
        assert_eq!((f.cores, f.ms_per_transaction), (2.0, 6.0));
        assert_eq!(figures(1.0, 0.0, 0).ms_per_transaction, 1000.0);
    }
}
