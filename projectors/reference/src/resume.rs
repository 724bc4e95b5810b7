//! The `resume_stream` reducer (CONTRACT R1, R3): tells a client whether it may resume a
//! stream from its cursor by subscribing to the events after it. It never changes state.

use spacetimedb::ReducerContext;

use crate::errors::{invalid_event, stale_cursor, Field, StaleCursor};
use crate::heads::{oldest_available_cursor, read_head};
use crate::streams::topic_of;
use crate::tables::StreamHead;

pub const RETENTION_FLOOR_BREACH: &str = "retention_floor_breach";
pub const REPLAY_BUDGET_EXCEEDED: &str = "replay_budget_exceeded";
pub const CURSOR_AHEAD_OF_HEAD: &str = "cursor_ahead_of_head";

/// Any caller may ask. Ok when the client can resume from `after_seq`; otherwise
/// `stale_cursor reason=<codes> ...` and the client must reload a snapshot (R4).
#[spacetimedb::reducer]
pub fn resume_stream(
    ctx: &ReducerContext,
    stream_id: String,
    after_seq: u64,
    replay_budget: u64,
) -> Result<(), String> {
    if topic_of(&stream_id).is_none() {
        return Err(invalid_event(Field::StreamId));
    }
    let head = read_head(ctx, &stream_id);
    let reasons = stale_reasons(&head, after_seq, replay_budget);
    if reasons.is_empty() {
        return Ok(());
    }
    Err(stale_cursor(
        &reasons,
        &StaleCursor {
            stream_id: &stream_id,
            requested_after_seq: after_seq,
            oldest_available_cursor: oldest_available_cursor(&head),
            head_cursor: head.head_seq,
            replay_budget,
        },
    ))
}

/// Why a client at cursor `after_seq` cannot resume, in the contract's order; empty when
/// it can.
pub fn stale_reasons(head: &StreamHead, after_seq: u64, replay_budget: u64) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    // Events after the cursor were compacted away: replaying would leave a gap.
    if after_seq < oldest_available_cursor(head) {
        reasons.push(RETENTION_FLOOR_BREACH);
    }
    // Too many events to replay; a snapshot is cheaper.
    #[cfg(not(feature = "mutant-stale-budget-off-by-one"))]
    if after_seq <= head.head_seq && head.head_seq - after_seq > replay_budget {
        reasons.push(REPLAY_BUDGET_EXCEEDED);
    }
    // MUTANT mutant-stale-budget-off-by-one (breaks R3): a gap of budget + 1 still resumes.
    #[cfg(feature = "mutant-stale-budget-off-by-one")]
    if after_seq <= head.head_seq && head.head_seq - after_seq > replay_budget.saturating_add(1) {
        reasons.push(REPLAY_BUDGET_EXCEEDED);
    }
    // The client claims events the stream does not have.
    if after_seq > head.head_seq {
        reasons.push(CURSOR_AHEAD_OF_HEAD);
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(head_seq: u64, oldest_seq: u64) -> StreamHead {
        StreamHead { stream_id: "s".into(), head_seq, oldest_seq }
    }

    #[test]
    fn empty_stream() {
        assert!(stale_reasons(&head(0, 1), 0, 0).is_empty());
        assert_eq!(stale_reasons(&head(0, 1), 1, 100), [CURSOR_AHEAD_OF_HEAD]);
    }

    #[test]
    fn codes_combine_in_order() {
        assert!(stale_reasons(&head(10, 4), 3, 7).is_empty());
        assert_eq!(stale_reasons(&head(10, 4), 2, 7), [RETENTION_FLOOR_BREACH, REPLAY_BUDGET_EXCEEDED]);
        assert_eq!(stale_reasons(&head(10, 4), 2, 8), [RETENTION_FLOOR_BREACH]);
        assert_eq!(stale_reasons(&head(10, 1), 0, 9), [REPLAY_BUDGET_EXCEEDED]);
        assert_eq!(stale_reasons(&head(10, 11), 11, 0), [CURSOR_AHEAD_OF_HEAD]);
        assert!(stale_reasons(&head(10, 11), 10, 0).is_empty());
    }

    #[test]
    fn error_text() {
        let facts = StaleCursor {
            stream_id: "runtime.run.r.events",
            requested_after_seq: 2,
            oldest_available_cursor: 3,
            head_cursor: 10,
            replay_budget: 7,
        };
        assert_eq!(
            stale_cursor(&[RETENTION_FLOOR_BREACH, REPLAY_BUDGET_EXCEEDED], &facts),
            "stale_cursor reason=retention_floor_breach,replay_budget_exceeded stream_id=runtime.run.r.events \
             requested_after_seq=2 oldest_available_cursor=3 head_cursor=10 replay_budget=7"
        );
    }
}
