"""Topics (E1) and their stream ids (S1, S2), as the runtime names them.

A topic is 1 to 256 code points with no Unicode White_Space character and no control
character (general category Cc): the sets Rust's `char::is_whitespace` and
`char::is_control` test, since the module that stores topics is Rust. They are written out
below rather than asked of Python's `str.isspace`, which answers for a different set.

A stream id is the topic rewritten by the first S1 row that fits it. Going back, a stream
id is read by the same rows and accepted only if the topic it gives is valid and maps to
exactly that stream id again, so each stream id names one topic and each topic one stream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Family = Literal["run", "worker", "other"]

TOPIC_MAX_CHARS = 256
_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def topic_problem(topic: str) -> str | None:
    """What makes `topic` no topic (E1), or None for a valid one."""
    if not topic or len(topic) > TOPIC_MAX_CHARS:
        return f"length {len(topic)} is not in 1..{TOPIC_MAX_CHARS}"
    for position, char in enumerate(topic):
        code = ord(char)
        if code < 0x20 or 0x7F <= code < 0xA0:
            return f"control character U+{code:04X} at {position}"
        if char in _WHITESPACE:
            return f"whitespace U+{code:04X} at {position}"
    return None


@dataclass(frozen=True, slots=True)
class _Shape:
    """One S1 row with an `<id>`: the topic's and the stream id's pattern around it."""

    topic: re.Pattern[str]
    stream: re.Pattern[str]
    topic_form: str
    stream_form: str
    family: Family


def _shape(topic_form: str, stream_form: str, family: Family) -> _Shape:
    def pattern(form: str) -> re.Pattern[str]:
        before, after = form.split("<id>")
        return re.compile(re.escape(before) + "(.+)" + re.escape(after), re.DOTALL)

    return _Shape(pattern(topic_form), pattern(stream_form), topic_form, stream_form, family)


_SHAPES = (
    _shape("run:<id>:events", "runtime.run.<id>.events", "run"),
    _shape("worker:<id>:lifecycle", "runtime.worker.<id>.lifecycle", "worker"),
    _shape("fleet:user:<id>:workers", "runtime.fleet.user.<id>.workers", "other"),
    _shape("fleet:guest:<id>:workers", "runtime.fleet.guest.<id>.workers", "other"),
)
_FIXED = ("runtime.codex_worker_events", "runtime.codex.worker.events")
_OTHER = "runtime.topic."
_UNESCAPE = re.compile("%(25|2E)")


def _escape(topic: str) -> str:
    """The last row's rewriting, in its order: `%`, then `.`, then `:`."""
    return topic.replace("%", "%25").replace(".", "%2E").replace(":", ".")


def _unescape(text: str) -> str:
    return ":".join(
        _UNESCAPE.sub(lambda found: "%" if found[1] == "25" else ".", part)
        for part in text.split(".")
    )


def stream_of(topic: str) -> str:
    """The stream id of a topic (S1). The caller has checked the topic (E1)."""
    for shape in _SHAPES:
        found = shape.topic.fullmatch(topic)
        if found:
            return shape.stream_form.replace("<id>", found[1])
    if topic == _FIXED[0]:
        return _FIXED[1]
    return _OTHER + _escape(topic)


def _read(stream_id: str) -> tuple[str, Family] | None:
    """The topic a stream id spells and its family, before the round trip is checked."""
    for shape in _SHAPES:
        found = shape.stream.fullmatch(stream_id)
        if found:
            return shape.topic_form.replace("<id>", found[1]), shape.family
    if stream_id == _FIXED[1]:
        return _FIXED[0], "other"
    if stream_id.startswith(_OTHER):
        return _unescape(stream_id[len(_OTHER):]), "other"
    return None


def read_stream_id(stream_id: str) -> tuple[str, Family] | None:
    """`(topic, family)` of a stream id, or None when no valid topic maps to exactly it."""
    read = _read(stream_id)
    if read is None or topic_problem(read[0]) is not None or stream_of(read[0]) != stream_id:
        return None
    return read


def topic_of(stream_id: str) -> str:
    """The topic of a stream id; ValueError for a string that is no stream id (S2)."""
    read = read_stream_id(stream_id)
    if read is None:
        raise ValueError(f"{stream_id!r} is not the stream id of any topic")
    return read[0]


def is_stream_id(stream_id: str) -> bool:
    return read_stream_id(stream_id) is not None


def family_of_topic(topic: str) -> Family:
    """Which projection a topic's events fold into: runs, workers or none (P1-P3)."""
    for shape in _SHAPES:
        if shape.topic.fullmatch(topic):
            return shape.family
    return "other"
