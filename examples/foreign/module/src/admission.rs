//! Whether an `ingest` call is well-formed, checked without reading any table. The checks
//! run in a fixed order and the first failure is the answer, so a caller can rely on which
//! `rejected: bad <field>` it gets when several fields are wrong.

use serde_json::{Map, Value};

use crate::digest::event_digest;
use crate::facts::{Change, Kind};
use crate::refusal::{BadField, Refusal};
use crate::topics::{family_of, topic_of, Family};

/// The arguments of `ingest`, as sent.
pub struct Submission {
    pub key: String,
    pub stream: String,
    pub kind: String,
    pub body: String,
    pub digest: String,
    pub committed_ms: i64,
    pub offset: u64,
    pub durable: bool,
    pub expected_next: u64,
}

/// A well-formed event: what it projects into and how it changes it.
#[derive(Debug, PartialEq, Eq)]
pub struct Admitted {
    pub family: Family,
    pub change: Change,
}

/// The idempotency key of an event: `{stream}/{offset}/{kind}`.
pub fn event_key(stream: &str, offset: u64, kind: &str) -> String {
    format!("{stream}/{offset}/{kind}")
}

/// Checks, in order:
///
/// 1. `stream` is a valid stream id                      else `rejected: bad stream_id`
/// 2. `offset` >= 1                                      else `rejected: bad seq`
/// 3. `expected_next` == `offset`                        else `rejected: bad seq`
/// 4. `durable` is true                                  else `rejected: bad durable`
/// 5. `key` is `{stream}/{offset}/{kind}`                else `rejected: bad idempotency_key`
/// 6. the stream's family accepts `kind`                 else `rejected: bad kind`
/// 7. `body` is a JSON object with the kind's fields     else `rejected: bad payload`
/// 8. `digest` is the digest recomputed from the event   else `rejected: bad payload_hash`
pub fn admit(call: &Submission) -> Result<Admitted, Refusal> {
    let reject = |field| Refusal::Rejected(field);
    let topic = topic_of(&call.stream).ok_or(reject(BadField::StreamId))?;
    if call.offset == 0 || call.expected_next != call.offset {
        return Err(reject(BadField::Seq));
    }
    if !call.durable {
        return Err(reject(BadField::Durable));
    }
    if call.key != event_key(&call.stream, call.offset, &call.kind) {
        return Err(reject(BadField::IdempotencyKey));
    }
    let family = family_of(&topic);
    let kind = Kind::accepted(&family, &call.kind).ok_or(reject(BadField::Kind))?;
    let body = json_object(&call.body).ok_or(reject(BadField::Payload))?;
    let change = kind.read(&body).ok_or(reject(BadField::Payload))?;
    let recomputed = event_digest(&topic, call.offset, &call.kind, &body, call.committed_ms);
    if recomputed.as_deref() != Some(call.digest.as_str()) {
        return Err(reject(BadField::PayloadHash));
    }
    Ok(Admitted { family, change })
}

fn json_object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str(text).ok()? {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "runtime.run.r1.events";

    fn call(kind: &str, body: &str) -> Submission {
        let topic = topic_of(STREAM).unwrap();
        let digest = event_digest(&topic, 1, kind, &json_object(body).unwrap(), 1_700_000_000_123).unwrap();
        Submission {
            key: event_key(STREAM, 1, kind),
            stream: STREAM.into(),
            kind: kind.into(),
            body: body.into(),
            digest,
            committed_ms: 1_700_000_000_123,
            offset: 1,
            durable: true,
            expected_next: 1,
        }
    }

    fn refusal(call: Submission) -> String {
        admit(&call).unwrap_err().to_string()
    }

    #[test]
    fn accepts_a_valid_event() {
        let admitted = admit(&call("run.created", r#"{"owner":"alice"}"#)).unwrap();
        assert_eq!(admitted.change, Change::RunCreated { owner: "alice".into() });
        assert_eq!(
            call("run.created", r#"{"owner":"alice"}"#).digest,
            "68565b6e78621317cfc20114b5980f48da6bbb5afcc6ffd6844686b8cfcd8f60"
        );
    }

    #[test]
    fn first_failure_wins() {
        let ok = || call("run.created", r#"{"owner":"alice"}"#);
        assert_eq!(refusal(Submission { stream: "x".into(), offset: 0, ..ok() }), "rejected: bad stream_id");
        assert_eq!(refusal(Submission { offset: 0, durable: false, ..ok() }), "rejected: bad seq");
        assert_eq!(refusal(Submission { expected_next: 2, durable: false, ..ok() }), "rejected: bad seq");
        assert_eq!(refusal(Submission { durable: false, key: "k".into(), ..ok() }), "rejected: bad durable");
        assert_eq!(refusal(Submission { key: "k".into(), kind: "note".into(), ..ok() }), "rejected: bad idempotency_key");
        // The key names the kind, so a wrong kind needs a matching key to reach the kind check.
        let note = Submission { key: event_key(STREAM, 1, "note"), kind: "note".into(), body: "[]".into(), ..ok() };
        assert_eq!(refusal(note), "rejected: bad kind");
        assert_eq!(refusal(Submission { body: "[]".into(), digest: "x".into(), ..ok() }), "rejected: bad payload");
        assert_eq!(refusal(Submission { body: r#"{"owner":1}"#.into(), ..ok() }), "rejected: bad payload");
        assert_eq!(refusal(Submission { digest: "x".into(), ..ok() }), "rejected: bad payload_hash");
        assert_eq!(refusal(Submission { committed_ms: 1, ..ok() }), "rejected: bad payload_hash");
        assert_eq!(refusal(Submission { committed_ms: -1, ..ok() }), "rejected: bad payload_hash");
        // The contract's `sha256:` prefix is not this module's format.
        let prefixed = Submission { digest: format!("sha256:{}", ok().digest), ..ok() };
        assert_eq!(refusal(prefixed), "rejected: bad payload_hash");
    }
}
