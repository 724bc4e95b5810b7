"""Idempotent apply (E6, M1, M2, B1): redelivery changes nothing; conflicts are refused."""

from __future__ import annotations

from hypothesis import given

from harness.conformance import Judge
from harness.generators.module_scenarios import idempotence_scenarios, runtime_scenarios
from harness.profiles import active
from harness.scenario.model import Scenario

PROPERTY = "idempotence"


@given(scenario=idempotence_scenarios(crashes=active().faults))
def test_generated_idempotence(scenario: Scenario, judge: Judge) -> None:
    judge.judge(scenario)


def test_curated_idempotence(curated_scenario: Scenario, judge: Judge) -> None:
    judge.judge(curated_scenario)


@given(scenario=runtime_scenarios(containers=active().faults))
def test_generated_publisher_delivery(scenario: Scenario, judge: Judge) -> None:
    judge.judge(scenario)
