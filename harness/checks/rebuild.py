"""Deterministic rebuild from (topic, seq): any replay of the journal gives the same state.

For every `rebuild` step the runner replayed the whole journal into a fresh database in
an interleaving that keeps each topic's seq order, then the same compactions. Judged
twice (CONTRACT.md §9):
- relative, needing no model of the target's folds: every rebuild equals every other
  rebuild, and equals the original database wherever the two hold the same stream heads
  (the same events applied); a difference confined to projection rows is a fold that
  depends on something other than the events (M5);
- absolute: each snapshot equals the oracle's (G2, and the tables' own rules).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

from harness.checks import compaction
from harness.checks.expectations import answers, expect, redelivered, without_streams
from harness.checks.idempotence import redelivery_violations
from harness.checks.outcomes import outcome_violations, snapshot_violations
from harness.checks.snapshot_diff import Keys, table_keys
from harness.checks.verdict import Verdict, Violation, in_history_order, verdict
from harness.contract.schema import PRIMARY_KEYS
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.history import History
from harness.scenario.model import Scenario
from harness.scenario.steps import BadHash, Conflict, Deliver

PROPERTY = "rebuild"
RULES = ("G1", "G2", "M5", "M3")
PROJECTIONS = ("run_summary", "worker_status")
# Who acknowledged what is not rebuilt from the journal.
NOT_REBUILT = "stream_checkpoint"


def _rebuilt(snapshot: Snapshot) -> Snapshot:
    return {table: rows for table, rows in snapshot.items() if table != NOT_REBUILT}


def _relative(label: str, first: Snapshot, second: Snapshot, redelivered: bool = False,
              keys: Keys = PRIMARY_KEYS) -> list[Violation]:
    """`redelivered`: the first snapshot's database was also given redeliveries or
    conflicts, which a rebuild replays none of; a difference there may as well be what a
    redelivery did (M1, judged by the idempotence property) as an order-dependent fold, so
    it is G2 alone, not M5."""
    found = [replace(difference, clause="G2.rebuild") for difference in snapshot_violations(
        label, _rebuilt(first), _rebuilt(second), rule="G2", relative=True, keys=keys)]
    if found and not redelivered and all(any(t in v.message for t in PROJECTIONS)
                                         for v in found):
        found.append(Violation("M5", f"{label}: only projection rows differ, so a fold "
                               "depends on more than the events", relative=True,
                               clause="M5.interleavings"))
    return found


def relative_violations(original: Snapshot | None, rebuilds: Mapping[int, Snapshot],
                        redelivered: bool = False,
                        not_the_journal: frozenset[str] = frozenset(),
                        keys: Keys = PRIMARY_KEYS) -> Iterator[Violation]:
    """The target against itself: rebuilds pairwise (each against the first), and the
    original against the first rebuild when both applied the same events. The streams in
    `not_the_journal` took a call in the original that is not a journaled event (a
    conflicting or wrongly hashed event, or one past a gap, that the target accepted): a
    rebuild from the journal cannot hold it, so those streams are no measure of the
    original, and are left out of that comparison (the departure itself is judged where
    it happened)."""
    steps = sorted(rebuilds)
    if not steps:
        return
    first = rebuilds[steps[0]]
    for step in steps[1:]:
        yield from _relative(f"rebuild (step {step}) vs rebuild (step {steps[0]})", first,
                             rebuilds[step], keys=keys)
    if original is not None and original.get("stream_head") == first.get("stream_head"):
        yield from _relative(f"original vs rebuild (step {steps[0]})",
                             without_streams(original, set(not_the_journal)),
                             without_streams(first, set(not_the_journal)), redelivered, keys)


def accepted_off_journal(scenario: Scenario, history: History) -> frozenset[str]:
    """The streams where the target accepted a call carrying other content than the
    journal's (a conflict, a wrong hash), or an event past a gap it left (a module without
    sequencing): either way the original was given what no replay of the journal in
    (topic, seq) order gives."""
    took = {number for number, answer in answers(history).items() if answer.took_effect}
    found: set[str] = set()
    last: dict[str, int] = {}
    for number, step in enumerate(scenario.steps):
        if number not in took:
            continue
        if isinstance(step, Conflict | BadHash):
            found.add(stream_of(step.topic))
        elif isinstance(step, Deliver):
            if step.seq > last.get(step.topic, 0) + 1:
                found.add(stream_of(step.topic))
            last[step.topic] = max(step.seq, last.get(step.topic, 0))
    return frozenset(found)


def check(scenario: Scenario, history: History) -> Verdict:
    original = history.snapshots.get("final")
    rebuilds = {step: snapshot for step in range(len(scenario.steps))
                if (snapshot := history.snapshots.get(f"rebuild:{step}")) is not None}
    expected = expect(scenario, history)
    violations = [*in_history_order(outcome_violations(history, expected.outcomes),
                                    compaction.violations(scenario, history)),
                  *redelivery_violations(scenario, history)]
    violations += relative_violations(original, rebuilds, redelivered(scenario),
                                      accepted_off_journal(scenario, history),
                                      table_keys(history.snapshots))
    if original is not None:
        violations += snapshot_violations("original vs oracle", *expected.comparable(original))
    for step, predicted in expected.rebuilds.items():
        if step in rebuilds:
            violations += snapshot_violations(f"rebuild (step {step}) vs oracle", predicted,
                                              rebuilds[step], rule="G2")
    return verdict(PROPERTY, RULES, violations)
