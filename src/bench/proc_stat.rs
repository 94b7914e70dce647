//! CPU times of a process or thread from /proc (Linux): the one parser of `/proc/<pid>/stat` the
//! benches use (the watching TUI's own thread, the database server's processes).

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
}
