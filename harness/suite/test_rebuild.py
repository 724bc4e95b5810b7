"""Deterministic rebuild from (topic, seq) (G2, M5): any interleaved replay, same state."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.conformance import Judge
from harness.generators.module_scenarios import rebuild_scenarios
from harness.scenario.model import Scenario
from harness.targets.capabilities import Capability

PROPERTY = "rebuild"


@pytest.mark.needs(Capability.MODULE_APPLY)
@given(data=st.data())
def test_generated_rebuild(data: st.DataObject, judge: Judge) -> None:
    judge.judge(data.draw(rebuild_scenarios(judge.generation), label="scenario"))


def test_curated_rebuild(curated_scenario: Scenario, judge: Judge) -> None:
    judge.judge(curated_scenario)
