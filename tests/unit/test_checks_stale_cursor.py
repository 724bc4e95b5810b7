"""The stale-cursor checker on recorded client histories: pure, no container.

Delivery and recovery (R2, R4) are judged against the answer the target itself gave, so a
wrong stale decision is reported once, as R3, and a client that recovered correctly from
it is not blamed again.
"""

from __future__ import annotations

import copy
from typing import Any

from harness.checks import stale_cursor
from harness.checks.expectations import expect
from harness.contract.snapshot import VOLATILE
from harness.contract.streams import stream_of
from harness.history import EntryType, History
from harness.scenario.model import Scenario
from harness.scenario.steps import Compact, Deliver, Event, Resume, step_fields

W = "fleet:user:t0:workers"
STALE = ("stale_cursor reason=replay_budget_exceeded stream_id={s} requested_after_seq=0 "
         "oldest_available_cursor=0 head_cursor=0 replay_budget=0")
# An empty stream, cursor 0, budget 0: resumable (R3), and then the event arrives live.
SCENARIO = Scenario("stale_cursor", ("R3",), (
    Event(W, "note", {"text": "n"}), Resume("c0", W, 0, 0), Deliver(W, 1)))


def history(answer: str | None, client_steps: list[dict[str, Any]], cursor: int) -> History:
    recorded = History()
    expected = expect(SCENARIO)
    for number, outcome in expected.outcomes.items():
        step = SCENARIO.steps[number]
        index = recorded.invoke("c0", step.op, {"step": number, **step_fields(step)})
        error = answer if isinstance(step, Resume) else outcome.error
        recorded.complete(index, EntryType.FAIL if error else EntryType.OK, error=error)
    recorded.snapshots["final"] = copy.deepcopy(expected.final)
    recorded.snapshots[f"client:c0:{stream_of(W)}"] = {
        "failure": None, "steps": client_steps, "cursor": cursor, "base_seq": 0,
        "events": [s["seq"] for s in client_steps if s["kind"] == "Delivered"]}
    return recorded


def test_a_wrong_stale_answer_recovered_from_correctly_is_R3_alone() -> None:
    stale = STALE.format(s=stream_of(W))
    steps = [{"kind": "Resumed", "cursor": 0, "replay_budget": 0, "error": stale},
             {"kind": "SnapshotLoaded", "head_seq": 0},
             {"kind": "Resumed", "cursor": 0, "replay_budget": 0, "error": None},
             {"kind": "Delivered", "seq": 1}]
    result = stale_cursor.check(SCENARIO, history(stale, steps, cursor=1))
    assert result.broken_rules == ("R3",)


def test_resuming_from_the_refused_cursor_without_a_snapshot_of_that_head_is_R4() -> None:
    stale = STALE.format(s=stream_of(W))
    steps = [{"kind": "Resumed", "cursor": 0, "replay_budget": 0, "error": stale},
             {"kind": "SnapshotLoaded", "head_seq": 1},
             {"kind": "Resumed", "cursor": 0, "replay_budget": 0, "error": None},
             {"kind": "Delivered", "seq": 1}]
    result = stale_cursor.check(SCENARIO, history(stale, steps, cursor=1))
    assert "R4" in result.broken_rules
    assert all(v.relative for v in result.violations if v.rule in ("R2", "R4"))


def test_a_right_answer_with_the_gap_delivered_passes() -> None:
    steps = [{"kind": "Resumed", "cursor": 0, "replay_budget": 0, "error": None},
             {"kind": "Delivered", "seq": 1}]
    assert stale_cursor.check(SCENARIO, history(None, steps, cursor=1)).ok


# A resumable cursor whose connection a server restart cut: the client resumed again from its
# own cursor, which the stream had outrun by then (budget 0), so it recovered by snapshot.
OUTRUN = ("stale_cursor reason=replay_budget_exceeded stream_id={s} requested_after_seq=0 "
          "oldest_available_cursor=0 head_cursor=1 replay_budget=0")


def _reconnected(*after_snapshot: dict[str, Any], stale: bool = True) -> list[dict[str, Any]]:
    return [{"kind": "Resumed", "cursor": 0, "replay_budget": 0, "error": None},
            {"kind": "Resumed", "cursor": 0, "replay_budget": 0,
             "error": OUTRUN.format(s=stream_of(W)) if stale else None},
            {"kind": "SnapshotLoaded", "head_seq": 1},
            {"kind": "Resumed", "cursor": 1, "replay_budget": 0, "error": None},
            *after_snapshot]


def test_a_reconnect_that_found_its_cursor_stale_and_recovered_is_conformant() -> None:
    assert stale_cursor.check(SCENARIO, history(None, _reconnected(), cursor=1)).ok


def test_delivering_what_the_snapshot_already_holds_after_a_reconnect_is_R2() -> None:
    steps = _reconnected({"kind": "Delivered", "seq": 1})
    result = stale_cursor.check(SCENARIO, history(None, steps, cursor=1))
    assert result.broken_rules == ("R2",)
    assert "seq 1 where 2 was next" in result.explain()


def test_a_snapshot_no_stale_answer_called_for_is_R4() -> None:
    steps = _reconnected(stale=False)
    result = stale_cursor.check(SCENARIO, history(None, steps, cursor=1))
    assert result.broken_rules == ("R4",)


def test_a_reconnect_that_stops_short_of_the_head_is_R2() -> None:
    steps = _reconnected()[:2]  # stale again, and no recovery
    result = stale_cursor.check(SCENARIO, history(None, [*steps, {"kind": "SnapshotLoaded",
                                                                  "head_seq": 0}], cursor=0))
    assert result.broken_rules == ("R2",)


# The client's whole view (R2, R4): with the seqs right, the rows it holds must be the
# module's own rows of the stream above its base, column for column.


def _module_rows(recorded: History) -> list[dict[str, Any]]:
    return [dict(row) for row in recorded.snapshots["final"]["sync_event"]
            if row["stream_id"] == stream_of(W)]


def holding(answer: str | None, client_steps: list[dict[str, Any]], cursor: int,
            rows: list[dict[str, Any]] | None = None, base_seq: int = 0) -> History:
    """`history`, the client holding `rows` (the module's own rows when None)."""
    recorded = history(answer, client_steps, cursor)
    record = recorded.snapshots[f"client:c0:{stream_of(W)}"]
    record["base_seq"] = base_seq
    record["rows"] = _module_rows(recorded) if rows is None else rows
    return recorded


RESUMED = [{"kind": "Resumed", "cursor": 0, "replay_budget": 0, "error": None},
           {"kind": "Delivered", "seq": 1}]


def test_a_client_holding_the_module_s_rows_passes() -> None:
    assert stale_cursor.check(SCENARIO, holding(None, RESUMED, cursor=1)).ok


def test_a_held_row_whose_payload_differs_is_R2_naming_client_stream_seq_and_column() -> None:
    recorded = holding(None, RESUMED, cursor=1)
    held = _module_rows(recorded)
    held[0]["payload_json"] = '{"text": "n"}'
    recorded.snapshots[f"client:c0:{stream_of(W)}"]["rows"] = held
    result = stale_cursor.check(SCENARIO, recorded)
    assert result.broken_rules == ("R2",)
    (violation,) = result.violations
    assert violation.relative
    assert violation.streams == frozenset({stream_of(W)})
    assert f"client c0 on {stream_of(W)}" in violation.message
    assert "seq 1 differs in payload_json" in violation.message
    assert """'{"text": "n"}'""" in violation.message


def test_a_row_the_client_delivered_but_does_not_hold_is_R2() -> None:
    result = stale_cursor.check(SCENARIO, holding(None, RESUMED, cursor=1, rows=[]))
    assert result.broken_rules == ("R2",)
    assert "seq 1 is the module's but not held" in result.explain()


def test_a_wrong_delivery_is_reported_once_by_the_seq_check_not_again_by_the_rows() -> None:
    steps = [RESUMED[0]]  # seq 1 never delivered, and not held either
    result = stale_cursor.check(SCENARIO, holding(None, steps, cursor=0, rows=[]))
    (violation,) = result.violations
    assert violation.rule == "R2" and "expected exactly [1]" in violation.message


def test_events_kept_at_or_below_a_recovery_snapshot_s_head_are_R4() -> None:
    recorded = holding(None, _reconnected(), cursor=1, base_seq=1)
    assert stale_cursor.check(SCENARIO, recorded).broken_rules == ("R4",)
    assert "seq 1 is held though it is at or below its base 1" in (
        stale_cursor.check(SCENARIO, recorded).explain())
    assert stale_cursor.check(SCENARIO, holding(None, _reconnected(), cursor=1, rows=[],
                                                base_seq=1)).ok


def test_a_volatile_column_and_a_column_the_module_lacks_are_not_compared() -> None:
    recorded = holding(None, RESUMED, cursor=1)
    recorded.snapshots["final"]["sync_event"][0]["published_at_ms"] = VOLATILE
    held = _module_rows(recorded)
    held[0]["published_at_ms"] = 12345
    held[0]["applied_by"] = "the client's own column"
    recorded.snapshots[f"client:c0:{stream_of(W)}"]["rows"] = held
    assert stale_cursor.check(SCENARIO, recorded).ok


def test_a_record_without_rows_is_judged_by_its_seqs_alone() -> None:
    assert stale_cursor.check(SCENARIO, history(None, RESUMED, cursor=1)).ok


THREE = Scenario("stale_cursor", ("R2",), (
    *(Event(W, "note", {"text": f"n{n}"}) for n in range(3)), Resume("c0", W, 0, 5),
    *(Deliver(W, seq) for seq in (1, 2, 3))))


def replayed(scenario: Scenario, held: list[dict[str, Any]] | None) -> History:
    """`scenario` answered as the oracle answers it, its one client `c0` having delivered
    every seq of the stream after cursor 0 and holding `held` (the module's rows: None)."""
    recorded = History()
    expected = expect(scenario)
    for number, outcome in expected.outcomes.items():
        step = scenario.steps[number]
        index = recorded.invoke("c0", step.op, {"step": number, **step_fields(step)})
        recorded.complete(index, EntryType.FAIL if outcome.error else EntryType.OK,
                          error=outcome.error)
    recorded.snapshots["final"] = copy.deepcopy(expected.final)
    seqs = [step.seq for step in scenario.steps if isinstance(step, Deliver)]
    recorded.snapshots[f"client:c0:{stream_of(W)}"] = {
        "failure": None, "cursor": seqs[-1], "base_seq": 0, "events": seqs,
        "rows": _module_rows(recorded) if held is None else held,
        "steps": [RESUMED[0], *({"kind": "Delivered", "seq": s} for s in seqs)]}
    return recorded


def test_many_wrong_rows_of_one_stream_are_one_violation_naming_the_first() -> None:
    held = [{**row, "kind": "other"} for row in _module_rows(replayed(THREE, None))]
    result = stale_cursor.check(THREE, replayed(THREE, held))
    (violation,) = result.violations
    assert violation.rule == "R2"
    assert "seq 1 differs in kind (client 'other', module 'note')" in violation.message
    assert "(2 more rows disagree)" in violation.message


def test_held_rows_the_module_compacted_since_are_let_be_but_not_invented_ones() -> None:
    compacted = Scenario("stale_cursor", ("R2", "M4"), (*THREE.steps, Compact(W, 2)))
    held = _module_rows(replayed(THREE, None))
    assert stale_cursor.check(compacted, replayed(compacted, held)).ok
    invented = [*held[:2], {**held[2], "seq": 4}]
    result = stale_cursor.check(compacted, replayed(compacted, invented))
    assert result.broken_rules == ("R2",)
    assert "seq 3 is the module's but not held (1 more rows disagree)" in result.explain()
