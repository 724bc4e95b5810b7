"""Deterministic rebuild from (topic, seq) (G2, M5): any interleaved replay, same state."""

from __future__ import annotations

from hypothesis import given

from harness.conformance import Judge
from harness.generators.module_scenarios import rebuild_scenarios
from harness.profiles import active
from harness.scenario.model import Scenario

PROPERTY = "rebuild"


@given(scenario=rebuild_scenarios(crashes=active().faults))
def test_generated_rebuild(scenario: Scenario, judge: Judge) -> None:
    judge.judge(scenario)


def test_curated_rebuild(curated_scenario: Scenario, judge: Judge) -> None:
    judge.judge(curated_scenario)
