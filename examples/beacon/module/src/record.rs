//! `record_event`, the relay's one entry point.
//!
//! ```text
//! record_event(stream, position, event_key, body, checksum, published_ms)
//! ```
//!
//! A call either records the event (and moves the stream's cursor) or changes nothing:
//! every refusal is decided before the first write. Resending a recorded event is fine
//! (the relay retries); resending its key with another checksum is refused, and so is a
//! position that is not the stream's next one.

use std::fmt;

use spacetimedb::{ReducerContext, Table};

use crate::streams::topic_of;
use crate::{event_log, stream_cursor, EventLog, StreamCursor};

/// Why a call was refused. The first word in brackets is the field the dashboards group
/// refusals by.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Malformed { field: &'static str, why: &'static str },
    KeyReused { key: String },
    OutOfOrder { stream: String, got: u64, next: u64 },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed { field, why } => write!(f, "event rejected ({field}): {why}"),
            Refusal::KeyReused { key } => write!(f, "duplicate key {key} with different content"),
            Refusal::OutOfOrder { stream, got, next } => {
                write!(f, "out of order on {stream}: got {got}, next is {next}")
            }
        }
    }
}

fn malformed(field: &'static str, why: &'static str) -> Refusal {
    Refusal::Malformed { field, why }
}

fn is_checksum(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The shape checks, in order; the topic of the stream when they all pass.
pub fn inspect(stream: &str, position: u64, event_key: &str, body: &str, checksum: &str)
               -> Result<String, Refusal> {
    let topic = topic_of(stream).ok_or(malformed("stream_id", "unknown stream"))?;
    if event_key.is_empty() {
        return Err(malformed("idempotency_key", "event_key is empty"));
    }
    if body.is_empty() {
        return Err(malformed("payload_json", "body is empty"));
    }
    if checksum.is_empty() {
        return Err(malformed("payload_hash", "checksum is empty"));
    }
    if position == 0 {
        return Err(malformed("seq", "positions start at 1"));
    }
    if event_key != format!("{topic}#{position}") {
        return Err(malformed("idempotency_key", "event_key is not <topic>#<position>"));
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(value) if value.is_object() => {}
        _ => return Err(malformed("payload", "body is not a JSON object")),
    }
    // PLANTED DEFECT (examples/beacon/README.md, E5): only the checksum's shape is looked at;
    // it is never recomputed from the event, so a wrong one is stored as sent.
    if !is_checksum(checksum) {
        return Err(malformed("payload_hash", "checksum is not sha256:<64 hex digits>"));
    }
    Ok(topic)
}

#[spacetimedb::reducer]
pub fn record_event(ctx: &ReducerContext, stream: String, position: u64, event_key: String,
                    body: String, checksum: String, published_ms: u64) -> Result<(), String> {
    // PLANTED DEFECT (examples/beacon/README.md, M1): `init` records the relay in
    // `feed_owner`, but nothing here compares `ctx.sender` with it: anyone may record.
    let topic = inspect(&stream, position, &event_key, &body, &checksum)
        .map_err(|refusal| refusal.to_string())?;

    if let Some(recorded) = ctx.db.event_log().event_key().find(&event_key) {
        if recorded.checksum == checksum {
            return Ok(()); // a retry of what we already hold
        }
        return Err(Refusal::KeyReused { key: event_key }.to_string());
    }

    let cursor = ctx.db.stream_cursor().stream().find(&stream);
    let (head, count) = cursor.as_ref().map_or((0, 0), |c| (c.head, c.event_count));
    let next = head.saturating_add(1);
    if position != next {
        return Err(Refusal::OutOfOrder { stream, got: position, next }.to_string());
    }

    let body_bytes = u32::try_from(body.len()).unwrap_or(u32::MAX);
    ctx.db.event_log().insert(EventLog {
        event_key, stream: stream.clone(), position, topic, body, body_bytes, checksum,
        published_ms,
    });
    let moved = StreamCursor { stream, head: position, event_count: count + 1 };
    if cursor.is_some() {
        ctx.db.stream_cursor().stream().update(moved);
    } else {
        ctx.db.stream_cursor().insert(moved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUM: &str = "sha256:00000000000000000000000000000000000000000000000000000000000000ff";

    #[test]
    fn a_well_formed_event_passes() {
        let topic = inspect("runtime.run.r1.events", 2, "run:r1:events#2", "{}", SUM);
        assert_eq!(topic, Ok("run:r1:events".to_string()));
    }

    #[test]
    fn shape_checks_name_the_field_in_order() {
        let field = |stream: &str, position, key: &str, body: &str, sum: &str| {
            match inspect(stream, position, key, body, sum) {
                Err(Refusal::Malformed { field, .. }) => field,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(field("nope", 0, "", "", ""), "stream_id");
        assert_eq!(field("runtime.run.r.events", 0, "", "", ""), "idempotency_key");
        assert_eq!(field("runtime.run.r.events", 0, "k", "", ""), "payload_json");
        assert_eq!(field("runtime.run.r.events", 0, "k", "[]", ""), "payload_hash");
        assert_eq!(field("runtime.run.r.events", 0, "k", "[]", SUM), "seq");
        assert_eq!(field("runtime.run.r.events", 1, "run:r:events#2", "[]", SUM),
                   "idempotency_key");
        assert_eq!(field("runtime.run.r.events", 1, "run:r:events#1", "[]", SUM), "payload");
        assert_eq!(field("runtime.run.r.events", 1, "run:r:events#1", "{", SUM), "payload");
        assert_eq!(field("runtime.run.r.events", 1, "run:r:events#1", "{}", &SUM.to_uppercase()),
                   "payload_hash");
    }

    #[test]
    fn texts() {
        assert_eq!(Refusal::OutOfOrder { stream: "s".into(), got: 5, next: 3 }.to_string(),
                   "out of order on s: got 5, next is 3");
        assert_eq!(Refusal::KeyReused { key: "t#1".into() }.to_string(),
                   "duplicate key t#1 with different content");
    }
}
