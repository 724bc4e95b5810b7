"""The publisher's durable state: how far each stream got, and what holds it.

Together with the journal this *is* the durable outbox: a stream's outbox is its journaled
events after `delivered_head`, so an event stays in it until its acknowledgement has been
recorded here (B3, B5). Delivered heads only move after the module answered 200; a crash
between that answer and the write re-sends the event after restart, which the module
treats as a duplicate (B1). Dead letters, pauses and fault counters live here too, so a
restart neither forgets a refused event nor silently resumes a stream someone paused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stub.runtime.durable import read_json, replace_json
from stub.runtime.errors import StateError
from stub.runtime.faults import FaultCounters
from stub.runtime.naming import is_stream_id

PROGRESS_FILE = "progress.json"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An event the module refused for good (B3), and which send was refused:
    "primary", or a fault's extra send, "duplicate" or "stale_resend"."""

    seq: int
    reason: str
    delivery: str


@dataclass(slots=True)
class StreamProgress:
    """One stream's persisted state."""

    delivered_head: int = 0
    paused: bool = False
    dead_letter: DeadLetter | None = None
    faults: FaultCounters = field(default_factory=FaultCounters)


@dataclass(slots=True)
class Progress:
    """Every stream's state, plus the pause and fault counters that apply to all streams."""

    streams: dict[str, StreamProgress] = field(default_factory=dict)
    paused_all: bool = False
    faults: FaultCounters = field(default_factory=FaultCounters)

    def to_json(self) -> dict[str, Any]:
        """A copy as plain JSON, taken under the publisher's lock and written outside it."""
        return {
            "paused_all": self.paused_all,
            "faults": self.faults.to_json(),
            "streams": {
                stream_id: _stream_json(stream) for stream_id, stream in self.streams.items()
            },
        }


def load_progress(directory: Path) -> Progress:
    """The progress recorded in `directory`; empty progress when none was recorded."""
    path = directory / PROGRESS_FILE
    try:
        value = read_json(path)
        return Progress() if value is None else _from_json(value)
    except (ValueError, KeyError, TypeError) as exc:
        raise StateError(f"{path}: not a progress record: {exc}") from None


def save_progress(directory: Path, recorded: dict[str, Any]) -> None:
    """Record `Progress.to_json()` durably, replacing what was recorded before."""
    replace_json(directory / PROGRESS_FILE, recorded)


def _stream_json(stream: StreamProgress) -> dict[str, Any]:
    letter = stream.dead_letter
    return {
        "delivered_head": stream.delivered_head,
        "paused": stream.paused,
        "dead_letter": None
        if letter is None
        else {"seq": letter.seq, "reason": letter.reason, "delivery": letter.delivery},
        "faults": stream.faults.to_json(),
    }


def _from_json(value: Any) -> Progress:
    streams: dict[str, StreamProgress] = {}
    for stream_id, stream in value["streams"].items():
        if not is_stream_id(stream_id):
            raise ValueError(f"{stream_id!r} is not a stream id")
        letter = stream["dead_letter"]
        if letter is not None:
            letter = DeadLetter(
                _count(letter["seq"]), _text(letter["reason"]), _text(letter["delivery"])
            )
        streams[stream_id] = StreamProgress(
            delivered_head=_count(stream["delivered_head"]),
            paused=_flag(stream["paused"]),
            dead_letter=letter,
            faults=FaultCounters.from_json(stream["faults"]),
        )
    return Progress(streams, _flag(value["paused_all"]), FaultCounters.from_json(value["faults"]))


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a boolean")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    return value
