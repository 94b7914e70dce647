use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn t(h: u32, m: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(h, m, 0)
}

// Friday 2025-03-14.
fn fri() -> NaiveDate {
    d(2025, 3, 14)
}

fn p(text: &str) -> Result<Due, DateError> {
    parse(text, fri())
}

fn date(text: &str) -> NaiveDate {
    p(text).map(|due| due.date).expect(text)
}

#[test]
fn reads_every_form_a_rep_types() {
    assert_eq!(date("today"), fri());
    assert_eq!(date("t"), fri());
    assert_eq!(date("TODAY"), fri());
    assert_eq!(date("tomorrow"), d(2025, 3, 15));
    assert_eq!(date("m"), d(2025, 3, 15));
    assert_eq!(date("+3"), d(2025, 3, 17));
    assert_eq!(date("3"), d(2025, 3, 17));
    assert_eq!(date("3d"), d(2025, 3, 17));
    assert_eq!(date("2w"), d(2025, 3, 28));
    assert_eq!(date("in 3 days"), d(2025, 3, 17));
    assert_eq!(date("in 2w"), d(2025, 3, 28));
    assert_eq!(date("in 1 week"), d(2025, 3, 21));
    assert_eq!(date("mon"), d(2025, 3, 17));
    assert_eq!(date("thu"), d(2025, 3, 20));
    assert_eq!(date("thursday"), d(2025, 3, 20));
    assert_eq!(date("thurs"), d(2025, 3, 20));
    assert_eq!(date("fri"), d(2025, 3, 21));
    assert_eq!(date("next week"), d(2025, 3, 17));
    assert_eq!(date("w"), d(2025, 3, 17));
    assert_eq!(date("eom"), d(2025, 3, 31));
    assert_eq!(date("2025-04-01"), d(2025, 4, 1));
    assert_eq!(date("04-01"), d(2025, 4, 1));
    assert_eq!(date("01-02"), d(2026, 1, 2));
    assert_eq!(date("1.4."), d(2025, 4, 1));
}

#[test]
fn next_weekday_skips_the_coming_one_within_this_week() {
    // From a Monday, `next tue` is the Tuesday of next week, `tue` tomorrow.
    let monday = d(2025, 3, 17);
    assert_eq!(parse("tue", monday).map(|x| x.date), Ok(d(2025, 3, 18)));
    assert_eq!(
        parse("next tue", monday).map(|x| x.date),
        Ok(d(2025, 3, 25))
    );
    // From a Friday the coming Tuesday is already next week.
    assert_eq!(date("next tuesday"), d(2025, 3, 18));
    // From a Sunday, too.
    let sunday = d(2025, 3, 16);
    assert_eq!(
        parse("next mon", sunday).map(|x| x.date),
        Ok(d(2025, 3, 17))
    );
}

#[test]
fn reads_times() {
    assert_eq!(
        p("fri 14:00").map(|x| (x.date, x.time)),
        Ok((d(2025, 3, 21), t(14, 0)))
    );
    assert_eq!(
        p("thu 10:00").map(|x| (x.date, x.time)),
        Ok((d(2025, 3, 20), t(10, 0)))
    );
    assert_eq!(p("tomorrow 9am").map(|x| x.time), Ok(t(9, 0)));
    assert_eq!(p("tomorrow at 9am").map(|x| x.time), Ok(t(9, 0)));
    assert_eq!(p("mon 2:30pm").map(|x| x.time), Ok(t(14, 30)));
    assert_eq!(p("mon 12am").map(|x| x.time), Ok(t(0, 0)));
    assert_eq!(p("mon 12pm").map(|x| x.time), Ok(t(12, 0)));
    assert_eq!(p("mon 14h").map(|x| x.time), Ok(t(14, 0)));
    assert_eq!(p("mon noon").map(|x| x.time), Ok(t(12, 0)));
    assert_eq!(p("9:15").map(|x| (x.date, x.time)), Ok((fri(), t(9, 15))));
    assert_eq!(p("2025-04-01 08:05").map(|x| x.time), Ok(t(8, 5)));
}

#[test]
fn rejects_with_a_reason() {
    let why = |s: &str| p(s).expect_err(s).0;
    assert!(
        why("soon").contains("Cannot read “soon”"),
        "{}",
        why("soon")
    );
    assert!(why("2025-02-30").contains("no date 2025-02-30"));
    assert!(why("02-30").contains("no date"));
    assert!(why("tom 25:00").contains("not a time of day"));
    assert!(why("mon 13pm").contains("not a time of day"));
    assert!(why("in 3 fortnights").contains("not a unit"));
    assert!(why("in 9999 days").contains("At most"));
    assert!(why("next soon").contains("next what"));
    assert!(why("").contains("Type a date"));
    // A bare quick-key letter that is not a pick stays an error, never a guess.
    assert!(p("h").is_err());
}

#[test]
fn clearing_words() {
    assert_eq!(parse_optional("none", fri()), Ok(None));
    assert_eq!(parse_optional("n", fri()), Ok(None));
    assert_eq!(parse_optional("  ", fri()), Ok(None));
    assert!(parse_optional("fri", fri()).is_ok_and(|d| d.is_some()));
}

#[test]
fn today_is_the_reps_date_in_their_zone() {
    // 23:30 UTC on Mar 14 is already Mar 15 in Berlin (+01:00) and still Mar 14 in New York.
    let instant = Utc
        .with_ymd_and_hms(2025, 3, 14, 23, 30, 0)
        .single()
        .expect("valid instant");
    let berlin = FixedOffset::east_opt(3600).expect("offset");
    let new_york = FixedOffset::west_opt(4 * 3600).expect("offset");
    assert_eq!(local_now(instant, &berlin).date(), d(2025, 3, 15));
    assert_eq!(local_now(instant, &new_york).date(), d(2025, 3, 14));
    let tomorrow = |zone: &FixedOffset| parse("tomorrow", local_now(instant, zone).date());
    assert_eq!(tomorrow(&berlin).map(|x| x.date), Ok(d(2025, 3, 16)));
    assert_eq!(tomorrow(&new_york).map(|x| x.date), Ok(d(2025, 3, 15)));
}

#[test]
fn dst_days_count_as_calendar_days() {
    // Europe/Berlin springs forward on 2025-03-30 (02:00 → 03:00, +01 → +02) and falls back on
    // 2025-10-26. At 00:30 local on the eve (23:30 UTC, +01:00) "tomorrow 9am" is 9:00 on the
    // 30th — a calendar day, not 24 hours later (which would be 10:00 wall-clock).
    let eve = Utc
        .with_ymd_and_hms(2025, 3, 28, 23, 30, 0)
        .single()
        .expect("valid instant");
    let winter = FixedOffset::east_opt(3600).expect("offset");
    let today = local_now(eve, &winter).date();
    assert_eq!(today, d(2025, 3, 29));
    let due = parse("tomorrow 9am", today).expect("parses");
    assert_eq!((due.date, due.time), (d(2025, 3, 30), t(9, 0)));
    // The day after the switch the rep's offset is +02:00: 22:30 UTC is already the 31st.
    let after = Utc
        .with_ymd_and_hms(2025, 3, 30, 22, 30, 0)
        .single()
        .expect("valid instant");
    let summer = FixedOffset::east_opt(7200).expect("offset");
    assert_eq!(local_now(after, &summer).date(), d(2025, 3, 31));
    assert_eq!(local_now(after, &winter).date(), d(2025, 3, 30));
    // Falling back: `in 1 day` from the 25-hour day is the next date, same wall-clock time.
    let fall = d(2025, 10, 26);
    let due = parse("in 1 day 14:00", fall).expect("parses");
    assert_eq!((due.date, due.time), (d(2025, 10, 27), t(14, 0)));
    assert_eq!(parse("eom", fall).map(|x| x.date), Ok(d(2025, 10, 31)));
    // End of month across a year and in a leap February.
    assert_eq!(
        parse("eom", d(2025, 12, 3)).map(|x| x.date),
        Ok(d(2025, 12, 31))
    );
    assert_eq!(
        parse("eom", d(2028, 2, 1)).map(|x| x.date),
        Ok(d(2028, 2, 29))
    );
}

#[test]
fn hint_never_shows_a_past_date() {
    for today in [d(2025, 3, 14), d(2026, 12, 2), d(2030, 12, 31)] {
        let hint = format!("{}, {}", hint(today), short_hint(today));
        for word in hint.split([',', ' ']) {
            if let Ok(date) = NaiveDate::parse_from_str(word, "%Y-%m-%d") {
                assert!(date > today, "{hint}");
            }
        }
        // And every example in it parses.
        for example in hint.split(", ") {
            assert!(parse(example, today).is_ok(), "{example}");
        }
    }
}

#[test]
fn preview_reads_back() {
    assert_eq!(
        preview("thu 10:00", fri()),
        Some(Ok("→ Thu Mar 20, 2025 10:00 · in 6 days".to_string()))
    );
    assert_eq!(
        preview("tomorrow", fri()),
        Some(Ok("→ Sat Mar 15, 2025 · tomorrow".to_string()))
    );
    assert_eq!(preview("", fri()), None);
    assert!(preview("blah", fri()).is_some_and(|r| r.is_err()));
    assert_eq!(
        preview("2025-03-10", fri()),
        Some(Ok(
            "→ Mon Mar 10, 2025 · 4 days ago · in the past".to_string()
        ))
    );
}
