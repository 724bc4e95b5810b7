//! The `ack_checkpoint` reducer (CONTRACT M6): a client records how far it has applied a
//! stream. The row is keyed by the caller's identity, so no client can move another's.

use spacetimedb::{ReducerContext, Table};

#[cfg(not(feature = "mutant-checkpoint-backwards"))]
use crate::errors::checkpoint_regression;
use crate::errors::{checkpoint_ahead_of_head, invalid_event, Field};
use crate::heads::read_head;
#[cfg_attr(feature = "mutant-checkpoint-per-stream", allow(unused_imports))]
use crate::keys::checkpoint_key;
use crate::streams::topic_of;
use crate::tables::{stream_checkpoint, StreamCheckpoint};

/// Moves the caller's checkpoint for `stream_id` to `last_applied_seq`: never past the
/// head (`checkpoint_ahead_of_head`), never backwards (`checkpoint_regression`).
/// Acknowledging the stored value again is an Ok no-op.
#[spacetimedb::reducer]
pub fn ack_checkpoint(ctx: &ReducerContext, stream_id: String, last_applied_seq: u64) -> Result<(), String> {
    if topic_of(&stream_id).is_none() {
        return Err(invalid_event(Field::StreamId));
    }
    let head_seq = read_head(ctx, &stream_id).head_seq;
    if last_applied_seq > head_seq {
        return Err(checkpoint_ahead_of_head(last_applied_seq, head_seq));
    }

    #[cfg(not(feature = "mutant-checkpoint-per-stream"))]
    let key = checkpoint_key(&ctx.sender, &stream_id);
    // MUTANT mutant-checkpoint-per-stream (breaks M6): "a client keeps one cursor per
    // stream", so the key forgets the caller and a second caller's ack lands on the first's row.
    #[cfg(feature = "mutant-checkpoint-per-stream")]
    let key = stream_id.clone();
    let table = ctx.db.stream_checkpoint();
    let stored = table.checkpoint_key().find(&key);
    if let Some(row) = &stored {
        // MUTANT mutant-checkpoint-backwards (breaks M6) removes this check: a lower seq is stored.
        #[cfg(not(feature = "mutant-checkpoint-backwards"))]
        if last_applied_seq < row.last_applied_seq {
            return Err(checkpoint_regression(row.last_applied_seq, last_applied_seq));
        }
        if last_applied_seq == row.last_applied_seq {
            return Ok(());
        }
    }

    let row =
        StreamCheckpoint { checkpoint_key: key, client_identity: ctx.sender, stream_id, last_applied_seq };
    if stored.is_some() {
        table.checkpoint_key().update(row);
    } else {
        table.insert(row);
    }
    Ok(())
}
