//! Folding an ingested event into its rollup row: `run_rollup` for run streams,
//! `worker_state` for worker streams, nothing for the rest.
//!
//! The folds are pure functions of (row before, offset, change): no clock, no caller, no
//! table scan, so replaying the same events in offset order rebuilds the same rows.
//! Counters saturate at u64::MAX rather than wrap.

use spacetimedb::{ReducerContext, Table};

use crate::facts::Change;
use crate::schema::{run_rollup, worker_state, RunRollup, WorkerState};
use crate::topics::Family;

const CREATED: &str = "created";
const RUNNING: &str = "running";
const COMPLETED: &str = "completed";
const CANCELLED: &str = "cancelled";
const ONLINE: &str = "online";
const OFFLINE: &str = "offline";

/// A run's row before its first event.
fn fresh_run(run: &str) -> RunRollup {
    RunRollup {
        run: run.to_owned(),
        owner: String::new(),
        state: CREATED.to_owned(),
        step_count: 0,
        tokens: 0,
        result: String::new(),
        ignored: 0,
        last_offset: 0,
    }
}

/// A worker's row before its first event: offline until it says otherwise.
fn fresh_worker(worker: &str) -> WorkerState {
    WorkerState {
        worker: worker.to_owned(),
        state: OFFLINE.to_owned(),
        zone: String::new(),
        session_count: 0,
        beats: 0,
        ignored: 0,
        last_offset: 0,
    }
}

/// The run's row after one more event.
pub fn fold_run(before: Option<RunRollup>, run: &str, offset: u64, change: &Change) -> RunRollup {
    let first_event = before.is_none();
    let mut row = before.unwrap_or_else(|| fresh_run(run));
    row.last_offset = offset;
    // A finished run is frozen: whatever comes later is only counted.
    if row.state == COMPLETED || row.state == CANCELLED {
        row.ignored = row.ignored.saturating_add(1);
        return row;
    }
    match change {
        // Only the event that opens the row names the owner; a second `run.created` is noise.
        Change::RunCreated { owner } if first_event => row.owner = owner.clone(),
        Change::RunCreated { .. } => row.ignored = row.ignored.saturating_add(1),
        Change::RunStep { tokens } => {
            row.state = RUNNING.to_owned();
            row.step_count = row.step_count.saturating_add(1);
            row.tokens = row.tokens.saturating_add(*tokens);
        }
        Change::RunCompleted { outcome } => {
            row.state = COMPLETED.to_owned();
            row.result = outcome.clone();
        }
        Change::RunCancelled => row.state = CANCELLED.to_owned(),
        // Worker changes and notes never reach a run row (`Kind::accepted` sees to that).
        _ => {}
    }
    row
}

/// The worker's row after one more event.
pub fn fold_worker(before: Option<WorkerState>, worker: &str, offset: u64, change: &Change) -> WorkerState {
    let mut row = before.unwrap_or_else(|| fresh_worker(worker));
    row.last_offset = offset;
    match change {
        Change::WorkerOnline { region } => {
            // Only a transition from offline opens a new session; a repeated online does not.
            if row.state == OFFLINE {
                row.session_count = row.session_count.saturating_add(1);
            }
            row.state = ONLINE.to_owned();
            row.zone = region.clone();
        }
        Change::WorkerHeartbeat => {
            // PLANTED DEFECT 2 (breaks CONTRACT P2): a heartbeat is counted as a beat whatever
            // the state. The contract counts it in `beats` only while online and in `ignored`
            // while offline; a late heartbeat arriving after `worker.offline` lands here too.
            row.beats = row.beats.saturating_add(1);
        }
        Change::WorkerOffline => row.state = OFFLINE.to_owned(),
        _ => {}
    }
    row
}

/// Folds an ingested event at `offset` into its rollup table, if its family has one.
pub fn project(ctx: &ReducerContext, family: &Family, offset: u64, change: &Change) {
    match family {
        Family::Run(run) => {
            let table = ctx.db.run_rollup();
            let before = table.run().find(run);
            let existed = before.is_some();
            let after = fold_run(before, run, offset, change);
            if existed {
                table.run().update(after);
            } else {
                table.insert(after);
            }
        }
        Family::Worker(worker) => {
            let table = ctx.db.worker_state();
            let before = table.worker().find(worker);
            let existed = before.is_some();
            let after = fold_worker(before, worker, offset, change);
            if existed {
                table.worker().update(after);
            } else {
                table.insert(after);
            }
        }
        // Notes live in `ledger_event` only.
        Family::Other => {}
    }
}

/// Adds `tokens` to a run's total without counting a step or moving `last_offset`.
/// Used only by the duplicate path of `ingest` (see PLANTED DEFECT 1 there).
pub fn top_up_tokens(ctx: &ReducerContext, run: &str, tokens: u64) {
    let table = ctx.db.run_rollup();
    if let Some(row) = table.run().find(run.to_owned()) {
        table.run().update(RunRollup { tokens: row.tokens.saturating_add(tokens), ..row });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_history() {
        let changes = [
            Change::RunCreated { owner: "alice".into() },
            Change::RunCreated { owner: "mallory".into() },
            Change::RunStep { tokens: 5 },
            Change::RunStep { tokens: u64::MAX },
            Change::RunCompleted { outcome: "success".into() },
            Change::RunCancelled,
            Change::RunStep { tokens: 1 },
        ];
        let mut row = None;
        for (index, change) in changes.iter().enumerate() {
            row = Some(fold_run(row, "r", index as u64 + 1, change));
        }
        assert_eq!(
            row.unwrap(),
            RunRollup {
                run: "r".into(),
                owner: "alice".into(),
                state: "completed".into(),
                step_count: 2,
                tokens: u64::MAX,
                result: "success".into(),
                ignored: 3,
                last_offset: 7,
            }
        );
    }

    #[test]
    fn worker_sessions() {
        let changes = [
            Change::WorkerOnline { region: "eu".into() },
            Change::WorkerHeartbeat,
            Change::WorkerOnline { region: "us".into() },
            Change::WorkerOffline,
            Change::WorkerOnline { region: "ap".into() },
        ];
        let mut row = None;
        for (index, change) in changes.iter().enumerate() {
            row = Some(fold_worker(row, "w", index as u64 + 1, change));
        }
        let row = row.unwrap();
        assert_eq!((row.state.as_str(), row.zone.as_str()), ("online", "ap"));
        assert_eq!((row.session_count, row.beats, row.ignored, row.last_offset), (2, 1, 0, 5));
    }
}
