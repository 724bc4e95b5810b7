"""Step-by-step comparison of what the module answered with what the oracle predicts.

Shared by the module properties. Each mismatch is attributed to the rule that owns the
expected answer: a refused duplicate breaks E6 (a duplicate is not a conflict), an
accepted conflict breaks E6, a wrong sequence answer breaks M1, a wrong compaction
answer M4, a wrong resume answer R3. `info` completions (outcome unknown) are skipped:
a timeout proves nothing either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from harness.checks.snapshot_diff import Keys, contract_view, diff_cells, mask_like
from harness.checks.verdict import Violation
from harness.contract.schema import PRIMARY_KEYS, row_stream
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.history import EntryType, History
from harness.model.outcome import Outcome, Status

TABLE_RULES: Mapping[str, str] = {
    "sync_event": "M3",
    "stream_head": "M3",
    "stream_checkpoint": "M6",
    "run_summary": "P1",
    "worker_status": "P2",
}


def _rule_for(op: str, expected: Outcome) -> str:
    if op == "resume":
        return "R3"
    if op in ("compact", "compact_as"):
        return "M4"
    if op in ("ack", "ack_as"):
        return "M6"
    if expected.status is Status.NOOP:
        return "E6" if expected.detail == "duplicate" else "M1"
    text = expected.error or ""
    exact = {"invalid_event payload_hash": "E5", "invalid_event payload": "P4"}
    if text in exact:
        return exact[text]
    if text.startswith("idempotency_conflict"):
        return "E6"
    return "M1"


def _describe(outcome: Outcome) -> str:
    if outcome.status is Status.ERROR:
        return f"error {outcome.detail!r}"
    return "success" + (f" ({outcome.detail}, no change)" if outcome.detail else "")


def outcome_violations(history: History, expected: Mapping[int, Outcome]) -> Iterator[Violation]:
    """Every completed step whose success/error (and error text) differs from the oracle."""
    for entry in history.completions():
        step = entry.value.get("step") if isinstance(entry.value, dict) else None
        if entry.type is EntryType.INFO or step is None or step not in expected:
            continue
        want = expected[step]
        got_error = entry.error if entry.type is EntryType.FAIL else None
        if want.error == got_error:
            continue
        observed = f"error {got_error!r}" if got_error is not None else "success"
        topic = entry.value.get("topic")
        yield Violation(_rule_for(entry.op, want),
                        f"step {step} {entry.op} {_target(entry.value)}: expected "
                        f"{_describe(want)}, observed {observed}", entry.index,
                        streams=streams_of_topic(topic), departure=True,
                        signature=f"{_call_name(entry.op, want)} not answered "
                                  f"{_answer_name(want.error)}")


def _call_name(op: str, expected: Outcome) -> str:
    """The call as a defect's signature names it: its op, except that an event whose key is
    stored with another hash is one kind of call however it came (a `conflict` step, or the
    real event `deliver`ed after a forged one landed): one missing check, one defect."""
    if (expected.error or "").startswith("idempotency_conflict"):
        return "a conflicting event"
    return op


def _answer_name(error: str | None) -> str:
    """An answer as a defect's signature names it: `success`, or the error's first word."""
    return "success" if error is None else error.split(" ", 1)[0]


def streams_of_topic(topic: object) -> frozenset[str]:
    """The stream of a topic a step or the journal names (none for a topic no stream has)."""
    try:
        return frozenset({stream_of(topic)}) if isinstance(topic, str) else frozenset()
    except ValueError:  # a topic no stream can have
        return frozenset()


def _target(value: Mapping[str, object]) -> str:
    topic, seq = value.get("topic"), value.get("seq")
    return f"{topic}:{seq}" if seq is not None else str(topic)


def snapshot_violations(label: str, expected: Snapshot, observed: Snapshot,
                        rule: str | None = None, *, relative: bool = False,
                        keys: Keys = PRIMARY_KEYS) -> Iterator[Violation]:
    """One violation per differing table, its lines as the explanation. `relative`: the
    expected snapshot is the target's own (another run of it), not the oracle's, so every
    table and column is compared; against the oracle, only what both can hold."""
    if not relative:
        expected, observed = contract_view(expected, observed)
    cells = diff_cells(mask_like(expected, observed), observed, keys)
    for table in sorted({cell.table for cell in cells}):
        mine = [cell for cell in cells if cell.table == table]
        lines = [cell.line for cell in mine]
        shown = "; ".join(lines[:6]) + ("; ..." if len(lines) > 6 else "")
        rows_of = {cell.key for cell in mine}
        # one defect however the rebuilds that show it were paired
        compared = ("not the same across rebuilds" if "rebuild" in label
                    else re.sub(r" \(step \d+\)", "", label))
        yield Violation(rule or TABLE_RULES.get(table, "G1"), f"{label}: {shown}",
                        relative=relative, rows=frozenset(f"{table}[{key}]" for key in rows_of),
                        streams=_streams(table, rows_of, expected, observed),
                        signature=f"{table}: {compared}" if relative
                        else f"{table} differs from the oracle's")


def _streams(table: str, keys: set[str | None], *snapshots: Snapshot) -> frozenset[str]:
    """The streams of the rows `keys` of `table`, read off whichever snapshot holds them
    (empty when a row does not say, or a whole table differs)."""
    if None in keys:
        return frozenset()
    key_column = PRIMARY_KEYS.get(table, "id")
    found: set[str] = set()
    for key in keys:
        row = next((r for snapshot in snapshots for r in snapshot.get(table, [])
                    if str(r.get(key_column)) == key), None)
        stream = row_stream(table, row) if row is not None else None
        if stream is None:
            return frozenset()
        found.add(stream)
    return frozenset(found)
