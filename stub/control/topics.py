"""Which scope a requested topic or stream needs (CONTRACT.md T3, with S1 for stream ids).

Topic rule (T3): a grantable topic is a valid E1 topic (1-256 code points, no whitespace or
control characters) ending in one of the suffixes of `TOPIC_SCOPES`; the suffix names the scope
that must be granted for it.

Stream rule (our decision, the contract is silent): a stream is requested by its stream id, the
S1 form of a grantable topic. It is grantable when it is the exact `stream_of` of such a topic
(so `topic_of(stream)` round-trips), and it needs the same scope as that topic. For example
`fleet:user:7:workers` is streamed as `runtime.fleet.user.7.workers`, and `org:a.b:runs` as
`runtime.topic.org.a%2Eb.runs`. A reader of one stream thus needs exactly what a reader of its
topic needs.

The S1 mapping lives here rather than in the harness because this service runs alone in a
container with only the standard library.
"""

from __future__ import annotations

import re
from typing import Final

SCOPE_WORKER_EVENTS: Final = "runtime.codex_worker_events"
SCOPE_WORKER_SUMMARIES: Final = "runtime.codex_worker_summaries"
SCOPE_RUN_SUMMARIES: Final = "runtime.run_summaries"
ALLOWED_SCOPES: Final = (SCOPE_WORKER_EVENTS, SCOPE_WORKER_SUMMARIES, SCOPE_RUN_SUMMARIES)
DEFAULT_SCOPES: Final = (SCOPE_WORKER_EVENTS,)

# No suffix is a suffix of another, so at most one entry matches a topic.
TOPIC_SCOPES: Final = (
    (":worker_events", SCOPE_WORKER_EVENTS),
    (":workers", SCOPE_WORKER_SUMMARIES),
    (":runs", SCOPE_RUN_SUMMARIES),
)

_MAX_TOPIC_CHARS: Final = 256
# E1's "whitespace" is the Unicode White_Space property and its "control characters" general
# category Cc, as Rust's char::is_whitespace and char::is_control test them (the module that
# stores topics is Rust); spelled out so a Python Unicode upgrade cannot move them.
_WHITE_SPACE: Final = frozenset(
    [chr(cp) for cp in range(0x09, 0x0E)]
    + ["\u0020", "\u0085", "\u00a0", "\u1680"]
    + [chr(cp) for cp in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)


def _is_e1_char(char: str) -> bool:
    code = ord(char)
    is_control = code <= 0x1F or 0x7F <= code <= 0x9F
    return not is_control and char not in _WHITE_SPACE


# S1's specific rows: (topic prefix, topic suffix, stream prefix, stream suffix) around <id>.
_SPECIFIC_ROWS: Final = (
    ("run:", ":events", "runtime.run.", ".events"),
    ("worker:", ":lifecycle", "runtime.worker.", ".lifecycle"),
    ("fleet:user:", ":workers", "runtime.fleet.user.", ".workers"),
    ("fleet:guest:", ":workers", "runtime.fleet.guest.", ".workers"),
)
_FIXED_ROWS: Final = {"runtime.codex_worker_events": "runtime.codex.worker.events"}
_GENERIC_PREFIX: Final = "runtime.topic."
_ESCAPES: Final = re.compile(r"%(25|2E)")


def _inner(value: str, prefix: str, suffix: str) -> str | None:
    """The non-empty middle of `value` between `prefix` and `suffix`, if it has that shape."""
    fits = value.startswith(prefix) and value.endswith(suffix)
    if not fits or len(value) <= len(prefix) + len(suffix):
        return None
    return value[len(prefix) : len(value) - len(suffix)]


def stream_of(topic: str) -> str:
    """S1: the stream id of `topic`."""
    if topic in _FIXED_ROWS:
        return _FIXED_ROWS[topic]
    for topic_prefix, topic_suffix, stream_prefix, stream_suffix in _SPECIFIC_ROWS:
        ident = _inner(topic, topic_prefix, topic_suffix)
        if ident is not None:
            return stream_prefix + ident + stream_suffix
    escaped = topic.replace("%", "%25").replace(".", "%2E").replace(":", ".")
    return _GENERIC_PREFIX + escaped


def _decode(stream: str) -> str | None:
    """Invert S1 row by row, without checking that the result maps back to `stream`."""
    for topic, fixed in _FIXED_ROWS.items():
        if stream == fixed:
            return topic
    for topic_prefix, topic_suffix, stream_prefix, stream_suffix in _SPECIFIC_ROWS:
        ident = _inner(stream, stream_prefix, stream_suffix)
        if ident is not None:
            return topic_prefix + ident + topic_suffix
    if not stream.startswith(_GENERIC_PREFIX):
        return None
    unescape = {"25": "%", "2E": "."}
    pieces = stream[len(_GENERIC_PREFIX) :].split(".")
    return ":".join(_ESCAPES.sub(lambda m: unescape[m.group(1)], piece) for piece in pieces)


def topic_of(stream: str) -> str | None:
    """S2: the topic whose stream id is `stream`, or None when no topic maps to it."""
    candidate = _decode(stream)
    # Only the exact image of a topic is a stream id: reject bad escapes and non-canonical forms.
    return candidate if candidate is not None and stream_of(candidate) == stream else None


def topic_scope(topic: str) -> str | None:
    """The scope `topic` requires, or None when the topic may not be requested at all."""
    if not (0 < len(topic) <= _MAX_TOPIC_CHARS and all(map(_is_e1_char, topic))):
        return None
    return next((scope for suffix, scope in TOPIC_SCOPES if topic.endswith(suffix)), None)


def stream_scope(stream: str) -> str | None:
    """The scope `stream` requires (that of its topic), or None when it may not be requested."""
    topic = topic_of(stream)
    return None if topic is None else topic_scope(topic)
