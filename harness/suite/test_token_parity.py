"""Token route parity (T1-T6): the alias answers exactly as the canonical route, or 404."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.conformance import Judge
from harness.generators.token_scenarios import token_parity_scenarios
from harness.scenario.model import Scenario
from harness.targets.capabilities import Capability

PROPERTY = "token_parity"


@pytest.mark.needs(Capability.CONTROL)
@given(data=st.data())
def test_generated_token_parity(data: st.DataObject, judge: Judge) -> None:
    judge.judge(data.draw(token_parity_scenarios(judge.generation), label="scenario"))


def test_curated_token_parity(curated_scenario: Scenario, judge: Judge) -> None:
    judge.judge(curated_scenario)
