//! Checks and parsers of typed form values: each returns the sentence the form shows inline.

use super::*;

/// The data layer's sentence for a value it would refuse (its checks are the database's).
pub fn refused(edit: LeadEdit) -> Option<String> {
    match edit.changes() {
        Err(DataError::Invalid(why)) => Some(why),
        _ => None,
    }
}

/// Why the email would be refused (`None`: fine, or blank).
pub fn email_problem(email: &str) -> Option<String> {
    let email = email.trim();
    (!email.is_empty()).then(|| {
        refused(LeadEdit {
            email: Some(Some(email.to_string())),
            ..LeadEdit::default()
        })
    })?
}

/// Why the phone number would be refused (`None`: fine, or blank).
pub fn phone_problem(phone: &str) -> Option<String> {
    let phone = phone.trim();
    (!phone.is_empty()).then(|| {
        refused(LeadEdit {
            phone: Some(Some(phone.to_string())),
            ..LeadEdit::default()
        })
    })?
}

/// Why the mobile number would be refused (`None`: fine, or blank).
pub fn mobile_problem(mobile: &str) -> Option<String> {
    let mobile = mobile.trim();
    (!mobile.is_empty()).then(|| {
        refused(LeadEdit {
            mobile: Some(Some(mobile.to_string())),
            ..LeadEdit::default()
        })
    })?
}

/// A lead's budget (`250000`, `250,000.50`, `250k`, `1.2m`): budgets carry no currency, so they
/// are US dollars (`$` or `USD` may be typed) and another currency is refused rather than stored
/// as dollars. Deal amounts carry theirs: `crate::currency::parse`.
pub fn parse_amount(text: &str) -> Result<Option<f64>, &'static str> {
    match crate::currency::parse(text) {
        Ok(Some(t)) if t.currency.as_deref().is_some_and(|c| c != "USD") => {
            Err("Budget: in US dollars (a budget carries no currency)")
        }
        Ok(t) => Ok(t.map(|t| t.amount)),
        Err(_) => Err("Budget: a number like 250000, 250k or 1.2m"),
    }
}

/// A whole number in `min..=max`.
pub fn parse_int(text: &str, min: i64, max: i64) -> Result<Option<i64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.trim_end_matches('%').trim().parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err(format!("A whole number from {min} to {max}")),
    }
}

/// A duration typed as minutes (`15`), `1:30` (minutes:seconds), `90s`, `1h` or `1h30` → seconds.
pub fn parse_duration(text: &str) -> Result<Option<i32>, &'static str> {
    const ERR: &str = "Duration: minutes (15), m:ss (1:30), 90s or 1h30";
    let t = text.trim().to_ascii_lowercase().replace(' ', "");
    if t.is_empty() {
        return Ok(None);
    }
    let num = |s: &str| s.parse::<i64>().ok().filter(|n| (0..=100_000).contains(n));
    let secs = if let Some((m, s)) = t.split_once(':') {
        match (num(m), num(s)) {
            (Some(m), Some(s)) if s < 60 => m * 60 + s,
            _ => return Err(ERR),
        }
    } else if let Some(s) = t.strip_suffix('s') {
        num(s).ok_or(ERR)?
    } else if let Some((h, m)) = t.split_once('h') {
        let h = num(h).ok_or(ERR)?;
        let m = if m.is_empty() {
            0
        } else {
            num(m.trim_end_matches('m')).ok_or(ERR)?
        };
        h * 3600 + m * 60
    } else {
        num(t.trim_end_matches("min").trim_end_matches('m')).ok_or(ERR)? * 60
    };
    i32::try_from(secs).map(Some).map_err(|_| ERR)
}

/// A due date as typed, read by the one parser (`crate::dates`): `Ok(None)` when blank or
/// `none`, else the date or why it cannot be read.
pub fn parse_date(text: &str, today: NaiveDate) -> Result<Option<Due>, String> {
    crate::dates::parse_optional(text, today).map_err(|e| format!("Date: {e}"))
}
