"""The module generators reach each clause they are meant to, within a pr-sized budget.

pr draws 25 derandomized examples per property; a clause that only shows up in one
example in a thousand is not reached there. Each test below draws a pr-sized sample from
the same strategies and asserts that the clause is met in it: a conflict that reaches E6
(not P4 first), entities whose histories hold several values, several streams of one
family interleaved, and a publisher meeting a sequence_conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from harness.checks.expectations import expect
from harness.checks.runtime_delivery import simulate
from harness.contract.kinds import payload_fits
from harness.contract.streams import stream_family, stream_of
from harness.generators.module_scenarios import (
    idempotence_scenarios,
    rebuild_scenarios,
    runtime_scenarios,
    stale_cursor_scenarios,
)
from harness.generators.options import Generation
from harness.history import EntryType, History
from harness.scenario.model import Scenario
from harness.scenario.steps import AckAs, ClearDatabase, Compact, Conflict, Deliver, Event

PR_EXAMPLES = 25


def pr_sample(strategy: st.SearchStrategy[Scenario], examples: int = PR_EXAMPLES
              ) -> list[Scenario]:
    """What a derandomized run of `examples` examples draws from `strategy`."""
    drawn: list[Scenario] = []

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(scenario: Scenario) -> None:
        drawn.append(scenario)

    collect()
    return drawn


def _conflict_answers(scenario: Scenario) -> list[str]:
    expected = expect(scenario)
    return [expected.outcomes[number].error or "ok"
            for number, step in enumerate(scenario.steps) if isinstance(step, Conflict)]


def test_E6_generated_conflicts_carry_a_valid_payload_of_their_kind_that_differs() -> None:
    for scenario in pr_sample(idempotence_scenarios()) + pr_sample(rebuild_scenarios()):
        for conflict in scenario.of(Conflict):
            original = scenario.event(conflict.topic, conflict.seq)
            family = stream_family(stream_of(conflict.topic))
            assert payload_fits(family, original.kind, conflict.payload), conflict
            assert conflict.payload != original.payload, conflict


def test_E6_generated_conflicts_meet_idempotency_conflict_not_invalid_payload() -> None:
    answers = [answer for scenario in pr_sample(idempotence_scenarios())
               for answer in _conflict_answers(scenario)]
    assert answers.count("idempotency_conflict") >= 5, answers
    assert "invalid_event payload" not in answers


def test_G2_rebuild_conflicts_leave_the_database_holding_exactly_the_journal() -> None:
    """Rebuilds replay the journal: the original must hold it too, so its forged events
    are all refused."""
    for scenario in pr_sample(rebuild_scenarios()):
        expected = expect(scenario)
        for number, step in enumerate(scenario.steps):
            if not isinstance(step, Conflict):
                continue
            compacted = any(isinstance(before, Compact) and before.topic == step.topic
                            and before.through >= step.seq and expected.outcomes[at].succeeded
                            for at, before in enumerate(scenario.steps[:number]))
            # a forgery of an event compacted away is answered as M1.4 says (ok, no change)
            assert expected.outcomes[number].error == (None if compacted
                                                       else "idempotency_conflict")


def _values(scenario: Scenario, kind: str, field: str) -> dict[str, set[Any]]:
    found: dict[str, set[Any]] = {}
    for event in scenario.journal():
        if event.kind == kind:
            found.setdefault(event.topic, set()).add(event.payload[field])
    return found


def _count(sample: list[Scenario], holds: Callable[[Scenario], bool]) -> int:
    return sum(1 for scenario in sample if holds(scenario))


def _interleaved_same_family(scenario: Scenario, prefix: str) -> bool:
    """Two streams of one family, with deliveries of the one between the other's."""
    order = [step.topic for step in scenario.of(Deliver) if step.topic.startswith(prefix)]
    switches = sum(1 for a, b in pairwise(order) if a != b)
    return len(set(order)) >= 2 and switches >= 2


def test_P1_P2_entity_histories_hold_several_values_per_key() -> None:
    sample = pr_sample(rebuild_scenarios())
    regions = _count(sample, lambda s: any(len(v) > 1 for v in
                                           _values(s, "worker.online", "region").values()))
    owners = _count(sample, lambda s: any(len(v) > 1 for v in
                                          _values(s, "run.created", "owner").values()))
    tokens = _count(sample, lambda s: any(len(v) > 1 for v in
                                          _values(s, "run.step", "tokens").values()))
    after_end = _count(sample, lambda s: any(
        [e.kind for e in s.journal() if e.topic == t][-1] != "run.completed"
        and "run.completed" in [e.kind for e in s.journal() if e.topic == t]
        for t in {e.topic for e in s.journal() if e.kind == "run.completed"}))
    assert min(regions, owners, tokens, after_end) >= 2, (regions, owners, tokens, after_end)


def test_M5_G2_two_streams_of_one_family_interleave_in_many_examples() -> None:
    sample = pr_sample(rebuild_scenarios())
    workers = _count(sample, lambda s: _interleaved_same_family(s, "worker:"))
    runs = _count(sample, lambda s: _interleaved_same_family(s, "run:"))
    # Derandomized examples come in families of near-copies: counts vary with the seed.
    assert min(workers, runs) >= 1 and workers + runs >= 4, (workers, runs)


def _as_recorded(scenario: Scenario) -> History:
    """A history in which every write of the harness to the module took effect."""
    history = History()
    for number, step in enumerate(scenario.steps):
        if not isinstance(step, Event):
            index = history.invoke("harness", step.op, {"step": number})
            history.complete(index, EntryType.OK)
    return history


def test_B3_the_publisher_meets_a_sequence_conflict_in_some_runtime_scenarios() -> None:
    sample = pr_sample(runtime_scenarios())
    reasons = [held.error for scenario in sample
               for held in simulate(scenario, _as_recorded(scenario))[1].values()]
    assert _count(sample, lambda s: bool(s.count(ClearDatabase))) >= 3
    assert reasons.count("sequence_conflict") >= 2, reasons
    assert reasons.count("idempotency_conflict") >= 2, reasons


def test_M6_every_stale_cursor_example_acks_in_another_clients_name_where_the_ack_can() -> None:
    naming = pr_sample(stale_cursor_scenarios(Generation(acks_name_client=True)))
    assert all(scenario.count(AckAs) == 1 for scenario in naming)
    refused = [expect(scenario).outcomes[len(scenario.steps) - 1 - number]
               for scenario in naming
               for number, step in enumerate(reversed(scenario.steps)) if isinstance(step, AckAs)]
    assert {outcome.error for outcome in refused} == {"unauthorized"}
    # a module whose ack takes no client cannot be asked: its examples are as they were
    assert not any(scenario.count(AckAs) for scenario in
                   pr_sample(stale_cursor_scenarios(Generation())))
