"""The SQL the client sends: the gap subscription (R1) and the snapshot reads (R4).

Stream ids come from topics, and a topic may hold any character but whitespace and
controls, `'` included. Every string is therefore written as a SQL literal with `'`
doubled, so a stream id can neither break the query nor widen it to other streams' rows.

A run stream `runtime.run.<run_id>.events` folds into `run_summary` (P1), a worker stream
`runtime.worker.<worker_id>.lifecycle` into `worker_status` (P2), every other stream into
no projection (P3). The reference module's table and key names are written here, by the
client, as any client of that module writes them.
"""

from __future__ import annotations

import re

SYNC_EVENT = "sync_event"
STREAM_HEAD = "stream_head"
# stream id pattern → (projection table, its primary key column)
_PROJECTIONS = (
    (re.compile(r"runtime\.run\.(.+)\.events", re.DOTALL), "run_summary", "run_id"),
    (re.compile(r"runtime\.worker\.(.+)\.lifecycle", re.DOTALL), "worker_status", "worker_id"),
)


def sql_literal(text: str) -> str:
    """`text` as a SQL string literal: quoted, each `'` doubled (R1)."""
    return "'" + text.replace("'", "''") + "'"


def gap_query(stream_id: str, cursor: int) -> str:
    """The stream's events after `cursor`: what a client subscribes to once resumed (R1)."""
    return (
        f"SELECT * FROM {SYNC_EVENT} WHERE stream_id = {sql_literal(stream_id)}"
        f" AND seq > {cursor:d}"
    )


def head_query(stream_id: str) -> str:
    """The stream's `stream_head` row (absent while the stream has no event)."""
    return f"SELECT * FROM {STREAM_HEAD} WHERE stream_id = {sql_literal(stream_id)}"


def projection_query(stream_id: str) -> str | None:
    """The projection row a run or worker stream folds into (P1, P2); None for the other
    streams, which fold into no projection (P3)."""
    for pattern, table, key_column in _PROJECTIONS:
        found = pattern.fullmatch(stream_id)
        if found:
            return f"SELECT * FROM {table} WHERE {key_column} = {sql_literal(found[1])}"
    return None
