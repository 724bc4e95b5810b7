//! The mapping between topics and stream ids (CONTRACT S1, S2), and the stream family that
//! decides which event kinds a stream accepts (CONTRACT P1-P3).
//!
//! | topic                      | stream id                          |
//! |----------------------------|------------------------------------|
//! | `run:<id>:events`          | `runtime.run.<id>.events`          |
//! | `worker:<id>:lifecycle`    | `runtime.worker.<id>.lifecycle`    |
//! | `fleet:user:<id>:workers`  | `runtime.fleet.user.<id>.workers`  |
//! | `fleet:guest:<id>:workers` | `runtime.fleet.guest.<id>.workers` |
//! | `runtime.codex_worker_events` | `runtime.codex.worker.events`   |
//! | anything else              | `runtime.topic.` + escaped topic   |
//!
//! The rows are tried in this order; `<id>` is non-empty and copied verbatim, so it may
//! itself contain `:` or `.`.

use crate::topic::is_valid_topic;

/// A row of the mapping that carries an `<id>`: the topic and the stream id are each a
/// fixed prefix, the id, and a fixed suffix.
struct IdRow {
    topic_prefix: &'static str,
    topic_suffix: &'static str,
    stream_prefix: &'static str,
    stream_suffix: &'static str,
}

const RUN: IdRow = IdRow {
    topic_prefix: "run:",
    topic_suffix: ":events",
    stream_prefix: "runtime.run.",
    stream_suffix: ".events",
};

const WORKER: IdRow = IdRow {
    topic_prefix: "worker:",
    topic_suffix: ":lifecycle",
    stream_prefix: "runtime.worker.",
    stream_suffix: ".lifecycle",
};

const FLEET_USER: IdRow = IdRow {
    topic_prefix: "fleet:user:",
    topic_suffix: ":workers",
    stream_prefix: "runtime.fleet.user.",
    stream_suffix: ".workers",
};

const FLEET_GUEST: IdRow = IdRow {
    topic_prefix: "fleet:guest:",
    topic_suffix: ":workers",
    stream_prefix: "runtime.fleet.guest.",
    stream_suffix: ".workers",
};

/// The rows with an id, in the order the contract tries them.
const ID_ROWS: [IdRow; 4] = [RUN, WORKER, FLEET_USER, FLEET_GUEST];

/// The one fixed row, tried after the rows with an id.
const CODEX_TOPIC: &str = "runtime.codex_worker_events";
const CODEX_STREAM: &str = "runtime.codex.worker.events";

/// Every topic that fits no other row maps to this prefix plus the escaped topic.
const FALLBACK_STREAM_PREFIX: &str = "runtime.topic.";

/// Strips `prefix` and `suffix` from `text` and returns what is between them, if that is
/// non-empty. Stripping the prefix first means the two may not overlap: `run:events` is
/// not `run:` + `` + `:events`.
fn between<'t>(text: &'t str, prefix: &str, suffix: &str) -> Option<&'t str> {
    let id = text.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!id.is_empty()).then_some(id)
}

impl IdRow {
    fn id_in_topic<'t>(&self, topic: &'t str) -> Option<&'t str> {
        between(topic, self.topic_prefix, self.topic_suffix)
    }

    fn id_in_stream<'s>(&self, stream_id: &'s str) -> Option<&'s str> {
        between(stream_id, self.stream_prefix, self.stream_suffix)
    }

    fn stream_for(&self, id: &str) -> String {
        format!("{}{id}{}", self.stream_prefix, self.stream_suffix)
    }

    fn topic_for(&self, id: &str) -> String {
        format!("{}{id}{}", self.topic_prefix, self.topic_suffix)
    }
}

/// `stream_id = stream_of(topic)` (S1). Defined for every string; callers validate the
/// topic themselves.
pub fn stream_of(topic: &str) -> String {
    for row in &ID_ROWS {
        if let Some(id) = row.id_in_topic(topic) {
            return row.stream_for(id);
        }
    }
    if topic == CODEX_TOPIC {
        return CODEX_STREAM.to_string();
    }
    format!("{FALLBACK_STREAM_PREFIX}{}", escape_fallback(topic))
}

/// The fallback escaping: `%` -> `%25`, then `.` -> `%2E`, then `:` -> `.`. Mapping each
/// character once gives the same result as those three replacements in sequence: a
/// replacement only writes characters that a later replacement leaves alone (`%`, `2`,
/// `5`, `E`, `.` are rewritten, if at all, by an *earlier* step).
fn escape_fallback(topic: &str) -> String {
    let mut out = String::with_capacity(topic.len());
    for c in topic.chars() {
        match c {
            '%' => out.push_str("%25"),
            '.' => out.push_str("%2E"),
            ':' => out.push('.'),
            other => out.push(other),
        }
    }
    out
}

/// Undoes [`escape_fallback`] in one left-to-right pass: `.` -> `:`, `%2E` -> `.`,
/// `%25` -> `%`. Any other `%` sequence (including lower-case `%2e`) is not something
/// `escape_fallback` writes, so it is rejected.
fn unescape_fallback(encoded: &str) -> Option<String> {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(c) = rest.chars().next() {
        match c {
            '.' => {
                out.push(':');
                rest = &rest[1..];
            }
            '%' => {
                if let Some(after) = rest.strip_prefix("%2E") {
                    out.push('.');
                    rest = after;
                } else if let Some(after) = rest.strip_prefix("%25") {
                    out.push('%');
                    rest = after;
                } else {
                    return None;
                }
            }
            other => {
                out.push(other);
                rest = &rest[other.len_utf8()..];
            }
        }
    }
    Some(out)
}

/// Inverts each row of the table without checking the result. `None` when the stream id
/// has the shape of no row.
fn decode_stream(stream_id: &str) -> Option<String> {
    for row in &ID_ROWS {
        if let Some(id) = row.id_in_stream(stream_id) {
            return Some(row.topic_for(id));
        }
    }
    if stream_id == CODEX_STREAM {
        return Some(CODEX_TOPIC.to_string());
    }
    unescape_fallback(stream_id.strip_prefix(FALLBACK_STREAM_PREFIX)?)
}

/// The topic of a stream id, or `None` if the stream id is not valid.
///
/// A stream id is valid only if it decodes to a valid topic that maps back to exactly the
/// same stream id. The round trip rejects non-canonical spellings (such as
/// `runtime.topic.run.x.events`, whose topic `run:x:events` belongs to
/// `runtime.run.x.events`), which keeps the mapping injective (S2).
pub fn topic_of(stream_id: &str) -> Option<String> {
    let topic = decode_stream(stream_id)?;
    (is_valid_topic(&topic) && stream_of(&topic) == stream_id).then_some(topic)
}

/// Which projection, if any, a topic's events fold into; it also decides which kinds the
/// topic accepts (see `events`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamFamily {
    /// `run:<run_id>:events`, projected into `run_summary`.
    Run { run_id: String },
    /// `worker:<worker_id>:lifecycle`, projected into `worker_status`.
    Worker { worker_id: String },
    /// Every other topic (fleet, codex, fallback): notes only, no projection.
    Other,
}

/// The family of a topic, decided by the same rows, in the same order, as [`stream_of`].
pub fn family_of(topic: &str) -> StreamFamily {
    if let Some(run_id) = RUN.id_in_topic(topic) {
        StreamFamily::Run { run_id: run_id.to_string() }
    } else if let Some(worker_id) = WORKER.id_in_topic(topic) {
        StreamFamily::Worker { worker_id: worker_id.to_string() }
    } else {
        StreamFamily::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specific_rows() {
        assert_eq!(stream_of("run:r1:events"), "runtime.run.r1.events");
        assert_eq!(stream_of("worker:w.1:lifecycle"), "runtime.worker.w.1.lifecycle");
        assert_eq!(stream_of("fleet:user:a:workers"), "runtime.fleet.user.a.workers");
        assert_eq!(stream_of("fleet:guest:a:b:workers"), "runtime.fleet.guest.a:b.workers");
        assert_eq!(stream_of("runtime.codex_worker_events"), "runtime.codex.worker.events");
    }

    #[test]
    fn fallback_escapes() {
        assert_eq!(stream_of("run::events"), "runtime.topic.run..events");
        assert_eq!(stream_of("a.b%c:d"), "runtime.topic.a%2Eb%25c.d");
        assert_eq!(stream_of("run:events"), "runtime.topic.run.events");
    }

    #[test]
    fn round_trips() {
        for topic in [
            "run:r1:events",
            "run:a:b.c:events",
            "worker:w:lifecycle",
            "fleet:user:u:workers",
            "fleet:guest:g:workers",
            "runtime.codex_worker_events",
            "run::events",
            "a.b%c:d",
            "%2E",
            "user:1:runs",
            "ünï:cödé",
        ] {
            let stream = stream_of(topic);
            assert_eq!(topic_of(&stream).as_deref(), Some(topic), "{stream}");
        }
    }

    #[test]
    fn rejects_invalid_stream_ids() {
        for stream in [
            "",
            "runtime.run..events",
            "runtime.run.x",
            "runtime.topic.run.x.events", // non-canonical spelling of runtime.run.x.events
            "runtime.topic.runtime%2Ecodex_worker_events", // belongs to the codex row
            "runtime.topic.a%2eb",
            "runtime.topic.a%",
            "runtime.topic.a%41",
            "runtime.topic.",
            "runtime.topic.a b",
            "runtime.run.a b.events",
            "something.else",
        ] {
            assert_eq!(topic_of(stream), None, "{stream:?}");
        }
    }

    #[test]
    fn families() {
        assert_eq!(family_of("run:r1:events"), StreamFamily::Run { run_id: "r1".into() });
        assert_eq!(family_of("worker:w:x:lifecycle"), StreamFamily::Worker { worker_id: "w:x".into() });
        assert_eq!(family_of("fleet:user:a:workers"), StreamFamily::Other);
        assert_eq!(family_of("run::events"), StreamFamily::Other);
    }
}
