"""Runs with violations, recorded as a real run records them, for the report's tests.

No container: each scenario's history is written the way the runner writes it, with the
oracle's answers except where a defect is planted, and judged by the real checkers; the
artefacts are stored by the real `store` and the summary built by the real `build`. Three
defects of the reference's mutant list in one summary: a redelivered event folded again
(M1, P1), a replay budget off by one (R3) and a client that skips ahead on stale_cursor
(R4); the others (a publisher, token routes, a rebuild) are views of their own.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.checks import coverage, idempotence, rebuild, stale_cursor
from harness.checks.clauses import CLAUSES
from harness.checks.expectations import PUBLISHER, expect
from harness.checks.verdict import Verdict, adopted, settle
from harness.history import EntryType, History
from harness.model.module import ReferenceModel
from harness.reports import summary
from harness.reports.artefacts import store
from harness.reports.records import ScenarioRecord
from harness.scenario.ids import encode
from harness.scenario.model import Scenario, with_id
from harness.scenario.steps import (
    Conflict,
    CrashRuntime,
    Deliver,
    Event,
    Fault,
    FaultKind,
    Rebuild,
    Resume,
    Step,
    Token,
    ViaRuntime,
    step_fields,
)
from harness.targets.capabilities import Capability

RUN, WORKER = "run:r1:events", "worker:w1:lifecycle"
REPRO = "stdb-harness repro '{id}' --config /home/ci/ledger/stdb-harness.toml"

DUPLICATE_FOLDED = Scenario("idempotence", idempotence.RULES, (
    Event(RUN, "run.created", {"owner": "ada"}),
    Event(RUN, "run.step", {"tokens": 5}),
    Event(WORKER, "worker.online", {"region": "eu"}),
    Deliver(RUN, 1),
    Deliver(RUN, 2),
    Deliver(WORKER, 1),
    Deliver(RUN, 2),
    Conflict(RUN, 1, {"owner": "eve"}),
))

BUDGET_OFF_BY_ONE = Scenario("stale_cursor", stale_cursor.RULES, (
    Event("run:r2:events", "run.created", {"owner": "bo"}),
    Event("run:r2:events", "run.step", {"tokens": 1}),
    Event("run:r2:events", "run.step", {"tokens": 2}),
    Deliver("run:r2:events", 1),
    Deliver("run:r2:events", 2),
    Deliver("run:r2:events", 3),
    Resume("c1", "run:r2:events", 1, 1),
))

SKIP_AHEAD = Scenario("stale_cursor", stale_cursor.RULES, (
    Event("run:r3:events", "run.created", {"owner": "cy"}),
    Event("run:r3:events", "run.step", {"tokens": 1}),
    Event("run:r3:events", "run.step", {"tokens": 2}),
    Deliver("run:r3:events", 1),
    Deliver("run:r3:events", 2),
    Deliver("run:r3:events", 3),
    Resume("c2", "run:r3:events", 0, 1),
))

# The run's clauses: every applicable one exercised but a sequence conflict, the target
# without compaction, the token routes' absolute families (S, B, T) left out of its profile.
HAS = [c for c in Capability if c is not Capability.MODULE_COMPACT]
PROFILE = "EMPRG"
VIOLATED = {"E6.duplicate": 1, "P1.step": 1, "R3.replay_budget_exceeded": 1, "R4.recovery": 1}
CLAUSE_ROWS = coverage.matrix(
    {c.id: 5 for c in CLAUSES.values() if not c.lacks(HAS, ())
     and (c.relative or c.input_class or adopted(c.rule, PROFILE))
     and c.id != "M1.sequence_conflict"},
    VIOLATED, {}, HAS, PROFILE)


def _record(history: History, process: str, number: int, step: Step,
            error: str | None) -> None:
    index = history.invoke(process, step.op, {"step": number, **step_fields(step)})
    history.complete(index, EntryType.OK if error is None else EntryType.FAIL, error=error)


def _answered(scenario: Scenario, wrong: Mapping[int, str | None]) -> History:
    """The history a runner writes: each step's oracle answer, or the planted wrong one."""
    history = History()
    outcomes = expect(scenario).outcomes
    for number, step in enumerate(scenario.steps):
        if number in outcomes:
            error = wrong[number] if number in wrong else outcomes[number].error
            process = f"client:{step.client}" if isinstance(step, Resume) else "publisher"
            _record(history, process, number, step, error)
    return history


def duplicate_folded() -> tuple[Scenario, History]:
    """The duplicate at step 6 is folded again: steps 2 and tokens 10 where 1 and 5 are right."""
    scenario = with_id(DUPLICATE_FOLDED, encode(DUPLICATE_FOLDED))
    history = _answered(scenario, {})
    right = expect(scenario).final
    observed = copy.deepcopy(right)
    for row in observed["run_summary"]:
        row.update(steps=row["steps"] + 1, tokens_total=row["tokens_total"] + 5)
    history.snapshots["final"] = observed
    history.snapshots["delivered_once"] = right
    return scenario, history


def budget_off_by_one() -> tuple[Scenario, History]:
    """A cursor two behind the head with a budget of one resumes instead of being stale; the
    client then delivers the gap with no snapshot."""
    scenario = with_id(BUDGET_OFF_BY_ONE, encode(BUDGET_OFF_BY_ONE))
    history = _answered(scenario, {6: None})
    history.snapshots["final"] = expect(scenario).final
    history.snapshots["client:c1:runtime.run.r2.events"] = {
        "failure": None, "cursor": 3, "base_seq": 1, "events": [2, 3],
        "steps": [{"kind": "Resumed", "cursor": 1, "replay_budget": 1, "error": None},
                  {"kind": "Delivered", "seq": 2}, {"kind": "Delivered", "seq": 3}]}
    return scenario, history


DROPPED_BY_PUBLISHER = Scenario("idempotence", idempotence.RULES, (
    ViaRuntime(),
    Event(RUN, "run.created", {"owner": "ada"}),
    Fault(FaultKind.DUPLICATE, 2),
    Event(RUN, "run.step", {"tokens": 5}),
    CrashRuntime(),
))

ALIAS_IGNORES_TTL = Scenario("token_parity", ("T5",), (Token("valid-every-field"),))


def dropped_by_publisher() -> tuple[Scenario, History]:
    """The runtime's publisher delivers seq 1 of 2 and then goes quiet, with no dead letter."""
    scenario = with_id(DROPPED_BY_PUBLISHER, encode(DROPPED_BY_PUBLISHER))
    history = History()
    journal = iter(scenario.journal())
    for number, step in enumerate(scenario.steps):
        if isinstance(step, Event):
            event = next(journal)
            index = history.invoke("runtime", "append", {"step": number, "topic": event.topic})
            history.complete(index, EntryType.OK, value={"step": number, "topic": event.topic,
                                                         "seq": event.seq})
        elif not isinstance(step, ViaRuntime):
            history.complete(history.invoke("nemesis", step.op, {"step": number}),
                             EntryType.OK)
    events = scenario.journal()
    history.snapshots["runtime"] = {"quiescent": True, "streams": [{
        "stream_id": events[0].stream_id, "topic": RUN, "journal_head": 2, "delivered_head": 1,
        "outbox_depth": 0, "paused": False, "dead_letter": None, "last_error": "",
        "consecutive_failures": 0, "in_flight": False}]}
    history.snapshots["journal"] = [
        {"topic": e.topic, "seq": e.seq, "kind": e.kind, "payload_json": e.payload_json,
         "published_at_ms": e.published_at_ms, "stream_id": e.stream_id,
         "idempotency_key": e.idempotency_key, "payload_hash": e.payload_hash}
        for e in events]
    model = ReferenceModel(PUBLISHER)
    model.apply_event(PUBLISHER, events[0].reducer_args())
    history.snapshots["final"] = model.snapshot()
    return scenario, history


def _exchange(path: str, ttl: int) -> dict[str, Any]:
    return {"method": "POST", "path": path, "status": 200, "text": None, "headers": {},
            "body": {"data": {"token_type": "Bearer", "expires_in": ttl}}}


def alias_ignores_ttl() -> tuple[Scenario, History]:
    """Both routes answer 200; the alias's token lives 300 s where 900 were asked for."""
    scenario = with_id(ALIAS_IGNORES_TTL, "token-ttl-parity")
    history = History()
    index = history.invoke("client", "token", {"step": 0, "case": "valid-every-field"})
    history.complete(index, EntryType.OK, value={
        "step": 0, "case": "valid-every-field",
        "canonical": _exchange("/api/sync/token", 900),
        "alias": _exchange("/api/spacetime/token", 300),
        "canonical_again": _exchange("/api/sync/token", 900)})
    history.snapshots["control"] = {"policy": {"alias_retired": False, "compat_enforced": False},
                                    "openapi": None, "signing_key": None}
    return scenario, history


REBUILT_DIFFERENTLY = Scenario("rebuild", rebuild.RULES, (
    Event(RUN, "run.created", {"owner": "ada"}),
    Deliver(RUN, 1),
    Rebuild(7),
))


def rebuilt_differently() -> tuple[Scenario, History]:
    """The rebuilt database's run row has another owner: a fold that reads the clock."""
    scenario = with_id(REBUILT_DIFFERENTLY, encode(REBUILT_DIFFERENTLY))
    history = _answered(scenario, {})
    history.complete(history.invoke("rebuilder", "rebuild", {"step": 2, "seed": 7}),
                     EntryType.OK)
    history.snapshots["final"] = expect(scenario).final
    rebuilt = copy.deepcopy(history.snapshots["final"])
    rebuilt["run_summary"][0]["owner"] = "ada@1767225600123"
    history.snapshots["rebuild:2"] = rebuilt
    return scenario, history


def client_skips_ahead() -> tuple[Scenario, History]:
    """The module rightly answers stale_cursor; the client jumps to the head with no
    snapshot and delivers only the last event."""
    scenario = with_id(SKIP_AHEAD, encode(SKIP_AHEAD))
    history = _answered(scenario, {})
    history.snapshots["final"] = expect(scenario).final
    refusal = expect(scenario).outcomes[6].error
    history.snapshots["client:c2:runtime.run.r3.events"] = {
        "failure": None, "cursor": 3, "base_seq": 2, "events": [3],
        "steps": [{"kind": "Resumed", "cursor": 0, "replay_budget": 1, "error": refusal},
                  {"kind": "Delivered", "seq": 3}]}
    return scenario, history


def judged(scenario: Scenario, history: History, reports: Path) -> ScenarioRecord:
    """What the Judge records for a failing scenario: verdict, artefacts, repro."""
    checker = {"idempotence": idempotence.check, "stale_cursor": stale_cursor.check}
    result: Verdict = settle(checker[scenario.property](scenario, history))
    assert not result.ok, "the example must show a violation"
    clauses = coverage.charged(coverage.reach(scenario, curated=False), history,
                               result.violations)
    record = ScenarioRecord(scenario.id, scenario.property, scenario.rules,
                            events=len(scenario.journal()), steps=len(scenario.steps),
                            seconds=0.4)
    record.artefacts = str(store(reports, scenario, history, result))
    record.violations = [{"rule": v.rule, "message": v.message, "relative": v.relative,
                          "clause": clause}
                         for v, clause in zip(result.violations, clauses, strict=True)]
    record.violated_clauses = dict.fromkeys(clauses, 1)
    record.repro = REPRO.format(id=scenario.id)
    return record


def example_summary(reports: Path) -> dict[str, Any]:
    """The summary of a run of two failing tests (three bugs) and one passing, as `build`
    makes it."""
    started = time.time() - 42.0
    results = [
        summary.TestResult("harness/suite/test_idempotence.py::test_generated", "violation",
                           20.5, records=[judged(*duplicate_folded(), reports)]),
        summary.TestResult("harness/suite/test_stale_cursor.py::test_generated", "violation",
                           12.0, records=[judged(*budget_off_by_one(), reports),
                                          judged(*client_skips_ahead(), reports)]),
        summary.TestResult("harness/suite/test_rebuild.py::test_generated", "passed", 9.5),
    ]
    target = {"target": "reference", "config": "/home/ci/ledger/stdb-harness.toml"}
    return summary.build("pr", started, results, target, {"module.compact": ["M4"]},
                         clauses=CLAUSE_ROWS)
