"""A violation's minimal counterexample as a table: each step, its fields, its answer.

The shrunk scenario is short; laid out one step a row, with what the target answered beside
what was expected and the rules whose violations point at that step, it reads as the
story of the bug. The scenario ID stays the way to replay it; this is the way to read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.contract.canonical import canonical_json
from harness.generators.token_requests import case_of
from harness.history import History
from harness.reports.answers import Answer
from harness.scenario.model import Scenario
from harness.scenario.steps import Token, TokenBody, step_fields

# Module checkers start an answer's violation with "step <n> <op>", a rebuild's says
# "rebuild (step <n>)": either names the step it is about.
STEP_IN_MESSAGE = re.compile(r"\bstep (\d+)\b")


def field_text(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json(value)


def step_of(violation: Mapping[str, Any], scenario: Scenario,
            history: History | None) -> int | None:
    """The step a violation is about: named in its message, its token case (T checks start
    with the case id), or the history entry its op_index cites; None for a whole-run rule."""
    message = str(violation.get("message", ""))
    named = STEP_IN_MESSAGE.search(message)
    if named is not None:
        return int(named.group(1))
    if scenario.property == "token_parity":
        case = message.split(":", 1)[0]
        return next((number for number, step in enumerate(scenario.steps)
                     if isinstance(step, Token | TokenBody) and case_of(step).id == case), None)
    index = violation.get("op_index")
    if history is None or not isinstance(index, int):
        return None
    cited = next((e for e in history.completions() if e.index == index), None)
    step = cited.value.get("step") if cited is not None and isinstance(cited.value, dict) else None
    return step if isinstance(step, int) else None


def step_rows(scenario: Scenario, answers: Mapping[int, Answer],
              violations: Sequence[Mapping[str, Any]],
              history: History | None) -> list[dict[str, Any]]:
    """One row per step: number, op, fields as text, observed, expected, whether the answer
    was the expected one, and the rules whose violations name the step."""
    rules: dict[int, set[str]] = {}
    for violation in violations:
        number = step_of(violation, scenario, history)
        if number is not None:
            rules.setdefault(number, set()).add(str(violation["rule"]))
    rows: list[dict[str, Any]] = []
    for number, step in enumerate(scenario.steps):
        answer = answers.get(number, Answer(""))
        rows.append({
            "number": number,
            "op": step.op,
            "fields": {name: field_text(value) for name, value in step_fields(step).items()},
            "observed": answer.observed,
            "expected": answer.expected,
            "agrees": answer.agrees,  # the answer; `rules` may still name the step's effect
            "rules": sorted(rules.get(number, ())),
        })
    return rows
