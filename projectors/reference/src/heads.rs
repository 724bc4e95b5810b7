//! Reading and writing `stream_head`.
//!
//! A stream without a row behaves as `head_seq = 0` (no event applied) and
//! `oldest_seq = 1` (nothing compacted). Keeping that default in one place means every
//! reducer agrees on it.

use spacetimedb::{ReducerContext, Table};

use crate::tables::{stream_head, StreamHead};

/// The head of a stream that has no row yet.
pub fn empty_head(stream_id: &str) -> StreamHead {
    StreamHead { stream_id: stream_id.to_string(), head_seq: 0, oldest_seq: 1 }
}

/// The stream's row, or [`empty_head`] when it has none.
pub fn read_head(ctx: &ReducerContext, stream_id: &str) -> StreamHead {
    ctx.db.stream_head().stream_id().find(stream_id.to_string()).unwrap_or_else(|| empty_head(stream_id))
}

/// Inserts or replaces the stream's row.
pub fn write_head(ctx: &ReducerContext, head: StreamHead) {
    let table = ctx.db.stream_head();
    if table.stream_id().find(&head.stream_id).is_some() {
        table.stream_id().update(head);
    } else {
        table.insert(head);
    }
}

/// The cursor just below the oldest stored event: a client whose cursor is below this
/// would miss compacted events (CONTRACT R3).
pub fn oldest_available_cursor(head: &StreamHead) -> u64 {
    head.oldest_seq - 1
}
