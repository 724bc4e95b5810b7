"""Clause coverage: which branch of which rule a scenario reaches, and the run's matrix."""

from __future__ import annotations

from pathlib import Path

from harness.checks import coverage
from harness.checks.clauses import CLAUSES
from harness.checks.verdict import Violation
from harness.contract.rules import RULES
from harness.history import EntryType, History
from harness.scenario.files import curated
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    Compact,
    Conflict,
    Deliver,
    Event,
    Policy,
    Rebuild,
    Resume,
    Token,
    step_fields,
)
from harness.targets.capabilities import Capability

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
R, W = "run:r1:events", "worker:w1:lifecycle"
STEPS = (
    Event(R, "run.created", {"owner": "a"}),
    Event(R, "run.step", {"tokens": 5}),
    Event(R, "run.completed", {"outcome": "success"}),
    Event(W, "worker.online", {"region": "eu"}),
    Event(W, "worker.online", {"region": "us"}),
    Event(W, "worker.offline", {"reason": "x"}),
    Event(W, "worker.heartbeat", {}),
    Deliver(R, 1), Deliver(R, 1), Deliver(R, 3), Deliver(R, 2), Deliver(R, 3),
    Deliver(W, 1), Deliver(W, 2), Deliver(W, 3), Deliver(W, 4),
    Conflict(R, 1, {"owner": "b"}),
    Ack("alice", R, 2), Ack("bob", R, 1), Ack("alice", R, 1), Ack("alice", R, 9),
    Compact(R, 1), Compact(R, 9),
    Resume("alice", R, 0, 10), Resume("bob", R, 3, 10),
    Rebuild(1),
)
SCENARIO = Scenario("stale_cursor", ("R3",), STEPS)


def ran(scenario: Scenario) -> History:
    """Every step completed, as a target that answers everything records."""
    history = History()
    for number, step in enumerate(scenario.steps):
        if isinstance(step, Event | Rebuild):
            continue
        index = history.invoke("publisher", step.op, {"step": number, **step_fields(step)})
        history.complete(index, EntryType.OK)
    history.snapshots["final"] = {}
    return history


def test_each_step_reaches_the_branch_the_oracle_says_it_takes() -> None:
    reach = coverage.reach(SCENARIO, curated=False)
    # the branches alone: the classes of what each step sends are the next test's
    by_step = {number: [c for c in ids if not CLAUSES[c].input_class]
               for number, ids in reach.by_step.items()}
    assert by_step[7] == ["M1.insert", "P1.new_row"]
    assert by_step[8] == ["E6.duplicate"]
    assert by_step[9] == ["M1.sequence_conflict", "M2.refused"]
    assert by_step[10] == ["M1.insert", "P1.step"]
    assert by_step[11] == ["M1.insert", "P1.completed"]
    assert [by_step[n][1] for n in (12, 13, 14, 15)] == [
        "P2.online", "P2.online_again", "P2.offline", "P2.heartbeat_offline"]
    assert by_step[16] == ["E6.conflict", "M2.refused"]
    assert by_step[17] == ["M6.forward"]
    assert by_step[18] == ["M6.forward", "M6.per_caller"]
    assert by_step[19] == ["M6.regression"]
    assert by_step[20] == ["M6.ahead"]
    assert by_step[21] == ["M4.compact"]
    assert by_step[22] == ["M4.beyond_head"]
    assert by_step[23] == ["R3.retention_floor_breach", "R4.recovery"]
    assert by_step[24] == ["R1.resume"]
    assert by_step[25] == ["G2.rebuild", "M5.interleavings"]
    assert reach.whole == ["M3.unique"]


def test_each_step_reaches_the_classes_of_the_values_it_sends() -> None:
    """Where the stream stands decides a seq's or a cursor's class: seq 1 redelivered once
    the head is 1, seq 3 past head + 1 at head 1 and the last one journaled, a cursor at
    the head; the payload's text and numbers are classed as sent."""
    by_step = {number: sorted(c for c in ids if CLAUSES[c].input_class)
               for number, ids in coverage.reach(SCENARIO, curated=False).by_step.items()}
    assert by_step[7] == ["E4.text=typical", "M1.seq=first"]
    assert by_step[8] == ["E4.text=typical", "M1.seq=first"]  # seq 1 is seq 1, sent again
    assert by_step[9] == ["E4.text=typical", "M1.seq=last", "M1.seq=past_next"]
    assert by_step[10] == ["E4.number=positive", "M1.seq=next"]
    assert by_step[18] == ["M6.seq=inside"]
    assert by_step[20] == ["M6.seq=past_head"]
    assert by_step[21] == ["M4.through=inside"]
    assert by_step[22] == ["M4.through=past_head"]
    assert by_step[23] == ["R1.budget=positive", "R1.cursor=zero"]
    assert by_step[24] == ["R1.budget=positive", "R1.cursor=head"]


def test_every_field_class_is_a_row_of_the_matrix_under_the_rule_that_judges_it() -> None:
    classes = [clause for clause in CLAUSES.values() if clause.input_class]
    assert {clause.id.split("=")[0] for clause in classes} >= {
        "M1.seq", "E4.text", "R1.cursor", "M6.seq", "M4.through", "T3.ttl_seconds",
        "T3.scopes", "T2.authorization"}
    assert all(clause.rule in RULES for clause in classes)
    rows = coverage.matrix({}, {}, {}, list(Capability), ())
    unseen = coverage.never_exercised(rows)
    assert "T3.ttl_seconds=falsy" in unseen and "M1.seq=multi_digit" in unseen


def test_a_step_that_did_not_complete_exercised_nothing() -> None:
    history = ran(SCENARIO)
    assert coverage.exercised(coverage.reach(SCENARIO, curated=False), history)[
        "M1.sequence_conflict"] == 1
    entry = next(e for e in history.completions() if e.value["step"] == 9)
    history.entries[history.entries.index(entry)] = type(entry)(
        entry.index, EntryType.INFO, entry.process, entry.op, entry.value, "timeout")
    assert "M1.sequence_conflict" not in coverage.exercised(
        coverage.reach(SCENARIO, curated=False), history)


def test_a_violation_is_charged_to_the_clause_its_step_reached() -> None:
    reach = coverage.reach(SCENARIO, curated=False)
    history = ran(SCENARIO)
    regression = next(e for e in history.completions() if e.value["step"] == 19)
    charged = coverage.violated(reach, history, [
        Violation("M6", "moved back", regression.index),
        Violation("P2", "worker_status[w1].region"),  # no step: several P2 clauses reached
        Violation("R3", "wrong codes"),  # no step, and only one R3 clause reached
    ])
    assert charged == {"M6.regression": 1, "P2": 1, "R3.retention_floor_breach": 1}


def test_token_steps_reach_family_principal_and_parity_or_retirement() -> None:
    scenario = Scenario("token_parity", ("T5",), (
        Token("pat"), Policy(alias_retired=True, compat_enforced=False), Token("ttl-59")))
    found = coverage.reach(scenario, curated=False).by_step
    reach = {n: [c for c in ids if not CLAUSES[c].input_class] for n, ids in found.items()}
    assert reach[0] == ["T1.api", "T2.pat", "T4.response", "T5.api"]
    assert reach[2] == ["T1.api", "T2.session", "T3.ttl", "T6.api"]
    assert [c for c in found[2] if CLAUSES[c].input_class] == [
        "T2.body=fields", "T2.authorization=bearer", "T3.ttl_seconds=boundary",
        "T3.scopes=absent"]
    started_retired = coverage.reach(Scenario("token_parity", ("T6",), (Token("pat"),)),
                                     curated=False, retired_at_start=True)
    assert "T6.api" in started_retired.by_step[0]


def test_the_matrix_says_what_applies_what_is_in_profile_and_what_was_never_reached() -> None:
    has = set(Capability) - {Capability.MODULE_COMPACT}
    rows = coverage.matrix({"M1.insert": 3}, {"M1.insert": 1, "P2": 1}, {}, has, {"M"})
    by_id = {row["clause"]: row for row in rows}
    assert by_id["M1.insert"]["exercised"] == 3 and by_id["M1.insert"]["violated"] == 1
    assert by_id["M4.compact"]["applicable"] is False
    assert by_id["M4.compact"]["lacks"] == ["module.compact"]
    assert by_id["P1.step"]["in_profile"] is False  # absolute, P not opted into
    assert by_id["G2.rebuild"]["in_profile"] is True  # relative: every target
    assert by_id["P2"]["title"] == "the rule as a whole"
    never = coverage.never_exercised(rows)
    assert "M1.sequence_conflict" in never and "G2.rebuild" in never
    assert "M1.insert" not in never and "M4.compact" not in never and "P1.step" not in never


def test_every_clause_belongs_to_a_rule_of_the_contract() -> None:
    assert {clause.rule for clause in CLAUSES.values()} <= set(RULES)


def test_every_curated_scenario_is_classified() -> None:
    for scenario in curated(None, SCENARIOS):
        assert coverage.reach(scenario, curated=True).everything(), scenario.id


def test_a_clause_is_exercised_only_where_the_check_decided_something() -> None:
    """Uniqueness over an event table the run left empty held nothing; a redelivery that
    changed state is charged to the clause it broke, not the insert its rule reached."""
    reach = coverage.reach(SCENARIO, curated=False)
    empty = ran(SCENARIO)
    assert "M3.unique" not in coverage.exercised(reach, empty)
    held = ran(SCENARIO)
    held.snapshots["final"] = {"sync_event": [{"stream_id": "runtime.run.r1.events"}]}
    assert coverage.exercised(reach, held)["M3.unique"] == 1
    assert coverage.charged(reach, held, [
        Violation("M1", "with redeliveries vs each event delivered once: ...",
                  clause="E6.duplicate")]) == ["E6.duplicate"]
