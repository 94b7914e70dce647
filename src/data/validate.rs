//! Input checks with helpful sentences, run before the database's own checks (which stay the
//! authority). Shared by every writer in the data layer.

use super::DataError;
use super::inbox::MAX_DESCRIPTION_CHARS;
use super::lead::DEAL_STAGES;

type Result<T> = std::result::Result<T, DataError>;

/// Largest amount `numeric(14, 2)` holds.
const MAX_AMOUNT: f64 = 999_999_999_999.99;

pub(crate) fn invalid(why: impl Into<String>) -> DataError {
    DataError::Invalid(why.into())
}

/// A character as shown in a message: control and bidi characters as `U+XXXX`.
pub(crate) fn show_char(c: char) -> String {
    if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
        format!("U+{:04X}", c as u32)
    } else {
        format!("“{c}”")
    }
}

/// PostgreSQL text cannot hold NUL.
pub(crate) fn check_no_nul(what: &str, text: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(invalid(format!(
            "{what} contains a NUL character (U+0000), which cannot be stored"
        )));
    }
    Ok(())
}

/// Free text: stored as typed; blank means none.
pub(crate) fn optional_text(
    what: &str,
    text: Option<String>,
    max_chars: usize,
) -> Result<Option<String>> {
    let Some(text) = text else { return Ok(None) };
    if text.trim().is_empty() {
        return Ok(None);
    }
    check_no_nul(what, &text)?;
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(invalid(format!(
            "{what} is too long: {chars} characters (at most {max_chars})"
        )));
    }
    Ok(Some(text))
}

/// How a checked text is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// Byte-exact, as typed.
    AsTyped,
    /// Without leading and trailing white space.
    Trimmed,
}

/// The one rule for a required text: blank is `missing`; NUL cannot be stored; at most
/// `max_chars`, counted on what is stored. `what` names it in the NUL sentence, `called` in the
/// length sentence.
fn required(
    text: &str,
    stored: Stored,
    missing: &str,
    what: &str,
    called: &str,
    max_chars: usize,
) -> Result<String> {
    if text.trim().is_empty() {
        return Err(invalid(missing));
    }
    let text = match stored {
        Stored::AsTyped => text,
        Stored::Trimmed => text.trim(),
    };
    check_no_nul(what, text)?;
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(invalid(format!(
            "{called} can be at most {max_chars} characters (this one has {chars})"
        )));
    }
    Ok(text.to_owned())
}

pub(crate) fn valid_name(name: &str) -> Result<String> {
    required(
        name,
        Stored::AsTyped,
        "A lead needs a name",
        "The name",
        "A name",
        200,
    )
}

/// The database's rule (`^[^@\s]+@[^@\s]+\.[^@\s]+$`) with a sentence for each way to break it.
pub(crate) fn valid_email(email: Option<&str>) -> Result<Option<String>> {
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let shown = crate::text::clean_line(email);
    if let Some(c) = email.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(format!(
            "{shown} is not an email address: it contains {}",
            if c.is_whitespace() && !c.is_control() {
                "a space".to_owned()
            } else {
                show_char(c)
            }
        )));
    }
    let mut parts = email.split('@');
    let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => (local, domain),
        (_, None, _) => {
            return Err(invalid(format!(
                "{shown} is not an email address: it needs an @, like name@example.com"
            )));
        }
        _ => {
            return Err(invalid(format!(
                "{shown} is not an email address: it has more than one @"
            )));
        }
    };
    if local.is_empty() {
        return Err(invalid(format!(
            "{shown} is not an email address: nothing before the @"
        )));
    }
    let dotted = domain
        .char_indices()
        .any(|(i, c)| c == '.' && i > 0 && i + 1 < domain.len());
    if !dotted {
        return Err(invalid(format!(
            "{shown} is not an email address: the part after the @ needs a domain with a dot, like example.com"
        )));
    }
    if email.chars().count() > 320 {
        return Err(invalid("An email address can be at most 320 characters"));
    }
    Ok(Some(email.to_owned()))
}

/// A trailing extension (`x89`, `ext. 89`, migration 0007): the number before it and whether
/// the extension itself is 1 to 6 digits.
fn split_extension(phone: &str) -> (&str, bool) {
    let lower = phone.to_ascii_lowercase();
    let at = lower.rfind("ext").or_else(|| lower.rfind('x'));
    let Some(at) = at else {
        return (phone, true);
    };
    let rest = lower[at..]
        .trim_start_matches("ext")
        .trim_start_matches('x')
        .trim_start_matches('.')
        .trim_start();
    let ok = (1..=6).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_digit());
    (phone[..at].trim_end(), ok)
}

/// The database's rule (`^\+?[0-9 ()./-]{5,30}` and an optional extension `x89`), plus at
/// least one digit.
pub(crate) fn valid_phone(what: &str, phone: Option<&str>) -> Result<Option<String>> {
    let Some(phone) = phone.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let (number, extension_ok) = split_extension(phone);
    if !extension_ok {
        return Err(invalid(format!(
            "A {what}'s extension is 1 to 6 digits after x or ext, e.g. +1 555 0100 x89"
        )));
    }
    let body = number.strip_prefix('+').unwrap_or(number);
    if let Some(c) = body
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '.' | '/' | '-')))
    {
        let hint = if c == '+' {
            " (a + only at the start)".to_owned()
        } else {
            String::new()
        };
        return Err(invalid(format!(
            "A {what} may contain only digits, spaces and + ( ) . / - (found {}{hint})",
            show_char(c)
        )));
    }
    if !body.chars().any(|c| c.is_ascii_digit()) {
        return Err(invalid(format!("A {what} needs digits")));
    }
    let len = body.chars().count();
    if !(5..=30).contains(&len) {
        return Err(invalid(format!(
            "A {what} has 5 to 30 digits and separators (this one has {len})"
        )));
    }
    Ok(Some(phone.to_owned()))
}

pub(crate) fn valid_percent(what: &str, value: i32) -> Result<i32> {
    if !(0..=100).contains(&value) {
        return Err(invalid(format!(
            "{what} must be between 0 and 100 (not {value})"
        )));
    }
    Ok(value)
}

/// Rounded to cents, as `numeric(14, 2)` stores it.
pub(crate) fn valid_budget(value: f64) -> Result<f64> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid("A budget is a positive amount"));
    }
    if value > MAX_AMOUNT {
        return Err(invalid("A budget can be at most 999,999,999,999.99"));
    }
    Ok((value * 100.0).round() / 100.0)
}

pub(crate) fn valid_amount(value: f64) -> Result<f64> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid("A deal amount cannot be negative"));
    }
    if value > MAX_AMOUNT {
        return Err(invalid("A deal amount can be at most 999,999,999,999.99"));
    }
    Ok(value)
}

/// An ISO 4217 code Closer knows (the database checks only the form: three capitals).
pub(crate) fn valid_currency(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    if !crate::currency::is_known(&code) {
        return Err(invalid(crate::currency::accepted()));
    }
    Ok(code)
}

/// A task's title. The lead screen stores it as typed, the inbox trims it (each is pinned by
/// its tests).
pub(crate) fn valid_title(title: &str, stored: Stored) -> Result<String> {
    let missing = "A task needs a title";
    required(title, stored, missing, "The title", "A task title", 500)
}

/// A task's description: stored as typed; blank means none.
pub(crate) fn valid_description(description: Option<&str>) -> Result<Option<String>> {
    optional_text(
        "The description",
        description.map(str::to_owned),
        MAX_DESCRIPTION_CHARS,
    )
}

pub(crate) fn valid_deal_name(name: &str) -> Result<String> {
    let missing = "A deal needs a name";
    required(
        name,
        Stored::AsTyped,
        missing,
        "The deal name",
        "A deal name",
        200,
    )
}

pub(crate) fn valid_deal_stage(stage: &str) -> Result<String> {
    let stage = stage.trim().to_lowercase();
    if DEAL_STAGES.contains(&stage.as_str()) {
        Ok(stage)
    } else {
        Err(invalid(format!(
            "A deal stage is one of {}",
            DEAL_STAGES.join(", ")
        )))
    }
}

pub(crate) fn valid_tag(tag: &str) -> Result<String> {
    required(
        tag,
        Stored::Trimmed,
        "A tag cannot be empty",
        "The tag",
        "A tag",
        50,
    )
}

pub(crate) fn valid_color(color: &str) -> Result<String> {
    let color = color.trim();
    let hex = color.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(color.to_owned())
    } else {
        Err(invalid("A colour looks like #1a2b3c"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(DataError::Invalid(why)) => why,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn emails_follow_the_database_rule_with_sentences() {
        assert_eq!(
            valid_email(Some(" ann@example.com ")).ok().flatten(),
            Some("ann@example.com".to_owned())
        );
        assert_eq!(valid_email(Some("  ")).ok().flatten(), None);
        assert!(message(valid_email(Some("ann"))).contains("needs an @"));
        assert!(message(valid_email(Some("ann@example"))).contains("dot"));
        assert!(message(valid_email(Some("ann@.com"))).contains("dot"));
        assert!(message(valid_email(Some("@example.com"))).contains("before the @"));
        assert!(message(valid_email(Some("a@b@c.com"))).contains("more than one @"));
        assert!(message(valid_email(Some("a b@c.com"))).contains("space"));
        let escaped = message(valid_email(Some("a\u{1b}[2J@c.com")));
        assert!(!escaped.contains('\u{1b}'), "{escaped:?}");
    }

    #[test]
    fn phones_follow_the_database_rule_with_sentences() {
        assert_eq!(
            valid_phone("phone number", Some("+44 (20) 7946-0958"))
                .ok()
                .flatten(),
            Some("+44 (20) 7946-0958".to_owned())
        );
        assert!(message(valid_phone("phone number", Some("555-CALL-NOW"))).contains("“C”"));
        assert!(message(valid_phone("phone number", Some("12+34567"))).contains("start"));
        assert!(message(valid_phone("phone number", Some("123"))).contains("5 to 30"));
        // Issue 11: extensions.
        for ok in [
            "+1 555 1234 x89",
            "555-1234x89",
            "+44 20 7946 0958 ext. 12",
            "555 0100 EXT 7",
        ] {
            assert!(valid_phone("phone number", Some(ok)).is_ok(), "{ok}");
        }
        assert!(message(valid_phone("phone number", Some("555 1234 x"))).contains("extension"));
        assert!(
            message(valid_phone("phone number", Some("555 1234 x1234567"))).contains("extension")
        );
        assert!(message(valid_phone("phone number", Some("-----"))).contains("digits"));
    }
}
