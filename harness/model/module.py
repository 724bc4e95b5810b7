"""The oracle: a pure model of the reference module's reducers and tables (§3, §4, §6).

Each operation decides its whole outcome before it touches a table, so a failed call can
change nothing (M2) without any rollback machinery. Nothing here reads a clock, a random
source or the order of a dict's iteration into a row (M5): the model's snapshot is a
function of the calls alone, which is what lets a checker hold the real module to it.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from harness.contract.canonical import U64_MAX, parse_json
from harness.contract.error_texts import (
    IDEMPOTENCY_CONFLICT,
    UNAUTHORIZED,
    StaleCode,
    checkpoint_ahead_of_head,
    checkpoint_regression,
    invalid_event,
    sequence_conflict,
    stale_cursor,
)
from harness.contract.events import ApplyEventArgs, apply_rejection
from harness.contract.schema import PRIMARY_KEYS
from harness.contract.snapshot import Snapshot, canonical_snapshot
from harness.contract.streams import is_valid_stream_id, parse_stream_id
from harness.model.folds import fold_run, fold_worker
from harness.model.outcome import Outcome, applied, failed, unchanged
from harness.model.rows import (
    CheckpointRow,
    RunSummaryRow,
    StreamHeadRow,
    SyncEventRow,
    WorkerStatusRow,
)


def _require_u64(name: str, value: int) -> None:
    """Arguments the module declares u64 cannot carry anything else: such a call fails
    before any reducer runs, so it is a harness bug, not an outcome to predict."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U64_MAX:
        raise ValueError(f"{name}={value!r} is not a u64 reducer argument")


class ReferenceModel:
    """The reference module's state and reducers, minus the publisher table: `publisher`
    is the identity recorded at module init, the only caller allowed to write (M1, M4)."""

    def __init__(self, publisher: str) -> None:
        self.publisher = publisher
        self._events: dict[str, SyncEventRow] = {}
        self._heads: dict[str, StreamHeadRow] = {}
        self._checkpoints: dict[str, CheckpointRow] = {}
        self._runs: dict[str, RunSummaryRow] = {}
        self._workers: dict[str, WorkerStatusRow] = {}

    def stream_head(self, stream_id: str) -> StreamHeadRow:
        """The stream's head row; head 0 and oldest 1 for a stream with no event yet."""
        return self._heads.get(stream_id, StreamHeadRow(stream_id, head_seq=0, oldest_seq=1))

    def apply_event(self, caller: str, args: ApplyEventArgs) -> Outcome:
        """M1, with its checks in the contract's order, then the folds of P1-P3."""
        _require_u64("seq", args.seq)
        _require_u64("published_at_ms", args.published_at_ms)
        if caller != self.publisher:
            return failed(UNAUTHORIZED)
        rejection = apply_rejection(args)
        if rejection is not None:
            return failed(rejection)
        stored = self._events.get(args.idempotency_key)
        if stored is not None:
            if stored.payload_hash == args.payload_hash:
                return unchanged("duplicate")
            return failed(IDEMPOTENCY_CONFLICT)
        head = self.stream_head(args.stream_id)
        if args.seq < head.oldest_seq:
            return unchanged("compacted")
        if args.seq != head.head_seq + 1:
            return failed(sequence_conflict(head.head_seq + 1, args.seq))
        self._events[args.idempotency_key] = SyncEventRow(**args._asdict())
        self._heads[args.stream_id] = replace(head, head_seq=args.seq)
        self._fold(args)
        return applied()

    def copy(self) -> ReferenceModel:
        """An independent model in the same state (rows are frozen, so sharing them is safe):
        what a checker restores when the target refused a call the oracle took (M2)."""
        twin = ReferenceModel(self.publisher)
        twin._events, twin._heads = dict(self._events), dict(self._heads)
        twin._checkpoints = dict(self._checkpoints)
        twin._runs, twin._workers = dict(self._runs), dict(self._workers)
        return twin

    def adopt_apply(self, args: ApplyEventArgs) -> bool:
        """Take an event the target accepted though the oracle refused it, as the target's
        own path would have: stored, the head moved to its seq, folded. So a checker that
        reported that first departure judges what follows against the target's own state,
        not against a state the target never had. False where the target's effect cannot be
        known (another content already stored under the key: kept or overwritten?; a
        payload no fold can read): the checker then stops judging that stream."""
        stored = self._events.get(args.idempotency_key)
        if stored is not None:
            return stored.payload_hash == args.payload_hash
        head = self.stream_head(args.stream_id)
        if args.seq < head.oldest_seq:
            return True
        try:
            self._fold(args)
        except (KeyError, TypeError, ValueError):
            return False
        self._events[args.idempotency_key] = SyncEventRow(**args._asdict())
        self._heads[args.stream_id] = replace(head, head_seq=max(head.head_seq, args.seq))
        return True

    def adopt_ack(self, caller: str, stream_id: str, last_applied_seq: int) -> None:
        """Take a checkpoint the target stored though the oracle refused it (M6)."""
        key = f"{caller}:{stream_id}"
        self._checkpoints[key] = CheckpointRow(key, caller, stream_id, last_applied_seq)

    def _fold(self, args: ApplyEventArgs) -> None:
        """Fold a validated event into its projection; other streams have none (P3)."""
        stream = parse_stream_id(args.stream_id)
        if stream.key is None:
            return
        payload: dict[str, Any] = parse_json(args.payload_json)
        if stream.family == "run":
            row = self._runs.get(stream.key)
            self._runs[stream.key] = fold_run(row, stream.key, args.seq, args.kind, payload)
        else:
            worker = self._workers.get(stream.key)
            self._workers[stream.key] = fold_worker(
                worker, stream.key, args.seq, args.kind, payload
            )

    def compact_stream(self, caller: str, stream_id: str, through_seq: int) -> Outcome:
        """M4: drop the stream's events up to `through_seq`; projections stay as they are."""
        _require_u64("through_seq", through_seq)
        if caller != self.publisher:
            return failed(UNAUTHORIZED)
        if not is_valid_stream_id(stream_id):
            return failed(invalid_event("stream_id"))
        head = self.stream_head(stream_id)
        if through_seq > head.head_seq:
            return failed(invalid_event("through_seq"))
        if through_seq < head.oldest_seq:
            return unchanged("already_compacted")
        for key, row in list(self._events.items()):
            if row.stream_id == stream_id and row.seq <= through_seq:
                del self._events[key]
        self._heads[stream_id] = replace(head, oldest_seq=through_seq + 1)
        return applied()

    def resume_stream(
        self, caller: str, stream_id: str, after_seq: int, replay_budget: int
    ) -> Outcome:
        """R3: the gap (after_seq, head] if the cursor can resume, else stale_cursor.

        Any caller may resume (`caller` is accepted for a uniform reducer signature). An
        invalid stream id is refused like everywhere else; a valid one with no events yet
        is an empty stream."""
        _require_u64("after_seq", after_seq)
        _require_u64("replay_budget", replay_budget)
        if not is_valid_stream_id(stream_id):
            return failed(invalid_event("stream_id"))
        head = self.stream_head(stream_id)
        codes: list[StaleCode] = []
        if after_seq < head.oldest_seq - 1:
            codes.append("retention_floor_breach")
        if after_seq <= head.head_seq and head.head_seq - after_seq > replay_budget:
            codes.append("replay_budget_exceeded")
        if after_seq > head.head_seq:
            codes.append("cursor_ahead_of_head")
        if codes:
            return failed(
                stale_cursor(
                    codes,
                    stream_id=stream_id,
                    requested_after_seq=after_seq,
                    oldest_available_cursor=head.oldest_seq - 1,
                    head_cursor=head.head_seq,
                    replay_budget=replay_budget,
                )
            )
        gap = sorted(
            (row for row in self._events.values() if row.stream_id == stream_id),
            key=lambda row: row.seq,
        )
        return applied(tuple(row for row in gap if row.seq > after_seq))

    def ack_checkpoint(self, caller: str, stream_id: str, last_applied_seq: int,
                       named: str | None = None) -> Outcome:
        """M6: move the caller's own checkpoint forward, never past the head; `named` is
        the client an ack reducer taking the client as an argument was given, and a caller
        naming another than itself is refused before anything else (as M1.1 is)."""
        if named is not None and named != caller:
            return failed(UNAUTHORIZED)
        _require_u64("last_applied_seq", last_applied_seq)
        if not is_valid_stream_id(stream_id):
            return failed(invalid_event("stream_id"))
        head = self.stream_head(stream_id)
        if last_applied_seq > head.head_seq:
            return failed(checkpoint_ahead_of_head(last_applied_seq, head.head_seq))
        key = f"{caller}:{stream_id}"
        stored = self._checkpoints.get(key)
        if stored is not None and last_applied_seq < stored.last_applied_seq:
            return failed(checkpoint_regression(stored.last_applied_seq, last_applied_seq))
        self._checkpoints[key] = CheckpointRow(key, caller, stream_id, last_applied_seq)
        return applied()

    def snapshot(self) -> Snapshot:
        """The G1 canonical snapshot of every modelled table (none of them is volatile)."""
        rows = {
            "sync_event": [asdict(row) for row in self._events.values()],
            "stream_head": [asdict(row) for row in self._heads.values()],
            "stream_checkpoint": [asdict(row) for row in self._checkpoints.values()],
            "run_summary": [asdict(row) for row in self._runs.values()],
            "worker_status": [asdict(row) for row in self._workers.values()],
        }
        return canonical_snapshot(rows, PRIMARY_KEYS, {})
