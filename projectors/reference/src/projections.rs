//! Folding an applied event into the projection tables (CONTRACT P1-P3).
//!
//! The fold functions are pure: the new row depends only on the old row, the event and
//! its seq (CONTRACT M5), never on the clock, the caller or table iteration order. Every
//! counter saturates at u64::MAX instead of wrapping.

use spacetimedb::{ReducerContext, Table};

use crate::events::{ProjectedEvent, RunEvent, WorkerEvent};
use crate::tables::{run_summary, worker_status, RunSummary, WorkerStatus};

pub const RUN_CREATED: &str = "created";
pub const RUN_RUNNING: &str = "running";
pub const RUN_COMPLETED: &str = "completed";
pub const RUN_CANCELLED: &str = "cancelled";

pub const WORKER_ONLINE: &str = "online";
pub const WORKER_OFFLINE: &str = "offline";

/// Folds an applied event (with sequence number `seq`) into its projection row, if any.
pub fn fold_into_tables(ctx: &ReducerContext, seq: u64, event: &ProjectedEvent) {
    match event {
        ProjectedEvent::Run { run_id, event } => {
            let before = ctx.db.run_summary().run_id().find(run_id);
            let after = fold_run(before.clone(), run_id, seq, event);
            if before.is_some() {
                ctx.db.run_summary().run_id().update(after);
            } else {
                ctx.db.run_summary().insert(after);
            }
        }
        ProjectedEvent::Worker { worker_id, event } => {
            let before = ctx.db.worker_status().worker_id().find(worker_id);
            // MUTANT mutant-session-reads-fleet (breaks P2, M5, G2): whether coming online
            // starts a new session is read from the fleet ("is any worker online?") instead
            // of this worker's own row, so the count depends on how the streams interleave.
            #[cfg(feature = "mutant-session-reads-fleet")]
            let fleet_online = ctx.db.worker_status().iter().any(|w| w.status == WORKER_ONLINE);
            let after = fold_worker(before.clone(), worker_id, seq, event);
            #[cfg(feature = "mutant-session-reads-fleet")]
            let after = match event {
                WorkerEvent::Online { .. }
                    if fleet_online && after.sessions > before.as_ref().map_or(0, |b| b.sessions) =>
                {
                    WorkerStatus { sessions: after.sessions - 1, ..after }
                }
                _ => after,
            };
            // MUTANT mutant-timestamp-projection (breaks M5, G2): a heartbeat records when the
            // worker was last seen (the reducer's clock, in ms) in last_seq, so a rebuild differs.
            #[cfg(feature = "mutant-timestamp-projection")]
            let after = match event {
                WorkerEvent::Heartbeat => WorkerStatus {
                    last_seq: ctx.timestamp.to_micros_since_unix_epoch() as u64 / 1000,
                    ..after
                },
                _ => after,
            };
            if before.is_some() {
                ctx.db.worker_status().worker_id().update(after);
            } else {
                ctx.db.worker_status().insert(after);
            }
        }
        // Notes are stored in `sync_event` only (P3).
        ProjectedEvent::Note => {}
    }
}

/// The row a run gets before its first event folds.
fn new_run(run_id: &str) -> RunSummary {
    RunSummary {
        run_id: run_id.to_string(),
        owner: String::new(),
        status: RUN_CREATED.to_string(),
        steps: 0,
        tokens_total: 0,
        outcome: String::new(),
        ignored_events: 0,
        last_seq: 0,
    }
}

/// P1: the run's row after `event`. `existing` is the row before it, if there was one.
pub fn fold_run(existing: Option<RunSummary>, run_id: &str, seq: u64, event: &RunEvent) -> RunSummary {
    let is_new_row = existing.is_none();
    let mut row = existing.unwrap_or_else(|| new_run(run_id));
    row.last_seq = seq;
    if row.status == RUN_COMPLETED || row.status == RUN_CANCELLED {
        // A finished run stays as it is; later events are only counted.
        row.ignored_events = row.ignored_events.saturating_add(1);
        return row;
    }
    match event {
        RunEvent::Created { owner } => {
            if is_new_row {
                row.owner = owner.clone();
            } else {
                // Only the event that creates the row may set the owner.
                row.ignored_events = row.ignored_events.saturating_add(1);
            }
        }
        RunEvent::Step { tokens } => {
            row.status = RUN_RUNNING.to_string();
            row.steps = row.steps.saturating_add(1);
            row.tokens_total = row.tokens_total.saturating_add(*tokens);
        }
        RunEvent::Completed { outcome } => {
            row.status = RUN_COMPLETED.to_string();
            row.outcome = outcome.clone();
        }
        RunEvent::Cancelled => {
            row.status = RUN_CANCELLED.to_string();
        }
    }
    row
}

/// The row a worker gets before its first event folds.
fn new_worker(worker_id: &str) -> WorkerStatus {
    WorkerStatus {
        worker_id: worker_id.to_string(),
        status: WORKER_OFFLINE.to_string(),
        region: String::new(),
        sessions: 0,
        heartbeats: 0,
        ignored_events: 0,
        last_seq: 0,
    }
}

/// P2: the worker's row after `event`. `existing` is the row before it, if there was one.
pub fn fold_worker(
    existing: Option<WorkerStatus>,
    worker_id: &str,
    seq: u64,
    event: &WorkerEvent,
) -> WorkerStatus {
    let mut row = existing.unwrap_or_else(|| new_worker(worker_id));
    row.last_seq = seq;
    match event {
        WorkerEvent::Online { region } => {
            // Coming online from offline starts a new session; a repeated online does not.
            if row.status == WORKER_OFFLINE {
                row.sessions = row.sessions.saturating_add(1);
            }
            row.status = WORKER_ONLINE.to_string();
            row.region = region.clone();
        }
        WorkerEvent::Heartbeat => {
            if row.status == WORKER_ONLINE {
                row.heartbeats = row.heartbeats.saturating_add(1);
            } else {
                row.ignored_events = row.ignored_events.saturating_add(1);
            }
        }
        WorkerEvent::Offline => {
            row.status = WORKER_OFFLINE.to_string();
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_after(events: &[RunEvent]) -> RunSummary {
        let mut row = None;
        for (index, event) in events.iter().enumerate() {
            row = Some(fold_run(row, "r", index as u64 + 1, event));
        }
        row.unwrap()
    }

    fn worker_after(events: &[WorkerEvent]) -> WorkerStatus {
        let mut row = None;
        for (index, event) in events.iter().enumerate() {
            row = Some(fold_worker(row, "w", index as u64 + 1, event));
        }
        row.unwrap()
    }

    #[test]
    fn run_lifecycle() {
        let row = run_after(&[
            RunEvent::Created { owner: "alice".into() },
            RunEvent::Created { owner: "mallory".into() },
            RunEvent::Step { tokens: 5 },
            RunEvent::Step { tokens: u64::MAX },
            RunEvent::Completed { outcome: "success".into() },
            RunEvent::Cancelled,
            RunEvent::Step { tokens: 1 },
        ]);
        assert_eq!(
            row,
            RunSummary {
                run_id: "r".into(),
                owner: "alice".into(),
                status: "completed".into(),
                steps: 2,
                tokens_total: u64::MAX,
                outcome: "success".into(),
                ignored_events: 3,
                last_seq: 7,
            }
        );
    }

    #[test]
    fn run_without_created_keeps_empty_owner() {
        let row = run_after(&[RunEvent::Step { tokens: 1 }, RunEvent::Cancelled]);
        assert_eq!((row.owner.as_str(), row.status.as_str(), row.steps), ("", "cancelled", 1));
    }

    #[test]
    fn worker_lifecycle() {
        let row = worker_after(&[
            WorkerEvent::Heartbeat,
            WorkerEvent::Online { region: "eu".into() },
            WorkerEvent::Heartbeat,
            WorkerEvent::Online { region: "us".into() },
            WorkerEvent::Offline,
            WorkerEvent::Online { region: "ap".into() },
        ]);
        assert_eq!(
            row,
            WorkerStatus {
                worker_id: "w".into(),
                status: "online".into(),
                region: "ap".into(),
                sessions: 2,
                heartbeats: 1,
                ignored_events: 1,
                last_seq: 6,
            }
        );
    }
}
