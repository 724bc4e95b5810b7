"""Topics to stream ids and back (S1, S2), and which projection a stream feeds (P1-P3).

`topic_of` does not trust its input to be canonical: it decodes, then re-encodes and demands
the same stream id back. That is what makes S2 hold in both directions: every topic has one
stream id, and every accepted stream id names exactly one topic, so a module that keys its
tables by stream id can never merge two topics or split one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harness.contract.rules import cite
from harness.contract.topics import check_topic, is_valid_topic

StreamFamily = Literal["run", "worker", "other"]


@dataclass(frozen=True, slots=True)
class _Row:
    """One specific row of the S1 table: `topic_prefix<id>topic_suffix` ↔ `stream...`."""

    topic_prefix: str
    topic_suffix: str
    stream_prefix: str
    stream_suffix: str
    family: StreamFamily


_ROWS = (
    _Row("run:", ":events", "runtime.run.", ".events", "run"),
    _Row("worker:", ":lifecycle", "runtime.worker.", ".lifecycle", "worker"),
    _Row("fleet:user:", ":workers", "runtime.fleet.user.", ".workers", "other"),
    _Row("fleet:guest:", ":workers", "runtime.fleet.guest.", ".workers", "other"),
)
_CODEX_TOPIC = "runtime.codex_worker_events"
_CODEX_STREAM = "runtime.codex.worker.events"
_FALLBACK_PREFIX = "runtime.topic."
_ESCAPES = {"2E": ".", "25": "%"}


class InvalidStreamIdError(ValueError):
    """A string that is not the stream id of any valid topic (S1, S2)."""


@dataclass(frozen=True, slots=True)
class StreamRef:
    """What a valid stream id stands for: its topic, its family and its projection key."""

    stream_id: str
    topic: str
    family: StreamFamily
    key: str | None


def _middle(text: str, prefix: str, suffix: str) -> str | None:
    """The non-empty part of `text` between `prefix` and `suffix`, if it has that shape."""
    if len(text) > len(prefix) + len(suffix) and text.startswith(prefix) and text.endswith(suffix):
        return text[len(prefix) : len(text) - len(suffix)]
    return None


def stream_of(topic: str) -> str:
    """The stream id of a valid topic (S1); `InvalidTopicError` (E1) for anything else."""
    check_topic(topic)
    for row in _ROWS:
        ident = _middle(topic, row.topic_prefix, row.topic_suffix)
        if ident is not None:
            return row.stream_prefix + ident + row.stream_suffix
    if topic == _CODEX_TOPIC:
        return _CODEX_STREAM
    escaped = topic.replace("%", "%25").replace(".", "%2E").replace(":", ".")
    return _FALLBACK_PREFIX + escaped


def parse_stream_id(stream_id: str) -> StreamRef:
    """Decode a stream id, accepting only the one spelling `stream_of` produces (S2)."""
    for row in _ROWS:
        ident = _middle(stream_id, row.stream_prefix, row.stream_suffix)
        if ident is not None:
            topic = row.topic_prefix + ident + row.topic_suffix
            key = ident if row.family != "other" else None
            return _confirmed(StreamRef(stream_id, topic, row.family, key))
    if stream_id == _CODEX_STREAM:
        return _confirmed(StreamRef(stream_id, _CODEX_TOPIC, "other", None))
    if stream_id.startswith(_FALLBACK_PREFIX):
        topic = _decode_fallback(stream_id, stream_id[len(_FALLBACK_PREFIX) :])
        return _confirmed(StreamRef(stream_id, topic, "other", None))
    raise _invalid(stream_id, "it fits no row of the S1 table")


def topic_of(stream_id: str) -> str:
    """The topic whose stream id is `stream_id`; `InvalidStreamIdError` if there is none."""
    return parse_stream_id(stream_id).topic


def stream_family(stream_id: str) -> StreamFamily:
    """Which projection the stream feeds: runs (P1), workers (P2) or none (P3)."""
    return parse_stream_id(stream_id).family


def projection_key(stream_id: str) -> str | None:
    """The run_id or worker_id of a run or worker stream; None for other streams."""
    return parse_stream_id(stream_id).key


def is_valid_stream_id(stream_id: str) -> bool:
    """Whether some valid topic maps to exactly this stream id."""
    try:
        parse_stream_id(stream_id)
    except InvalidStreamIdError:
        return False
    return True


def _decode_fallback(stream_id: str, encoded: str) -> str:
    """Undo the last row's escaping in one left-to-right pass."""
    out: list[str] = []
    index = 0
    while index < len(encoded):
        char = encoded[index]
        if char == ".":
            out.append(":")
            index += 1
        elif char == "%":
            escape = _ESCAPES.get(encoded[index + 1 : index + 3])
            if escape is None:
                raise _invalid(stream_id, f"bad escape at {len(_FALLBACK_PREFIX) + index}")
            out.append(escape)
            index += 3
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _confirmed(ref: StreamRef) -> StreamRef:
    """`ref` if its topic is valid and maps back to its stream id, else invalid (S2)."""
    if not is_valid_topic(ref.topic):
        raise _invalid(ref.stream_id, f"its topic {ref.topic!r} is not a valid topic (E1)")
    canonical = stream_of(ref.topic)
    if canonical != ref.stream_id:
        raise _invalid(ref.stream_id, f"the canonical spelling is {canonical!r}")
    return ref


def _invalid(stream_id: str, why: str) -> InvalidStreamIdError:
    return InvalidStreamIdError(cite("S2", f"{stream_id!r} is not a stream id: {why}"))
