"""Token route parity (T1-T6): the alias answers exactly as the canonical route, or 404."""

from __future__ import annotations

from hypothesis import given

from harness.conformance import Judge
from harness.generators.token_scenarios import token_parity_scenarios
from harness.profiles import active
from harness.scenario.model import Scenario

PROPERTY = "token_parity"


@given(scenario=token_parity_scenarios(random_bodies=active().faults))
def test_generated_token_parity(scenario: Scenario, judge: Judge) -> None:
    judge.judge(scenario)


def test_curated_token_parity(curated_scenario: Scenario, judge: Judge) -> None:
    judge.judge(curated_scenario)
