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
from harness.contract.streams import stream_of
from harness.history import EntryType, History
from harness.scenario.model import Scenario
from harness.scenario.steps import Deliver, Event, Resume, step_fields

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
