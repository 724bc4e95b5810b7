"""A nightly scenario merges several examples into one database, each in its own topics.

What makes the merge sound is that the parts share no stream: each is then judged as if it
ran alone. Each part must also still be a whole example (its journal delivered to the end),
and one part (pr) must draw exactly what it drew before parts existed, so pr's examples and
their IDs do not move.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.checks.expectations import expect
from harness.generators.module_scenarios import idempotence_scenarios, rebuild_scenarios
from harness.generators.options import Generation
from harness.scenario.model import Scenario
from harness.scenario.steps import Event, Rebuild
from tests.unit.test_generators_reach import pr_sample

PARTS = Generation(parts=5)


def _part_of(topic: str) -> str:
    """The part prefix inside a topic: `run:p3t0:events` -> `p3`."""
    found = re.search(r"\b(p\d+)t\d+", topic)
    return found.group(1) if found else ""


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.one_of(idempotence_scenarios(PARTS), rebuild_scenarios(PARTS)))
def test_parts_have_disjoint_topics_and_each_ends_holding_its_journal(
        scenario: Scenario) -> None:
    topics = {event.topic for event in scenario.journal()}
    assert {_part_of(topic) for topic in topics} == {f"p{n}" for n in range(5)}
    final = expect(scenario).final
    heads = {row["stream_id"]: row["head_seq"] for row in final.get("stream_head", [])}
    journal_heads: dict[str, int] = {}
    for event in scenario.journal():
        journal_heads[event.topic] = event.seq
    assert len(heads) == len(journal_heads), "every part's streams reach their head"
    assert scenario.count(Rebuild) <= 2, "rebuilds replay the merged journal, not each part"
    events = [n for n, step in enumerate(scenario.steps) if isinstance(step, Event)]
    assert events == list(range(len(events))), "the whole journal comes first"


def test_one_part_names_its_topics_as_a_single_example_did() -> None:
    single = pr_sample(idempotence_scenarios(Generation()), 10)
    assert {_part_of(event.topic) for scenario in single for event in scenario.journal()} == {""}
