//! The `ingest` reducer: the projector hands over one journaled event.
//!
//! A reducer that returns `Err` is rolled back whole by SpacetimeDB, so a refused call
//! leaves every table as it was, even though the checks below interleave with reads.

use spacetimedb::{ReducerContext, Table};

use crate::admission::{admit, Submission};
use crate::facts::Change;
use crate::owner::ensure_projector;
use crate::refusal::Refusal;
use crate::rollups::{project, top_up_tokens};
use crate::schema::{ledger_event, ledger_head, LedgerEvent, LedgerHead};
use crate::topics::Family;

/// Every stream starts at offset 1 and nothing is ever compacted, so a stream's floor is 1.
const FLOOR: u64 = 1;

/// Stores one event. In order:
///
/// 1. the caller must be the publisher (`forbidden: caller is not the projector`);
/// 2. the call must be well-formed (`rejected: bad <field>`, see `admission`);
/// 3. if the key is stored already, the same digest is a redelivery (Ok, nothing to do)
///    and another digest is `conflict: key <key> already stored with other content`;
/// 4. the offset must be the stream's next one (`gap: stream <s> wants <n>, got <offset>`);
/// 5. then the event is stored, the head advanced and the rollup folded, in this one
///    transaction.
///
/// `expected_next` duplicates `offset` on purpose: the projector states which offset it
/// believes comes next, and a disagreement between the two is a projector bug.
#[allow(clippy::too_many_arguments)] // the argument list is the projector's wire format
#[spacetimedb::reducer]
pub fn ingest(
    ctx: &ReducerContext,
    key: String,
    stream: String,
    kind: String,
    body: String,
    digest: String,
    committed_ms: i64,
    offset: u64,
    durable: bool,
    expected_next: u64,
) -> Result<(), String> {
    ensure_projector(ctx)?;
    let call = Submission { key, stream, kind, body, digest, committed_ms, offset, durable, expected_next };
    let admitted = admit(&call)?;

    if let Some(stored) = ctx.db.ledger_event().key().find(&call.key) {
        if stored.digest != call.digest {
            return Err(Refusal::Conflict { key: call.key }.into());
        }
        // PLANTED DEFECT 1 (breaks CONTRACT M1.3, redelivery must change nothing): a
        // redelivered `run.step` re-adds its tokens, meant as a "retry-safe" top-up in case
        // the first delivery's fold was lost. The first fold is never lost (it commits with
        // the ledger row), so every redelivery inflates `run_rollup.tokens`.
        if let (Family::Run(run), Change::RunStep { tokens }) = (&admitted.family, &admitted.change) {
            top_up_tokens(ctx, run, *tokens);
        }
        return Ok(());
    }

    let heads = ctx.db.ledger_head();
    let before = heads.stream().find(&call.stream);
    let head = before.as_ref().map_or(0, |row| row.head);
    // No overflow: a head only grows one by one from 0.
    let wanted = head + 1;
    if call.offset != wanted {
        return Err(Refusal::Gap { stream: call.stream, wanted, got: call.offset }.into());
    }

    let advanced = LedgerHead { stream: call.stream.clone(), head: call.offset, floor: FLOOR };
    if before.is_some() {
        heads.stream().update(advanced);
    } else {
        heads.insert(advanced);
    }
    project(ctx, &admitted.family, call.offset, &admitted.change);
    ctx.db.ledger_event().insert(LedgerEvent {
        key: call.key,
        stream: call.stream,
        offset: call.offset,
        kind: call.kind,
        body: call.body,
        digest: call.digest,
        committed_ms: call.committed_ms,
        applied_at: ctx.timestamp,
    });
    Ok(())
}
