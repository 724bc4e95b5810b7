"""The reference module's tables: names, primary keys and column order (§3, §4).

CONTRACT.md speaks in these names, and a target adapter maps another module's names onto
them, so they belong to the contract rather than to any one implementation: the oracle builds
its rows from them, adapters and snapshots of a real module read them. The publisher
identity table is left out on purpose: it holds an identity that differs between two correct
databases (a rebuild, G2), so it is not part of any snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from harness.contract.streams import is_valid_stream_id, stream_of


@dataclass(frozen=True, slots=True)
class TableSchema:
    """One table: its name, its primary key column and its columns in declaration order."""

    name: str
    primary_key: str
    columns: tuple[str, ...]


SYNC_EVENT = TableSchema(
    "sync_event",
    "idempotency_key",
    (
        "idempotency_key",
        "stream_id",
        "seq",
        "kind",
        "payload_json",
        "payload_hash",
        "published_at_ms",
    ),
)
STREAM_HEAD = TableSchema("stream_head", "stream_id", ("stream_id", "head_seq", "oldest_seq"))
STREAM_CHECKPOINT = TableSchema(
    "stream_checkpoint",
    "checkpoint_key",
    ("checkpoint_key", "client_identity", "stream_id", "last_applied_seq"),
)
RUN_SUMMARY = TableSchema(
    "run_summary",
    "run_id",
    (
        "run_id",
        "owner",
        "status",
        "steps",
        "tokens_total",
        "outcome",
        "ignored_events",
        "last_seq",
    ),
)
WORKER_STATUS = TableSchema(
    "worker_status",
    "worker_id",
    ("worker_id", "status", "region", "sessions", "heartbeats", "ignored_events", "last_seq"),
)

REFERENCE_TABLES: Mapping[str, TableSchema] = MappingProxyType(
    {
        table.name: table
        for table in (SYNC_EVENT, STREAM_HEAD, STREAM_CHECKPOINT, RUN_SUMMARY, WORKER_STATUS)
    }
)

PRIMARY_KEYS: Mapping[str, str] = MappingProxyType(
    {name: table.primary_key for name, table in REFERENCE_TABLES.items()}
)


def row_stream(table: str, row: Mapping[str, Any]) -> str | None:
    """The stream a row belongs to (None when the row does not say): a projection row by its
    run or worker id (P1, P2), any other reference row by its stream id; a row of the
    module's own tables by the first of its values that is a stream id (a ledger's
    `stream`, a tally keyed by stream), whatever the column is called."""
    if table not in REFERENCE_TABLES:
        return next((value for value in row.values()
                     if isinstance(value, str) and is_valid_stream_id(value)), None)
    try:
        if table == RUN_SUMMARY.name and isinstance(row.get("run_id"), str):
            return stream_of(f"run:{row['run_id']}:events")
        if table == WORKER_STATUS.name and isinstance(row.get("worker_id"), str):
            return stream_of(f"worker:{row['worker_id']}:lifecycle")
    except ValueError:  # an id no topic can hold: the row names no stream
        return None
    stream = row.get("stream_id")
    return stream if isinstance(stream, str) else None

