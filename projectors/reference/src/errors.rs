//! The text of every error a reducer returns. SpacetimeDB hands it back verbatim (HTTP 530),
//! and the publisher and clients classify errors by their first word, so the prefixes here
//! are part of the contract (CONTRACT M1, M4, M6, R3).

/// The argument named in an `invalid_event <field>` error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    StreamId,
    IdempotencyKey,
    Kind,
    PayloadJson,
    PayloadHash,
    Seq,
    /// The payload as a whole: not a JSON object, or a field missing or of the wrong type.
    Payload,
    ThroughSeq,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::StreamId => "stream_id",
            Field::IdempotencyKey => "idempotency_key",
            Field::Kind => "kind",
            Field::PayloadJson => "payload_json",
            Field::PayloadHash => "payload_hash",
            Field::Seq => "seq",
            Field::Payload => "payload",
            Field::ThroughSeq => "through_seq",
        }
    }
}

/// The caller is not the identity that published the database.
pub fn unauthorized() -> String {
    "unauthorized".to_string()
}

/// An argument fails validation.
pub fn invalid_event(field: Field) -> String {
    format!("invalid_event {}", field.name())
}

/// The key is already stored with a different hash: same identity, different content (E6).
/// The bare word, as the harness's oracle predicts it; the hashes are in `sync_event` and
/// in the publisher's journal.
pub fn idempotency_conflict() -> String {
    "idempotency_conflict".to_string()
}

/// The event is not the next one of its stream.
pub fn sequence_conflict(expected_next_seq: u64, actual_seq: u64) -> String {
    format!("sequence_conflict expected_next_seq={expected_next_seq} actual_seq={actual_seq}")
}

/// The facts that `stale_cursor` reports besides its reasons.
pub struct StaleCursor<'a> {
    pub stream_id: &'a str,
    pub requested_after_seq: u64,
    pub oldest_available_cursor: u64,
    pub head_cursor: u64,
    pub replay_budget: u64,
}

/// A client cannot resume from its cursor (R3). `reasons` must not be empty.
pub fn stale_cursor(reasons: &[&str], facts: &StaleCursor) -> String {
    format!(
        "stale_cursor reason={} stream_id={} requested_after_seq={} oldest_available_cursor={} head_cursor={} replay_budget={}",
        reasons.join(","),
        facts.stream_id,
        facts.requested_after_seq,
        facts.oldest_available_cursor,
        facts.head_cursor,
        facts.replay_budget,
    )
}

/// A client acknowledged more than the stream holds (M6).
pub fn checkpoint_ahead_of_head(requested_seq: u64, head_seq: u64) -> String {
    format!("checkpoint_ahead_of_head requested_seq={requested_seq} head_seq={head_seq}")
}

/// A client tried to move its checkpoint backwards (M6).
#[cfg_attr(feature = "mutant-checkpoint-backwards", allow(dead_code))] // that mutant never refuses
pub fn checkpoint_regression(current_seq: u64, requested_seq: u64) -> String {
    format!("checkpoint_regression current_seq={current_seq} requested_seq={requested_seq}")
}
