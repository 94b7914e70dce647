//! Database failures as sentences a rep can act on (never a bare SQLSTATE).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataError {
    /// The server could not be reached or the connection dropped.
    Connection(String),
    /// Wrong password, unknown or disabled login.
    Authentication,
    /// The database has no or old Closer migrations.
    NotMigrated,
    /// The login is not a member of any organization.
    NoMembership,
    /// Row-level security or a missing privilege refused the statement.
    PermissionDenied,
    /// Someone else changed the row first.
    Conflict,
    /// The row is gone or no longer visible to this login.
    NotFound,
    /// A value broke a rule; the sentence says which.
    Invalid(String),
    /// The statement ran past statement_timeout or was cancelled.
    Cancelled,
    Other(String),
}

impl DataError {
    pub fn is_connection(&self) -> bool {
        matches!(self, DataError::Connection(_))
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Connection(why) => write!(f, "Cannot reach the database: {why}"),
            DataError::Authentication => {
                write!(
                    f,
                    "The database refused the login: wrong password, or the login was removed or disabled"
                )
            }
            DataError::NotMigrated => write!(
                f,
                "This database has no or old Closer tables: ask an admin to run `closer admin migrate`"
            ),
            DataError::NoMembership => write!(
                f,
                "Your login is not a member of any organization: ask an admin to run `closer admin add-user`"
            ),
            DataError::PermissionDenied => write!(
                f,
                "You are not allowed to do that (your role or organization forbids it)"
            ),
            DataError::Conflict => write!(
                f,
                "Someone else changed this record first; reload to see their change"
            ),
            DataError::NotFound => {
                write!(f, "This record was deleted or is no longer visible to you")
            }
            DataError::Invalid(why) => write!(f, "{why}"),
            DataError::Cancelled => write!(f, "The query took too long and was cancelled"),
            DataError::Other(why) => write!(f, "Database error: {why}"),
        }
    }
}

impl std::error::Error for DataError {}

impl From<sqlx::Error> for DataError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                let constraint = db.constraint().unwrap_or_default().to_string();
                from_sqlstate(&code, &constraint, db.message())
            }
            sqlx::Error::Io(e) => DataError::Connection(crate::errors::io_sentence(e)),
            sqlx::Error::Tls(e) => DataError::Connection(format!("TLS: {e}")),
            sqlx::Error::PoolTimedOut => {
                DataError::Connection("timed out waiting for a connection".into())
            }
            sqlx::Error::PoolClosed => {
                DataError::Connection("the connection pool is closed".into())
            }
            sqlx::Error::Protocol(e) => DataError::Connection(e.clone()),
            sqlx::Error::RowNotFound => DataError::NotFound,
            sqlx::Error::Migrate(_) => DataError::NotMigrated,
            other => DataError::Other(crate::text::clean_line(&other.to_string()).into_owned()),
        }
    }
}

fn from_sqlstate(code: &str, constraint: &str, message: &str) -> DataError {
    match code {
        "28P01" | "28000" => DataError::Authentication,
        // A login without CONNECT on this database: no membership in any of its organizations
        // (offboarding revokes the database's connect group, migration 0004).
        "42501" if message.starts_with("permission denied for database") => DataError::NoMembership,
        "42501" => DataError::PermissionDenied,
        // Raised by the write functions of migration 0004.
        "CL404" => DataError::NotFound,
        "CL409" => DataError::Conflict,
        // A refusal written as a sentence by the closing (0006) and pipeline editor (0009) functions.
        "CL422" => DataError::Invalid(message.to_owned()),
        "42P01" | "42883" | "42703" => DataError::NotMigrated,
        "57014" => DataError::Cancelled,
        "40001" | "40P01" => DataError::Conflict,
        "23505" => DataError::Invalid(format!(
            "That already exists ({})",
            describe_constraint(constraint)
        )),
        "23503" => DataError::Invalid(
            "That refers to a record that does not exist or is not visible to you".into(),
        ),
        "23502" => DataError::Invalid("A required field is empty".into()),
        "23514" | "23P01" => DataError::Invalid(format!(
            "Invalid value: {}",
            describe_constraint(constraint)
        )),
        "22001" => DataError::Invalid("A value is too long".into()),
        "22P02" | "22007" | "22008" | "22003" => {
            DataError::Invalid("A value has the wrong format or is out of range".into())
        }
        c if c.starts_with("08")
            || c == "57P01"
            || c == "57P02"
            || c == "57P03"
            || c == "53300" =>
        {
            DataError::Connection(crate::text::clean_line(message).into_owned())
        }
        _ => DataError::Other(crate::text::clean_line(message).into_owned()),
    }
}

/// The size checks of migration 0004 are named `closer_size_<column>_<limit>`: "the notes hold
/// at most 1000 characters" style text naming the field and its limit.
fn describe_size_limit(constraint: &str) -> Option<String> {
    let rest = constraint.strip_prefix("closer_size_")?;
    let (column, limit) = rest.rsplit_once('_')?;
    let limit: u64 = limit.parse().ok()?;
    let field = column.replace('_', " ");
    let unit = if JSON_COLUMNS.contains(&column) {
        "bytes"
    } else {
        "characters"
    };
    Some(format!("{field} is too long (at most {limit} {unit})"))
}

/// The jsonb columns (their limits count bytes of the JSON text).
const JSON_COLUMNS: [&str; 5] = [
    "metadata",
    "raw_data",
    "preferences",
    "custom_fields",
    "content",
];

/// Turns `leads_email_check` into "email is not valid" style text.
fn describe_constraint(constraint: &str) -> String {
    if let Some(text) = describe_size_limit(constraint) {
        return text;
    }
    let known = [
        ("_email_check", "the email address is not valid"),
        (
            "_phone_check",
            "the phone number is not valid (digits, spaces, + ( ) . / - only)",
        ),
        ("_mobile_check", "the mobile number is not valid"),
        ("_score_check", "scores must be between 0 and 100"),
        (
            "_probability_check",
            "probability must be between 0 and 100",
        ),
        ("_amount_check", "amounts cannot be negative"),
        ("_name_check", "the name must be 1–200 characters"),
        ("_title_check", "the title must be 1–500 characters"),
        ("_color_check", "colours look like #1a2b3c"),
        ("_tag_check", "tags are 1–50 characters"),
    ];
    known
        .iter()
        .find(|(suffix, _)| constraint.ends_with(suffix))
        .map(|(_, text)| (*text).to_string())
        .unwrap_or_else(|| constraint.replace('_', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_become_sentences() {
        assert_eq!(from_sqlstate("42501", "", "x"), DataError::PermissionDenied);
        assert_eq!(from_sqlstate("28P01", "", "x"), DataError::Authentication);
        let invalid = from_sqlstate("23514", "leads_email_check", "x").to_string();
        assert!(invalid.contains("email address is not valid"), "{invalid}");
        assert!(!invalid.contains("23514"));
        assert!(from_sqlstate("57P01", "", "terminating connection").is_connection());
        let size = from_sqlstate("23514", "closer_size_lost_reason_2000", "x").to_string();
        assert_eq!(
            size,
            "Invalid value: lost reason is too long (at most 2000 characters)"
        );
        let json = from_sqlstate("23514", "closer_size_metadata_262144", "x").to_string();
        assert!(
            json.contains("metadata is too long (at most 262144 bytes)"),
            "{json}"
        );
        assert_eq!(from_sqlstate("CL404", "", "x"), DataError::NotFound);
        assert_eq!(from_sqlstate("CL409", "", "x"), DataError::Conflict);
        assert_eq!(
            from_sqlstate("42501", "", "permission denied for database \"x\""),
            DataError::NoMembership
        );
    }
}
