"""The oracle's rows, one dataclass per reference table (§3, §4).

Field order follows `harness.contract.schema`, so a row turned into a dict reads like a row
of the real module; rows are frozen so that a fold can only produce a new row, never edit
one in place behind the back of the transaction that owns it (M2).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SyncEventRow:
    """One applied event (M1 step 6)."""

    idempotency_key: str
    stream_id: str
    seq: int
    kind: str
    payload_json: str
    payload_hash: str
    published_at_ms: int


@dataclass(frozen=True, slots=True)
class StreamHeadRow:
    """A stream's head and retention floor; an absent row means head 0, oldest 1 (M3, M4)."""

    stream_id: str
    head_seq: int
    oldest_seq: int


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    """One client's progress on one stream, keyed `<identity hex>:<stream_id>` (M6)."""

    checkpoint_key: str
    client_identity: str
    stream_id: str
    last_applied_seq: int


@dataclass(frozen=True, slots=True)
class RunSummaryRow:
    """The projection of one `run:<run_id>:events` stream (P1)."""

    run_id: str
    owner: str
    status: str
    steps: int
    tokens_total: int
    outcome: str
    ignored_events: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class WorkerStatusRow:
    """The projection of one `worker:<worker_id>:lifecycle` stream (P2)."""

    worker_id: str
    status: str
    region: str
    sessions: int
    heartbeats: int
    ignored_events: int
    last_seq: int
