//! Step 2 of `apply_event` (CONTRACT M1): the field checks, in the order the contract
//! fixes, each failing with `invalid_event <field>`. This is pure: it reads no table.

use serde_json::{Map, Value};

use crate::canonical::payload_hash;
use crate::errors::{invalid_event, Field};
use crate::events::{parse_event, EventError, ProjectedEvent};
use crate::keys::idempotency_key;
use crate::streams::{family_of, topic_of};

/// The arguments of `apply_event`, as the publisher sent them.
pub struct EventArgs {
    pub stream_id: String,
    pub seq: u64,
    pub idempotency_key: String,
    pub kind: String,
    pub payload_json: String,
    pub payload_hash: String,
    pub published_at_ms: u64,
}

/// Checks every field and returns the typed event to fold, or the first failure:
///
/// 1. `stream_id` empty or not a valid stream id      -> `invalid_event stream_id`
/// 2. `idempotency_key` empty                          -> `invalid_event idempotency_key`
/// 3. `kind` empty                                     -> `invalid_event kind`
/// 4. `payload_json` empty                             -> `invalid_event payload_json`
/// 5. `payload_hash` empty                             -> `invalid_event payload_hash`
/// 6. `seq` is 0                                       -> `invalid_event seq`
/// 7. key is not `topic:<topic>:seq:<seq>` (E6)        -> `invalid_event idempotency_key`
/// 8. `payload_json` is not a JSON object              -> `invalid_event payload`
/// 9. `payload_hash` differs from the recomputed (E5)  -> `invalid_event payload_hash`
///    (also when `published_at_ms` is past year 9999 and so has no hash at all)
/// 10. kind not accepted by the stream (P1-P3)         -> `invalid_event kind`
/// 11. payload fields missing or mistyped (P4)         -> `invalid_event payload`
pub fn validate_event(args: &EventArgs) -> Result<ProjectedEvent, String> {
    let topic = topic_of(&args.stream_id).ok_or_else(|| invalid_event(Field::StreamId))?;
    require_non_empty(&args.idempotency_key, Field::IdempotencyKey)?;
    require_non_empty(&args.kind, Field::Kind)?;
    require_non_empty(&args.payload_json, Field::PayloadJson)?;
    require_non_empty(&args.payload_hash, Field::PayloadHash)?;
    if args.seq == 0 {
        return Err(invalid_event(Field::Seq));
    }
    if args.idempotency_key != idempotency_key(&topic, args.seq) {
        return Err(invalid_event(Field::IdempotencyKey));
    }
    let payload = parse_object(&args.payload_json).ok_or_else(|| invalid_event(Field::Payload))?;
    let expected_hash = payload_hash(&topic, args.seq, &args.kind, &payload, args.published_at_ms);
    #[cfg(not(feature = "mutant-skip-hash-check"))]
    if expected_hash.as_deref() != Some(args.payload_hash.as_str()) {
        return Err(invalid_event(Field::PayloadHash));
    }
    // MUTANT mutant-skip-hash-check (breaks E5, M1.2): only checks that a hash can be computed,
    // never compares it with the one sent.
    #[cfg(feature = "mutant-skip-hash-check")]
    if expected_hash.is_none() {
        return Err(invalid_event(Field::PayloadHash));
    }
    parse_event(&family_of(&topic), &args.kind, &payload).map_err(|error| match error {
        EventError::UnknownKind => invalid_event(Field::Kind),
        EventError::BadPayload => invalid_event(Field::Payload),
    })
}

fn require_non_empty(value: &str, field: Field) -> Result<(), String> {
    if value.is_empty() {
        Err(invalid_event(field))
    } else {
        Ok(())
    }
}

/// The payload, if `text` is JSON whose top-level value is an object.
fn parse_object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::RunEvent;

    /// A valid `run.created` event of `run:r1:events`, seq 1.
    fn valid() -> EventArgs {
        EventArgs {
            stream_id: "runtime.run.r1.events".into(),
            seq: 1,
            idempotency_key: "topic:run:r1:events:seq:1".into(),
            kind: "run.created".into(),
            payload_json: r#"{"owner":"alice"}"#.into(),
            payload_hash: "sha256:68565b6e78621317cfc20114b5980f48da6bbb5afcc6ffd6844686b8cfcd8f60".into(),
            published_at_ms: 1_700_000_000_123,
        }
    }

    fn error_of(args: EventArgs) -> String {
        validate_event(&args).unwrap_err()
    }

    #[test]
    fn accepts_the_contract_example() {
        assert_eq!(
            validate_event(&valid()),
            Ok(ProjectedEvent::Run {
                run_id: "r1".into(),
                event: RunEvent::Created { owner: "alice".into() }
            })
        );
    }

    #[test]
    fn checks_in_order() {
        assert_eq!(
            error_of(EventArgs { stream_id: "".into(), kind: "".into(), ..valid() }),
            "invalid_event stream_id"
        );
        assert_eq!(
            error_of(EventArgs { idempotency_key: "".into(), kind: "".into(), ..valid() }),
            "invalid_event idempotency_key"
        );
        assert_eq!(
            error_of(EventArgs { kind: "".into(), payload_json: "".into(), ..valid() }),
            "invalid_event kind"
        );
        assert_eq!(
            error_of(EventArgs { payload_json: "".into(), payload_hash: "".into(), ..valid() }),
            "invalid_event payload_json"
        );
        assert_eq!(
            error_of(EventArgs { payload_hash: "".into(), seq: 0, ..valid() }),
            "invalid_event payload_hash"
        );
        assert_eq!(error_of(EventArgs { seq: 0, payload_json: "[]".into(), ..valid() }), "invalid_event seq");
        assert_eq!(
            error_of(EventArgs { seq: 2, payload_json: "[]".into(), ..valid() }),
            "invalid_event idempotency_key"
        );
        assert_eq!(
            error_of(EventArgs { payload_json: "[]".into(), payload_hash: "x".into(), ..valid() }),
            "invalid_event payload"
        );
        assert_eq!(error_of(EventArgs { payload_json: "{".into(), ..valid() }), "invalid_event payload");
        assert_eq!(error_of(EventArgs { published_at_ms: 1, ..valid() }), "invalid_event payload_hash");
        assert_eq!(
            error_of(EventArgs { published_at_ms: u64::MAX, ..valid() }),
            "invalid_event payload_hash"
        );
        // A wrong kind changes the hash, so it is reported as a hash mismatch first.
        assert_eq!(error_of(EventArgs { kind: "note".into(), ..valid() }), "invalid_event payload_hash");
        // With a matching hash, the kind and then the payload fields are checked.
        let note = EventArgs { kind: "note".into(), payload_json: r#"{"text":"t"}"#.into(), ..valid() };
        assert_eq!(error_of(rehashed(note)), "invalid_event kind");
        let bad_owner = EventArgs { payload_json: r#"{"owner":5}"#.into(), ..valid() };
        assert_eq!(error_of(rehashed(bad_owner)), "invalid_event payload");
    }

    /// `args` with the payload hash recomputed, so that later checks are reached.
    fn rehashed(mut args: EventArgs) -> EventArgs {
        let topic = topic_of(&args.stream_id).unwrap();
        let payload = parse_object(&args.payload_json).unwrap();
        args.payload_hash =
            payload_hash(&topic, args.seq, &args.kind, &payload, args.published_at_ms).unwrap();
        args
    }
}
