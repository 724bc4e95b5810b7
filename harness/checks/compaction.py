"""Compaction keeps to its own stream (M4), judged against the target itself.

`compact_stream(s, through)` may drop stream s's old events and move its retention floor;
everything else the module holds (the other streams' rows in every table, the projection
tables whole) must read after the call as it read just before. The runner snapshots the
module on both sides of each compaction, so this needs no model of what the events fold
to: it is relative, and it names M4 where the damage is first seen, before the final
snapshot shows it again as missing events (M3) or a redelivery that "changed" state (E6).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from harness.checks.outcomes import snapshot_violations
from harness.checks.snapshot_diff import table_keys
from harness.checks.verdict import Violation
from harness.contract.schema import RUN_SUMMARY, WORKER_STATUS, row_stream
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.history import EntryType, History
from harness.scenario.model import Scenario
from harness.scenario.steps import Compact

# Projection tables are untouched by compaction whichever stream a row folds (M4).
UNTOUCHED_TABLES = frozenset({RUN_SUMMARY.name, WORKER_STATUS.name})


def snapshot_label(step: int) -> str:
    """Where the runner keeps the module's state on both sides of compaction step `step`."""
    return f"compacted:{step}"


def _kept(snapshot: Snapshot, stream_id: str) -> dict[str, list[dict[str, Any]]]:
    """What a compaction of `stream_id` may not change: every row of another stream (or of
    none) and every projection row."""
    return {table: [row for row in rows
                    if table in UNTOUCHED_TABLES or row_stream(table, row) != stream_id]
            for table, rows in snapshot.items()}


def violations(scenario: Scenario, history: History) -> Iterator[Violation]:
    keys = table_keys(history.snapshots)
    for entry in history.completions():
        if entry.op != Compact.op or entry.type is not EntryType.OK:
            continue
        step = entry.value["step"]
        compact, pair = scenario.steps[step], history.snapshots.get(snapshot_label(step))
        if pair is None or not isinstance(compact, Compact):
            continue
        stream_id = stream_of(compact.topic)
        for difference in snapshot_violations(
                f"after compacting {stream_id} through {compact.through} vs just before "
                f"(step {step})", _kept(pair["before"], stream_id),
                _kept(pair["after"], stream_id), rule="M4", relative=True, keys=keys):
            # the first departure: what the final snapshot shows of these rows follows
            yield replace(difference, clause="M4.compact", departure=True, op_index=entry.index,
                          message=difference.message + " (a compaction changed what is not "
                          "its stream's old events)")
