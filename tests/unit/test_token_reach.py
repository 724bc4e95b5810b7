"""Every kind of principal reaches every route family in pr, with the alias served and
retired both ways, and every method a retired alias must refuse (T1-T6).

pr draws only a few generated token scenarios, so the curated scenarios are what makes the
reach certain: this test reads them as pr runs them and asks, per route family, for a case
of each principal (a live session, a PAT, a revoked session or PAT, a device-bound session
asking for another device, an org whose policy denies, a missing or bad credential), and
for each method other than POST.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.contract.sync_tokens import RouteFamily
from harness.generators.token_requests import (
    BEARER,
    BOUND_DEVICE,
    OTHER_METHODS,
    Principal,
    TokenCase,
    case_of,
)
from harness.scenario.files import curated
from harness.scenario.model import Scenario
from harness.scenario.steps import Policy, RetiredAtStart, Token

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _asks_other_device(case: TokenCase) -> bool:
    return isinstance(case.body, dict) and case.body.get("device_id") not in (None, BOUND_DEVICE)


PRINCIPALS: dict[str, Callable[[TokenCase], bool]] = {
    "session": lambda c: c.principal is Principal.SESSION and c.authorization == BEARER
    and not c.org_denies,
    "pat": lambda c: c.principal is Principal.PAT and not c.org_denies,
    "revoked session": lambda c: c.principal is Principal.REVOKED_SESSION,
    "revoked pat": lambda c: c.principal is Principal.REVOKED_PAT,
    "device mismatch": lambda c: c.principal is Principal.DEVICE_BOUND and _asks_other_device(c),
    "device bound": lambda c: c.principal is Principal.DEVICE_BOUND
    and not _asks_other_device(c),
    "policy denied": lambda c: c.org_denies and c.authorization == BEARER,
    "no session": lambda c: c.authorization is None,
    "bad session": lambda c: c.authorization not in (None, BEARER),
}


def _cases(scenarios: list[Scenario]) -> list[TokenCase]:
    return [case_of(step) for scenario in scenarios for step in scenario.of(Token)]


def _retired_by_toggle(scenario: Scenario) -> bool:
    return any(policy.alias_retired for policy in scenario.of(Policy))


HOW: dict[str, Callable[[Scenario], bool]] = {
    "alias served": lambda s: not s.count(RetiredAtStart) and not _retired_by_toggle(s),
    "alias retired at run time": _retired_by_toggle,
    "alias retired at start-up": lambda s: bool(s.count(RetiredAtStart)),
}


@pytest.mark.parametrize("how", sorted(HOW))
@pytest.mark.parametrize("family", list(RouteFamily))
def test_every_principal_reaches_every_route_family(family: RouteFamily, how: str) -> None:
    scenarios = [s for s in curated("token_parity", SCENARIOS) if HOW[how](s)]
    cases = [case for case in _cases(scenarios) if case.family is family]
    missing = [name for name, kind in PRINCIPALS.items() if not any(map(kind, cases))]
    assert not missing, f"{family} with the {how}: no curated case for {missing}"


@pytest.mark.parametrize("how", sorted(HOW))
@pytest.mark.parametrize("family", list(RouteFamily))
def test_every_method_reaches_every_route_family(family: RouteFamily, how: str) -> None:
    scenarios = [s for s in curated("token_parity", SCENARIOS) if HOW[how](s)]
    methods = {case.method for case in _cases(scenarios) if case.family is family}
    assert {"POST", *OTHER_METHODS} <= methods, f"{family} with the {how}: {methods}"
