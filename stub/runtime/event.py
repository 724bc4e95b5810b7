"""A journaled event and everything the runtime derives from it (E1, E4-E6, S1), plus the
kinds and payload fields each stream family accepts (P1-P4).

The derived forms are computed once, when the event is built: its payload's canonical text,
its stream id, its idempotency key, its RFC 3339 time and its hash. The payload is kept as
the canonical text read back, so a caller's later change to its dict changes nothing (E3).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stub.runtime.canon import LARGEST_INT, canonical, read_json, tagged_sha256
from stub.runtime.naming import Family, stream_of

LAST_MS = 253_402_300_799_999
"""The last millisecond RFC 3339's four-digit year can write (9999-12-31T23:59:59.999Z)."""


def rfc3339(ms: int) -> str:
    """`published_at` as text: UTC, three fractional digits, `Z` (E5)."""
    if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= LAST_MS:
        raise ValueError(f"published_at_ms {ms!r} is not in [0, {LAST_MS}]")
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def key_of(topic: str, seq: int) -> str:
    """The idempotency key of `(topic, seq)` (E6)."""
    return "topic:" + topic + ":seq:" + str(seq)


@dataclass(frozen=True, slots=True)
class Event:
    """One journaled event with its derived forms."""

    topic: str
    seq: int
    kind: str
    payload: Mapping[str, Any] = field(hash=False)
    published_at_ms: int
    payload_json: str = field(init=False, compare=False, hash=False)
    stream_id: str = field(init=False, compare=False, hash=False)
    idempotency_key: str = field(init=False, compare=False, hash=False)
    published_at: str = field(init=False, compare=False, hash=False)
    payload_hash: str = field(init=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if type(self.seq) is not int or not 0 <= self.seq <= LARGEST_INT:
            raise ValueError(f"seq {self.seq!r} is not a u64")
        if not isinstance(self.payload, Mapping):
            raise ValueError(f"payload {self.payload!r} is not an object")
        text = canonical(self.payload)
        derived = {
            "payload": read_json(text),
            "payload_json": text,
            "stream_id": stream_of(self.topic),
            "idempotency_key": key_of(self.topic, self.seq),
            "published_at": rfc3339(self.published_at_ms),
        }
        hashed = {"topic": self.topic, "seq": self.seq, "kind": self.kind,
                  "payload": derived["payload"], "published_at": derived["published_at"]}
        derived["payload_hash"] = tagged_sha256(canonical(hashed))
        for name, value in derived.items():
            object.__setattr__(self, name, value)


def _text(value: object) -> bool:
    return isinstance(value, str)


def _count(value: object) -> bool:
    return type(value) is int and 0 <= value <= LARGEST_INT


def _outcome(value: object) -> bool:
    return value in ("success", "failure") and isinstance(value, str)


KIND_FIELDS: Mapping[Family, Mapping[str, Mapping[str, Callable[[object], bool]]]] = {
    "run": {
        "run.created": {"owner": _text},
        "run.step": {"tokens": _count},
        "run.completed": {"outcome": _outcome},
        "run.cancelled": {"reason": _text},
    },
    "worker": {
        "worker.online": {"region": _text},
        "worker.heartbeat": {},
        "worker.offline": {"reason": _text},
    },
    "other": {"note": {"text": _text}},
}
"""Per family, per kind, the payload fields it needs and their test (extra fields allowed)."""


def payload_lacks(family: Family, kind: str, payload: Mapping[str, Any]) -> str | None:
    """The first field of `kind` that `payload` lacks or has of the wrong type, or None."""
    for name, fits in KIND_FIELDS[family][kind].items():
        if name not in payload or not fits(payload[name]):
            return name
    return None
