"""What the client holds for one stream, and the one rule for adding to it (R2).

A view starts at `base_seq`: either the cursor the application resumed from, or the head
of a snapshot (R4). `projection` is the projection rows as of `base_seq` (from the
snapshot; empty when the view starts from a cursor, since the application brought its own
state), and `events` are the `sync_event` rows delivered since, in seq order. The events
below a snapshot's head may be compacted away (M4), which is why a view keeps the
projection rather than the whole history: `(base_seq, projection, events)` is what a
checker compares with the module's tables (R4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from stub.client.spacetime import Row


@dataclass(frozen=True, slots=True)
class Admission:
    """What `admit` did: the seqs it delivered and, if it stopped at a hole, the seq it
    found beyond the hole."""

    delivered: tuple[int, ...]
    beyond_gap: int | None = None


@dataclass
class StreamView:
    """The application's copy of one stream."""

    base_seq: int
    projection: tuple[Row, ...] = ()
    events: list[Row] = field(default_factory=list)

    @property
    def cursor(self) -> int:
        """The last seq the application has: the newest event, else the base."""
        return int(self.events[-1]["seq"]) if self.events else self.base_seq

    def admit(self, rows: Iterable[Row]) -> Admission:
        """Deliver `rows` in seq order, each seq once (R2).

        A row at or below the cursor is already held and is dropped. A row beyond
        cursor + 1 means events in between were not received (compacted between the
        resume and the subscription, say): delivering it would skip them, so admission
        stops there and reports a gap, and the caller must resume again.
        """
        return self.admit_in_order(sorted(rows, key=lambda row: int(row["seq"])))

    def admit_in_order(self, rows: Iterable[Row]) -> Admission:
        """`admit` for rows already in the order the application is to get them."""
        delivered: list[int] = []
        for row in rows:
            seq = int(row["seq"])
            if seq <= self.cursor:
                continue
            if seq != self.cursor + 1:
                return Admission(tuple(delivered), beyond_gap=seq)
            self.events.append(row)
            delivered.append(seq)
        return Admission(tuple(delivered))
