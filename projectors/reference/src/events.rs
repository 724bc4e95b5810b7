//! Which event kinds a stream accepts and what their payloads must hold
//! (CONTRACT P1-P4). Parsing a payload here yields a typed event, so the projections never
//! look at JSON again.
//!
//! | family | kind              | required payload fields                 |
//! |--------|-------------------|-----------------------------------------|
//! | run    | `run.created`     | `owner`: string                         |
//! | run    | `run.step`        | `tokens`: JSON integer in 0..=u64::MAX  |
//! | run    | `run.completed`   | `outcome`: `"success"` or `"failure"`   |
//! | run    | `run.cancelled`   | `reason`: string                        |
//! | worker | `worker.online`   | `region`: string                        |
//! | worker | `worker.heartbeat`| none                                    |
//! | worker | `worker.offline`  | `reason`: string                        |
//! | other  | `note`            | `text`: string                          |
//!
//! Fields beyond the required ones are allowed and ignored.

use serde_json::{Map, Value};

use crate::streams::StreamFamily;

/// An event of a run stream, as the `run_summary` projection needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEvent {
    Created { owner: String },
    Step { tokens: u64 },
    Completed { outcome: String },
    Cancelled,
}

/// An event of a worker stream, as the `worker_status` projection needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerEvent {
    Online { region: String },
    Heartbeat,
    Offline,
}

/// A valid event together with the projection row it folds into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectedEvent {
    Run {
        run_id: String,
        event: RunEvent,
    },
    Worker {
        worker_id: String,
        event: WorkerEvent,
    },
    /// A `note` on any other stream: accepted, folds into nothing (P3).
    Note,
}

/// Why an event was rejected; `validate` turns this into `invalid_event kind|payload`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventError {
    /// The kind is not one this stream's family accepts.
    UnknownKind,
    /// A required payload field is missing or has the wrong type (P4).
    BadPayload,
}

/// Checks `kind` against the stream's family first, then the payload's fields.
pub fn parse_event(
    family: &StreamFamily,
    kind: &str,
    payload: &Map<String, Value>,
) -> Result<ProjectedEvent, EventError> {
    match family {
        StreamFamily::Run { run_id } => {
            Ok(ProjectedEvent::Run { run_id: run_id.clone(), event: parse_run_event(kind, payload)? })
        }
        StreamFamily::Worker { worker_id } => Ok(ProjectedEvent::Worker {
            worker_id: worker_id.clone(),
            event: parse_worker_event(kind, payload)?,
        }),
        StreamFamily::Other => parse_note(kind, payload),
    }
}

fn parse_run_event(kind: &str, payload: &Map<String, Value>) -> Result<RunEvent, EventError> {
    match kind {
        "run.created" => Ok(RunEvent::Created { owner: string_field(payload, "owner")? }),
        "run.step" => Ok(RunEvent::Step { tokens: u64_field(payload, "tokens")? }),
        "run.completed" => Ok(RunEvent::Completed { outcome: outcome_field(payload)? }),
        "run.cancelled" => {
            string_field(payload, "reason")?;
            Ok(RunEvent::Cancelled)
        }
        _ => Err(EventError::UnknownKind),
    }
}

fn parse_worker_event(kind: &str, payload: &Map<String, Value>) -> Result<WorkerEvent, EventError> {
    match kind {
        "worker.online" => Ok(WorkerEvent::Online { region: string_field(payload, "region")? }),
        "worker.heartbeat" => Ok(WorkerEvent::Heartbeat),
        "worker.offline" => {
            string_field(payload, "reason")?;
            Ok(WorkerEvent::Offline)
        }
        _ => Err(EventError::UnknownKind),
    }
}

fn parse_note(kind: &str, payload: &Map<String, Value>) -> Result<ProjectedEvent, EventError> {
    match kind {
        "note" => {
            string_field(payload, "text")?;
            Ok(ProjectedEvent::Note)
        }
        _ => Err(EventError::UnknownKind),
    }
}

/// A required JSON string field.
fn string_field(payload: &Map<String, Value>, name: &str) -> Result<String, EventError> {
    match payload.get(name) {
        Some(Value::String(text)) => Ok(text.clone()),
        _ => Err(EventError::BadPayload),
    }
}

/// A required JSON integer field in 0..=u64::MAX. `as_u64` is `None` for negative numbers,
/// for anything written with a fraction or exponent (`1.0`, `1e3`: serde_json reads those
/// as floats) and for integers too large for u64 (also read as floats). Booleans are not
/// numbers in JSON, so they are rejected too.
fn u64_field(payload: &Map<String, Value>, name: &str) -> Result<u64, EventError> {
    match payload.get(name) {
        Some(Value::Number(number)) => number.as_u64().ok_or(EventError::BadPayload),
        _ => Err(EventError::BadPayload),
    }
}

/// `outcome` of `run.completed`: the string `success` or `failure`.
fn outcome_field(payload: &Map<String, Value>) -> Result<String, EventError> {
    let outcome = string_field(payload, "outcome")?;
    match outcome.as_str() {
        "success" | "failure" => Ok(outcome),
        _ => Err(EventError::BadPayload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(family: &StreamFamily, kind: &str, payload: &str) -> Result<ProjectedEvent, EventError> {
        parse_event(family, kind, &serde_json::from_str(payload).unwrap())
    }

    fn run() -> StreamFamily {
        StreamFamily::Run { run_id: "r".into() }
    }

    fn run_event(event: RunEvent) -> Result<ProjectedEvent, EventError> {
        Ok(ProjectedEvent::Run { run_id: "r".into(), event })
    }

    #[test]
    fn run_kinds() {
        assert_eq!(
            parse(&run(), "run.created", r#"{"owner":"a","x":1}"#),
            run_event(RunEvent::Created { owner: "a".into() })
        );
        assert_eq!(
            parse(&run(), "run.step", r#"{"tokens":18446744073709551615}"#),
            run_event(RunEvent::Step { tokens: u64::MAX })
        );
        assert_eq!(
            parse(&run(), "run.completed", r#"{"outcome":"failure"}"#),
            run_event(RunEvent::Completed { outcome: "failure".into() })
        );
        assert_eq!(parse(&run(), "run.cancelled", r#"{"reason":""}"#), run_event(RunEvent::Cancelled));
        assert_eq!(parse(&run(), "note", r#"{"text":"t"}"#), Err(EventError::UnknownKind));
        assert_eq!(parse(&run(), "worker.heartbeat", "{}"), Err(EventError::UnknownKind));
    }

    #[test]
    fn bad_run_payloads() {
        for (kind, payload) in [
            ("run.created", "{}"),
            ("run.created", r#"{"owner":1}"#),
            ("run.step", r#"{"tokens":-1}"#),
            ("run.step", r#"{"tokens":1.0}"#),
            ("run.step", r#"{"tokens":1e3}"#),
            ("run.step", r#"{"tokens":true}"#),
            ("run.step", r#"{"tokens":"1"}"#),
            ("run.step", r#"{"tokens":18446744073709551616}"#),
            ("run.completed", r#"{"outcome":"ok"}"#),
            ("run.cancelled", r#"{"reason":null}"#),
        ] {
            assert_eq!(parse(&run(), kind, payload), Err(EventError::BadPayload), "{kind} {payload}");
        }
    }

    #[test]
    fn worker_and_other_kinds() {
        let worker = StreamFamily::Worker { worker_id: "w".into() };
        assert_eq!(
            parse(&worker, "worker.heartbeat", r#"{"any":"thing"}"#),
            Ok(ProjectedEvent::Worker { worker_id: "w".into(), event: WorkerEvent::Heartbeat })
        );
        assert_eq!(parse(&worker, "worker.online", "{}"), Err(EventError::BadPayload));
        assert_eq!(parse(&worker, "run.step", r#"{"tokens":1}"#), Err(EventError::UnknownKind));
        assert_eq!(parse(&StreamFamily::Other, "note", r#"{"text":"hi"}"#), Ok(ProjectedEvent::Note));
        assert_eq!(parse(&StreamFamily::Other, "note", "{}"), Err(EventError::BadPayload));
        assert_eq!(
            parse(&StreamFamily::Other, "run.created", r#"{"owner":"a"}"#),
            Err(EventError::UnknownKind)
        );
    }
}
