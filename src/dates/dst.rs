//! Wall-clock times on DST days, in the rep's IANA time zone (`profiles.time_zone`): a time in
//! the spring-forward gap does not exist and is refused with the first time that does; a time in
//! the fall-back hour happens twice and the preview says which one is meant: the first. Due
//! times are stored as wall-clock values and "overdue" (`closer.task_overdue`, 0006) compares
//! them with the wall clock at `now` in the rep's zone, so the task falls due the first time the
//! clock shows it (not the standard-time reading PostgreSQL gives a `timestamptz` cast).

use chrono::{Duration, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::{DateError, Due};

/// What a due date and time is in `zone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WallClock {
    /// No time, or a time that happens once.
    Plain,
    /// Happens twice (clocks go back): the first is meant, at this UTC offset (`+02:00`).
    Twice(String),
}

/// Checks the time of `due` in `zone`: `Err` (with the first time that exists) when the clocks
/// skip it, [`WallClock::Twice`] when they pass it twice.
pub fn check(due: &Due, zone: Tz) -> Result<WallClock, DateError> {
    let Some(time) = due.time else {
        return Ok(WallClock::Plain);
    };
    let at = due.date.and_time(time);
    match zone.from_local_datetime(&at) {
        LocalResult::Single(_) => Ok(WallClock::Plain),
        LocalResult::Ambiguous(first, _) => Ok(WallClock::Twice(offset(
            first.offset().fix().local_minus_utc(),
        ))),
        LocalResult::None => {
            let next = first_existing(zone, at);
            Err(DateError(format!(
                "{} does not exist on {} in {zone}: the clocks jump forward{}",
                time.format("%H:%M"),
                due.date.format("%b %-d"),
                next.map(|n| format!("; try {}", n.format("%H:%M")))
                    .unwrap_or_default(),
            )))
        }
    }
}

/// The first wall-clock minute after `at` that exists in `zone` (gaps are at most a few hours).
pub(super) fn first_existing(zone: Tz, at: NaiveDateTime) -> Option<NaiveDateTime> {
    (1..=24 * 60)
        .map(|m| at + Duration::minutes(m))
        .find(|t| !matches!(zone.from_local_datetime(t), LocalResult::None))
}

/// `+02:00` from seconds east of UTC.
fn offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    format!("{sign}{:02}:{:02}", s / 3600, (s % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    fn due(y: i32, m: u32, d: u32, h: u32, min: u32) -> Due {
        Due {
            date: NaiveDate::from_ymd_opt(y, m, d).expect("date"),
            time: NaiveTime::from_hms_opt(h, min, 0),
        }
    }

    #[test]
    fn berlin_spring_forward_gap_is_refused_with_the_next_time() {
        // 2026-03-29: 02:00 CET → 03:00 CEST.
        let zone = chrono_tz::Europe::Berlin;
        let e = check(&due(2026, 3, 29, 2, 30), zone).expect_err("02:30 does not exist");
        assert_eq!(
            e.0,
            "02:30 does not exist on Mar 29 in Europe/Berlin: the clocks jump forward; try 03:00"
        );
        assert_eq!(check(&due(2026, 3, 29, 3, 0), zone), Ok(WallClock::Plain));
        assert_eq!(check(&due(2026, 3, 29, 1, 59), zone), Ok(WallClock::Plain));
        // The same wall-clock time a day later exists.
        assert_eq!(check(&due(2026, 3, 30, 2, 30), zone), Ok(WallClock::Plain));
    }

    #[test]
    fn berlin_fall_back_hour_happens_twice_and_the_first_is_meant() {
        // 2026-10-25: 03:00 CEST → 02:00 CET.
        let zone = chrono_tz::Europe::Berlin;
        assert_eq!(
            check(&due(2026, 10, 25, 2, 30), zone),
            Ok(WallClock::Twice("+02:00".to_string()))
        );
        assert_eq!(check(&due(2026, 10, 25, 3, 0), zone), Ok(WallClock::Plain));
    }

    #[test]
    fn new_york_gap_and_repeated_hour() {
        let zone = chrono_tz::America::New_York;
        // 2026-03-08: 02:00 EST → 03:00 EDT.
        let e = check(&due(2026, 3, 8, 2, 15), zone).expect_err("02:15 does not exist");
        assert!(e.0.contains("America/New_York"), "{e}");
        assert!(e.0.ends_with("try 03:00"), "{e}");
        // 2026-11-01: 02:00 EDT → 01:00 EST: 01:30 twice, the first (EDT, -04:00) is meant.
        match check(&due(2026, 11, 1, 1, 30), zone) {
            Ok(WallClock::Twice(offset)) => assert_eq!(offset, "-04:00"),
            other => panic!("expected twice, got {other:?}"),
        }
        // Berlin's DST days are ordinary days in New York (and the other way round).
        assert_eq!(check(&due(2026, 3, 29, 2, 30), zone), Ok(WallClock::Plain));
        assert_eq!(
            check(&due(2026, 3, 8, 2, 15), chrono_tz::Europe::Berlin),
            Ok(WallClock::Plain)
        );
    }

    #[test]
    fn previews_say_which_of_the_two_and_refuse_the_gap() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        let zone = Some(chrono_tz::Europe::Berlin);
        assert_eq!(
            crate::dates::preview_in("2026-10-25 02:30", today, zone),
            Some(Ok(
                "→ Sun Oct 25 02:30 UTC+02:00 · happens twice (clocks go back), the first"
                    .to_string()
            ))
        );
        assert_eq!(
            crate::dates::preview_in("2026-03-29 2:30am", today, zone),
            Some(Err("✕ 02:30 is skipped by DST; try 03:00".to_string()))
        );
        // Without a known zone nothing is checked.
        assert!(matches!(
            crate::dates::preview_in("2026-03-29 2:30am", today, None),
            Some(Ok(_))
        ));
        assert!(crate::dates::parse_in("2026-03-29 02:30", today, zone).is_err());
        assert!(crate::dates::parse_in("2026-03-29", today, zone).is_ok());
    }

    #[test]
    fn dates_without_a_time_are_never_refused() {
        let zone = chrono_tz::Europe::Berlin;
        let d = Due {
            date: NaiveDate::from_ymd_opt(2026, 3, 29).expect("date"),
            time: None,
        };
        assert_eq!(check(&d, zone), Ok(WallClock::Plain));
    }
}
