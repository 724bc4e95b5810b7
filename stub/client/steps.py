"""What the client did, step by step, as a checker reads it.

The client's final view alone cannot show how it got there: a client that skipped ahead
without a snapshot, or replayed from a cursor it was refused (R4), may still end up with
plausible rows. So every resume call with its answer, every snapshot and every seq handed
to the application is recorded in order.
"""

from __future__ import annotations

from dataclasses import dataclass

STALE_CURSOR = "stale_cursor"


@dataclass(frozen=True, slots=True)
class Resumed:
    """One `resume_stream(stream_id, cursor, replay_budget)` call and the module's answer:
    `error` is its exact error text, None when the cursor may resume."""

    cursor: int
    replay_budget: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def stale(self) -> bool:
        """Whether the module refused the cursor as stale (R3), which calls for R4's
        recovery; any other error (an invalid stream id) is not recoverable that way."""
        return self.error is not None and self.error.split(" ", 1)[0] == STALE_CURSOR


@dataclass(frozen=True, slots=True)
class SnapshotLoaded:
    """The view was discarded and replaced by a snapshot taken at `head_seq` (R4)."""

    head_seq: int


@dataclass(frozen=True, slots=True)
class Delivered:
    """The event `seq` was handed to the application (R2)."""

    seq: int


ClientStep = Resumed | SnapshotLoaded | Delivered
