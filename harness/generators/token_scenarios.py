"""Hypothesis strategies for token-route parity: cases of the matrix, and random bodies.

The pr profile draws short lists of matrix cases (each a known expectation per T3), one
scenario in four on the instance started with its alias retired where the target has one
(T6 as a deployment retires it); the nightly profile adds random request bodies whose
expectation is derived from T2-T3.
"""

from __future__ import annotations

from hypothesis import strategies as st

from harness.contract.sync_tokens import ControlPolicy, RouteFamily
from harness.generators.options import Generation
from harness.generators.token_requests import MATRIX, cases_for, token_bodies
from harness.scenario.model import Scenario
from harness.scenario.steps import RetiredAtStart, Step, Token, TokenBody

DEFAULT = Generation()
DEFAULT_CASES = tuple(case.id for case in cases_for(ControlPolicy(), tuple(RouteFamily), MATRIX))


@st.composite
def token_parity_scenarios(draw: st.DrawFn, options: Generation = DEFAULT) -> Scenario:
    cases = options.token_cases or DEFAULT_CASES
    steps: list[Step] = []
    if options.retired_at_start and draw(st.integers(0, 3)) == 0:
        steps.append(RetiredAtStart())
    steps += [Token(case) for case in draw(st.lists(st.sampled_from(cases), min_size=1,
                                                    max_size=5))]
    if options.random_bodies:
        steps += [TokenBody(body) for body in draw(st.lists(token_bodies(), max_size=3))]
    return Scenario("token_parity", ("T1", "T2", "T3", "T4", "T5"), tuple(steps))
