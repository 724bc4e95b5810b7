"""The oracle and the real module agree on generated journals delivered badly (M1-M6, R3).

Each example publishes a fresh module, runs a delivery plan (the journal in order, with
duplicates, conflicts, gaps, compactions, broken events, calls from a stranger, resumes
and checkpoints mixed in) against the module and the oracle side by side, and demands
the same answer to every call, error text included, and the same final snapshot (G1).
A disagreement is a bug in one of the two: CONTRACT.md decides which.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings

from harness.checks.snapshot_diff import diff_lines
from harness.contract.events import Event
from harness.contract.snapshot import contract_tables, snapshot_json
from harness.env.built_module import BuiltModule
from harness.env.stack import Stack
from harness.generators.operations import Operation, planned_journals
from harness.model.module import ReferenceModel
from harness.model.outcome import Outcome
from harness.runner.operations import perform, predict
from harness.targets.base import Reply, ReplyStatus
from harness.targets.spacetime_module import DeclaredModule

EXAMPLES = 200


@dataclass
class Throughput:
    """Examples run and reducer calls made across the whole Hypothesis run."""

    examples: int = 0
    calls: int = 0


@pytest.fixture
def throughput(request: pytest.FixtureRequest) -> Iterator[Throughput]:
    """Counts the run's work and records it as JUnit properties (examples, calls/s)."""
    counts = Throughput()
    started = time.perf_counter()
    yield counts
    seconds = time.perf_counter() - started
    request.node.user_properties += [
        ("oracle_agreement_examples", str(counts.examples)),
        ("oracle_agreement_reducer_calls", str(counts.calls)),
        ("oracle_agreement_seconds", f"{seconds:.1f}"),
        ("oracle_agreement_calls_per_second", f"{counts.calls / seconds:.1f}"),
    ]


def disagreement(expected: Outcome, reply: Reply) -> str | None:
    """Why the module's reply is not the oracle's outcome, or None when they agree."""
    if reply.status is ReplyStatus.INFO:
        return f"no answer from the module: {reply.error}"
    if reply.error != expected.error:
        return f"module answered {reply.error or 'ok'!r}, oracle {expected.error or 'ok'!r}"
    return None


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=planned_journals())
def test_M1_M2_M4_M6_R3_module_agrees_with_the_oracle_on_bad_deliveries(
    example: tuple[list[Event], list[Operation]],
    stack: Stack,
    reference_wasm: BuiltModule,
    throughput: Throughput,
) -> None:
    """Every reply equals the oracle's outcome; the final snapshots are equal (G1)."""
    _, plan = example
    database = stack.publish(reference_wasm)
    try:
        target = DeclaredModule().bind(database)
        model = ReferenceModel(database.owner.identity)
        problems: list[str] = []
        for number, operation in enumerate(plan):
            expected = predict(operation, model, target.client_identity)
            why = disagreement(expected, perform(operation, target))
            if why is not None:
                problems.append(f"step {number} {operation}: {why}")
        throughput.examples += 1
        throughput.calls += len(plan)
        observed, predicted = contract_tables(target.snapshot()), model.snapshot()
        problems += diff_lines(predicted, observed)
        assert not problems, "\n".join(problems)
        assert snapshot_json(observed) == snapshot_json(predicted)
    finally:
        database.http().delete_database(database.name)
