"""Generated scenario IDs carry the whole scenario and reject damage clearly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from harness.generators.module_scenarios import idempotence_scenarios, rebuild_scenarios
from harness.generators.options import Generation
from harness.scenario.ids import BadScenarioId, decode, encode
from harness.scenario.model import Scenario
from harness.scenario.steps import CrashSpacetimeDB, Rebuild

CRASHES = Generation(crashes=True)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(scenario=idempotence_scenarios(CRASHES) | rebuild_scenarios(CRASHES))
def test_an_id_decodes_to_exactly_its_scenario(scenario: Scenario) -> None:
    decoded = decode(encode(scenario))
    assert decoded.to_json(with_identity=False) == scenario.to_json(with_identity=False)
    assert decoded.id == encode(scenario)


def test_the_property_is_readable_in_the_id() -> None:
    scenario = Scenario("rebuild", ("G2",), (Rebuild(1),))
    assert encode(scenario).startswith("stdb1.rebuild.")


@pytest.mark.parametrize("bad", ["", "hello", "stdb1.rebuild", "stdb2.rebuild.abc",
                                 "stdb1.nope.eNpLAQAAZgBm", "stdb1.rebuild.!!!!"])
def test_a_damaged_or_foreign_id_is_a_harness_error(bad: str) -> None:
    with pytest.raises(BadScenarioId):
        decode(bad)


def test_a_truncated_id_is_refused_not_misread() -> None:
    scenario = Scenario("idempotence", ("M1",), (CrashSpacetimeDB(),))
    with pytest.raises(BadScenarioId):
        decode(encode(scenario)[:-6])
