//! Teammates' TUIs listening while the floor writes (`closer bench load --listeners N`): each a
//! rep's session running the TUI's own listener (`data::live::listen`), counting the changes it
//! is handed. Every notice wakes every listening backend, so what a whole floor of watching TUIs
//! costs the server shows in the load's server CPU.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use color_eyre::eyre::Result;
use serde::Serialize;
use tokio::task::JoinHandle;

use super::report::round;
use super::target::Target;
use crate::data::live::{self, LiveEvent, OwnBackends};

#[derive(Debug, Clone, Serialize)]
pub struct ListenerFigures {
    pub listeners: usize,
    /// Changes handed to the listeners in all (each listener merges the notices of a short
    /// window into one change, as the TUI does).
    pub changes: u64,
    pub changes_per_listener_per_second: f64,
}

pub struct Listening {
    heard: Arc<AtomicU64>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts `n` listeners on the logins of reps 1..=`reps`, in turn.
pub async fn start(target: &Target, n: usize, reps: usize) -> Result<Listening> {
    let heard = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let store = target.rep_store(1 + i % reps.max(1)).await?;
        let counter = heard.clone();
        tasks.push(tokio::spawn(live::listen(
            store.pool().clone(),
            OwnBackends::default(),
            target.org_id,
            move |event| {
                if matches!(event, LiveEvent::Changed(_)) {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                true
            },
        )));
    }
    Ok(Listening { heard, tasks })
}

impl Listening {
    /// Stops listening; `seconds` is how long the floor wrote.
    pub fn finish(self, seconds: f64) -> ListenerFigures {
        for task in &self.tasks {
            task.abort();
        }
        let listeners = self.tasks.len();
        let changes = self.heard.load(Ordering::Relaxed);
        ListenerFigures {
            listeners,
            changes,
            changes_per_listener_per_second: round(
                changes as f64 / (listeners.max(1) as f64 * seconds.max(f64::EPSILON)),
            ),
        }
    }
}
