//! The database server's CPU time while `closer bench load` writes: user and system time of the
//! postmaster and of all its processes (the live backends, and those it has already reaped),
//! read from /proc. Only for a server on this machine (Linux); elsewhere the figure is absent.
//! Throughput on this VM drifts with its neighbours; CPU per transaction is what a change to
//! the write path moves.

use serde::Serialize;
use sqlx::PgPool;

/// Clock ticks per second of /proc's times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

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
        let parent = Stat::read(u32::try_from(backend).ok()?)?.ppid;
        let name = std::fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
        matches!(name.trim(), "postgres" | "postmaster").then_some(Server { postmaster: parent })
    }

    /// CPU seconds the server has used since it started.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let own = Stat::read(self.postmaster)?;
        let mut ticks = own.utime + own.stime + own.reaped;
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(child) = Stat::read(pid)
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
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    ServerCpu {
        cores: round(cpu_seconds / wall_seconds.max(f64::EPSILON)),
        ms_per_transaction: round(cpu_seconds * 1000.0 / transactions.max(1) as f64),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Stat {
    ppid: u32,
    utime: u64,
    stime: u64,
    /// Children waited for (`cutime + cstime`): the backends that have exited.
    reaped: u64,
}

impl Stat {
    fn read(pid: u32) -> Option<Stat> {
        parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    }
}

/// Fields after the command name (which may hold spaces and parentheses): state is the first,
/// the parent the second, utime, stime, cutime and cstime the 12th to the 15th.
fn parse(stat: &str) -> Option<Stat> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> Option<u64> {
        let value: i64 = fields.get(i)?.parse().ok()?;
        Some(value.max(0) as u64)
    };
    Some(Stat {
        ppid: fields.get(1)?.parse().ok()?,
        utime: ticks(11)?,
        stime: ticks(12)?,
        reaped: ticks(13)? + ticks(14)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_with_spaces_in_the_name_parses() {
        let line = "4242 (postgres: rep (x) idle) S 17 4242 4242 0 -1 4194560 900 0 0 0 \
                    31 7 12 5 20 0 1 0 123456 225000000 3000 18446744073709551615";
        assert_eq!(
            parse(line),
            Some(Stat {
                ppid: 17,
                utime: 31,
                stime: 7,
                reaped: 17
            })
        );
    }

    #[test]
    fn garbage_is_no_reading() {
        assert_eq!(parse("no parenthesis here"), None);
        assert_eq!(parse("1 (x) S"), None);
    }

    #[test]
    fn figures_divide_by_the_run_and_its_transactions() {
        let f = figures(12.0, 6.0, 2000);
        assert_eq!((f.cores, f.ms_per_transaction), (2.0, 6.0));
        assert_eq!(figures(1.0, 0.0, 0).ms_per_transaction, 1000.0);
    }
}
