"""Fault injection counters and the control commands that set them.

A counter counts deliveries, not HTTP calls: `duplicate`, `reorder` and
`crash_after_commit` are consumed when the module acknowledges an event, and
`crash_before_send` when an event is about to be sent for the first time. Counters are part
of the publisher's persisted state, so `crash_after_commit_next 3` really crashes three
times across the restarts it causes, and a crash never repeats because its own count was
recorded as spent before the process died.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

FaultKind = Literal["duplicate", "reorder", "crash_after_commit", "crash_before_send"]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "duplicate",
    "reorder",
    "crash_after_commit",
    "crash_before_send",
)


@dataclass(slots=True)
class FaultCounters:
    """How many of the next deliveries each fault still applies to."""

    duplicate: int = 0
    reorder: int = 0
    crash_after_commit: int = 0
    crash_before_send: int = 0

    def take(self, kind: FaultKind) -> bool:
        """Spend one `kind` if any is pending; whether one was spent."""
        pending: int = getattr(self, kind)
        if pending <= 0:
            return False
        setattr(self, kind, pending - 1)
        return True

    def any_pending(self) -> bool:
        return any(getattr(self, kind) for kind in FAULT_KINDS)

    def copy(self) -> FaultCounters:
        return FaultCounters(**self.to_json())

    def to_json(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @classmethod
    def from_json(cls, value: Any) -> FaultCounters:
        """The counters `to_json` wrote; ValueError if `value` is not that."""
        if not isinstance(value, dict) or set(value) != set(FAULT_KINDS):
            raise ValueError(f"not fault counters: {value!r}")
        if not all(type(count) is int and count >= 0 for count in value.values()):
            raise ValueError(f"fault counts must be non-negative integers: {value!r}")
        return cls(**value)


@dataclass(frozen=True, slots=True)
class FaultCommand:
    """One `POST /v1/faults`: for one stream (`stream_id`) or all (None), pause or resume,
    and replace the pending count of each fault named in `counters`."""

    stream_id: str | None = None
    pause: bool = False
    resume: bool = False
    counters: dict[FaultKind, int] = field(default_factory=dict)
