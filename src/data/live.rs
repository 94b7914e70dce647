//! Live updates: LISTEN on the organization's secret channel, coalesce bursts, and report
//! connection loss and recovery so the screens can refresh (notifications sent while
//! disconnected are lost, so every reconnect must be followed by a re-read).

use std::collections::BTreeSet;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::DataError;

/// Notifications arriving within this window after the first one are delivered together.
pub const COALESCE_WINDOW: Duration = Duration::from_millis(150);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// Tables that changed (e.g. "leads", "lead_tasks"), coalesced over a short window.
    Changed(BTreeSet<String>),
    /// The listening connection is gone; retrying with backoff.
    Disconnected(String),
    /// Listening again after a loss: anything may have changed meanwhile.
    Reconnected,
}

/// The organization's notification channel, readable only by its members.
pub async fn channel_of(pool: &PgPool, organization_id: uuid::Uuid) -> Result<String, DataError> {
    Ok(
        sqlx::query_scalar("select notify_channel from organizations where id = $1")
            .bind(organization_id)
            .fetch_one(pool)
            .await?,
    )
}

/// Sent on the old channel when an admin rotates it (someone left the organization): members
/// read the new name through RLS and listen there; the person who left cannot.
pub const ROTATED: &str = "channel_rotated";

/// Listens to the organization's channel until `deliver` returns false (the app quit). Never
/// gives up on connection loss; follows channel rotations.
pub async fn listen(
    pool: PgPool,
    organization_id: uuid::Uuid,
    mut deliver: impl FnMut(LiveEvent) -> bool,
) {
    let mut backoff = Duration::from_millis(250);
    let mut lost = false;
    loop {
        let subscribed = match channel_of(&pool, organization_id).await {
            Ok(channel) => subscribe(&pool, &channel).await,
            Err(err) => Err(err),
        };
        let mut listener = match subscribed {
            Ok(listener) => listener,
            Err(err) => {
                if !deliver(LiveEvent::Disconnected(err.to_string())) {
                    return;
                }
                lost = true;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        if lost && !deliver(LiveEvent::Reconnected) {
            return;
        }
        backoff = Duration::from_millis(250);
        loop {
            match listener.try_recv().await {
                Ok(Some(rotated)) if rotated.payload() == ROTATED => {
                    // Subscribe to the new name and re-read what may have changed meanwhile.
                    lost = true;
                    break;
                }
                Ok(Some(first)) => {
                    let mut tables = BTreeSet::new();
                    tables.insert(table_of(first.payload()));
                    // Coalesce a burst into one refresh.
                    let window = tokio::time::sleep(COALESCE_WINDOW);
                    tokio::pin!(window);
                    loop {
                        tokio::select! {
                            _ = &mut window => break,
                            next = listener.try_recv() => match next {
                                Ok(Some(n)) => { tables.insert(table_of(n.payload())); }
                                Ok(None) | Err(_) => break,
                            },
                        }
                    }
                    if !deliver(LiveEvent::Changed(tables)) {
                        return;
                    }
                }
                // The connection dropped and sqlx already reconnected: re-read everything.
                Ok(None) => {
                    if !deliver(LiveEvent::Reconnected) {
                        return;
                    }
                }
                Err(err) => {
                    if !deliver(LiveEvent::Disconnected(DataError::from(err).to_string())) {
                        return;
                    }
                    lost = true;
                    break;
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn subscribe(pool: &PgPool, channel: &str) -> Result<PgListener, DataError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// `leads:<uuid>` → `leads`.
fn table_of(payload: &str) -> String {
    payload.split(':').next().unwrap_or_default().to_string()
}
