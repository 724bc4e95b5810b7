"""The stateful machine's scenarios: deliveries, compactions and resumes built rule by rule."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from harness.conformance import Judge
from harness.generators.machine import ScenarioMachine
from harness.targets.capabilities import Capability

PROPERTY = "stale_cursor"


@pytest.mark.needs(Capability.MODULE_APPLY)
def test_stateful_scenarios(judge: Judge, stdb_hypothesis_settings: settings) -> None:
    class Machine(ScenarioMachine):
        referee = judge
        options = judge.generation

    # The profile's settings (never the loaded Hypothesis profile, a user's or `ci`).
    run_state_machine_as_test(Machine, settings=settings(parent=stdb_hypothesis_settings,
                                                         stateful_step_count=20))
