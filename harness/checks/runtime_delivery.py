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

from harness.checks.outcomes import snapshot_violations
from harness.checks.verdict import Violation
from harness.history import History
from harness.model.project import project
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


def _stream_violations(runtime: Mapping[str, Any]) -> Iterator[Violation]:
    for stream in runtime.get("streams", []):
        letter = stream.get("dead_letter")
        if letter:
            yield Violation("B3", f"{stream['stream_id']}: seq {letter['seq']} of a valid "
                            f"journal was dead-lettered: {letter['reason']}")
        elif stream["delivered_head"] < stream["journal_head"]:
            yield Violation("B1", f"{stream['stream_id']}: delivered up to "
                            f"{stream['delivered_head']} of {stream['journal_head']}")
    if not runtime.get("quiescent", True):
        yield Violation("B5", "the publisher did not finish delivering within the time allowed")


def violations(scenario: Scenario, history: History) -> list[Violation]:
    found = list(_seq_violations(scenario, history))
    found += _stream_violations(history.snapshots.get("runtime", {}))
    if "final" in history.snapshots:
        expected = project(scenario.journal())
        observed = {table: rows for table, rows in history.snapshots["final"].items()
                    if table in expected}
        found += snapshot_violations("module vs the projection of the whole journal",
                                     expected, observed, rule="B1")
    return found
