//! One record → a checked [`ImportRow`] or the reasons it is rejected (row, column, why), with
//! the database's own limits (0001/0004) so a batch never fails on a value the client let by.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use csv::ByteRecord;
use uuid::Uuid;

use super::map::Field;
use crate::data::import::ImportRow;

/// Why one cell (or the row) cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub row: usize,
    /// The file's column header ("" when the row as a whole is wrong).
    pub column: String,
    pub reason: String,
}

/// A checked row with the names still to resolve against the organization.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub row: ImportRow,
    pub pipeline: Option<(String, String)>,
    pub stage: Option<(String, String)>,
    pub owner: Option<(String, String)>,
}

/// Limits of the columns (characters), as the database checks them.
const NAME_MAX: usize = 200;
const EMAIL_MAX: usize = 320;
const COMPANY_MAX: usize = 500;
const TEXT_MAX: usize = 1000;
const TAG_MAX: usize = 50;
/// `leads.lost_reason` (0004's text limits).
const REASON_MAX: usize = 2000;

pub fn parse(
    row: usize,
    record: &ByteRecord,
    headers: &[String],
    fields: &[Option<Field>],
) -> Result<Parsed, Vec<Rejection>> {
    let mut rejections = Vec::new();
    let reject = |rejections: &mut Vec<Rejection>, column: &str, reason: String| {
        rejections.push(Rejection {
            row,
            column: column.to_owned(),
            reason,
        })
    };
    if record.len() > headers.len() {
        return Err(vec![Rejection {
            row,
            column: String::new(),
            reason: format!(
                "the row has {} cells but the header has {} columns",
                record.len(),
                headers.len()
            ),
        }]);
    }
    let mut parsed = Parsed::default();
    parsed.row.row_no = i32::try_from(row).unwrap_or(i32::MAX);
    let (mut first, mut last, mut name_column) = (None, None, "");
    for (i, cell) in record.iter().enumerate() {
        let (Some(Some(field)), Some(column)) = (fields.get(i), headers.get(i)) else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(cell) else {
            reject(
                &mut rejections,
                column,
                "is not valid UTF-8: save the file as UTF-8 (CSV UTF-8 in Excel)".into(),
            );
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let limited = |max: usize| -> Result<String, String> {
            let n = text.chars().count();
            if n > max {
                Err(format!("is too long ({n} characters, at most {max})"))
            } else {
                Ok(text.to_owned())
            }
        };
        let value: Result<(), String> = (|| {
            let r = &mut parsed.row;
            match field {
                Field::Id => match Uuid::parse_str(text) {
                    Ok(id) => r.id = Some(id),
                    Err(_) => r.external_id = Some(limited(TEXT_MAX)?),
                },
                Field::ExternalId => r.external_id = Some(limited(TEXT_MAX)?),
                Field::Name => {
                    r.name = limited(NAME_MAX)?;
                    name_column = column;
                }
                Field::FirstName => first = Some(text.to_owned()),
                Field::LastName => last = Some(text.to_owned()),
                Field::Email => r.email = Some(email(text)?),
                Field::Phone => r.phone = Some(phone(text)?),
                Field::Mobile => r.mobile = Some(phone(text)?),
                Field::Company => r.company = Some(limited(COMPANY_MAX)?),
                Field::JobTitle => r.job_title = Some(limited(TEXT_MAX)?),
                Field::Location => r.location = Some(limited(TEXT_MAX)?),
                Field::Industry => r.industry = Some(limited(TEXT_MAX)?),
                Field::Source => r.source = Some(limited(TEXT_MAX)?),
                Field::LeadSource => r.lead_source = Some(limited(TEXT_MAX)?),
                Field::Score => r.score = Some(score(text)?),
                Field::Tags => r.tags = tags(text)?,
                Field::LastContactedAt => r.last_contacted_at = Some(when(text)?),
                Field::LostReason => r.lost_reason = Some(limited(REASON_MAX)?),
                Field::Pipeline => parsed.pipeline = Some((column.clone(), text.to_owned())),
                Field::Stage => parsed.stage = Some((column.clone(), text.to_owned())),
                Field::Owner => parsed.owner = Some((column.clone(), text.to_owned())),
                Field::Ignore => {}
            }
            Ok(())
        })();
        if let Err(reason) = value {
            reject(&mut rejections, column, reason);
        }
    }
    if parsed.row.name.is_empty() {
        let joined = [first, last]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if joined.chars().count() > NAME_MAX {
            reject(
                &mut rejections,
                name_column,
                format!("the name is too long (at most {NAME_MAX} characters)"),
            );
        }
        parsed.row.name = joined;
    }
    if parsed.row.name.is_empty() && rejections.is_empty() {
        let column = if name_column.is_empty() {
            headers
                .iter()
                .zip(fields)
                .find(|(_, f)| matches!(f, Some(Field::Name | Field::FirstName | Field::LastName)))
                .map_or("", |(h, _)| h.as_str())
        } else {
            name_column
        };
        reject(&mut rejections, column, "the lead has no name".into());
    }
    if rejections.is_empty() {
        Ok(parsed)
    } else {
        Err(rejections)
    }
}

/// `leads_email_check`: something@domain.tld, no spaces.
fn email(text: &str) -> Result<String, String> {
    let ok = text.chars().count() <= EMAIL_MAX
        && !text.chars().any(char::is_whitespace)
        && text.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty()
                && !domain.contains('@')
                && domain
                    .split_once('.')
                    .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                && !domain.ends_with('.')
        });
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{:?} is not an e-mail address",
            crate::text::clean_line(text)
        ))
    }
}

/// `leads_phone_check`: 5–30 of digits, spaces and `( ) . / -`, an optional leading `+`.
fn phone(text: &str) -> Result<String, String> {
    let body = text.strip_prefix('+').unwrap_or(text);
    let n = body.chars().count();
    if (5..=30).contains(&n)
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || " ()./-".contains(c))
    {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{:?} is not a phone number (5–30 digits, spaces, + ( ) . / -)",
            crate::text::clean_line(text)
        ))
    }
}

/// The digits of a phone number: how duplicates are matched ("+44 20 7946 0000" = "4420 79460000").
pub fn phone_key(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn score(text: &str) -> Result<i32, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if value.fract() == 0.0 && (0.0..=100.0).contains(&value) {
        Ok(value as i32)
    } else {
        Err(format!("{text} is not a whole number from 0 to 100"))
    }
}

/// Tags split on `;` (Closer's export) or else `,`; the same tag twice (any case) counts once.
fn tags(text: &str) -> Result<Vec<String>, String> {
    let separator = if text.contains(';') { ';' } else { ',' };
    let mut tags: Vec<String> = Vec::new();
    for tag in text
        .split(separator)
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if tag.chars().count() > TAG_MAX {
            return Err(format!(
                "the tag {:?} is longer than {TAG_MAX} characters",
                crate::text::clean_line(tag)
            ));
        }
        if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            tags.push(tag.to_owned());
        }
    }
    Ok(tags)
}

/// A date or time as spreadsheets write them: ISO 8601 / RFC 3339, `DD.MM.YYYY`, `M/D/YYYY`
/// (refused when day and month could be swapped), with an optional time, or an Excel serial
/// day number (days since 1899-12-30). Times without a zone are UTC.
pub fn when(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    let (date, time) = match text.split_once(' ') {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    let time = match time {
        None => NaiveTime::MIN,
        Some(t) => ["%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p"]
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(t, f).ok())
            .ok_or_else(|| {
                format!("{text:?} is not a date (write YYYY-MM-DD, optionally with HH:MM)")
            })?,
    };
    let day = if let Ok(d) = NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        d
    } else if let Ok(d) = NaiveDate::parse_from_str(date, "%d.%m.%Y") {
        d
    } else if let Some(d) = slashed(date)? {
        d
    } else if let Ok(serial) = text.parse::<f64>() {
        return excel_serial(serial).ok_or_else(|| format!("{text} is not a date"));
    } else {
        return Err(format!("{text:?} is not a date (write YYYY-MM-DD)"));
    };
    Ok(Utc.from_utc_datetime(&day.and_time(time)))
}

/// `M/D/YYYY` or `D/M/YYYY`: whichever is a valid date; both (and different) is ambiguous.
fn slashed(date: &str) -> Result<Option<NaiveDate>, String> {
    let parts: Vec<&str> = date.split('/').collect();
    let [a, b, y] = parts.as_slice() else {
        return Ok(None);
    };
    let (Ok(a), Ok(b), Ok(mut y)) = (a.parse::<u32>(), b.parse::<u32>(), y.parse::<i32>()) else {
        return Ok(None);
    };
    if y < 100 {
        y += 2000;
    }
    let us = NaiveDate::from_ymd_opt(y, a, b);
    let eu = NaiveDate::from_ymd_opt(y, b, a);
    match (us, eu) {
        (Some(u), Some(e)) if u != e => Err(format!(
            "{date:?} could be {u} or {e}: write the date as YYYY-MM-DD"
        )),
        (Some(d), _) | (None, Some(d)) => Ok(Some(d)),
        (None, None) => Err(format!("{date:?} is not a date")),
    }
}

fn excel_serial(serial: f64) -> Option<DateTime<Utc>> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_time(NaiveTime::MIN);
    let seconds = (serial * 86_400.0).round() as i64;
    Some(Utc.from_utc_datetime(&(base + chrono::Duration::seconds(seconds))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> String {
        when(text).map(|t| t.to_rfc3339()).unwrap_or_else(|e| e)
    }

    #[test]
    fn spreadsheet_dates() {
        assert_eq!(day("2024-03-14"), "2024-03-14T00:00:00+00:00");
        assert_eq!(day("3/14/2024 9:30"), "2024-03-14T09:30:00+00:00");
        assert_eq!(day("14.03.2024"), "2024-03-14T00:00:00+00:00");
        assert_eq!(day("45365"), "2024-03-14T00:00:00+00:00");
        assert_eq!(day("45365.5"), "2024-03-14T12:00:00+00:00");
        assert_eq!(
            day("2024-03-14T10:00:00+01:00"),
            "2024-03-14T09:00:00+00:00"
        );
        assert!(day("03/04/2024").contains("could be"));
        assert!(day("next week").contains("not a date"));
    }

    #[test]
    fn cells_follow_the_database_rules() {
        assert!(email("ada@example.com").is_ok());
        assert!(email("ada@example").is_err());
        assert!(phone("+44 (20) 7946-0000").is_ok());
        assert!(phone("call me").is_err());
        assert_eq!(phone_key("+44 (20) 7946-0000"), "442079460000");
        assert_eq!(score("85.0"), Ok(85));
        assert!(score("101").is_err());
        assert_eq!(
            tags("VIP, vip ,Hot").ok(),
            Some(vec!["VIP".to_string(), "Hot".to_string()])
        );
    }
}
