"""Stale-cursor handling on resume (R1-R4): exactly the gap, or stale_cursor and recovery."""

from __future__ import annotations

from hypothesis import given

from harness.conformance import Judge
from harness.generators.module_scenarios import stale_cursor_scenarios
from harness.scenario.model import Scenario

PROPERTY = "stale_cursor"


@given(scenario=stale_cursor_scenarios())
def test_generated_stale_cursor(scenario: Scenario, judge: Judge) -> None:
    judge.judge(scenario)


def test_curated_stale_cursor(curated_scenario: Scenario, judge: Judge) -> None:
    judge.judge(curated_scenario)
