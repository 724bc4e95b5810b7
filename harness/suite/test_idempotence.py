"""Idempotent apply (E6, M1, M2, B1): redelivery changes nothing; conflicts are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.conformance import Judge
from harness.generators.module_scenarios import idempotence_scenarios, runtime_scenarios
from harness.scenario.model import Scenario
from harness.targets.capabilities import Capability

PROPERTY = "idempotence"


@pytest.mark.needs(Capability.MODULE_APPLY)
@given(data=st.data())
def test_generated_idempotence(data: st.DataObject, judge: Judge) -> None:
    judge.judge(data.draw(idempotence_scenarios(judge.generation), label="scenario"))


def test_curated_idempotence(curated_scenario: Scenario, judge: Judge) -> None:
    judge.judge(curated_scenario)


@pytest.mark.needs(Capability.PUBLISHER)
@given(data=st.data())
def test_generated_publisher_delivery(data: st.DataObject, judge: Judge) -> None:
    judge.judge(data.draw(runtime_scenarios(judge.generation), label="scenario"))
