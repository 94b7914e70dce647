//! CPU times of a process or thread from /proc (Linux): the one parser of `/proc/<pid>/stat` the
//! benches use (the watching TUI's own thread, the database server's processes), and how long
//! this thread has waited for a core (`/proc/thread-self/schedstat`).

use std::thread::ThreadId;
use std::time::Duration;

/// Clock ticks per second of /proc's times (USER_HZ, 100 on Linux).
pub const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Debug, PartialEq, Eq)]
pub struct Stat {
    pub ppid: u32,
    pub utime: u64,
    pub stime: u64,
    /// Children waited for (`cutime + cstime`): for a postmaster, the backends that have exited.
    pub reaped: u64,
}

/// The stat of `/proc/<pid>/stat`, `/proc/thread-self/stat` or any file of that format.
pub fn read(path: &str) -> Option<Stat> {
    parse(&std::fs::read_to_string(path).ok()?)
}

/// CPU ticks (user + system) of this process's threads called `name` (`/proc/self/task`); a
/// thread that ends while it is read is left out.
pub fn threads_ticks(name: &str) -> Option<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let dir = entry.path();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        if comm.trim_end() != name {
            continue;
        }
        if let Some(stat) = std::fs::read_to_string(dir.join("stat"))
            .ok()
            .and_then(|text| parse(&text))
        {
            total += stat.utime + stat.stime;
        }
    }
    Some(total)
}

/// How long a thread has waited, runnable, for a core since it started: the kernel's run-queue
/// delay. Two readings of the same thread bound what a stretch of its work lost to other
/// processes holding the cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreWait {
    pub thread: ThreadId,
    pub waited: Duration,
}

impl CoreWait {
    /// This thread's reading, or `None` where the kernel keeps no schedstat.
    pub fn now() -> Option<CoreWait> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        Some(CoreWait {
            thread: std::thread::current().id(),
            waited: parse_run_delay(&text)?,
        })
    }

    /// The wait between `earlier` and this reading, if both are of the same thread.
    pub fn since(&self, earlier: &CoreWait) -> Option<Duration> {
        (self.thread == earlier.thread).then(|| self.waited.saturating_sub(earlier.waited))
    }
}

/// `schedstat` is "<ns on a core> <ns waiting on a run queue> <time slices>".
fn parse_run_delay(schedstat: &str) -> Option<Duration> {
    let ns: u64 = schedstat.split_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(ns))
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
    fn this_thread_has_a_reading() {
        assert!(read("/proc/thread-self/stat").is_some());
    }

    #[test]
    fn a_run_delay_is_the_second_schedstat_field() {
        assert_eq!(
            parse_run_delay("944059 1500000 12\n"),
            Some(Duration::from_micros(1500))
        );
        assert_eq!(parse_run_delay("944059"), None);
        assert_eq!(parse_run_delay("a b c"), None);
    }

    #[test]
    fn core_waits_compare_only_within_a_thread() {
        let Some(here) = CoreWait::now() else {
            // A kernel without schedstat: the bench reports no core waits, nothing to check.
            return;
        };
        let later = CoreWait::now().expect("a second reading");
        assert!(later.since(&here).is_some());
        let elsewhere = std::thread::spawn(CoreWait::now)
            .join()
            .expect("the thread ends")
            .expect("its reading");
        assert_eq!(elsewhere.since(&here), None);
    }

    #[test]
    fn threads_are_summed_by_name() {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let (busy_tx, busy_rx) = std::sync::mpsc::channel();
        let probe = std::thread::Builder::new()
            .name("ticks-probe".into())
            .spawn(move || {
                // Spin until /proc has counted 3 ticks of this thread, then stay alive.
                let own = || read("/proc/thread-self/stat").map_or(0, |s| s.utime + s.stime);
                while own() < 3 {
                    std::hint::spin_loop();
                }
                let _ = busy_tx.send(own());
                let _ = done_rx.recv();
            })
            .expect("a thread");
        let own_ticks = busy_rx.recv().expect("the probe's ticks");
        assert!(threads_ticks("ticks-probe").expect("a reading") >= own_ticks);
        assert_eq!(threads_ticks("no-such-thread"), Some(0));
        let _ = done_tx.send(());
        probe.join().expect("the probe ends");
    }
}
