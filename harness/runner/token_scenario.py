"""Run a token-parity scenario against a control target and record every exchange.

Each `token` step is one case of the request matrix (or a generated body) sent to the
canonical route, the alias and the canonical route again; the three answers go into the
history as plain JSON, so the checker can judge them again from stored artefacts.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from harness.contract.sync_tokens import ControlPolicy
from harness.generators.token_requests import MATRIX, TokenCase, generated_case
from harness.history import EntryType, History
from harness.runner.token_routes import observe
from harness.scenario.model import Scenario, Step
from harness.targets.control import ControlTarget

CASES = {case.id: case for case in MATRIX}


def case_of(step: Step) -> TokenCase:
    """The matrix case a `token` step names, or the case of a generated body."""
    if step["op"] == "token_body":
        return generated_case(step["body"])
    return CASES[step["case"]]


def policy_of(scenario: Scenario) -> ControlPolicy:
    for step in scenario.steps:
        if step["op"] == "policy":
            return ControlPolicy(step["alias_retired"], step["compat_enforced"])
    return ControlPolicy()


def run_token_scenario(scenario: Scenario, control: ControlTarget) -> History:
    history = History()
    policy = policy_of(scenario)
    target = control.declaring(policy)
    for number, step in enumerate(scenario.steps):
        if step["op"] not in ("token", "token_body"):
            continue
        value = {"step": number, **{k: v for k, v in step.items() if k != "op"}}
        index = history.invoke("client", step["op"], value)
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
    }
    target.admin.reset()
    target.admin.configure(ControlPolicy(), minting_unavailable=False)
    return history
