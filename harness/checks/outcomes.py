"""Step-by-step comparison of what the module answered with what the oracle predicts.

Shared by the module properties. Each mismatch is attributed to the rule that owns the
expected answer: a refused duplicate breaks E6 (a duplicate is not a conflict), an
accepted conflict breaks E6, a wrong sequence answer breaks M1, a wrong compaction
answer M4, a wrong resume answer R3. `info` completions (outcome unknown) are skipped:
a timeout proves nothing either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from harness.checks.snapshot_diff import contract_view, diff_lines, mask_like, tables_differing
from harness.checks.verdict import Violation
from harness.contract.snapshot import Snapshot
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
    if op == "compact":
        return "M4"
    if op == "ack":
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
        yield Violation(_rule_for(entry.op, want),
                        f"step {step} {entry.op} {_target(entry.value)}: expected "
                        f"{_describe(want)}, observed {observed}", entry.index)


def _target(value: Mapping[str, object]) -> str:
    topic, seq = value.get("topic"), value.get("seq")
    return f"{topic}:{seq}" if seq is not None else str(topic)


def snapshot_violations(label: str, expected: Snapshot, observed: Snapshot,
                        rule: str | None = None, *, relative: bool = False,
                        ) -> Iterator[Violation]:
    """One violation per differing table, its lines as the explanation. `relative`: the
    expected snapshot is the target's own (another run of it), not the oracle's, so every
    table and column is compared; against the oracle, only what both can hold."""
    if not relative:
        expected, observed = contract_view(expected, observed)
    lines = diff_lines(mask_like(expected, observed), observed)
    for table in sorted(tables_differing(lines)):
        table_lines = [line for line in lines if line.startswith(table)]
        shown = "; ".join(table_lines[:6]) + ("; ..." if len(table_lines) > 6 else "")
        yield Violation(rule or TABLE_RULES.get(table, "G1"), f"{label}: {shown}",
                        relative=relative)
