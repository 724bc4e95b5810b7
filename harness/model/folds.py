"""How one event changes a projection row (P1, P2): pure functions of (row, event).

Keeping the folds free of any table or clock is what M5 asks of the module, and lets the
rules be tested one event at a time. Every counter saturates at u64's maximum instead of
wrapping or failing, because the module's columns are u64 and a fold must never fail: a
failing fold would turn a valid event into an error that no retry could fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from harness.contract.canonical import U64_MAX
from harness.contract.rules import cite
from harness.model.rows import RunSummaryRow, WorkerStatusRow

TERMINAL_RUN_STATUSES = frozenset({"completed", "cancelled"})


def saturating_add(value: int, amount: int) -> int:
    """`value + amount`, capped at u64's maximum."""
    return min(value + amount, U64_MAX)


def new_run(run_id: str) -> RunSummaryRow:
    """The row a run stream's first event folds into (P1)."""
    return RunSummaryRow(
        run_id=run_id,
        owner="",
        status="created",
        steps=0,
        tokens_total=0,
        outcome="",
        ignored_events=0,
        last_seq=0,
    )


def new_worker(worker_id: str) -> WorkerStatusRow:
    """The row a worker stream's first event folds into (P2)."""
    return WorkerStatusRow(
        worker_id=worker_id,
        status="offline",
        region="",
        sessions=0,
        heartbeats=0,
        ignored_events=0,
        last_seq=0,
    )


def fold_run(
    row: RunSummaryRow | None, run_id: str, seq: int, kind: str, payload: Mapping[str, Any]
) -> RunSummaryRow:
    """P1: `row` (None when the run has no row yet) after the event `(seq, kind, payload)`."""
    current = replace(row or new_run(run_id), last_seq=seq)
    ignored = replace(current, ignored_events=saturating_add(current.ignored_events, 1))
    if current.status in TERMINAL_RUN_STATUSES:
        return ignored
    if kind == "run.created":
        return replace(current, owner=payload["owner"]) if row is None else ignored
    if kind == "run.step":
        return replace(
            current,
            status="running",
            steps=saturating_add(current.steps, 1),
            tokens_total=saturating_add(current.tokens_total, payload["tokens"]),
        )
    if kind == "run.completed":
        return replace(current, status="completed", outcome=payload["outcome"])
    if kind == "run.cancelled":
        return replace(current, status="cancelled")
    raise ValueError(cite("P1", f"{kind!r} is not a run event kind"))


def fold_worker(
    row: WorkerStatusRow | None, worker_id: str, seq: int, kind: str, payload: Mapping[str, Any]
) -> WorkerStatusRow:
    """P2: `row` (None when the worker has no row yet) after the event `(seq, kind, payload)`."""
    current = replace(row or new_worker(worker_id), last_seq=seq)
    if kind == "worker.online":
        sessions = current.sessions
        if current.status == "offline":
            sessions = saturating_add(sessions, 1)
        return replace(current, status="online", region=payload["region"], sessions=sessions)
    if kind == "worker.heartbeat":
        if current.status == "online":
            return replace(current, heartbeats=saturating_add(current.heartbeats, 1))
        return replace(current, ignored_events=saturating_add(current.ignored_events, 1))
    if kind == "worker.offline":
        return replace(current, status="offline")
    raise ValueError(cite("P2", f"{kind!r} is not a worker event kind"))
