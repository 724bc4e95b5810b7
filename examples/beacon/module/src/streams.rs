//! Stream names and topics. The authority derives a stream name from each topic (a few
//! well-known shapes, else an escaped fallback); we only ever need the way back, and accept
//! a stream name only if it is exactly what the authority would have produced.

const FALLBACK: &str = "runtime.topic.";
const CODEX_TOPIC: &str = "runtime.codex_worker_events";
const CODEX_STREAM: &str = "runtime.codex.worker.events";

/// (topic prefix, topic suffix, stream prefix, stream suffix), in the authority's order.
const SHAPES: [(&str, &str, &str, &str); 4] = [
    ("run:", ":events", "runtime.run.", ".events"),
    ("worker:", ":lifecycle", "runtime.worker.", ".lifecycle"),
    ("fleet:user:", ":workers", "runtime.fleet.user.", ".workers"),
    ("fleet:guest:", ":workers", "runtime.fleet.guest.", ".workers"),
];

fn inner<'a>(text: &'a str, head: &str, tail: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(head)?.strip_suffix(tail)?;
    (!rest.is_empty()).then_some(rest)
}

/// 1 to 256 characters, no whitespace, no control characters.
fn topic_ok(topic: &str) -> bool {
    let count = topic.chars().count();
    (1..=256).contains(&count) && !topic.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The authority's stream name for a topic.
pub fn stream_name(topic: &str) -> String {
    for (tp, ts, sp, ss) in SHAPES {
        if let Some(id) = inner(topic, tp, ts) {
            return format!("{sp}{id}{ss}");
        }
    }
    if topic == CODEX_TOPIC {
        return CODEX_STREAM.to_string();
    }
    let escaped = topic.replace('%', "%25").replace('.', "%2E").replace(':', ".");
    format!("{FALLBACK}{escaped}")
}

fn unescape(encoded: &str) -> Option<String> {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(c) = rest.chars().next() {
        if c == '%' {
            out.push(match rest.get(1..3)? {
                "2E" => '.',
                "25" => '%',
                _ => return None,
            });
            rest = &rest[3..];
        } else {
            out.push(if c == '.' { ':' } else { c });
            rest = &rest[c.len_utf8()..];
        }
    }
    Some(out)
}

/// The topic a stream name was made from, or None if the authority never makes that name.
pub fn topic_of(stream: &str) -> Option<String> {
    let topic = SHAPES
        .iter()
        .find_map(|(tp, ts, sp, ss)| inner(stream, sp, ss).map(|id| format!("{tp}{id}{ts}")))
        .or_else(|| (stream == CODEX_STREAM).then(|| CODEX_TOPIC.to_string()))
        .or_else(|| stream.strip_prefix(FALLBACK).and_then(unescape))?;
    (topic_ok(&topic) && stream_name(&topic) == stream).then_some(topic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_shapes_round_trip() {
        for topic in ["run:r1:events", "worker:w.1:lifecycle", "fleet:user:7:workers",
                      "fleet:guest:g:workers", CODEX_TOPIC, "org:a.b:runs", "100%:x"] {
            assert_eq!(topic_of(&stream_name(topic)).as_deref(), Some(topic), "{topic}");
        }
        assert_eq!(stream_name("org:a.b:runs"), "runtime.topic.org.a%2Eb.runs");
    }

    #[test]
    fn names_the_authority_never_makes() {
        for stream in ["", "runtime.topic.", "runtime.run..events", "runtime.topic.a%2eb",
                       "runtime.topic.run.x.events", "runtime.topic.a%2", "other.stream",
                       "runtime.topic.a b"] {
            assert_eq!(topic_of(stream), None, "{stream:?}");
        }
    }
}
