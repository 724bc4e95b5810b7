"""Token-route parity (T1-T6) judged from a recorded history, with no service running.

Rebuilds the observations from the stored exchanges and hands them to the parity
checker, so `stdb-harness check` re-judges a stored token run as it does module runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.checks.token_parity import Observation, check_token_parity, retired_as_started
from harness.checks.verdict import Verdict, verdict
from harness.contract.sync_tokens import ControlPolicy
from harness.drivers.control import Exchange
from harness.errors import HarnessError
from harness.generators.token_requests import case_of
from harness.history import History
from harness.scenario.model import Scenario
from harness.scenario.steps import Token, TokenBody

PROPERTY = "token_parity"


def _exchange(data: Mapping[str, Any] | None) -> Exchange | None:
    return Exchange(**data) if data else None


def check(scenario: Scenario, history: History) -> Verdict:
    control = history.snapshots.get("control", {})
    observations: list[Observation] = []
    for entry in history.completions():
        if entry.op not in (Token.op, TokenBody.op) or "not_applicable" in entry.value:
            continue
        step = scenario.steps[entry.value["step"]]
        if not isinstance(step, Token | TokenBody):
            raise HarnessError(f"history entry {entry.index} cites step {entry.value['step']}, "
                               "which is not a token step",
                               "the stored history does not belong to this scenario")
        canonical, alias = _exchange(entry.value["canonical"]), _exchange(entry.value["alias"])
        assert canonical is not None and alias is not None
        observations.append(Observation(case_of(step), canonical, alias,
                                        _exchange(entry.value.get("canonical_again"))))
    key = control.get("signing_key")
    result = check_token_parity(observations, ControlPolicy(**control.get("policy", {})),
                                openapi=control.get("openapi"),
                                signing_key=key.encode() if key else None,
                                volatile=frozenset(control.get("volatile", ())))
    started = history.snapshots.get("control_as_started")
    if started is None:
        return verdict(PROPERTY, result.rules, result.violations)
    probes = [Exchange(**probe) for probe in started["alias"]]
    return verdict(PROPERTY, sorted({*result.rules, "T6"}),
                   [*retired_as_started(probes, started.get("openapi")), *result.violations])
