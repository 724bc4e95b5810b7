"""Replays exactly the scenario given with --scenario (a curated ID or a stdb1.* ID)."""

from __future__ import annotations

from harness.conformance import Judge
from harness.scenario.model import Scenario


def test_replay_scenario(requested_scenario: Scenario, judge: Judge) -> None:
    judge.judge(requested_scenario)
