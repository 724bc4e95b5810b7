//! Every way a reducer of this module says no, and the exact text it says it with.
//! SpacetimeDB returns a reducer's `Err` string verbatim to the caller (HTTP 530), and this
//! pipeline's projector and readers sort errors by the word before the colon, so the texts
//! below are this module's public interface.

use std::fmt;

/// An `ingest` argument that failed its check; named in `rejected: bad <field>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadField {
    StreamId,
    /// `offset` is 0, or `expected_next` differs from it.
    Seq,
    Durable,
    IdempotencyKey,
    Kind,
    /// The body is not a JSON object, or lacks a field the kind needs.
    Payload,
    PayloadHash,
}

impl BadField {
    fn word(self) -> &'static str {
        match self {
            BadField::StreamId => "stream_id",
            BadField::Seq => "seq",
            BadField::Durable => "durable",
            BadField::IdempotencyKey => "idempotency_key",
            BadField::Kind => "kind",
            BadField::Payload => "payload",
            BadField::PayloadHash => "payload_hash",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `ingest` called by anyone but the publisher.
    NotProjector,
    /// An `ingest` argument is malformed.
    Rejected(BadField),
    /// The key is stored already, with another digest.
    Conflict { key: String },
    /// The offset is not the one after the stream's head.
    Gap { stream: String, wanted: u64, got: u64 },
    /// `ack_cursor` for a reader other than the caller.
    ReaderNotCaller,
    /// `ack_cursor` below the stored position.
    CursorBack { stored: u64, requested: u64 },
    /// `ack_cursor` beyond the stream's head.
    // Never constructed: see the PLANTED DEFECT in `cursors.rs`.
    #[allow(dead_code)]
    CursorPastHead { requested: u64, head: u64 },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotProjector => write!(f, "forbidden: caller is not the projector"),
            Refusal::Rejected(field) => write!(f, "rejected: bad {}", field.word()),
            Refusal::Conflict { key } => write!(f, "conflict: key {key} already stored with other content"),
            Refusal::Gap { stream, wanted, got } => write!(f, "gap: stream {stream} wants {wanted}, got {got}"),
            Refusal::ReaderNotCaller => write!(f, "forbidden: reader is not the caller"),
            Refusal::CursorBack { stored, requested } => write!(f, "cursor moved back: {stored} -> {requested}"),
            Refusal::CursorPastHead { requested, head } => write!(f, "cursor past head: {requested} > {head}"),
        }
    }
}

/// Reducers return `Result<(), String>`; `?` on a `Refusal` turns it into its text.
impl From<Refusal> for String {
    fn from(refusal: Refusal) -> String {
        refusal.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert_eq!(Refusal::Rejected(BadField::PayloadHash).to_string(), "rejected: bad payload_hash");
        assert_eq!(
            Refusal::Gap { stream: "runtime.run.r.events".into(), wanted: 3, got: 5 }.to_string(),
            "gap: stream runtime.run.r.events wants 3, got 5"
        );
        assert_eq!(Refusal::CursorBack { stored: 4, requested: 2 }.to_string(), "cursor moved back: 4 -> 2");
    }
}
