//! The kinds of event each stream family accepts, and what their bodies must carry.
//!
//! | family | kind               | body must have                      |
//! |--------|--------------------|-------------------------------------|
//! | run    | `run.created`      | `owner`: string                     |
//! | run    | `run.step`         | `tokens`: integer, 0 ..= u64::MAX   |
//! | run    | `run.completed`    | `outcome`: `"success"`/`"failure"`  |
//! | run    | `run.cancelled`    | `reason`: string                    |
//! | worker | `worker.online`    | `region`: string                    |
//! | worker | `worker.heartbeat` | nothing                             |
//! | worker | `worker.offline`   | `reason`: string                    |
//! | other  | `note`             | `text`: string                      |
//!
//! Extra body fields are allowed and ignored. The kind is checked on its own first (it only
//! needs the stream), the body afterwards, because `ingest` reports them in that order.

use serde_json::{Map, Value};

use crate::topics::Family;

/// A kind this module knows, already matched to the stream's family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    RunCreated,
    RunStep,
    RunCompleted,
    RunCancelled,
    WorkerOnline,
    WorkerHeartbeat,
    WorkerOffline,
    Note,
}

/// What an event changes, with the body fields its fold needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    RunCreated { owner: String },
    RunStep { tokens: u64 },
    RunCompleted { outcome: String },
    RunCancelled,
    WorkerOnline { region: String },
    WorkerHeartbeat,
    WorkerOffline,
    Note,
}

impl Kind {
    /// The kind called `name`, if a stream of `family` accepts it.
    pub fn accepted(family: &Family, name: &str) -> Option<Kind> {
        let kind = match (family, name) {
            (Family::Run(_), "run.created") => Kind::RunCreated,
            (Family::Run(_), "run.step") => Kind::RunStep,
            (Family::Run(_), "run.completed") => Kind::RunCompleted,
            (Family::Run(_), "run.cancelled") => Kind::RunCancelled,
            (Family::Worker(_), "worker.online") => Kind::WorkerOnline,
            (Family::Worker(_), "worker.heartbeat") => Kind::WorkerHeartbeat,
            (Family::Worker(_), "worker.offline") => Kind::WorkerOffline,
            (Family::Other, "note") => Kind::Note,
            _ => return None,
        };
        Some(kind)
    }

    /// The change a body of this kind describes, or `None` if a required field is missing
    /// or has the wrong type.
    pub fn read(self, body: &Map<String, Value>) -> Option<Change> {
        Some(match self {
            Kind::RunCreated => Change::RunCreated { owner: text(body, "owner")? },
            Kind::RunStep => Change::RunStep { tokens: count(body, "tokens")? },
            Kind::RunCompleted => {
                let outcome = text(body, "outcome")?;
                if outcome != "success" && outcome != "failure" {
                    return None;
                }
                Change::RunCompleted { outcome }
            }
            Kind::RunCancelled => {
                text(body, "reason")?;
                Change::RunCancelled
            }
            Kind::WorkerOnline => Change::WorkerOnline { region: text(body, "region")? },
            Kind::WorkerHeartbeat => Change::WorkerHeartbeat,
            Kind::WorkerOffline => {
                text(body, "reason")?;
                Change::WorkerOffline
            }
            Kind::Note => {
                text(body, "text")?;
                Change::Note
            }
        })
    }
}

fn text(body: &Map<String, Value>, field: &str) -> Option<String> {
    body.get(field)?.as_str().map(str::to_owned)
}

/// A non-negative JSON integer that fits u64. serde_json reads `1.0`, `1e3` and integers
/// beyond u64 as floats, and `as_u64` refuses floats, negatives and non-numbers alike.
fn count(body: &Map<String, Value>, field: &str) -> Option<u64> {
    body.get(field)?.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(family: &Family, kind: &str, body: &str) -> Result<Change, &'static str> {
        let kind = Kind::accepted(family, kind).ok_or("kind")?;
        kind.read(&serde_json::from_str(body).unwrap()).ok_or("payload")
    }

    #[test]
    fn runs() {
        let run = Family::Run("r".into());
        assert_eq!(read(&run, "run.step", r#"{"tokens":18446744073709551615}"#), Ok(Change::RunStep { tokens: u64::MAX }));
        assert_eq!(read(&run, "run.created", r#"{"owner":"a","x":1}"#), Ok(Change::RunCreated { owner: "a".into() }));
        for body in [r#"{"tokens":-1}"#, r#"{"tokens":1.0}"#, r#"{"tokens":1e3}"#, r#"{"tokens":true}"#,
            r#"{"tokens":"1"}"#, r#"{"tokens":18446744073709551616}"#, "{}"]
        {
            assert_eq!(read(&run, "run.step", body), Err("payload"), "{body}");
        }
        assert_eq!(read(&run, "run.completed", r#"{"outcome":"ok"}"#), Err("payload"));
        assert_eq!(read(&run, "note", r#"{"text":"t"}"#), Err("kind"));
    }

    #[test]
    fn workers_and_others() {
        let worker = Family::Worker("w".into());
        assert_eq!(read(&worker, "worker.heartbeat", r#"{"any":1}"#), Ok(Change::WorkerHeartbeat));
        assert_eq!(read(&worker, "worker.online", "{}"), Err("payload"));
        assert_eq!(read(&worker, "run.step", r#"{"tokens":1}"#), Err("kind"));
        assert_eq!(read(&Family::Other, "note", r#"{"text":""}"#), Ok(Change::Note));
        assert_eq!(read(&Family::Other, "note", r#"{"text":null}"#), Err("payload"));
        assert_eq!(read(&Family::Other, "run.created", r#"{"owner":"a"}"#), Err("kind"));
    }
}
