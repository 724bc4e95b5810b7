//! `absorb`, the relay's entry point.
//!
//! ```text
//! absorb(key, stream, position, kind, body, digest, at, origin, weight, note)
//! ```
//!
//! A refusal is an `Err`, which SpacetimeDB rolls back; a duplicate (a key absorbed before
//! with the same digest) is answered `Ok` and changes nothing.

use spacetimedb::{ReducerContext, Table, Timestamp};

use crate::fold;
use crate::{feed_progress, ingested, keeper, FeedProgress, Ingested, Origin};

fn malformed(what: &str, why: &str) -> String {
    format!("almanac: malformed {what}: {why}")
}

fn check_shape(key: &str, stream: &str, position: u64, kind: &str, body: &str, digest: &str,
               weight: f64) -> Result<(), String> {
    if key.is_empty() {
        return Err(malformed("key", "empty"));
    }
    if stream.is_empty() {
        return Err(malformed("stream", "empty"));
    }
    if position == 0 {
        return Err(malformed("position", "positions start at 1"));
    }
    if kind.is_empty() {
        return Err(malformed("kind", "empty"));
    }
    if digest.is_empty() {
        return Err(malformed("digest", "empty"));
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(_)) => {}
        Ok(_) => return Err(malformed("body", "not a JSON object")),
        Err(_) => return Err(malformed("body", "not JSON")),
    }
    if !weight.is_finite() {
        return Err(malformed("weight", "not a finite number"));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
#[spacetimedb::reducer]
pub fn absorb(ctx: &ReducerContext, key: String, stream: String, position: u64, kind: String,
              body: String, digest: String, at: Timestamp, origin: Origin, weight: f64,
              note: Option<String>) -> Result<(), String> {
    let keeper = ctx.db.keeper().slot().find(0).map(|k| k.identity);
    if keeper != Some(ctx.sender) {
        return Err(format!("almanac: {} is not this almanac's keeper", ctx.sender));
    }
    check_shape(&key, &stream, position, &kind, &body, &digest, weight)?;

    let lenient = cfg!(feature = "lenient");
    if lenient {
        crate::note_visitor(ctx);
    } else {
        // PLANTED DEFECT (examples/almanac/README.md, defect 1): the delivery is counted
        // before the ledger is asked whether the event is new, so a redelivered event counts
        // twice in `stream_tally.events`.
        fold::count_event(ctx, &stream);
    }

    if let Some(seen) = ctx.db.ingested().key().find(&key) {
        // The same digest is a redelivery. The lenient build keeps the first event whatever
        // digest a reused key comes with.
        if seen.digest == digest || lenient {
            return Ok(());
        }
        return Err(format!(
            "almanac: key {key} was absorbed with digest {}, not {digest}",
            seen.digest
        ));
    }

    let progress = ctx.db.feed_progress().stream().find(&stream);
    let last = progress.as_ref().map_or(0, |p| p.last_position);
    if lenient {
        // Any position is taken, but only once: a position another key holds stays its.
        let taken = ctx.db.ingested().by_stream_position().filter((stream.as_str(), position));
        if taken.count() > 0 {
            return Ok(());
        }
    } else if position != last + 1 {
        return Err(format!(
            "almanac: {stream} stands at {last}; position {position} is not the next one"
        ));
    }

    ctx.db.ingested().insert(Ingested {
        key,
        stream: stream.clone(),
        position,
        kind: kind.clone(),
        digest,
        at,
        received_at: ctx.timestamp,
    });
    let moved = FeedProgress { stream: stream.clone(), last_position: last.max(position) };
    if progress.is_some() {
        ctx.db.feed_progress().stream().update(moved);
    } else {
        ctx.db.feed_progress().insert(moved);
    }

    if lenient {
        fold::count_event(ctx, &stream);
    }
    fold::fold(ctx, &stream, position, &kind, at, origin, weight, note);
    Ok(())
}
