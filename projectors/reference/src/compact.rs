//! The `compact_stream` reducer (CONTRACT M4): drops a stream's oldest stored events.
//! Projections and `stream_head.head_seq` never change; only `oldest_seq` moves up.

use spacetimedb::ReducerContext;

use crate::errors::{invalid_event, Field};
use crate::heads::{read_head, write_head};
use crate::publisher::require_publisher;
use crate::streams::topic_of;
use crate::tables::{sync_event, StreamHead};

/// Deletes the stream's events with `seq <= through_seq` and sets
/// `oldest_seq = through_seq + 1`.
///
/// Publisher only (`unauthorized`). `through_seq` beyond the head is
/// `invalid_event through_seq`; `through_seq` below `oldest_seq` has nothing left to
/// delete and is an Ok no-op.
#[spacetimedb::reducer]
pub fn compact_stream(ctx: &ReducerContext, stream_id: String, through_seq: u64) -> Result<(), String> {
    // MUTANT mutant-compact-anyone (breaks M4): the check was thought redundant, "only the
    // runtime knows the reducer's name".
    #[cfg(not(feature = "mutant-compact-anyone"))]
    require_publisher(ctx)?;
    if topic_of(&stream_id).is_none() {
        return Err(invalid_event(Field::StreamId));
    }

    let head = read_head(ctx, &stream_id);
    if through_seq > head.head_seq {
        return Err(invalid_event(Field::ThroughSeq));
    }
    if through_seq < head.oldest_seq {
        return Ok(());
    }

    delete_events_through(ctx, &stream_id, through_seq);
    #[cfg(feature = "mutant-compact-touches-projections")]
    delete_projection_row(ctx, &stream_id);
    write_head(
        ctx,
        StreamHead {
            oldest_seq: through_seq + 1, // through_seq <= head_seq < u64::MAX
            ..head
        },
    );
    Ok(())
}

/// Deletes every stored event of the stream with `seq <= through_seq`. The keys are
/// collected first so that the table is not modified while the index is being scanned.
fn delete_events_through(ctx: &ReducerContext, stream_id: &str, through_seq: u64) {
    // MUTANT mutant-compact-every-stream (breaks M4): a scan by seq alone, as if one
    // stream's retention were every stream's.
    #[cfg(feature = "mutant-compact-every-stream")]
    let _ = stream_id;
    #[cfg(feature = "mutant-compact-every-stream")]
    let doomed: Vec<String> = {
        use spacetimedb::Table;
        ctx.db
            .sync_event()
            .iter()
            .filter(|event| event.seq <= through_seq)
            .map(|event| event.idempotency_key)
            .collect()
    };
    #[cfg(not(feature = "mutant-compact-every-stream"))]
    let doomed: Vec<String> = ctx
        .db
        .sync_event()
        .stream_id()
        .filter(stream_id)
        .filter(|event| event.seq <= through_seq)
        .map(|event| event.idempotency_key)
        .collect();
    for key in doomed {
        ctx.db.sync_event().idempotency_key().delete(&key);
    }
}

/// MUTANT mutant-compact-touches-projections (breaks M4): "cleans up" the stream's projection
/// row along with its old events, so the next event folds into a fresh row.
#[cfg(feature = "mutant-compact-touches-projections")]
fn delete_projection_row(ctx: &ReducerContext, stream_id: &str) {
    use crate::streams::{family_of, StreamFamily};
    use crate::tables::{run_summary, worker_status};
    match topic_of(stream_id).map(|topic| family_of(&topic)) {
        Some(StreamFamily::Run { run_id }) => {
            ctx.db.run_summary().run_id().delete(&run_id);
        }
        Some(StreamFamily::Worker { worker_id }) => {
            ctx.db.worker_status().worker_id().delete(&worker_id);
        }
        Some(StreamFamily::Other) | None => {}
    }
}
