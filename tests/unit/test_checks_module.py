"""The module checkers on recorded histories: pure, no container.

Each broken history below is what a specific defect would record; the checker must name
the rule it breaks. The conformant history is what the oracle itself would record.
"""

from __future__ import annotations

import copy

from harness import golden
from harness.checks import compaction, idempotence, rebuild
from harness.checks.expectations import expect
from harness.checks.verdict import Verdict, settle, within_profile
from harness.conformance import golden_violations
from harness.history import EntryType, History
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    BadHash,
    Compact,
    Conflict,
    Deliver,
    Event,
    Rebuild,
    step_fields,
)

R = "run:r1:events"
STEPS = (
    Event(R, "run.created", {"owner": "a"}),
    Event(R, "run.step", {"tokens": 5}),
    Deliver(R, 1),
    Deliver(R, 2),
    Deliver(R, 2),
    Conflict(R, 2, {"tokens": 9}),
    Rebuild(1),
)
SCENARIO = Scenario("rebuild", ("G2",), STEPS)


def oracle_history(scenario: Scenario) -> History:
    """The history a conforming system records: the oracle's answers and snapshots."""
    expected = expect(scenario)
    history = History()
    for number, outcome in expected.outcomes.items():
        step = scenario.steps[number]
        index = history.invoke("publisher", step.op, {"step": number, **step_fields(step)})
        kind = EntryType.FAIL if outcome.error else EntryType.OK
        history.complete(index, kind, error=outcome.error)
    history.snapshots["final"] = copy.deepcopy(expected.final)
    for number, snapshot in expected.rebuilds.items():
        history.snapshots[f"rebuild:{number}"] = copy.deepcopy(snapshot)
    return history


def test_a_conforming_history_passes_both_checkers() -> None:
    history = oracle_history(SCENARIO)
    assert idempotence.check(SCENARIO, history).ok
    assert rebuild.check(SCENARIO, history).ok


def test_a_refused_duplicate_breaks_E6() -> None:
    history = oracle_history(SCENARIO)
    duplicate = next(e for e in history.entries if e.type is EntryType.OK and e.value["step"] == 4)
    history.entries[history.entries.index(duplicate)] = type(duplicate)(
        duplicate.index, EntryType.FAIL, duplicate.process, duplicate.op, duplicate.value,
        "idempotency_conflict")
    assert idempotence.check(SCENARIO, history).broken_rules == ("E6",)


def test_a_duplicate_folded_twice_breaks_P1_with_the_row_named() -> None:
    history = oracle_history(SCENARIO)
    history.snapshots["final"]["run_summary"][0]["steps"] = 2
    result = idempotence.check(SCENARIO, history)
    assert result.broken_rules == ("P1",)
    assert "run_summary[r1].steps: expected 1, observed 2" in result.explain()


def test_a_rebuild_that_differs_breaks_G2_and_points_at_M5() -> None:
    scenario = Scenario("rebuild", ("G2",), (*STEPS[:4], Rebuild(1)))
    history = oracle_history(scenario)
    history.snapshots["rebuild:4"]["run_summary"][0]["owner"] = "a-123"
    result = rebuild.check(scenario, history)
    assert set(result.broken_rules) == {"G2", "M5"}


def test_an_unknown_outcome_is_not_judged() -> None:
    history = oracle_history(SCENARIO)
    entry = next(e for e in history.entries if e.type is EntryType.FAIL)
    history.entries[history.entries.index(entry)] = type(entry)(
        entry.index, EntryType.INFO, entry.process, entry.op, entry.value, "timeout")
    assert idempotence.check(SCENARIO, history).ok


def test_an_accepted_wrong_hash_is_attributed_to_E5_not_P4() -> None:
    scenario = Scenario("idempotence", ("E5",), (*STEPS[:2], BadHash(R, 1)))
    history = oracle_history(scenario)
    entry = next(e for e in history.entries if e.type is EntryType.FAIL)
    history.entries[history.entries.index(entry)] = type(entry)(
        entry.index, EntryType.OK, entry.process, entry.op, entry.value, None)
    result = settle(idempotence.check(scenario, history))
    assert result.broken_rules == ("E5",)
    # the rows a target that took the event would hold differ here: consequences, folded
    assert {v.rule for v in result.follow_ons} == {"M3", "P1"}


TWO_REBUILDS = Scenario("rebuild", ("G2",), (*STEPS, Rebuild(2)))


def test_two_rebuilds_that_disagree_break_G2_relatively_with_no_oracle() -> None:
    history = oracle_history(TWO_REBUILDS)
    history.snapshots["rebuild:7"]["run_summary"][0]["owner"] = "b"
    relative = [v for v in rebuild.check(TWO_REBUILDS, history).violations if v.relative]
    assert {v.rule for v in relative} == {"G2", "M5"}
    assert "rebuild (step 7) vs rebuild (step 6)" in relative[0].message


def test_a_fold_unlike_the_oracles_but_consistent_passes_the_relative_rebuild() -> None:
    """A target with its own folds (no profile for P): every snapshot agrees with every
    other, so nothing relative is broken, whatever the oracle says."""
    history = oracle_history(TWO_REBUILDS)
    for label in ("final", "rebuild:6", "rebuild:7"):
        history.snapshots[label]["run_summary"][0]["owner"] = "its own fold"
    result = rebuild.check(TWO_REBUILDS, history)
    assert not [v for v in result.violations if v.relative]
    assert within_profile(result, frozenset()).ok
    assert set(within_profile(result, frozenset("PG")).broken_rules) == {"G2", "P1"}


def test_the_profile_keeps_relative_violations_first_and_drops_absolute_families() -> None:
    history = oracle_history(SCENARIO)
    history.snapshots["rebuild:6"]["run_summary"][0]["owner"] = "a-123"
    judged = within_profile(rebuild.check(SCENARIO, history), frozenset("G"))
    assert [v.relative for v in judged.violations] == sorted(
        (v.relative for v in judged.violations), reverse=True)
    assert judged.violations[0].relative
    assert "P1" not in judged.broken_rules


def test_an_original_that_differs_from_its_rebuild_after_redeliveries_is_not_M5() -> None:
    """SCENARIO redelivers and forges: a rebuild replays neither, so a difference between the
    original and the rebuild may be what redelivery did (M1): G2, never blamed on M5."""
    history = oracle_history(SCENARIO)
    history.snapshots["final"]["run_summary"][0]["tokens_total"] = 10
    relative = [v for v in rebuild.check(SCENARIO, history).violations if v.relative]
    assert {v.rule for v in relative} == {"G2"}


def test_a_golden_difference_is_judged_whatever_the_contract_profile() -> None:
    """A golden is the user's approval of their own target, so G1 is relative: a project
    with no `[contract]` opt-in still fails on a step or snapshot that moved."""
    history = oracle_history(SCENARIO)
    approved = golden.observed_result(history)
    assert golden_violations(approved, history) == []
    approved["answers"]["2"] = "fail"
    approved["snapshots"]["final"]["run_summary"] = []
    found = golden_violations(approved, history)
    assert [(v.rule, v.relative) for v in found] == [("G1", True), ("G1", True)]
    judged = within_profile(Verdict("idempotence", ("G1",), tuple(found)), frozenset())
    assert judged.broken_rules == ("G1",)


def test_a_golden_that_approved_no_dead_letters_fails_on_one_and_the_other_way_round() -> None:
    """An empty approved dead-letter list is a value, not a golden without tables: a dead
    letter the run meets is a difference, and one the run no longer meets too (no crash)."""
    history = oracle_history(SCENARIO)
    history.snapshots["dead_letters"] = {}
    approved = golden.observed_result(history)
    history.snapshots["dead_letters"] = {"runtime.run.a.events": {"seq": 2, "reason": "x"}}
    found = golden_violations(approved, history)
    assert [v.rule for v in found] == ["G1"] and "runtime.run.a.events" in found[0].message
    assert golden_violations(golden.observed_result(history), history) == []
    history.snapshots["dead_letters"] = {}
    again = golden_violations(golden.observed_result(oracle_history(SCENARIO)) | {
        "snapshots": {"dead_letters": {"runtime.run.a.events": {"seq": 2, "reason": "x"}}},
        "answers": {}}, history)
    assert [v.rule for v in again] == ["G1"] and "seq" in again[0].message


def test_a_table_of_the_modules_own_differing_across_rebuilds_is_one_defect() -> None:
    """However the rebuilds that show it are paired (rebuild against rebuild, or the
    original against one), a difference in one table is one defect, by the table's name."""
    first = {"hour_bucket": [{"hour": 1, "first_stream": "runtime.run.a.events"}]}
    second = {"hour_bucket": [{"hour": 1, "first_stream": "runtime.run.b.events"}]}
    paired = [*rebuild.relative_violations(None, {4: first, 5: second},
                                           keys={"hour_bucket": "hour"}),
              *rebuild.relative_violations(second, {4: first}, keys={"hour_bucket": "hour"})]
    assert len(paired) == 2
    assert {v.defect for v in paired} == {"G2: hour_bucket: not the same across rebuilds"}


def test_rows_of_a_stream_that_took_a_forged_call_are_left_out_of_its_own_tables_too() -> None:
    """A ledger of the module's own naming (`stream`, not `stream_id`): the stream whose
    forged hash the module stored is no measure of the original against the journal."""
    forged = "runtime.run.a.events"
    original = {"ingested": [{"key": "k1", "stream": forged, "digest": "forged"},
                             {"key": "k2", "stream": "runtime.run.b.events", "digest": "d2"}]}
    rebuilt = {"ingested": [{"key": "k1", "stream": forged, "digest": "true"},
                            {"key": "k2", "stream": "runtime.run.b.events", "digest": "d2"}]}
    keys = {"ingested": "key"}
    assert list(rebuild.relative_violations(original, {3: rebuilt}, keys=keys)) != []
    assert list(rebuild.relative_violations(original, {3: rebuilt}, keys=keys,
                                            not_the_journal=frozenset({forged}))) == []


def test_a_stream_a_module_without_sequencing_took_past_a_gap_is_no_measure_of_a_rebuild(
) -> None:
    """Seq 2 accepted before seq 1: no replay in (topic, seq) order gives the original what
    it was given (the acceptance itself is M1's, absolute); a stream taken in order is."""
    steps = (Event(R, "run.created", {"owner": "a"}), Event(R, "run.step", {"tokens": 1}),
             Deliver(R, 2), Deliver(R, 1), Deliver(R, 2), Rebuild(0))
    scenario = Scenario("rebuild", ("G2",), steps)
    history = History()
    for number, step in enumerate(steps[2:5], start=2):
        index = history.invoke("publisher", step.op, {"step": number, **step_fields(step)})
        history.complete(index, EntryType.OK)
    assert rebuild.accepted_off_journal(scenario, history) == {"runtime.run.r1.events"}
    in_order = Scenario("rebuild", ("G2",), (*steps[:2], Deliver(R, 1), Deliver(R, 2),
                                             Deliver(R, 2), Rebuild(0)))
    assert rebuild.accepted_off_journal(in_order, history) == frozenset()


W = "worker:w1:lifecycle"
COMPACTED = Scenario("idempotence", ("M4",), (
    Event(R, "run.created", {"owner": "a"}), Event(W, "worker.online", {"region": "eu"}),
    Event(R, "run.step", {"tokens": 5}),
    Deliver(R, 1), Deliver(W, 1), Deliver(R, 2), Compact(R, 1), Deliver(R, 2)))


def _compacted_history(damage: bool) -> History:
    """The oracle's history of COMPACTED with the module's state around the compaction;
    `damage`: the compaction also deleted the worker stream's event (a `WHERE` that lost
    its stream filter), as the state after it and the end state both show."""
    history = oracle_history(COMPACTED)
    before = copy.deepcopy(expect(Scenario("idempotence", ("M4",), COMPACTED.steps[:6])).final)
    after = copy.deepcopy(expect(Scenario("idempotence", ("M4",), COMPACTED.steps[:7])).final)
    if damage:
        for snapshot in (after, history.snapshots["final"]):
            snapshot["sync_event"] = [row for row in snapshot["sync_event"]
                                      if row["stream_id"] != "runtime.worker.w1.lifecycle"]
    history.snapshots[compaction.snapshot_label(6)] = {"before": before, "after": after}
    return history


def test_a_compaction_that_deletes_another_streams_events_is_M4_first_and_only() -> None:
    """Seen first in the state just after the compaction (relative: the module against its
    own state just before), so the end state's missing event (M3) is its follow-on."""
    assert idempotence.check(COMPACTED, _compacted_history(damage=False)).ok
    judged = settle(within_profile(idempotence.check(COMPACTED, _compacted_history(True)),
                                   frozenset("EMP")))
    assert [(v.rule, v.relative, v.clause) for v in judged.violations] == [
        ("M4", True, "M4.compact")], judged.explain()
    assert "sync_event[topic:worker:w1:lifecycle:seq:1]" in judged.violations[0].message
    assert {v.rule for v in judged.follow_ons} == {"M3"}


def test_a_table_differing_also_where_nothing_was_redelivered_is_M5_not_M1() -> None:
    """A fold reading the reducer's clock differs in every stream it stamps, redelivered or
    not: the difference in a stream given the same calls twice is not redelivery's doing."""
    r2 = "run:r2:events"
    scenario = Scenario("idempotence", ("M1",), (
        Event(R, "run.created", {"owner": "a"}), Event(r2, "run.created", {"owner": "b"}),
        Deliver(R, 1), Deliver(r2, 1), Deliver(R, 1)))
    history = oracle_history(scenario)
    history.snapshots["delivered_once"] = copy.deepcopy(history.snapshots["final"])
    for row in history.snapshots["final"]["run_summary"]:
        row["steps"] = 7  # stamped by the clock, in both streams
    relative = [v for v in idempotence.check(scenario, history).violations if v.relative]
    assert [(v.rule, v.clause) for v in relative] == [("M5", "M5.interleavings")], relative
