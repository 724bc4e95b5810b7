"""A consistent picture of the publisher, taken under its lock, for the API and the tests.

Quiescence is defined here once, because `wait_until_delivered`, `GET /v1/status` and the
harness must agree on it: every stream is caught up with its journal or held (paused or
dead-lettered), and no send is under way (so no extra send injected by a fault can still
land after a snapshot was taken).
"""

from __future__ import annotations

from dataclasses import dataclass

from stub.runtime.faults import FaultCounters
from stub.runtime.progress import DeadLetter
from stub.runtime.target import Target


@dataclass(frozen=True, slots=True)
class StreamView:
    stream_id: str
    topic: str
    journal_head: int
    delivered_head: int
    paused: bool  # held: paused (itself or all streams) or dead-lettered
    dead_letter: DeadLetter | None
    last_error: str
    consecutive_failures: int
    in_flight: bool
    pending_faults: FaultCounters

    @property
    def outbox_depth(self) -> int:
        """Journaled events not yet acknowledged: the durable outbox (see `progress`)."""
        return max(self.journal_head - self.delivered_head, 0)

    @property
    def quiescent(self) -> bool:
        return not self.in_flight and (self.paused or self.outbox_depth == 0)


@dataclass(frozen=True, slots=True)
class StatusView:
    streams: tuple[StreamView, ...]  # sorted by stream id
    paused_all: bool
    target: Target | None
    pending_faults: FaultCounters

    @property
    def quiescent(self) -> bool:
        return all(stream.quiescent for stream in self.streams)

    def stream(self, stream_id: str) -> StreamView:
        """The view of one stream; KeyError if the publisher has never seen it."""
        for stream in self.streams:
            if stream.stream_id == stream_id:
                return stream
        raise KeyError(stream_id)
