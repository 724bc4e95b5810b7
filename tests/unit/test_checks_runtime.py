"""The runtime-delivery checker on recorded histories: pure, no container.

A `ViaRuntime` scenario is judged from what the runtime reports (heads, dead letters) and
the module's final snapshot. Each history below is what a conforming or a broken publisher
records when the harness writes to the module behind its back: a forged event first
(idempotency_conflict) or a cleared database (sequence_conflict), both permanent (B3).
"""

from __future__ import annotations

from typing import Any

from harness.checks.runtime_delivery import simulate, violations
from harness.contract.error_texts import sequence_conflict
from harness.contract.streams import stream_of
from harness.history import EntryType, History
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    ClearDatabase,
    CrashRuntime,
    CutNetwork,
    Event,
    HealNetwork,
    Preempt,
    Step,
    ViaRuntime,
)

RUN = "run:r1:events"
WORKER = "worker:w1:lifecycle"
NOTES = "fleet:user:u1:workers"

CLEARED = Scenario("idempotence", ("B3",), (
    ViaRuntime(),
    Event(RUN, "run.created", {"owner": "a"}),
    Event(RUN, "run.step", {"tokens": 1}),
    Event(WORKER, "worker.online", {"region": "eu"}),
    ClearDatabase(),
    Event(RUN, "run.step", {"tokens": 2}),
    Event(NOTES, "note", {"text": "new to the module"}),
    Event(RUN, "run.completed", {"outcome": "success"}),
))


def _stream(topic: str, journal_head: int, delivered_head: int,
            dead_letter: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"stream_id": stream_of(topic), "topic": topic, "journal_head": journal_head,
            "delivered_head": delivered_head, "dead_letter": dead_letter,
            "paused": dead_letter is not None}


def _history(scenario: Scenario, streams: list[dict[str, Any]],
             harness_steps: dict[int, EntryType] | None = None,
             reasons: dict[str, Any] | None = None) -> History:
    """What the runner records: appends with their seqs, the harness's own writes, the
    runtime's report, and the module's snapshot as the oracle predicts it."""
    history = History()
    heads: dict[str, int] = {}
    for number, step in enumerate(scenario.steps):
        if isinstance(step, Event):
            heads[step.topic] = heads.get(step.topic, 0) + 1
            index = history.invoke("runtime", "append", {"step": number, "topic": step.topic})
            history.complete(index, EntryType.OK, value={"step": number, "topic": step.topic,
                                                         "seq": heads[step.topic]})
        elif number in (harness_steps or {}):
            index = history.invoke("harness", step.op, {"step": number})
            history.complete(index, (harness_steps or {})[number])
    history.snapshots["runtime"] = {"quiescent": True, "streams": streams}
    history.snapshots["dead_letters"] = reasons if reasons is not None else {
        s["stream_id"]: s["dead_letter"] for s in streams if s["dead_letter"]}
    history.snapshots["final"] = simulate(scenario, history)[0]
    return history


def _rules(scenario: Scenario, history: History) -> list[str]:
    return [violation.rule for violation in violations(scenario, history)]


SEQ_CONFLICT = {"seq": 3, "reason": sequence_conflict(1, 3), "delivery": "primary"}
CLEARED_STREAMS = [_stream(RUN, 4, 2, SEQ_CONFLICT), _stream(WORKER, 1, 1),
                   _stream(NOTES, 1, 1)]


def test_a_cleared_database_holds_each_stream_it_had_with_a_sequence_conflict() -> None:
    history = _history(CLEARED, CLEARED_STREAMS, {4: EntryType.OK})
    _, held = simulate(CLEARED, history)
    assert {stream: (stop.seq, stop.reason) for stream, stop in held.items()} == {
        stream_of(RUN): (3, "sequence_conflict expected_next_seq=1 actual_seq=3")}
    assert _rules(CLEARED, history) == []


def test_a_sequence_conflict_not_dead_lettered_breaks_B3() -> None:
    retried_through = [_stream(RUN, 4, 4), *CLEARED_STREAMS[1:]]
    assert "B3" in _rules(CLEARED, _history(CLEARED, retried_through, {4: EntryType.OK}))


def test_a_dead_letter_with_another_reason_breaks_B3() -> None:
    wrong = {**SEQ_CONFLICT, "reason": "idempotency_conflict"}
    streams = [_stream(RUN, 4, 2, wrong), *CLEARED_STREAMS[1:]]
    assert _rules(CLEARED, _history(CLEARED, streams, {4: EntryType.OK})) == ["B3"]


def test_a_reason_is_compared_in_the_contracts_words() -> None:
    """A module with its own texts: the runtime reports them, the runner recorded their
    contract form beside them, and that is what B3 compares."""
    theirs = {**SEQ_CONFLICT, "reason": "gap: stream runtime.run.r1.events wants 1, got 3"}
    streams = [_stream(RUN, 4, 2, theirs), *CLEARED_STREAMS[1:]]
    reasons = {stream_of(RUN): {"seq": 3, "reason": sequence_conflict(1, 3)}}
    assert _rules(CLEARED, _history(CLEARED, streams, {4: EntryType.OK}, reasons)) == []


def test_a_database_cleared_under_a_busy_publisher_breaks_B5() -> None:
    history = _history(CLEARED, CLEARED_STREAMS, {4: EntryType.INFO})
    assert "B5" in _rules(CLEARED, history)


PREEMPTED: tuple[Step, ...] = (
    ViaRuntime(),
    Event(RUN, "run.created", {"owner": "a"}),
    CutNetwork(),
    Event(RUN, "run.step", {"tokens": 1}),
    Preempt(RUN, 3, 7),
    Event(RUN, "run.step", {"tokens": 2}),
    HealNetwork(),
)


def test_a_forged_event_the_module_refused_pre_empts_nothing() -> None:
    """The nightly report "a forged conflicting event at seq 4 was not dead-lettered": with
    the network cut, the publisher had not delivered seq 2 when the harness applied its
    forged seq 3, so the module refused it (sequence_conflict) and the real seq 3 went
    through. The checker once assumed every forged event landed; a harness bug."""
    scenario = Scenario("idempotence", ("B3",), PREEMPTED)
    history = _history(scenario, [_stream(RUN, 3, 3)], {4: EntryType.FAIL})
    assert simulate(scenario, history)[1] == {}
    assert _rules(scenario, history) == []


def test_a_forged_event_the_module_took_must_be_dead_lettered() -> None:
    scenario = Scenario("idempotence", ("B3",), PREEMPTED)
    letter = {"seq": 3, "reason": "idempotency_conflict", "delivery": "primary"}
    history = _history(scenario, [_stream(RUN, 3, 2, letter)], {4: EntryType.OK})
    assert _rules(scenario, history) == []
    delivered = _history(scenario, [_stream(RUN, 3, 3)], {4: EntryType.OK})
    assert "B3" in _rules(scenario, delivered)


def test_relative_delivery_rules_follow_the_modules_answers_not_the_references() -> None:
    """A module that took the forged event's rival (a lenient one, answering a conflict as a
    duplicate) let the publisher deliver to its head: nothing relative is broken, and only
    the reference's expectation (absolute) says the stream should have been held."""
    scenario = Scenario("idempotence", ("B3",), PREEMPTED)
    delivered = _history(scenario, [_stream(RUN, 3, 3)], {4: EntryType.OK})
    found = violations(scenario, delivered)
    assert [v.rule for v in found if v.relative] == []
    assert [v.rule for v in found if not v.relative] == ["B3"]
    letter = {"seq": 2, "reason": "whatever the module said", "delivery": "primary"}
    past = _history(scenario, [_stream(RUN, 3, 3, letter)], {4: EntryType.OK})
    assert any(v.rule == "B3" and v.relative and "past its dead letter" in v.message
               for v in violations(scenario, past))


def test_B1_a_dead_lettered_seq_recorded_as_delivered_is_progress_that_is_no_delivery() -> None:
    """The runtime's head counts the very event the module refused: recorded delivered,
    never taken (B1), not a stream that went on past its dead letter (B3)."""
    scenario = Scenario("idempotence", ("B3",), PREEMPTED)
    letter = {"seq": 3, "reason": "idempotency_conflict", "delivery": "primary"}
    recorded = _history(scenario, [_stream(RUN, 3, 3, letter)], {4: EntryType.OK})
    relative = [v for v in violations(scenario, recorded) if v.relative]
    assert [v.rule for v in relative] == ["B1"]
    assert "seq 3 is recorded delivered" in relative[0].message


def test_a_runtime_that_will_not_start_after_its_restart_is_one_B5_with_its_last_words() -> None:
    """It lost the tail of its journal in a kill -9 and refuses to start: its verdict, not
    the harness's failure, and none of what it never delivered is a follow-on (B1)."""
    crashed = Scenario("idempotence", ("B5",), (
        ViaRuntime(), Event(RUN, "run.created", {"owner": "a"}), CrashRuntime(),
        Event(RUN, "run.step", {"tokens": 1})))
    history = _history(crashed, [_stream(RUN, 2, 1)])
    history.invoke("nemesis", "crash_runtime", {"step": 2})
    last_words = "runtime.run.r1.events: delivered_head 1 is past the journal's head 0"
    history.snapshots["runtime"] = {"quiescent": False, "streams": [], "down": last_words}
    history.snapshots["final"] = {}
    found = violations(crashed, history)
    assert [(v.rule, v.relative) for v in found] == [("B5", True)]
    assert "after the restart at step 2" in found[0].message and last_words in found[0].message


TWO_STEPS = Scenario("idempotence", ("B1", "B2"), (
    ViaRuntime(), Event(RUN, "run.created", {"owner": "a"}), Event(RUN, "run.step", {"tokens": 1}),
    Event(RUN, "run.step", {"tokens": 2})))


def _slipped(delivered_head: int) -> History:
    """The module refused seq 2 expecting seq 1: the publisher sent 2 first."""
    letter = {"seq": 2, "reason": sequence_conflict(1, 2), "delivery": "primary"}
    history = _history(TWO_STEPS, [_stream(RUN, 3, delivered_head, letter)])
    history.snapshots["final"] = {}
    return history


def test_a_seq_sent_before_the_one_the_module_expects_is_B2_first() -> None:
    """What the reference makes of it afterwards (a dead letter the contract's module would
    not have given, B3) follows from the publisher's own slip, read off the module's answer."""
    found = violations(TWO_STEPS, _slipped(delivered_head=0))
    assert (found[0].rule, found[0].relative, found[0].departure) == ("B2", True, True)
    assert "seq 2 was sent before seq 1" in found[0].message
    assert all(v.streams == {stream_of(RUN)} for v in found)


def test_an_event_recorded_as_delivered_the_module_never_took_is_B1_first() -> None:
    found = violations(TWO_STEPS, _slipped(delivered_head=1))
    assert (found[0].rule, found[0].relative) == ("B1", True)
    assert "seq 1 is recorded as delivered" in found[0].message


def test_a_permanent_refusal_retried_is_B3_first() -> None:
    history = _history(TWO_STEPS, [_stream(RUN, 3, 1)])
    history.snapshots["last_errors"] = {stream_of(RUN): "invalid_event payload"}
    history.snapshots["final"] = {}
    found = violations(TWO_STEPS, history)
    assert (found[0].rule, found[0].relative) == ("B3", True), found
    assert "retried instead of dead-lettered" in found[0].message


def test_a_cleared_database_is_no_publisher_slip() -> None:
    history = _history(CLEARED, CLEARED_STREAMS, {4: EntryType.OK})
    assert _rules(CLEARED, history) == []
