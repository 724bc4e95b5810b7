"""The module checkers on recorded histories: pure, no container.

Each broken history below is what a specific defect would record; the checker must name
the rule it breaks. The conformant history is what the oracle itself would record.
"""

from __future__ import annotations

import copy

from harness.checks import idempotence, rebuild
from harness.checks.expectations import expect
from harness.history import EntryType, History
from harness.scenario.model import Scenario
from harness.scenario.steps import BadHash, Conflict, Deliver, Event, Rebuild, step_fields

R = "run:r1:events"
STEPS = (
    Event(R, "run.created", {"owner": "a"}),
    Event(R, "run.step", {"tokens": 5}),
    Deliver(R, 1),
    Deliver(R, 2),
    Deliver(R, 2),
    Conflict(R, 2, {"tokens": 9}),
    Rebuild(1),
)
SCENARIO = Scenario("rebuild", ("G2",), STEPS)


def oracle_history(scenario: Scenario) -> History:
    """The history a conforming system records: the oracle's answers and snapshots."""
    expected = expect(scenario)
    history = History()
    for number, outcome in expected.outcomes.items():
        step = scenario.steps[number]
        index = history.invoke("publisher", step.op, {"step": number, **step_fields(step)})
        kind = EntryType.FAIL if outcome.error else EntryType.OK
        history.complete(index, kind, error=outcome.error)
    history.snapshots["final"] = copy.deepcopy(expected.final)
    for number, snapshot in expected.rebuilds.items():
        history.snapshots[f"rebuild:{number}"] = copy.deepcopy(snapshot)
    return history


def test_a_conforming_history_passes_both_checkers() -> None:
    history = oracle_history(SCENARIO)
    assert idempotence.check(SCENARIO, history).ok
    assert rebuild.check(SCENARIO, history).ok


def test_a_refused_duplicate_breaks_E6() -> None:
    history = oracle_history(SCENARIO)
    duplicate = next(e for e in history.entries if e.type is EntryType.OK and e.value["step"] == 4)
    history.entries[history.entries.index(duplicate)] = type(duplicate)(
        duplicate.index, EntryType.FAIL, duplicate.process, duplicate.op, duplicate.value,
        "idempotency_conflict")
    assert idempotence.check(SCENARIO, history).broken_rules == ("E6",)


def test_a_duplicate_folded_twice_breaks_P1_with_the_row_named() -> None:
    history = oracle_history(SCENARIO)
    history.snapshots["final"]["run_summary"][0]["steps"] = 2
    result = idempotence.check(SCENARIO, history)
    assert result.broken_rules == ("P1",)
    assert "run_summary[r1].steps: expected 1, observed 2" in result.explain()


def test_a_rebuild_that_differs_breaks_G2_and_points_at_M5() -> None:
    history = oracle_history(SCENARIO)
    history.snapshots["rebuild:6"]["run_summary"][0]["owner"] = "a-123"
    result = rebuild.check(SCENARIO, history)
    assert set(result.broken_rules) == {"G2", "M5"}


def test_an_unknown_outcome_is_not_judged() -> None:
    history = oracle_history(SCENARIO)
    entry = next(e for e in history.entries if e.type is EntryType.FAIL)
    history.entries[history.entries.index(entry)] = type(entry)(
        entry.index, EntryType.INFO, entry.process, entry.op, entry.value, "timeout")
    assert idempotence.check(SCENARIO, history).ok


def test_an_accepted_wrong_hash_is_attributed_to_E5_not_P4() -> None:
    scenario = Scenario("idempotence", ("E5",), (*STEPS[:2], BadHash(R, 1)))
    history = oracle_history(scenario)
    entry = next(e for e in history.entries if e.type is EntryType.FAIL)
    history.entries[history.entries.index(entry)] = type(entry)(
        entry.index, EntryType.OK, entry.process, entry.op, entry.value, None)
    assert idempotence.check(scenario, history).broken_rules == ("E5",)
