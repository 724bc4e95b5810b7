"""Idempotent apply: redelivery never changes state; a conflict is refused and changes nothing.

Judged twice. Against the oracle: every delivery must get the oracle's answer (a duplicate
succeeds without change, a conflict is `idempotency_conflict`, M1's order of checks decides
which error), and the final snapshot must equal the oracle's, which is the snapshot of
applying each event once. And relative to the target itself: the state after the
scenario's redeliveries and conflicts must equal the state of a fresh database given each
call it accepted once (M1.3), which needs no model of the target's folds.
"""

from __future__ import annotations

from dataclasses import replace

from harness.checks import compaction, runtime_delivery
from harness.checks.expectations import expect, redelivered_streams
from harness.checks.outcomes import outcome_violations, snapshot_violations
from harness.checks.snapshot_diff import Keys, keyed_rows, table_keys
from harness.checks.verdict import Verdict, Violation, in_history_order, verdict
from harness.contract.snapshot import Snapshot
from harness.history import EntryType, History
from harness.scenario.model import Scenario
from harness.scenario.steps import ViaRuntime

PROPERTY = "idempotence"
RULES = ("E6", "M1", "M2", "M3", "B1", "B2", "B3", "B5", "P1", "P2")


def redelivery_violations(scenario: Scenario, history: History) -> list[Violation]:
    """The target against itself: the state with the scenario's redeliveries and conflicts
    against a fresh database given each call it accepted once (M1.3), whichever property
    the scenario is of (a fold that counts a duplicate must be named as such, not as the
    projection it then gets wrong). A difference in a stream no redelivery touched cannot
    be one: the two databases got the same calls there, so a fold depends on more than the
    events (M5, a clock or the order of streams), whatever it shows in the streams that were
    redelivered too."""
    once, final = history.snapshots.get("delivered_once"), history.snapshots.get("final")
    if once is None or final is None:
        return []
    touched = redelivered_streams(scenario)
    keys = table_keys(history.snapshots)
    found = list(snapshot_violations(
        "with redeliveries vs each event delivered once",
        {t: rows for t, rows in once.items() if t != "stream_checkpoint"},
        {t: rows for t, rows in final.items() if t != "stream_checkpoint"},
        rule="M1", relative=True, keys=keys))
    found = [replace(difference, clause="E6.duplicate") for difference in found]
    refused = any(entry.type is EntryType.FAIL for entry in history.completions())

    def named(difference: Violation) -> Violation:
        if difference.streams - touched:  # some row differs where nothing was redelivered
            return _not_a_redelivery(difference)
        if refused and not difference.streams and _only_added(difference, once, keys):
            return _left_by_a_refusal(difference)
        return difference
    return [named(difference) for difference in found]


def _only_added(difference: Violation, once: Snapshot, keys: Keys) -> bool:
    """Whether every row of `difference` is one the once-database does not hold at all."""
    for row in difference.rows:
        table, _, key = row.partition("[")
        if key[:-1] in keyed_rows(table, once.get(table, []), keys):
            return False
    return bool(difference.rows)


def _left_by_a_refusal(difference: Violation) -> Violation:
    """Rows no accepted call made, in a stream-less table, where calls were refused: what
    a refused call left behind (M2; SpacetimeDB rolls a failed reducer back, so it is the
    module's work around the call, a connection hook's log, say)."""
    return _renamed(difference, "M2", "M2.refused", "a refused call left rows",
                    "rows no accepted call made: a refused call changed state")


def _not_a_redelivery(difference: Violation) -> Violation:
    return _renamed(difference, "M5", "M5.interleavings", "two databases given the same calls",
                    "no event of these streams was delivered twice: a fold depends on more "
                    "than the events")


def _renamed(difference: Violation, rule: str, clause: str, what: str, why: str) -> Violation:
    """The redelivery comparison's difference as the defect it really shows."""
    return replace(difference, rule=rule, clause=clause, message=f"{difference.message} ({why})",
                   signature=difference.signature.replace(
                       "with redeliveries vs each event delivered once", what))


def check(scenario: Scenario, history: History) -> Verdict:
    if scenario.count(ViaRuntime):
        return verdict(PROPERTY, RULES, runtime_delivery.violations(scenario, history))
    # In the order the target departed: each step's answer (against the oracle, which then
    # follows the target), then the state the run ended with, against the target itself
    # (redeliveries against each event once, no model of its folds needed) and against
    # the oracle.
    expected = expect(scenario, history)
    violations = [*in_history_order(outcome_violations(history, expected.outcomes),
                                    compaction.violations(scenario, history)),
                  *redelivery_violations(scenario, history)]
    if "final" in history.snapshots:
        violations += snapshot_violations("final snapshot vs oracle",
                                          *expected.comparable(history.snapshots["final"]))
    return verdict(PROPERTY, RULES, violations)
