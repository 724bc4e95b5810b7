"""The SQL the client sends: the gap subscription (R1) and the snapshot reads (R4).

Stream ids come from topics, and a topic may hold any character but whitespace and
controls, `'` included. Every string is therefore written as a SQL literal with `'`
doubled, so a stream id can neither break the query nor widen it to other streams' rows.
"""

from __future__ import annotations

from harness.contract.schema import RUN_SUMMARY, STREAM_HEAD, SYNC_EVENT, WORKER_STATUS
from harness.contract.streams import parse_stream_id


def sql_literal(text: str) -> str:
    """`text` as a SQL string literal: quoted, each `'` doubled (R1)."""
    return "'" + text.replace("'", "''") + "'"


def gap_query(stream_id: str, cursor: int) -> str:
    """The stream's events after `cursor`: what a client subscribes to once resumed (R1)."""
    return (
        f"SELECT * FROM {SYNC_EVENT.name} WHERE stream_id = {sql_literal(stream_id)}"
        f" AND seq > {cursor:d}"
    )


def head_query(stream_id: str) -> str:
    """The stream's `stream_head` row (absent while the stream has no event)."""
    return f"SELECT * FROM {STREAM_HEAD.name} WHERE stream_id = {sql_literal(stream_id)}"


def projection_query(stream_id: str) -> str | None:
    """The projection row a run or worker stream folds into (P1, P2); None for the other
    streams, which fold into no projection (P3)."""
    stream = parse_stream_id(stream_id)
    if stream.key is None:
        return None
    table = RUN_SUMMARY if stream.family == "run" else WORKER_STATUS
    return f"SELECT * FROM {table.name} WHERE {table.primary_key} = {sql_literal(stream.key)}"
