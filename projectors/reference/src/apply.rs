//! The `apply_event` reducer (CONTRACT M1, M2).
//!
//! Any `Err` makes SpacetimeDB roll the whole reducer transaction back, so a failed call
//! changes nothing (M2) even though the checks below run between reads.

use spacetimedb::{ReducerContext, Table};

use crate::errors::{idempotency_conflict, sequence_conflict};
use crate::heads::{read_head, write_head};
use crate::projections::fold_into_tables;
use crate::publisher::require_publisher;
use crate::tables::{sync_event, StreamHead, SyncEvent};
use crate::validate::{validate_event, EventArgs};

/// Applies one journaled event. The checks run in the contract's order:
///
/// 1. the caller is the publisher, else `unauthorized`;
/// 2. every field is valid, else `invalid_event <field>` (see `validate`);
/// 3. the key is already stored: same hash is a duplicate (Ok, no change), a different
///    hash is `idempotency_conflict`;
/// 4. `seq < oldest_seq`: applied before and compacted away since (Ok, no change);
/// 5. `seq != head + 1`: `sequence_conflict`;
/// 6. otherwise store the event, advance the head and fold the event into the projections.
#[allow(clippy::too_many_arguments)] // the reducer's signature is fixed by the contract
#[spacetimedb::reducer]
pub fn apply_event(
    ctx: &ReducerContext,
    stream_id: String,
    seq: u64,
    idempotency_key: String,
    kind: String,
    payload_json: String,
    payload_hash: String,
    published_at_ms: u64,
) -> Result<(), String> {
    require_publisher(ctx)?;

    let args =
        EventArgs { stream_id, seq, idempotency_key, kind, payload_json, payload_hash, published_at_ms };
    let event = validate_event(&args)?;

    if let Some(stored) = ctx.db.sync_event().idempotency_key().find(&args.idempotency_key) {
        // MUTANT mutant-fold-counts-duplicate (breaks M1.3, E6, B1): the duplicate is folded again.
        #[cfg(feature = "mutant-fold-counts-duplicate")]
        if stored.payload_hash == args.payload_hash {
            fold_into_tables(ctx, args.seq, &event);
        }
        // MUTANT mutant-conflict-overwrites (breaks E6, M1.3): a conflict replaces the stored row.
        #[cfg(feature = "mutant-conflict-overwrites")]
        if stored.payload_hash != args.payload_hash {
            ctx.db.sync_event().idempotency_key().update(stored_row(args));
            return Ok(());
        }
        return check_duplicate(&stored, &args);
    }

    let head = read_head(ctx, &args.stream_id);
    if args.seq < head.oldest_seq {
        return Ok(());
    }
    // head_seq + 1 cannot overflow: seqs start at 1 and grow by one per applied event.
    let expected_next_seq = head.head_seq + 1;
    #[cfg(not(feature = "mutant-gap-allowed"))]
    if args.seq != expected_next_seq {
        return Err(sequence_conflict(expected_next_seq, args.seq));
    }
    // MUTANT mutant-gap-allowed (breaks M1.5, M3): only seq <= head is refused; the head jumps.
    #[cfg(feature = "mutant-gap-allowed")]
    if args.seq < expected_next_seq {
        return Err(sequence_conflict(expected_next_seq, args.seq));
    }

    write_head(ctx, StreamHead { head_seq: args.seq, ..head });
    fold_into_tables(ctx, args.seq, &event);
    ctx.db.sync_event().insert(stored_row(args));
    Ok(())
}

/// Step 3: an event with this identity is stored already. Resending it is allowed
/// (at-least-once delivery, B1); different content under the same identity is not (E6).
fn check_duplicate(stored: &SyncEvent, args: &EventArgs) -> Result<(), String> {
    if stored.payload_hash == args.payload_hash {
        Ok(())
    } else {
        Err(idempotency_conflict())
    }
}

/// The `sync_event` row of a valid event: its fields exactly as the publisher sent them.
fn stored_row(args: EventArgs) -> SyncEvent {
    SyncEvent {
        idempotency_key: args.idempotency_key,
        stream_id: args.stream_id,
        seq: args.seq,
        kind: args.kind,
        payload_json: args.payload_json,
        payload_hash: args.payload_hash,
        published_at_ms: args.published_at_ms,
    }
}
