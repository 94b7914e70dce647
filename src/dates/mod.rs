//! The one date/time parser behind every date field (task forms, "schedule the next step",
//! reschedule, snooze, the inbox's new task): pure functions of the rep's local "today".
//!
//! Accepted (case-insensitive, optional trailing time `14:00`, `9am`, `2:30pm`, `14h`, `noon`):
//! `today`/`t`, `tomorrow`/`tom`/`m`, weekday names (`fri`, `thursday`) with optional `next`
//! (`next tue` = the one after the coming one), `in 3 days`, `in 2w`, `+3`, `3d`, `2w`,
//! `next week`/`w`, `eom` (end of month), `YYYY-MM-DD`, `MM-DD`, `DD.MM.`; a bare time is today.
//! Due dates are stored as local wall-clock values, so a day is a calendar day (never 24 h):
//! `tomorrow 9am` is 9:00 on the next date even across a DST change. In the rep's zone (`_in`
//! variants, `dst.rs`), a time the clocks skip is refused and one they pass twice is explained.

pub mod dst;
#[cfg(test)]
mod tests;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday,
};

/// A due date and optional time typed by the rep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
}

/// Why a text is not a date, as a sentence the rep can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError(pub String);

impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(text: impl Into<String>) -> Result<T, DateError> {
    Err(DateError(text.into()))
}

/// Longest stretch a relative date may reach (`in 520w`), in days.
const MAX_DAYS: i64 = 3650;

/// The local wall-clock time at `now` in `zone` (the rep's zone): "today" for the parser.
pub fn local_now<Tz: TimeZone>(now: DateTime<chrono::Utc>, zone: &Tz) -> NaiveDateTime {
    now.with_timezone(zone).naive_local()
}

/// Whether the text clears the date (`none`, `n`, `-` or blank).
pub fn clears(text: &str) -> bool {
    matches!(text.trim().to_lowercase().as_str(), "" | "none" | "n" | "-")
}

/// Parses a typed date, `Ok(None)` when it clears the date.
pub fn parse_optional(text: &str, today: NaiveDate) -> Result<Option<Due>, DateError> {
    if clears(text) {
        return Ok(None);
    }
    parse(text, today).map(Some)
}

/// Parses a typed date relative to `today` (the rep's local date).
pub fn parse(text: &str, today: NaiveDate) -> Result<Due, DateError> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return err("Type a date, e.g. tomorrow 9am");
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    // A bare time means today at that time.
    if let [only] = words.as_slice()
        && looks_like_time(only)
    {
        let time = parse_time(only)?;
        return Ok(Due {
            date: today,
            time: Some(time),
        });
    }
    // A trailing time, if the last word looks like one (and something precedes it).
    let (date_words, time) = match words.split_last() {
        Some((last, rest)) if !rest.is_empty() && looks_like_time(last) => {
            (rest.to_vec(), Some(parse_time(last)?))
        }
        _ => (words.clone(), None),
    };
    // `tomorrow at 9am`.
    let date_words: Vec<&str> = match date_words.split_last() {
        Some((&"at", rest)) if time.is_some() && !rest.is_empty() => rest.to_vec(),
        _ => date_words,
    };
    let date = parse_date(&date_words, today)?;
    Ok(Due { date, time })
}

fn parse_date(words: &[&str], today: NaiveDate) -> Result<NaiveDate, DateError> {
    let add = |days: i64| -> Result<NaiveDate, DateError> {
        if !(0..=MAX_DAYS).contains(&days) {
            return err(format!("At most {MAX_DAYS} days ahead"));
        }
        today
            .checked_add_signed(Duration::days(days))
            .ok_or_else(|| DateError("That date is out of range".into()))
    };
    match words {
        ["today" | "tod" | "t" | "now"] => return Ok(today),
        ["tomorrow" | "tom" | "tmr" | "m"] => return add(1),
        ["next", "week"] | ["nw" | "w"] => return Ok(next_weekday(today, Weekday::Mon)),
        ["eom"] | ["end", "of", "month"] => return end_of_month(today),
        ["eow"] | ["end", "of", "week"] => return Ok(on_or_after(today, Weekday::Fri)),
        ["in", amount] => return add(span(amount)?),
        ["in", n, unit] => return add(span(&format!("{n}{unit}"))?),
        ["next", day] => {
            let Some(day) = weekday(day) else {
                return err(format!("“next {day}”: next what? Try next fri"));
            };
            // `next tue` on a Monday is the Tuesday of next week, not tomorrow.
            let coming = next_weekday(today, day);
            let this_week_ends = next_weekday(today, Weekday::Sun);
            return Ok(
                if coming <= this_week_ends && today.weekday() != Weekday::Sun {
                    coming + Duration::days(7)
                } else {
                    coming
                },
            );
        }
        [one] => {
            if let Some(day) = weekday(one) {
                return Ok(next_weekday(today, day));
            }
            let offset = one.strip_prefix('+').unwrap_or(one);
            if offset.starts_with(|c: char| c.is_ascii_digit()) && !offset.contains(['-', '.', '/'])
            {
                return add(span(offset)?);
            }
            return calendar(one, today);
        }
        _ => {}
    }
    err(format!(
        "Cannot read “{}” as a date: try {}",
        words.join(" "),
        hint(today)
    ))
}

/// `3`, `3d`, `3days`, `2w`, `2weeks`, `1mo` → days.
fn span(text: &str) -> Result<i64, DateError> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let unit = &text[digits.len()..];
    let Ok(n) = digits.parse::<i64>() else {
        return err(format!(
            "“{text}”: a number of days or weeks, e.g. in 3 days"
        ));
    };
    let per = match unit {
        "" | "d" | "day" | "days" => 1,
        "w" | "wk" | "week" | "weeks" => 7,
        "mo" | "month" | "months" => 30,
        _ => return err(format!("“{unit}” is not a unit: use days, d, weeks or w")),
    };
    n.checked_mul(per)
        .ok_or_else(|| DateError(format!("At most {MAX_DAYS} days ahead")))
}

/// `YYYY-MM-DD`, or `MM-DD` / `MM/DD` / `DD.MM.` this year (next year once past).
fn calendar(text: &str, today: NaiveDate) -> Result<NaiveDate, DateError> {
    let no_such = || DateError(format!("There is no date {text}"));
    if text.matches('-').count() == 2 {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| no_such());
    }
    let (month, day) = if let Some((m, d)) = text.split_once('-').or_else(|| text.split_once('/')) {
        (m, d)
    } else if let Some((d, m)) = text.trim_end_matches('.').split_once('.') {
        (m, d)
    } else {
        return err(format!(
            "Cannot read “{text}” as a date: try {}",
            hint(today)
        ));
    };
    let (Ok(month), Ok(day)) = (month.parse::<u32>(), day.parse::<u32>()) else {
        return Err(no_such());
    };
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day).ok_or_else(no_such)?;
    if this_year >= today {
        Ok(this_year)
    } else {
        NaiveDate::from_ymd_opt(today.year() + 1, month, day).ok_or_else(no_such)
    }
}

fn end_of_month(today: NaiveDate) -> Result<NaiveDate, DateError> {
    let (y, m) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| DateError("That date is out of range".into()))
}

pub fn weekday(text: &str) -> Option<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    let text = text.trim_end_matches('.');
    if text.len() < 2 {
        return None;
    }
    // `thurs`, `tues`, `weds` are common spellings too.
    let text = match text {
        "thurs" | "thur" => "thu",
        "tues" => "tue",
        "weds" => "wed",
        t => t,
    };
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

/// `day` of this week if not past, else of next week.
fn on_or_after(today: NaiveDate, day: Weekday) -> NaiveDate {
    if today.weekday() == day {
        today
    } else {
        next_weekday(today, day)
    }
}

fn looks_like_time(word: &str) -> bool {
    matches!(word, "noon" | "midnight")
        || word.contains(':')
        || ((word.ends_with("am") || word.ends_with("pm") || word.ends_with('h'))
            && word.starts_with(|c: char| c.is_ascii_digit()))
}

/// `14:00`, `9:30`, `9am`, `2:30pm`, `14h`, `noon`.
pub fn parse_time(text: &str) -> Result<NaiveTime, DateError> {
    let bad = || DateError(format!("“{text}” is not a time of day: try 14:00 or 9am"));
    match text {
        "noon" => return NaiveTime::from_hms_opt(12, 0, 0).ok_or_else(bad),
        "midnight" => return NaiveTime::from_hms_opt(0, 0, 0).ok_or_else(bad),
        _ => {}
    }
    let (t, half) = if let Some(x) = text.strip_suffix("pm") {
        (x, Some(12))
    } else if let Some(x) = text.strip_suffix("am") {
        (x, Some(0))
    } else {
        (text.strip_suffix('h').unwrap_or(text), None)
    };
    let (h, m) = match t.split_once(':') {
        Some((h, m)) if m.len() == 2 => (
            h.parse::<u32>().map_err(|_| bad())?,
            m.parse::<u32>().map_err(|_| bad())?,
        ),
        Some(_) => return Err(bad()),
        None if !t.is_empty() && t.len() <= 2 => (t.parse::<u32>().map_err(|_| bad())?, 0),
        None => return Err(bad()),
    };
    let h = match half {
        Some(_) if !(1..=12).contains(&h) => return Err(bad()),
        Some(add) => h % 12 + add,
        None => h,
    };
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

/// Examples of what the parser reads, every date in them after `today` (never a past date).
pub fn hint(today: NaiveDate) -> String {
    let in_two_weeks = today + Duration::days(14);
    format!(
        "today, tomorrow 9am, fri 14:00, next tue, in 3 days, 2w, eom, {}",
        in_two_weeks.format("%Y-%m-%d")
    )
}

/// The shorter examples a form's date field shows after its quick keys.
pub fn short_hint(today: NaiveDate) -> String {
    format!(
        "fri 14:00, in 3d, {}",
        (today + Duration::days(14)).format("%Y-%m-%d")
    )
}

/// The resolved date as the preview under a field shows it: `Thu Dec 3, 2026 10:00 · tomorrow`.
pub fn describe(due: &Due, today: NaiveDate) -> String {
    let mut text = due.date.format("%a %b %-d, %Y").to_string();
    if let Some(time) = due.time {
        text.push_str(&time.format(" %H:%M").to_string());
    }
    let days = (due.date - today).num_days();
    let rel = match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        -1 => "yesterday · in the past".to_string(),
        d if d < 0 => format!("{} days ago · in the past", -d),
        d => format!("in {d} days"),
    };
    format!("{text} · {rel}")
}

/// [`parse`], then the DST check in the rep's `zone` (when known): a skipped time is an error.
pub fn parse_in(
    text: &str,
    today: NaiveDate,
    zone: Option<chrono_tz::Tz>,
) -> Result<Due, DateError> {
    let due = parse(text, today)?;
    if let Some(zone) = zone {
        dst::check(&due, zone)?;
    }
    Ok(due)
}

/// [`parse_optional`] with the DST check of [`parse_in`].
pub fn parse_optional_in(
    text: &str,
    today: NaiveDate,
    zone: Option<chrono_tz::Tz>,
) -> Result<Option<Due>, DateError> {
    if clears(text) {
        return Ok(None);
    }
    parse_in(text, today, zone).map(Some)
}

/// [`preview`] in the rep's `zone`: a skipped time is `✕ why`; a repeated one shows which is
/// meant (`→ Sun Oct 25 02:30 UTC+02:00 · happens twice`, the first: the wall clock shows it
/// first, and "overdue" compares wall-clock times).
pub fn preview_in(
    text: &str,
    today: NaiveDate,
    zone: Option<chrono_tz::Tz>,
) -> Option<Result<String, String>> {
    let shown = preview(text, today)?;
    let (Some(zone), Ok(line), Ok(due)) = (zone, &shown, parse(text, today)) else {
        return Some(shown);
    };
    Some(match dst::check(&due, zone) {
        Ok(dst::WallClock::Plain) => Ok(line.clone()),
        Ok(dst::WallClock::Twice(offset)) => Ok(format!(
            "→ {} UTC{offset} · happens twice (clocks go back), the first",
            due.date
                .and_time(due.time.unwrap_or_default())
                .format("%a %b %-d %H:%M"),
        )),
        // Short enough for a form's preview; saving shows the whole sentence on the field.
        Err(_) => Err(match due.time {
            Some(time) => {
                let at = due.date.and_time(time);
                let next = dst::first_existing(zone, at)
                    .map(|n| format!("; try {}", n.format("%H:%M")))
                    .unwrap_or_default();
                format!("✕ {} is skipped by DST{next}", time.format("%H:%M"))
            }
            None => "✕ That time does not exist that day".to_string(),
        }),
    })
}

/// The live preview of a date field: `→ …` or `✕ why`; `None` for a blank field.
pub fn preview(text: &str, today: NaiveDate) -> Option<Result<String, String>> {
    if text.trim().is_empty() {
        return None;
    }
    if clears(text) {
        return Some(Ok("→ no due date".to_string()));
    }
    Some(
        parse(text, today)
            .map(|due| format!("→ {}", describe(&due, today)))
            .map_err(|e| format!("✕ {e}")),
    )
}
