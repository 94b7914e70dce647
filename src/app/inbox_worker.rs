//! Runs the inbox's effects against the store; the result comes back as an action.

use crate::data::PgStore;
use crate::state::Action;
use crate::state::inbox::InboxEffect;

pub async fn run(_store: &PgStore, effect: InboxEffect) -> Option<Action> {
    match effect {}
}
