"""Publisher delivery (B1-B5, E2): through faults, crashes and cuts, the module ends up
holding exactly the projection of the whole journal.

Judged from the history of a `via_runtime` scenario: each append got the seq E2 gives
it; every stream's delivered head reached its journal head with no dead letter (a valid
journal has nothing permanent to refuse, B3); the publisher went quiet (B5); and the
module's snapshot equals the oracle's projection of the journal, however often and in
whatever order events were re-sent (B1, B2).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from harness.checks.expectations import PUBLISHER, preempting
from harness.checks.outcomes import snapshot_violations
from harness.checks.verdict import Violation
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.history import History
from harness.model.module import ReferenceModel
from harness.scenario.model import Scenario


def _seq_violations(scenario: Scenario, history: History) -> Iterator[Violation]:
    expected = iter(scenario.journal())
    for entry in history.completions():
        if entry.op != "append":
            continue
        event = next(expected)
        if entry.value.get("seq") != event.seq:
            yield Violation("E2", f"{event.topic}: the runtime assigned seq "
                            f"{entry.value.get('seq')}, expected {event.seq}", entry.index)


def _preempted(scenario: Scenario) -> dict[str, int]:
    """Stream id -> the seq a `preempt` step made a permanent conflict (the first per stream)."""
    held: dict[str, int] = {}
    for step in scenario.steps:
        if step["op"] == "preempt":
            held.setdefault(stream_of(step["topic"]), step["seq"])
    return held


def expected_snapshot(scenario: Scenario) -> Snapshot:
    """The module's state: every stream's journal, except that a preempted stream holds its
    events before the conflict plus the harness's preempting event, and stops there."""
    model = ReferenceModel(PUBLISHER)
    held = _preempted(scenario)
    preempts = {(s["topic"], s["seq"]): s for s in scenario.steps if s["op"] == "preempt"}
    for event in scenario.journal():
        stop = held.get(event.stream_id)
        if stop is not None and event.seq > stop:
            continue
        applied = event
        if (event.topic, event.seq) in preempts and event.seq == stop:
            applied = preempting(scenario, preempts[(event.topic, event.seq)])
        model.apply_event(PUBLISHER, applied.reducer_args())
    return model.snapshot()


def _stream_violations(scenario: Scenario, runtime: Mapping[str, Any]) -> Iterator[Violation]:
    held = _preempted(scenario)
    for stream in runtime.get("streams", []):
        letter, stop = stream.get("dead_letter"), held.get(stream["stream_id"])
        if stop is not None:
            if not letter or letter["seq"] != stop or not str(letter["reason"]).startswith(
                    "idempotency_conflict"):
                yield Violation("B3", f"{stream['stream_id']}: seq {stop} met a permanent "
                                f"idempotency_conflict and must be dead-lettered with that "
                                f"reason; the runtime reports {letter}")
            if stream["delivered_head"] > stop - 1:
                yield Violation("B3", f"{stream['stream_id']}: delivered past the dead letter "
                                f"(head {stream['delivered_head']}, conflict at {stop})")
        elif letter:
            yield Violation("B3", f"{stream['stream_id']}: seq {letter['seq']} of a valid "
                            f"journal was dead-lettered: {letter['reason']}")
        elif stream["delivered_head"] < stream["journal_head"]:
            rule = "B4" if held else "B1"
            yield Violation(rule, f"{stream['stream_id']}: delivered up to "
                            f"{stream['delivered_head']} of {stream['journal_head']}"
                            + (" while another stream was held" if held else ""))
    if not runtime.get("quiescent", True):
        yield Violation("B5", "the publisher did not finish delivering within the time allowed")


def violations(scenario: Scenario, history: History) -> list[Violation]:
    found = list(_seq_violations(scenario, history))
    found += _stream_violations(scenario, history.snapshots.get("runtime", {}))
    if "final" in history.snapshots:
        expected = expected_snapshot(scenario)
        observed = {table: rows for table, rows in history.snapshots["final"].items()
                    if table in expected}
        found += snapshot_violations("module vs the projection of the journal", expected,
                                     observed, rule="B1")
    return found
