"""Idempotent apply: redelivery never changes state; a conflict is refused and changes nothing.

Judged by replaying the scenario through the oracle: every delivery must get the answer
the oracle gives (a duplicate succeeds without change, a conflict is
`idempotency_conflict`, M1's order of checks decides which error), and the final
snapshot must equal the oracle's, which is the snapshot of applying each event once.
"""

from __future__ import annotations

from harness.checks import runtime_delivery
from harness.checks.expectations import expect
from harness.checks.outcomes import outcome_violations, snapshot_violations
from harness.checks.verdict import Verdict, verdict
from harness.history import History
from harness.scenario.model import Scenario

PROPERTY = "idempotence"
RULES = ("E6", "M1", "M2", "M3", "B1", "B2", "B3", "B5", "P1", "P2")


def check(scenario: Scenario, history: History) -> Verdict:
    if scenario.count("via_runtime"):
        return verdict(PROPERTY, RULES, runtime_delivery.violations(scenario, history))
    expected = expect(scenario)
    violations = list(outcome_violations(history, expected.outcomes))
    if "final" in history.snapshots:
        violations += snapshot_violations("final snapshot vs oracle", expected.final,
                                          history.snapshots["final"])
    return verdict(PROPERTY, RULES, violations)
