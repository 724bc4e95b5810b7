"""Which capabilities a scenario (or one of its token steps) needs, and which of them a
target lacks: the difference is a "not applicable" verdict naming them, never a run.

A module scenario is one story, so it is applicable whole or not at all. A token scenario is
a list of independent requests, so each request is judged on its own: a service without
PATs still answers every other case of the matrix.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from harness.contract.sync_tokens import ControlPolicy, RouteFamily
from harness.generators.token_requests import Principal, TokenCase
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    AckAs,
    BadHash,
    ClearDatabase,
    Compact,
    CompactAs,
    Conflict,
    CrashRuntime,
    CrashSpacetimeDB,
    CutNetwork,
    Deliver,
    Fault,
    HealNetwork,
    Intrude,
    Resume,
    RetiredAtStart,
    Step,
    Token,
    TokenBody,
    ViaRuntime,
)
from harness.targets.capabilities import RULES_NEEDING, Capability

# What the target needs for each kind of step (a kind not listed needs nothing).
STEP_NEEDS: Mapping[type[Step], tuple[Capability, ...]] = {
    Deliver: (Capability.MODULE_APPLY,),
    Conflict: (Capability.MODULE_APPLY,),
    BadHash: (Capability.MODULE_APPLY,),
    Intrude: (Capability.MODULE_APPLY,),
    Compact: (Capability.MODULE_COMPACT,),
    CompactAs: (Capability.MODULE_COMPACT,),
    Ack: (Capability.MODULE_ACK,),
    AckAs: (Capability.MODULE_ACK_NAMES_CLIENT,),
    Resume: (Capability.CLIENT,),
    CrashSpacetimeDB: (Capability.SERVER_CRASH,),
    ViaRuntime: (Capability.PUBLISHER,),
    ClearDatabase: (Capability.PUBLISHER,),
    CrashRuntime: (Capability.PUBLISHER_CRASH,),
    CutNetwork: (Capability.NETWORK_CUT,),
    HealNetwork: (Capability.NETWORK_CUT,),
    RetiredAtStart: (Capability.CONTROL_RETIRED_AT_START,),
    Token: (Capability.CONTROL,),
    TokenBody: (Capability.CONTROL,),
}


@dataclass(frozen=True)
class NotApplicable:
    """What a target lacks for a scenario, and the rules that therefore go unjudged."""

    missing: frozenset[Capability]

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(sorted({rule for c in self.missing for rule in RULES_NEEDING[c]}))

    def explain(self) -> str:
        names = ", ".join(sorted(c.value for c in self.missing))
        return f"not applicable: the target lacks {names} (rules {', '.join(self.rules)})"


def families_of(has: Collection[Capability]) -> tuple[RouteFamily, ...]:
    """The route families a control service with these capabilities serves."""
    return (RouteFamily.API, RouteFamily.API_V1) if Capability.CONTROL_API_V1 in has else (
        RouteFamily.API,)


def case_needs(case: TokenCase, policy: ControlPolicy,
               declared: ControlPolicy) -> set[Capability]:
    needs = {Capability.CONTROL}
    if case.family is RouteFamily.API_V1:
        needs.add(Capability.CONTROL_API_V1)
    if case.principal in (Principal.PAT, Principal.REVOKED_PAT):
        needs.add(Capability.CONTROL_PAT)
    if case.principal in (Principal.REVOKED_SESSION, Principal.REVOKED_PAT):
        needs.add(Capability.CONTROL_REVOKE)
    if case.principal is Principal.DEVICE_BOUND:
        needs.add(Capability.CONTROL_DEVICE)
    if case.org_denies:
        needs.add(Capability.CONTROL_ORG_POLICY)
    if case.minting_unavailable:
        needs.add(Capability.CONTROL_MINTING_TOGGLE)
    if policy != declared:
        needs.add(Capability.CONTROL_POLICY_TOGGLE)
    return needs


def step_needs(step: Step) -> set[Capability]:
    needs = set(STEP_NEEDS.get(type(step), ()))
    if isinstance(step, Fault) and step.kind.crashes:
        needs.add(Capability.PUBLISHER_CRASH)
    return needs


def scenario_needs(scenario: Scenario) -> set[Capability]:
    """What the module, client and publisher steps need (token steps are judged per step)."""
    needs: set[Capability] = set()
    for step in scenario.steps:
        if not isinstance(step, Token | TokenBody):
            needs |= step_needs(step)
    return needs


def not_applicable(needs: set[Capability], has: Collection[Capability]) -> NotApplicable | None:
    missing = frozenset(needs - set(has))
    return NotApplicable(missing) if missing else None
