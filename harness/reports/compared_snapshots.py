"""Which snapshots a property's checker compares, so a report can show their differences.

The checkers judge and word a verdict; a report must show the same comparisons as tables.
Each comparison is the checker's: a label, what was expected (the oracle's prediction, or
the target's own state where the rule is relative) and what was observed, all from the
stored scenario and history, with no container.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.checks.expectations import expect
from harness.checks.runtime_delivery import DELIVERY_TABLES, PROJECTION_TABLES, simulate
from harness.checks.snapshot_diff import contract_view, table_keys
from harness.contract.snapshot import Snapshot
from harness.history import History
from harness.reports.table_diff import table_diff
from harness.scenario.model import Scenario
from harness.scenario.steps import ViaRuntime

# Who acknowledged what: keyed by identities two runs do not share, and not rebuilt from the
# journal, so relative comparisons leave it out (as the checkers do).
RELATIVE_SKIPS = frozenset({"stream_checkpoint"})


def _without(snapshot: Mapping[str, Any], tables: frozenset[str]) -> Snapshot:
    return {t: rows for t, rows in snapshot.items() if t not in tables}


def _only(snapshot: Mapping[str, Any], tables: frozenset[str]) -> Snapshot:
    return {t: rows for t, rows in snapshot.items() if t in tables}


def compared(scenario: Scenario, history: History) -> list[tuple[str, Snapshot, Snapshot]]:
    """(label, expected, observed) for each comparison the property's checker makes."""
    snaps = history.snapshots
    final = snaps.get("final")
    if scenario.property == "token_parity" or final is None:
        return []
    if scenario.count(ViaRuntime):
        want, _ = simulate(scenario, history)
        tables = DELIVERY_TABLES | PROJECTION_TABLES
        return [("module vs the projection of the journal",
                 *contract_view(_only(want, tables), _only(final, tables)))]
    pairs: list[tuple[str, Snapshot, Snapshot]] = []
    if "delivered_once" in snaps:
        pairs.append(("with redeliveries vs each event delivered once",
                      _without(snaps["delivered_once"], RELATIVE_SKIPS),
                      _without(final, RELATIVE_SKIPS)))
    expectation = expect(scenario, history)
    against_oracle = contract_view(*expectation.comparable(final))
    if scenario.property != "rebuild":
        return [*pairs, ("final snapshot vs oracle", *against_oracle)]
    rebuilds = {step: snaps[f"rebuild:{step}"] for step in range(len(scenario.steps))
                if f"rebuild:{step}" in snaps}
    if rebuilds:  # relative first: each rebuild against the first, the first the original
        first, *others = sorted(rebuilds)
        pairs += [(f"rebuild (step {step}) vs rebuild (step {first})",
                   _without(rebuilds[first], RELATIVE_SKIPS),
                   _without(rebuilds[step], RELATIVE_SKIPS)) for step in others]
        if final.get("stream_head") == rebuilds[first].get("stream_head"):
            pairs.append((f"rebuild (step {first}) vs original", _without(final, RELATIVE_SKIPS),
                          _without(rebuilds[first], RELATIVE_SKIPS)))
    pairs.append(("original vs oracle", *against_oracle))
    pairs += [(f"rebuild (step {step}) vs oracle", *contract_view(predicted, rebuilds[step]))
              for step, predicted in sorted(expectation.rebuilds.items()) if step in rebuilds]
    return pairs


def snapshot_differences(scenario: Scenario, history: History) -> list[dict[str, str]]:
    """Every differing row and cell of every comparison, labelled by the comparison."""
    keys = table_keys(history.snapshots)
    return [row for label, want, seen in compared(scenario, history)
            for row in table_diff(label, want, seen, keys)]
