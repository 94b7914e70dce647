//! Due dates as a rep types and reads them: `tomorrow`, `fri`, `+3`, `2025-04-01 14:30`, and
//! "2d overdue" / "today 14:00" / "in 3d" back. Pure functions of a given `today`.

use chrono::{NaiveDate, NaiveTime};

pub use crate::dates::{Due, next_weekday};

/// Parses a typed due date relative to `today` with the one parser (`crate::dates`); `None`
/// when it is not understood (`crate::dates::parse` says why).
pub fn parse_due(text: &str, today: NaiveDate) -> Option<Due> {
    crate::dates::parse(text, today).ok()
}

/// A due date relative to `today` (and the local time `now_time`), short: `3d overdue`,
/// `overdue 14:00`, `today 14:00`, `today`, `tomorrow`, `in 3d`, `Mon 17`, `—` for none. The
/// bool is true when the task is overdue.
pub fn relative_due(
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
    today: NaiveDate,
    now_time: NaiveTime,
) -> (String, bool) {
    let Some(date) = date else {
        return ("no date".to_string(), false);
    };
    let hm = time.map(|t| t.format("%H:%M").to_string());
    let days = (date - today).num_days();
    match days {
        d if d < 0 => {
            let n = -d;
            let text = if n == 1 {
                "yesterday".to_string()
            } else if n < 14 {
                format!("{n}d overdue")
            } else if n < 60 {
                format!("{}w overdue", n / 7)
            } else {
                format!("{}mo overdue", n / 30)
            };
            (text, true)
        }
        0 => {
            let overdue = time.is_some_and(|t| t < now_time);
            match hm {
                Some(hm) => (format!("today {hm}"), overdue),
                None => ("today".to_string(), false),
            }
        }
        1 => (
            match hm {
                Some(hm) => format!("tomorrow {hm}"),
                None => "tomorrow".to_string(),
            },
            false,
        ),
        d if d < 7 => (format!("in {d}d"), false),
        d if d < 300 => (date.format("%b %-d").to_string(), false),
        _ => (date.format("%Y-%m-%d").to_string(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn parses_what_reps_type() {
        // Friday 2025-03-14.
        let today = d(2025, 3, 14);
        let p = |s: &str| parse_due(s, today).map(|due| due.date);
        assert_eq!(p("today"), Some(today));
        assert_eq!(p("tomorrow"), Some(d(2025, 3, 15)));
        assert_eq!(p("+3"), Some(d(2025, 3, 17)));
        assert_eq!(p("3d"), Some(d(2025, 3, 17)));
        assert_eq!(p("2w"), Some(d(2025, 3, 28)));
        assert_eq!(p("mon"), Some(d(2025, 3, 17)));
        assert_eq!(p("fri"), Some(d(2025, 3, 21)));
        assert_eq!(p("next week"), Some(d(2025, 3, 17)));
        assert_eq!(p("2025-04-01"), Some(d(2025, 4, 1)));
        assert_eq!(p("04-01"), Some(d(2025, 4, 1)));
        assert_eq!(p("01-02"), Some(d(2026, 1, 2)));
        assert_eq!(p("1.4."), Some(d(2025, 4, 1)));
        assert_eq!(p("soon"), None);
        assert_eq!(p(""), None);
        assert_eq!(p("2025-02-30"), None);
        let with_time = parse_due("tom 14:30", today).expect("parses");
        assert_eq!(with_time.time, NaiveTime::from_hms_opt(14, 30, 0));
        let pm = parse_due("mon 2pm", today).expect("parses");
        assert_eq!(pm.time, NaiveTime::from_hms_opt(14, 0, 0));
        let bare = parse_due("9:15", today).expect("parses");
        assert_eq!(
            (bare.date, bare.time),
            (today, NaiveTime::from_hms_opt(9, 15, 0))
        );
        assert!(parse_due("tom 25:00", today).is_none());
    }

    #[test]
    fn reads_relative() {
        let today = d(2025, 3, 14);
        let noon = NaiveTime::from_hms_opt(12, 0, 0).expect("valid time");
        let r = |date, time| relative_due(date, time, today, noon);
        assert_eq!(r(Some(d(2025, 3, 11)), None), ("3d overdue".into(), true));
        assert_eq!(r(Some(d(2025, 3, 13)), None), ("yesterday".into(), true));
        assert_eq!(
            r(Some(today), NaiveTime::from_hms_opt(9, 0, 0)),
            ("today 09:00".into(), true)
        );
        assert_eq!(
            r(Some(today), NaiveTime::from_hms_opt(15, 0, 0)),
            ("today 15:00".into(), false)
        );
        assert_eq!(r(Some(today), None), ("today".into(), false));
        assert_eq!(r(Some(d(2025, 3, 15)), None), ("tomorrow".into(), false));
        assert_eq!(r(Some(d(2025, 3, 17)), None), ("in 3d".into(), false));
        assert_eq!(r(Some(d(2025, 4, 1)), None), ("Apr 1".into(), false));
        assert_eq!(r(None, None), ("no date".into(), false));
    }
}
