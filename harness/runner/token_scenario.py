"""Run a token-parity scenario against a control target and record every exchange.

Each `token` step is one case of the request matrix (or a generated body) sent to the
canonical route, the alias and the canonical route again; the three answers go into the
history as plain JSON, so the checker can judge them again from stored artefacts. A
scenario on the instance started with its alias retired (`retired_at_start`) first records
that instance as it started: its OpenAPI document and every alias route's answer to every
method, before any set-up could have changed them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from harness.contract.sync_tokens import ControlPolicy
from harness.generators.token_requests import case_of
from harness.history import EntryType, History
from harness.runner.applicability import case_needs, not_applicable
from harness.runner.token_routes import observe, probe_aliases
from harness.scenario.model import Scenario
from harness.scenario.steps import Policy, RetiredAtStart, Token, TokenBody, step_fields
from harness.targets.capabilities import Capability
from harness.targets.control import ControlTarget


def policy_of(scenario: Scenario, declared: ControlPolicy) -> ControlPolicy:
    """The scenario's policy step, or else what the service declares: a scenario without
    one judges the service as configured, never under a policy it does not have."""
    first = next(iter(scenario.of(Policy)), None)
    return declared if first is None else ControlPolicy(first.alias_retired,
                                                        first.compat_enforced)


def run_token_scenario(scenario: Scenario, control: ControlTarget,
                       capabilities: frozenset[Capability]) -> History:
    """Each token step whose case the service can set up is sent; the others are recorded
    as not applicable, naming what is missing, and judged by nobody."""
    history = History()
    if scenario.count(RetiredAtStart):
        history.snapshots["control_as_started"] = {
            "openapi": control.openapi(),
            "alias": [asdict(exchange) for exchange in probe_aliases(control)],
        }
    policy = policy_of(scenario, control.policy)
    target = control.declaring(policy)
    for number, step in enumerate(scenario.steps):
        if not isinstance(step, Token | TokenBody):
            continue
        value = {"step": number, **step_fields(step)}
        index = history.invoke("client", step.op, value)
        lacking = not_applicable(case_needs(case_of(step), policy, control.policy),
                                 capabilities)
        if lacking is not None:
            history.complete(index, EntryType.INFO, error=lacking.explain(),
                             value={**value, "not_applicable": sorted(lacking.missing)})
            continue
        observation = observe(target, case_of(step))
        exchanges: dict[str, Any] = {
            "canonical": asdict(observation.canonical),
            "alias": asdict(observation.alias),
            "canonical_again": (asdict(observation.canonical_again)
                                if observation.canonical_again else None),
        }
        history.complete(index, EntryType.OK, value={**value, **exchanges})
    history.snapshots["control"] = {
        "policy": asdict(policy),
        "openapi": target.openapi(),
        "signing_key": target.signing_key.decode() if target.signing_key else None,
        # only when declared, so the approved control snapshots of targets without stay as they are
        **({"volatile": list(target.volatile)} if target.volatile else {}),
    }
    target.admin.reset()
    target.admin.configure(control.policy, minting_unavailable=False)
    return history
