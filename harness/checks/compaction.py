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
from typing import Any

from harness.checks.snapshot_diff import Keys, keyed_rows, table_keys
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


def _changed(table: str, before: list[dict[str, Any]], after: list[dict[str, Any]],
             keys: Keys) -> tuple[list[str], set[str], set[str]]:
    """What the compaction changed in one table: a line per row, those rows, their streams."""
    old, new = keyed_rows(table, before, keys), keyed_rows(table, after, keys)
    lines, rows, streams = [], set(), set()
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        lines.append(f"{table}[{key}]: " + ("gone" if now is None else "appeared"
                                             if was is None else f"{was!r} became {now!r}"))
        rows.add(f"{table}[{key}]")
        stream = row_stream(table, was if was is not None else now or {})
        if stream is not None:
            streams.add(stream)
    return lines, rows, streams


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
        before, after = _kept(pair["before"], stream_id), _kept(pair["after"], stream_id)
        for table in sorted(before.keys() | after.keys()):
            lines, rows, streams = _changed(table, before.get(table, []),
                                            after.get(table, []), keys)
            if not lines:
                continue
            shown = "; ".join(lines[:6]) + ("; ..." if len(lines) > 6 else "")
            # the first departure: what the final snapshot shows of these rows follows
            yield Violation(
                "M4", f"step {step}, compacting {stream_id} through {compact.through}, "
                f"changed what is not its stream's old events: {shown}", entry.index,
                relative=True, streams=frozenset(streams), rows=frozenset(rows),
                departure=True, clause="M4.compact",
                signature=f"{table}: a compaction changed rows not its own")
