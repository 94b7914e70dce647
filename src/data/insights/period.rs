//! A reporting period: a year (`2026`), a quarter (`2026-Q4`) or a month (`2026-11`).

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Year(i32),
    Quarter(i32, u32),
    Month(i32, u32),
}

impl Period {
    /// The quarter holding `day`.
    pub fn quarter_of(day: NaiveDate) -> Period {
        Period::Quarter(day.year(), (day.month() - 1) / 3 + 1)
    }

    /// Parses `2026`, `2026-Q4` (or `2026q4`) and `2026-11`.
    pub fn parse(text: &str) -> Result<Period, String> {
        let text = text.trim();
        let bad = || {
            format!("period {text:?} is not a year (2026), quarter (2026-Q4) or month (2026-11)")
        };
        let (year, rest) = match text.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => match text.to_ascii_uppercase().split_once('Q') {
                Some((y, q)) => return quarter(y, q).ok_or_else(bad),
                None => (text, None),
            },
        };
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !(1970..=9999).contains(&year) {
            return Err(bad());
        }
        match rest {
            None => Ok(Period::Year(year)),
            Some(r) if r.to_ascii_uppercase().starts_with('Q') => {
                quarter(&year.to_string(), &r[1..]).ok_or_else(bad)
            }
            Some(r) => match r.parse::<u32>() {
                Ok(m) if (1..=12).contains(&m) => Ok(Period::Month(year, m)),
                _ => Err(bad()),
            },
        }
    }

    pub fn from(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Year(y) => (y, 1),
            Period::Quarter(y, q) => (y, 3 * (q - 1) + 1),
            Period::Month(y, m) => (y, m),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The first day after the period.
    pub fn to_exclusive(self) -> NaiveDate {
        let months = match self {
            Period::Year(_) => 12,
            Period::Quarter(..) => 3,
            Period::Month(..) => 1,
        };
        self.from()
            .checked_add_months(Months::new(months))
            .unwrap_or(NaiveDate::MAX)
    }

    /// The period before this one, of the same kind.
    pub fn previous(self) -> Period {
        match self {
            Period::Year(y) => Period::Year(y - 1),
            Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            Period::Month(y, 1) => Period::Month(y - 1, 12),
            Period::Month(y, m) => Period::Month(y, m - 1),
        }
    }

    pub fn next(self) -> Period {
        match self {
            Period::Year(y) => Period::Year(y + 1),
            Period::Quarter(y, 4) => Period::Quarter(y + 1, 1),
            Period::Quarter(y, q) => Period::Quarter(y, q + 1),
            Period::Month(y, 12) => Period::Month(y + 1, 1),
            Period::Month(y, m) => Period::Month(y, m + 1),
        }
    }
}

fn quarter(year: &str, q: &str) -> Option<Period> {
    let y: i32 = year.trim_end_matches('-').parse().ok()?;
    let q: u32 = q.parse().ok()?;
    ((1..=4).contains(&q) && (1970..=9999).contains(&y)).then_some(Period::Quarter(y, q))
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_years_quarters_and_months() {
        assert_eq!(Period::parse("2026-Q4"), Ok(Period::Quarter(2026, 4)));
        assert_eq!(Period::parse("2026q1"), Ok(Period::Quarter(2026, 1)));
        assert_eq!(Period::parse("2026-11"), Ok(Period::Month(2026, 11)));
        assert_eq!(Period::parse("2026"), Ok(Period::Year(2026)));
        assert!(Period::parse("2026-Q5").is_err());
        assert!(Period::parse("2026-13").is_err());
        assert!(Period::parse("soon").is_err());
    }

    #[test]
    fn ranges_are_half_open() {
        let q = Period::Quarter(2026, 4);
        assert_eq!(q.from().to_string(), "2026-10-01");
        assert_eq!(q.to_exclusive().to_string(), "2027-01-01");
        assert_eq!(q.next(), Period::Quarter(2027, 1));
        assert_eq!(q.previous(), Period::Quarter(2026, 3));
        assert_eq!(
            Period::Month(2026, 12).to_exclusive().to_string(),
            "2027-01-01"
        );
    }
}
