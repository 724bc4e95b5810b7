//! The `ack_cursor` reducer: a reader records how far it has consumed a stream.
//!
//! A reader names itself (its identity as lowercase hex) so that the cursor rows are
//! readable without decoding identities; the module checks that the name is the caller's,
//! so nobody can move another reader's cursor.

use spacetimedb::{ReducerContext, Table};

use crate::refusal::Refusal;
use crate::schema::{reader_cursor, ReaderCursor};

/// Moves `reader`'s cursor on `stream` to `position`:
///
/// 1. `reader` must be the caller's hex identity   (`forbidden: reader is not the caller`);
/// 2. a cursor never moves back                     (`cursor moved back: <old> -> <new>`);
/// 3. then the row is inserted or updated; acknowledging the stored position again is a
///    harmless rewrite of the same row.
#[spacetimedb::reducer]
pub fn ack_cursor(ctx: &ReducerContext, reader: String, stream: String, position: u64) -> Result<(), String> {
    if reader != ctx.sender.to_hex().to_string() {
        return Err(Refusal::ReaderNotCaller.into());
    }
    let cursor_id = format!("{reader}:{stream}");
    let cursors = ctx.db.reader_cursor();
    let stored = cursors.cursor_id().find(&cursor_id);
    if let Some(row) = &stored {
        if position < row.position {
            return Err(Refusal::CursorBack { stored: row.position, requested: position }.into());
        }
    }
    // PLANTED DEFECT 3 (breaks CONTRACT M6, never past head): the position is not compared
    // with `ledger_head.head`, so a reader can acknowledge offsets the stream does not have
    // yet. The missing check would refuse with `Refusal::CursorPastHead`
    // (`cursor past head: <position> > <head>`, a stream without events having head 0).
    let row = ReaderCursor { cursor_id, reader, stream, position };
    if stored.is_some() {
        cursors.cursor_id().update(row);
    } else {
        cursors.insert(row);
    }
    Ok(())
}
