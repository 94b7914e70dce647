//! The filter language shared by the board's filter bar, the inbox, saved views and the command
//! line: `owner:me tag:vip score:>70 rotting`. Pure: parsing and printing only; the data layer
//! (`data::filter_sql`) turns a [`Filter`] into a parameterised SQL predicate.
//!
//! Terms are ANDed; the values of one term separated by commas are ORed (`tag:vip,hot`).

mod complete;
mod parse;

pub use complete::{FilterChoices, apply as apply_completion, complete};
pub use parse::{MAX_LEN, parse};

use chrono::NaiveDate;
use std::fmt;
use std::ops::Range;

/// A parsed filter: every term must hold. Empty means "everything".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub terms: Vec<Term>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// Leads assigned to any of these people.
    Owners(Vec<Owner>),
    /// Leads carrying any of these tags (case-insensitive).
    Tags(Vec<String>),
    /// Leads whose source is any of these (case-insensitive).
    Sources(Vec<String>),
    /// Score within `min..=max` (0..=100).
    Score {
        min: i32,
        max: i32,
    },
    /// In an open stage with `rotting_days`, no contact (or creation) for that many days.
    Rotting,
    /// At least one open task past due in the viewer's time zone.
    Overdue,
    /// No open task at all.
    NoNextStep,
    Created(DateRange),
    Contacted(DateRange),
    /// Case-insensitive substring of name, company or e-mail.
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Me,
    /// Unassigned leads.
    Nobody,
    /// A team member by full name or first name, case-insensitive.
    Named(String),
}

/// A range of days in the viewer's time zone; both ends inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateRange {
    /// From the start of the day `n` days ago until now (`7d` = the last week; `0d` = today).
    Within(Span),
    /// Before the start of the day `n` days ago (`>30d` = longer ago than 30 days).
    OlderThan(Span),
    /// Calendar days, each end optional.
    Between(Option<NaiveDate>, Option<NaiveDate>),
    /// Only for `contacted`: never contacted.
    Never,
}

/// A number of days as written (`2w` stays `2w` when printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub count: u32,
    pub unit: char,
}

impl Span {
    pub fn days(self) -> i64 {
        let per = match self.unit {
            'w' => 7,
            'm' => 30,
            'y' => 365,
            _ => 1,
        };
        i64::from(self.count) * per
    }
}

/// Why a filter did not parse: the byte range of the offending word and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub span: Range<usize>,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FilterError {}

/// The keys a filter understands, for completion and help.
pub const KEYS: &[&str] = &[
    "owner:",
    "tag:",
    "source:",
    "score:",
    "created:",
    "contacted:",
    "mine",
    "rotting",
    "overdue",
    "no-next-step",
];

fn quoted(value: &str) -> String {
    if value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == '"')
    {
        format!("\"{}\"", value.replace('"', ""))
    } else {
        value.to_string()
    }
}

fn list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| quoted(v))
        .collect::<Vec<_>>()
        .join(",")
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit)
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateRange::Within(s) if s.count == 0 => f.write_str("today"),
            DateRange::Within(s) => write!(f, "<{s}"),
            DateRange::OlderThan(s) => write!(f, ">{s}"),
            DateRange::Between(a, b) => {
                let day = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                if a == b && a.is_some() {
                    f.write_str(&day(a))
                } else {
                    write!(f, "{}..{}", day(a), day(b))
                }
            }
            DateRange::Never => f.write_str("never"),
        }
    }
}

/// Prints the canonical text of a term; `parse(term.to_string())` gives the term back.
impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Owners(owners) if owners == &[Owner::Me] => f.write_str("mine"),
            Term::Owners(owners) => {
                let names: Vec<String> = owners
                    .iter()
                    .map(|o| match o {
                        Owner::Me => "me".to_string(),
                        Owner::Nobody => "none".to_string(),
                        Owner::Named(n) => n.clone(),
                    })
                    .collect();
                write!(f, "owner:{}", list(&names))
            }
            Term::Tags(tags) => write!(f, "tag:{}", list(tags)),
            Term::Sources(sources) => write!(f, "source:{}", list(sources)),
            Term::Score { min, max } => match (*min, *max) {
                (lo, 100) => write!(f, "score:>={lo}"),
                (0, hi) => write!(f, "score:<={hi}"),
                (lo, hi) if lo == hi => write!(f, "score:{lo}"),
                (lo, hi) => write!(f, "score:{lo}..{hi}"),
            },
            Term::Rotting => f.write_str("rotting"),
            Term::Overdue => f.write_str("overdue"),
            Term::NoNextStep => f.write_str("no-next-step"),
            Term::Created(r) => write!(f, "created:{r}"),
            Term::Contacted(r) => write!(f, "contacted:{r}"),
            Term::Text(t) => f.write_str(&quoted(t)),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.terms.iter().map(|t| t.to_string()).collect();
        f.write_str(&parts.join(" "))
    }
}
