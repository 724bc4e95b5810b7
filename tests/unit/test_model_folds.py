"""The folds of P1 (runs), P2 (workers) and P3 (other streams), with saturating counters."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.canonical import U64_MAX
from harness.contract.events import Event
from harness.model.folds import fold_run, fold_worker, new_run, new_worker
from harness.model.module import ReferenceModel
from harness.model.project import replay
from harness.model.rows import RunSummaryRow, WorkerStatusRow

RunEvent = tuple[str, dict[str, Any]]

run_events: st.SearchStrategy[RunEvent] = st.one_of(
    st.builds(lambda owner: ("run.created", {"owner": owner}), st.text(max_size=3)),
    st.builds(
        lambda tokens: ("run.step", {"tokens": tokens}),
        st.integers(0, 1000) | st.just(U64_MAX),
    ),
    st.builds(lambda o: ("run.completed", {"outcome": o}), st.sampled_from(["success", "failure"])),
    st.just(("run.cancelled", {"reason": "r"})),
)
worker_events: st.SearchStrategy[RunEvent] = st.one_of(
    st.builds(lambda region: ("worker.online", {"region": region}), st.sampled_from(["eu", "us"])),
    st.just(("worker.heartbeat", {})),
    st.just(("worker.offline", {"reason": "r"})),
)


def run_row(events: list[RunEvent]) -> RunSummaryRow:
    row = None
    for seq, (kind, payload) in enumerate(events, start=1):
        row = fold_run(row, "r1", seq, kind, payload)
    assert row is not None
    return row


def worker_row(events: list[RunEvent]) -> WorkerStatusRow:
    row = None
    for seq, (kind, payload) in enumerate(events, start=1):
        row = fold_worker(row, "w1", seq, kind, payload)
    assert row is not None
    return row


def test_P1_new_run_row() -> None:
    row = fold_run(None, "r1", 7, "run.step", {"tokens": 3})
    assert row == RunSummaryRow("r1", "", "running", 1, 3, "", 0, 7)


def test_P1_created_sets_owner_only_on_a_new_row() -> None:
    assert run_row([("run.created", {"owner": "alice"})]) == RunSummaryRow(
        "r1", "alice", "created", 0, 0, "", 0, 1
    )
    again = run_row([("run.created", {"owner": "alice"}), ("run.created", {"owner": "bob"})])
    assert (again.owner, again.ignored_events, again.last_seq) == ("alice", 1, 2)
    late = run_row([("run.step", {"tokens": 1}), ("run.created", {"owner": "bob"})])
    assert (late.owner, late.ignored_events) == ("", 1)


def test_P1_step_runs_and_counts() -> None:
    row = run_row([("run.step", {"tokens": 5}), ("run.step", {"tokens": 0})])
    assert (row.status, row.steps, row.tokens_total) == ("running", 2, 5)


@pytest.mark.parametrize(
    ("last", "status", "outcome"),
    [
        (("run.completed", {"outcome": "failure"}), "completed", "failure"),
        (("run.cancelled", {"reason": "x"}), "cancelled", ""),
    ],
)
def test_P1_terminal_events_then_everything_is_ignored(
    last: RunEvent, status: str, outcome: str
) -> None:
    row = run_row([("run.step", {"tokens": 1}), last])
    assert (row.status, row.outcome) == (status, outcome)
    after = run_row(
        [
            ("run.step", {"tokens": 1}),
            last,
            ("run.step", {"tokens": 9}),
            ("run.completed", {"outcome": "success"}),
            ("run.cancelled", {"reason": "y"}),
            ("run.created", {"owner": "z"}),
        ]
    )
    assert after == replace(row, ignored_events=4, last_seq=6)


def test_P1_counters_saturate() -> None:
    full = replace(new_run("r1"), steps=U64_MAX, tokens_total=U64_MAX - 1, ignored_events=U64_MAX)
    stepped = fold_run(full, "r1", 2, "run.step", {"tokens": 5})
    assert (stepped.steps, stepped.tokens_total) == (U64_MAX, U64_MAX)
    ignored = fold_run(full, "r1", 3, "run.created", {"owner": "x"})
    assert ignored.ignored_events == U64_MAX


@settings(max_examples=300, deadline=None)
@given(st.lists(run_events, min_size=1, max_size=12))
def test_P1_run_row_matches_its_declarative_definition(events: list[RunEvent]) -> None:
    row = run_row(events)
    kinds = [kind for kind, _ in events]
    terminal = next(
        (i for i, kind in enumerate(kinds) if kind in ("run.completed", "run.cancelled")),
        len(events),
    )
    live = events[:terminal]
    steps = [payload["tokens"] for kind, payload in live if kind == "run.step"]
    late_created = sum(1 for kind, _ in live[1:] if kind == "run.created")
    assert row.last_seq == len(events)
    assert row.owner == (events[0][1]["owner"] if kinds[0] == "run.created" else "")
    assert row.steps == len(steps)
    assert row.tokens_total == min(sum(steps), U64_MAX)
    assert row.ignored_events == late_created + (
        len(events) - terminal - 1 if terminal < len(events) else 0
    )
    if terminal < len(events):
        assert row.status == ("completed" if kinds[terminal] == "run.completed" else "cancelled")
        expected_outcome = events[terminal][1].get("outcome", "")
        assert row.outcome == expected_outcome
    else:
        assert row.status == ("running" if steps else "created")
        assert row.outcome == ""


def test_P2_new_worker_row_and_online() -> None:
    row = fold_worker(None, "w1", 4, "worker.online", {"region": "eu"})
    assert row == WorkerStatusRow("w1", "online", "eu", 1, 0, 0, 4)


def test_P2_online_when_online_moves_region_without_a_session() -> None:
    row = worker_row([("worker.online", {"region": "eu"}), ("worker.online", {"region": "us"})])
    assert row == WorkerStatusRow("w1", "online", "us", 1, 0, 0, 2)


def test_P2_heartbeat_counts_only_when_online() -> None:
    row = worker_row(
        [
            ("worker.heartbeat", {}),
            ("worker.online", {"region": "eu"}),
            ("worker.heartbeat", {}),
            ("worker.offline", {"reason": "x"}),
            ("worker.heartbeat", {}),
        ]
    )
    assert row == WorkerStatusRow("w1", "offline", "eu", 1, 1, 2, 5)


def test_P2_counters_saturate() -> None:
    full = replace(new_worker("w1"), sessions=U64_MAX, heartbeats=U64_MAX, ignored_events=U64_MAX)
    online = fold_worker(full, "w1", 1, "worker.online", {"region": "eu"})
    assert online.sessions == U64_MAX
    assert fold_worker(online, "w1", 2, "worker.heartbeat", {}).heartbeats == U64_MAX
    assert fold_worker(full, "w1", 2, "worker.heartbeat", {}).ignored_events == U64_MAX


@settings(max_examples=300, deadline=None)
@given(st.lists(worker_events, min_size=1, max_size=12))
def test_P2_worker_row_matches_its_declarative_definition(events: list[RunEvent]) -> None:
    row = worker_row(events)
    status, sessions, heartbeats, ignored, region = "offline", 0, 0, 0, ""
    for kind, payload in events:
        if kind == "worker.online":
            sessions += status == "offline"
            status, region = "online", payload["region"]
        elif kind == "worker.offline":
            status = "offline"
        elif status == "online":
            heartbeats += 1
        else:
            ignored += 1
    assert row == WorkerStatusRow("w1", status, region, sessions, heartbeats, ignored, len(events))


def test_P1_P2_folds_refuse_kinds_of_other_families() -> None:
    with pytest.raises(ValueError, match="P1"):
        fold_run(None, "r1", 1, "worker.online", {"region": "eu"})
    with pytest.raises(ValueError, match="P2"):
        fold_worker(None, "w1", 1, "run.step", {"tokens": 1})


@pytest.mark.parametrize(
    "topic",
    ["fleet:user:u1:workers", "fleet:guest:g1:workers", "runtime.codex_worker_events", "x:y"],
)
def test_P3_notes_fold_into_no_projection(topic: str) -> None:
    model = replay(
        [Event(topic, 1, "note", {"text": "hi"}, 0), Event(topic, 2, "note", {"text": ""}, 0)]
    )
    snapshot = model.snapshot()
    assert snapshot["run_summary"] == snapshot["worker_status"] == []
    assert [row["seq"] for row in snapshot["sync_event"]] == [1, 2]
    assert snapshot["stream_head"][0]["head_seq"] == 2


def test_P1_P2_projection_keys_come_from_the_topic() -> None:
    model = ReferenceModel("p")
    for event in [
        Event("run:a:b.c:events", 1, "run.created", {"owner": "o"}, 0),
        Event("worker:w.1:lifecycle", 1, "worker.online", {"region": "eu"}, 0),
    ]:
        assert model.apply_event("p", event.reducer_args()).succeeded
    snapshot = model.snapshot()
    assert snapshot["run_summary"][0]["run_id"] == "a:b.c"
    assert snapshot["worker_status"][0]["worker_id"] == "w.1"
