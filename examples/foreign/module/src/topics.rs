//! Topics (the authority's names) and stream ids (the names this module stores), and the
//! mapping between them in both directions.
//!
//! The authority journals events per topic; its projector sends the stream id. The digest
//! is taken over the *topic*, so `ingest` has to turn a stream id back into its topic.
//!
//! Forward (topic -> stream id), first matching shape wins:
//!
//! ```text
//! run:<id>:events             runtime.run.<id>.events
//! worker:<id>:lifecycle       runtime.worker.<id>.lifecycle
//! fleet:user:<id>:workers     runtime.fleet.user.<id>.workers
//! fleet:guest:<id>:workers    runtime.fleet.guest.<id>.workers
//! runtime.codex_worker_events runtime.codex.worker.events
//! anything else               runtime.topic.<topic with % -> %25, . -> %2E, : -> .>
//! ```
//!
//! `<id>` is any non-empty text, copied as is. Backward, a stream id is only accepted if its
//! decoded topic is valid *and* maps forward to the very same stream id: that refuses the
//! second spellings a decoder alone would let through (`runtime.topic.run.x.events` decodes
//! to `run:x:events`, whose stream id is `runtime.run.x.events`), so one topic never has two
//! stream ids and one stream id never two topics.

/// A topic is 1 to 256 characters (Unicode scalar values) with no whitespace and no control
/// character.
pub fn is_valid_topic(topic: &str) -> bool {
    let mut count = 0usize;
    for c in topic.chars() {
        if c.is_whitespace() || c.is_control() {
            return false;
        }
        count += 1;
    }
    (1..=256).contains(&count)
}

/// A shape with an id in the middle: `(topic head, topic tail, stream head, stream tail)`.
type Shape = (&'static str, &'static str, &'static str, &'static str);

const RUN_SHAPE: Shape = ("run:", ":events", "runtime.run.", ".events");
const WORKER_SHAPE: Shape = ("worker:", ":lifecycle", "runtime.worker.", ".lifecycle");
const SHAPES: [Shape; 4] = [
    RUN_SHAPE,
    WORKER_SHAPE,
    ("fleet:user:", ":workers", "runtime.fleet.user.", ".workers"),
    ("fleet:guest:", ":workers", "runtime.fleet.guest.", ".workers"),
];

const CODEX: (&str, &str) = ("runtime.codex_worker_events", "runtime.codex.worker.events");
const ESCAPED_PREFIX: &str = "runtime.topic.";

/// The non-empty middle of `text` between `head` and `tail`. The head is cut first, so the
/// two cannot share characters (`run:events` has no id).
fn middle<'a>(text: &'a str, head: &str, tail: &str) -> Option<&'a str> {
    text.strip_prefix(head)?.strip_suffix(tail).filter(|id| !id.is_empty())
}

/// The stream id of a topic. Total: the caller decides whether the topic is valid.
pub fn stream_of(topic: &str) -> String {
    if let Some((id, shape)) = SHAPES.iter().find_map(|shape| middle(topic, shape.0, shape.1).map(|id| (id, shape))) {
        return [shape.2, id, shape.3].concat();
    }
    if topic == CODEX.0 {
        return CODEX.1.to_owned();
    }
    let mut stream = String::from(ESCAPED_PREFIX);
    for c in topic.chars() {
        match c {
            '%' => stream.push_str("%25"),
            '.' => stream.push_str("%2E"),
            ':' => stream.push('.'),
            _ => stream.push(c),
        }
    }
    stream
}

/// Reverses the fallback escaping; `None` for a `%` not followed by `2E` or `25`, which
/// the forward direction never writes.
fn unescape(escaped: &str) -> Option<String> {
    let mut topic = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => topic.push(':'),
            '%' => match (chars.next(), chars.next()) {
                (Some('2'), Some('E')) => topic.push('.'),
                (Some('2'), Some('5')) => topic.push('%'),
                _ => return None,
            },
            _ => topic.push(c),
        }
    }
    Some(topic)
}

/// The topic a stream id stands for, or `None` if it is not a valid stream id.
pub fn topic_of(stream: &str) -> Option<String> {
    let decoded = SHAPES
        .iter()
        .find_map(|shape| middle(stream, shape.2, shape.3).map(|id| [shape.0, id, shape.1].concat()))
        .or_else(|| (stream == CODEX.1).then(|| CODEX.0.to_owned()))
        .or_else(|| unescape(stream.strip_prefix(ESCAPED_PREFIX)?))?;
    (is_valid_topic(&decoded) && stream_of(&decoded) == stream).then_some(decoded)
}

/// What a topic's events project into, which also fixes the kinds it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Family {
    /// `run:<run>:events` -> `run_rollup`.
    Run(String),
    /// `worker:<worker>:lifecycle` -> `worker_state`.
    Worker(String),
    /// Every other topic: notes, no rollup.
    Other,
}

/// The family of a topic, by the same shapes in the same order as `stream_of`.
pub fn family_of(topic: &str) -> Family {
    if let Some(run) = middle(topic, RUN_SHAPE.0, RUN_SHAPE.1) {
        Family::Run(run.to_owned())
    } else if let Some(worker) = middle(topic, WORKER_SHAPE.0, WORKER_SHAPE.1) {
        Family::Worker(worker.to_owned())
    } else {
        Family::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward() {
        assert_eq!(stream_of("run:r1:events"), "runtime.run.r1.events");
        assert_eq!(stream_of("worker:w.1:lifecycle"), "runtime.worker.w.1.lifecycle");
        assert_eq!(stream_of("fleet:guest:a:b:workers"), "runtime.fleet.guest.a:b.workers");
        assert_eq!(stream_of("runtime.codex_worker_events"), "runtime.codex.worker.events");
        assert_eq!(stream_of("run::events"), "runtime.topic.run..events");
        assert_eq!(stream_of("a.b%c:d"), "runtime.topic.a%2Eb%25c.d");
    }

    #[test]
    fn backward_round_trips() {
        for topic in ["run:r1:events", "run:a:b.c:events", "worker:w:lifecycle", "fleet:user:u:workers",
            "runtime.codex_worker_events", "run::events", "a.b%c:d", "%2E", "user:1:runs", "ünï:cödé"]
        {
            assert_eq!(topic_of(&stream_of(topic)).as_deref(), Some(topic), "{topic}");
        }
    }

    #[test]
    fn refuses_other_spellings() {
        for stream in ["", "runtime.run..events", "runtime.topic.run.x.events",
            "runtime.topic.runtime%2Ecodex_worker_events", "runtime.topic.a%2eb", "runtime.topic.a%",
            "runtime.topic.", "runtime.topic.a b", "other"]
        {
            assert_eq!(topic_of(stream), None, "{stream:?}");
        }
    }

    #[test]
    fn families() {
        assert_eq!(family_of("run:r1:events"), Family::Run("r1".into()));
        assert_eq!(family_of("worker:w:x:lifecycle"), Family::Worker("w:x".into()));
        assert_eq!(family_of("fleet:user:a:workers"), Family::Other);
        assert_eq!(family_of("run::events"), Family::Other);
    }

    #[test]
    fn topic_length_in_chars() {
        assert!(is_valid_topic(&"é".repeat(256)));
        assert!(!is_valid_topic(&"a".repeat(257)));
        assert!(!is_valid_topic(""));
        assert!(!is_valid_topic("a\u{a0}b"));
    }
}
