//! What one rep of `closer bench load` does: its loop of writes through the TUI's data layer
//! (half moves, three in ten logged calls, two in ten task completions), paced for an open loop
//! or as fast as it can, and what it logs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::Result;
use rand::Rng;
use rand::seq::IndexedRandom;
use uuid::Uuid;

use crate::data::lead::{Direction, InteractionKind, NewInteraction, NewTask};
use crate::data::models::{Stage, TaskPriority};
use crate::data::{DataError, PgStore};

/// What one rep did.
#[derive(Default)]
pub(super) struct RepLog {
    pub(super) by_op: BTreeMap<&'static str, Vec<Duration>>,
    pub(super) conflicts: u64,
    pub(super) timeouts: u64,
    pub(super) connection: u64,
    pub(super) other: u64,
    pub(super) examples: BTreeMap<&'static str, String>,
}

/// When a rep's writes are due under `--rate`: one every `reps / rate` seconds, the reps
/// staggered evenly over that interval, whatever the latency (a late write is not skipped: its
/// wait shows in its latency, measured from when it was due).
#[derive(Debug, Clone, Copy)]
struct Pace {
    interval: Duration,
    next: Instant,
}

impl Pace {
    fn new(rate: f64, reps: usize, index: usize, start: Instant) -> Pace {
        let interval = Duration::from_secs_f64(reps as f64 / rate);
        Pace {
            interval,
            next: start + interval.mul_f64(index as f64 / reps as f64),
        }
    }

    /// The next write's scheduled start; the schedule moves on by one interval.
    fn due(&mut self) -> Instant {
        let due = self.next;
        self.next += self.interval;
        due
    }
}

/// Every rep writes for `seconds` (paced when `rate` is given) on its share of the leads;
/// returns what each did and the shares with the leads' stages as they are now.
pub(super) async fn write_for(
    stores: &[PgStore],
    stages: &[Stage],
    shares: Vec<Vec<(Uuid, Uuid)>>,
    seconds: f64,
    rate: Option<f64>,
) -> Result<(Vec<RepLog>, Vec<Vec<(Uuid, Uuid)>>)> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let reps = stores.len();
    let mut handles = Vec::with_capacity(reps);
    for (index, (store, leads)) in stores.iter().cloned().zip(shares).enumerate() {
        let stages = stages.to_vec();
        let pace = rate.map(|r| Pace::new(r, reps, index, started));
        handles.push(tokio::spawn(rep(store, stages, leads, deadline, pace)));
    }
    let mut logs = Vec::with_capacity(reps);
    let mut shares = Vec::with_capacity(reps);
    for handle in handles {
        let (log, leads) = handle.await?;
        logs.push(log);
        shares.push(leads);
    }
    Ok((logs, shares))
}

/// One rep's loop: half moves, three in ten logged calls, two in ten task completions; with a
/// `pace`, each write waits for its scheduled start and its latency counts from there (for a
/// task, its list read included: the rep waits for it too).
async fn rep(
    store: PgStore,
    stages: Vec<Stage>,
    mut leads: Vec<(Uuid, Uuid)>,
    deadline: Instant,
    mut pace: Option<Pace>,
) -> (RepLog, Vec<(Uuid, Uuid)>) {
    let mut log = RepLog::default();
    while Instant::now() < deadline && !leads.is_empty() {
        let scheduled = match pace.as_mut().map(Pace::due) {
            Some(due) if due >= deadline => break,
            Some(due) => {
                tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
                Some(due)
            }
            None => None,
        };
        let (index, roll) = {
            let mut rng = rand::rng();
            (rng.random_range(0..leads.len()), rng.random_range(0..10))
        };
        let (lead, stage) = leads[index];
        let (op, outcome) = if roll < 5 {
            let Some(to) = other_stage(&stages, stage) else {
                break;
            };
            let reason = to.is_lost.then(|| "bench".to_string());
            let started = Instant::now();
            let moved = store.move_lead(lead, stage, to.id, reason).await;
            let took = started.elapsed();
            match &moved {
                Ok(m) => leads[index].1 = m.stage_id,
                // Rolled back (or unknown): read where the lead is before moving it again.
                Err(_) => match store.lead_detail(lead).await {
                    Ok(detail) => leads[index].1 = detail.stage_id,
                    Err(_) => {
                        leads.swap_remove(index);
                    }
                },
            }
            ("move", moved.map(|_| took))
        } else if roll < 8 {
            let started = Instant::now();
            let logged = store.log_interaction(lead, call()).await;
            ("call", logged.map(|_| started.elapsed()))
        } else {
            task(&store, lead).await
        };
        match outcome {
            Ok(took) => log
                .by_op
                .entry(op)
                .or_default()
                .push(scheduled.map_or(took, |due| due.elapsed())),
            Err(err) => {
                let kind = match &err {
                    DataError::Conflict => {
                        log.conflicts += 1;
                        "conflict"
                    }
                    DataError::Cancelled => {
                        log.timeouts += 1;
                        "timeout"
                    }
                    DataError::Connection(_) => {
                        log.connection += 1;
                        "connection"
                    }
                    _ => {
                        log.other += 1;
                        "other"
                    }
                };
                log.examples
                    .entry(kind)
                    .or_insert_with(|| format!("{op}: {err}"));
            }
        }
    }
    (log, leads)
}

fn other_stage(stages: &[Stage], current: Uuid) -> Option<&Stage> {
    let others: Vec<&Stage> = stages.iter().filter(|s| s.id != current).collect();
    others.choose(&mut rand::rng()).copied()
}

fn call() -> NewInteraction {
    NewInteraction {
        kind: InteractionKind::Call,
        direction: Some(Direction::Outbound),
        subject: Some("Bench call".into()),
        content: None,
        duration_secs: Some(90),
        outcome: Some("connected".into()),
    }
}

/// Completes the lead's first open task as the tasks tab would (its list read is not in the
/// returned time); a lead without one gets a follow-up task instead.
async fn task(store: &PgStore, lead: Uuid) -> (&'static str, Result<Duration, DataError>) {
    let tasks = match store.lead_tasks(lead, chrono::Utc::now()).await {
        Ok(tasks) => tasks,
        Err(err) => return ("complete_task", Err(err)),
    };
    let started = Instant::now();
    match tasks.iter().find(|t| t.status.is_open()) {
        Some(open) => (
            "complete_task",
            store
                .complete_task(open.id, open.version)
                .await
                .map(|_| started.elapsed()),
        ),
        None => {
            let follow_up = NewTask {
                title: "Bench follow-up".into(),
                description: None,
                due_date: Some(Utc::now().date_naive() + chrono::Days::new(2)),
                due_time: None,
                priority: TaskPriority::Medium,
                assigned_to: None,
            };
            (
                "add_task",
                store
                    .add_task(lead, follow_up, chrono::Utc::now())
                    .await
                    .map(|_| started.elapsed()),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paced_reps_offer_the_rate_staggered_and_never_skip() {
        let start = Instant::now();
        // 50 reps at 500 writes/s: each rep one write every 100 ms, rep 10 starting 20 ms in.
        let mut pace = Pace::new(500.0, 50, 10, start);
        assert_eq!(pace.due() - start, Duration::from_millis(20));
        assert_eq!(pace.due() - start, Duration::from_millis(120));
        assert_eq!(pace.due() - start, Duration::from_millis(220));
        // All reps together: 500 writes due in the first second, one every 2 ms.
        let mut due: Vec<Duration> = (0..50)
            .flat_map(|i| {
                let mut p = Pace::new(500.0, 50, i, start);
                (0..20).map(move |_| p.due() - start).collect::<Vec<_>>()
            })
            .filter(|d| *d < Duration::from_secs(1))
            .collect();
        due.sort();
        assert_eq!(due.len(), 500);
        assert!(
            due.windows(2)
                .all(|w| w[1] - w[0] <= Duration::from_micros(2_001))
        );
    }
}
