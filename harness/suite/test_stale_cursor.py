"""Stale-cursor handling on resume (R1-R4): exactly the gap, or stale_cursor and recovery."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.conformance import Judge
from harness.generators.module_scenarios import stale_cursor_scenarios
from harness.scenario.model import Scenario
from harness.targets.capabilities import Capability

PROPERTY = "stale_cursor"


@pytest.mark.needs(Capability.CLIENT)
@given(data=st.data())
def test_generated_stale_cursor(data: st.DataObject, judge: Judge) -> None:
    judge.judge(data.draw(stale_cursor_scenarios(judge.generation), label="scenario"))


def test_curated_stale_cursor(curated_scenario: Scenario, judge: Judge) -> None:
    judge.judge(curated_scenario)
