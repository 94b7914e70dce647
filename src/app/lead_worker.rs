//! Runs the lead screen's effects against the store; the result comes back as an action.

use crate::data::PgStore;
use crate::state::Action;
use crate::state::lead::LeadEffect;

pub async fn run(_store: &PgStore, effect: LeadEffect) -> Option<Action> {
    match effect {}
}
