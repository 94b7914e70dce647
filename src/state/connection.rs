//! The connection as the rep sees it: the overdue count (also the reconnect probe), failures
//! that start probing, and teammates' live changes routed to every screen.

use std::time::Duration;

use super::screen::Contract;
use super::{Connection, Effect, Failure, RequestId, State, board, inbox, lead};

impl State {
    pub(crate) fn load_overdue(&mut self, delay: Option<Duration>) -> Vec<Effect> {
        let request = self.next_id();
        self.overdue_request = Some(request);
        vec![Effect::LoadOverdue { request, delay }]
    }
}

/// Teammates' changes refresh what is on screen through RLS; selection stays on the same lead
/// (the board keeps it by id). A reconnect re-reads too: notifications sent meanwhile are lost.
pub(super) fn on_live(state: &mut State, event: crate::data::live::LiveEvent) -> Vec<Effect> {
    use crate::data::live::LiveEvent;
    match event {
        LiveEvent::Disconnected(_) => {
            state.connection = Connection::Reconnecting;
            Vec::new()
        }
        LiveEvent::Reconnected => {
            state.connection = Connection::Connected;
            state.retries = 0;
            super::refresh(state)
        }
        // A hint (INTERFACES.md): each screen re-reads only what it shows of it. The listener
        // delivers at most one change per second, so this is also the refresh rate's ceiling.
        LiveEvent::Changed(change) => {
            let mut fx = lead::Reducer::on_live_change(state, &change);
            fx.extend(inbox::Reducer::on_live_change(state, &change));
            // The payload does not say which table changed: any change may be a task.
            if state.overdue_request.is_none() {
                fx.extend(state.load_overdue(None));
            }
            fx.extend(board::Reducer::on_live_change(state, &change));
            fx
        }
    }
}

pub(super) fn on_overdue(
    state: &mut State,
    request: RequestId,
    result: Result<i64, Failure>,
) -> Vec<Effect> {
    if state.overdue_request != Some(request) {
        return Vec::new();
    }
    state.overdue_request = None;
    match result {
        Ok(n) => {
            state.overdue = Some(n);
            state.retries = 0;
            if state.connection != Connection::Connected {
                state.connection = Connection::Connected;
                state.info("Reconnected");
                return super::refresh(state);
            }
            Vec::new()
        }
        Err(f) if f.connection => {
            state.retries = state.retries.saturating_add(1);
            state.connection = if state.retries >= 3 {
                Connection::Offline
            } else {
                Connection::Reconnecting
            };
            let secs = 1u64 << state.retries.min(5);
            state.load_overdue(Some(Duration::from_secs(secs.min(30))))
        }
        Err(_) => Vec::new(),
    }
}

/// A connection failure starts reconnect probes (one at a time).
pub(crate) fn note_failure(state: &mut State, failure: &Failure) -> Vec<Effect> {
    if !failure.connection {
        return Vec::new();
    }
    if state.connection == Connection::Connected {
        state.connection = Connection::Reconnecting;
    }
    if state.overdue_request.is_none() {
        return state.load_overdue(Some(Duration::from_secs(1)));
    }
    Vec::new()
}
