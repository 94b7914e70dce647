//! Live updates: LISTEN on the organization's secret channel and turn its notifications into
//! refresh hints for the screens.
//!
//! Every notification is a hint, never trusted (any login may NOTIFY any channel it knows):
//! unparsable payloads are dropped, the app's own echoes (sent by its own pool's backends) are
//! dropped, bursts are merged, and at most one change is delivered per [`MIN_INTERVAL`], so a
//! spoofed flood costs at most one targeted refresh per second. Notifications sent while
//! disconnected are lost, so every reconnect is reported and followed by a full re-read.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgNotification};
use tokio::time::Instant;
use uuid::Uuid;

use super::DataError;

/// Notifications arriving within this window after the first one are delivered together.
pub const COALESCE_WINDOW: Duration = Duration::from_millis(150);
/// Two deliveries are at least this far apart, whatever arrives (a flood is merged meanwhile).
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Merged id sets larger than this become "everything" (the sender caps each list at 20).
const MERGE_CAP: usize = 64;
/// Once a batch is due, the notices waiting are read until none comes for this long…
const DRAIN_QUIET: Duration = Duration::from_millis(2);
/// …or for this long in all (a floor never pauses).
const DRAIN_MAX: Duration = Duration::from_millis(50);
/// Backend pids remembered as "ours" (sqlx has no hook when a pool connection closes).
const OWN_PIDS_KEPT: usize = 32;

/// Sent on the old channel when an admin rotates it (someone left the organization): members
/// read the new name and listen there; the person who left cannot.
pub const ROTATED: &str = "channel_rotated";

/// Which ids a change touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Ids(BTreeSet<Uuid>),
    /// Too many or unknown: treat everything as touched.
    All,
}

impl Scope {
    pub fn none() -> Scope {
        Scope::Ids(BTreeSet::new())
    }

    pub fn contains(&self, id: Uuid) -> bool {
        match self {
            Scope::Ids(ids) => ids.contains(&id),
            Scope::All => true,
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Ids(ids) if ids.is_empty())
    }

    fn merge(&mut self, other: Scope) {
        match (&mut *self, other) {
            (Scope::All, _) => {}
            (_, Scope::All) => *self = Scope::All,
            (Scope::Ids(mine), Scope::Ids(theirs)) => {
                mine.extend(theirs);
                if mine.len() > MERGE_CAP {
                    *self = Scope::All;
                }
            }
        }
    }
}

/// What a teammate's transaction(s) changed: leads (rows or children) and board columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub leads: Scope,
    /// Columns whose contents or header totals may differ; `All` means "reload the board".
    pub stages: Scope,
}

impl Change {
    /// Everything may have changed (a reconnect, an unreadable hint we still must honour).
    pub fn everything() -> Change {
        Change {
            leads: Scope::All,
            stages: Scope::All,
        }
    }

    pub fn merge(&mut self, other: Change) {
        self.leads.merge(other.leads);
        self.stages.merge(other.stages);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// Teammates changed these leads and columns (merged over a short window).
    Changed(Change),
    /// The listening connection is gone; retrying with backoff.
    Disconnected(String),
    /// Listening again after a loss or a channel rotation: anything may have changed meanwhile.
    Reconnected,
}

/// What one notification says, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    Change(Change),
    Rotated,
}

/// The wire format (INTERFACES.md): `{"v":1,"leads":[uuid…]|null,"stages":[uuid…]|null}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    v: u32,
    leads: Option<Vec<Uuid>>,
    stages: Option<Vec<Uuid>>,
}

/// At most this many ids per list, as the sender promises; more is not a payload we sent.
const MAX_IDS: usize = 20;

/// Parses a payload; `None` for anything that is not exactly what the triggers send.
pub fn parse(payload: &str) -> Option<Hint> {
    if payload == ROTATED {
        return Some(Hint::Rotated);
    }
    // Real payloads are small; refuse to spend time on anything bigger.
    if payload.len() > 2048 {
        return None;
    }
    // Both lists must be present (`null` is a value; a missing key is not a payload we sent).
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    let object = value.as_object()?;
    if !(object.contains_key("leads") && object.contains_key("stages")) {
        return None;
    }
    let p: Payload = serde_json::from_value(value).ok()?;
    if p.v != 1 {
        return None;
    }
    let scope = |ids: Option<Vec<Uuid>>| match ids {
        None => Some(Scope::All),
        Some(ids) if ids.len() <= MAX_IDS => Some(Scope::Ids(ids.into_iter().collect())),
        Some(_) => None,
    };
    Some(Hint::Change(Change {
        leads: scope(p.leads)?,
        stages: scope(p.stages)?,
    }))
}

/// Backend pids of this process's own pool connections, recorded when each connection opens, so
/// their notifications (the rep's own writes, already on screen) are not refreshed again.
/// Bounded: sqlx 0.9 has no hook when a pool connection closes, so the oldest pids are forgotten.
#[derive(Clone, Debug, Default)]
pub struct OwnBackends(Arc<Mutex<VecDeque<u32>>>);

impl OwnBackends {
    pub fn record(&self, pid: u32) {
        if let Ok(mut pids) = self.0.lock() {
            if pids.contains(&pid) {
                return;
            }
            if pids.len() == OWN_PIDS_KEPT {
                pids.pop_front();
            }
            pids.push_back(pid);
        }
    }

    pub fn contains(&self, pid: u32) -> bool {
        self.0.lock().is_ok_and(|pids| pids.contains(&pid))
    }

    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |pids| pids.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The organization's notification channel, readable only by its members (through
/// `closer.my_notify_channel`, INTERFACES.md; a schema without it still has the old column).
pub async fn channel_of(pool: &PgPool, organization_id: Uuid) -> Result<String, DataError> {
    let read = sqlx::query_scalar(MY_CHANNEL_SQL)
        .bind(organization_id)
        .fetch_one(pool)
        .await;
    match read {
        Err(err) if is_undefined_function(&err) => Ok(sqlx::query_scalar(OLD_CHANNEL_SQL)
            .bind(organization_id)
            .fetch_one(pool)
            .await?),
        read => channel_from(read),
    }
}

/// [`channel_of`] read on the listening connection itself: behind a pooler the listen pool has
/// one connection, which the listener holds, so asking the pool would wait out its timeout.
async fn channel_on(listener: &mut PgListener, organization_id: Uuid) -> Result<String, DataError> {
    let read = sqlx::query_scalar(MY_CHANNEL_SQL)
        .bind(organization_id)
        .fetch_one(&mut *listener)
        .await;
    match read {
        Err(err) if is_undefined_function(&err) => Ok(sqlx::query_scalar(OLD_CHANNEL_SQL)
            .bind(organization_id)
            .fetch_one(&mut *listener)
            .await?),
        read => channel_from(read),
    }
}

const MY_CHANNEL_SQL: &str = "select closer.my_notify_channel($1)";
const OLD_CHANNEL_SQL: &str = "select notify_channel from organizations where id = $1";

fn channel_from(read: Result<Option<String>, sqlx::Error>) -> Result<String, DataError> {
    read?.ok_or(DataError::NotFound)
}

fn is_undefined_function(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "42883")
}

/// Listens to the organization's channel until `deliver` returns false (the app quit). Never
/// gives up on connection loss; follows channel rotations. `pool` serves the channel reads
/// and the one listening connection (a direct pool when queries go through a pooler).
pub async fn listen(
    pool: PgPool,
    own: OwnBackends,
    organization_id: Uuid,
    mut deliver: impl FnMut(LiveEvent) -> bool,
) {
    let mut backoff = Duration::from_millis(250);
    let mut lost = false;
    loop {
        let subscribed = match channel_of(&pool, organization_id).await {
            Ok(channel) => subscribe(&pool, &channel).await.map(|l| (l, channel)),
            Err(err) => Err(err),
        };
        let (mut listener, mut channel) = match subscribed {
            Ok(subscribed) => subscribed,
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
        let mut last_delivery: Option<Instant> = None;
        let ended = loop {
            let batch = match collect(&mut listener, &own, last_delivery).await {
                Ok(batch) => batch,
                Err(ended) => break ended,
            };
            last_delivery = Some(Instant::now());
            if batch.rotated {
                // Only a real rotation changes what the channel function returns; a spoofed
                // `channel_rotated` costs one read and nothing else.
                match channel_on(&mut listener, organization_id).await {
                    Ok(new) if new != channel => {
                        // Listen on the new name before leaving the old one: nothing is missed
                        // after this point, and what came before is re-read.
                        if let Err(err) = listener.listen(&new).await {
                            break Ended::Lost(DataError::from(err).to_string());
                        }
                        let _ = listener.unlisten(&channel).await;
                        channel = new;
                        if !deliver(LiveEvent::Reconnected) {
                            return;
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(err) if err.is_connection() => break Ended::Lost(err.to_string()),
                    // No longer a member (or no longer readable): stop hearing this channel
                    // before the connection goes back to the pool.
                    Err(err) => {
                        let _ = listener.unlisten_all().await;
                        break Ended::Lost(err.to_string());
                    }
                }
            }
            if let Some(change) = batch.change
                && !deliver(LiveEvent::Changed(change))
            {
                return;
            }
        };
        let message = match ended {
            Ended::Lost(message) => message,
            Ended::Dropped => "the listening connection was lost".to_string(),
        };
        if !deliver(LiveEvent::Disconnected(message)) {
            return;
        }
        lost = true;
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// What a batch of notifications amounts to.
#[derive(Debug, Default)]
struct Batch {
    change: Option<Change>,
    rotated: bool,
}

impl Batch {
    /// Adds one notification; returns whether it counted (not an echo, parsable).
    fn add(&mut self, note: &PgNotification, own: &OwnBackends) -> bool {
        if own.contains(note.process_id()) {
            return false;
        }
        match parse(note.payload()) {
            Some(Hint::Rotated) => self.rotated = true,
            Some(Hint::Change(change)) => match &mut self.change {
                Some(merged) => merged.merge(change),
                None => self.change = Some(change),
            },
            None => return false,
        }
        true
    }
}

enum Ended {
    /// sqlx saw the connection drop (`try_recv` → `None`); re-read the channel and subscribe.
    Dropped,
    Lost(String),
}

/// Waits for the first notification that counts, then merges what follows until both the
/// coalescing window and the minimum interval since the last delivery have passed. What follows
/// is read once that time has come, not as it arrives: a floor of 300 writes a second sends as
/// many notices, and reading each at once woke a worker for each (they wait in the socket, and
/// past its buffer in the server's notify queue, meanwhile).
async fn collect(
    listener: &mut PgListener,
    own: &OwnBackends,
    last_delivery: Option<Instant>,
) -> Result<Batch, Ended> {
    let mut batch = Batch::default();
    loop {
        match listener.try_recv().await {
            Ok(Some(note)) => {
                if batch.add(&note, own) {
                    break;
                }
            }
            Ok(None) => return Err(Ended::Dropped),
            Err(err) => return Err(Ended::Lost(DataError::from(err).to_string())),
        }
    }
    let now = Instant::now();
    let mut due = now + COALESCE_WINDOW;
    if let Some(last) = last_delivery {
        due = due.max(last + MIN_INTERVAL);
    }
    tokio::time::sleep_until(due).await;
    let drained_by = Instant::now() + DRAIN_MAX;
    loop {
        let quiet = DRAIN_QUIET.min(drained_by.saturating_duration_since(Instant::now()));
        tokio::select! {
            _ = tokio::time::sleep(quiet) => return Ok(batch),
            next = listener.try_recv() => match next {
                Ok(Some(note)) => { batch.add(&note, own); }
                // Deliver what we have; the loss shows on the next call.
                Ok(None) | Err(_) => return Ok(batch),
            },
        }
    }
}

async fn subscribe(pool: &PgPool, channel: &str) -> Result<PgListener, DataError> {
    let mut listener = PgListener::connect_with(pool).await?;
    // We re-read the channel and re-subscribe ourselves after a loss (the channel may have
    // rotated meanwhile), so sqlx must not silently re-LISTEN the old name.
    listener.eager_reconnect(false);
    listener.listen(channel).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|_| format!("\"{}\"", Uuid::new_v4())).collect()
    }

    #[test]
    fn the_agreed_payload_parses() {
        let lead = Uuid::new_v4();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let payload = format!(r#"{{"v":1,"leads":["{lead}"],"stages":["{a}","{b}"]}}"#);
        let Some(Hint::Change(change)) = parse(&payload) else {
            panic!("parses: {payload}");
        };
        assert_eq!(change.leads, Scope::Ids([lead].into()));
        assert_eq!(change.stages, Scope::Ids([a, b].into()));
        assert!(change.stages.contains(a) && !change.stages.contains(lead));
    }

    #[test]
    fn null_lists_mean_everything_and_rotation_is_exact() {
        let Some(Hint::Change(change)) = parse(r#"{"v":1,"leads":null,"stages":null}"#) else {
            panic!("parses");
        };
        assert_eq!(change, Change::everything());
        assert_eq!(parse("channel_rotated"), Some(Hint::Rotated));
        assert_eq!(parse("channel_rotated "), None);
        assert_eq!(parse("Channel_Rotated"), None);
    }

    #[test]
    fn anything_else_is_ignored() {
        let too_many = format!(r#"{{"v":1,"leads":[{}],"stages":[]}}"#, ids(21).join(","));
        for garbage in [
            "",
            "leads",
            "leads:6b3f7d3e-0000-4000-8000-000000000000",
            "{}",
            "null",
            "[]",
            r#"{"v":2,"leads":[],"stages":[]}"#,
            r#"{"v":1,"leads":["not-a-uuid"],"stages":[]}"#,
            r#"{"v":1,"leads":[],"stages":[],"extra":1}"#,
            r#"{"v":1,"leads":[]}"#,
            r#"{"v":1,"leads":[1],"stages":[]}"#,
            r#"{"v":1,"leads":[],"stages":[]"#,
            too_many.as_str(),
        ] {
            assert_eq!(parse(garbage), None, "{garbage:?}");
        }
        let huge = format!(
            r#"{{"v":1,"leads":[],"stages":[],"x":"{}"}}"#,
            "a".repeat(5000)
        );
        assert_eq!(parse(&huge), None);
        // Exactly 20 is what the sender may send.
        let twenty = format!(r#"{{"v":1,"leads":[{}],"stages":null}}"#, ids(20).join(","));
        assert!(matches!(parse(&twenty), Some(Hint::Change(_))));
    }

    #[test]
    fn merging_unions_ids_and_caps_at_everything() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut change = Change {
            leads: Scope::Ids([a].into()),
            stages: Scope::Ids([a].into()),
        };
        change.merge(Change {
            leads: Scope::Ids([b].into()),
            stages: Scope::All,
        });
        assert_eq!(change.leads, Scope::Ids([a, b].into()));
        assert_eq!(change.stages, Scope::All);
        for _ in 0..MERGE_CAP {
            change.merge(Change {
                leads: Scope::Ids([Uuid::new_v4()].into()),
                stages: Scope::none(),
            });
        }
        assert_eq!(
            change.leads,
            Scope::All,
            "a growing set ends as 'everything'"
        );
        assert!(Scope::none().is_empty() && !Scope::All.is_empty());
    }

    #[test]
    fn own_backends_are_remembered_and_bounded() {
        let own = OwnBackends::default();
        own.record(42);
        own.record(42);
        assert!(own.contains(42) && !own.contains(43));
        assert_eq!(own.len(), 1);
        for pid in 1000..1000 + OWN_PIDS_KEPT as u32 {
            own.record(pid);
        }
        assert_eq!(own.len(), OWN_PIDS_KEPT);
        assert!(!own.contains(42), "the oldest pid is forgotten first");
        assert!(own.contains(1000 + OWN_PIDS_KEPT as u32 - 1));
    }
}
