//! A TUI watching the load: the real app loop, with its live listener, on a thread and runtime
//! of its own built like the app's (`app::runtime`: the loop on one thread, queries on two
//! workers), all its threads named so their CPU time can be told apart from the reps', typing a
//! key every 50 ms while the reps write, as rep 1 looking at the board.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use sqlx::postgres::PgConnectOptions;
use tokio::sync::Notify;
use uuid::Uuid;

use super::frames::{self, KeyFigures, Pace};
use crate::data::store::Session;

/// Time between two keys of the watching rep.
const KEY_EVERY: Duration = Duration::from_millis(50);
/// The name of every thread of the watching TUI (at most 15 bytes: Linux's limit).
const THREADS: &str = "bench-watcher";

pub struct Watching {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<KeyFigures>>,
}

/// Starts the watching TUI and returns once its board has loaded and settled.
pub async fn start(
    options: PgConnectOptions,
    organization_id: Uuid,
    statement_timeout_ms: u64,
) -> Result<Watching> {
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Notify::new());
    let pace = Pace::Steady {
        every: KEY_EVERY,
        stop: stop.clone(),
        ready: ready.clone(),
        threads: THREADS,
    };
    let thread =
        std::thread::Builder::new()
            .name(THREADS.into())
            .spawn(move || -> Result<KeyFigures> {
                let runtime = crate::app::runtime(THREADS)?;
                runtime.block_on(async move {
                    let session = Session::connect(options, statement_timeout_ms).await?;
                    let store = session.open(organization_id)?;
                    frames::keys(store, pace).await
                })
            })?;
    loop {
        tokio::select! {
            _ = ready.notified() => break,
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                if thread.is_finished() {
                    return Err(join(thread)
                        .err()
                        .unwrap_or_else(|| eyre!("the watching TUI stopped before its board loaded")));
                }
            }
        }
    }
    Ok(Watching { stop, thread })
}

impl Watching {
    /// Stops typing and returns what the watching TUI measured.
    pub async fn finish(self) -> Result<KeyFigures> {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread;
        tokio::task::spawn_blocking(move || join(thread)).await?
    }
}

fn join(thread: JoinHandle<Result<KeyFigures>>) -> Result<KeyFigures> {
    thread
        .join()
        .map_err(|_| eyre!("the watching TUI panicked"))?
}
