//! A data error as the UI shows it (a leaf module: every job family uses it).

use crate::data::DataError;
use crate::state::Failure;

/// A data error as the UI shows it.
pub fn failure(err: DataError) -> Failure {
    Failure {
        connection: err.is_connection(),
        message: err.to_string(),
    }
}

/// What a backend without a capability answers (the test fakes leave some out).
pub fn unsupported(what: &str) -> Failure {
    Failure {
        message: format!("This board cannot {what}"),
        connection: false,
    }
}
