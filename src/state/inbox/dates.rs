//! Due dates as a rep types and reads them: `tomorrow`, `fri`, `+3`, `2025-04-01 14:30`, and
//! "2d overdue" / "today 14:00" / "in 3d" back. Pure functions of a given `today`.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};

/// A due date and optional time typed by the rep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
}

/// What the date input accepts, for hints.
pub const DATE_HINT: &str = "today, tomorrow, +3, mon…sun, next week, 2025-04-01, 04-01 [14:30]";

/// Parses a typed due date relative to `today`. Accepted: `today`/`tod`, `tomorrow`/`tom`,
/// `+N` / `N` / `Nd` (days from today), `Nw` (weeks), a weekday name (`mon`, `friday`: the next
/// one, never today), `next week` (next Monday), `YYYY-MM-DD`, `MM-DD` / `DD.MM.` (this year, or
/// next year if already past), each optionally followed by a time `HH:MM` (or `14h`, `9am`,
/// `2:30pm`). `None` when the text is not understood.
pub fn parse_due(text: &str, today: NaiveDate) -> Option<Due> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return None;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    // A trailing time, if the last word is one (and something else precedes it).
    let (date_words, time) = match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => match parse_time(last) {
            Some(t) => (rest.to_vec(), Some(t)),
            None => (words.clone(), None),
        },
        _ => (words.clone(), None),
    };
    let date_text = date_words.join(" ");
    let date = match parse_date(&date_text, today) {
        Some(d) => d,
        // A bare time means today at that time.
        None if words.len() == 1 => {
            let t = parse_time(&text)?;
            return Some(Due {
                date: today,
                time: Some(t),
            });
        }
        None => return None,
    };
    Some(Due { date, time })
}

fn parse_date(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    match text {
        "today" | "tod" | "now" => return Some(today),
        "tomorrow" | "tom" | "tmr" => return today.succ_opt(),
        "next week" | "nw" => return Some(next_weekday(today, Weekday::Mon)),
        _ => {}
    }
    if let Some(day) = weekday(text) {
        return Some(next_weekday(today, day));
    }
    let offset = text.strip_prefix('+').unwrap_or(text);
    if let Some(n) = offset.strip_suffix('w').and_then(|n| n.parse::<i64>().ok()) {
        return (0..=520)
            .contains(&n)
            .then(|| today.checked_add_signed(Duration::weeks(n)))
            .flatten();
    }
    let days = offset.strip_suffix('d').unwrap_or(offset);
    if !days.is_empty() && days.chars().all(|c| c.is_ascii_digit()) {
        let n: i64 = days.parse().ok()?;
        return (0..=3650)
            .contains(&n)
            .then(|| today.checked_add_signed(Duration::days(n)))
            .flatten();
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(d);
    }
    // Month-day without a year: this year, or next year once it has passed.
    let (month, day) = if let Some((m, d)) = text.split_once('-').or_else(|| text.split_once('/')) {
        (m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)
    } else if let Some((d, m)) = text.trim_end_matches('.').split_once('.') {
        (m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)
    } else {
        return None;
    };
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
    if this_year >= today {
        Some(this_year)
    } else {
        NaiveDate::from_ymd_opt(today.year() + 1, month, day)
    }
}

fn weekday(text: &str) -> Option<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    let text = text.strip_prefix("next ").unwrap_or(text);
    if text.len() < 2 {
        return None;
    }
    DAYS.iter()
        .find(|(name, _)| name.starts_with(text))
        .map(|(_, day)| *day)
}

/// The first `day` strictly after `today`.
pub fn next_weekday(today: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (i64::from(day.num_days_from_monday())
        - i64::from(today.weekday().num_days_from_monday()))
    .rem_euclid(7);
    let ahead = if ahead == 0 { 7 } else { ahead };
    today
        .checked_add_signed(Duration::days(ahead))
        .unwrap_or(today)
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    let t = text.trim();
    let (t, pm, am) = if let Some(x) = t.strip_suffix("pm") {
        (x, true, false)
    } else if let Some(x) = t.strip_suffix("am") {
        (x, false, true)
    } else {
        (t.strip_suffix('h').unwrap_or(t), false, false)
    };
    let (h, m) = match t.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None if !t.is_empty() && t.len() <= 2 && (pm || am || text.ends_with('h')) => {
            (t.parse::<u32>().ok()?, 0)
        }
        None => return None,
    };
    let h = match (pm, am) {
        (true, _) if (1..12).contains(&h) => h + 12,
        (_, true) if h == 12 => 0,
        (true, _) | (_, true) if !(1..=12).contains(&h) => return None,
        _ => h,
    };
    NaiveTime::from_hms_opt(h, m, 0)
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
