//! In-flight bookkeeping: every read or write the state waits for is an `Option<RequestId>`
//! (the one awaited answer). A result is taken only if it answers the awaited request; any
//! other (older, superseded, cancelled) is dropped. This is the one place that rule is written.

use super::RequestId;

/// Matching a result to the request in flight.
pub trait InFlight {
    /// Whether `request` is the one awaited; if so it is no longer in flight.
    fn answered_by(&mut self, request: RequestId) -> bool;
}

impl InFlight for Option<RequestId> {
    fn answered_by(&mut self, request: RequestId) -> bool {
        if *self == Some(request) {
            *self = None;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_awaited_request_is_taken_once() {
        let mut awaited: Option<RequestId> = Some(7);
        assert!(!awaited.answered_by(6), "an older answer is dropped");
        assert_eq!(awaited, Some(7));
        assert!(awaited.answered_by(7));
        assert_eq!(awaited, None);
        assert!(!awaited.answered_by(7), "a second answer is dropped");
    }
}
