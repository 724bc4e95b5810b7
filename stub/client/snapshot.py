"""Loading a stream's snapshot: its head and its projection rows, as of one moment (R4).

The two are read with separate SQL statements (the server runs one statement per
request), so an event applied between them would pair an old head with a newer
projection. The head only grows, and every applied event moves it, so reading it before
and after the projection and demanding the same value proves that nothing was applied in
between; otherwise the read is repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

from stub.client.queries import head_query, projection_query
from stub.client.spacetime import DatabaseHttp, Row

_ATTEMPTS = 5


class SnapshotUnstableError(RuntimeError):
    """The stream kept moving while its snapshot was read."""


@dataclass(frozen=True, slots=True)
class StreamSnapshot:
    """A stream's projection rows as of `head_seq`."""

    head_seq: int
    projection: tuple[Row, ...]


def load_snapshot(http: DatabaseHttp, database: str, stream_id: str) -> StreamSnapshot:
    """The stream's head and projection rows, read consistently."""
    projection = projection_query(stream_id)
    for _ in range(_ATTEMPTS):
        before = _head_seq(http, database, stream_id)
        rows = tuple(http.sql(database, projection)) if projection is not None else ()
        if _head_seq(http, database, stream_id) == before:
            return StreamSnapshot(before, rows)
    raise SnapshotUnstableError(
        f"{stream_id}: head moved during each of {_ATTEMPTS} snapshot reads"
    )


def _head_seq(http: DatabaseHttp, database: str, stream_id: str) -> int:
    """The stream's head seq; 0 while it has no `stream_head` row (no event yet)."""
    rows = http.sql(database, head_query(stream_id))
    return int(rows[0]["head_seq"]) if rows else 0
